"""Registration: layout points to image pixels, via the corner marks and the printed boxes.

The QR code's corners give a first estimate (orientation, scale, position);
each registration mark is then searched near where that estimate puts it,
nearest to the QR first so that the estimate improves as marks are found. The
homography is fitted on the four mark centres, or on three and the QR corners
(a folded or covered corner); the boxes nearest each corner confirm it. Then
the printed box borders correct it locally (scan.omr.refine) for paper that
does not lie flat: a layout point p maps to ``homography(p + field(p))``. The
QR corners measure the registration error.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass

import cv2
import numpy as np

from scan.omr.refine import LocalField, find_borders, refine
from softa.layout import POINTS_PER_MM, Box, PageLayout, Rect

#: Marks are searched this far (mm on the page) around their predicted centre,
#: then further: room for a phone photo's perspective, which an estimate from
#: the QR and the top marks alone cannot know.
SEARCH_RADII_MM = (22.0, 55.0)
#: A mark stands alone: in the band from its edge out to this share of its
#: side beyond, at most HALO_INK_MAX of the pixels are dark (a filled box in
#: the grid has neighbours 1.9 mm away).
HALO_SIDE = 0.7
HALO_INK_MAX = 0.03
#: A found mark's ink area may differ this much from the printed square
#: (blur, threshold, perspective foreshortening of phone photos).
MARK_AREA_MIN = 0.45
MARK_AREA_MAX = 2.2
#: The mark's bounding box side, relative to the printed side (a 45-degree
#: turn gives 1.41; foreshortening shrinks it).
MARK_SIDE_MIN = 0.6
MARK_SIDE_MAX = 1.7
#: Share of the mark's bounding box its ink fills (a square turned 10 degrees fills 0.75).
MARK_FILL_MIN = 0.55
#: Marks are printed solid black: a pixel belongs to one when darker than
#: this share of the paper white around it (a grey table behind a phone photo
#: or a shadow stays lighter).
MARK_LEVEL = 0.4
WHITE_PERCENTILE = 95
#: Registration error above this (mm) flags the whole page: inner box areas are
#: inset 0.8 mm from the printed border, so a larger error lets the border in.
MAX_REGISTRATION_ERROR_MM = 0.6
#: Marks needed for a homography from the marks (with the QR code's corners when one is missing).
MIN_MARKS = 3
#: Four marks agree with the QR code when its corners lie this close (mm) to where they put them
#: (a curled sheet moves the QR code a little against the corner marks).
QR_AGREEMENT_MM = 1.0
#: The local correction is used when at least this many boxes, and this share of them, show their borders.
LOCAL_MIN_BOXES = 8
LOCAL_MIN_SHARE = 0.25
#: Candidate homographies are checked on the VERIFY_BOXES boxes nearest each mark (where a sheet's
#: curl is least): the share of those whose printed borders lie within VERIFY_SEARCH_MM of where
#: it puts them must be at least VERIFY_MIN_SHARE (at every corner, for four marks taken as found).
VERIFY_BOXES = 6
VERIFY_SEARCH_MM = 2.2
VERIFY_MIN_SHARE = 0.5


@dataclass(frozen=True)
class Registration:
    """Result of registering one page."""

    homography: np.ndarray
    error_mm: float
    marks_found: int
    ok: bool
    reason: str | None
    rotation: int
    px_per_mm: float
    #: Local correction on top of the homography (layout points), from the printed box borders.
    field: LocalField | None = None

    def to_image(self, points_pt: np.ndarray) -> np.ndarray:
        """Image pixels of (N, 2) layout points."""
        points = np.asarray(points_pt, np.float64).reshape(-1, 2)
        if self.field is not None:
            points = points + self.field.at(points)
        return project(self.homography, points)

    def placed(self, boxes: tuple[Box, ...] | list[Box]) -> tuple[Box, ...]:
        """The boxes moved by the local correction: under ``homography`` they map where the image shows them.

        The correction is taken as constant across a box (it changes by hundredths of a millimetre there).
        """
        if self.field is None or not boxes:
            return tuple(boxes)
        rects = np.array([b.rect_pt for b in boxes], np.float64)
        shift = self.field.at(np.stack([(rects[:, 0] + rects[:, 2]) / 2, (rects[:, 1] + rects[:, 3]) / 2], 1))
        moved = (rects + np.hstack([shift, shift])).tolist()
        return tuple(dataclasses.replace(b, rect_pt=(r[0], r[1], r[2], r[3])) for b, r in zip(boxes, moved, strict=True))

    def placed_rect(self, rect_pt: Rect) -> Rect:
        """A rectangle (a free-text region) moved by the local correction at its centre."""
        if self.field is None:
            return rect_pt
        x0, y0, x1, y1 = rect_pt
        dx, dy = self.field.at(np.array([[(x0 + x1) / 2, (y0 + y1) / 2]]))[0].tolist()
        return (x0 + dx, y0 + dy, x1 + dx, y1 + dy)


def _fit_similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """3x3 affine (uniform scale) mapping src points to dst points."""
    matrix, _ = cv2.estimateAffinePartial2D(src.astype(np.float32), dst.astype(np.float32), method=cv2.LMEDS)
    if matrix is None:
        raise ValueError("degenerate points")
    return np.vstack([matrix, [0.0, 0.0, 1.0]])


def _fit_affine(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    matrix, _ = cv2.estimateAffine2D(src.astype(np.float32), dst.astype(np.float32), method=cv2.LMEDS)
    if matrix is None:
        return _fit_similarity(src, dst)
    return np.vstack([matrix, [0.0, 0.0, 1.0]])


def project(homography: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map (N, 2) points through a 3x3 homography."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 1, 2)
    return cv2.perspectiveTransform(pts, homography).reshape(-1, 2)


def scale_px_per_pt(homography: np.ndarray, at_pt: tuple[float, float]) -> float:
    """Local scale of the mapping (image pixels per layout point) at a layout point."""
    x, y = at_pt
    pts = project(homography, np.array([[x, y], [x + 1, y], [x, y + 1]]))
    jac = np.array([pts[1] - pts[0], pts[2] - pts[0]])
    return math.sqrt(abs(float(np.linalg.det(jac))))


def rotation_of(homography: np.ndarray, at_pt: tuple[float, float]) -> int:
    """How the page lies in the image: 0, 90, 180 or 270 degrees (clockwise)."""
    x, y = at_pt
    pts = project(homography, np.array([[x, y], [x + 10, y]]))
    dx, dy = pts[1] - pts[0]
    angle = math.degrees(math.atan2(dy, dx)) % 360
    return round(angle / 90.0) % 4 * 90


def _isolated(binary: np.ndarray, stat: np.ndarray, side_px: float) -> bool:
    bx, by, bw, bh = (int(v) for v in stat[:4])
    grow = round(HALO_SIDE * side_px)
    x0, y0 = max(0, bx - grow), max(0, by - grow)
    x1, y1 = min(binary.shape[1], bx + bw + grow), min(binary.shape[0], by + bh + grow)
    band = int(np.count_nonzero(binary[y0:y1, x0:x1])) - int(np.count_nonzero(binary[by:by + bh, bx:bx + bw]))
    band_area = (x1 - x0) * (y1 - y0) - bw * bh
    return band_area > 0 and band / band_area <= HALO_INK_MAX


def _find_mark(gray: np.ndarray, centre: np.ndarray, radius_px: float, side_px: float) -> np.ndarray | None:
    height, width = gray.shape[:2]
    cx, cy = float(centre[0]), float(centre[1])
    x0, y0 = max(0, int(cx - radius_px)), max(0, int(cy - radius_px))
    x1, y1 = min(width, int(cx + radius_px) + 1), min(height, int(cy + radius_px) + 1)
    if x1 - x0 < side_px or y1 - y0 < side_px:
        return None
    window = gray[y0:y1, x0:x1]
    white = float(np.percentile(window[::4, ::4], WHITE_PERCENTILE))
    dark = float(window.min())
    level = min((dark + white) / 2, MARK_LEVEL * white)
    binary = (window < level).astype(np.uint8)
    _, _, stats, centroids = cv2.connectedComponentsWithStats(binary, connectivity=8)
    expected_area = side_px * side_px
    bx, by, bw, bh, area = (stats[1:, i] for i in range(5))
    # Mark-sized, squarish, solid components, not cut by the window's edge (those are not whole marks).
    keep = ((area >= MARK_AREA_MIN * expected_area) & (area <= MARK_AREA_MAX * expected_area)
            & (bw >= MARK_SIDE_MIN * side_px) & (bw <= MARK_SIDE_MAX * side_px)
            & (bh >= MARK_SIDE_MIN * side_px) & (bh <= MARK_SIDE_MAX * side_px)
            & (area >= MARK_FILL_MIN * bw * bh)
            & (bx > 0) & (by > 0) & (bx + bw < window.shape[1]) & (by + bh < window.shape[0]))
    best: tuple[float, np.ndarray] | None = None
    for label in (np.flatnonzero(keep) + 1).tolist():
        if not _isolated(binary, stats[label], side_px):
            continue
        point = centroids[label] + np.array([x0, y0], dtype=np.float64)
        distance = float(np.hypot(*(point - centre))) / radius_px
        score = distance + abs(math.log(float(stats[label, 4]) / expected_area))
        if best is None or score < best[0]:
            best = (score, point)
    return None if best is None else best[1]


def _qr_error_mm(homography: np.ndarray, qr_pt: np.ndarray, qr_px: np.ndarray) -> float:
    """Largest distance (mm on the page) between the QR code's corners and where ``homography`` puts them."""
    residual = float(np.hypot(*(project(homography, qr_pt) - qr_px).T).max())
    scale = scale_px_per_pt(homography, (float(qr_pt[:, 0].mean()), float(qr_pt[:, 1].mean()))) * POINTS_PER_MM
    return residual / scale if scale > 0 else float("inf")


