"""Sampled box features: the printed border, the band inside it and the paper around the box.

Every feature is read on a fixed grid of sample points per box, given in
millimetres or box fractions, mapped through the page's homography and
gathered from the image in one call for all boxes of a page (vectorised; a
few hundred points per box). Distances are physical, so the same grid reads
a 150, 200 or 300 dpi scan; one sample step stays below a pen stroke's width.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scan.omr.register import project
from softa.layout import POINTS_PER_MM

#: The printed border (0.7 pt) is looked for across this band either side of
#: the box edge: border width plus registration tolerance.
BORDER_BAND_MM = 0.6
BORDER_ACROSS = 11
#: Positions along each side where the border is looked for: the middle share
#: of the side (the corners belong to both sides and to overshooting strokes).
BORDER_ALONG_SHARE = 0.7
BORDER_ALONG = 8
#: At a visible border the darkest sample across the band is at most this share
#: of the brightest one (the line on its paper). Relative, so a transparent
#: tint (highlighter, a light stain, a shadow) leaves the border visible while an
#: opaque cover (sticky note, paper over the box, a torn-off corner) hides it.
BORDER_CONTRAST = 0.7
#: The band just inside the printed border, where a filled box is dark all round
#: and a tick shape leaves gaps: from past the border to the measured inner area.
EDGE_FROM_MM = 0.4
EDGE_TO_MM = 0.7
EDGE_ACROSS = 3
EDGE_ALONG = 12
#: A white run along that band counts as a gap when at least this many positions long
#: (about 0.5 mm on a 4.6 mm box): a tick's shape, not a hole in a scribble.
GAP_MIN_POSITIONS = 2
#: Outside the box: sample offsets beyond the border (mm). An offset is used on
#: a side only while it stays OUTSIDE_CLEARANCE_MM short of the neighbouring box.
OUTSIDE_OFFSETS_MM = (0.45, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6)
OUTSIDE_CLEARANCE_MM = 0.4
#: Strokes leaving the box are looked for only this close to it: printed labels
#: start 0.9 mm from a box (beside rating boxes, above the 0-10 scale).
EXIT_MAX_MM = 0.7
#: The paper round the box is judged from this far out (past any border blur).
AROUND_FROM_MM = 0.95
#: Positions along each side (box fractions) for lines through and beside the box.
LINE_ALONG = np.linspace(0.2, 0.8, 9)
#: Positions across the inner area (box fractions) for lines running through it.
LINE_INNER = np.linspace(0.22, 0.78, 7)
#: A line "runs along" a side (a circle drawn round the box) when ink is found
#: beside this middle part of the side at this share of its positions.
LINED_ALONG = (0.3, 0.7)
LINED_MIN = 0.75
#: Sides with less room than this beside them cannot show a circle round the box.
LINED_ROOM_MIN_MM = 1.0
#: A straight line through the box (a copier's drum streak, a ruler line) is ink at
#: this share of its inner samples and continues outside on both sides.
STREAK_INNER_MIN = 0.85
STREAK_OUTSIDE_MIN = 0.85
#: ...reaching at least this far out on both sides (a hand-drawn stroke through a
#: timeline box stops within a millimetre; where neighbours leave less room, no
#: line counts as a streak).
STREAK_REACH_MM = 1.2
#: More of the box than this share in "lines" is a filled or covered area, not a streak.
STREAK_MAX_SHARE = 0.5
#: Strokes crossing the border are counted on a ring this far outside the box (past
#: any border blur, short of timeline neighbours 1 mm away), at RING_PER_SIDE points a side.
CROSS_RING_MM = 0.7
RING_PER_SIDE = 14
#: A circle's arc runs on far past the box; a tick's overshoot mostly ends before this
#: second ring. Both crossings of an arc must show ink here, within ARC_REACH positions.
ARC_OUTER_MM = 1.4
ARC_REACH = 2
#: Two crossings closer than this (angle seen from the box centre) belong to a curve
#: through the side of the box (a circle's arc); a straight stroke through the box
#: crosses on opposite sides, a check's two ends some 135 degrees apart.
ARC_MAX_SEPARATION_DEG = 110.0
#: The ring is left out beside a neighbour closer than this (timeline boxes, 1 mm apart):
#: there it would see the neighbour's border and marks.
RING_MIN_GAP_MM = 1.6
#: Layout points beyond which another box is no neighbour (10 mm).
FAR_PT = 10 * POINTS_PER_MM


@dataclass(frozen=True)
class Sampled:
    """Per-box sampled features, arrays of length N."""

    border: np.ndarray  # share of the printed border visible on the worst side
    edge: np.ndarray  # share of positions just inside the border that are ink
    gaps: np.ndarray  # white runs along that band
    white_sides: np.ndarray  # sides of that band with a white run (a tick shape leaves all four)
    lined: np.ndarray  # sides with a line running along them outside the box
    opposite: np.ndarray  # two opposite sides lined (a circle squeezed between neighbours)
    exits: np.ndarray  # sides where ink leaves the box (just outside, middle part)
    around: np.ndarray  # ink share of the paper just around the box
    streak: np.ndarray  # share of line positions on a straight line through box and paper
    residual: np.ndarray  # ink share of inner samples off those lines
    arc: np.ndarray  # two strokes cross the border close together (a curve through the box's side)


def neighbour_gaps_pt(rects: np.ndarray) -> np.ndarray:
    """Per box and side (top, right, bottom, left): free space to the nearest box facing it, in points."""
    x0, y0, x1, y1 = (rects[:, i][:, None] for i in range(4))
    ox0, oy0, ox1, oy1 = (rects[:, i][None, :] for i in range(4))
    overlap_x = (np.minimum(x1, ox1) - np.maximum(x0, ox0)) > 0
    overlap_y = (np.minimum(y1, oy1) - np.maximum(y0, oy0)) > 0
    far = np.full(overlap_x.shape, FAR_PT)
    top = np.where(overlap_x & (oy1 <= y0), y0 - oy1, far).min(1)
    right = np.where(overlap_y & (ox0 >= x1), ox0 - x1, far).min(1)
    bottom = np.where(overlap_x & (oy0 >= y1), oy0 - y1, far).min(1)
    left = np.where(overlap_y & (ox1 <= x0), x0 - ox1, far).min(1)
    return np.stack([top, right, bottom, left], 1)


def _side_points(rects: np.ndarray, along: np.ndarray, offsets_pt: np.ndarray) -> np.ndarray:
    """Points beside each side, clockwise (top left-to-right, right down, bottom right-to-left,
    left up): along is (N, P) side fractions, offsets (Q,) points outward. Returns (N, 4, P, Q, 2)."""
    x0, y0, x1, y1 = (rects[:, i][:, None, None] for i in range(4))
    w, h = x1 - x0, y1 - y0
    t = along[:, :, None]
    d = offsets_pt[None, None, :]
    zeros = np.zeros_like(t * d)
    sides = [
        (x0 + t * w + zeros, y0 - d + zeros),
        (x1 + d + zeros, y0 + t * h + zeros),
        (x1 - t * w + zeros, y1 + d + zeros),
        (x0 - d + zeros, y1 - t * h + zeros),
    ]
    return np.stack([np.stack(s, -1) for s in sides], 1)


def _line_points(rects: np.ndarray, offsets_pt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vertical and horizontal lines at LINE_ALONG: inner samples (N, 2, P, I, 2) and outside
    samples on both ends (N, 2, P, 2, Q, 2) (before/after: above/below, left/right)."""
    x0, y0, x1, y1 = (rects[:, i][:, None, None] for i in range(4))
    w, h = x1 - x0, y1 - y0
    t = LINE_ALONG[None, :, None]
    f = LINE_INNER[None, None, :]
    vx, vy = x0 + t * w + 0 * f, y0 + f * h + 0 * t
    hx, hy = x0 + f * w + 0 * t, y0 + t * h + 0 * f
    inner = np.stack([np.stack([vx, vy], -1), np.stack([hx, hy], -1)], 1)
    d = offsets_pt[None, None, :]
    col = x0 + t * w + 0 * d
    row = y0 + t * h + 0 * d
    above, below = np.stack([col, y0 - d + 0 * t], -1), np.stack([col, y1 + d + 0 * t], -1)
    left, right = np.stack([x0 - d + 0 * t, row], -1), np.stack([x1 + d + 0 * t, row], -1)
    outside = np.stack([np.stack([above, below], 2), np.stack([left, right], 2)], 1)
    return inner, outside


