"""Propose an unidentified page's identity from what is printed on it.

When no QR code decodes (both covered, torn off, stained), the sheet still
shows its four registration marks and its grid of mark boxes. Put into page
coordinates by the marks (at each of the four orientations), the box pattern
is compared with every registered layout page of the same size; it narrows
the sheet to one form page, or to the pages printed alike (the same form for
observer 1, 2 and consensus, or another case of the same length). Among
those, the footer line that prints the page's identity in text decides: it is
rendered for each candidate and matched against the scan.

The result is a PROPOSAL, stored beside the unidentified page in table
``page_proposals`` for the reviewer to confirm; the page is never read on it
unconfirmed.
"""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import cv2
import numpy as np
import pypdfium2 as pdfium
from reportlab.pdfgen.canvas import Canvas

from softa.layout import MM_PER_INCH, POINTS_PER_INCH, POINTS_PER_MM, PageLayout, parse_qr_payload

#: A registration mark is solid: ink darker than this share of the paper white.
MARK_LEVEL = 0.45
WHITE_PERCENTILE = 95
#: Found marks may be this much smaller or larger than printed at the scale the
#: image's size suggests (a phone photo shows the sheet smaller than its frame).
MARK_SCALE_RANGE = (0.3, 1.6)
#: A mark fills at least this share of its bounding box; its sides differ at most this ratio.
MARK_FILL_MIN = 0.6
MARK_ASPECT_MAX = 1.5
#: Marks are looked for at half size on images wider than this (a 5 mm mark stays ~20 px).
MARK_HALF_SIZE_ABOVE_PX = 1500
#: A mark stands alone: the band of this share of its side around it holds at most this much ink.
HALO_SIDE = 0.7
HALO_INK_MAX = 0.05
#: Four marks span a parallelogram (a flat page; perspective bends it a little):
#: the fourth sits within this share of the diagonal from where the other three put it.
PARALLELOGRAM_TOLERANCE = 0.06
#: Printed boxes are 4.0-4.6 mm squares: a contour counts as one within these sizes (mm).
BOX_SIZE_RANGE_MM = (3.0, 5.8)
BOX_ASPECT_MAX = 1.35
#: A box centre matches a layout box within this distance (mm); matching is on a grid of cells this size.
MATCH_TOLERANCE_MM = 1.5
MATCH_CELL_MM = 0.5
#: Local threshold for the box borders: window (mm) and offset below the local mean (0..255).
BOX_THRESHOLD_WINDOW_MM = 3.0
BOX_THRESHOLD_OFFSET = 12
#: A box pattern is proposed when its F1 score (found boxes against layout boxes) is at least
#: this and this much better than the best differently printed page.
MIN_STRUCTURE_SCORE = 0.6
MIN_STRUCTURE_MARGIN = 0.1
#: The footer identity line: Helvetica 6.5 pt, baseline 282 mm from the top (layout versions 1 and 2),
#: searched in a band around it at this resolution.
FOOTER_FONT = "Helvetica"
FOOTER_PT = 6.5
FOOTER_BAND_MM = (274.0, 287.0)
FOOTER_X_MM = (8.0, 202.0)
TEXT_PX_PER_MM = 8.0
#: The footer line is found when its match (normalised correlation) is at least this; it picks a
#: page among alike ones when, on the pixels where two candidates' texts differ, the scan is this
#: much nearer (relative difference of the mean errors) to it than to every other candidate.
MIN_TEXT_SCORE = 0.5
MIN_TEXT_MARGIN = 0.2
#: Texts are compared slightly blurred (pixels at TEXT_PX_PER_MM): a 1-bit scan against smooth print.
TEXT_BLUR_PX = 1.0
#: Two rendered texts differ at a pixel by more than this (0..255).
TEXT_DIFFER_LEVEL = 64
#: At most this many alike candidates are kept in a proposal (best first).
MAX_CANDIDATES = 12

PROPOSALS_SCHEMA = """
CREATE TABLE IF NOT EXISTS page_proposals (
    page_id       INTEGER PRIMARY KEY REFERENCES scanned_pages(id) ON DELETE CASCADE,
    proposal_json TEXT NOT NULL
)"""