def _corner_boxes(page: PageLayout) -> np.ndarray:
    """Per registration mark, the VERIFY_BOXES boxes nearest to it: (4 * k, 4) rectangles in points."""
    if not page.boxes:
        return np.zeros((0, 4))
    rects = np.array([b.rect_pt for b in page.boxes], np.float64)
    centres = np.stack([(rects[:, 0] + rects[:, 2]) / 2, (rects[:, 1] + rects[:, 3]) / 2], 1)
    k = min(VERIFY_BOXES, len(rects))
    nearest = [np.argsort(np.hypot(*(centres - np.array(mark)).T))[:k] for mark in page.marks_pt]
    return rects[np.concatenate(nearest)]


def _corner_shares(gray: np.ndarray, homography: np.ndarray, rects: np.ndarray) -> np.ndarray:
    """Per mark, the share of its nearest boxes whose printed borders lie where ``homography`` puts them."""
    _, ok = find_borders(gray, homography, rects, np.zeros((len(rects), 2)), VERIFY_SEARCH_MM * POINTS_PER_MM)
    return ok.all(axis=1).reshape(4, -1).mean(axis=1)


def _from_marks(gray: np.ndarray, page: PageLayout, found: dict[int, np.ndarray], qr_pt: np.ndarray,
                qr_px: np.ndarray) -> tuple[np.ndarray | None, list[int]]:
    """Homography from the marks found (with the QR corners when only three are), and which marks it uses.

    Four marks are taken as they are when the QR code and the boxes near every corner lie where
    they put them. Otherwise one of them may be something else (a stamp or filled box near a
    folded corner): each set of three, with the QR corners, is tried as well, and the one that
    puts most boxes near the corners where the image shows them wins.
    """
    if len(found) < MIN_MARKS:
        return None, list(found)
    marks_pt = np.array(page.marks_pt, dtype=np.float64)
    rects = _corner_boxes(page)
    candidates: list[tuple[np.ndarray, list[int]]] = []
    agreeing: np.ndarray | None = None  # four marks that agree with the QR code
    if len(found) == 4:
        fitted, _ = cv2.findHomography(marks_pt[list(found)], np.array(list(found.values())), 0)
        if fitted is not None:
            homography = np.asarray(fitted, np.float64)
            if _qr_error_mm(homography, qr_pt, qr_px) <= QR_AGREEMENT_MM:
                if not len(rects) or _corner_shares(gray, homography, rects).min() >= VERIFY_MIN_SHARE:
                    return homography, list(found)
                agreeing = homography
            candidates.append((homography, list(found)))
    for subset in itertools.combinations(sorted(found), 3):
        src = np.vstack([marks_pt[list(subset)], qr_pt])
        dst = np.vstack([[found[i] for i in subset], qr_px])
        fitted, _ = cv2.findHomography(src, dst, 0)
        if fitted is not None:
            candidates.append((np.asarray(fitted, np.float64), list(subset)))
    if not len(rects):
        return (candidates[0] if len(candidates) == 1 else (None, []))
    best: tuple[float, np.ndarray | None, list[int]] = (-1.0, None, [])
    for candidate, used in candidates:  # four marks first: they win a tie
        share = float(_corner_shares(gray, candidate, rects).mean())
        if share > best[0]:
            best = (share, candidate, used)
    if best[0] < VERIFY_MIN_SHARE:
        # No box borders to be seen (pale print, a 1-bit scan that lost them): the marks decide.
        return (agreeing, list(found)) if agreeing is not None else (None, [])
    return best[1], best[2]


