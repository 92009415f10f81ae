"""What happens to real paper before it reaches the scanner: highlighter, coffee, sticky notes, folds, odd marks.

Each artefact is a frozen dataclass with two steps on one upright page (pixels =
layout points x ``px_per_pt``):

* ``plan`` (before the pen marks are drawn) picks the boxes it marks its own way,
  takes them out of the regular marking (``PagePlan.skip``) and notes what a person
  could say about them (``ambiguous``);
* ``draw`` (after the pen marks) paints it into the page, in colour when the page is
  RGB, and notes the boxes whose printed border it hides (``covered``) and whether a
  QR code is hidden.

Sizes are physical (mm); every range is drawn per page, so no two pages look alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from samples.simulate_marks import Ink, blend_ink, write_text
from softa.layout import POINTS_PER_MM, Box, PageLayout, Rect, Region

#: Marks are drawn at this many times the page resolution and averaged down (as in simulate_marks).
SUPERSAMPLE = 4
#: A box counts as covered when something opaque hides at least COVER_MIN_SHARE of its square (printed
#: border included, grown by COVER_MARGIN_MM): a corner clipped less than that still reads plainly.
COVER_MARGIN_MM = 0.3
COVER_MIN_SHARE = 0.1


@dataclass
class BoxTruth:
    """What a person reading the paper would say about one box."""

    value: int
    #: A person could not say (circle, partial cancellation, mark lost in a 1-bit scan): must be flagged.
    ambiguous: bool = False
    #: The printed border is hidden (sticky note, fold): must be flagged, never read.
    covered: bool = False
    #: The mark is on the paper but not in the file (pencil lost in a 1-bit scan): no reader can see it;
    #: the page should say that faint marks may be lost.
    invisible: bool = False
    #: The mark style drawn (simulate_marks styles or this module's), None when nothing was drawn.
    mark: str | None = None
    #: Why it is ambiguous or covered (artefact name).
    why: str | None = None

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"value": self.value}
        if self.ambiguous:
            data["ambiguous"] = True
        if self.covered:
            data["covered"] = True
        if self.invisible:
            data["invisible"] = True
        if self.mark:
            data["mark"] = self.mark
        if self.why:
            data["why"] = self.why
        return data


@dataclass
class PagePlan:
    """One upright page being prepared: its layout, scale, randomness and the truth per box."""

    page: PageLayout
    px_per_pt: float
    rng: np.random.Generator
    ink: Ink
    truth: dict[str, BoxTruth]
    #: Boxes the regular pen marking leaves alone (an artefact draws them).
    skip: set[str] = field(default_factory=set)
    #: Per artefact (by position in the scenario), the boxes it chose in ``plan``.
    targets: dict[int, list[str]] = field(default_factory=dict)
    #: Mark styles the regular marking drew (box id -> style).
    styles: dict[str, str] = field(default_factory=dict)
    #: One flag per QR code on the page (layout v2 may print several): hidden by an artefact.
    qr_hidden: list[bool] = field(default_factory=list)
    #: Renders another filled page of the pack at this page's size (bleed-through of the back side).
    render_back: Callable[[], np.ndarray] | None = None

    def mm(self, value: float) -> float:
        """Millimetres to page pixels."""
        return value * POINTS_PER_MM * self.px_per_pt

    def rect_px(self, rect: Rect) -> tuple[float, float, float, float]:
        x0, y0, x1, y1 = rect
        k = self.px_per_pt
        return (x0 * k, y0 * k, x1 * k, y1 * k)

    def by_id(self) -> dict[str, Box]:
        return {b.id: b for b in self.page.boxes}


def qr_rects(page: PageLayout) -> tuple[Rect, ...]:
    """Every QR code on the page (layout v2's ``qr_rects_pt``; v1 has one)."""
    rects = getattr(page, "qr_rects_pt", None)
    return tuple(rects) if rects else (page.qr_rect_pt,)


def _colour_ink(name: str, rgb: tuple[int, int, int]) -> Ink:
    """A flat colour laid on like ink (multiplied into the paper)."""
    return Ink(name, rgb, (1.0, 1.0), (0.0, 0.0), 0.0)


def paint(image: np.ndarray, mask: np.ndarray, rgb: tuple[int, int, int], strength: float,
          rng: np.random.Generator, origin: tuple[int, int] = (0, 0)) -> None:
    """Multiply a colour into the page through a coverage mask (0-255), like ink or a stain."""
    blend_ink(image, mask, origin, _colour_ink("paint", rgb), strength, rng)


def cover(image: np.ndarray, mask: np.ndarray, rgb: tuple[int, int, int]) -> None:
    """Lay something opaque (a sticky note, the back of the paper) over the page through a mask."""
    alpha = (mask.astype(np.float32) / 255.0)
    colour = np.asarray(rgb, dtype=np.float32)
    if image.ndim == 2:
        level = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
        image[...] = (image * (1 - alpha) + level * alpha).astype(np.uint8)
    else:
        image[...] = (image * (1 - alpha[..., None]) + colour[None, None, :] * alpha[..., None]).astype(np.uint8)


def stroke_mask(shape: tuple[int, int], lines: Sequence[np.ndarray], width_px: float, *, closed: bool = False) -> np.ndarray:
    """Anti-aliased strokes (page pixel coordinates) drawn supersampled into a page-size mask."""
    ss = SUPERSAMPLE
    h, w = shape
    pts = [np.asarray(line, dtype=np.float64) for line in lines]
    lo = np.floor(np.min([p.min(axis=0) for p in pts], axis=0) - width_px - 2).astype(int).clip(0)
    hi = np.ceil(np.max([p.max(axis=0) for p in pts], axis=0) + width_px + 2).astype(int)
    hi = np.minimum(hi, [w, h])
    mask = np.zeros(shape, dtype=np.uint8)
    if (hi <= lo).any():
        return mask
    fine = np.zeros(((hi[1] - lo[1]) * ss, (hi[0] - lo[0]) * ss), dtype=np.uint8)
    thick = max(1, round(width_px * ss))
    scaled = [np.round(((p - lo) * ss) * 16).astype(np.int32).reshape(-1, 1, 2) for p in pts]
    cv2.polylines(fine, scaled, closed, 255, thick, cv2.LINE_AA, 4)
    mask[lo[1]:hi[1], lo[0]:hi[0]] = cv2.resize(fine, (hi[0] - lo[0], hi[1] - lo[1]), interpolation=cv2.INTER_AREA)
    return mask


def polygon_mask(shape: tuple[int, int], polygon: np.ndarray) -> np.ndarray:
    mask = np.zeros(shape, dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(np.asarray(polygon) * 16).astype(np.int32)], 255, cv2.LINE_AA, 4)
    return mask