def _gather(image: np.ndarray, homography: np.ndarray, points_pt: np.ndarray) -> np.ndarray:
    """Image values at layout points (nearest pixel, clipped to the image); same leading shape."""
    shape = points_pt.shape[:-1]
    px = project(homography, points_pt.reshape(-1, 2))
    px += 0.5
    height, width = image.shape[:2]
    xs = np.clip(px[:, 0], 0, width - 1).astype(np.intp)
    ys = np.clip(px[:, 1], 0, height - 1).astype(np.intp)
    ys *= width
    ys += xs
    return np.ascontiguousarray(image).reshape(-1).take(ys).reshape(shape)


def _gap_count(ink: np.ndarray) -> np.ndarray:
    """White runs of at least GAP_MIN_POSITIONS along a closed band: ink is (N, L) bool."""
    white = ~ink
    start = white & np.roll(ink, 1, axis=1)
    for k in range(1, GAP_MIN_POSITIONS):
        start &= np.roll(white, -k, axis=1)
    count = start.sum(1)
    return np.where(white.all(1), 1, count)


def _ring_points(rects: np.ndarray, grow_pt: float) -> np.ndarray:
    """A closed square ring round each box, grow_pt outside it, clockwise from the top left: (N, R, 2)."""
    x0, y0, x1, y1 = (rects[:, i][:, None] - g for i, g in enumerate((grow_pt, grow_pt, -grow_pt, -grow_pt)))
    t = np.linspace(0.0, 1.0, RING_PER_SIDE, endpoint=False)[None, :]
    w, h = x1 - x0, y1 - y0
    zero = np.zeros_like(t)
    sides = [(x0 + t * w, y0 + zero), (x1 + zero, y0 + t * h), (x1 - t * w, y1 + zero), (x0 + zero, y1 - t * h)]
    return np.concatenate([np.stack(s, -1) for s in sides], 1)


