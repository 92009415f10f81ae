"""Render `softa --help` and every subcommand's help as Markdown (docs/cli.md).

`python -m softa.clidoc > docs/cli.md` regenerates it; a test fails when the
file and the live help differ, so the docs cannot drift from the CLI.
"""

from __future__ import annotations

from softa.cli import main as softa_main

#: Columns of the rendered help; fixed so the file does not depend on the terminal.
HELP_WIDTH = 100


def render() -> str:
    """The CLI reference as Markdown, in command order."""
    parts = ["# softa command reference", "",
             "Generated from `softa --help` by `python -m softa.clidoc > docs/cli.md`; do not edit by hand.", ""]
    # make_context applies the group's context settings (-h as well as --help), exactly as on the command line.
    with softa_main.make_context("softa", [], resilient_parsing=True, terminal_width=HELP_WIDTH) as ctx:
        parts += ["## softa", "", "```", softa_main.get_help(ctx), "```", ""]
        for name in softa_main.list_commands(ctx):
            command = softa_main.get_command(ctx, name)
            if command is None:
                continue
            with command.make_context(name, [], parent=ctx, resilient_parsing=True) as sub:
                parts += [f"## softa {name}", "", "```", command.get_help(sub), "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