def mark_covered(plan: PagePlan, mask: np.ndarray, why: str) -> None:
    """Every box the opaque mask hides enough of is covered; a QR code it reaches at all is hidden."""
    margin = plan.mm(COVER_MARGIN_MM)
    h, w = mask.shape
    for box in plan.page.boxes:
        x0, y0, x1, y1 = plan.rect_px(box.rect_pt)
        sub = mask[max(0, int(y0 - margin)):min(h, math.ceil(y1 + margin)),
                   max(0, int(x0 - margin)):min(w, math.ceil(x1 + margin))]
        if sub.size and float(sub.mean()) / 255.0 >= COVER_MIN_SHARE:
            truth = plan.truth[box.id]
            truth.covered, truth.why = True, why
    for n, rect in enumerate(qr_rects(plan.page)):
        x0, y0, x1, y1 = (int(v) for v in plan.rect_px(rect))
        sub = mask[max(0, y0):min(h, y1), max(0, x0):min(w, x1)]
        if sub.size and sub.max() > 0:
            plan.qr_hidden[n] = True


def pick(candidates: Sequence[str], share: float, rng: np.random.Generator) -> list[str]:
    """Each candidate with probability ``share``, at least one when there is any: every page shows its artefact."""
    chosen = [c for c in candidates if rng.random() < share]
    if not chosen and candidates:
        chosen = [candidates[int(rng.integers(len(candidates)))]]
    return chosen


def page_shape(image: np.ndarray) -> tuple[int, int]:
    return image.shape[0], image.shape[1]


