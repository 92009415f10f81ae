"""Every guideline of the manual, one test each with its words; and a 45-pattern audit of ticks x ratings.

The audit runs each tick pattern through the rules with every rating -3..+3 and
compares the outcome with what the manual says (docs/richtlijnen.md). Tokens:
``.`` silent; otherwise the rule expected (see ``TOKENS``).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest
from test_validate_fixtures import CASE, case_db, rate, tick  # noqa: F401  (case_db is a fixture)

from softa.instrument import Version, load_instrument
from validate.casedata import CaseData, Tick
from validate.engine import check_case
from validate.rules import (
    CLEAR_WINDOW_SHARE,
    FAIR_WINDOW_SHARE,
    SCALE,
    Pattern,
    family_admissible,
    family_rule_broken,
    has_individual_guidelines,
    individual_rule,
)
from validate.wording import EXAMPLES, QUOTES

WINDOWS = 12  # a 60-minute session: twelve 5-minute windows
FAIR = round(FAIR_WINDOW_SHARE * WINDOWS)  # 3 windows: "een redelijk deel van de sessie"
WHOLE = round(CLEAR_WINDOW_SHARE * WINDOWS)  # 6 windows: read as "de hele sessie"
MEMBERS = ("C1", "C2", "C3")

TOKENS = {
    "Z": "guideline.no_ticks_zero", "N": "guideline.only_negative_below_zero",
    "M3": "guideline.minus3_clearly_negative", "M2": "guideline.minus2_variety", "M1": "guideline.minus1_few",
    "P": "guideline.only_positive_above_zero", "NV": "guideline.only_nonverbal_plus1",
    "P2": "guideline.plus2_variety", "P3": "guideline.plus3_clearly_strong", "X": "guideline.mixed_within_one",
    "g2": "gd.no_ticks_zero", "g3": "gd.all_positive_at_least_plus1", "g4": "gd.one_member_negative",
    "g5": "gd.several_members_negative", "g6": "gd.mixed", "g7": "gd.open_disagreement_minus3",
}


def pattern(version: Version, dimension: str, cells: Sequence[tuple[int, int]]) -> Pattern:
    instrument = load_instrument()
    ticks = tuple(Tick(instrument.item(version, dimension, item), window, f"{item}:{window}")
                  for item, window in cells)
    return Pattern(ticks, instrument.items_of(version, dimension))


def family(cells: dict[str, list[tuple[int, int]]]) -> dict[str, Pattern]:
    return {m: pattern("client", "gezamenlijke_doelperceptie", cells.get(m, [])) for m in MEMBERS}


def windows(item: int, count: int) -> list[tuple[int, int]]:
    return [(item, w) for w in range(1, count + 1)]


def outcome(p: Pattern, rating: int) -> str | None:
    broken = individual_rule(p, rating, WINDOWS)
    return broken[0] if broken else None


def expect(tokens: str) -> list[str | None]:
    parts = tokens.split()
    assert len(parts) == len(SCALE)
    return [None if t == "." else TOKENS[t] for t in parts]


# (what, version, dimension, cells, outcome for -3 -2 -1 0 +1 +2 +3)
INDIVIDUAL_AUDIT = [
    ("nothing ticked", "client", "betrokkenheid", [], "Z Z Z . Z Z Z"),
    ("nothing ticked, worker", "therapist", "veiligheid", [], "Z Z Z . Z Z Z"),
    ("refuses to respond once (example: -1)", "client", "emotionele_band", [(8, 1)], "M3 M2 . N N N N"),
    ("refuses in two windows", "client", "emotionele_band", windows(8, 2), "M3 M2 . N N N N"),
    ("refuses a fair part of the session (example: -2 kan)", "client", "emotionele_band", windows(8, FAIR),
     "M3 . . N N N N"),
    ("refuses through the session (example: -3)", "client", "emotionele_band", windows(8, WHOLE),
     ". . M1 N N N N"),
    ("refuses in every window", "client", "emotionele_band", windows(8, WINDOWS), ". . M1 N N N N"),
    ("avoids eye contact once (non-verbal)", "client", "emotionele_band", [(7, 1)], "M3 M2 . N N N N"),
    ("avoids eye contact through the session (non-verbal may last)", "client", "emotionele_band",
     windows(7, WHOLE), ". . . N N N N"),
    ("verbal and non-verbal negative, once each", "client", "emotionele_band", [(7, 1), (8, 2)],
     "M3 . M1 N N N N"),
    ("two verbal negatives, no non-verbal", "client", "emotionele_band", [(8, 1), (9, 2)], "M3 M2 . N N N N"),
    ("worker: two different negatives", "therapist", "betrokkenheid", [(11, 1), (12, 4)], "M3 . M1 N N N N"),
    ("worker: one negative in two windows", "therapist", "betrokkenheid", [(11, 1), (11, 5)],
     "M3 M2 . N N N N"),
    ("varied negatives through the session", "client", "veiligheid",
     [*windows(8, WHOLE), *windows(10, WHOLE), *windows(11, WHOLE)], ". . M1 N N N N"),
    ("varied negatives, fair part", "client", "emotionele_band", [*windows(8, FAIR), (7, 5)], "M3 . M1 N N N N"),
    ("agrees to homework once (example: +1)", "client", "betrokkenheid", [(4, 1)], "P P P P . P2 P2"),
    ("one positive in two windows", "client", "betrokkenheid", windows(1, 2), "P P P P . P2 P2"),
    ("one positive a fair part of the session", "client", "betrokkenheid", windows(2, FAIR), "P P P P . . P3"),
    ("one positive through the session", "client", "betrokkenheid", windows(2, WHOLE), "P P P P . . ."),
    ("two verbal positives once each", "client", "betrokkenheid", [(1, 1), (3, 4)], "P P P P . . P3"),
    ("verbal and non-verbal positive", "client", "betrokkenheid", [(8, 1), (3, 4)], "P P P P . . P3"),
    ("varied positives through the session", "client", "betrokkenheid", [*windows(1, WHOLE), *windows(3, 2)],
     "P P P P . . ."),
    ("open posture only (non-verbal)", "client", "veiligheid", [(4, 1), (4, 2)], "P P P P . NV NV"),
    ("mirrors posture all session (non-verbal)", "client", "emotionele_band", windows(6, WINDOWS),
     "P P P P . NV NV"),
    ("cries once (example: +2)", "client", "veiligheid", [(3, 2)], "P P P P . . P3"),
    ("shows vulnerability through the session", "client", "veiligheid", windows(3, WHOLE), "P P P P . . ."),
    ("worker: one positive once", "therapist", "emotionele_band", [(1, 1)], "P P P P . P2 P2"),
    ("worker: two positives through the session", "therapist", "emotionele_band",
     [*windows(1, WHOLE), *windows(2, WHOLE)], "P P P P . . ."),
    ("positive and negative once each", "client", "betrokkenheid", [(1, 1), (10, 2)], "X X . . . X X"),
    ("positive all session, negative once", "client", "betrokkenheid", [*windows(1, WINDOWS), (10, 2)],
     "X X . . . X X"),
]

# (what, {member: GD cells}, outcome for -3 -2 -1 0 +1 +2 +3)
FAMILY_AUDIT = [
    ("nothing ticked", {}, "g2 g2 g2 . g2 g2 g2"),
    ("every member positive", {"C1": [(1, 1)], "C2": [(2, 3)], "C3": [(3, 5)]}, "g3 g3 g3 g3 . . ."),
    ("every member positive, non-verbal", {m: [(5, 2)] for m in MEMBERS}, "g3 g3 g3 g3 . . ."),
    ("two of three members positive (manual silent)", {"C1": [(1, 1)], "C2": [(2, 3)]}, ". . . . . . ."),
    ("one member negative", {"C1": [(7, 1)]}, "g4 . . g4 g4 g4 g4"),
    ("one member negative, non-verbal", {"C2": [(6, 1)]}, "g4 . . g4 g4 g4 g4"),
    ("one member negative, another positive", {"C1": [(7, 1)], "C2": [(1, 2)]}, "g6 g6 . . . g6 g6"),
    ("one member positive and negative (4 and 6: -1)", {"C1": [(7, 1), (1, 2)]}, "g6 g6 . g6 g6 g6 g6"),
    ("two members negative", {"C1": [(7, 1)], "C2": [(8, 2)]}, ". . g5 g5 g5 g5 g5"),
    ("three members negative", {m: [(9, 3)] for m in MEMBERS}, ". . g5 g5 g5 g5 g5"),
    ("two negative, one positive (5 vs 6)", {"C1": [(7, 1)], "C2": [(8, 2)], "C3": [(1, 3)]},
     "g6 . . g6 g6 g6 g6"),
    ("disagreement about the help, one member", {"C2": [(11, 4)]}, ". g7 g7 g7 g7 g7 g7"),
    ("disagreement, others positive", {"C1": [(1, 1)], "C2": [(11, 4)], "C3": [(2, 2)]}, ". g7 g7 g7 g7 g7 g7"),
    ("disagreement, two members", {"C1": [(11, 2)], "C2": [(11, 4)]}, ". g7 g7 g7 g7 g7 g7"),
    ("disagreement and another negative", {"C3": [(11, 4), (7, 5)]}, ". g7 g7 g7 g7 g7 g7"),
]


def test_the_audit_has_45_patterns() -> None:
    assert len(INDIVIDUAL_AUDIT) + len(FAMILY_AUDIT) == 45


@pytest.mark.parametrize(("what", "version", "dimension", "cells", "expected"), INDIVIDUAL_AUDIT,
                         ids=[a[0] for a in INDIVIDUAL_AUDIT])
def test_individual_audit(what: str, version: Version, dimension: str, cells: list[tuple[int, int]],
                          expected: str) -> None:
    p = pattern(version, dimension, cells)
    assert [outcome(p, r) for r in SCALE] == expect(expected), what


@pytest.mark.parametrize(("what", "cells", "expected"), FAMILY_AUDIT, ids=[a[0] for a in FAMILY_AUDIT])
def test_family_audit(what: str, cells: dict[str, list[tuple[int, int]]], expected: str) -> None:
    members = family(cells)
    assert [family_rule_broken(members, r) for r in SCALE] == expect(expected), what


def test_every_guideline_is_in_the_audit() -> None:
    """Each rule id the rating guidelines report is both triggered and passed somewhere in the audit."""
    seen = {TOKENS[t] for *_, tokens in (*INDIVIDUAL_AUDIT, *FAMILY_AUDIT) for t in tokens.split() if t != "."}
    rating_rules = {r for r in QUOTES if r.startswith(("guideline.", "gd."))}
    assert seen == rating_rules


# One test per guideline, with the manual's words.

def _silent(version: Version, dimension: str, cells: list[tuple[int, int]]) -> set[int]:
    p = pattern(version, dimension, cells)
    return {r for r in SCALE if individual_rule(p, r, WINDOWS) is None}


def test_individual_1_no_ticks_zero() -> None:
    """Richtlijn 1: "Als er geen markeringen van gedrag zijn gemaakt bij een dimensie is de beoordeling 0
    (d.w.z. niet van toepassing)." ... "Als er geen positieve of negatieve indicatoren zijn en de cliënt
    praat niet, is de score 0." """
    assert _silent("client", "betrokkenheid", []) == {0}
    assert _silent("therapist", "emotionele_band", []) == {0}


