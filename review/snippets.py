"""Image snippets for the review screen, cut upright from stored page images.

Every image is found by database ids; its file path is checked to lie inside
the data folder before it is read.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from review.security import safe_path
from softa.imaging import crop_upright, homography_from_json, load_image
from softa.layout import POINTS_PER_MM, Rect

#: Box snippets are drawn at 4 px per point (~290 dpi) so a pen mark is easy to judge on screen.
BOX_PX_PER_PT = 4.0
#: Rows and regions are wider; ~200 dpi keeps them sharp without huge images.
ROW_PX_PER_PT = 200 / 72
#: A box's snippet shows about one neighbouring cell (6.5 mm grid) on each side.
BOX_MARGIN_PT = 8.0 * POINTS_PER_MM
#: A row's snippet shows a little of the rows above and below.
ROW_MARGIN_PT = 3.0 * POINTS_PER_MM
#: The highlight sits just outside the box, as corners only: the middle of each side and the ring
#: around the box, where a mark "outside" the box is, stay visible.
HIGHLIGHT_GAP_PT = 1.5
HIGHLIGHT_BGR = (0, 90, 230)
HIGHLIGHT_THICKNESS_PX = 3
#: Each corner's arms cover this share of the box side.
HIGHLIGHT_ARM_SHARE = 0.3
#: Whole pages are shown at most this wide (pixels): readable, and quick to send.
PAGE_MAX_WIDTH_PX = 1000
JPEG_QUALITY = 85
#: Decoded page images kept in memory (consecutive items are usually on one page).
PAGE_CACHE_SIZE = 8


class SnippetError(Exception):
    """The image for a snippet is missing or not readable."""


@lru_cache(maxsize=PAGE_CACHE_SIZE)
def _cached_image(path: str, mtime_ns: int) -> np.ndarray:
    image = load_image(Path(path))
    if image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    image.setflags(write=False)
    return image


def _read(path: Path) -> np.ndarray:
    try:
        return _cached_image(str(path), path.stat().st_mtime_ns)
    except (OSError, ValueError) as exc:
        raise SnippetError(f"{path.name}: {exc}") from exc


def page_image_path(conn: sqlite3.Connection, data_dir: Path, page_id: int) -> Path:
    """The checked file path of a scanned page's image."""
    row = conn.execute("SELECT image_path FROM scanned_pages WHERE id = ?", (page_id,)).fetchone()
    if row is None:
        raise SnippetError(f"page {page_id} does not exist")
    path = safe_path(data_dir, row["image_path"])
    if path is None:
        raise SnippetError(f"page {page_id}: image not inside the data folder or missing")
    return path


def page_and_homography(conn: sqlite3.Connection, data_dir: Path, page_id: int) -> tuple[np.ndarray, np.ndarray]:
    row = conn.execute("SELECT homography_json FROM scanned_pages WHERE id = ?", (page_id,)).fetchone()
    if row is None or not row["homography_json"]:
        raise SnippetError(f"page {page_id} has no registration")
    image = _read(page_image_path(conn, data_dir, page_id))
    return image, homography_from_json(json.loads(row["homography_json"]))


def _union(rects: Sequence[Rect]) -> Rect:
    return (min(r[0] for r in rects), min(r[1] for r in rects), max(r[2] for r in rects), max(r[3] for r in rects))


def _to_colour(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image.copy()


def _frame(image: np.ndarray, rect: Rect, origin: tuple[float, float], px_per_pt: float) -> None:
    """Mark ``rect`` (layout points) by its four corners on a crop whose top-left is ``origin``."""
    x0, y0, x1, y1 = rect
    gap = HIGHLIGHT_GAP_PT
    left, top = round((x0 - gap - origin[0]) * px_per_pt), round((y0 - gap - origin[1]) * px_per_pt)
    right, bottom = round((x1 + gap - origin[0]) * px_per_pt), round((y1 + gap - origin[1]) * px_per_pt)
    arm = max(1, round(min(right - left, bottom - top) * HIGHLIGHT_ARM_SHARE))
    for cx, cy, dx, dy in ((left, top, 1, 1), (right, top, -1, 1), (right, bottom, -1, -1), (left, bottom, 1, -1)):
        cv2.line(image, (cx, cy), (cx + dx * arm, cy), HIGHLIGHT_BGR, HIGHLIGHT_THICKNESS_PX)
        cv2.line(image, (cx, cy), (cx, cy + dy * arm), HIGHLIGHT_BGR, HIGHLIGHT_THICKNESS_PX)


def encode(image: np.ndarray, fmt: str = ".png") -> bytes:
    params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY] if fmt == ".jpg" else []
    ok, buf = cv2.imencode(fmt, image, params)
    if not ok:
        raise SnippetError(f"cannot encode image as {fmt}")
    return buf.tobytes()