def register_page(gray: np.ndarray, page: PageLayout, qr_pt: np.ndarray, qr_px: np.ndarray, *,
                  local: bool = True) -> Registration:
    """Fit layout points -> image pixels for one page from its QR corners and its marks.

    With ``local`` (the default) the printed box borders then correct the mapping locally.
    """
    estimate = _fit_similarity(qr_pt, qr_px)
    marks_pt = np.array(page.marks_pt, dtype=np.float64)
    qr_centre = qr_pt.mean(axis=0)
    order = np.argsort(np.hypot(*(marks_pt - qr_centre).T))
    found: dict[int, np.ndarray] = {}
    for index in order:
        mark = marks_pt[index]
        scale = scale_px_per_pt(estimate, (float(mark[0]), float(mark[1])))
        centre = project(estimate, mark[None, :])[0]
        point = None
        for radius_mm in SEARCH_RADII_MM:
            point = _find_mark(gray, centre, radius_mm * POINTS_PER_MM * scale, page.mark_size_pt * scale)
            if point is not None:
                break
        if point is None:
            continue
        found[int(index)] = point
        src = np.vstack([qr_pt, marks_pt[list(found)]])
        dst = np.vstack([qr_px, np.array(list(found.values()))])
        estimate = _fit_affine(src, dst) if len(found) >= 2 else _fit_similarity(src, dst)
    centre_pt = (page.size_pt[0] / 2, page.size_pt[1] / 2)
    homography, used = _from_marks(gray, page, found, qr_pt, qr_px)
    found = {i: found[i] for i in used}
    box_error_mm = 0.0
    if homography is None:
        # Marks cut off by the scanner or covered: align on the printed boxes instead.
        anchors_pt = np.vstack([qr_pt, marks_pt[list(found)]])
        anchors_px = np.vstack([qr_px, np.array(list(found.values())).reshape(-1, 2)])
        refined = refine_with_boxes(gray, page, estimate, anchors_pt, anchors_px)
        if refined is not None:
            homography, box_error_mm = refined
    field = None
    if local and homography is not None and page.boxes:
        anchors = marks_pt[list(found)]
        back = project(np.linalg.inv(homography), np.array(list(found.values())).reshape(-1, 2))
        rects = np.array([b.rect_pt for b in page.boxes], np.float64)
        refined_locally = refine(gray, homography, rects, anchors, back - anchors)
        # Too few borders seen (a faded or heavily written page): the homography alone is the better guess.
        if refined_locally.boxes_used >= max(LOCAL_MIN_BOXES, LOCAL_MIN_SHARE * len(rects)):
            field = refined_locally.field
    reason = None
    if homography is None:
        homography, reason = estimate, "misregistered"
    mapped_qr = project(homography, qr_pt + (field.at(qr_pt) if field is not None else 0.0))
    residual = np.hypot(*(mapped_qr - qr_px).T)
    px_per_mm = scale_px_per_pt(homography, centre_pt) * POINTS_PER_MM
    error_mm = float(residual.max()) / px_per_mm if px_per_mm > 0 else float("inf")
    error_mm = max(error_mm, box_error_mm)
    ok = reason is None and error_mm <= MAX_REGISTRATION_ERROR_MM
    return Registration(homography=homography, error_mm=round(error_mm, 3), marks_found=len(found), ok=ok,
                        reason=None if ok else "misregistered", rotation=rotation_of(homography, centre_pt),
                        px_per_mm=px_per_mm, field=field)


