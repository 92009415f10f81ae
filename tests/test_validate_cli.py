"""`softa validate`: exit codes, text and JSON output, and the consensus worksheet PDF."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path

from click.testing import CliRunner
from pypdf import PdfReader
from test_validate_fixtures import CASE, case_db, rate, tick  # noqa: F401

from softa.cli import main
from softa.errors import DatabaseError, LayoutError, ValidationFailed
from softa.instrument import load_instrument
from validate.casedata import CaseData
from validate.worksheet import case_disagreements


def _db_path(conn: sqlite3.Connection) -> str:
    return conn.execute("PRAGMA database_list").fetchone()["file"]


def run(conn: sqlite3.Connection, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["validate", "--db", _db_path(conn), *args], catch_exceptions=False)


def test_clean_case_exits_zero_with_a_summary(case_db: sqlite3.Connection) -> None:  # noqa: F811
    result = run(case_db)
    assert result.exit_code == 0, result.output
    assert f"Casus {CASE}: 0 fout(en), 0 open waarschuwing(en)" in result.stdout
    assert "Overeenstemming observator 1 en 2" in result.stdout
    assert "Beoordelingen van de hulpverlener (bijdragen hulpverlener) · H1: exact gelijk 100% (n=4, indicatief)" \
        in result.stdout
    assert "alle beoordelingen" not in result.stdout


def test_errors_give_the_validation_exit_code(case_db: sqlite3.Connection) -> None:  # noqa: F811
    rate(case_db, "1", "C2", "veiligheid", 1, 2)
    result = run(case_db, "--case", CASE)
    assert result.exit_code == ValidationFailed.exit_code
    assert "FOUT" in result.stdout and "rating.multiple" in result.stdout
    assert "1 error(s) remain" in result.stderr


def test_unidentified_pages_are_mentioned(case_db: sqlite3.Connection) -> None:  # noqa: F811
    assert "niet herkend" not in run(case_db).stdout
    case_db.execute("INSERT INTO scanned_pages(source_id, page_number, status, reason, scanned_at) "
                    "VALUES (1, 999, 'unidentified', 'geen QR-code', '2026-11-20T10:00:00+00:00')")
    result = run(case_db)
    assert result.exit_code == 0 and "1 gescande pagina('s) zijn nog niet herkend" in result.stdout
    assert json.loads(run(case_db, "--format", "json").stdout)["summary"]["unidentified_pages"] == 1


def test_warnings_alone_exit_zero(case_db: sqlite3.Connection) -> None:  # noqa: F811
    rate(case_db, "1", "C2", "veiligheid", 1)
    result = run(case_db)
    assert result.exit_code == 0
    assert "let op" in result.stdout and "guideline.no_ticks_zero" in result.stdout


def test_text_groups_worst_first(case_db: sqlite3.Connection) -> None:  # noqa: F811
    rate(case_db, "1", "C2", "veiligheid", 1)          # warning for C2
    rate(case_db, "2", "C3", "betrokkenheid")          # error for C3
    out = run(case_db).stdout
    assert out.index("  C3 (zoon (14))\n") < out.index("  C2 (vader)\n")
    assert re.search(r"  C3 \(zoon \(14\)\)\n    Betrokkenheid\n      FOUT", out)


def test_json_output_is_the_contract(case_db: sqlite3.Connection) -> None:  # noqa: F811
    rate(case_db, "2", "C3", "betrokkenheid")
    result = run(case_db, "--format", "json")
    assert result.exit_code == ValidationFailed.exit_code
    data = json.loads(result.stdout)
    assert [(f["rule"], f["participant"], f["slot"], f["dimension"], f["severity"]) for f in data["findings"]] == [
        ("rating.none", "C3", "2", "betrokkenheid", "error")]
    assert data["summary"]["errors"] == 1
    assert any(b["measure"] == "ratings" and b["case"] is None for b in data["agreement"])


def test_unknown_case_and_missing_database(case_db: sqlite3.Connection, tmp_path: Path) -> None:  # noqa: F811
    result = run(case_db, "--case", "1999-001")
    assert result.exit_code == LayoutError.exit_code and "1999-001" in result.stderr
    missing = CliRunner().invoke(main, ["validate", "--db", str(tmp_path / "nope.sqlite")])
    assert missing.exit_code == DatabaseError.exit_code
    assert not (tmp_path / "nope.sqlite").exists()


def _pdf_text(path: Path) -> str:
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(path).pages))


def test_worksheet_lists_every_disagreement_in_order(case_db: sqlite3.Connection, tmp_path: Path) -> None:  # noqa: F811
    tick(case_db, "1", "H1", "veiligheid", [(4, 2)])            # worker, obs 1 only, minute 5-10
    rate(case_db, "1", "H1", "veiligheid", 1)
    rate(case_db, "2", "H1", "veiligheid", 1)
    tick(case_db, "2", "C2", "emotionele_band", [(9, 11)])      # client, obs 2 only, minute 50-55
    rate(case_db, "1", "C2", "emotionele_band", 0)
    rate(case_db, "2", "C2", "emotionele_band", -1)
    rate(case_db, "2", "sessie", "taalgebruik", 2)
    tick(case_db, "1", "C1", "betrokkenheid", [(1, 3)])
    tick(case_db, "2", "C1", "betrokkenheid", [(1, 3)])         # agreed: not on the sheet
    pdf = tmp_path / "werkblad.pdf"
    result = run(case_db, "--worksheet", str(pdf))
    assert pdf.exists(), result.output
    text = _pdf_text(pdf)
    inst = load_instrument()
    worker_item = inst.item("therapist", "veiligheid", 4).text
    client_item = inst.item("client", "emotionele_band", 9).text
    assert f"Consensuswerkblad casus {CASE}" in text
    assert worker_item[:40] in text and client_item[:40] in text
    assert inst.item("client", "betrokkenheid", 1).text[:40] not in text
    assert "5–10" in text and "50–55" in text
    assert "Beoordeling Emotionele band" in text and "Overeenstemming in taalgebruik" in text
    # discussion order: worker before clients, items before the rating, session last
    assert text.index(worker_item[:40]) < text.index(client_item[:40]) < text.index("Beoordeling Emotionele band") \
        < text.index("Beoordeling Overeenstemming in taalgebruik")
    disagreements = case_disagreements(CaseData.load(case_db, CASE))
    assert [(d.participant, d.dimension, d.kind, d.item, d.observer_1, d.observer_2) for d in disagreements] == [
        ("H1", "veiligheid", "tick", 4, "X", "–"),
        ("C2", "emotionele_band", "tick", 9, "–", "X"),
        ("C2", "emotionele_band", "rating", None, "0", "-1"),
        ("sessie", "taalgebruik", "rating", None, "0", "+2"),
    ]


def test_worksheet_speaking_time_runs(case_db: sqlite3.Connection, tmp_path: Path) -> None:  # noqa: F811
    from test_validate_fixtures import set_boxes

    set_boxes(case_db, {f"1:C1:spreektijd:b{b:03d}": 1 for b in (5, 6, 7, 20)})
    set_boxes(case_db, {"2:C1:spreektijd:b020": 1})
    disagreements = case_disagreements(CaseData.load(case_db, CASE))
    assert [(d.kind, d.when, d.observer_1, d.observer_2) for d in disagreements] == [
        ("speaking", "2:00–3:30", "X", "–")]
    pdf = tmp_path / "w.pdf"
    run(case_db, "--worksheet", str(pdf))
    assert "2:00–3:30" in _pdf_text(pdf)


def test_worksheet_without_disagreements_says_so(case_db: sqlite3.Connection, tmp_path: Path) -> None:  # noqa: F811
    pdf = tmp_path / "w.pdf"
    assert run(case_db, "--worksheet", str(pdf)).exit_code == 0
    assert "Geen verschillen tussen observator 1 en observator 2" in _pdf_text(pdf)


def test_worksheet_has_a_section_per_case(case_db: sqlite3.Connection, tmp_path: Path) -> None:  # noqa: F811
    from test_validate_fixtures import sample

    from formgen import build_layout
    from softa.db import register_case
    from softa.manifest import parse_manifest

    manifest, _ = sample()
    other = parse_manifest({**manifest.to_dict(), "case": "2024-018"})
    register_case(case_db, other, build_layout(other))
    pdf = tmp_path / "w.pdf"
    result = run(case_db, "--worksheet", str(pdf))
    assert result.exit_code == ValidationFailed.exit_code  # 2024-018 has no scans yet
    reader = PdfReader(pdf)
    titles = [re.search(r"Consensuswerkblad casus (\S+)", page.extract_text()) for page in reader.pages]
    assert [t.group(1) for t in titles if t] == [CASE, "2024-018"]
    assert "nog niet alle formulieren" in _pdf_text(pdf)


def test_worksheet_is_deterministic(case_db: sqlite3.Connection, tmp_path: Path) -> None:  # noqa: F811
    tick(case_db, "1", "C1", "betrokkenheid", [(1, 3)])
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    run(case_db, "--worksheet", str(first))
    time.sleep(1.1)  # PDF dates have one-second resolution: a clock stamp would now differ
    run(case_db, "--worksheet", str(second))
    assert first.read_bytes() == second.read_bytes()


def test_worksheet_marks_unsure_cells(case_db: sqlite3.Connection) -> None:  # noqa: F811
    """A cell or rating the scanner was unsure of (still flagged) says so on the worksheet."""
    tick(case_db, "1", "C1", "veiligheid", [(3, 2)], status="flagged")
    rate(case_db, "1", "C1", "veiligheid", 1, status="flagged")
    rate(case_db, "2", "C1", "veiligheid", 2)
    marks = [(d.kind, d.observer_1, d.observer_2) for d in case_disagreements(CaseData.load(case_db, CASE))
             if d.participant == "C1"]
    assert marks == [("tick", "X (onzeker)", "–"), ("rating", "+1 (onzeker)", "+2")]
