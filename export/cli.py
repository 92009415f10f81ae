"""CLI for the export stage (placeholder until the stage lands)."""

import click


@click.command(name="export")
def export_command() -> None:
    """Not built yet."""
    raise click.ClickException("`softa export` is not built yet")


@click.command(name="report")
def report_command() -> None:
    """Not built yet."""
    raise click.ClickException("`softa report` is not built yet")
