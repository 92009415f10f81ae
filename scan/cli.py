"""`softa scan`: read scanned pages into the database."""

from __future__ import annotations

from pathlib import Path

import click

from softa.cli import db_option, reports_errors


@click.command(name="scan")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@db_option
@click.option("--layout", "layouts", multiple=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="A <case>_layout.json to register first (for cases not made with `softa forms` on this database).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes reading pages (use the number of cores).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@reports_errors
def scan_command(inputs: tuple[Path, ...], db: Path | None, layouts: tuple[Path, ...], workers: int,
                 quiet: bool) -> None:
    """Read scanned form pages (PDF, TIFF, PNG, JPEG files or folders of them) into the database.

    Every page is identified by its QR code, registered on its four corner
    marks, and every box is read; what the scanner is not sure of is flagged
    for `softa review`. Rescanning the same file changes nothing. Exit code 0
    only when every page was identified and no file failed.
    """
    from scan.batch import run_scan
    from softa.db import resolve_db_path

    db_path = resolve_db_path(db)
    notes: list[str] = []
    summary = run_scan(db_path, list(inputs), layout_files=layouts, workers=workers,
                       progress=not quiet, notes=notes)
    for line in notes + summary.lines():
        click.echo(line)
    summary.check()
