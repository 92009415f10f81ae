"""CLI for the export stage: `softa export` and `softa report`."""

from __future__ import annotations

from pathlib import Path

import click

from softa.cli import db_option, reports_errors
from softa.errors import UsageError


@click.command(name="export")
@click.option("--case", "cases", multiple=True, metavar="N",
              help="Case number (casusnummer) to export as the manual's three xlsx files; repeat for several. "
                   "With --dataset: only these cases (default: all).")
@click.option("--out", "out", type=click.Path(path_type=Path), default=None,
              help="Folder for the xlsx files (with --case), or the JSON file (with --format json).")
@click.option("--dataset", "dataset_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write the research dataset of all cases (CSV, wide CSV, SPSS .sav, audit.csv) into this folder.")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "json"]), default="xlsx", show_default=True,
              help="xlsx: the manual's step-13 files; json: the machine-readable record of every box and page.")
@click.option("--allow-unresolved", is_flag=True,
              help="Export even with open flags, missing pages, open duplicates or validation errors; "
                   "such values are written as missing and the files say so.")
@db_option
@reports_errors
def export_command(cases: tuple[str, ...], out: Path | None, dataset_dir: Path | None, fmt: str,
                   allow_unresolved: bool, db: Path | None) -> None:
    """Write the manual's files, the research dataset or the machine record.

    \b
      softa export --case 2024-017 --out DIR       the three step-13 xlsx files
      softa export --dataset DIR                   ticks/ratings/speaking_time CSVs, wide CSVs, .sav, audit.csv
      softa export --format json --out FILE.json   every box read and every page scanned
    """
    from softa.db import connect, resolve_db_path

    conn = connect(resolve_db_path(db), create=False)
    if fmt == "json":
        if out is None:
            raise UsageError("--format json needs --out FILE.json", hint="e.g. softa export --format json --out scan.json")
        from export.machine_json import write_machine_json

        counts = write_machine_json(conn, out)
        click.echo(f"{out}: {counts['boxes']} boxes, {counts['pages']} pages.")
        return
    if dataset_dir is None and not cases:
        raise UsageError("nothing to export: give --case N --out DIR, --dataset DIR or --format json --out FILE",
                           hint="see `softa export --help`")
    if dataset_dir is not None:
        from export.atomic import atomic_folder
        from export.dataset import write_dataset

        with atomic_folder(dataset_dir) as staging:  # readers see the old dataset or the new one, never a mix
            written = write_dataset(conn, staging, cases=cases or None, allow_unresolved=allow_unresolved)
        click.echo(f"Dataset in {dataset_dir}:")
        for path in written.files:
            click.echo(f"  {path.name}")
        for note in written.notes:
            click.echo(f"  let op: {note}")
        if not cases or out is None:
            return
    if out is None:
        raise UsageError("--case needs --out DIR", hint="e.g. softa export --case 2024-017 --out export/")
    from export.step13 import write_step13

    for case in cases:
        result = write_step13(conn, case, out, allow_unresolved=allow_unresolved)
        click.echo(f"Case {case}:")
        for path in result.files:
            click.echo(f"  {path}")
        for note in result.notes:
            click.echo(f"  let op: {note}")


@click.command(name="report")
@click.option("--case", "case", required=True, metavar="N", help="Case number (casusnummer).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The PDF to write.")
@click.option("--allow-unresolved", is_flag=True,
              help="Write the report even with open flags or errors; missing values are shown as such.")
@db_option
@reports_errors
def report_command(case: str, out: Path, allow_unresolved: bool, db: Path | None) -> None:
    """Write the professional's feedback report (PDF, in Dutch) for one case."""
    from export.report import write_report
    from softa.db import connect, resolve_db_path

    conn = connect(resolve_db_path(db), create=False)
    result = write_report(conn, case, out, allow_unresolved=allow_unresolved)
    click.echo(f"{out}: {result.pages} pages.")
    for note in result.notes:
        click.echo(f"  let op: {note}")
