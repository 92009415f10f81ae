"""What export counts as unresolved, and how such values become missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from export.values import case_values, find_problems
from softa.cli import main
from softa.db import transaction
from softa.errors import UnresolvedDataError
from softa.records import load_case_record
from tests.stored_case import SAMPLE_MANIFEST, StoredCase, stored_case


@pytest.fixture()
def case(tmp_path: Path) -> StoredCase:
    return stored_case(tmp_path / "softa.sqlite", seed=9)


def test_complete_case_has_no_problems(case: StoredCase) -> None:
    values = case_values(case.conn, case.manifest.case)
    assert values.problems == ()
    assert all(v is not None for v in values.ratings.values())


def test_own_checks_without_validate(case: StoredCase) -> None:
    """Without validate's result, export still finds unscanned pages, flags, odd rating rows, duplicates."""
    conn, cid = case.conn, case.manifest.case
    page = case.layout.pages[5]
    row = [b.id for b in case.layout.boxes() if b.group == "2:H1:veiligheid:rating"]
    with transaction(conn):
        conn.executemany("DELETE FROM box_values WHERE case_id = ? AND box_id = ?", [(cid, b.id) for b in page.boxes])
        conn.execute("UPDATE box_values SET status = 'flagged' WHERE box_id = '1:C3:veiligheid:i02:w01'")
        conn.execute("UPDATE box_values SET checked = 1 WHERE box_id IN (?, ?)", (row[0], row[-1]))
        kept = conn.execute("SELECT id FROM scanned_pages WHERE page_index = 7").fetchone()[0]
        other = conn.execute("SELECT id FROM scanned_pages WHERE page_index = 8").fetchone()[0]
        conn.execute("INSERT INTO duplicates(case_id, page_index, kept_page_id, other_page_id, status)"
                     " VALUES (?, 7, ?, ?, 'open')", (cid, kept, other))
    problems = find_problems(load_case_record(conn, cid), None)
    kinds = {p.kind for p in problems}
    assert kinds == {"missing_page", "flagged", "rating_row", "open_duplicate"}
    missing = next(p for p in problems if p.kind == "missing_page")
    assert set(missing.box_ids) == {b.id for b in page.boxes}
    assert any("1:C3:veiligheid:i02:w01" in p.message for p in problems)


def test_refusal_and_missing_values(case: StoredCase) -> None:
    conn, cid = case.conn, case.manifest.case
    with transaction(conn):
        conn.execute("UPDATE box_values SET status = 'flagged' WHERE box_id = 'consensus:C1:betrokkenheid:v+1'")
    with pytest.raises(UnresolvedDataError) as err:
        case_values(conn, cid)
    assert "consensus:C1:betrokkenheid:v+1" in str(err.value)
    values = case_values(conn, cid, allow_unresolved=True)
    assert values.ratings[("C1", "consensus", "betrokkenheid")] is None  # the whole row is missing
    assert values.ratings[("C1", "1", "betrokkenheid")] is not None
    assert values.notes()


def test_timeline_in_bin_order_for_a_long_session(tmp_path: Path) -> None:
    """Every 30-second bin lands in its place, also when the session runs past one timeline block."""
    from softa.manifest import load_manifest, parse_manifest

    long_session = 95  # minutes: more bins than the first timeline block holds
    manifest = parse_manifest({**load_manifest(SAMPLE_MANIFEST).to_dict(), "minutes": long_session})
    case = stored_case(tmp_path / "softa.sqlite", seed=3, manifest=manifest)
    values = case_values(case.conn, manifest.case, allow_unresolved=True)
    for who in manifest.participants:
        for slot in ("1", "2", "consensus"):
            expected = [case.truth.boxes[f"{slot}:{who.code}:spreektijd:b{b:03d}"] for b in range(1, manifest.bins + 1)]
            assert values.timeline[(who.code, slot)] == expected


def test_export_before_any_scan_says_nothing_is_scanned(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "softa.sqlite")
    assert runner.invoke(main, ["forms", str(SAMPLE_MANIFEST), "--out", str(tmp_path / "forms"), "--db", db]).exit_code == 0
    result = runner.invoke(main, ["export", "--case", "2024-017", "--out", str(tmp_path / "x"), "--db", db])
    assert result.exit_code == UnresolvedDataError.exit_code
    assert "nothing scanned yet" in result.output and "softa scan" in result.output
    assert len(result.output.splitlines()) <= 3