def test_individual_2_only_negative_below_zero() -> None:
    """Richtlijn 2: "Als er alleen negatieve indicatoren aangevinkt zijn, moet de beoordeling minder dan 0 zijn." """
    assert max(_silent("client", "veiligheid", windows(10, WINDOWS))) < 0


def test_individual_2_minus3_only_when_clearly_negative() -> None:
    """Richtlijn 2: "Geef bij een cliënt bij wie alleen negatieve indicatoren aanwezig zijn alleen een
    beoordeling -3 (zeer problematisch) als duidelijk is dat die persoon negatief tegenover de hulpverlening
    staat en dat duidelijk laat zien." Voorbeeld: "Als dit gedrag zich de hele sessie voordoet, zal de
    beoordeling -3 zijn." """
    assert -3 not in _silent("client", "emotionele_band", windows(8, WHOLE - 1))
    assert -3 in _silent("client", "emotionele_band", windows(8, WHOLE))


def test_individual_2_minus2_frequency_or_variety() -> None:
    """Richtlijn 2: "Het verschil tussen een beoordeling -2 (redelijk problematisch) en -1 (enigszins
    problematisch) betreft de frequentie en de mate van variatie in negatieve gedragingen. Een beoordeling -2
    (redelijk problematisch) wordt toegekend als er meerdere verschillende verbale én non-verbale negatieve
    gedragingen zijn gescoord." Voorbeeld: "Als de cliënt gedurende een redelijk deel van de sessie weigert te
    praten, kan de beoordeling -2 zijn." """
    assert -2 not in _silent("client", "emotionele_band", [(8, 1)])
    assert -2 in _silent("client", "emotionele_band", [(7, 1), (8, 2)])  # variety
    assert -2 in _silent("client", "emotionele_band", windows(8, FAIR))  # frequency, one item


