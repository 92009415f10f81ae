"""The instrument data against the manual (Bijlage 2) and the issue's counts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from softa.instrument import SOFTA_DIMENSIONS, load_instrument

MANUAL = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_8925c79dc77f653f.txt"


@pytest.mark.parametrize(("version", "counts"), [("client", (11, 10, 12, 11)), ("therapist", (13, 11, 10, 9))])
def test_item_counts_per_dimension(version: str, counts: tuple[int, ...]) -> None:
    inst = load_instrument()
    assert tuple(len(inst.items_of(version, d)) for d in SOFTA_DIMENSIONS) == counts  # type: ignore[arg-type]


def test_numbers_are_consecutive_and_texts_unique() -> None:
    inst = load_instrument()
    for version in ("client", "therapist"):
        for dim in SOFTA_DIMENSIONS:
            items = inst.items_of(version, dim)  # type: ignore[arg-type]
            assert [i.number for i in items] == list(range(1, len(items) + 1))
    texts = [i.text for i in inst.items]
    assert len(set(texts)) == len(texts)


def test_negative_indicators_come_last_in_every_dimension() -> None:
    """SOFTA-o lists positive indicators first; every dimension has both kinds."""
    inst = load_instrument()
    for version in ("client", "therapist"):
        for dim in SOFTA_DIMENSIONS:
            polarities = [i.polarity for i in inst.items_of(version, dim)]  # type: ignore[arg-type]
            assert "+" in polarities and "-" in polarities
            first_negative = polarities.index("-")
            assert all(p == "-" for p in polarities[first_negative:])


def test_known_polarities_and_nonverbal_flags() -> None:
    inst = load_instrument()
    assert not inst.item("client", "betrokkenheid", 10).positive  # "vast" te zitten
    assert inst.item("client", "betrokkenheid", 8).nonverbal  # leunt naar voren
    assert inst.item("client", "emotionele_band", 7).nonverbal  # vermijdt oogcontact
    assert not inst.item("client", "emotionele_band", 7).positive
    assert inst.item("client", "veiligheid", 4).nonverbal and inst.item("client", "veiligheid", 4).positive
    assert inst.item("client", "veiligheid", 9).nonverbal and not inst.item("client", "veiligheid", 9).positive
    assert inst.item("client", "gezamenlijke_doelperceptie", 5).nonverbal
    nonverbal = {(i.version, i.dimension, i.number) for i in inst.items if i.nonverbal}
    assert len(nonverbal) == 8
    assert inst.item("client", "veiligheid", 2).once_per_session
    assert inst.item("therapist", "gezamenlijke_doelperceptie", 9).end_of_session
    assert inst.item("client", "gezamenlijke_doelperceptie", 11).open_disagreement


def test_corresponding_items_match_the_stars_of_bijlage_2() -> None:
    inst = load_instrument()
    starred = {(i.dimension, i.number) for i in inst.items if i.corresponding}
    assert starred == {
        ("betrokkenheid", 1), ("betrokkenheid", 2), ("betrokkenheid", 4), ("betrokkenheid", 5),
        ("betrokkenheid", 6), ("betrokkenheid", 12),
        ("emotionele_band", 1), ("emotionele_band", 2), ("emotionele_band", 4), ("emotionele_band", 5),
        ("emotionele_band", 10),
        ("veiligheid", 1), ("veiligheid", 2),
        ("gezamenlijke_doelperceptie", 1), ("gezamenlijke_doelperceptie", 2), ("gezamenlijke_doelperceptie", 3),
        ("gezamenlijke_doelperceptie", 7), ("gezamenlijke_doelperceptie", 8),
    }
    assert all(i.version == "therapist" for i in inst.items if i.corresponding)


def test_scale_labels_are_the_manuals() -> None:
    inst = load_instrument()
    assert inst.scale_values == (-3, -2, -1, 0, 1, 2, 3)
    assert inst.scale_label(-3) == "zeer problematisch"
    assert inst.scale_label(0) == "onopvallend of neutraal"
    assert inst.scale_label(3) == "zeer sterk"
    assert inst.balance_values == tuple(range(11))


@pytest.mark.skipif(not MANUAL.exists(), reason="the manual is not beside the checkout")
def test_every_item_text_appears_in_the_manuals_coding_forms() -> None:
    """Compare against Bijlage 2 with whitespace and line breaks folded."""
    text = MANUAL.read_text(encoding="utf-8")
    forms = text[text.index("Bijlage 2. SOFTA codeerformats"):text.index("Bijlage 3. Toelichting")]
    folded = re.sub(r"\s+", " ", forms)
    folded = re.sub(r"(\d+)\.(\S)", r"\1. \2", folded)
    for item in load_instrument().items:
        assert item.text in folded, item.text


@pytest.mark.skipif(not MANUAL.exists(), reason="the manual is not beside the checkout")
def test_items_match_bijlage_2_in_order_in_full_and_with_their_stars() -> None:
    """Each item is "<n>. <text>" in its form's order, followed only by its * (if any) and the next item.

    This catches a text that is a mere prefix of the manual's, an item in the wrong place and a
    missing or extra *. Bijlage 2 prints therapist Betrokkenheid item 12 twice; it is one item.
    """
    text = MANUAL.read_text(encoding="utf-8")
    forms = text[text.index("Bijlage 2. SOFTA codeerformats"):text.index("Bijlage 3. Toelichting")]
    folded = re.sub(r"(\d+)\.(\S)", r"\1. \2", re.sub(r"\s+", " ", forms))
    inst = load_instrument()
    position = 0
    for version in ("client", "therapist"):
        for dim in SOFTA_DIMENSIONS:
            items = inst.items_of(version, dim)  # type: ignore[arg-type]
            title = inst.dimension(dim).title(version)  # type: ignore[arg-type]
            position = folded.index(title, position)
            for item in items:
                start = folded.index(f"{item.number}. {item.text}", position)
                end = start + len(f"{item.number}. {item.text}")
                follower = f"{item.number + 1}. " if item.number < len(items) else "Beoordeel"
                tail = folded[end:folded.index(follower, end)].strip()
                if (version, dim, item.number) == ("therapist", "betrokkenheid", 12):
                    tail = " ".join(tail.replace(f"{item.number}. {item.text}", "").split()).replace("* *", "*")
                assert tail == ("*" if item.corresponding else ""), (version, dim, item.number, tail[:60])
                position = end


def test_therapist_items_are_not_flagged_non_verbal() -> None:
    """The guidelines' non-verbal indicators are client behaviour; therapist items that mention a
    posture (Betrokkenheid 7, Emotionele band 4 and 8) say "verbaal of non-verbaal": a tick does not
    show which, so they count as verbal (the +1 cap of richtlijn 4 must not apply to them)."""
    inst = load_instrument()
    assert not [i for i in inst.items if i.version == "therapist" and i.nonverbal]
    flagged = {(i.dimension, i.number) for i in inst.items if i.nonverbal}
    assert flagged == {("betrokkenheid", 8), ("emotionele_band", 6), ("emotionele_band", 7), ("veiligheid", 4),
                       ("veiligheid", 8), ("veiligheid", 9), ("gezamenlijke_doelperceptie", 5),
                       ("gezamenlijke_doelperceptie", 6)}
