"""Local refinement of a page's registration on its printed box borders.

A homography is exact only for paper lying flat. A phone photo of a curled or
bent sheet moves the boxes in the middle of the page by millimetres against
where the four corner marks put them. Every box's printed border is a known
pattern: two vertical and two horizontal thin lines. Each box's four borders
are found on short profiles across them (one image remap for all boxes of a
round); their offsets from the prediction, in layout points, feed a smooth
displacement field on a coarse grid over the page (bilinear between nodes,
second differences kept small). The field is grown from the registration marks
inward, in rounds: each round's boxes are searched around the field that the
earlier, nearer rounds predict, so a neighbouring box is never taken for one.

The mapping of a layout point p is then ``homography(p + field(p))``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from softa.layout import POINTS_PER_MM

#: The displacement at a point is a local linear fit to the box measurements around it, weighted
#: by a Gaussian of this width (mm): a few boxes each way (the tick pitch is 6.5 mm), narrow
#: enough to follow a sheet bent over a few centimetres.
FIELD_SIGMA_MM = 9.0
#: Slopes of the local fit are held towards zero by this share of the neighbourhood's
#: spread: a single row of boxes gives an offset, not a tilt, across the row.
SLOPE_RIDGE = 0.05
#: Registration marks count as this many box measurements (their place is exact).
ANCHOR_WEIGHT = 4.0
#: Box measurements further than this (mm) from the field (a tick across a border, a printed
#: label beside it) are left out.
OUTLIER_MM = 0.35
#: Boxes are searched in this many rounds, nearest to the registration marks first.
ROUNDS = 3
#: How far (mm) each box border is looked for around its prediction: in the first round
#: below half the 5 mm pitch of the timeline boxes, so a neighbour's border cannot be
#: taken for the box's own; afterwards around what the nearer boxes predict.
SEARCH_FIRST_MM = 2.2
SEARCH_LATER_MM = 1.2
#: Profile sampling step along the normal of a border (mm): finer than any image pixel.
PROFILE_STEP_MM = 0.1
#: A border line is found as darkness that stands above the paper this far (mm) to both sides
#: (the printed line is 0.25 mm wide, blurred by the lens).
LINE_CONTEXT_MM = 0.5
#: Profiles are averaged across this share of the box's side around its middle, at this many places.
BAND_SHARE = 0.5
BAND_SAMPLES = 3
#: Both borders of a box must stand out at least this much (darkness as a share of the
#: paper white around the box) for its offset to count.
LINE_MIN_CONTRAST = 0.12


@dataclass(frozen=True)
class LocalField:
    """A smooth displacement (layout points) over the page: locally linear in the measured points."""

    #: (M, 2) layout points, (M, 2) displacements there, (M,) weights (0 = unknown)
    points: np.ndarray
    values: np.ndarray
    weights: np.ndarray
    sigma_pt: float = FIELD_SIGMA_MM * POINTS_PER_MM

    def at(self, query_pt: np.ndarray) -> np.ndarray:
        """Displacement (N, 2) in points at (N, 2) layout points (zero when nothing is known)."""
        query = np.asarray(query_pt, np.float64).reshape(-1, 2)
        out = np.zeros_like(query)
        keep = self.weights > 0
        if not keep.any() or not len(query):
            return out
        p, v, w = self.points[keep], self.values[keep], self.weights[keep]
        # Squared distances, in single precision (points are at most ~900 pt apart, sigma ~25 pt).
        q32, p32 = query.astype(np.float32), p.astype(np.float32)
        d2 = q32 @ (-2.0 * p32.T)
        d2 += (p32 * p32).sum(1)[None, :]
        d2 += (q32 * q32).sum(1)[:, None]
        # Relative to the nearest point: far from every measurement the nearest ones still count.
        d2 -= d2.min(axis=1, keepdims=True)
        d2 *= np.float32(-0.5 / self.sigma_pt ** 2)
        g = np.exp(d2, out=d2)
        x, y = p[:, 0], p[:, 1]
        features = np.stack([w, w * x, w * y, w * x * x, w * x * y, w * y * y, w * v[:, 0], w * v[:, 1],
                             w * x * v[:, 0], w * x * v[:, 1], w * y * v[:, 0], w * y * v[:, 1]], 1)
        m = g.astype(np.float64) @ features  # weighted sums per query, (N, 12)
        qx, qy = query[:, 0], query[:, 1]
        s0 = m[:, 0]
        sx, sy = m[:, 1] - qx * s0, m[:, 2] - qy * s0  # moments about the query point
        sxx = m[:, 3] - 2 * qx * m[:, 1] + qx * qx * s0
        sxy = m[:, 4] - qx * m[:, 2] - qy * m[:, 1] + qx * qy * s0
        syy = m[:, 5] - 2 * qy * m[:, 2] + qy * qy * s0
        ridge = SLOPE_RIDGE * s0 * self.sigma_pt ** 2
        sxx, syy = sxx + ridge, syy + ridge
        sv = m[:, 6:8]
        sxv = m[:, 8:10] - qx[:, None] * sv
        syv = m[:, 10:12] - qy[:, None] * sv
        # The fit's value at the query point (its intercept), by Cramer's rule on the 3x3 normal equations.
        minor = sxx * syy - sxy * sxy
        det = s0 * minor - sx * (sx * syy - sxy * sy) + sy * (sx * sxy - sxx * sy)
        num = (sv * minor[:, None] - sx[:, None] * (sxv * syy[:, None] - sxy[:, None] * syv)
               + sy[:, None] * (sxv * sxy[:, None] - sxx[:, None] * syv))
        return np.where(det[:, None] > 0, num / np.where(det > 0, det, 1.0)[:, None], 0.0)


@dataclass(frozen=True)
class Refinement:
    """Result of local refinement: the field and how well the boxes agree with it."""

    field: LocalField
    #: boxes whose borders were found and agree with the field, and all boxes
    boxes_used: int
    boxes_total: int
    #: 90th percentile (mm) of the found boxes' distance from the field
    residual_mm: float


def _project(homography: np.ndarray, points: np.ndarray) -> np.ndarray:
    return cv2.perspectiveTransform(points.reshape(-1, 1, 2), homography).reshape(points.shape)


def find_borders(gray: np.ndarray, homography: np.ndarray, rects: np.ndarray, shift_pt: np.ndarray,
                 search_pt: float) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (N, 2) in points of each box's printed border from ``homography(rect + shift)``.

    Returns the offsets and per coordinate whether it was found (N, 2, bool).
    """
    step = PROFILE_STEP_MM * POINTS_PER_MM
    context = max(1, round(LINE_CONTEXT_MM * POINTS_PER_MM / step))
    reach = int(np.ceil(search_pt / step))
    t = np.arange(-reach - context, reach + context + 1) * step  # along the normal
    n = len(rects)
    x0, y0, x1, y1 = (rects[:, i] + (shift_pt[:, i % 2]) for i in range(4))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    band = (np.linspace(-0.5, 0.5, BAND_SAMPLES) * BAND_SHARE)[None, :]
    across_y = cy[:, None] + band * (y1 - y0)[:, None]  # (N, K) for vertical borders
    across_x = cx[:, None] + band * (x1 - x0)[:, None]
    # Each profile is a short straight segment across a border: only its two ends are projected
    # (a homography keeps lines straight; over a few mm its spacing is even to a thousandth).
    ends = np.empty((n, 4, BAND_SAMPLES, 2, 2))
    for side, (line, across, vertical) in enumerate(((x0, across_y, True), (x1, across_y, True),
                                                     (y0, across_x, False), (y1, across_x, False))):
        for end, offset in enumerate((t[0], t[-1])):
            ends[:, side, :, end, 0 if vertical else 1] = (line + offset)[:, None]
            ends[:, side, :, end, 1 if vertical else 0] = across
    ends_px = _project(homography, ends.reshape(-1, 2)).reshape(-1, 2, 2).astype(np.float32)
    share = np.linspace(0.0, 1.0, len(t), dtype=np.float32)[None, :]
    start, span = ends_px[:, 0, :], ends_px[:, 1, :] - ends_px[:, 0, :]
    map_x = start[:, 0:1] + span[:, 0:1] * share
    map_y = start[:, 1:2] + span[:, 1:2] * share
    values = cv2.remap(gray, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    profiles = values.reshape(n, 4, BAND_SAMPLES, len(t)).astype(np.float32).mean(axis=2)
    white = np.maximum(profiles.reshape(n, -1).max(axis=1), 1.0)
    dark = 1.0 - profiles / white[:, None, None]
    line = dark[..., context:-context] - 0.5 * (dark[..., :-2 * context] + dark[..., 2 * context:])
    offsets = np.zeros((n, 2))
    found = np.zeros((n, 2), bool)
    for axis in range(2):
        pair = line[:, 2 * axis:2 * axis + 2]  # (N, 2 lines, S)
        score = pair.sum(axis=1)
        best = np.argmax(score, axis=1)
        rows = np.arange(n)
        weakest = pair[rows, :, best].min(axis=1)
        inner = (best > 0) & (best < score.shape[1] - 1)
        left = score[rows, np.clip(best - 1, 0, None)]
        right = score[rows, np.clip(best + 1, None, score.shape[1] - 1)]
        mid = score[rows, best]
        curve = left - 2 * mid + right
        sub = np.where(inner & (curve < 0), 0.5 * (left - right) / np.where(curve < 0, curve, -1.0), 0.0)
        offsets[:, axis] = (best - reach + sub) * step
        found[:, axis] = inner & (weakest >= LINE_MIN_CONTRAST)
    return offsets, found


def refine(gray: np.ndarray, homography: np.ndarray, rects: np.ndarray, anchors_pt: np.ndarray,
           anchor_offsets_pt: np.ndarray | None = None) -> Refinement:
    """Displacement field that brings every box's printed border where the image shows it.

    ``anchors_pt`` are layout points where the mapping is known to be right (the registration
    marks it was fitted on); they order the rounds and hold the field
    (with ``anchor_offsets_pt``, or zero displacement).
    """
    centres = np.stack([(rects[:, 0] + rects[:, 2]) / 2, (rects[:, 1] + rects[:, 3]) / 2], 1)
    anchors = np.asarray(anchors_pt, np.float64).reshape(-1, 2)
    anchor_values = np.zeros_like(anchors) if anchor_offsets_pt is None else np.asarray(anchor_offsets_pt)
    anchor_weights = np.full(len(anchors), ANCHOR_WEIGHT)
    distance = np.min(np.hypot(centres[:, None, 0] - anchors[None, :, 0], centres[:, None, 1] - anchors[None, :, 1]),
                      axis=1) if len(anchors) else np.zeros(len(centres))
    order = np.argsort(distance, kind="stable")
    measured = np.zeros((len(rects), 2))
    weights = np.zeros(len(rects))
    residual = np.full(len(rects), np.inf)
    done = np.zeros(len(rects), bool)
    field = LocalField(anchors, anchor_values, anchor_weights)
    limit = OUTLIER_MM * POINTS_PER_MM
    for number, batch in enumerate(np.array_split(order, ROUNDS)):
        if not len(batch):
            continue
        search = (SEARCH_FIRST_MM if number == 0 else SEARCH_LATER_MM) * POINTS_PER_MM
        shift = field.at(centres[batch])
        offsets, found = find_borders(gray, homography, rects[batch], shift, search)
        measured[batch] = shift + offsets
        weights[batch] = found.all(axis=1).astype(np.float64)
        done[batch] = True
        # Fit on what is known so far, leave out this round's boxes that disagree with it, fit again.
        points = np.vstack([anchors, centres[done]])
        values = np.vstack([anchor_values, measured[done]])
        first = LocalField(points, values, np.concatenate([anchor_weights, weights[done]]))
        residual[batch] = np.hypot(*(measured[batch] - first.at(centres[batch])).T)
        weights[batch] = np.where(residual[batch] > limit, 0.0, weights[batch])
        field = LocalField(points, values, np.concatenate([anchor_weights, weights[done]]))
    good = weights > 0
    distances = residual[good]
    residual_mm = float(np.percentile(distances, 90)) / POINTS_PER_MM if len(distances) else float("inf")
    return Refinement(field=field, boxes_used=int(good.sum()), boxes_total=len(rects), residual_mm=residual_mm)
