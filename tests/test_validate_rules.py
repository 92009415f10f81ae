"""Every rating guideline, item and consensus rule: a case that triggers it and one that does not."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from test_validate_fixtures import CASE, case_db, rate, tick  # noqa: F401  (case_db is a fixture)

from softa.instrument import load_instrument
from validate.casedata import CaseData
from validate.engine import RULES, check_case
from validate.model import Finding
from validate.wording import EXAMPLES, QUOTES

MANUAL = Path("/work/shared/seed/000_8925c79dc77f653f.txt")
SESSION_WINDOWS = 12  # the sample case lasts 60 minutes


def findings(conn: sqlite3.Connection, rule: str) -> list[Finding]:
    everything = check_case(CaseData.load(conn, CASE))
    assert all(RULES[f.rule] == f.severity for f in everything)
    assert len({f.key for f in everything}) == len(everything)  # keys identify findings
    return [f for f in everything if f.rule == rule]


def spread(items: list[int], windows: range) -> list[tuple[int, int]]:
    return [(i, w) for i in items for w in windows]


# (rule, participant, dimension, ticked cells, rating that triggers, rating that does not)
INDIVIDUAL_CASES = [
    ("guideline.no_ticks_zero", "C1", "betrokkenheid", [], 1, 0),
    ("guideline.no_ticks_zero", "H1", "veiligheid", [], -1, 0),
    ("guideline.only_negative_below_zero", "C1", "emotionele_band", [(8, 1)], 0, -1),
    ("guideline.only_negative_below_zero", "H1", "betrokkenheid", [(11, 3)], 1, -1),
    # -3 needs clearly negative behaviour: two windows out of twelve is not.
    ("guideline.minus3_clearly_negative", "C1", "veiligheid", [(10, 1), (11, 2)], -3, -1),
    # client Emotionele band has a non-verbal negative item (7): -2 needs verbal and non-verbal.
    ("guideline.minus2_variety", "C1", "emotionele_band", [(8, 1), (9, 2)], -2, -1),
    ("guideline.minus2_variety", "H1", "betrokkenheid", [(11, 1), (11, 5)], -2, -1),
    ("guideline.minus1_few", "C2", "veiligheid", [(8, 1), (10, 2), (11, 3)], -1, -2),
    ("guideline.only_positive_above_zero", "C2", "betrokkenheid", [(1, 1)], 0, 1),
    ("guideline.only_positive_above_zero", "H1", "veiligheid", [(1, 1)], -1, 1),
    # open body posture (item 4) is non-verbal only.
    ("guideline.only_nonverbal_plus1", "C2", "veiligheid", [(4, 1), (4, 2)], 2, 1),
    # one item in two of twelve windows: neither variety nor a fair part of the session.
    ("guideline.plus2_variety", "C2", "betrokkenheid", spread([1], range(1, 3)), 2, 1),
    ("guideline.plus3_clearly_strong", "H1", "emotionele_band", [(1, 1), (2, 2)], 3, 2),
    ("guideline.mixed_within_one", "C3", "betrokkenheid", [(1, 1), (10, 2)], 2, 1),
    ("guideline.mixed_within_one", "C3", "emotionele_band", [(1, 1), (7, 2)], -2, -1),
]


@pytest.mark.parametrize("slot", ["1", "consensus"])
@pytest.mark.parametrize(("rule", "who", "dimension", "cells", "bad", "good"), INDIVIDUAL_CASES)
def test_individual_guideline(case_db: sqlite3.Connection, slot: str, rule: str, who: str,  # noqa: F811
                              dimension: str, cells: list[tuple[int, int]], bad: int, good: int) -> None:
    ids = tick(case_db, slot, who, dimension, cells)
    rate(case_db, slot, who, dimension, good)
    assert findings(case_db, rule) == []
    rate(case_db, slot, who, dimension, bad)
    found = findings(case_db, rule)
    assert [(f.participant, f.slot, f.dimension, f.severity) for f in found] == [(who, slot, dimension, "warning")]
    assert set(ids) | {f"{slot}:{who}:{dimension}:v{bad:+d}"} == set(found[0].box_ids)
    where, words = QUOTES[rule]
    assert words in found[0].message and where in found[0].message


# Cases where variety or clarity is there, so the stricter ratings are fine.
SATISFIED_CASES = [
    ("C1", "veiligheid", spread([8, 10, 11], range(1, 7)), -3),
    ("C1", "emotionele_band", [(7, 1), (8, 2)], -2),
    ("H1", "betrokkenheid", [(11, 1), (12, 4)], -2),  # therapist form: no non-verbal items to require
    ("C2", "betrokkenheid", [(1, 1), (3, 4)], 2),
    ("C2", "betrokkenheid", [(8, 1), (3, 4)], 2),
    ("H1", "emotionele_band", spread([1, 2], range(1, 7)), 3),
    ("C3", "betrokkenheid", [(1, 1), (10, 2)], 0),
]


@pytest.mark.parametrize(("who", "dimension", "cells", "rating"), SATISFIED_CASES)
def test_guidelines_satisfied(case_db: sqlite3.Connection, who: str, dimension: str,  # noqa: F811
                              cells: list[tuple[int, int]], rating: int) -> None:
    tick(case_db, "2", who, dimension, cells)
    rate(case_db, "2", who, dimension, rating)
    assert [f.rule for f in check_case(CaseData.load(case_db, CASE)) if f.slot == "2"] == []


# (rule, {member: GD cells}, rating that triggers, rating that does not)
FAMILY_CASES = [
    ("gd.no_ticks_zero", {}, -1, 0),
    ("gd.all_positive_at_least_plus1", {"C1": [(1, 1)], "C2": [(2, 3)], "C3": [(3, 5)]}, 0, 1),
    ("gd.one_member_negative", {"C1": [(7, 1)]}, -3, -2),
    ("gd.one_member_negative", {"C1": [(7, 1)]}, 0, -1),
    ("gd.several_members_negative", {"C1": [(7, 1)], "C2": [(8, 2)]}, -1, -3),
    ("gd.mixed", {"C1": [(1, 1)], "C2": [(7, 2)]}, 2, 0),
    ("gd.mixed", {"C1": [(1, 1)], "C2": [(7, 2)]}, -2, -1),
    # two members negative and one positive: richtlijn 5 (-3/-2) and 6 (-1..+1) cannot both hold; -2/-1 closest.
    ("gd.mixed", {"C1": [(7, 1)], "C2": [(8, 2)], "C3": [(1, 3)]}, 1, -2),
    ("gd.mixed", {"C1": [(7, 1)], "C2": [(8, 2)], "C3": [(1, 3)]}, -3, -1),
    # one member both positive and negative, nobody else: richtlijn 4 and 6 both hold only at -1.
    ("gd.mixed", {"C1": [(7, 1), (1, 2)]}, 0, -1),
    ("gd.open_disagreement_minus3", {"C2": [(11, 4)]}, -2, -3),
]


@pytest.mark.parametrize(("rule", "cells", "bad", "good"), FAMILY_CASES)
def test_family_guideline(case_db: sqlite3.Connection, rule: str, cells: dict[str, list[tuple[int, int]]],  # noqa: F811
                          bad: int, good: int) -> None:
    ids = [i for member, member_cells in cells.items()
           for i in tick(case_db, "2", member, "gezamenlijke_doelperceptie", member_cells)]
    rate(case_db, "2", "gezin", "gezamenlijke_doelperceptie", good)
    assert findings(case_db, rule) == []
    rate(case_db, "2", "gezin", "gezamenlijke_doelperceptie", bad)
    found = findings(case_db, rule)
    assert [(f.participant, f.slot, f.dimension) for f in found] == [("gezin", "2", "gezamenlijke_doelperceptie")]
    assert set(ids) <= set(found[0].box_ids)
    assert f"2:gezin:gezamenlijke_doelperceptie:v{bad:+d}" in found[0].box_ids
    assert QUOTES[rule][1] in found[0].message


def test_family_silent_when_only_some_members_positive(case_db: sqlite3.Connection) -> None:  # noqa: F811
    """Richtlijn 3 needs a positive for every member; the manual says nothing otherwise."""
    tick(case_db, "1", "C1", "gezamenlijke_doelperceptie", [(1, 1)])
    rate(case_db, "1", "gezin", "gezamenlijke_doelperceptie", 0)
    assert [f.rule for f in check_case(CaseData.load(case_db, CASE)) if f.rule.startswith("gd.")] == []


def test_worker_gezamenlijke_doelperceptie_has_no_guideline(case_db: sqlite3.Connection) -> None:  # noqa: F811
    """The manual gives Gezamenlijke doelperceptie rules only "In de cliënt versie": the worker's is not checked."""
    tick(case_db, "1", "H1", "gezamenlijke_doelperceptie", [(1, 1)])
    for rating in (-3, 0, 3):
        rate(case_db, "1", "H1", "gezamenlijke_doelperceptie", rating)
        assert [f.rule for f in check_case(CaseData.load(case_db, CASE)) if f.participant == "H1"] == []