#: Box alignment (when marks are missing): boxes spread over the page, one per
#: cell of this size (pt), are matched against an outline template.
REFINE_CELL_PT = 36.0
#: Each box is looked for this far (pt) around where the estimate puts it:
#: below half the 6.5 mm tick pitch, so a neighbour is never taken for it.
REFINE_SEARCH_PT = 7.0
#: Patch resolution for matching (px per pt, ~7 px/mm).
REFINE_PX_PER_PT = 2.5
#: Printed box border width in points (formgen.render.BOX_LINE_PT), drawn a bit wider.
REFINE_LINE_PT = 1.0
REFINE_MIN_SCORE = 0.55
#: Boxes are matched in this many rounds, nearest to the QR code first.
REFINE_ROUNDS = 3
#: At least this many boxes must agree, spanning this share of the boxes' extent both ways.
REFINE_MIN_INLIERS = 12
REFINE_MIN_SPAN = 0.6
REFINE_RANSAC_PT = 1.2


def _outline_template(width_pt: float, height_pt: float) -> np.ndarray:
    r = REFINE_PX_PER_PT
    margin = REFINE_SEARCH_PT / 2
    w, h = round((width_pt + 2 * margin) * r), round((height_pt + 2 * margin) * r)
    template = np.full((h, w), 255, np.uint8)
    x0, y0 = round(margin * r), round(margin * r)
    cv2.rectangle(template, (x0, y0), (x0 + round(width_pt * r), y0 + round(height_pt * r)), 0,
                  max(1, round(REFINE_LINE_PT * r)))
    return template


