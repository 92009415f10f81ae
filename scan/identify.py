"""Page identity: find and decode the page's QR code with zxing-cpp.

A version-2 page carries its code twice, top-right and bottom-left (a
version-1 page once, top-right); which image corner holds which depends on how
the page went through the scanner. Corner crops are tried first (fast), then
the whole page, then a downscaled copy (large phone photos), then the corners
with their strokes thinned and thickened (a 1-bit scan thresholded too dark or
too light). ``qr_symbol_pt`` tells which of the page's codes was read.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp

from softa.layout import LAYOUT_VERSION, QR_PREFIX, PageLayout, Rect

#: Only QR codes are looked for (faster, and nothing else on a page is ours).
QR_ONLY = zxingcpp.BarcodeFormats([zxingcpp.BarcodeFormat.QRCode])
#: Corner crops are this share of the page's short side: a QR code (at most
#: 30 mm, 6-8 mm from the top or bottom, 16 mm from the side edge) fits inside
#: with room for skew and a scanner's offset, at any of the four orientations.
CORNER_SHARE = 0.34
#: Last try: strokes of a 1-bit scan grown or thinned by this structuring element (pixels).
RETRY_KERNEL_PX = 2
#: A corner with less ink than this share of its pixels holds no code (skip the retry).
RETRY_MIN_INK_SHARE = 0.01
#: Ink for the retry's skip test: darker than this (0..255).
RETRY_INK_LEVEL = 128
#: Full pages larger than this (phone photos) are also tried at half size.
DOWNSCALE_ABOVE_PX = 3000
#: Quiet zone the forms draw inside the QR rect, in modules (reportlab barBorder), per layout version.
QR_QUIET_MODULES = {1: 4, 2: 2}
#: A registration mark counts as printed where the image predicts it when its centre
#: patch is darker than this share of the paper around it.
MARK_DARK_SHARE = 0.5
#: A sheet with fewer ink pixels than this share of its paper has nothing
#: written or printed on it (a page of text has several per cent).
BLANK_DARK_SHARE = 0.002
#: Ink for the blank test: darker than this share of the paper white around it.
BLANK_INK_LEVEL = 0.6
#: Paper is brighter than this share of the brightest cells (a table behind a photo is darker).
BLANK_PAPER_SHARE = 0.75
#: The blank test works on a grid of this many cells across the short side;
#: paper white spreads this many cells, and the paper's edge band is left out.
BLANK_GRID = 100
BLANK_SPREAD_CELLS = 2


@dataclass(frozen=True)
class QrRead:
    """A decoded QR code and the image-pixel corners of its symbol (TL, TR, BR, BL of the code)."""

    text: str
    corners_px: np.ndarray
    version: int | None

    @property
    def is_softa(self) -> bool:
        return self.text.startswith(QR_PREFIX)


def _read(image: np.ndarray, dx: int = 0, dy: int = 0, scale: float = 1.0) -> list[QrRead]:
    results = zxingcpp.read_barcodes(image, formats=QR_ONLY)
    found = []
    for code in results:
        if not code.valid or not code.text:
            continue
        pos = code.position
        corners = np.array([[p.x, p.y] for p in (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left)],
                           dtype=np.float64) * scale + np.array([dx, dy], dtype=np.float64)
        version_text = str(code.extra.get("Version", "")) if isinstance(code.extra, dict) else ""
        found.append(QrRead(text=code.text, corners_px=corners,
                            version=int(version_text) if version_text.isdigit() else None))
    return found


def _pick(codes: list[QrRead]) -> QrRead | None:
    softa = [c for c in codes if c.is_softa]
    if softa:
        return softa[0]
    return codes[0] if codes else None


def _retry_corners(gray: np.ndarray, corners: tuple[tuple[int, int], ...], side: int) -> QrRead | None:
    """The corners again with strokes thickened, then thinned: a 1-bit threshold off either way."""
    kernel = np.ones((RETRY_KERNEL_PX, RETRY_KERNEL_PX), np.uint8)
    for x, y in corners:
        crop = gray[y:y + side, x:x + side]
        if crop.size == 0 or np.count_nonzero(crop < RETRY_INK_LEVEL) < RETRY_MIN_INK_SHARE * crop.size:
            continue
        for operation in (cv2.erode, cv2.dilate):  # erode on white paper grows the dark modules
            pick = _pick(_read(operation(crop, kernel), x, y))
            if pick is not None and pick.is_softa:
                return pick
    return None


def find_qr(gray: np.ndarray) -> QrRead | None:
    """The page's softa QR code (or any QR code when there is no softa one), else None.

    On a version-2 page either of its two codes may be returned (both carry the
    same payload); ``qr_symbol_pt`` says which one it is.
    """
    height, width = gray.shape[:2]
    side = int(CORNER_SHARE * min(width, height))
    # Upright first (top-right; bottom-left holds the second code), then upside down, then sideways.
    corners = ((width - side, 0), (0, height - side), (0, 0), (width - side, height - side))
    others: list[QrRead] = []
    for x, y in corners:
        codes = _read(gray[y:y + side, x:x + side], x, y)
        pick = _pick(codes)
        if pick is not None and pick.is_softa:
            return pick
        others.extend(codes)
    codes = _read(gray)
    pick = _pick(codes + others)
    if pick is not None and pick.is_softa:
        return pick
    if max(width, height) > DOWNSCALE_ABOVE_PX:
        half = gray[::2, ::2]
        codes = _read(np.ascontiguousarray(half), scale=2.0)
        pick = _pick(codes + others) or pick
        if pick is not None and pick.is_softa:
            return pick
    return _retry_corners(gray, corners, side) or pick


def symbol_corners_pt(qr_rect_pt: Rect, version: int | None, layout_version: int = LAYOUT_VERSION) -> np.ndarray:
    """Layout points of the QR symbol's corners (TL, TR, BR, BL) inside its quiet zone."""
    x0, y0, x1, y1 = qr_rect_pt
    if version is None:
        inset = 0.0
    else:
        modules = 17 + 4 * version
        quiet = QR_QUIET_MODULES.get(layout_version, QR_QUIET_MODULES[LAYOUT_VERSION])
        inset = (x1 - x0) * quiet / (modules + 2 * quiet)
    return np.array([[x0 + inset, y0 + inset], [x1 - inset, y0 + inset],
                     [x1 - inset, y1 - inset], [x0 + inset, y1 - inset]], dtype=np.float64)