def test_individual_2_minus1_few_and_the_same() -> None:
    """Richtlijn 2: "Een beoordeling -1 (enigszins problematisch) wordt toegekend als er weinig, enkel
    non-verbale en voornamelijk dezelfde negatieve gedragingen zijn gescoord." Voorbeeld: "Als dit eenmaal of
    minimaal voorkomt, zal de beoordeling -1 zijn." """
    assert -1 in _silent("client", "emotionele_band", [(8, 1)])
    assert -1 in _silent("client", "emotionele_band", windows(7, WINDOWS))  # enkel non-verbale, all session
    assert -1 not in _silent("client", "emotionele_band", [(7, 1), (8, 2)])
    assert -1 not in _silent("client", "emotionele_band", windows(8, WHOLE))


def test_individual_3_only_positive_above_zero() -> None:
    """Richtlijn 3: "Als er alleen positieve indicatoren aangevinkt zijn, dient de beoordeling hoger te zijn dan 0" """
    assert min(_silent("client", "betrokkenheid", windows(1, WINDOWS))) > 0


def test_individual_4_only_nonverbal_plus1() -> None:
    """Richtlijn 4: "Als er alleen positieve non-verbale indicatoren (open lichaamshouding, spiegelen van
    lichaamstaal) zijn aangevinkt dan is de beoordeling +1 (enigszins sterk)." """
    assert _silent("client", "veiligheid", windows(4, WINDOWS)) == {1}


