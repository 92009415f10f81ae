"""Mark decisions: pen and pencil ticks, cancelled (filled) boxes, overshoot, rating rows."""

from __future__ import annotations

import numpy as np
import pytest

from scan.omr.decide import decide_box, decide_page
from scan.omr.measure import BoxMeasure
from scan.pipeline import KnownPage, PageResult, identify_and_read
from tests.omr_fixtures import as_page, draw_check, draw_cross, fill_box, render_page, sample_pack

PAGE = 4


@pytest.fixture(scope="module")
def pack(tmp_path_factory):  # type: ignore[no-untyped-def]
    return sample_pack(str(tmp_path_factory.mktemp("pack")))


def _read(pack, image: np.ndarray) -> dict[str, object]:  # type: ignore[no-untyped-def]
    known = {p.qr: KnownPage(pack.layout.case, p) for p in pack.layout.pages}
    result: PageResult = identify_and_read(as_page(image), 1, known, {pack.layout.case})
    assert result.status == "identified" and result.reason is None
    return {r.box_id: r for r in result.reads}


def _ticks(pack):  # type: ignore[no-untyped-def]
    return [b for b in pack.layout.pages[PAGE].boxes if b.kind == "tick"]


def test_pencil_ticks_are_read_as_ticks(pack) -> None:  # type: ignore[no-untyped-def]
    image = render_page(pack, PAGE)
    ticks = _ticks(pack)
    for box in ticks[:6]:
        draw_check(image, box, level=185, width_mm=0.3)  # light pencil: ~25 % below paper white
    for box in ticks[6:12]:
        draw_cross(image, box, level=170, width_mm=0.3)
    reads = _read(pack, image)
    for box in ticks[:12]:
        assert reads[box.id].decision == "checked", (box.id, reads[box.id])
    assert all(reads[b.id].decision == "empty" for b in ticks[12:])


def test_filled_box_is_a_cancelled_tick(pack) -> None:  # type: ignore[no-untyped-def]
    image = render_page(pack, PAGE)
    ticks = _ticks(pack)
    fill_box(image, ticks[0])  # black pen
    fill_box(image, ticks[1], level=120)  # pencil, coloured in
    draw_cross(image, ticks[2])
    reads = _read(pack, image)
    for box in ticks[:2]:
        assert reads[box.id].decision == "empty" and reads[box.id].reason == "cancelled"
        assert reads[box.id].checked is False
    assert reads[ticks[2].id].decision == "checked"


def test_overshooting_cross_is_still_a_tick_and_does_not_leak(pack) -> None:  # type: ignore[no-untyped-def]
    image = render_page(pack, PAGE)
    ticks = _ticks(pack)
    draw_cross(image, ticks[5], overshoot=0.35)  # strokes run ~1.5 mm past the box
    reads = _read(pack, image)
    assert reads[ticks[5].id].decision == "checked"
    for neighbour in (ticks[4], ticks[6]):
        assert reads[neighbour.id].checked is False


def test_small_stray_mark_is_flagged_partial() -> None:
    m = BoxMeasure(ink=0.04, faint=0.045, strong=0.02, darkness=0.7, ring=0.0, paper=240.0, rect_px=(0, 0, 1, 1))
    decision = decide_box(m)
    assert decision.decision == "uncertain" and decision.reason == "partial"


def test_mark_beside_the_box_is_flagged_outside() -> None:
    m = BoxMeasure(ink=0.01, faint=0.012, strong=0.0, darkness=0.6, ring=0.7, paper=240.0, rect_px=(0, 0, 1, 1))
    decision = decide_box(m)
    assert decision.decision == "uncertain" and decision.reason == "outside"
    clean_inside = BoxMeasure(ink=0.0, faint=0.0, strong=0.0, darkness=0.05, ring=0.7, paper=240.0,
                              rect_px=(0, 0, 1, 1))
    assert decide_box(clean_inside).decision == "empty"


def test_nearly_filled_box_is_for_a_person() -> None:
    m = BoxMeasure(ink=0.88, faint=0.9, strong=0.7, darkness=0.8, ring=0.0, paper=240.0, rect_px=(0, 0, 1, 1),
                   edge=0.8, gaps=1, white_sides=1)
    assert decide_box(m).decision == "uncertain"


def _rating_reads(pack, values: list[int]) -> dict[str, object]:  # type: ignore[no-untyped-def]
    image = render_page(pack, PAGE)
    row = [b for b in pack.layout.pages[PAGE].boxes if b.kind == "rating"]
    group = row[0].group
    for box in row:
        if box.group == group and box.value in values:
            draw_cross(image, box)
    reads = _read(pack, image)
    return {b.id: reads[b.id] for b in row if b.group == group}


def test_rating_row_with_one_value_is_not_flagged(pack) -> None:  # type: ignore[no-untyped-def]
    reads = _rating_reads(pack, [1])
    assert [r.decision for r in reads.values()].count("checked") == 1
    assert not any(r.decision == "uncertain" for r in reads.values())


