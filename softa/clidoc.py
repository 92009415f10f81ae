"""Render `softa --help` and every subcommand's help as Markdown (docs/cli.md).

`python -m softa.clidoc > docs/cli.md` regenerates it; a test fails when the
file and the live help differ, so the docs cannot drift from the CLI.
"""

from __future__ import annotations

import click

from softa.cli import main as softa_main


def render() -> str:
    """The CLI reference as Markdown, in command order."""
    parts = ["# softa command reference", "",
             "Generated from `softa --help` by `python -m softa.clidoc > docs/cli.md`; do not edit by hand.", ""]
    with click.Context(softa_main, info_name="softa", terminal_width=100) as ctx:
        parts += ["## softa", "", "```", softa_main.get_help(ctx), "```", ""]
        for name in softa_main.list_commands(ctx):
            command = softa_main.get_command(ctx, name)
            if command is None:
                continue
            with click.Context(command, info_name=name, parent=ctx, terminal_width=100) as sub:
                parts += [f"## softa {name}", "", "```", command.get_help(sub), "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