def _arcs(ink: np.ndarray, outer: np.ndarray) -> np.ndarray:
    """Per box: two ink runs on the ring, each running on to the outer ring, closer together than
    ARC_MAX_SEPARATION_DEG (ink and outer are (N, R) bool, index-aligned rings)."""
    out = np.zeros(len(ink), dtype=bool)
    size = ink.shape[1]
    starts = ink & ~np.roll(ink, 1, axis=1)
    for i in np.flatnonzero(starts.sum(1) >= 2):  # only boxes with two or more crossings
        row = ink[i]
        begin = np.flatnonzero(starts[i])
        ends = np.sort(np.flatnonzero(row & ~np.roll(row, -1)))
        ends = np.where(ends < begin[0], ends + size, ends)
        ends = np.sort(ends)
        mids = []
        for b, e in zip(begin, ends, strict=True):
            span = np.arange(b - ARC_REACH, e + ARC_REACH + 1) % size
            if outer[i, span].any():
                mids.append(((b + e) / 2.0) % size * 360.0 / size)
        if len(mids) < 2:
            continue
        angles = np.sort(np.array(mids))
        gaps = np.diff(np.concatenate([angles, angles[:1] + 360.0]))
        out[i] = bool((gaps < ARC_MAX_SEPARATION_DEG).any())
    return out


@dataclass(frozen=True)
class _Geometry:
    """Everything about a page's sample grid that depends on the layout only (cached per layout page)."""

    points: np.ndarray  # (N, K, 2) layout points of every sample, all groups concatenated
    shapes: tuple[tuple[int, ...], ...]  # per group, the per-box shape of its samples
    gaps_pt: np.ndarray
    room: np.ndarray
    valid_pq: np.ndarray
    has_room: np.ndarray
    cramped: np.ndarray
    ring_beside: tuple[np.ndarray, np.ndarray]


_GEOMETRY: dict[bytes, _Geometry] = {}
#: Layout pages whose sample grid is kept (a batch reads the same few pages over and over).
GEOMETRY_CACHE = 64


