"""Decide per box: checked, empty or uncertain, with a confidence and a reason.

Thresholds are shares of the measured inner box area (3.0 mm square for a
4.6 mm box). On the simulator's scans a pen cross covers 25-85 % of it, a
check mark 17-56 %, a dot 8-30 %, a light pencil stroke 10-30 % (counting the
faint level); an empty box reads 0 %. A box coloured in completely is a
cancelled tick and reads as not ticked. Rating rows expect exactly one value.
Reasons: faint, partial, outside, cancelled, misregistered, rating_none,
rating_multiple.
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
#: Ink cover between this and the cancelled thresholds: a dense scribble or an
#: incomplete cancellation, which a person must judge.
NEARLY_FILLED = 0.84
#: Ink whose darkest pixel is lighter than this share below paper white is
#: not a pen or pencil stroke but shading or noise.
FAINT_DARKNESS = 0.2
#: Ink along the outside of a box above this share, with a trace of ink
#: inside (above OUTSIDE_INNER_MIN): a stroke that landed mostly outside the
#: box. A clean inside stays empty whatever is around it: printed labels,
#: the border under a slight misregistration, a neighbour's overshoot.
OUTSIDE_RING = 0.5
OUTSIDE_INNER_MIN = 0.005
#: Confidence grows with the distance from the nearest threshold, up to this margin.
CONFIDENT_MARGIN = 0.05


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
    return round(min(1.0, 0.5 + 0.5 * max(0.0, distance) / CONFIDENT_MARGIN), 3)


def decide_box(m: BoxMeasure) -> BoxDecision:
    """The decision for one box from its measurements."""
    if m.ink >= CANCELLED_INK or m.strong >= CANCELLED_STRONG:
        margin = max(m.ink - CANCELLED_INK, m.strong - CANCELLED_STRONG)
        return BoxDecision("empty", False, _confidence(margin), "cancelled")
    if m.ink >= NEARLY_FILLED:
        return BoxDecision("uncertain", True, 0.5, "cancelled")
    cover = max(m.ink, m.faint)
    if cover >= CHECKED_MIN:
        # Too light, or cover only at the faint level while the box is as clean as an empty one at the
        # pen/pencil level: shading, a fold or a scanner streak as often as a light tick. A person looks.
        if m.darkness < FAINT_DARKNESS or m.ink <= EMPTY_MAX:
            return BoxDecision("uncertain", True, 0.5, "faint")
        return BoxDecision("checked", True, _confidence(min(cover - CHECKED_MIN, NEARLY_FILLED - m.ink)), None)
    if cover > EMPTY_MAX:
        reason = "outside" if m.ring >= OUTSIDE_RING else "faint" if m.ink <= EMPTY_MAX else "partial"
        return BoxDecision("uncertain", False, 0.5, reason)
    if cover > OUTSIDE_INNER_MIN and m.ring >= OUTSIDE_RING:
        return BoxDecision("uncertain", False, 0.5, "outside")
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


def page_quality(decisions: Sequence[BoxDecision]) -> float:
    """0..1 for the page: mean box confidence, with flagged boxes counting as zero."""
    if not decisions:
        return 1.0
    return round(sum(0.0 if d.flagged else d.confidence for d in decisions) / len(decisions), 3)
