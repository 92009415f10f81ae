"""Completeness (pages, duplicates, flags, transcriptions) and structural errors."""

from __future__ import annotations

import sqlite3

import pytest
from test_validate_fixtures import CASE, case_db, rate, sample, scan_pages, set_boxes, tick  # noqa: F401

from softa.db import transaction
from validate import validate_case
from validate.casedata import CaseData
from validate.engine import RULES, check_case
from validate.model import Finding


def rules(conn: sqlite3.Connection) -> list[Finding]:
    found = list(check_case(CaseData.load(conn, CASE)))
    assert all(RULES[f.rule] == f.severity for f in found)
    assert len({f.key for f in found}) == len(found)  # keys identify findings
    return found


def _page(form: str, participant: str | None, slot: str | None, page: int) -> int:
    _, layout = sample()
    return next(p.index for p in layout.pages
                if (p.form, p.participant, p.slot, p.page) == (form, participant, slot, page))


def _unscan(conn: sqlite3.Connection, page_index: int) -> None:
    """Forget a page's scan and every value read from it."""
    with transaction(conn):
        conn.execute("DELETE FROM scanned_pages WHERE case_id = ? AND page_index = ?", (CASE, page_index))
        conn.execute("DELETE FROM box_values WHERE case_id = ? AND box_id IN "
                     "(SELECT box_id FROM layout_boxes WHERE case_id = ? AND page_index = ?)",
                     (CASE, CASE, page_index))
        conn.execute("DELETE FROM region_values WHERE case_id = ? AND region_id IN "
                     "(SELECT region_id FROM layout_regions WHERE case_id = ? AND page_index = ?)",
                     (CASE, CASE, page_index))


def test_missing_page_is_an_error_naming_form_and_page(case_db: sqlite3.Connection) -> None:  # noqa: F811
    index = _page("client", "C2", "2", 2)
    _unscan(case_db, index)
    found = rules(case_db)
    assert [(f.rule, f.severity, f.participant, f.slot, f.detail) for f in found] == [
        ("completeness.page_missing", "error", "C2", "2", "C:p2")]
    assert "pagina 2 van 2" in found[0].message and "C2" in found[0].message


def test_missing_gedragsdimensies_page_belongs_to_the_session(case_db: sqlite3.Connection) -> None:  # noqa: F811
    _unscan(case_db, _page("gedragsdimensies", None, "consensus", 1))
    found = rules(case_db)
    # The unread rating rows on that page raise nothing else: no rating.none, no guideline.
    assert [(f.rule, f.participant, f.slot) for f in found] == [("completeness.page_missing", "sessie", "consensus")]


