"""`softa validate`: the manual's rules, completeness and observer agreement per case."""

from __future__ import annotations

import json
from pathlib import Path

import click

from softa.cli import db_option, reports_errors
from softa.errors import ValidationFailed
from softa.i18n import _


@click.command(name="validate")
@db_option
@click.option("--case", "cases", multiple=True, metavar="N",
              help="Case number to check (repeatable; default: every case in the database).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people, json for tools.")
@click.option("--worksheet", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the consensus worksheet (every observer 1/2 disagreement) to this PDF.")
@click.option("--agreement-report", "agreement_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write the cross-case agreement report (per item, observer pair and case over time: "
                   "CSV tables and PNG charts) to this folder.")
@click.option("--threshold", type=float, default=0.60, show_default=True,
              help="AC1 below which the agreement report marks an item, pair or case.")
@reports_errors
def validate_command(db: Path | None, cases: tuple[str, ...], fmt: str, worksheet: Path | None,
                     agreement_dir: Path | None, threshold: float) -> None:
    """Check every case against the manual's rules and report observer agreement.

    Errors (missing pages, unresolved flags, rating rows with no or several
    values, ...) make the exit code non-zero; warnings cite the manual's
    rating guidelines and can be accepted with a note in `softa review`.
    """
    from softa.db import case_ids, connect, load_case_manifest, resolve_db_path
    from softa.errors import LayoutError
    from validate.engine import validate_cases
    from validate.text_report import render_text

    conn = connect(resolve_db_path(db), create=False)
    known = case_ids(conn)
    if not known:
        raise LayoutError(_("the database holds no cases"),
                          hint=_("run `softa forms CASE.toml` and `softa scan` first"))
    for case in cases:
        if case not in known:
            raise LayoutError(_("case {case} is not in the database").format(case=case),
                              hint=_("known cases: {known}; or give --db for another database").format(
                                  known=", ".join(known)))
    report = validate_cases(conn, list(cases) if cases else None)
    if fmt == "json":
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        labels = {c.case: {p.code: f"{p.code} ({p.role})" for p in load_case_manifest(conn, c.case).participants}
                  for c in report.cases}
        click.echo(render_text(report, labels), nl=False)
    if worksheet is not None:
        from validate.worksheet import write_worksheet

        write_worksheet(conn, [c.case for c in report.cases], worksheet)
        click.echo(f"Consensuswerkblad: {worksheet}", err=fmt == "json")
    if agreement_dir is not None:
        from validate.crosscase import case_inputs, crosscase_report, write_crosscase

        written = write_crosscase(crosscase_report(case_inputs(conn, [c.case for c in report.cases]), threshold),
                                  agreement_dir)
        click.echo(f"Overeenstemmingsrapport: {', '.join(str(p) for p in written)}", err=fmt == "json")
    if report.errors:
        raise ValidationFailed(_("{count} error(s) remain in case(s) {cases}").format(
                                   count=len(report.errors), cases=", ".join(sorted({f.case for f in report.errors}))),
                               hint=_("scan the missing pages and resolve the flags in `softa review`, "
                                      "then validate again"))
