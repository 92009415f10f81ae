"""Marks students make that are not the expected tick: felt tip, circles, half-done cancellations, correction fluid.

Artefacts in the sense of ``samples.realworld_paper`` (``plan`` before the regular pen
marks, ``draw`` after), each noting what a person could say about the boxes it marks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from reportlab.pdfbase.pdfmetrics import stringWidth

from formgen import geometry as g
from samples.realworld_paper import PagePlan, cover, mark_covered, page_shape, paint, pick, polygon_mask, stroke_mask
from samples.simulate_marks import Ink, blend_ink, mark_box
from softa.layout import Box


@dataclass(frozen=True)
class FeltTip:
    """Ticks made with a felt-tip pen: a thick cross, scribble or check that nearly fills a 4 mm box, corners white."""

    kind: str = "timeline"
    share: tuple[float, float] = (0.4, 1.0)
    width_mm: tuple[float, float] = (0.7, 1.3)
    colours: tuple[tuple[int, int, int], ...] = ((20, 20, 25), (25, 40, 150), (170, 25, 30), (20, 110, 50))
    styles: tuple[str, ...] = ("cross", "cross", "cross", "scribble", "check")
    name: str = "viltstift"

    def plan(self, plan: PagePlan, slot: int) -> None:
        ticked = [b.id for b in plan.page.boxes if b.kind == self.kind and plan.truth[b.id].value]
        chosen = pick(ticked, plan.rng.uniform(*self.share), plan.rng)
        plan.targets[slot] = chosen
        plan.skip.update(chosen)

    def draw(self, image: np.ndarray, plan: PagePlan, slot: int) -> None:
        rng = plan.rng
        colour = self.colours[int(rng.integers(len(self.colours)))]
        felt = Ink("felt", colour, (0.9, 1.0), self.width_mm, 0.02)
        boxes = plan.by_id()
        for box_id in plan.targets.get(slot, []):
            style = str(rng.choice(self.styles))
            mark_box(image, boxes[box_id], style, felt, plan.px_per_pt, rng)
            plan.truth[box_id].mark = f"felt_{style}"


def _ellipse(centre: np.ndarray, rx: float, ry: float, rng: np.random.Generator, *, turns: tuple[float, float] = (0.9, 1.15),
             tilt_deg: float = 12.0) -> np.ndarray:
    """A hand-drawn loop: an ellipse, tilted, a bit open or overlapping at its ends."""
    t = np.linspace(0, 2 * np.pi * rng.uniform(*turns), 64) + rng.uniform(0, 2 * np.pi)
    wobble = 1 + rng.normal(0, 0.04, 64).cumsum() / 12
    pts = np.stack([np.cos(t) * rx * wobble, np.sin(t) * ry * wobble], axis=1)
    a = math.radians(rng.uniform(-tilt_deg, tilt_deg))
    return pts @ np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]]) + centre


@dataclass(frozen=True)
class CircledBox:
    """A box circled instead of ticked (or the circle is all that is left of a correction): ambiguous."""

    share: tuple[float, float] = (0.1, 0.3)
    radius_mm: tuple[float, float] = (3.2, 5.5)
    name: str = "omcirkeld"

    def plan(self, plan: PagePlan, slot: int) -> None:
        ticked = [b.id for b in plan.page.boxes if b.kind == "tick" and plan.truth[b.id].value]
        chosen = pick(ticked, plan.rng.uniform(*self.share), plan.rng)
        plan.targets[slot] = chosen
        plan.skip.update(chosen)
        for box_id in chosen:
            plan.truth[box_id].ambiguous, plan.truth[box_id].why = True, self.name

    def draw(self, image: np.ndarray, plan: PagePlan, slot: int) -> None:
        rng = plan.rng
        boxes = plan.by_id()
        for box_id in plan.targets.get(slot, []):
            x0, y0, x1, y1 = plan.rect_px(boxes[box_id].rect_pt)
            centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2]) + rng.normal(0, plan.mm(0.4), 2)
            rx = plan.mm(rng.uniform(*self.radius_mm))
            loop = _ellipse(centre, rx, rx * rng.uniform(0.75, 1.0), rng)
            mask = stroke_mask(page_shape(image), [loop], plan.mm(rng.uniform(*plan.ink.width_mm)))
            blend_ink(image, mask, (0, 0), plan.ink, rng.uniform(*plan.ink.opacity), rng)
            plan.truth[box_id].mark = "circle"


def _label_centre(box: Box, row: Sequence[Box], px_per_pt: float) -> tuple[np.ndarray, float]:
    """Where a rating box's printed label sits (pixels) and its width, as formgen prints it."""
    values = [b.value for b in row if b.value is not None]
    value = box.value or 0
    label = f"+{value}" if value > 0 and min(values) < 0 else str(value)
    width_pt = stringWidth(label, g.FONT_BOLD, g.TEXT_PT)
    x0, y0, x1, _ = box.rect_pt
    if len(row) > g.SIDE_LABEL_MAX_VALUES:  # labels above the boxes, centred
        cx, cy = (x0 + x1) / 2, y0 - g.mm(g.LABEL_GAP_MM) - g.mm(1.1)
    else:  # labels left of the boxes, right-aligned
        cx, cy = x0 - g.mm(g.LABEL_GAP_MM) - width_pt / 2, (y0 + box.rect_pt[3]) / 2
    return np.array([cx, cy]) * px_per_pt, width_pt * px_per_pt