def test_individual_4_5_plus2_variety() -> None:
    """Richtlijnen 4 en 5: "Om een beoordeling +2 (redelijk sterk) te geven, is er variatie in het soort
    positieve (verbale en non-verbale) gedragingen." Voorbeeld: "Als de cliënt bijvoorbeeld oprecht huilt,
    zal de beoordeling waarschijnlijk +2 zijn." """
    assert 2 not in _silent("client", "betrokkenheid", [(4, 1)])
    assert 2 in _silent("client", "betrokkenheid", [(4, 1), (2, 3)])
    assert 2 in _silent("client", "veiligheid", [(3, 2)])  # the manual's crying example


def test_individual_5_plus3_clearly_strong() -> None:
    """Richtlijn 5: "Een beoordeling van +3 wordt alleen gegeven als duidelijk is dat de hulpverlener grote
    inzet toont of dat de cliënt sterk geïnvesteerd heeft in de hulpverlening" """
    assert 3 not in _silent("therapist", "emotionele_band", [(1, 1), (2, 2)])
    assert 3 in _silent("therapist", "emotionele_band", [*windows(1, WHOLE), (2, 2)])


def test_individual_6_mixed_within_one() -> None:
    """Richtlijn 6: "Als er zowel positieve als negatieve indicatoren aangevinkt zijn, is de beoordeling -1,
    0 of +1." """
    assert _silent("client", "betrokkenheid", [(1, 1), (10, 2)]) == {-1, 0, 1}


