"""Measure every mark box of a page in the image, without warping the page.

Each box rectangle is mapped through the homography. Inside, the printed
border is left out by an inset; the largest axis-aligned rectangle inside the
mapped (possibly skewed) inner square is measured. Around the box a thin ring
shows strokes that land outside (four strips along the middle of the sides). Ink is judged relative to the local paper
white, so pencil and uneven lighting are measured on the same scale.

On a colour page, tint is taken out before anything is measured: pixels that are
saturated and bright (highlighter of any colour) or saturated in the brown-yellow
hues of coffee and tea (stains) become paper; pen (black, blue, red) and pencil,
also where they cross a tint, stay. Sampled features (the printed border, the
band inside it, lines through and around the box) come from scan.omr.sampling.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import cv2
import numpy as np

from scan.omr.register import project
from scan.omr.sampling import sample_boxes
from softa.layout import POINTS_PER_MM, Box

#: Inset from the printed box edge to the measured inner area: the border
#: (0.7 pt = 0.25 mm) plus registration tolerance.
INNER_INSET_MM = 0.8
#: Ring just outside the box where overshooting strokes show: from past the
#: border to before the neighbouring box (timeline boxes are 1 mm apart).
RING_FROM_MM = 0.4
RING_TO_MM = 0.6
#: Each side's strip covers this share of the side around its middle, so the
#: corners of a skewed neighbour stay out.
RING_SIDE_SHARE = 0.5
#: A pixel is ink when darker than this share of the local paper white;
#: pencil on white paper reads around 0.6-0.75, blue/black pen below 0.4.
INK_LEVEL = 0.78
#: A pixel is faint ink (light pencil) when darker than this share of paper
#: white: 12 % below paper, some 7 noise standard deviations of a scanner.
FAINT_LEVEL = 0.88
#: A pixel is strong ink (pen, a filled box) below this share of paper white.
STRONG_LEVEL = 0.5
#: Paper white is estimated on cells this size (mm), as the brightest cell
#: in a neighbourhood of BACKGROUND_SPAN cells, so text and marks do not count.
BACKGROUND_CELL_MM = 2.0
BACKGROUND_SPAN = 5
#: Paper darker than this (8-bit) is not paper: use this as the floor.
MIN_PAPER_LEVEL = 60.0
#: The centre of a box (box fractions): ticks and crosses pass through it, a circle
#: drawn round the box or round its label does not.
CENTRE_SPAN = (0.3, 0.7)
#: Colour: a pixel is tinted when its saturation (max-min over max channel) is at
#: least this (grey paper and JPEG colour noise stay below ~0.1); pen blue and red
#: are saturated too, but dark.
TINT_SATURATION = 0.15
#: A tinted pixel this bright (max channel against paper white) is highlighter: its
#: brightest channel stays near paper, where any pen or pencil stroke darkens all three.
TINT_BRIGHT = 0.85
#: Coffee, tea and rust stains: saturated, brown to yellow hues (degrees), not too dark.
STAIN_HUE_DEG = (15.0, 75.0)
STAIN_BRIGHT = 0.6
#: Paper white of a colour page for the tint test: this percentile of the grey page.
PAPER_PERCENTILE = 95


@dataclass(frozen=True)
class BoxMeasure:
    """Raw measurements of one box (ratios 0..1, rect in image pixels)."""

    ink: float
    faint: float
    strong: float
    darkness: float
    ring: float
    paper: float
    rect_px: tuple[int, int, int, int]
    #: Share of the printed border visible on its worst side (1 clean, 0 hidden).
    border: float = 1.0
    #: Share of the band just inside the border that is ink, and its white runs.
    edge: float = 0.0
    gaps: int = 1
    white_sides: int = 4
    #: Ink share of the box centre.
    centre: float = 0.0
    #: Sides with a line along them just outside (circles); two opposite sides lined.
    lined: int = 0
    opposite: bool = False
    #: Sides where ink leaves the box; ink share of the paper just around it.
    exits: int = 0
    around: float = 0.0
    #: Share of line positions on a straight line through box and paper; ink off those lines.
    streak: float = 0.0
    residual: float = 0.0
    #: Two strokes cross the border close together: a curve through the box's side.
    arc: bool = False
    #: Share of the inner area taken out as tint (colour pages).
    tint: float = 0.0

    def to_json(self) -> dict[str, float]:
        return json.loads(self.json_text())

    def json_text(self, **extra: object) -> str:
        """The same as JSON text, built directly (it is written for every box of every page)."""
        head = (f'{{"ink":{self.ink:.4f},"faint":{self.faint:.4f},"strong":{self.strong:.4f},'
                f'"darkness":{self.darkness:.4f},"ring":{self.ring:.4f},"paper":{self.paper:.1f},'
                f'"border":{self.border:.3f},"edge":{self.edge:.3f},"gaps":{self.gaps},"white_sides":{self.white_sides},"centre":{self.centre:.4f},'
                f'"lined":{self.lined},"opposite":{str(self.opposite).lower()},"exits":{self.exits},'
                f'"around":{self.around:.3f},"streak":{self.streak:.3f},"residual":{self.residual:.4f},'
                f'"arc":{str(self.arc).lower()},"tint":{self.tint:.3f}')
        tail = "".join(f',"{k}":{json.dumps(v)}' for k, v in extra.items())
        return head + tail + "}"


def paper_map(gray: np.ndarray, px_per_mm: float) -> tuple[np.ndarray, float]:
    """Local paper-white estimate on a coarse grid, and the grid's cell size in pixels."""
    cell = max(2.0, BACKGROUND_CELL_MM * px_per_mm)
    height, width = gray.shape[:2]
    # Every fourth pixel is plenty for a 2 mm cell, at a sixteenth of the cost.
    small = cv2.resize(gray[::4, ::4], (max(1, int(width / cell)), max(1, int(height / cell))),
                       interpolation=cv2.INTER_AREA)
    kernel = np.ones((BACKGROUND_SPAN, BACKGROUND_SPAN), np.uint8)
    white = cv2.dilate(small, kernel)
    return np.maximum(white.astype(np.float32), MIN_PAPER_LEVEL), cell


