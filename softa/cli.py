"""The `softa` command line: one subcommand per pipeline stage."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from softa import __version__
from softa.errors import SoftaError
from softa.i18n import _
from softa.storage import sqlite_error, storage_error

F = TypeVar("F", bound=Callable[..., Any])
#: Exit status after Ctrl-C or SIGTERM, as a shell reports a program stopped by SIGINT (128 + 2).
INTERRUPTED_EXIT = 130

db_option = click.option(
    "--db", "db", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="SQLite database file (default: $SOFTA_DB, else ./softa.sqlite).")


def reports_errors(func: F) -> F:
    """Turn SoftaError into a clear message on stderr and the error's exit code."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            try:
                return func(*args, **kwargs)
            except (sqlite3.Error, OSError) as exc:  # a fault of the disk or database no command caught itself
                raise (sqlite_error(exc, None) if isinstance(exc, sqlite3.Error) else storage_error(exc)) from exc
        except SoftaError as exc:
            click.echo(_("softa: error: {error}").format(error=exc), err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("softa: onderbroken; wat al is opgeslagen blijft bewaard (een nieuwe scan gaat verder)",
                       err=True)
            sys.exit(INTERRUPTED_EXIT)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="softa")
def main() -> None:
    """softa-forms: SOFTA-NL paper coding forms to a research dataset.

    The pipeline: `forms` (print), `scan` (read scans), `review` (resolve
    flags in the browser), `validate` (rules and agreement), `export` and
    `report` (files of the manual's step 13, dataset, feedback report).
    """


@main.command()
@click.argument("manifest", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the PDFs and the layout JSON.")
@db_option
@reports_errors
def forms(manifest: Path, out_dir: Path, db: Path | None) -> None:
    """Generate the print-ready form pack of the case described by MANIFEST.

    Writes OUT/<case>_forms.pdf (the whole pack), one PDF per observer slot
    and for the self-assessment, and OUT/<case>_layout.json; records the case
    and its layout in the database so that `softa scan` knows its pages.
    """
    from formgen import build_layout, generate_pack
    from softa.db import check_layout_replaceable, connect, layout_sha256, register_case, resolve_db_path
    from softa.manifest import load_manifest

    parsed = load_manifest(manifest)
    db_path = resolve_db_path(db)
    if db_path.exists():
        # Refuse before writing anything when the database holds scans of another layout.
        check_layout_replaceable(connect(db_path), parsed.case, layout_sha256(build_layout(parsed)))
    pack = generate_pack(parsed, out_dir)
    conn = connect(db_path)
    register_case(conn, parsed, pack.layout)
    labels = {"1": _("observer 1"), "2": _("observer 2"), "consensus": _("consensus"),
              "None": _("self-assessment")}
    click.echo(_("Case {case}: {pages} pages, {boxes} boxes.").format(
        case=parsed.case, pages=pack.pages, boxes=len(pack.layout.boxes())))
    written = [(_("whole pack"), pack.pack_pdf), *[(labels[slot], path) for slot, path in pack.slot_pdfs.items()],
               (_("layout"), pack.layout_json), (_("database"), db_path)]
    for label, path in written:
        click.echo(f"  {label + ':':17} {path}")


@main.command(name="remove-case")
@click.argument("case")
@click.option("--with-scans", is_flag=True,
              help="Also remove the case's scanned pages, their readings and review decisions.")
@db_option
@reports_errors
def remove_case_command(case: str, with_scans: bool, db: Path | None) -> None:
    """Remove case CASE (its manifest, layout and values) from the database.

    A case with scanned pages is refused unless --with-scans is given; the
    files those pages came from are then read anew by the next `softa scan`.
    Page images stay in the data folder. The removal is in the audit log.
    """
    import getpass

    from softa.db import connect, remove_case, resolve_db_path

    db_path = resolve_db_path(db)
    conn = connect(db_path, create=False)
    try:
        removed = remove_case(conn, case, with_scans=with_scans, actor=getpass.getuser() or "cli")
    finally:
        conn.close()
    pages = f" met {removed} gescande pagina('s); scan hun bestanden opnieuw om ze weer in te lezen" if removed else ""
    click.echo(f"Casus {case} verwijderd uit {db_path}{pages}.")


def _register_stage_commands() -> None:
    """Add the commands that live with their pipeline stage."""
    from export.cli import export_command, report_command
    from review.cli import review_command
    from scan.cli import scan_command
    from validate.cli import validate_command

    for command in (scan_command, review_command, validate_command, export_command, report_command):
        main.add_command(command)


_register_stage_commands()