@dataclass(frozen=True)
class Proposal:
    """A proposed identity for an unidentified page, for a reviewer to confirm.

    ``qr``/``case_id``/``page_index`` name the proposed layout page, or are None
    when several pages fit equally (then ``candidates`` lists them, best first).
    """

    qr: str | None
    case_id: str | None
    page_index: int | None
    candidates: tuple[tuple[str, int, str], ...]  # (case_id, page_index, qr) of every page that fits alike
    structure_score: float
    runner_up_score: float
    text_score: float | None
    rotation: int

    def to_json(self) -> str:
        data = asdict(self)
        data["candidates"] = [list(c) for c in self.candidates]
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @staticmethod
    def from_json(text: str) -> Proposal:
        data = json.loads(text)
        data["candidates"] = tuple((str(c[0]), int(c[1]), str(c[2])) for c in data["candidates"])
        return Proposal(**data)


def _isolated(binary: np.ndarray, x: int, y: int, w: int, h: int) -> bool:
    pad = max(2, int(HALO_SIDE * max(w, h)))
    x0, y0 = max(0, x - pad), max(0, y - pad)
    window = binary[y0:y + h + pad, x0:x + w + pad]
    ring = int(window.sum()) - int(binary[y:y + h, x:x + w].sum())
    ring_area = window.size - w * h
    return ring_area > 0 and ring <= HALO_INK_MAX * ring_area


def find_marks(gray: np.ndarray, size_pt: tuple[float, float], mark_size_pt: float) -> list[np.ndarray]:
    """Candidate sets of the four mark centres in image corner order (TL, TR, BR, BL).

    The first set is the outermost isolated solid square towards each image
    corner; when those four are not a parallelogram (a mark hidden, a filled
    box taken instead, or a photo's perspective), the four sets with one of
    them replaced by the completion of the other three follow; the box
    pattern tells which set is right. Empty when fewer than three marks show.
    """
    step = 2 if min(gray.shape[:2]) > MARK_HALF_SIZE_ABOVE_PX else 1
    gray = gray[::step, ::step]
    height, width = gray.shape[:2]
    side = mark_size_pt * max(width, height) / max(size_pt)
    white = float(np.percentile(gray[::4, ::4], WHITE_PERCENTILE)) or 255.0
    binary = (gray < MARK_LEVEL * white).astype(np.uint8)
    count, _, stats, centroids = cv2.connectedComponentsWithStats(binary, connectivity=8)
    low, high = MARK_SCALE_RANGE
    points = []
    for label in range(1, count):
        x, y, bw, bh, area = (int(v) for v in stats[label])
        if not (low * side <= bw <= high * side and low * side <= bh <= high * side):
            continue
        if area < MARK_FILL_MIN * bw * bh or max(bw, bh) > MARK_ASPECT_MAX * min(bw, bh):
            continue
        if _isolated(binary, x, y, bw, bh):
            points.append(centroids[label])
    if len(points) < 3:
        return []
    pts = np.array(points, dtype=np.float64) * step
    corners = np.array([pts[np.argmin(pts.sum(1))], pts[np.argmax(pts[:, 0] - pts[:, 1])],
                        pts[np.argmax(pts.sum(1))], pts[np.argmin(pts[:, 0] - pts[:, 1])]])
    diagonal = float(np.hypot(*(corners[2] - corners[0]))) or 1.0
    gap = float(np.hypot(*(corners[0] + corners[2] - corners[1] - corners[3])))
    if gap <= PARALLELOGRAM_TOLERANCE * diagonal:
        return [corners]
    sets = [corners]  # a phone photo's perspective bends a whole page this much too
    for k in range(4):
        completed = corners.copy()
        completed[k] = corners[(k + 1) % 4] + corners[(k + 3) % 4] - corners[(k + 2) % 4]
        sets.append(completed)
    return sets


def find_box_centres(gray: np.ndarray, px_per_mm: float) -> np.ndarray:
    """Image-pixel centres of everything that looks like a printed mark box (N x 2).

    A box's border (with any tick inside it) is one connected blob of a
    locally thresholded image whose bounding box is box-sized and square.
    """
    window = max(3, int(BOX_THRESHOLD_WINDOW_MM * px_per_mm) | 1)
    binary = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, window,
                                   BOX_THRESHOLD_OFFSET)
    _, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    low, high = (v * px_per_mm for v in BOX_SIZE_RANGE_MM)
    x, y, w, h = (stats[1:, k].astype(np.float64) for k in range(4))
    keep = (w >= low) & (w <= high) & (h >= low) & (h <= high) & (np.maximum(w, h) <= BOX_ASPECT_MAX * np.minimum(w, h))
    return np.stack([x[keep] + w[keep] / 2, y[keep] + h[keep] / 2], axis=1).reshape(-1, 2)