@dataclass(frozen=True)
class CircledLabel:
    """The rating's printed label (e.g. "+3") circled instead of its box ticked; the loop may cut a neighbour box."""

    share: tuple[float, float] = (0.5, 1.0)
    pad_mm: tuple[float, float] = (1.0, 3.6)
    height_mm: tuple[float, float] = (2.2, 3.8)
    name: str = "cirkel_label"

    def plan(self, plan: PagePlan, slot: int) -> None:
        rows: dict[str, list[Box]] = {}
        for box in plan.page.boxes:
            if box.kind == "rating":
                rows.setdefault(box.group, []).append(box)
        single = [ticked[0].id for row in rows.values()
                  if len(ticked := [b for b in row if plan.truth[b.id].value]) == 1]
        chosen = pick(single, plan.rng.uniform(*self.share), plan.rng)
        groups = {b.group for b in plan.page.boxes if b.id in chosen}
        for b in plan.page.boxes:
            if b.group in groups:  # the whole row: which value is meant is for a person to confirm
                plan.truth[b.id].ambiguous, plan.truth[b.id].why = True, self.name
        plan.skip.update(chosen)
        plan.targets[slot] = chosen

    def draw(self, image: np.ndarray, plan: PagePlan, slot: int) -> None:
        rng = plan.rng
        boxes = plan.by_id()
        for box_id in plan.targets.get(slot, []):
            box = boxes[box_id]
            row = [b for b in plan.page.boxes if b.group == box.group]
            centre, width = _label_centre(box, row, plan.px_per_pt)
            rx = width / 2 + plan.mm(rng.uniform(*self.pad_mm))
            ry = plan.mm(rng.uniform(*self.height_mm))
            loop = _ellipse(centre + rng.normal(0, plan.mm(0.3), 2), rx, ry, rng, tilt_deg=6.0)
            mask = stroke_mask(page_shape(image), [loop], plan.mm(rng.uniform(*plan.ink.width_mm)))
            blend_ink(image, mask, (0, 0), plan.ink, rng.uniform(*plan.ink.opacity), rng)
            plan.truth[box_id].mark = "circled_label"


@dataclass(frozen=True)
class PartialCancel:
    """A cancellation begun and not finished: dense zigzag over 55-80 % of a box (ticked or not): ambiguous."""

    share: float = 0.04
    cover: tuple[float, float] = (0.55, 0.80)
    name: str = "gedeeltelijke_doorhaling"

    def plan(self, plan: PagePlan, slot: int) -> None:
        chosen = pick([b.id for b in plan.page.boxes if b.kind == "tick"], self.share, plan.rng)
        plan.targets[slot] = chosen
        for box_id in chosen:
            plan.truth[box_id].ambiguous, plan.truth[box_id].why = True, self.name

    def draw(self, image: np.ndarray, plan: PagePlan, slot: int) -> None:
        rng = plan.rng
        boxes = plan.by_id()
        for box_id in plan.targets.get(slot, []):
            x0, y0, x1, y1 = plan.rect_px(boxes[box_id].rect_pt)
            part = rng.uniform(*self.cover)
            side = int(rng.integers(4))
            if side == 0:
                x1 = x0 + (x1 - x0) * part
            elif side == 1:
                x0 = x1 - (x1 - x0) * part
            elif side == 2:
                y1 = y0 + (y1 - y0) * part
            else:
                y0 = y1 - (y1 - y0) * part
            width = plan.mm(rng.uniform(*plan.ink.width_mm))
            rows = max(4, int((y1 - y0) / max(width * 0.9, 1.0)))
            ys = np.linspace(y0 + width / 2, y1 - width / 2, rows)
            xs = np.where(np.arange(rows) % 2 == 0, x0 + width / 2, x1 - width / 2)
            zigzag = np.stack([xs, ys], axis=1) + rng.normal(0, plan.mm(0.08), (rows, 2))
            mask = stroke_mask(page_shape(image), [zigzag], width * 1.3)
            blend_ink(image, mask, (0, 0), plan.ink, rng.uniform(*plan.ink.opacity), rng)
            truth = plan.truth[box_id]
            truth.mark = f"{truth.mark}+partial" if truth.mark else "partial_cancel"


@dataclass(frozen=True)
class CorrectionFluid:
    """A wrong tick whited out with correction fluid (Tipp-Ex): the box's border is gone under it."""

    share: tuple[float, float] = (0.02, 0.06)
    name: str = "tippex"

    def plan(self, plan: PagePlan, slot: int) -> None:
        empty = [b.id for b in plan.page.boxes if b.kind != "timeline" and not plan.truth[b.id].value]
        plan.targets[slot] = pick(empty, plan.rng.uniform(*self.share), plan.rng)

    def draw(self, image: np.ndarray, plan: PagePlan, slot: int) -> None:
        rng = plan.rng
        shape = page_shape(image)
        boxes = plan.by_id()
        for box_id in plan.targets.get(slot, []):
            if box_id in plan.styles:
                continue
            box = boxes[box_id]
            mark_box(image, box, "cross", plan.ink, plan.px_per_pt, rng)  # the tick that was wrong
            x0, y0, x1, y1 = plan.rect_px(box.rect_pt)
            centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2]) + rng.normal(0, plan.mm(0.4), 2)
            t = np.linspace(0, 2 * np.pi, 40)
            radius = plan.mm(rng.uniform(3.0, 4.5)) * (1 + rng.normal(0, 0.06, 40))
            blob = polygon_mask(shape, centre + np.stack([np.cos(t), np.sin(t) * rng.uniform(0.7, 1.0)], axis=1)
                                * radius[:, None])
            paint(image, cv2.GaussianBlur(blob, (0, 0), plan.mm(0.3)), (150, 150, 150), 0.25, rng)  # its raised edge
            white = int(rng.integers(242, 252))
            cover(image, cv2.erode(blob, np.ones((3, 3), np.uint8)), (white, white, white - 3))
            mark_covered(plan, blob, self.name)
            plan.truth[box_id].mark = "corrected"