@dataclass(frozen=True)
class Highlighter:
    """Highlighter swipes along rows of boxes (mostly empty ones): transparent colour, never ink."""

    colours: tuple[tuple[int, int, int], ...] = ((255, 105, 180), (250, 150, 205), (255, 240, 60), (130, 240, 110),
                                                 (255, 170, 60), (120, 200, 255))
    swipes: tuple[int, int] = (2, 6)
    width_mm: tuple[float, float] = (4.0, 9.0)
    strength: tuple[float, float] = (0.45, 0.85)
    name: str = "markeerstift"

    def plan(self, plan: PagePlan, slot: int) -> None:
        """Nothing to plan: the pen marks stay as they are."""

    def draw(self, image: np.ndarray, plan: PagePlan, slot: int) -> None:
        rng = plan.rng
        rows: dict[str, list[Box]] = {}
        for box in plan.page.boxes:
            rows.setdefault(box.group, []).append(box)
        groups = list(rows.values())
        if not groups:
            return
        for _ in range(int(rng.integers(self.swipes[0], self.swipes[1] + 1))):
            row = groups[int(rng.integers(len(groups)))]
            a = int(rng.integers(len(row)))
            b = min(len(row) - 1, a + int(rng.integers(1, 9)))
            x0, y0, _, y1 = plan.rect_px(row[a].rect_pt)
            _, _, x1, _ = plan.rect_px(row[b].rect_pt)
            cy = (y0 + y1) / 2 + plan.mm(rng.normal(0, 0.8))
            tilt = math.tan(math.radians(rng.uniform(-4, 4))) * (x1 - x0)
            start = np.array([x0 - plan.mm(rng.uniform(0, 6)), cy])
            end = np.array([x1 + plan.mm(rng.uniform(0, 6)), cy + tilt])
            line = np.linspace(start, end, 12) + rng.normal(0, plan.mm(0.25), (12, 2))
            mask = stroke_mask(page_shape(image), [line], plan.mm(rng.uniform(*self.width_mm)))
            # The felt tip lays colour unevenly: lengthwise streaks and soft edges.
            streaks = 1.0 - 0.18 * rng.random((mask.shape[0], 1), dtype=np.float32)
            mask = cv2.GaussianBlur((mask * streaks).astype(np.uint8), (0, 0), plan.mm(0.2))
            colour = self.colours[int(rng.integers(len(self.colours)))]
            paint(image, mask, colour, rng.uniform(*self.strength), rng)


@dataclass(frozen=True)
class CoffeeRing:
    """The ring a mug leaves: a dark, irregular brown edge, a light tint inside, sometimes open or doubled."""

    radius_mm: tuple[float, float] = (26.0, 44.0)
    edge_mm: tuple[float, float] = (0.8, 2.6)
    edge_strength: tuple[float, float] = (0.35, 0.75)
    tint_strength: tuple[float, float] = (0.04, 0.18)
    colours: tuple[tuple[int, int, int], ...] = ((140, 85, 40), (120, 70, 35), (165, 110, 60))
    name: str = "koffiekring"

    def plan(self, plan: PagePlan, slot: int) -> None:
        """Nothing to plan: the pen marks stay as they are."""

    def draw(self, image: np.ndarray, plan: PagePlan, slot: int) -> None:
        rng = plan.rng
        shape = page_shape(image)
        boxes = plan.page.boxes or ()
        if boxes:
            x0, y0, x1, y1 = plan.rect_px(boxes[int(rng.integers(len(boxes)))].rect_pt)
            centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2]) + rng.normal(0, plan.mm(15), 2)
        else:
            centre = np.array([shape[1], shape[0]]) * rng.uniform(0.2, 0.8, 2)
        for ring in range(1 + int(rng.random() < 0.3)):
            radius = plan.mm(rng.uniform(*self.radius_mm))
            t = np.linspace(0, 2 * np.pi, 180)
            wobble = 1 + np.sum([rng.normal(0, 0.02) * np.sin(k * t + rng.uniform(0, 6.3)) for k in (2, 3, 5, 7)], axis=0)
            offset = rng.normal(0, plan.mm(4), 2) if ring else 0.0
            pts = np.stack([np.cos(t), np.sin(t)], axis=1) * (radius * wobble)[:, None] + centre + offset
            colour = self.colours[int(rng.integers(len(self.colours)))]
            tint = polygon_mask(shape, pts)
            paint(image, cv2.GaussianBlur(tint, (0, 0), plan.mm(1.5)), colour, rng.uniform(*self.tint_strength), rng)
            arc = int(180 * rng.uniform(0.55, 1.0))  # a ring often stays open where the mug was lifted
            start = int(rng.integers(180))
            edge_pts = np.roll(pts, -start, axis=0)[:arc]
            edge = stroke_mask(shape, [edge_pts], plan.mm(rng.uniform(*self.edge_mm)))
            edge = (edge * (0.6 + 0.4 * rng.random(edge.shape, dtype=np.float32))).astype(np.uint8)
            paint(image, cv2.GaussianBlur(edge, (0, 0), plan.mm(0.3)), colour, rng.uniform(*self.edge_strength), rng)