def test_family_rules_ignore_the_worker_ticks(case_db: sqlite3.Connection) -> None:  # noqa: F811
    """The worker's own GD ticks feed the worker's rating, not the family's."""
    tick(case_db, "1", "H1", "gezamenlijke_doelperceptie", [(8, 1)])
    rate(case_db, "1", "H1", "gezamenlijke_doelperceptie", -1)
    assert [f.rule for f in check_case(CaseData.load(case_db, CASE))] == []


def _flagged_item(flag: str) -> tuple[str, str, int]:
    items = [i for i in load_instrument().items if getattr(i, flag)]
    assert len(items) == 1
    return items[0].version, items[0].dimension, items[0].number


def test_once_per_session_item(case_db: sqlite3.Connection) -> None:  # noqa: F811
    version, dimension, number = _flagged_item("once_per_session")
    assert (version, dimension, number) == ("client", "veiligheid", 2)  # manual, Bijlage 1
    tick(case_db, "consensus", "C1", dimension, [(number, 3)])
    rate(case_db, "consensus", "C1", dimension, 1)
    assert findings(case_db, "item.veiligheid2_once") == []
    ids = tick(case_db, "consensus", "C1", dimension, [(number, 7)])
    found = findings(case_db, "item.veiligheid2_once")
    assert [(f.participant, f.slot, f.severity) for f in found] == [("C1", "consensus", "warning")]
    assert ids[0] in found[0].box_ids and "minuut 30-35" in found[0].message


