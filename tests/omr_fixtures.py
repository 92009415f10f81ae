"""Test helpers: render form pages and mark them with simple OpenCV strokes (no simulator needed)."""

from __future__ import annotations

import hashlib
import math
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium

from formgen import generate_pack
from formgen.pack import FormPack
from scan.inputs import PageImage
from softa.layout import Box
from softa.manifest import load_manifest

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "samples" / "case_2024-017.toml"
DPI = 200.0


@lru_cache(maxsize=1)
def sample_pack(out_dir: str) -> FormPack:
    return generate_pack(load_manifest(MANIFEST), Path(out_dir))


def render_page(pack: FormPack, index: int, dpi: float = DPI) -> np.ndarray:
    doc = pdfium.PdfDocument(str(pack.pack_pdf))
    try:
        bitmap = doc[index].render(scale=dpi / 72, grayscale=True)
        return bitmap.to_numpy().squeeze().copy()
    finally:
        doc.close()


def box_px(box: Box, dpi: float = DPI) -> tuple[float, float, float, float]:
    s = dpi / 72
    x0, y0, x1, y1 = box.rect_pt
    return x0 * s, y0 * s, x1 * s, y1 * s


def draw_cross(img: np.ndarray, box: Box, *, level: int = 30, width_mm: float = 0.5, overshoot: float = 0.0,
               dpi: float = DPI) -> None:
    x0, y0, x1, y1 = box_px(box, dpi)
    pad = (x1 - x0) * (0.15 - overshoot)
    thick = max(1, round(width_mm * dpi / 25.4))
    p = [(x0 + pad, y0 + pad), (x1 - pad, y1 - pad), (x1 - pad, y0 + pad), (x0 + pad, y1 - pad)]
    cv2.line(img, tuple(map(round, p[0])), tuple(map(round, p[1])), level, thick, cv2.LINE_AA)
    cv2.line(img, tuple(map(round, p[2])), tuple(map(round, p[3])), level, thick, cv2.LINE_AA)


def draw_check(img: np.ndarray, box: Box, *, level: int = 30, width_mm: float = 0.4, dpi: float = DPI) -> None:
    x0, y0, x1, _ = box_px(box, dpi)
    w = x1 - x0
    pts = np.array([(x0 + 0.2 * w, y0 + 0.55 * w), (x0 + 0.42 * w, y0 + 0.8 * w), (x0 + 0.85 * w, y0 + 0.15 * w)])
    cv2.polylines(img, [np.round(pts).astype(np.int32)], False, level, max(1, round(width_mm * dpi / 25.4)),
                  cv2.LINE_AA)


def fill_box(img: np.ndarray, box: Box, *, level: int = 25, dpi: float = DPI) -> None:
    x0, y0, x1, y1 = box_px(box, dpi)
    cv2.rectangle(img, (round(x0), round(y0)), (round(x1), round(y1)), level, -1)


def rotate(img: np.ndarray, degrees: float) -> np.ndarray:
    """Turn by any angle (counter-clockwise), growing the canvas, white background."""
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    cos, sin = abs(math.cos(math.radians(degrees))), abs(math.sin(math.radians(degrees)))
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(img, m, (nw, nh), flags=cv2.INTER_LINEAR, borderValue=255)


def perspective(img: np.ndarray, strength: float = 0.06) -> np.ndarray:
    """A phone-like view: the top edge narrower than the bottom, on a grey table."""
    h, w = img.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    d = strength * w
    dst = np.float32([[d, d * 0.5], [w - d * 0.6, d], [w, h - d * 0.3], [0, h]]) + np.float32([60, 60])
    m = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(img, m, (w + 120, h + 120), flags=cv2.INTER_LINEAR, borderValue=120)


def as_page(gray: np.ndarray, dpi: float | None = DPI) -> PageImage:
    ok, buf = cv2.imencode(".png", gray)
    assert ok
    data = buf.tobytes()
    return PageImage(gray=gray, dpi=dpi, stored_bytes=data, stored_ext=".png",
                     image_sha256=hashlib.sha256(data).hexdigest())


def write_pdf(path: Path, images: list[np.ndarray], dpi: float = DPI, quality: int = 90) -> Path:
    """A scanner-like PDF: one embedded JPEG per page (Pillow writes DCTDecode images)."""
    from PIL import Image

    frames = [Image.fromarray(img) for img in images]
    frames[0].save(path, "PDF", save_all=True, append_images=frames[1:], resolution=dpi, quality=quality)
    return path


def scanned_pack(pack: FormPack, path: Path, dpi: float = DPI) -> Path:
    """The whole unfilled pack as an office scanner would give it back: one JPEG per page."""
    return write_pdf(path, [render_page(pack, i, dpi) for i in range(len(pack.layout.pages))], dpi=dpi)


def marked_page(pack: FormPack, index: int, seed: int, *, share: float = 0.25) -> tuple[np.ndarray, dict[str, int]]:
    """A rendered page with random pen crosses (truth 1) and a few filled boxes (truth 0)."""
    import random

    rng = random.Random(seed)
    img = render_page(pack, index)
    truth: dict[str, int] = {}
    for box in pack.layout.pages[index].boxes:
        r = rng.random()
        truth[box.id] = int(r < share)
        if r < share:
            draw_cross(img, box)
        elif r < share + 0.02:
            fill_box(img, box)
    return img, truth


def blank_sheet(dpi: float = DPI) -> np.ndarray:
    return np.full((round(297 / 25.4 * dpi), round(210 / 25.4 * dpi)), 250, np.uint8)


def foreign_sheet(dpi: float = DPI) -> np.ndarray:
    """A letter that is no form: lines of text, no QR code."""
    img = blank_sheet(dpi)
    for line in range(30):
        cv2.putText(img, "Geachte heer, mevrouw, hierbij ontvangt u de brief", (120, 200 + 60 * line),
                    cv2.FONT_HERSHEY_SIMPLEX, 1.1, 20, 2, cv2.LINE_AA)
    return img


def qr_sheet(payload: str, dpi: float = DPI) -> np.ndarray:
    """A sheet with only a QR code in the form's corner (e.g. of a case the database does not know)."""
    import zxingcpp

    img = blank_sheet(dpi)
    code = np.asarray(zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode).to_image(scale=5))
    img[120:120 + code.shape[0], 1300:1300 + code.shape[1]] = code
    return img


def erase_qr(img: np.ndarray, pack: FormPack, index: int, dpi: float = DPI) -> np.ndarray:
    out = img.copy()
    for rect in pack.layout.pages[index].qr_rects_pt:  # every code of the page (layout v2 prints two)
        x0, y0, x1, y1 = (round(v * dpi / 72) for v in rect)
        out[y0:y1, x0:x1] = 255
    return out