def _similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, scale, shift) taking src points to dst, as a 2x3 matrix."""
    s, d = src[:, 0] + 1j * src[:, 1], dst[:, 0] + 1j * dst[:, 1]
    sc, dc = s - s.mean(), d - d.mean()
    a = complex(np.vdot(sc, dc) / (np.vdot(sc, sc) or 1.0))
    b = complex(d.mean() - a * s.mean())
    return np.array([[a.real, -a.imag, b.real], [a.imag, a.real, b.imag]], dtype=np.float64)


def _marks_seen(gray: np.ndarray, page: PageLayout, matrix: np.ndarray) -> float:
    """How well the page's registration marks show where ``matrix`` (points to pixels) puts them.

    Each printed mark counts 1; a predicted centre off the image counts 0. A
    small bonus for a predicted page centre near the image centre breaks ties.
    """
    height, width = gray.shape[:2]
    scale = float(np.hypot(matrix[0, 0], matrix[1, 0]))
    half = max(1, int(page.mark_size_pt * scale / 4))
    seen = 0.0
    for mark in page.marks_pt:
        cx, cy = (matrix @ np.array([mark[0], mark[1], 1.0])).astype(int)
        if not (3 * half <= cx < width - 3 * half and 3 * half <= cy < height - 3 * half):
            continue
        centre = float(gray[cy - half:cy + half + 1, cx - half:cx + half + 1].mean())
        around = gray[max(0, cy - 6 * half):cy + 6 * half + 1, max(0, cx - 6 * half):cx + 6 * half + 1]
        paper = float(np.percentile(around, 90))
        seen += float(centre < MARK_DARK_SHARE * paper)
    page_centre = matrix @ np.array([page.size_pt[0] / 2, page.size_pt[1] / 2, 1.0])
    offset = float(np.hypot(page_centre[0] - width / 2, page_centre[1] - height / 2)) / float(np.hypot(width, height))
    return seen + 0.5 * max(0.0, 1.0 - offset)


def qr_symbol_pt(gray: np.ndarray, qr: QrRead, page: PageLayout) -> np.ndarray:
    """Layout points of the corners of the code that was read (TL, TR, BR, BL), to pair with ``qr.corners_px``.

    Every code of a page carries the same payload, so the code's place tells
    which one it is: the rect whose code, put where it was read, puts the
    page's registration marks on printed marks (and the page on the image).
    """
    layout_version = parse_layout_version(qr.text)
    candidates = [symbol_corners_pt(rect, qr.version, layout_version) for rect in page.qr_rects_pt]
    if len(candidates) == 1:
        return candidates[0]
    scores = [_marks_seen(gray, page, _similarity(pts, qr.corners_px)) for pts in candidates]
    return candidates[int(np.argmax(scores))]


def parse_layout_version(payload: str) -> int:
    """The layout version a softa payload names (``SOFTA2|...`` is 2); the current one otherwise."""
    head = payload.split("|", 1)[0]
    digits = head[len(QR_PREFIX):] if head.startswith(QR_PREFIX) else ""
    return int(digits) if digits.isdigit() else LAYOUT_VERSION


def is_blank(gray: np.ndarray) -> bool:
    """True when the sheet carries (almost) no ink: a duplex back or an empty sheet.

    Only the paper counts: a phone photo's table around the sheet, and a band
    along the sheet's edge, are left out.
    """
    half = np.ascontiguousarray(gray[::2, ::2])
    height, width = half.shape[:2]
    cell = max(2, min(height, width) // BLANK_GRID)
    small = cv2.resize(half, (max(1, width // cell), max(1, height // cell)), interpolation=cv2.INTER_AREA)
    kernel = np.ones((3, 3), np.uint8)
    white = cv2.dilate(small, kernel, iterations=BLANK_SPREAD_CELLS)
    bright = (white > BLANK_PAPER_SHARE * float(np.percentile(white, 95))).astype(np.uint8)
    # The image edge counts as not paper too (a table strip between sheet and frame).
    paper = cv2.erode(bright, kernel, iterations=BLANK_SPREAD_CELLS + 1, borderType=cv2.BORDER_CONSTANT,
                      borderValue=0)
    if not paper.any():
        return False
    size = (width, height)
    white_full = cv2.resize(white, size, interpolation=cv2.INTER_NEAREST).astype(np.float32)
    paper_full = cv2.resize(paper, size, interpolation=cv2.INTER_NEAREST).astype(bool)
    ink = (half < white_full * BLANK_INK_LEVEL) & paper_full
    return float(np.count_nonzero(ink)) / float(np.count_nonzero(paper_full)) < BLANK_DARK_SHARE
