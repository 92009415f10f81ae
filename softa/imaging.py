"""Page images shared by the scanner and the review screen.

A stored page keeps its image as scanned (any orientation) plus a homography
that maps layout coordinates (PDF points, origin top-left, y down) to that
image's pixels. Any layout rectangle can then be cut out upright.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from softa.layout import Rect

#: Snippets for people are drawn at ~150 dpi: sharp enough to judge a pen mark.
SNIPPET_PX_PER_PT = 150 / 72


def homography_from_json(values: list[float] | list[list[float]]) -> np.ndarray:
    """3x3 matrix from its stored JSON form (9 numbers row-major, or 3 rows)."""
    return np.asarray(values, dtype=np.float64).reshape(3, 3)


def load_image(path: Path) -> np.ndarray:
    """Read an image file (grayscale or colour) as stored in the data folder."""
    data = np.fromfile(str(path), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ValueError(f"{path}: not a readable image")
    return image


def crop_upright(image: np.ndarray, homography: np.ndarray, rect_pt: Rect, *,
                 px_per_pt: float = SNIPPET_PX_PER_PT, margin_pt: float = 0.0) -> np.ndarray:
    """Cut the layout rectangle (plus a margin) out of a scanned page, upright and unskewed."""
    x0, y0, x1, y1 = rect_pt
    x0, y0, x1, y1 = x0 - margin_pt, y0 - margin_pt, x1 + margin_pt, y1 + margin_pt
    width = max(1, round((x1 - x0) * px_per_pt))
    height = max(1, round((y1 - y0) * px_per_pt))
    # Output pixel -> layout point -> image pixel.
    out_to_layout = np.array([[1 / px_per_pt, 0, x0], [0, 1 / px_per_pt, y0], [0, 0, 1]], dtype=np.float64)
    out_to_image = homography @ out_to_layout
    return cv2.warpPerspective(image, out_to_image, (width, height),
                               flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=255)


def encode_png(image: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", image)
    if not ok:
        raise ValueError("cannot encode image as PNG")
    return buf.tobytes()