def test_nothing_scanned_lists_every_page(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from softa.db import connect, register_case

    manifest, layout = sample()
    conn = connect(tmp_path / "empty.sqlite")
    register_case(conn, manifest, layout)
    found = validate_case(conn, CASE).findings
    assert {f.rule for f in found} == {"completeness.page_missing"}
    assert len(found) == len(layout.pages)
    scan_pages(conn, CASE, [0])
    assert len(validate_case(conn, CASE).findings) == len(layout.pages) - 1


def test_open_duplicate_is_an_error_until_resolved(case_db: sqlite3.Connection) -> None:  # noqa: F811
    index = _page("hulpverlener", "H1", "1", 3)
    scan_pages(case_db, CASE, [index])
    ids = [r[0] for r in case_db.execute(
        "SELECT id FROM scanned_pages WHERE case_id = ? AND page_index = ? ORDER BY id", (CASE, index))]
    case_db.execute("UPDATE scanned_pages SET status = 'duplicate' WHERE id = ?", (ids[1],))
    case_db.execute("INSERT INTO duplicates(case_id, page_index, kept_page_id, other_page_id, status) "
                    "VALUES (?, ?, ?, ?, 'open')", (CASE, index, ids[0], ids[1]))
    found = rules(case_db)
    assert [(f.rule, f.severity, f.participant, f.slot) for f in found] == [
        ("completeness.duplicate_open", "error", "H1", "1")]
    case_db.execute("UPDATE duplicates SET status = 'resolved', chosen_page_id = ?", (ids[0],))
    assert rules(case_db) == []


def test_flagged_boxes_are_errors_until_reviewed(case_db: sqlite3.Connection) -> None:  # noqa: F811
    ids = tick(case_db, "1", "C1", "veiligheid", [(3, 2), (3, 4)], status="flagged")
    rate(case_db, "1", "C1", "veiligheid", 2)
    found = [f for f in rules(case_db) if f.rule == "completeness.box_flagged"]
    assert [(f.severity, f.participant, f.slot, f.dimension, set(f.box_ids)) for f in found] == [
        ("error", "C1", "1", "veiligheid", set(ids))]
    set_boxes(case_db, dict.fromkeys(ids, 1), status="reviewed")
    assert [f for f in rules(case_db) if f.rule == "completeness.box_flagged"] == []


def test_untranscribed_region_is_a_warning(case_db: sqlite3.Connection) -> None:  # noqa: F811
    region = "2:sessie:opvallende_momenten:moment_1"
    case_db.execute("UPDATE region_values SET status = 'pending', transcription = NULL WHERE region_id = ?", (region,))
    found = rules(case_db)
    assert [(f.rule, f.severity, f.participant, f.slot, f.detail) for f in found] == [
        ("completeness.region_untranscribed", "warning", "sessie", "2", region)]
    assert "Opvallend moment 1" in found[0].message


@pytest.mark.parametrize(("values", "rule"), [((), "rating.none"), ((1, 2), "rating.multiple")])
@pytest.mark.parametrize(("slot", "who", "dimension"), [("1", "C3", "emotionele_band"),
                                                       ("consensus", "gezin", "gezamenlijke_doelperceptie"),
                                                       ("2", "sessie", "taalgebruik")])
def test_rating_row_needs_exactly_one_value(case_db: sqlite3.Connection, values: tuple[int, ...], rule: str,  # noqa: F811
                                            slot: str, who: str, dimension: str) -> None:
    rate(case_db, slot, who, dimension, *values)
    found = rules(case_db)
    assert [(f.rule, f.severity, f.participant, f.slot, f.dimension) for f in found] == [
        (rule, "error", who, slot, dimension)]
    assert all(f"{slot}:{who}:{dimension}:v{v:+d}" in found[0].box_ids for v in values)
    rate(case_db, slot, who, dimension, 0)
    assert rules(case_db) == []


@pytest.mark.parametrize(("dimension", "values", "rule"), [
    ("spreektijd_balans", (), "self_assessment.none"),
    ("spreektijd_balans", (3, 8), "self_assessment.multiple"),
    ("veiligheid", (), "self_assessment.none"),
    ("taalgebruik", (-1, 2), "self_assessment.multiple"),
])
def test_self_assessment_scales(case_db: sqlite3.Connection, dimension: str, values: tuple[int, ...],  # noqa: F811
                                rule: str) -> None:
    rate(case_db, None, "H1", dimension, *values)
    found = rules(case_db)
    assert [(f.rule, f.participant, f.slot, f.dimension) for f in found] == [(rule, "H1", None, dimension)]
    assert "zelfbeoordeling" in found[0].message


def test_self_assessment_balance_single_value_passes(case_db: sqlite3.Connection) -> None:  # noqa: F811
    rate(case_db, None, "H1", "spreektijd_balans", 10)
    rate(case_db, None, "H1", "taalgebruik", -3)
    assert rules(case_db) == []


def test_marks_beyond_the_session_length(case_db: sqlite3.Connection) -> None:  # noqa: F811
    """Forms printed for 60 minutes, manifest corrected to 50: marks after minute 50 are errors."""
    case_db.execute("UPDATE cases SET manifest_json = json_set(manifest_json, '$.minutes', 50) WHERE case_id = ?",
                    (CASE,))
    ids = tick(case_db, "1", "C1", "betrokkenheid", [(1, 10)])
    rate(case_db, "1", "C1", "betrokkenheid", 1)
    assert [f.rule for f in rules(case_db) if f.rule == "ticks.beyond_session"] == []
    late = tick(case_db, "1", "C1", "betrokkenheid", [(1, 11), (2, 12)])
    set_boxes(case_db, {"2:H1:spreektijd:b101": 1, "2:H1:spreektijd:b100": 1})
    found = [f for f in rules(case_db) if f.rule == "ticks.beyond_session"]
    assert [(f.severity, f.participant, f.slot, f.dimension, set(f.box_ids)) for f in found] == [
        ("error", "C1", "1", "betrokkenheid", set(late)),
        ("error", "H1", "2", "spreektijd", {"2:H1:spreektijd:b101"}),
    ]
    assert ids[0] not in found[0].box_ids and "50 minuten" in found[0].message