@pytest.mark.parametrize(("values", "reason"), [([], "rating_none"), ([-1, 2], "rating_multiple")])
def test_rating_row_with_none_or_several_values_is_flagged(pack, values: list[int], reason: str) -> None:  # type: ignore[no-untyped-def]
    reads = _rating_reads(pack, values)
    assert all(r.decision == "uncertain" and r.reason == reason for r in reads.values())
    # The best guess is kept: the values that were ticked.
    assert sorted(int(box_id.rsplit("v", 1)[1]) for box_id, r in reads.items() if r.checked) == sorted(values)


def test_unregistered_page_flags_every_box(pack) -> None:  # type: ignore[no-untyped-def]
    boxes = pack.layout.pages[PAGE].boxes[:3]
    m = BoxMeasure(ink=0.4, faint=0.45, strong=0.3, darkness=0.8, ring=0.0, paper=240.0, rect_px=(0, 0, 1, 1))
    decisions = decide_page(boxes, [m] * 3, registered=False)
    assert all(d.flagged and d.reason == "misregistered" and d.checked for d in decisions)


def test_cover_only_at_the_faint_level_is_flagged_not_a_tick() -> None:
    """Measured in the benchmark: a light streak across a column of empty boxes (no ink at the pen level)."""
    streak = BoxMeasure(ink=0.0, faint=0.136, strong=0.0, darkness=0.208, ring=0.0, paper=245.0, rect_px=(0, 0, 1, 1))
    decision = decide_box(streak)
    assert (decision.decision, decision.reason) == ("uncertain", "faint")
    pencil = BoxMeasure(ink=0.12, faint=0.2, strong=0.0, darkness=0.25, ring=0.0, paper=245.0, rect_px=(0, 0, 1, 1))
    assert decide_box(pencil).decision == "checked"


def _m(**kw: float) -> BoxMeasure:
    base = {"ink": 0.0, "faint": 0.0, "strong": 0.0, "darkness": 0.0, "ring": 0.0, "paper": 240.0}
    base.update(kw)
    extra = {k: base.pop(k) for k in list(base) if k not in ("ink", "faint", "strong", "darkness", "ring", "paper")}
    return BoxMeasure(rect_px=(0, 0, 1, 1), **base, **extra)  # type: ignore[arg-type]


def test_either_strong_ink_or_ink_cover_marks_a_filled_box() -> None:
    """Pen filled with white specks (strong ink 0.88, ink 0.90) and pencil coloured in (ink 0.96, no strong ink)."""
    pen = _m(ink=0.90, faint=0.92, strong=0.88, darkness=0.9, edge=1.0, gaps=0, white_sides=0, centre=1.0)
    pencil = _m(ink=0.96, faint=0.98, strong=0.0, darkness=0.4, edge=1.0, gaps=0, white_sides=0, centre=1.0)
    for m in (pen, pencil):
        d = decide_box(m)
        assert (d.decision, d.checked, d.reason) == ("empty", False, "cancelled")


def test_light_pencil_tick_covering_a_tenth_is_a_tick() -> None:
    for cover in (0.09, 0.1, 0.11):
        d = decide_box(_m(ink=cover, faint=cover + 0.01, darkness=0.3, centre=0.1, white_sides=4, gaps=1))
        assert d.decision == "checked", cover


def test_dense_mark_with_white_all_round_is_a_tick_and_half_filled_box_is_flagged() -> None:
    felt_x = _m(ink=0.93, faint=0.94, strong=0.9, darkness=0.9, edge=0.6, gaps=4, white_sides=4, centre=1.0)
    assert decide_box(felt_x).decision == "checked"
    half = _m(ink=0.7, faint=0.72, strong=0.65, darkness=0.9, edge=0.55, gaps=1, white_sides=3, centre=0.8)
    assert (decide_box(half).decision, decide_box(half).reason) == ("uncertain", "partial_cancel")


def test_confidence_follows_the_distance_to_the_threshold() -> None:
    """Not a constant: nearer a threshold is less sure, decided boxes above flagged ones."""
    ticks = [decide_box(_m(ink=c, faint=c, strong=c, darkness=0.9, centre=0.3, white_sides=4)).confidence
             for c in (0.075, 0.09, 0.2)]
    assert ticks[0] < ticks[1] < ticks[2] == 1.0
    empties = [decide_box(_m(ink=c, faint=c, darkness=0.5)).confidence for c in (0.02, 0.0)]
    assert empties[0] < empties[1]
    band = [decide_box(_m(ink=c, faint=c, strong=c, darkness=0.9, centre=0.3)) for c in (0.03, 0.048, 0.065)]
    assert all(d.flagged for d in band)
    assert band[1].confidence < band[0].confidence and band[1].confidence < band[2].confidence
    assert max(d.confidence for d in band) < min(ticks)


def test_covered_box_is_never_read() -> None:
    note = _m(ink=0.4, faint=0.45, strong=0.35, darkness=0.85, border=0.1, centre=0.5, white_sides=4)
    d = decide_box(note)
    assert (d.decision, d.reason, d.checked) == ("uncertain", "covered", False)


def test_every_flag_reason_has_dutch_wording() -> None:
    from review.describe import PAGE_REASONS, REASONS

    for reason in ("covered", "circled", "partial_cancel", "streak", "stain", "cancelled"):
        assert reason in REASONS
    assert "potlood" in PAGE_REASONS["bitonal"]
