"""Even out the light on a page before its boxes are measured.

A phone photo is lit unevenly: a shadow band of a hand or the phone, a lamp
to one side. Box measurement judges ink against the paper white around each
box, estimated over about a centimetre; across a shadow's edge the paper
changes faster than that. Here the paper's own brightness is estimated on a
1 mm grid by a morphological closing (dark things smaller than a filled box
are bridged over; a smooth change of light is kept exactly), and the page is
divided by it. Pages lit evenly (every scanner) are left as they are, at the
cost of the coarse estimate only.
"""

from __future__ import annotations

import cv2
import numpy as np

from scan.omr.register import Registration
from softa.layout import Box

#: Paper brightness is estimated on cells of this size (mm).
CELL_MM = 1.0
#: Pixels per cell side used for its mean.
SAMPLES_PER_CELL = 3
#: Closing span (mm): wider than the widest solid ink a page carries (a filled 4.6 mm box)
#: and a shaded row's gaps, narrow enough to follow a shadow's soft edge.
CLOSE_MM = 7.0
#: Light is even enough when the paper at every box is at least this share of the brightest.
EVEN_SHARE = 0.9
#: Paper white is taken as this percentile of the paper at the boxes.
WHITE_PERCENTILE = 95


def paper_level(gray: np.ndarray, px_per_mm: float) -> tuple[np.ndarray, float]:
    """Paper brightness on a coarse grid, and the grid's cell size in pixels."""
    cell = max(1.0, CELL_MM * px_per_mm)
    height, width = gray.shape[:2]
    size = (max(1, round(width / cell)), max(1, round(height / cell)))
    # A few pixels per cell are plenty for its mean, at a fraction of the cost.
    if cell > SAMPLES_PER_CELL:
        gray = cv2.resize(gray, (size[0] * SAMPLES_PER_CELL, size[1] * SAMPLES_PER_CELL),
                          interpolation=cv2.INTER_NEAREST)
    small = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    span = max(3, round(CLOSE_MM / CELL_MM) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (span, span))
    return cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel), cell


def even_light(gray: np.ndarray, colour: np.ndarray | None, registration: Registration,
               boxes: tuple[Box, ...] | list[Box]) -> tuple[np.ndarray, np.ndarray | None]:
    """The page (and its colour version) with the paper brought to one white, where the light is uneven.

    The paper at the boxes (where ``registration`` puts them) decides whether the light is even.
    """
    if not boxes:
        return gray, colour
    centres_px = registration.to_image(box_centres_pt(boxes))
    level, cell = paper_level(gray, registration.px_per_mm)
    cols = np.clip((centres_px[:, 0] / cell).astype(int), 0, level.shape[1] - 1)
    rows = np.clip((centres_px[:, 1] / cell).astype(int), 0, level.shape[0] - 1)
    at_boxes = level[rows, cols].astype(np.float64)
    white = float(np.percentile(at_boxes, WHITE_PERCENTILE))
    if white <= 0 or float(at_boxes.min()) >= EVEN_SHARE * white:
        return gray, colour
    height, width = gray.shape[:2]
    # One cell wider: where printed shading meets paper, the paper keeps its own level (the
    # interpolation between cells falls on the shading), so no bright seam is made beside it.
    smooth = np.maximum(cv2.dilate(level, np.ones((3, 3), np.uint8)), 1)
    full = cv2.resize(smooth, (width, height), interpolation=cv2.INTER_LINEAR)
    flat = cv2.divide(gray, full, scale=white)
    if colour is None:
        return flat, None
    return flat, cv2.divide(colour, cv2.merge([full, full, full]), scale=white)


def box_centres_pt(boxes: tuple[Box, ...] | list[Box]) -> np.ndarray:
    """(N, 2) layout centres of boxes."""
    rects = np.array([b.rect_pt for b in boxes], np.float64).reshape(-1, 4)
    return np.stack([(rects[:, 0] + rects[:, 2]) / 2, (rects[:, 1] + rects[:, 3]) / 2], 1)