def test_end_of_session_item(case_db: sqlite3.Connection) -> None:  # noqa: F811
    version, dimension, number = _flagged_item("end_of_session")
    assert (version, dimension, number) == ("therapist", "gezamenlijke_doelperceptie", 9)
    tick(case_db, "1", "H1", dimension, [(number, SESSION_WINDOWS)])
    rate(case_db, "1", "H1", dimension, -1)
    assert findings(case_db, "item.therapist_gd9_end") == []
    tick(case_db, "1", "H1", dimension, [(number, 5)])
    found = findings(case_db, "item.therapist_gd9_end")
    assert [(f.participant, f.slot) for f in found] == [("H1", "1")]


@pytest.mark.parametrize(("who", "dimension"), [("C1", "betrokkenheid"), ("sessie", "taalgebruik"),
                                                 ("gezin", "gezamenlijke_doelperceptie")])
def test_consensus_between_observers(case_db: sqlite3.Connection, who: str, dimension: str) -> None:  # noqa: F811
    rate(case_db, "1", who, dimension, 0)
    rate(case_db, "2", who, dimension, 1)
    for inside in (0, 1):
        rate(case_db, "consensus", who, dimension, inside)
        assert findings(case_db, "consensus.between_observers") == []
    rate(case_db, "consensus", who, dimension, -1)
    found = findings(case_db, "consensus.between_observers")
    assert [(f.participant, f.slot, f.dimension) for f in found] == [(who, "consensus", dimension)]
    assert len(found[0].box_ids) == 3


def test_guidelines_use_best_guess_but_skip_unscanned_ticks(case_db: sqlite3.Connection) -> None:  # noqa: F811
    """Without the tick page the guideline cannot be judged: no warning, only the missing page."""
    rate(case_db, "1", "C1", "veiligheid", 2)
    assert findings(case_db, "guideline.no_ticks_zero")
    ids = [r[0] for r in case_db.execute(
        "SELECT box_id FROM layout_boxes WHERE case_id = ? AND grp LIKE '1:C1:veiligheid:i%'", (CASE,))]
    case_db.execute(f"DELETE FROM box_values WHERE box_id IN ({','.join('?' * len(ids))})", ids)
    assert findings(case_db, "guideline.no_ticks_zero") == []


def _normalise(text: str) -> str:
    text = re.sub(r"-\s+", "-", text.replace("’", "'"))  # words broken over lines: "non-\nverbale"
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.skipif(not MANUAL.exists(), reason="the manual is not on this machine")
def test_quotes_are_the_manuals_words() -> None:
    manual = _normalise(MANUAL.read_text(encoding="utf-8"))
    for rule, (_, words) in (*QUOTES.items(), *EXAMPLES.items()):
        assert _normalise(words) in manual, rule


def test_minus1_few_says_what_the_form_offers(case_db: sqlite3.Connection) -> None:  # noqa: F811
    """The worker's forms have no non-verbal items: the warning must not claim non-verbal behaviour."""
    tick(case_db, "1", "H1", "betrokkenheid", [(11, 1), (12, 4)])
    rate(case_db, "1", "H1", "betrokkenheid", -1)
    tick(case_db, "1", "C2", "veiligheid", [(8, 1), (10, 2), (11, 3)])
    rate(case_db, "1", "C2", "veiligheid", -1)
    found = {f.participant: f.message for f in findings(case_db, "guideline.minus1_few")}
    assert "verbale (dit formulier kent geen non-verbale) negatieve" in found["H1"]
    assert "verbale én non-verbale negatieve gedragingen, wat bij -2 past" in found["C2"]