def box_snippet(conn: sqlite3.Connection, data_dir: Path, page_id: int, rect: Rect,
                highlight: Sequence[Rect] = ()) -> bytes:
    """PNG of one box with a margin showing its neighbours, the box itself framed."""
    image, homography = page_and_homography(conn, data_dir, page_id)
    crop = _to_colour(crop_upright(image, homography, rect, px_per_pt=BOX_PX_PER_PT, margin_pt=BOX_MARGIN_PT))
    origin = (rect[0] - BOX_MARGIN_PT, rect[1] - BOX_MARGIN_PT)
    for target in highlight or (rect,):
        _frame(crop, target, origin, BOX_PX_PER_PT)
    return encode(crop)


def row_snippet(conn: sqlite3.Connection, data_dir: Path, page_id: int, rects: Sequence[Rect],
                highlight: Sequence[Rect] = (), *, left_pt: float | None = None) -> bytes:
    """PNG of a row of boxes (union of their rects plus a margin), optionally framing some boxes.

    ``left_pt`` widens the row leftwards to that x (layout points), e.g. to show the item's text.
    """
    if not rects:
        raise SnippetError("row without boxes")
    x0, y0, x1, y1 = _union(rects)
    area = (min(x0, left_pt) if left_pt is not None else x0, y0, x1, y1)
    image, homography = page_and_homography(conn, data_dir, page_id)
    crop = _to_colour(crop_upright(image, homography, area, px_per_pt=ROW_PX_PER_PT, margin_pt=ROW_MARGIN_PT))
    origin = (area[0] - ROW_MARGIN_PT, area[1] - ROW_MARGIN_PT)
    for target in highlight:
        _frame(crop, target, origin, ROW_PX_PER_PT)
    return encode(crop)


def region_snippet(conn: sqlite3.Connection, data_dir: Path, image_path: str | None,
                   page_id: int | None, rect: Rect | None) -> bytes:
    """PNG of a free-text region: its stored crop, else cut from its page."""
    stored = safe_path(data_dir, image_path)
    if stored is not None:
        return encode(_read(stored))
    if image_path:
        raise SnippetError("region image not inside the data folder or missing")
    if page_id is None or rect is None:
        raise SnippetError("region has no image")
    image, homography = page_and_homography(conn, data_dir, page_id)
    return encode(crop_upright(image, homography, rect, px_per_pt=ROW_PX_PER_PT, margin_pt=ROW_MARGIN_PT))


def page_preview(conn: sqlite3.Connection, data_dir: Path, page_id: int,
                 page_size_pt: tuple[float, float] | None = None) -> bytes:
    """JPEG of a whole scanned page, scaled down to fit the screen.

    With the layout page's size and a registration, the page is shown upright
    and unskewed; otherwise as it was scanned.
    """
    row = conn.execute("SELECT homography_json FROM scanned_pages WHERE id = ?", (page_id,)).fetchone()
    if page_size_pt is not None and row is not None and row["homography_json"]:
        image, homography = page_and_homography(conn, data_dir, page_id)
        width_pt, height_pt = page_size_pt
        upright = crop_upright(image, homography, (0.0, 0.0, width_pt, height_pt),
                               px_per_pt=PAGE_MAX_WIDTH_PX / width_pt)
        return encode(upright, ".jpg")
    image = _read(page_image_path(conn, data_dir, page_id))
    height, width = image.shape[:2]
    if width > PAGE_MAX_WIDTH_PX:
        scale = PAGE_MAX_WIDTH_PX / width
        image = cv2.resize(image, (PAGE_MAX_WIDTH_PX, max(1, round(height * scale))), interpolation=cv2.INTER_AREA)
    return encode(image, ".jpg")
