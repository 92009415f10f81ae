"""CLI for the review stage (placeholder until the stage lands)."""

import click


@click.command(name="review")
def review_command() -> None:
    """Not built yet."""
    raise click.ClickException("`softa review` is not built yet")
