"""CLI for the validate stage (placeholder until the stage lands)."""

import click


@click.command(name="validate")
def validate_command() -> None:
    """Not built yet."""
    raise click.ClickException("`softa validate` is not built yet")
