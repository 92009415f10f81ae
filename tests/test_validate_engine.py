"""validate_case / validate_cases: the JSON contract, accepted warnings and agreement figures."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from test_validate_fixtures import CASE, case_db, rate, sample, set_boxes, tick  # noqa: F401

from softa.db import connect, register_case
from softa.errors import SoftaError
from softa.manifest import parse_manifest
from validate import ValidationReport, accept_finding, validate_case, validate_cases
from validate.model import AgreementBlock

FINDING_KEYS = {"case", "participant", "slot", "dimension", "rule", "severity", "message", "key", "detail",
                "box_ids", "accepted", "accepted_note"}
BLOCK_KEYS = {"scope", "case", "measure", "group", "group_label", "participant", "dimension", "item", "version",
              "figures"}
FIGURE_KEYS = {"name", "value", "method", "n", "note", "ci_low", "ci_high", "indicative"}


def _block(blocks: tuple[AgreementBlock, ...], group: str, **where: object) -> AgreementBlock:
    hits = [b for b in blocks if b.group == group
            and all(getattr(b, k) == v for k, v in {"participant": None, "dimension": None, "item": None,
                                                      **where}.items())]
    assert len(hits) == 1, (group, where, [b.scope for b in hits])
    return hits[0]


def _figure(block: AgreementBlock, name: str) -> float | None:
    return next(f.value for f in block.figures if f.name == name)


def _n(block: AgreementBlock) -> int:
    return block.figures[0].n


def test_json_has_the_issue_names(case_db: sqlite3.Connection) -> None:  # noqa: F811
    rate(case_db, "1", "C1", "betrokkenheid", 2)  # no ticks: guideline.no_ticks_zero
    rate(case_db, "2", "C2", "veiligheid")  # empty row: rating.none
    data = validate_cases(case_db).to_json()
    text = json.dumps(data, allow_nan=False)  # no NaN may leak into the JSON
    assert set(json.loads(text)) >= {"findings", "agreement"}
    assert {(f["rule"], f["severity"]) for f in data["findings"]} == {
        ("guideline.no_ticks_zero", "warning"), ("rating.none", "error")}
    for finding in data["findings"]:
        assert set(finding) == FINDING_KEYS
        assert finding["case"] == CASE and finding["slot"] in ("1", "2", "consensus", None)
        assert isinstance(finding["box_ids"], list) and finding["box_ids"]
    for block in data["agreement"]:
        assert set(block) == BLOCK_KEYS and block["measure"] in ("ticks", "ratings", "speaking_time")
        for fig in block["figures"]:
            assert set(fig) == FIGURE_KEYS and fig["method"] and isinstance(fig["n"], int)
        assert block["group"] and block["group_label"] and "alle beoordelingen" not in block["scope"]
    # errors come first
    assert data["findings"][0]["severity"] == "error"


def test_accepted_warning_is_reported_but_not_open(case_db: sqlite3.Connection) -> None:  # noqa: F811
    rate(case_db, "1", "C1", "betrokkenheid", 2)
    (warning,) = validate_case(case_db, CASE).open_warnings
    accept_finding(case_db, CASE, warning.key, warning.rule, "Moeder was zeer betrokken maar zweeg", "docent")
    result = validate_case(case_db, CASE)
    assert result.open_warnings == ()
    (accepted,) = result.findings
    assert accepted.accepted and accepted.accepted_note == "Moeder was zeer betrokken maar zweeg"
    assert accepted.key == warning.key
    audit = case_db.execute("SELECT actor, action, case_id, target, note FROM audit_log").fetchall()
    assert [tuple(r) for r in audit] == [("docent", "accept_finding", CASE, warning.key,
                                          "Moeder was zeer betrokken maar zweeg")]
    # another rating that breaks the same guideline is a new finding: the note was about +2
    rate(case_db, "1", "C1", "betrokkenheid", 3)
    (reopened,) = validate_case(case_db, CASE).open_warnings
    assert reopened.rule == warning.rule and reopened.key != warning.key
    rate(case_db, "1", "C1", "betrokkenheid", 2)
    assert validate_case(case_db, CASE).open_warnings == ()


def test_acceptance_is_per_finding(case_db: sqlite3.Connection) -> None:  # noqa: F811
    rate(case_db, "1", "C1", "betrokkenheid", 2)
    rate(case_db, "2", "C1", "betrokkenheid", 1)
    warnings = [f for f in validate_case(case_db, CASE).open_warnings if f.rule != "consensus.between_observers"]
    first, second = sorted(warnings, key=lambda f: f.slot or "")
    assert (first.rule, first.slot, second.rule, second.slot) == (
        "guideline.no_ticks_zero", "1", "guideline.no_ticks_zero", "2")
    accept_finding(case_db, CASE, first.key, first.rule, "klopt", "docent")
    still_open = [f.key for f in validate_case(case_db, CASE).open_warnings if f.rule == first.rule]
    assert still_open == [second.key]


def test_errors_and_empty_notes_cannot_be_accepted(case_db: sqlite3.Connection) -> None:  # noqa: F811
    rate(case_db, "1", "C1", "betrokkenheid")
    (error,) = validate_case(case_db, CASE).errors
    with pytest.raises(SoftaError, match="cannot be accepted"):
        accept_finding(case_db, CASE, error.key, error.rule, "toch goed", "docent")
    with pytest.raises(SoftaError, match="needs a note"):
        accept_finding(case_db, CASE, "guideline.no_ticks_zero|C1|1|betrokkenheid|betrokkenheid=+2",
                       "guideline.no_ticks_zero", "  ", "docent")
    assert case_db.execute("SELECT COUNT(*) FROM finding_acceptances").fetchone()[0] == 0
    assert case_db.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0] == 0


def test_tick_agreement_counts_only_read_cells(case_db: sqlite3.Connection) -> None:  # noqa: F811
    manifest, layout = sample()
    tick_cells = sum(1 for b in layout.boxes() if b.kind == "tick" and b.slot == "1")
    blocks = validate_case(case_db, CASE).agreement
    client = _block(blocks, "ticks.version", case=CASE, version="client")
    worker = _block(blocks, "ticks.version", case=CASE, version="therapist")
    assert _n(client) + _n(worker) == tick_cells
    # nobody ticked anything: agreement 100 %, kappa undefined (not 0 or 1)
    assert _figure(client, "percent_agreement") == 1.0 and _figure(client, "cohen_kappa") is None
    tick(case_db, "1", "C1", "betrokkenheid", [(1, 1), (1, 2), (3, 4)])
    tick(case_db, "2", "C1", "betrokkenheid", [(1, 1), (3, 4), (3, 5)])
    blocks = validate_case(case_db, CASE).agreement
    item1 = _block(blocks, "ticks.item", case=CASE, participant="C1", dimension="betrokkenheid", item=1)
    assert _n(item1) == manifest.windows and item1.version == "client"
    assert _figure(item1, "percent_agreement") == pytest.approx((manifest.windows - 1) / manifest.windows)
    dim = _block(blocks, "ticks.dimension", case=CASE, participant="C1", dimension="betrokkenheid")
    assert _figure(dim, "percent_agreement") == pytest.approx(1 - 2 / _n(dim))
    assert _figure(dim, "positive_agreement") == pytest.approx(2 * 2 / (3 + 3))
    person = _block(blocks, "ticks.participant", case=CASE, participant="C1", version="client")
    assert _n(person) > _n(dim)
    # observer 2's first C1 page not scanned: its cells drop out of n
    page = next(p for p in layout.pages if (p.form, p.participant, p.slot, p.page) == ("client", "C1", "2", 1))
    unread = [b.id for b in page.boxes if b.kind == "tick"]
    case_db.execute(f"DELETE FROM box_values WHERE box_id IN ({','.join('?' * len(unread))})", unread)
    client = _block(validate_case(case_db, CASE).agreement, "ticks.version", case=CASE, version="client")
    assert _n(client) + _n(worker) == tick_cells - len(unread)


def test_rating_agreement_per_named_group(case_db: sqlite3.Connection) -> None:  # noqa: F811
    """Each worker, each client, the family GD and taalgebruik are separate groups; nothing is pooled."""
    blocks = validate_case(case_db, CASE).agreement
    rating_groups = sorted((b.group, b.participant) for b in blocks if b.measure == "ratings")
    assert rating_groups == [("ratings.client", "C1"), ("ratings.client", "C2"), ("ratings.client", "C3"),
                             ("ratings.family", "gezin"), ("ratings.taalgebruik", "sessie"),
                             ("ratings.worker", "H1")]
    worker = _block(blocks, "ratings.worker", case=CASE, participant="H1")
    assert _n(worker) == 4  # the worker's four dimensions, self-assessment excluded
    rate(case_db, "2", "C1", "betrokkenheid", 2)
    rate(case_db, "2", "C1", "veiligheid", 1)
    blocks = validate_case(case_db, CASE).agreement
    c1 = _block(blocks, "ratings.client", case=CASE, participant="C1")
    assert _n(c1) == 3
    assert _figure(c1, "exact_agreement") == pytest.approx(1 / 3)
    assert _figure(c1, "within_one_agreement") == pytest.approx(2 / 3)
    assert all(f.indicative for f in c1.figures)  # n = 3 is indicative only
    family = _block(blocks, "ratings.family", case=CASE, participant="gezin", dimension="gezamenlijke_doelperceptie")
    assert _n(family) == 1 and _figure(family, "exact_agreement") == 1.0


def test_speaking_agreement_per_participant_and_case(case_db: sqlite3.Connection) -> None:  # noqa: F811
    set_boxes(case_db, {f"1:C3:spreektijd:b{b:03d}": 1 for b in range(1, 11)})
    set_boxes(case_db, {f"2:C3:spreektijd:b{b:03d}": 1 for b in range(3, 11)})
    set_boxes(case_db, {f"2:C1:spreektijd:b{b:03d}": 1 for b in range(1, 3)})
    blocks = validate_case(case_db, CASE).agreement
    speaking = _block(blocks, "speaking_time.participant", case=CASE, participant="C3", dimension="spreektijd")
    manifest, _ = sample()
    assert _n(speaking) == manifest.bins
    positive = next(f for f in speaking.figures if f.name == "positive_agreement")
    assert positive.value == pytest.approx(2 * 8 / (10 + 8)) and positive.n == 10  # bins anyone marked
    assert _figure(speaking, "speaking_seconds_abs_diff") == 2 * 30
    whole = _block(blocks, "speaking_time.case", case=CASE, dimension="spreektijd")
    # C3: observer 1 two bins more; C1: observer 2 two bins more. The differences add up, they do not cancel.
    assert _figure(whole, "speaking_seconds_abs_diff") == 4 * 30


def test_overall_agreement_pools_cases(case_db: sqlite3.Connection, tmp_path: Path) -> None:  # noqa: F811
    manifest, _ = sample()
    other = parse_manifest({**manifest.to_dict(), "case": "2024-018"})
    from formgen import build_layout

    register_case(case_db, other, build_layout(other))
    report = validate_cases(case_db)
    assert isinstance(report, ValidationReport) and [c.case for c in report.cases] == [CASE, "2024-018"]
    one = _n(_block(report.cases[0].agreement, "ticks.version", case=CASE, version="client"))
    overall = _block(report.overall, "ticks.version", case=None, version="client")
    assert _n(overall) == one  # the new case has nothing scanned: no cells
    assert {b.group for b in report.overall if b.measure == "ratings"} == {
        "ratings.worker", "ratings.clients", "ratings.family", "ratings.taalgebruik", "ratings.worker_dimension",
        "ratings.client_dimension"}
    assert {f.rule for f in report.cases[1].findings} == {"completeness.page_missing"}
    only = validate_cases(case_db, [CASE])
    assert [c.case for c in only.cases] == [CASE]
    per_item = [b for b in report.overall if b.measure == "ticks" and b.item is not None]
    assert per_item and all(b.version in ("client", "therapist") and b.participant is None for b in per_item)


def test_validate_case_on_sample_truth(tmp_path: Path) -> None:
    """The simulated codings (which mostly follow the guidelines) validate without errors."""
    from test_validate_fixtures import scan_pages

    from samples.truth import simulate_coding, store_truth

    manifest, layout = sample()
    conn = connect(tmp_path / "truth.sqlite")
    register_case(conn, manifest, layout)
    scan_pages(conn, CASE, [p.index for p in layout.pages])
    store_truth(conn, CASE, simulate_coding(manifest, layout, seed=3))
    result = validate_case(conn, CASE)
    assert result.errors == ()
    ratings = _block(result.agreement, "ratings.worker", case=CASE, participant="H1")
    assert _n(ratings) > 0 and _figure(ratings, "within_one_agreement") is not None