def test_individual_7_minus3_not_engaged_at_all() -> None:
    """Richtlijn 7: "Een beoordeling van -3 (zeer problematisch) kan alleen gegeven worden als duidelijk is
    dat de cliënt absoluut en geheel niet betrokken is op de behandeling." Checked with richtlijn 2's -3:
    negative indicators only, through the session; never with any positive indicator."""
    assert -3 not in _silent("client", "betrokkenheid", [*windows(10, WINDOWS), (1, 1)])
    assert -3 in _silent("client", "betrokkenheid", windows(10, WINDOWS))


def test_individual_rules_name_three_dimensions() -> None:
    """"... de volgende richtlijnen te volgen voor de dimensie Betrokkenheid, Veiligheid en Emotionele Band";
    Gezamenlijke doelperceptie has rules only "In de cliënt versie", so the worker's is not checked."""
    assert not has_individual_guidelines("therapist", "gezamenlijke_doelperceptie")
    assert all(has_individual_guidelines(v, d) for v in ("client", "therapist")
               for d in ("betrokkenheid", "emotionele_band", "veiligheid"))


def _family_silent(cells: dict[str, list[tuple[int, int]]]) -> set[int]:
    members = family(cells)
    return {r for r in SCALE if family_rule_broken(members, r) is None}


def test_family_2_no_ticks_zero() -> None:
    """Richtlijn 2: "Als er voor geen van de gezinsleden indicatoren zijn, is de beoordeling 0 (d.w.z.:
    onopvallend)." """
    assert _family_silent({}) == {0}


def test_family_3_all_positive_at_least_plus1() -> None:
    """Richtlijn 3: "Als er minimaal 1 positieve en geen negatieve indicatoren gemarkeerd zijn voor elk
    gezinslid, is de beoordeling minimaal +1." """
    assert _family_silent({m: [(1, 1)] for m in MEMBERS}) == {1, 2, 3}


def test_family_4_one_member_negative() -> None:
    """Richtlijn 4: "Als er minimaal 1 negatieve indicator voor slechts één gezinslid en geen positieve
    indicatoren voor andere gezinsleden zijn, is de score -1 of -2" """
    assert _family_silent({"C3": [(8, 1), (8, 2)]}) == {-2, -1}


def test_family_5_several_members_negative() -> None:
    """Richtlijn 5: "Als twee of meer gezinsleden negatieve indicatoren laten zien is de score -3 of -2." """
    assert _family_silent({"C1": [(7, 1)], "C3": [(10, 2)]}) == {-3, -2}


def test_family_6_mixed() -> None:
    """Richtlijn 6: "Als er zowel positieve als negatieve indicatoren zijn voor welk gezinslid dan ook, is de
    score -1, 0 of +1." """
    assert _family_silent({"C1": [(7, 1)], "C2": [(1, 1)]}) == {-1, 0, 1}


def test_family_5_and_6_conflict_resolved_between_them() -> None:
    """Richtlijn 5 ("... is de score -3 of -2") and 6 ("... is de score -1, 0 of +1") both apply when two
    members are negative and one positive; no rating meets both, so the closest to both, -2 and -1, stand."""
    cells = {"C1": [(7, 1)], "C2": [(8, 2)], "C3": [(1, 3)]}
    assert _family_silent(cells) == {-2, -1}
    applies = family_admissible(family(cells))
    assert applies is not None and applies.cited == ("gd.several_members_negative", "gd.mixed")
    assert "sluiten elkaar uit" in applies.resolution


def test_family_7_major_disagreement_minus3() -> None:
    """Richtlijn 7: "Als er grote onenigheid tussen de gezinsleden wordt geuit in de sessie over de waarde van
    de hulpverlening of wat daarin bereikt gaat worden is de score -3, zelfs als er geen andere negatieve
    indicatoren zijn" """
    assert _family_silent({"C2": [(11, 4)]}) == {-3}
    members = family({"C2": [(11, 4)]})
    assert {family_rule_broken(members, r) for r in SCALE if r != -3} == {"gd.open_disagreement_minus3"}


def test_examples_are_cited_with_the_manuals_words() -> None:
    """The examples quoted in warnings are the manual's sentences (checked against the text in test_validate_rules)."""
    assert set(EXAMPLES) == {"example.refuses_once", "example.refuses_fair_part", "example.refuses_whole_session",
                             "example.cries_plus2"}