@dataclass(frozen=True)
class StickyNote:
    """A sticky note with a handwritten remark, stuck over boxes or over the QR code."""

    over: str = "boxes"  # "boxes" or "qr"
    sizes_mm: tuple[tuple[float, float], ...] = ((76.0, 76.0), (51.0, 38.0), (38.0, 51.0), (76.0, 51.0))
    colours: tuple[tuple[int, int, int], ...] = ((255, 242, 120), (255, 190, 210), (190, 240, 170), (180, 220, 255))
    remarks: tuple[str, ...] = ("nog navragen bij Anna", "zie opname min 23", "klopt dit? eens bespreken",
                                "overleg woensdag", "tweede keer gecodeerd")
    name: str = "geeltje"

    def plan(self, plan: PagePlan, slot: int) -> None:
        """Nothing to plan: the note covers whatever is under it."""

    def draw(self, image: np.ndarray, plan: PagePlan, slot: int) -> None:
        rng = plan.rng
        shape = page_shape(image)
        w_mm, h_mm = self.sizes_mm[int(rng.integers(len(self.sizes_mm)))]
        w, h = plan.mm(w_mm), plan.mm(h_mm)
        if self.over == "qr":
            x0, y0, x1, y1 = plan.rect_px(plan.page.qr_rect_pt)
            # Covering the code, its corner reaching past the page edge or not.
            centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2]) + rng.uniform(-0.25, 0.25, 2) * (w, h)
        else:
            boxes = plan.page.boxes
            x0, y0, x1, y1 = plan.rect_px(boxes[int(rng.integers(len(boxes)))].rect_pt)
            centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2]) + rng.uniform(-0.3, 0.3, 2) * (w, h)
        angle = math.radians(rng.uniform(-8, 8))
        rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
        corners = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]]) @ rot.T + centre
        note = polygon_mask(shape, corners)
        # Its shadow on the paper: the note's free edge lifts a little.
        shadow = cv2.GaussianBlur(polygon_mask(shape, corners + plan.mm(rng.uniform(0.4, 1.2))), (0, 0), plan.mm(0.6))
        paint(image, shadow, (90, 90, 90), rng.uniform(0.15, 0.35), rng)
        colour = self.colours[int(rng.integers(len(self.colours)))]
        cover(image, note, colour)
        mark_covered(plan, np.maximum(note, (shadow > 128).astype(np.uint8) * 255), self.name)
        # A remark on the note, in the student's pen (axis-aligned inside the note).
        k = plan.px_per_pt
        cx, cy = centre / k
        half_w, half_h = (w / 2 / k) * 0.85, (h / 2 / k) * 0.85
        region = Region(id="note", rect_pt=(cx - half_w, cy - half_h - 10, cx + half_w, cy + half_h), label="",
                        dimension="", participant="")
        write_text(image, region, str(rng.choice(self.remarks)), plan.ink, plan.px_per_pt, rng)


@dataclass(frozen=True)
class DogEar:
    """The top-right corner folded over (a dog-ear): the flap hides what is under it, the corner is gone."""

    leg_mm: tuple[float, float] = (28.0, 65.0)
    name: str = "ezelsoor"

    def plan(self, plan: PagePlan, slot: int) -> None:
        """Nothing to plan: the flap covers whatever is under it."""

    def draw(self, image: np.ndarray, plan: PagePlan, slot: int) -> None:
        rng = plan.rng
        shape = page_shape(image)
        w = shape[1]
        a, b = plan.mm(rng.uniform(*self.leg_mm)), plan.mm(rng.uniform(*self.leg_mm))
        p, q, corner = np.array([w - a, 0.0]), np.array([w, b]), np.array([float(w), 0.0])
        d = (q - p) / np.linalg.norm(q - p)
        foot = p + d * np.dot(corner - p, d)
        folded = 2 * foot - corner  # the corner's mirror image across the fold line
        gone = polygon_mask(shape, np.array([p, corner, q]))
        flap = polygon_mask(shape, np.array([p, folded, q]))
        shadow = cv2.GaussianBlur(polygon_mask(shape, np.array([p, folded + plan.mm(1.2), q])), (0, 0), plan.mm(0.8))
        paint(image, shadow, (80, 80, 80), rng.uniform(0.2, 0.4), rng)
        lid = int(rng.integers(215, 245))  # the scanner lid shows where the corner was
        cover(image, gone, (lid, lid, lid))
        back = int(rng.integers(232, 250))  # the back of the sheet: blank paper, a little shaded
        cover(image, flap, (back, back, back - 4))
        mark_covered(plan, np.maximum(np.maximum(gone, flap), (shadow > 128).astype(np.uint8) * 255), self.name)