def _match_box(gray: np.ndarray, homography: np.ndarray, rect: tuple[float, float, float, float]) -> \
        np.ndarray | None:
    """Layout offset (pt) of a printed box from where ``homography`` puts it, or None."""
    r = REFINE_PX_PER_PT
    x0, y0, x1, y1 = rect
    pad = REFINE_SEARCH_PT + REFINE_SEARCH_PT / 2
    ox, oy = x0 - pad, y0 - pad
    size = (round((x1 - x0 + 2 * pad) * r), round((y1 - y0 + 2 * pad) * r))
    out_to_layout = np.array([[1 / r, 0, ox], [0, 1 / r, oy], [0, 0, 1]], dtype=np.float64)
    patch = cv2.warpPerspective(gray, homography @ out_to_layout, size,
                                flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderValue=255)
    template = _outline_template(x1 - x0, y1 - y0)
    scores = cv2.matchTemplate(patch, template, cv2.TM_CCOEFF_NORMED)
    _, best, _, loc = cv2.minMaxLoc(scores)
    if best < REFINE_MIN_SCORE:
        return None
    expected = (pad - REFINE_SEARCH_PT / 2) * r
    return np.array([(loc[0] - expected) / r, (loc[1] - expected) / r])


def refine_with_boxes(gray: np.ndarray, page: PageLayout, estimate: np.ndarray, anchors_pt: np.ndarray,
                      anchors_px: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Homography from the printed boxes themselves; with its error in mm, or None when they do not agree."""
    cells: dict[tuple[int, int], tuple[float, float, float, float]] = {}
    for box in page.boxes:
        x0, y0 = box.rect_pt[:2]
        cells.setdefault((int(x0 // REFINE_CELL_PT), int(y0 // REFINE_CELL_PT)), box.rect_pt)
    if not cells:
        return None
    anchor = anchors_pt[:4].mean(axis=0)
    chosen = sorted(cells.values(), key=lambda rc: float(np.hypot((rc[0] + rc[2]) / 2 - anchor[0],
                                                                  (rc[1] + rc[3]) / 2 - anchor[1])))
    rounds = np.array_split(np.arange(len(chosen)), REFINE_ROUNDS)
    src_pts: list[np.ndarray] = []
    dst_pts: list[np.ndarray] = []
    homography = estimate
    mask = None
    for batch in rounds:
        for i in batch:
            rect = chosen[int(i)]
            offset = _match_box(gray, homography, rect)
            if offset is None:
                continue
            centre = np.array([(rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2])
            src_pts.append(centre)
            dst_pts.append(project(homography, (centre + offset)[None, :])[0])
        if len(src_pts) < 4:
            continue
        src = np.vstack([anchors_pt, np.array(src_pts)])
        dst = np.vstack([anchors_px, np.array(dst_pts)])
        scale = scale_px_per_pt(homography, (float(anchor[0]), float(anchor[1])))
        fitted, mask = cv2.findHomography(src, dst, cv2.RANSAC, REFINE_RANSAC_PT * scale)
        if fitted is not None:
            homography = fitted
    if mask is None or len(src_pts) < REFINE_MIN_INLIERS:
        return None
    inliers = mask.ravel().astype(bool)[len(anchors_pt):]
    good = np.array(src_pts)[inliers]
    if len(good) < REFINE_MIN_INLIERS:
        return None
    every = np.array([[(b.rect_pt[0] + b.rect_pt[2]) / 2, (b.rect_pt[1] + b.rect_pt[3]) / 2] for b in page.boxes])
    if np.any(np.ptp(good, axis=0) < REFINE_MIN_SPAN * np.ptp(every, axis=0)):
        return None
    mid_x, mid_y = page.size_pt[0] / 2, page.size_pt[1] / 2
    residual = np.hypot(*(project(homography, good) - np.array(dst_pts)[inliers]).T)
    px_per_mm = scale_px_per_pt(homography, (mid_x, mid_y)) * POINTS_PER_MM
    return homography, float(np.percentile(residual, 90)) / px_per_mm


#: Without a QR code the page's scale is guessed from the image (the page
#: fills most of it); mark candidates may then be this much smaller or larger.
BLIND_SCALE_RANGE = (0.5, 1.6)
#: Boxes sampled to tell the orientation, and how close (pt) a box must be found.
BLIND_SAMPLE_BOXES = 24
BLIND_BOX_TOLERANCE_PT = 2.0
#: A QR code area is about half dark modules; an empty corner is white.
QR_INK_LEVEL = 0.5


def register_blind(gray: np.ndarray, page: PageLayout) -> Registration | None:
    """Register a page without its QR code (a person said which page it is).

    The four marks are the outermost isolated solid squares; which corner is
    which (the page's orientation) is the one that puts the QR code's ink in
    the QR area. None when four marks cannot be found.
    """
    height, width = gray.shape[:2]
    scale = max(width, height) / max(page.size_pt)
    side = page.mark_size_pt * scale
    white = float(np.percentile(gray[::4, ::4], WHITE_PERCENTILE))
    binary = (gray < MARK_LEVEL * white).astype(np.uint8)
    count, _, stats, centroids = cv2.connectedComponentsWithStats(binary, connectivity=8)
    low, high = BLIND_SCALE_RANGE
    points = []
    for label in range(1, count):
        bw, bh, area = (int(v) for v in stats[label][2:])
        if not (low * side <= bw <= high * side * MARK_SIDE_MAX and low * side <= bh <= high * side * MARK_SIDE_MAX):
            continue
        if area < MARK_FILL_MIN * bw * bh or abs(math.log(bw / bh)) > math.log(MARK_SIDE_MAX):
            continue
        if _isolated(binary, stats[label], max(bw, bh)):
            points.append(centroids[label])
    if len(points) < 4:
        return None
    pts = np.array(points)
    image_corners = np.array([pts[np.argmin(pts.sum(1))], pts[np.argmax(pts[:, 0] - pts[:, 1])],
                              pts[np.argmax(pts.sum(1))], pts[np.argmin(pts[:, 0] - pts[:, 1])]])
    marks_pt = np.array(page.marks_pt, dtype=np.float64)
    step = max(1, len(page.boxes) // BLIND_SAMPLE_BOXES)
    sample = [b.rect_pt for b in page.boxes[::step]]
    best: tuple[float, np.ndarray] | None = None
    for turn in range(4):
        dst = np.roll(image_corners, -turn, axis=0)
        homography = cv2.getPerspectiveTransform(marks_pt.astype(np.float32), dst.astype(np.float32))
        # Printed boxes where this orientation puts them decide; the QR area's ink breaks ties.
        matched = sum(1 for rect in sample
                      if (offset := _match_box(gray, homography, rect)) is not None
                      and float(np.hypot(*offset)) <= BLIND_BOX_TOLERANCE_PT)
        x0, y0, x1, y1 = page.qr_rect_pt
        quad = project(homography, np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]))
        qx0, qy0 = np.clip(quad.min(0).astype(int), 0, None)
        qx1, qy1 = quad.max(0).astype(int)
        qr_area = gray[qy0:max(qy0, qy1), qx0:max(qx0, qx1)]
        ink = float(np.count_nonzero(qr_area < QR_INK_LEVEL * white)) / qr_area.size if qr_area.size else 0.0
        score = matched + ink
        if best is None or score > best[0]:
            best = (score, homography)
    assert best is not None
    homography = best[1]
    centre = (page.size_pt[0] / 2, page.size_pt[1] / 2)
    return Registration(homography=homography, error_mm=0.0, marks_found=4, ok=True, reason=None,
                        rotation=rotation_of(homography, centre),
                        px_per_mm=scale_px_per_pt(homography, centre) * POINTS_PER_MM)