def _corners(rects: np.ndarray, grow_pt: float) -> np.ndarray:
    x0, y0, x1, y1 = (rects[:, i] for i in range(4))
    x0, y0, x1, y1 = x0 - grow_pt, y0 - grow_pt, x1 + grow_pt, y1 + grow_pt
    return np.stack([np.stack([x0, y0], 1), np.stack([x1, y0], 1), np.stack([x1, y1], 1), np.stack([x0, y1], 1)], 1)


def _mapped(homography: np.ndarray, rects: np.ndarray, grow_pt: float) -> np.ndarray:
    corners = _corners(rects, grow_pt)
    return project(homography, corners.reshape(-1, 2)).reshape(-1, 4, 2)


def _side_strips(homography: np.ndarray, rects: np.ndarray, px_per_mm: float) -> np.ndarray:
    """Per box, four axis-aligned pixel rectangles just outside the middle of each side: (N, 4, 4)."""
    gap = (RING_FROM_MM + RING_TO_MM) / 2 * POINTS_PER_MM
    x0, y0, x1, y1 = (rects[:, i] for i in range(4))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    mids = np.stack([np.stack([cx, y0 - gap], 1), np.stack([x1 + gap, cy], 1),
                     np.stack([cx, y1 + gap], 1), np.stack([x0 - gap, cy], 1)], 1)
    ends = np.stack([np.stack([x1, y0 - gap], 1), np.stack([x1 + gap, y1], 1),
                     np.stack([x1, y1 + gap], 1), np.stack([x0 - gap, y1], 1)], 1)
    centre_px = project(homography, mids.reshape(-1, 2)).reshape(-1, 4, 2)
    along = project(homography, ends.reshape(-1, 2)).reshape(-1, 4, 2) - centre_px
    half_len = np.hypot(along[..., 0], along[..., 1]) * RING_SIDE_SHARE
    half_wid = np.full_like(half_len, max(1.0, (RING_TO_MM - RING_FROM_MM) / 2 * px_per_mm))
    flat = np.abs(along[..., 0]) >= np.abs(along[..., 1])
    hx, hy = np.where(flat, half_len, half_wid), np.where(flat, half_wid, half_len)
    out = np.stack([centre_px[..., 0] - hx, centre_px[..., 1] - hy, centre_px[..., 0] + hx, centre_px[..., 1] + hy], -1)
    return np.rint(out).astype(int)