def _geometry(rects: np.ndarray) -> _Geometry:
    key = rects.tobytes()
    cached = _GEOMETRY.get(key)
    if cached is not None:
        return cached
    n = len(rects)
    mm = POINTS_PER_MM
    gaps_pt = neighbour_gaps_pt(rects)
    width_pt = np.minimum(rects[:, 2] - rects[:, 0], rects[:, 3] - rects[:, 1])
    lo = (1 - BORDER_ALONG_SHARE) / 2
    along = np.broadcast_to(np.linspace(lo, 1 - lo, BORDER_ALONG), (n, BORDER_ALONG))
    across = np.linspace(-BORDER_BAND_MM, BORDER_BAND_MM, BORDER_ACROSS) * mm
    border_pts = _side_points(rects, along, across)
    span = (width_pt - 2 * EDGE_FROM_MM * mm) / np.maximum(width_pt, 1.0)
    steps = np.linspace(0.0, 1.0, EDGE_ALONG, endpoint=False)[None, :]
    along_edge = (1 - span[:, None]) / 2 + span[:, None] * steps
    inward = -np.linspace(EDGE_FROM_MM, EDGE_TO_MM, EDGE_ACROSS) * mm
    edge_pts = _side_points(rects, along_edge, inward)
    offsets_pt = np.array(OUTSIDE_OFFSETS_MM) * mm
    inner_pts, outside_pts = _line_points(rects, offsets_pt)
    room = gaps_pt[:, [[0, 2], [3, 1]]] - OUTSIDE_CLEARANCE_MM * mm  # (N, 2, 2)
    valid = offsets_pt[None, None, None, :] <= room[..., None]
    groups = [border_pts, edge_pts, inner_pts, outside_pts]
    beside = []
    for grow in (CROSS_RING_MM, ARC_OUTER_MM):
        ring_pts = _ring_points(rects, grow * mm)
        close = gaps_pt < (grow + RING_MIN_GAP_MM - CROSS_RING_MM) * mm  # (N, 4): top, right, bottom, left
        rx, ry = ring_pts[..., 0], ring_pts[..., 1]
        beside.append((close[:, 0:1] & (ry < rects[:, 1:2])) | (close[:, 1:2] & (rx > rects[:, 2:3]))
                      | (close[:, 2:3] & (ry > rects[:, 3:4])) | (close[:, 3:4] & (rx < rects[:, 0:1])))
        groups.append(ring_pts)
    geometry = _Geometry(
        points=np.concatenate([g.reshape(n, -1, 2) for g in groups], 1),
        shapes=tuple(g.shape[1:-1] for g in groups), gaps_pt=gaps_pt, room=room,
        valid_pq=valid[:, :, None, :, :], has_room=(room >= STREAK_REACH_MM * mm)[:, :, None, :],
        cramped=room.max(-1) < LINED_ROOM_MIN_MM * mm, ring_beside=(beside[0], beside[1]))
    if len(_GEOMETRY) >= GEOMETRY_CACHE:
        _GEOMETRY.clear()
    _GEOMETRY[key] = geometry
    return geometry