@dataclass(frozen=True)
class _Pattern:
    """Box centres shared by layout pages printed alike, and those pages."""

    size_pt: tuple[float, float]
    centres_mm: np.ndarray
    pages: list[tuple[str, PageLayout]]


def _patterns(pages: Iterable[tuple[str, PageLayout]]) -> list[_Pattern]:
    groups: dict[tuple[object, ...], _Pattern] = {}
    for case_id, page in pages:
        centres = np.array([((b.rect_pt[0] + b.rect_pt[2]) / 2, (b.rect_pt[1] + b.rect_pt[3]) / 2)
                            for b in page.boxes], dtype=np.float64).reshape(-1, 2) / POINTS_PER_MM
        key = (page.size_pt, page.marks_pt, tuple(np.round(centres.reshape(-1), 1)))
        if key not in groups:
            groups[key] = _Pattern(size_pt=page.size_pt, centres_mm=centres, pages=[])
        groups[key].pages.append((case_id, page))
    return list(groups.values())


def _occupancy(points_mm: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A grid (cells of MATCH_CELL_MM) marking every cell within MATCH_TOLERANCE_MM of a point."""
    grid = np.zeros(shape, np.uint8)
    cells = np.round(points_mm / MATCH_CELL_MM).astype(int)
    inside = (cells[:, 0] >= 0) & (cells[:, 0] < shape[1]) & (cells[:, 1] >= 0) & (cells[:, 1] < shape[0])
    grid[cells[inside, 1], cells[inside, 0]] = 1
    radius = round(MATCH_TOLERANCE_MM / MATCH_CELL_MM)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(grid, kernel)


def _hits(grid: np.ndarray, points_mm: np.ndarray) -> int:
    cells = np.round(points_mm / MATCH_CELL_MM).astype(int)
    inside = (cells[:, 0] >= 0) & (cells[:, 0] < grid.shape[1]) & (cells[:, 1] >= 0) & (cells[:, 1] < grid.shape[0])
    return int(grid[cells[inside, 1], cells[inside, 0]].sum())


def _score(found_mm: np.ndarray, pattern: _Pattern) -> float:
    """F1 of the found box centres against the pattern's: both missing and extra boxes count."""
    if len(found_mm) == 0 or len(pattern.centres_mm) == 0:
        return 0.0
    shape = (int(pattern.size_pt[1] / POINTS_PER_MM / MATCH_CELL_MM) + 1,
             int(pattern.size_pt[0] / POINTS_PER_MM / MATCH_CELL_MM) + 1)
    recall = _hits(_occupancy(found_mm, shape), pattern.centres_mm) / len(pattern.centres_mm)
    precision = _hits(_occupancy(pattern.centres_mm, shape), found_mm) / len(found_mm)
    return 0.0 if recall + precision == 0 else 2 * recall * precision / (recall + precision)


def _to_page(marks_px: np.ndarray, marks_pt: tuple[tuple[float, float], ...], turn: int) -> np.ndarray:
    """Homography from image pixels to page points when image corner k holds mark (k + turn) % 4."""
    src = np.roll(marks_px, -turn, axis=0).astype(np.float32)
    return cv2.getPerspectiveTransform(src, np.array(marks_pt, dtype=np.float32))


def _footer_template(text: str) -> np.ndarray:
    """The footer line as pdfium draws it at TEXT_PX_PER_MM (white paper, black text)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    width = stringWidth(text, FOOTER_FONT, FOOTER_PT) + 4
    height = FOOTER_PT * 1.6
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), invariant=1)
    canvas.setFont(FOOTER_FONT, FOOTER_PT)
    canvas.drawString(2, FOOTER_PT * 0.4, text)
    canvas.showPage()
    canvas.save()
    document = pdfium.PdfDocument(buffer.getvalue())
    try:
        bitmap = document[0].render(scale=TEXT_PX_PER_MM * MM_PER_INCH / POINTS_PER_INCH, grayscale=True)
        return np.array(bitmap.to_pil().convert("L"))
    finally:
        document.close()


def _footer_band(gray: np.ndarray, to_page: np.ndarray) -> np.ndarray:
    """The scan's footer band, warped upright into page millimetres at TEXT_PX_PER_MM."""
    (x0, x1), (y0, y1) = FOOTER_X_MM, FOOTER_BAND_MM
    scale = TEXT_PX_PER_MM / POINTS_PER_MM
    band_from_page = np.array([[scale, 0, -x0 * TEXT_PX_PER_MM], [0, scale, -y0 * TEXT_PX_PER_MM], [0, 0, 1]])
    size = (int((x1 - x0) * TEXT_PX_PER_MM), int((y1 - y0) * TEXT_PX_PER_MM))
    return cv2.warpPerspective(gray, band_from_page @ to_page, size, flags=cv2.INTER_AREA, borderValue=255)


def _footer_text(case_id: str, page: PageLayout) -> str:
    identity = parse_qr_payload(page.qr)
    return f"{page.qr}   ·   {identity.label}" if identity is not None else page.qr


def _text_scores(gray: np.ndarray, to_page: np.ndarray, pages: list[tuple[str, PageLayout]]) -> tuple[
        list[float], int | None]:
    """Each candidate's footer match (normalised correlation), and the one whose text the scan shows, if clear.

    Alike pages' footers differ in a few characters only ("obs. 1" / "obs. 2"),
    so the decision looks at those pixels: put side by side where the best
    candidate's line was found, the scan must be clearly nearer one text
    than every other there.
    """
    band = _footer_band(gray, to_page).astype(np.float32)
    templates = [_footer_template(_footer_text(case_id, page)).astype(np.float32) for case_id, page in pages]
    scores: list[float] = []
    origins: list[tuple[int, int]] = []
    for template in templates:
        if template.shape[0] > band.shape[0] or template.shape[1] > band.shape[1]:
            scores.append(0.0)
            origins.append((0, 0))
            continue
        _, top, _, origin = cv2.minMaxLoc(cv2.matchTemplate(band, template, cv2.TM_CCOEFF_NORMED))
        scores.append(float(top))
        origins.append((int(origin[0]), int(origin[1])))
    order = sorted(range(len(pages)), key=lambda k: -scores[k])[:MAX_CANDIDATES]
    if not order or scores[order[0]] < MIN_TEXT_SCORE:
        return scores, None
    x, y = origins[order[0]]
    width = max(t.shape[1] for t in templates)
    height = templates[0].shape[0]
    seen = cv2.GaussianBlur(_padded(band[y:y + height, x:x + width], height, width), (0, 0), TEXT_BLUR_PX)
    printed = [cv2.GaussianBlur(_padded(t, height, width), (0, 0), TEXT_BLUR_PX) for t in templates]

    def nearer(a: int, b: int) -> float:
        """How much nearer the scan is to text a than to text b where they differ (-1..1)."""
        differ = np.abs(printed[a] - printed[b]) > TEXT_DIFFER_LEVEL
        if not differ.any():
            return 0.0
        err_a = float(np.abs(seen - printed[a])[differ].mean())
        err_b = float(np.abs(seen - printed[b])[differ].mean())
        return (err_b - err_a) / ((err_a + err_b) or 1.0)

    champion = order[0]
    for other in order[1:]:
        if nearer(other, champion) > 0:
            champion = other
    clear = all(nearer(champion, other) >= MIN_TEXT_MARGIN for other in order if other != champion)
    return scores, champion if clear else None


def _padded(image: np.ndarray, height: int, width: int) -> np.ndarray:
    out = np.full((height, width), 255.0, np.float32)
    out[:min(height, image.shape[0]), :min(width, image.shape[1])] = image[:height, :width]
    return out


def propose(gray: np.ndarray, pages: Iterable[tuple[str, PageLayout]]) -> Proposal | None:
    """The registered layout page this sheet most likely is, from its marks, boxes and footer text.

    ``pages``: every registered layout page as (case_id, page). None when the
    marks cannot be found or no box pattern fits clearly better than the others.
    """
    patterns = _patterns(pages)
    if not patterns:
        return None
    best: tuple[float, float, _Pattern, np.ndarray, int] | None = None
    by_frame: dict[tuple[object, ...], list[_Pattern]] = {}
    for pattern in patterns:
        first_page = pattern.pages[0][1]
        by_frame.setdefault((first_page.size_pt, first_page.marks_pt, first_page.mark_size_pt), []).append(pattern)
    for (size_pt, marks_pt, mark_size_pt), group in by_frame.items():
        assert isinstance(size_pt, tuple) and isinstance(marks_pt, tuple) and isinstance(mark_size_pt, float)
        mark_sets = find_marks(gray, size_pt, mark_size_pt)
        if not mark_sets:
            continue
        span_px = float(np.hypot(*(mark_sets[0][2] - mark_sets[0][0])))
        span_mm = float(np.hypot(marks_pt[2][0] - marks_pt[0][0], marks_pt[2][1] - marks_pt[0][1])) / POINTS_PER_MM
        if span_px <= 0 or span_mm <= 0:
            continue
        centres_px = find_box_centres(gray, span_px / span_mm)
        if len(centres_px) == 0:
            continue
        for marks_px in mark_sets:
            for turn in range(4):
                to_page = _to_page(marks_px, marks_pt, turn)
                found_pt = cv2.perspectiveTransform(centres_px.reshape(-1, 1, 2), to_page).reshape(-1, 2)
                found_mm = np.asarray(found_pt, dtype=np.float64) / POINTS_PER_MM
                fits = sorted(((_score(found_mm, p), i) for i, p in enumerate(group)), reverse=True)
                top, index = fits[0]
                second = fits[1][0] if len(fits) > 1 else 0.0
                if best is None or top > best[0]:
                    best = (top, second, group[index], to_page, turn)
    if best is None:
        return None
    top, second, pattern, to_page, turn = best
    if top < MIN_STRUCTURE_SCORE or top - second < MIN_STRUCTURE_MARGIN:
        return None
    ranked = list(pattern.pages)
    text_score: float | None = None
    chosen: tuple[str, PageLayout] | None = ranked[0] if len(ranked) == 1 else None
    if len(ranked) > 1:
        scores, pick = _text_scores(gray, to_page, ranked)
        order = sorted(range(len(ranked)), key=lambda k: (k != pick, -scores[k]))
        text_score = round(scores[order[0]], 3)
        chosen = ranked[pick] if pick is not None else None
        ranked = [ranked[k] for k in order]
    rotation = (-90 * turn) % 360
    return Proposal(
        qr=chosen[1].qr if chosen else None, case_id=chosen[0] if chosen else None,
        page_index=chosen[1].index if chosen else None,
        candidates=tuple((c, p.index, p.qr) for c, p in ranked[:MAX_CANDIDATES]),
        structure_score=round(top, 3), runner_up_score=round(second, 3), text_score=text_score,
        rotation=rotation)


def propose_for_review(gray: np.ndarray, pages: Iterable[tuple[str, PageLayout]]) -> str | None:
    """``propose`` as stored JSON; a proposal is a convenience, so an image it cannot handle gives None."""
    try:
        proposal = propose(gray, pages)
    except (cv2.error, ValueError, IndexError, ZeroDivisionError):
        return None
    return proposal.to_json() if proposal is not None else None


def save_proposal(conn: sqlite3.Connection, page_id: int, proposal_json: str | None) -> None:
    """Store (or clear) the proposal of an unidentified page; call inside the page's transaction."""
    conn.execute(PROPOSALS_SCHEMA)
    if proposal_json is None:
        conn.execute("DELETE FROM page_proposals WHERE page_id = ?", (page_id,))
    else:
        conn.execute("INSERT OR REPLACE INTO page_proposals(page_id, proposal_json) VALUES (?, ?)",
                     (page_id, proposal_json))


def load_proposal(conn: sqlite3.Connection, page_id: int) -> Proposal | None:
    """The stored proposal of a page, None when there is none."""
    try:
        row = conn.execute("SELECT proposal_json FROM page_proposals WHERE page_id = ?", (page_id,)).fetchone()
    except sqlite3.OperationalError:  # no page has had a proposal yet: the table does not exist
        return None
    return Proposal.from_json(row[0]) if row else None

