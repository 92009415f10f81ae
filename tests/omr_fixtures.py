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
    """Colour a box in up to its border; like pen or pencil, the printed line stays as dark as it was."""
    x0, y0, x1, y1 = box_px(box, dpi)
    layer = np.full_like(img, 255)
    cv2.rectangle(layer, (round(x0), round(y0)), (round(x1), round(y1)), level, -1)
    np.minimum(img, layer, out=img)


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
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    d = strength * w
    dst = np.array([[d, d * 0.5], [w - d * 0.6, d], [w, h - d * 0.3], [0, h]], dtype=np.float32) + 60
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


# --- realistic marks and page faults for the decision tests (drawn at any dpi) -----------------

def _pt(x: float, y: float) -> tuple[int, int]:
    return round(x), round(y)


def _thick(width_mm: float, dpi: float) -> int:
    return max(1, round(width_mm * dpi / 25.4))


def draw_felt_x(img: np.ndarray, box: Box, *, width_mm: float = 1.1, dpi: float = DPI, level: int = 20) -> None:
    """A felt-tip X whose thick strokes end near the box corners."""
    draw_cross(img, box, level=level, width_mm=width_mm, overshoot=0.05, dpi=dpi)


def draw_scribble(img: np.ndarray, box: Box, *, width_mm: float = 0.6, dpi: float = DPI, level: int = 25,
                  seed: int = 1) -> None:
    """A dense round scribble in the middle of the box (as a tick), corners left white."""
    x0, y0, x1, y1 = box_px(box, dpi)
    cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) * 0.27
    rng = np.random.default_rng(seed)
    angles = np.linspace(0, 6 * math.pi, 40)
    radii = r * (0.4 + 0.6 * rng.random(angles.size))
    pts = np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], 1)
    cv2.polylines(img, [np.round(pts).astype(np.int32)], False, level, _thick(width_mm, dpi), cv2.LINE_AA)


def draw_zigzag(img: np.ndarray, box: Box, *, share: float = 0.65, width_mm: float = 0.5, dpi: float = DPI,
                level: int = 30) -> None:
    """A cancellation scribbled over only part of the box: dense zigzag over the left ``share``."""
    x0, y0, x1, y1 = box_px(box, dpi)
    w = x1 - x0
    step = width_mm * dpi / 25.4 * 1.2
    pts, y, left = [], y0 + 1, True
    while y < y1 - 1:
        pts.append((x0 + 1 if left else x0 + share * w, y))
        y += step
        left = not left
    cv2.polylines(img, [np.round(np.array(pts)).astype(np.int32)], False, level, _thick(width_mm, dpi), cv2.LINE_AA)


def draw_circle_round(img: np.ndarray, box: Box, *, margin_mm: float = 1.2, dpi: float = DPI, level: int = 40,
                      width_mm: float = 0.4) -> None:
    """A pen circle drawn round a box, ``margin_mm`` outside its sides."""
    x0, y0, x1, y1 = box_px(box, dpi)
    r = (x1 - x0) / 2 + margin_mm * dpi / 25.4
    cv2.ellipse(img, _pt((x0 + x1) / 2, (y0 + y1) / 2), (round(r), round(r * 0.95)), 0, 0, 360, level,
                _thick(width_mm, dpi), cv2.LINE_AA)


def draw_circle_at(img: np.ndarray, centre_px: tuple[float, float], radius_mm: float, *, dpi: float = DPI,
                   level: int = 40, width_mm: float = 0.4) -> None:
    """A pen circle anywhere (e.g. round a printed label)."""
    r = radius_mm * dpi / 25.4
    cv2.ellipse(img, _pt(*centre_px), (round(r), round(r * 0.8)), 0, 0, 360, level, _thick(width_mm, dpi),
                cv2.LINE_AA)


def draw_streak(img: np.ndarray, x_px: float, *, width_mm: float = 0.35, level: int = 150, dpi: float = DPI) -> None:
    """A copier drum streak: a straight light-grey line down the whole page."""
    half = max(1, round(width_mm * dpi / 25.4 / 2))
    x = round(x_px)
    img[:, x - half:x + half] = np.minimum(img[:, x - half:x + half], level)


def cover_with_note(img: np.ndarray, rect_px: tuple[float, float, float, float], *, level: int = 235,
                    writing: bool = True) -> None:
    """A sticky note over part of the page (opaque paper), with handwriting on it."""
    x0, y0, x1, y1 = (round(v) for v in rect_px)
    img[y0:y1, x0:x1] = level
    if writing:
        cv2.putText(img, "bel ma", (x0 + 10, (y0 + y1) // 2), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 1.2, 40, 2,
                    cv2.LINE_AA)


def to_colour(gray: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)


def highlight(rgb: np.ndarray, rect_px: tuple[float, float, float, float], colour: tuple[int, int, int]) -> None:
    """A highlighter swipe: the colour multiplied over the paper (ink stays dark under it)."""
    x0, y0, x1, y1 = (round(v) for v in rect_px)
    part = rgb[y0:y1, x0:x1].astype(np.float32)
    rgb[y0:y1, x0:x1] = (part * (np.array(colour, np.float32) / 255.0)).astype(np.uint8)


def coffee_arc(rgb: np.ndarray, centre_px: tuple[float, float], radius_px: float, *, width_px: int = 6,
               colour: tuple[int, int, int] = (170, 120, 70)) -> None:
    """The dark edge of a coffee ring, with the lighter stain inside it."""
    overlay = rgb.copy()
    cv2.circle(overlay, _pt(*centre_px), round(radius_px), (228, 208, 178), -1, cv2.LINE_AA)
    cv2.circle(overlay, _pt(*centre_px), round(radius_px), colour, width_px, cv2.LINE_AA)
    np.minimum(rgb, overlay, out=rgb)


def colour_page(rgb: np.ndarray, dpi: float = DPI) -> PageImage:
    """A colour scan as intake gives it: the grey page plus the colour one."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    page = as_page(gray, dpi)
    return PageImage(gray=page.gray, dpi=dpi, stored_bytes=page.stored_bytes, stored_ext=page.stored_ext,
                     image_sha256=page.image_sha256, colour=rgb)


def draw_small_check(img: np.ndarray, box: Box, *, scale: float = 0.5, level: int = 185, width_mm: float = 0.2,
                     dpi: float = DPI) -> None:
    """A small light pencil check in the middle of the box (``scale`` of the box size)."""
    x0, y0, x1, _ = box_px(box, dpi)
    w = (x1 - x0) * scale
    cx, cy = (x0 + x1) / 2, y0 + (x1 - x0) / 2
    pts = np.array([(cx - 0.3 * w, cy), (cx - 0.05 * w, cy + 0.3 * w), (cx + 0.4 * w, cy - 0.4 * w)])
    cv2.polylines(img, [np.round(pts).astype(np.int32)], False, level, _thick(width_mm, dpi), cv2.LINE_AA)