def sample_boxes(image: np.ndarray, homography: np.ndarray, rects: np.ndarray, whites: np.ndarray,
                 ink_level: float) -> Sampled:
    """The sampled features of every box (rects in layout points, whites the local paper level)."""
    n = len(rects)
    mm = POINTS_PER_MM
    white = whites.reshape(n, 1)
    ink_cut = white * ink_level
    geo = _geometry(rects)
    values = _gather(image, homography, geo.points)  # (N, K): one projection, one gather
    parts = []
    at = 0
    for shape in geo.shapes:
        size = int(np.prod(shape))
        parts.append(values[:, at:at + size].reshape((n, *shape)))
        at += size
    band_vals, edge_vals, inner_vals, outside_vals, ring_vals, outer_vals = parts
    valid_pq = geo.valid_pq
    offsets_pt = np.array(OUTSIDE_OFFSETS_MM) * mm

    # The printed border: darkest vs brightest across the band, along the middle of each side.
    band = band_vals.astype(np.float32)
    visible = band.min(3) <= BORDER_CONTRAST * band.max(3)
    border = visible.mean(2).min(1)

    # The band just inside the border, all round: a fill is dark there, a tick leaves gaps.
    side_ink = (edge_vals < ink_cut[:, :, None, None]).mean(3) >= 0.5  # (N, 4, P)
    edge_ink = side_ink.reshape(n, -1)
    edge = edge_ink.mean(1)
    gaps = _gap_count(edge_ink)
    side_white = ~side_ink
    run = side_white[:, :, : EDGE_ALONG - GAP_MIN_POSITIONS + 1].copy()
    for k in range(1, GAP_MIN_POSITIONS):
        run &= side_white[:, :, k: EDGE_ALONG - GAP_MIN_POSITIONS + 1 + k]
    white_sides = run.any(2).sum(1)

    # Lines through the box and the paper around it; offsets valid per side: (N, 2 orientations,
    # 2 ends, Q), the ends top/bottom and left/right.
    inner_ink = inner_vals < ink_cut[:, :, None, None]  # (N, 2, P, I)
    outside_ink = outside_vals < ink_cut[:, :, None, None, None]
    ink_valid = outside_ink & valid_pq
    n_valid = np.maximum(valid_pq.sum(-1), 1)  # (N, 2, 1, 2)
    outside_share = ink_valid.sum(-1) / n_valid  # (N, 2, P, 2)
    inner_share = inner_ink.mean(-1)  # (N, 2, P)
    continues = ((outside_share >= STREAK_OUTSIDE_MIN) & geo.has_room).all(-1)
    on_line = (inner_share >= STREAK_INNER_MIN) & continues  # (N, 2, P)
    line_share = on_line.mean(2).max(1)
    is_streak = on_line.any((1, 2)) & (line_share <= STREAK_MAX_SHARE)
    streak = np.where(is_streak, line_share, 0.0)
    # Residual ink: the samples off the streak lines and their immediate neighbours (soft edges).
    wide = on_line.copy()
    wide[:, :, 1:] |= on_line[:, :, :-1]
    wide[:, :, :-1] |= on_line[:, :, 1:]
    keep = ~wide[..., None] & np.ones_like(inner_ink)  # (N, 2, P, I)
    kept_ink = (inner_ink & keep).sum((2, 3)) / np.maximum(keep.sum((2, 3)), 1)  # (N, 2)
    has_line = on_line.any(2)
    residual = np.where(is_streak, np.where(has_line, kept_ink, 0.0).max(1), 0.0)

    # A line running along the sides outside (a circle): ink beyond paper, so a blurred border
    # (phone photos, soft scans) is no line; strokes leaving the box: ink reaching further out than
    # the border's own blur does along the rest of that side.
    lo_mid, hi_mid = LINED_ALONG
    mid = np.abs(LINE_ALONG - (lo_mid + hi_mid) / 2) <= (hi_mid - lo_mid) / 2 + 1e-9
    paper = ~outside_ink & valid_pq
    paper_before = np.cumsum(paper, axis=-1) - paper > 0
    beyond_paper: np.ndarray = np.asarray((ink_valid & paper_before).any(-1))  # (N, 2, P, 2)
    lined_sides = beyond_paper[:, :, mid, :].mean(2) >= LINED_MIN  # (N, 2, 2)
    lined = lined_sides.sum((1, 2))
    # Two opposite sides count only where the other two have no room to show a line
    # (timeline boxes 1 mm apart): elsewhere a circle lines three or four sides.
    cramped = geo.cramped  # (N, 2): vertical-line ends, horizontal-line ends
    opposite = (lined_sides[:, 0].all(-1) & cramped[:, 1]) | (lined_sides[:, 1].all(-1) & cramped[:, 0])
    near = offsets_pt <= EXIT_MAX_MM * mm
    run = np.cumprod(ink_valid[..., near], axis=-1).sum(-1)  # (N, 2, P, 2)
    blur = np.median(run, axis=2, keepdims=True)
    exits = (run > blur).any(2).sum((1, 2))
    far = offsets_pt >= AROUND_FROM_MM * mm
    far_valid = np.broadcast_to(valid_pq & far, ink_valid.shape)
    around = (ink_valid & far).sum((1, 2, 3, 4)) / np.maximum(far_valid.sum((1, 2, 3, 4)), 1)
    ring_ink = (ring_vals < ink_cut) & ~geo.ring_beside[0]
    outer_ink = (outer_vals < ink_cut) & ~geo.ring_beside[1]
    arc = _arcs(ring_ink & ~ring_ink.all(1, keepdims=True), outer_ink)
    return Sampled(border=border, edge=edge, gaps=gaps, white_sides=white_sides, lined=lined, opposite=opposite, exits=exits,
                   around=around, streak=streak, residual=residual, arc=arc)
