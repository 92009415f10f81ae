"""Page identity: find and decode the page's QR code with zxing-cpp.

The code sits in one corner of the page; which corner depends on how the page
went through the scanner. Corner crops are tried first (fast), then the whole
page, then a downscaled copy (large phone photos).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp

from softa.layout import QR_PREFIX, Rect

#: Only QR codes are looked for (faster, and nothing else on a page is ours).
QR_ONLY = zxingcpp.BarcodeFormats([zxingcpp.BarcodeFormat.QRCode])
#: Corner crops are this share of the page's short side: the QR (20 mm, 14 mm
#: from the top, 16 mm from the right edge) fits inside with room for skew and
#: a scanner's offset, at any of the four orientations.
CORNER_SHARE = 0.34
#: Full pages larger than this (phone photos) are also tried at half size.
DOWNSCALE_ABOVE_PX = 3000
#: Quiet zone the forms draw around the code, in modules (reportlab barBorder).
QR_QUIET_MODULES = 4
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


def find_qr(gray: np.ndarray) -> QrRead | None:
    """The page's softa QR code (or any QR code when there is no softa one), else None."""
    height, width = gray.shape[:2]
    side = int(CORNER_SHARE * min(width, height))
    # Upright first (top-right), then upside down (bottom-left), then sideways.
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
    return pick


def symbol_corners_pt(qr_rect_pt: Rect, version: int | None) -> np.ndarray:
    """Layout points of the QR symbol's corners (TL, TR, BR, BL) inside its quiet zone."""
    x0, y0, x1, y1 = qr_rect_pt
    if version is None:
        inset = 0.0
    else:
        modules = 17 + 4 * version
        inset = (x1 - x0) * QR_QUIET_MODULES / (modules + 2 * QR_QUIET_MODULES)
    return np.array([[x0 + inset, y0 + inset], [x1 - inset, y0 + inset],
                     [x1 - inset, y1 - inset], [x0 + inset, y1 - inset]], dtype=np.float64)


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