def test_rule7_warning_says_what_else_applies(case_db: sqlite3.Connection) -> None:  # noqa: F811
    """Richtlijn 7 asks its question once; no contradiction from 4 or 6, but the message says what they allow."""
    tick(case_db, "1", "C1", "gezamenlijke_doelperceptie", [(11, 2)])
    tick(case_db, "1", "C2", "gezamenlijke_doelperceptie", [(1, 2)])
    rate(case_db, "1", "gezin", "gezamenlijke_doelperceptie", 2)
    found = [f for f in check_case(CaseData.load(case_db, CASE)) if f.participant == "gezin"]
    assert [f.rule for f in found] == ["gd.open_disagreement_minus3"]
    assert "Was de onenigheid groot? Dan is de score -3." in found[0].message
    assert "richtlijn 6 (toegestaan: -1, 0 of +1)" in found[0].message
    rate(case_db, "1", "gezin", "gezamenlijke_doelperceptie", -3)
    assert [f for f in check_case(CaseData.load(case_db, CASE)) if f.participant == "gezin"] == []


def test_conflict_warning_cites_both_rules(case_db: sqlite3.Connection) -> None:  # noqa: F811
    """"+1 with two members negative" is not silent: the warning quotes richtlijn 5 and 6 and the resolution."""
    tick(case_db, "2", "C1", "gezamenlijke_doelperceptie", [(7, 1)])
    tick(case_db, "2", "C2", "gezamenlijke_doelperceptie", [(8, 2)])
    tick(case_db, "2", "C3", "gezamenlijke_doelperceptie", [(1, 3)])
    rate(case_db, "2", "gezin", "gezamenlijke_doelperceptie", 1)
    found = [f for f in check_case(CaseData.load(case_db, CASE)) if f.participant == "gezin"]
    assert len(found) == 1
    message = found[0].message
    assert QUOTES["gd.several_members_negative"][1] in message and QUOTES["gd.mixed"][1] in message
    assert "de scores die het dichtst bij beide liggen zijn -2 of -1" in message


def test_minus2_warning_cites_the_example(case_db: sqlite3.Connection) -> None:  # noqa: F811
    """The -2 warning quotes the rule and the manual's "redelijk deel van de sessie" example."""
    tick(case_db, "1", "C1", "emotionele_band", [(8, 1)])
    rate(case_db, "1", "C1", "emotionele_band", -2)
    found = [f for f in check_case(CaseData.load(case_db, CASE)) if f.rule == "guideline.minus2_variety"]
    assert len(found) == 1
    assert EXAMPLES["example.refuses_fair_part"][1] in found[0].message
    assert "in 1 van de 12 blokken van 5 minuten" in found[0].message


DOC = Path(__file__).resolve().parents[1] / "docs" / "richtlijnen.md"
MANUAL = Path("/work/shared/seed/000_8925c79dc77f653f.txt")


def test_rule_table_names_every_rule() -> None:
    """docs/richtlijnen.md lists every rating rule id and every test function it points to exists."""
    text = DOC.read_text(encoding="utf-8")
    assert all(f"`{rule}`" in text for rule in QUOTES)
    here = Path(__file__).read_text(encoding="utf-8") + (Path(__file__).parent / "test_validate_rules.py").read_text(
        encoding="utf-8")
    for name in re.findall(r"`(test_\w+)`", text):
        assert f"def {name}(" in here, name


@pytest.mark.skipif(not MANUAL.exists(), reason="the manual is not on this machine")
def test_rule_table_quotes_the_manual() -> None:
    """Every quotation in the table's second column is the manual's text (ellipses split a quotation)."""
    manual = re.sub(r"\s+", " ", re.sub(r"-\s+", "-", MANUAL.read_text(encoding="utf-8").replace("’", "'")))
    rows = [line.split(" | ") for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    quotes = [q for row in rows if len(row) > 1 for q in re.findall(r'"([^"]+)"', row[1])]
    assert len(quotes) > 20
    for quote in quotes:
        for part in quote.split(" ... "):
            assert part.strip(" .") in manual, part
