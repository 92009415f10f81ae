"""CLI for the scan stage (placeholder until the stage lands)."""

import click


@click.command(name="scan")
def scan_command() -> None:
    """Not built yet."""
    raise click.ClickException("`softa scan` is not built yet")
