"""Decide per box: checked, empty or uncertain, with a confidence and a reason.

Thresholds are shares of the measured inner box area (3.0 mm square for a
4.6 mm box, 2.4 mm for a 4 mm timeline box); sizes live in scan.omr.measure and
scan.omr.sampling, in millimetres, so they scale with the resolution. On the
simulator's scans a pen cross covers 25-85 % of the inner area, a check mark
17-56 %, a dot 8-30 %, a light pencil stroke 10-30 % (counting the faint
level); an empty box reads 0 %.

What a person sees, and the rule for it, in the order they are applied:

- The printed border hidden (sticky note, paper, torn corner): ``covered``, never read.
- A straight line through the box and the paper on both sides (a copier's drum
  streak): not a mark; what is left beside it is read, or flagged ``streak``.
- A line running round the box outside its border, or a stroke through the
  side of the box that misses its centre (a circle round the box or round a
  printed label): ``circled``, flagged.
- A light mark that continues into the paper around the box, or light shading
  round the box (a stain's edge, a highlighter swipe on a grey scan): ``stain``.
- A box filled all round, up to its border: a cancelled tick (reads not ticked).
  A dense mark leaving white on all four sides of the band inside the border is
  a tick shape (felt-tip X, scribble); dense with white only on the sides it did
  not reach is a cancellation given up halfway: ``partial_cancel``, flagged.
- Otherwise by ink cover: checked, empty, or in between flagged (faint, partial, outside).

Rating rows expect exactly one value (rating_none, rating_multiple).
Confidence: how far the measurement is from the threshold that decided it,
against a named margin; flagged boxes carry the same distance, capped below
decided ones, so a person can sort by it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from scan.omr.measure import BoxMeasure
from softa.layout import Box

Decision = Literal["checked", "empty", "uncertain"]

#: Ink cover at or above this share is a tick (pencil ticks cover >= 0.09).
CHECKED_MIN = 0.07
#: Ink cover at or below this share is an empty box (scanner noise, dust).
EMPTY_MAX = 0.025
#: A box coloured in: ink covers this much of it (pencil), or strong ink this
#: much (pen). A pen cross covers at most ~0.85 with at most ~0.75 strong ink.
CANCELLED_INK = 0.93
CANCELLED_STRONG = 0.86
#: A filled box is ink all round just inside its border (at least this share
#: of that band); a tick shape, however dense, leaves gaps there.
FILLED_EDGE = 0.85
#: Strong-ink cover (or ink cover, for pencil) from which the shape of the mark decides
#: between tick and cancellation. Blur widens a pen cross at the ink level, not at the strong one.
DENSE_MIN = 0.45
DENSE_INK_MIN = 0.7
#: A dense mark leaving white on this many sides of the band inside the border is a
#: tick shape (an X leaves the middle of every side, a central scribble all of it); a
#: cancellation given up halfway leaves white on the sides it did not reach only.
SHAPE_WHITE_SIDES = 4
#: Confidence of a tick shape: from its threshold up by this much edge white.
SHAPE_EDGE_MAX = 0.5
#: The printed border counts as visible when seen along at least this share of
#: its worst side; less is a covered box.
BORDER_VISIBLE_MIN = 0.6
#: A circle round the box: lines along this many sides outside it (or two opposite sides
#: where the others have no room), or one side fewer with this much of the paper round
#: the box inked (a clean box reads 0, one with a printed label beside it up to 0.15).
CIRCLE_SIDES = 3
AROUND_CIRCLE = 0.3
#: Two strokes crossing the border close together and running on far outside (a curve
#: through the side), or a stroke that misses the box centre (ink share there at most
#: this) and leaves the box, is an arc through the box (a circle round the box or its
#: label), not a tick.
CENTRE_CLEAN = 0.01
#: Crossings close together count as an arc only while the centre holds less ink than
#: this (a cross's arms fill it to 0.35 and more; an arc through the side 0.2-0.26).
ARC_CENTRE_MAX = 0.32
#: A mark this light at its darkest (share below paper white) with no strong ink
#: is stain-like: when it curves through the side of the box or the paper round it
#: is darkened too (at least AROUND_SHADED of it), it is no mark in this box.
LIGHT_DARKNESS = 0.5
AROUND_SHADED = 0.35
#: Ink pixels darker than this share below paper white: not a pen or pencil
#: stroke but shading or noise.
FAINT_DARKNESS = 0.2
#: Ink along the outside of a box above this share, with a trace of ink
#: inside (above OUTSIDE_INNER_MIN): a stroke that landed mostly outside the
#: box. A clean inside stays empty whatever is around it: printed labels,
#: the border under a slight misregistration, a neighbour's overshoot.
OUTSIDE_RING = 0.5
OUTSIDE_INNER_MIN = 0.005
#: Confidence grows from 0.5 at a threshold to 1.0 at this distance past it (cover share).
CONFIDENT_MARGIN = 0.05
#: Flagged boxes: confidence of the best guess, from FLAG_FLOOR (at the middle of the
#: undecided band, or for a structural doubt) up to FLAG_CEILING (next to a threshold).
FLAG_FLOOR = 0.2
FLAG_CEILING = 0.45
#: Structural doubts (covered, circled, streak, stain, partial cancellation): the guess
#: is no better than this.
STRUCTURE_CONFIDENCE = 0.25
#: Page note for a 1-bit source: light pencil may have been lost in thresholding.
BITONAL_REASON = "bitonal"


@dataclass(frozen=True)
class BoxDecision:
    decision: Decision
    checked: bool
    confidence: float
    reason: str | None

    @property
    def flagged(self) -> bool:
        return self.decision == "uncertain"


def _confidence(distance: float) -> float:
    """A decided box: 0.5 at its threshold, 1.0 at CONFIDENT_MARGIN past it."""
    return round(min(1.0, 0.5 + 0.5 * max(0.0, distance) / CONFIDENT_MARGIN), 3)


def _flag_confidence(low: float, high: float, value: float) -> float:
    """A flagged box in the band (low, high): low at the middle, FLAG_CEILING at either edge."""
    half = max(1e-9, (high - low) / 2)
    off_middle = min(1.0, abs(value - (low + high) / 2) / half)
    return round(FLAG_FLOOR + (FLAG_CEILING - FLAG_FLOOR) * off_middle, 3)


def _flag(checked: bool, reason: str, confidence: float = STRUCTURE_CONFIDENCE) -> BoxDecision:
    return BoxDecision("uncertain", checked, round(confidence, 3), reason)


def _structure(m: BoxMeasure, cover: float) -> BoxDecision | None:
    """Doubts from the box's surroundings and the mark's shape, before ink cover is read."""
    if m.border < BORDER_VISIBLE_MIN:
        return _flag(False, "covered", STRUCTURE_CONFIDENCE * m.border / BORDER_VISIBLE_MIN)
    if m.streak > 0.0:
        # A light line with nothing beside it is the copier's; a dark one might be a stroke: a person looks.
        if m.residual <= EMPTY_MAX and m.strong <= EMPTY_MAX:
            return BoxDecision("empty", False, _confidence(EMPTY_MAX - m.residual), None)
        return _flag(m.residual >= CHECKED_MIN, "streak")
    if m.lined >= CIRCLE_SIDES or m.opposite or (m.lined >= CIRCLE_SIDES - 1 and m.around >= AROUND_CIRCLE):
        return _flag(cover >= CHECKED_MIN, "circled")
    if m.ink <= EMPTY_MAX:
        return None  # nothing at the pen/pencil level: the cover rules below flag faint shading
    light = m.darkness < LIGHT_DARKNESS and m.strong <= EMPTY_MAX
    arc = (m.arc and m.centre < ARC_CENTRE_MAX) or (m.centre <= CENTRE_CLEAN and m.exits > 0)
    if arc and m.strong < DENSE_MIN:
        return _flag(False, "circled" if not light else "stain")
    if light and m.around >= AROUND_SHADED:
        return _flag(False, "stain")
    return None


def decide_box(m: BoxMeasure) -> BoxDecision:
    """The decision for one box from its measurements."""
    cover = max(m.ink, m.faint)
    doubt = _structure(m, cover)
    if doubt is not None:
        return doubt
    if (m.ink >= CANCELLED_INK or m.strong >= CANCELLED_STRONG) and m.edge >= FILLED_EDGE:
        margin = min(max(m.ink - CANCELLED_INK, m.strong - CANCELLED_STRONG), m.edge - FILLED_EDGE)
        return BoxDecision("empty", False, _confidence(margin), "cancelled")
    if m.strong >= DENSE_MIN or m.ink >= DENSE_INK_MIN:
        if m.white_sides >= SHAPE_WHITE_SIDES:
            margin = min(m.ink - CHECKED_MIN, max(CONFIDENT_MARGIN, SHAPE_EDGE_MAX - m.edge))
            return BoxDecision("checked", True, _confidence(margin), None)
        return _flag(True, "partial_cancel" if m.edge < FILLED_EDGE else "cancelled",
                     _flag_confidence(0.0, FILLED_EDGE, m.edge))
    if cover >= CHECKED_MIN:
        # Too light, or cover only at the faint level while the box is as clean as an empty one at the
        # pen/pencil level: shading, a fold or a scanner streak as often as a light tick. A person looks.
        if m.darkness < FAINT_DARKNESS or m.ink <= EMPTY_MAX:
            return _flag(True, "faint", _flag_confidence(0.0, 2 * FAINT_DARKNESS, m.darkness))
        return BoxDecision("checked", True, _confidence(cover - CHECKED_MIN), None)
    if cover > EMPTY_MAX:
        reason = "outside" if m.ring >= OUTSIDE_RING else "faint" if m.ink <= EMPTY_MAX else "partial"
        return _flag(False, reason, _flag_confidence(EMPTY_MAX, CHECKED_MIN, cover))
    if cover > OUTSIDE_INNER_MIN and m.ring >= OUTSIDE_RING:
        return _flag(False, "outside", _flag_confidence(OUTSIDE_INNER_MIN, EMPTY_MAX, cover))
    return BoxDecision("empty", False, _confidence(EMPTY_MAX - cover), None)


def misregistered(m: BoxMeasure) -> BoxDecision:
    """Best guess on a page whose registration failed: always flagged."""
    guess = decide_box(m)
    return BoxDecision("uncertain", guess.checked, min(guess.confidence, 0.3), "misregistered")


def decide_page(boxes: Sequence[Box], measures: Sequence[BoxMeasure], *, registered: bool) -> list[BoxDecision]:
    """Decisions for all boxes of a page, with the one-value rule applied to rating rows."""
    decisions = [decide_box(m) if registered else misregistered(m) for m in measures]
    if not registered:
        return decisions
    rows: dict[str, list[int]] = {}
    for i, box in enumerate(boxes):
        if box.kind == "rating":
            rows.setdefault(box.group, []).append(i)
    for members in rows.values():
        if any(decisions[i].flagged for i in members):
            continue
        ticked = [i for i in members if decisions[i].checked]
        if len(ticked) == 1:
            continue
        reason = "rating_none" if not ticked else "rating_multiple"
        for i in members:
            decisions[i] = BoxDecision("uncertain", decisions[i].checked, min(decisions[i].confidence, 0.5), reason)
    return decisions


def page_reason(registration_reason: str | None, *, bitonal: bool) -> str | None:
    """The page's reason: the registration's, plus a note on 1-bit sources (pencil may be lost)."""
    parts = [p for p in (registration_reason, BITONAL_REASON if bitonal else None) if p]
    return ",".join(parts) or None


def page_quality(decisions: Sequence[BoxDecision]) -> float:
    """0..1 for the page: mean box confidence, with flagged boxes counting as zero."""
    if not decisions:
        return 1.0
    return round(sum(0.0 if d.flagged else d.confidence for d in decisions) / len(decisions), 3)