@dataclass(frozen=True)
class TornCorner:
    """A corner torn off: the piece with its registration mark (sometimes boxes, or the QR code) is missing."""

    leg_mm: tuple[float, float] = (16.0, 45.0)
    name: str = "gescheurde_hoek"

    def plan(self, plan: PagePlan, slot: int) -> None:
        """Nothing to plan: the tear takes whatever was there."""

    def draw(self, image: np.ndarray, plan: PagePlan, slot: int) -> None:
        rng = plan.rng
        shape = page_shape(image)
        h, w = shape
        a, b = plan.mm(rng.uniform(*self.leg_mm)), plan.mm(rng.uniform(*self.leg_mm))
        # A jagged tear from the top edge to the left edge of the top-left corner, then turned to a random corner.
        t = np.linspace(0, 1, 24)[:, None]
        tear = np.hstack([a * (1 - t), b * t])
        normal = np.array([b, a]) / math.hypot(a, b)
        tear = tear + normal * (np.sin(t * np.pi) * rng.uniform(-0.25, 0.25) * min(a, b)
                                + rng.normal(0, plan.mm(0.6), (24, 1)))
        piece = np.vstack([[[-1.0, -1.0]], tear])
        corner = int(rng.integers(4))
        if corner in (1, 2):
            piece[:, 0] = w - piece[:, 0]
        if corner in (2, 3):
            piece[:, 1] = h - piece[:, 1]
        gone = polygon_mask(shape, piece)
        edge = stroke_mask(shape, [tear if corner == 0 else piece[1:]], plan.mm(0.5))
        paint(image, edge, (200, 195, 185), 0.5, rng)  # the torn fibres show lighter and rough
        lid = int(rng.integers(200, 245))
        cover(image, gone, (lid, lid, lid))
        mark_covered(plan, gone, self.name)


@dataclass(frozen=True)
class BleedThrough:
    """Thin paper printed and filled on both sides: the back shows through, mirrored and soft."""

    strength: tuple[float, float] = (0.06, 0.2)
    name: str = "doorschijnen"

    def plan(self, plan: PagePlan, slot: int) -> None:
        """Nothing to plan: the front's marks stay as they are."""

    def draw(self, image: np.ndarray, plan: PagePlan, slot: int) -> None:
        if plan.render_back is None:
            return
        rng = plan.rng
        back = plan.render_back()
        back = cv2.resize(back, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_AREA)[:, ::-1]
        if back.ndim == 3:
            back = cv2.cvtColor(back, cv2.COLOR_RGB2GRAY)
        darkness = cv2.GaussianBlur(255 - back, (0, 0), plan.mm(0.35))
        paint(image, darkness, (60, 60, 70), rng.uniform(*self.strength), rng)


@dataclass(frozen=True)
class PunchHoles:
    """Paper punched for a ring binder: two or four holes in the left margin showing the lid behind."""

    diameter_mm: tuple[float, float] = (5.5, 6.5)
    name: str = "perforatie"

    def plan(self, plan: PagePlan, slot: int) -> None:
        """Nothing to plan: the holes sit in the margin."""

    def draw(self, image: np.ndarray, plan: PagePlan, slot: int) -> None:
        rng = plan.rng
        h = image.shape[0]
        x = plan.mm(rng.uniform(7.5, 10.0))
        radius = plan.mm(rng.uniform(*self.diameter_mm)) / 2
        centre_y = h / 2 + plan.mm(rng.normal(0, 2))
        pitch = plan.mm(80.0) if rng.random() < 0.5 else plan.mm(80.0 / 3)  # 2-hole 80 mm or 4-hole 80 mm spacing
        count = 2 if pitch > plan.mm(50) else 4
        lid = int(rng.integers(40, 230))  # the lid or a darker folder behind the sheet
        for k in range(count):
            y = centre_y + (k - (count - 1) / 2) * pitch
            hole = np.zeros(page_shape(image), dtype=np.uint8)
            cv2.circle(hole, (int(x * 16), int(y * 16)), int(radius * 16), 255, -1, cv2.LINE_AA, 4)
            cover(image, hole, (lid, lid, lid))