def untinted(gray: np.ndarray, colour: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The grey page with highlighter and stain tint turned to paper, and the mask of tinted pixels."""
    hsv = cv2.cvtColor(colour, cv2.COLOR_RGB2HSV)
    paper = max(MIN_PAPER_LEVEL, float(np.percentile(gray[::8, ::8], PAPER_PERCENTILE)))
    sat_min = int(np.ceil(TINT_SATURATION * 255))
    # Saturated and bright (highlighter), or saturated in the stain hues and not dark; OpenCV keeps
    # hue in 0..180 (half degrees) for 8-bit images.
    bright = cv2.inRange(hsv, (0, sat_min, int(np.ceil(TINT_BRIGHT * paper))), (180, 255, 255))
    stain = cv2.inRange(hsv, (int(STAIN_HUE_DEG[0] / 2), sat_min, int(np.ceil(STAIN_BRIGHT * paper))),
                        (int(STAIN_HUE_DEG[1] / 2), 255, 255))
    tinted = cv2.bitwise_or(bright, stain)
    out = cv2.max(gray, cv2.convertScaleAbs(tinted, alpha=min(255.0, paper) / 255.0))
    return out, tinted


def measure_boxes(gray: np.ndarray, homography: np.ndarray, boxes: tuple[Box, ...] | list[Box],
                  px_per_mm: float, *, colour: np.ndarray | None = None) -> list[BoxMeasure]:
    """Measure all boxes of a page; the order follows ``boxes``. ``colour`` (RGB, same size) lets
    highlighter and stains be told from ink."""
    if not boxes:
        return []
    tinted: np.ndarray | None = None
    if colour is not None and colour.shape[:2] == gray.shape[:2]:
        gray, tinted = untinted(gray, colour)
    height, width = gray.shape[:2]
    rects = np.array([b.rect_pt for b in boxes], dtype=np.float64)
    inner = np.sort(_mapped(homography, rects, -INNER_INSET_MM * POINTS_PER_MM), axis=1)
    # Inscribed axis-aligned rectangle: between the 2nd and 3rd smallest coordinates.
    ix0, ix1 = np.ceil(inner[:, 1, 0]).astype(int), np.floor(inner[:, 2, 0]).astype(int)
    iy0, iy1 = np.ceil(inner[:, 1, 1]).astype(int), np.floor(inner[:, 2, 1]).astype(int)
    strips = _side_strips(homography, rects, px_per_mm)
    paper, cell = paper_map(gray, px_per_mm)
    centres_x = ((ix0 + ix1) / 2 / cell).astype(int).clip(0, paper.shape[1] - 1)
    centres_y = ((iy0 + iy1) / 2 / cell).astype(int).clip(0, paper.shape[0] - 1)
    white_arr = paper[centres_y, centres_x]
    whites = white_arr.tolist()
    sampled = sample_boxes(gray, homography, rects, white_arr, INK_LEVEL)
    features = list(zip(sampled.border.tolist(), sampled.edge.tolist(), sampled.gaps.tolist(),
                        sampled.white_sides.tolist(),
                        sampled.lined.tolist(), sampled.opposite.tolist(), sampled.exits.tolist(),
                        sampled.around.tolist(), sampled.streak.tolist(), sampled.residual.tolist(),
                        sampled.arc.tolist(), strict=True))
    a0s, a1s = np.clip(ix0, 0, width).tolist(), np.clip(ix1, 0, width).tolist()
    b0s, b1s = np.clip(iy0, 0, height).tolist(), np.clip(iy1, 0, height).tolist()
    strip_list = np.clip(strips, 0, [width, height, width, height]).tolist()
    levels = np.array([STRONG_LEVEL, INK_LEVEL, FAINT_LEVEL])
    # The centre span as shares of the inner area (which is inset from the box edge).
    box_w = np.maximum(rects[:, 2] - rects[:, 0], 1.0)
    inset = INNER_INSET_MM * POINTS_PER_MM / box_w
    c_lo = ((CENTRE_SPAN[0] - inset) / np.maximum(1 - 2 * inset, 1e-6)).clip(0, 0.5).tolist()
    out: list[BoxMeasure] = []
    for i in range(len(boxes)):
        white = whites[i]
        a0, a1, b0, b1 = a0s[i], a1s[i], b0s[i], b1s[i]
        border, edge, gaps, white_sides, lined, opposite, exits, around, streak, residual, arc = features[i]
        extra = {"border": border, "edge": edge, "gaps": gaps, "white_sides": white_sides, "lined": lined, "opposite": opposite,
                 "exits": exits, "around": around, "streak": streak, "residual": residual, "arc": arc}
        if a1 - a0 < 2 or b1 - b0 < 2:
            out.append(BoxMeasure(0.0, 0.0, 0.0, 0.0, 0.0, white, (a0, b0, a1, b1), **extra))
            continue
        crop = gray[b0:b1, a0:a1]
        values = np.sort(crop, axis=None)
        n = values.size
        # Pixels darker than each level, counted on the sorted values in one call.
        strong, ink, faint = (values.searchsorted(levels * white) / n).tolist()
        darkness = max(0.0, 1.0 - float(values[0]) / white)
        ink_level = white * INK_LEVEL
        ring = 0.0
        for x0, y0, x1, y1 in strip_list[i]:
            strip = gray[y0:y1, x0:x1]
            if strip.size:
                ring = max(ring, np.count_nonzero(strip < ink_level) / strip.size)
        centre = 0.0
        if ink > 0.0:
            h, w = crop.shape
            cy0, cx0 = int(h * c_lo[i]), int(w * c_lo[i])
            middle = crop[cy0:h - cy0, cx0:w - cx0]
            centre = np.count_nonzero(middle < ink_level) / max(1, middle.size)
        tint = 0.0
        if tinted is not None:
            tint = np.count_nonzero(tinted[b0:b1, a0:a1]) / n
        out.append(BoxMeasure(ink, faint, strong, darkness, float(ring), white, (a0, b0, a1, b1),
                              centre=float(centre), tint=float(tint), **extra))
    return out
