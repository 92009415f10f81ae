"""How real devices turn a scanned page into a file, and what they add on the way.

After-scan effects (a copier's drum streak, a shadow band across a photo), bitonal
and fax conversion, and the writers: 16-bit and colour TIFF (Pillow), fax TIFF with
non-square pixels (CCITT G3/G4), 1-bit PDF (Pillow, CCITT G4), compact "MRC" PDFs
(background image + foreground image with a 1-bit /Mask, /SMask or a stencil
ImageMask), PDFs whose image is stored flipped or turned and put right by its
transform matrix or the page's /Rotate, PDFs of horizontal image strips, and phone
JPEGs whose pixels lie sideways with an EXIF orientation tag.
"""

from __future__ import annotations

import io
import itertools
import math
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from PIL import Image

from samples.simulate_degrade import PdfWriter, _quarter_turns, encode_jpeg, write_jpeg

Output = Literal["pdf-jpeg", "tiff16", "tiff-colour", "tiff-fax", "tiff-g4", "pdf-bitonal", "pdf-compact",
                 "pdf-matrix", "pdf-strips", "pdf-ocr", "pdf-jpx", "jpeg-exif"]
POINTS_PER_INCH = 72.0
#: Phones write this (meaningless) resolution into their JPEGs.
PHONE_JPEG_DPI = 72
#: Compact PDFs keep the background at 1/BACKGROUND_DOWNSCALE and the ink colour at 1/FOREGROUND_DOWNSCALE
#: of the scan resolution; a pixel darker than INK_SHARE of the paper level goes into the 1-bit mask.
BACKGROUND_DOWNSCALE = 3
FOREGROUND_DOWNSCALE = 4
INK_SHARE = 0.62
#: JPEG 2000 in PDF: compression ratio range (as scanners' "high compression" settings use).
JPX_RATES = (15.0, 40.0)
#: Words of the invisible OCR layer a "searchable PDF" lays over the page image.
OCR_WORDS = ("SOFTA-NL", "codeerformulier", "versie", "Casus", "Observator", "pagina", "minuut", "Beoordeel")
#: EXIF orientation tags phones write (1 upright, 6 turn 90 cw to view, 8 turn 90 ccw, 3 turn 180) and how often.
EXIF_ORIENTATIONS = (1, 6, 8, 3)
EXIF_WEIGHTS = (0.3, 0.4, 0.15, 0.15)
EXIF_ORIENTATION_TAG = 0x0112


def _px_per_mm(homography: np.ndarray) -> float:
    """Image pixels per mm from a layout-points -> image-pixels homography (its mean scale)."""
    return math.sqrt(abs(np.linalg.det(homography[:2, :2] / homography[2, 2]))) * POINTS_PER_INCH / 25.4


def _project(homography: np.ndarray, points_pt: np.ndarray) -> np.ndarray:
    pts = np.c_[points_pt, np.ones(len(points_pt))] @ homography.T
    return pts[:, :2] / pts[:, 2:3]


@dataclass(frozen=True)
class DrumStreak:
    """A scratch on a copier's drum: a grey line along the feed direction, often down a column of boxes."""

    width_mm: tuple[float, float] = (0.15, 1.0)
    gain: tuple[float, float] = (0.35, 0.78)
    on_boxes: float = 0.75
    count: tuple[int, int] = (1, 3)

    def apply(self, image: np.ndarray, homography: np.ndarray, box_centres_pt: np.ndarray,
              rng: np.random.Generator) -> np.ndarray:
        out = image.copy()
        h, w = out.shape[:2]
        px_mm = _px_per_mm(homography)
        for _ in range(int(rng.integers(self.count[0], self.count[1] + 1))):
            if len(box_centres_pt) and rng.random() < self.on_boxes:
                centre = _project(homography, box_centres_pt[int(rng.integers(len(box_centres_pt)))][None])[0]
                x = centre[0] + rng.uniform(-2.0, 2.0) * px_mm
            else:
                x = rng.uniform(0, w)
            width = max(1.0, rng.uniform(*self.width_mm) * px_mm)
            gain = rng.uniform(*self.gain)
            # The line wanders a little and its darkness varies slowly along it.
            rows = np.arange(h, dtype=np.float32)
            wander = x + np.sin(rows / h * rng.uniform(1, 4) + rng.uniform(0, 6)) * rng.uniform(0, 0.6) * px_mm
            along = gain + (1 - gain) * 0.25 * (1 + np.sin(rows / h * rng.uniform(3, 12) + rng.uniform(0, 6))) / 2
            cols = np.arange(w, dtype=np.float32)[None, :]
            inside = np.clip(width / 2 + 0.5 - np.abs(cols - wander[:, None]), 0, 1)
            keep = 1 - inside * (1 - along[:, None])
            out = (out * (keep[..., None] if out.ndim == 3 else keep)).astype(np.uint8)
        return out


@dataclass(frozen=True)
class ShadowBand:
    """A band of shadow across a phone photo (the photographer's arm or the phone), soft-edged."""

    width_mm: tuple[float, float] = (20.0, 60.0)
    darkness: tuple[float, float] = (0.3, 0.55)
    edge_mm: tuple[float, float] = (3.0, 10.0)

    def apply(self, image: np.ndarray, homography: np.ndarray, box_centres_pt: np.ndarray,
              rng: np.random.Generator) -> np.ndarray:
        h, w = image.shape[:2]
        px_mm = _px_per_mm(homography)
        angle = rng.uniform(0, np.pi)
        cell = 8
        gy, gx = np.mgrid[0:h // cell + 1, 0:w // cell + 1].astype(np.float32) * cell
        centre = rng.uniform(0.25, 0.75, 2) * (w, h)
        dist = np.abs((gx - centre[0]) * math.cos(angle) + (gy - centre[1]) * math.sin(angle))
        half, edge = rng.uniform(*self.width_mm) * px_mm / 2, rng.uniform(*self.edge_mm) * px_mm
        band = 1 / (1 + np.exp((dist - half) / max(edge / 4, 1.0)))
        field = cv2.resize((1 - rng.uniform(*self.darkness) * band).astype(np.float32), (w, h),
                           interpolation=cv2.INTER_LINEAR)
        return (image * (field[..., None] if image.ndim == 3 else field)).astype(np.uint8)


PostEffect = DrumStreak | ShadowBand


def to_gray(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image


def bitonal(image: np.ndarray, threshold: float) -> np.ndarray:
    """A scanner's black-and-white mode: one fixed threshold (share of full white); True = white."""
    return to_gray(image) >= round(threshold * 255)


def resample_rows(image: np.ndarray, share: float) -> tuple[np.ndarray, np.ndarray]:
    """Keep ``share`` of the rows (fax standard resolution); return the image and the pixel map applied."""
    h, w = image.shape[:2]
    new_h = max(1, round(h * share))
    out = cv2.resize(image, (w, new_h), interpolation=cv2.INTER_AREA)
    s = new_h / h
    return out, np.array([[1.0, 0.0, 0.0], [0.0, s, 0.5 * s - 0.5], [0.0, 0.0, 1.0]])


# --- writers ----------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One finished page image: uint8 grey/RGB, or bool (True = white) for bitonal; dpi across and down."""

    image: np.ndarray
    dpi: tuple[float, float]


def _pil(page: Page) -> Image.Image:
    if page.image.dtype == bool:
        return Image.fromarray(page.image).convert("1")
    return Image.fromarray(page.image)


def _dpi(page: Page) -> tuple[float, float]:
    return (float(page.dpi[0]), float(page.dpi[1]))


def write_tiff16(path: Path, pages: list[Page], rng: np.random.Generator) -> None:
    """Multi-page 16-bit greyscale TIFF (archive setting): the full 0-65535 range, low bits carrying sensor noise."""
    frames = []
    for page in pages:
        gray = to_gray(page.image).astype(np.uint16) * 257
        noise = rng.integers(0, 256, gray.shape, dtype=np.uint16)
        frames.append(Image.fromarray(np.minimum(gray + noise, 65535).astype(np.uint16)))
    frames[0].save(path, save_all=True, append_images=frames[1:], compression="tiff_adobe_deflate",
                   dpi=_dpi(pages[0]))


def write_tiff_colour(path: Path, pages: list[Page], rng: np.random.Generator) -> None:
    """Multi-page TIFF whose frames differ as a multifunction device's do: RGB (LZW), CMYK, palette, grey JPEG."""
    frames = []
    for page in pages:
        rgb = page.image if page.image.ndim == 3 else cv2.cvtColor(page.image, cv2.COLOR_GRAY2RGB)
        mode = str(rng.choice(["RGB", "CMYK", "P", "L"]))
        im = Image.fromarray(rgb)
        if mode == "CMYK":
            im = im.convert("CMYK")
        elif mode == "P":
            im = im.quantize(colors=int(rng.choice([16, 64, 256])))
        elif mode == "L":
            im = im.convert("L")
        frames.append(im)
    # Per-frame encoder settings: Pillow takes them from each appended image's encoderinfo.
    frames[0].save(path, save_all=True, append_images=frames[1:], compression="tiff_lzw", dpi=_dpi(pages[0]))


def write_tiff_bitonal(path: Path, pages: list[Page], rng: np.random.Generator, *, fax: bool = False) -> None:
    """Multi-page 1-bit TIFF, CCITT group 4 (or group 3 for a fax), with the true dpi across and down."""
    frames = [_pil(p) for p in pages]
    compression = "group3" if fax and rng.random() < 0.5 else "group4"
    frames[0].save(path, save_all=True, append_images=frames[1:], compression=compression, dpi=_dpi(pages[0]))


def write_pdf_bitonal(path: Path, pages: list[Page]) -> None:
    """Multi-page 1-bit PDF as Pillow writes it (CCITT G4 per page)."""
    frames = [_pil(p) for p in pages]
    frames[0].save(path, "PDF", save_all=True, append_images=frames[1:], resolution=pages[0].dpi[0])


def write_pdf_jpeg(path: Path, pages: list[Page], quality: int) -> None:
    writer = PdfWriter(path)
    try:
        for page in pages:
            writer.add_page(page.image, round(page.dpi[0]), quality)
    finally:
        writer.close()


def write_jpeg_exif(path: Path, page: Page, quality: int, rng: np.random.Generator) -> tuple[int, np.ndarray]:
    """A phone JPEG: pixels as the sensor lay, an EXIF tag saying how to turn them, 72 dpi.

    Returns the tag and the 3x3 map from the page image's pixels to the stored ones.
    """
    tag = int(rng.choice(EXIF_ORIENTATIONS, p=EXIF_WEIGHTS))
    turns = {1: 0, 6: 1, 8: -1, 3: 2}[tag]  # stored = frame turned ccw; the viewer turns it back
    stored = np.ascontiguousarray(np.rot90(page.image, turns))
    h, w = page.image.shape[:2]
    moved = _quarter_turns((turns % 4) * 90, (w, h))
    if tag == 1 and rng.random() < 0.5:
        write_jpeg(path, stored, quality)  # some phones write no EXIF at all
        return tag, moved
    exif = Image.Exif()
    exif[EXIF_ORIENTATION_TAG] = tag
    exif[0x010F] = "Telefoon"  # Make
    Image.fromarray(stored).save(path, "JPEG", quality=quality, exif=exif, dpi=(PHONE_JPEG_DPI, PHONE_JPEG_DPI))
    return tag, moved


class LayeredPdfWriter(PdfWriter):
    """PdfWriter for pages composed of several image objects, masks, transform matrices and /Rotate."""

    def _number(self) -> int:
        number = self._next
        self._next += 1
        return number

    def image(self, array: np.ndarray, *, jpeg_quality: int | None = None, jpx_rate: float | None = None,
              mask: int | None = None, smask: int | None = None, stencil: bool = False) -> int:
        """Write one image XObject (JPEG when a quality is given, else Flate); return its object number.

        Bool arrays are 1-bit: True = ink. A stencil (ImageMask) paints where True; as a plain 1-bit
        image, True is opaque (for use as /SMask or /Mask).
        """
        h, w = array.shape[:2]
        number = self._number()
        extra = b""
        if mask is not None:
            extra += b" /Mask %d 0 R" % mask
        if smask is not None:
            extra += b" /SMask %d 0 R" % smask
        if array.dtype == bool:
            data = zlib.compress(np.packbits(array, axis=1).tobytes())
            kind = b"/ImageMask true /Decode [1 0]" if stencil else b"/ColorSpace /DeviceGray"
            self._object(number, b"<< /Type /XObject /Subtype /Image /Width %d /Height %d %s /BitsPerComponent 1 "
                         b"/Filter /FlateDecode /Length %d%s >>" % (w, h, kind, len(data), extra), data)
            return number
        space = b"/DeviceRGB" if array.ndim == 3 else b"/DeviceGray"
        if jpx_rate is not None:
            buffer = io.BytesIO()
            Image.fromarray(array).save(buffer, "JPEG2000", quality_mode="rates", quality_layers=[jpx_rate])
            data, filt = buffer.getvalue(), b"/JPXDecode"
        elif jpeg_quality is not None:
            data, filt = encode_jpeg(array, jpeg_quality), b"/DCTDecode"
        else:
            data, filt = zlib.compress(np.ascontiguousarray(array).tobytes()), b"/FlateDecode"
        self._object(number, b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s "
                     b"/BitsPerComponent 8 /Filter %s /Length %d%s >>" % (w, h, space, filt, len(data), extra), data)
        return number

    def page(self, size_pt: tuple[float, float], content: bytes, xobjects: dict[str, int], rotate: int = 0,
             *, font: bool = False) -> None:
        content_no, page_no = self._number(), self._number()
        self._object(content_no, b"<< /Length %d >>" % len(content), content)
        names = b" ".join(b"/%s %d 0 R" % (name.encode(), n) for name, n in xobjects.items())
        rot = b" /Rotate %d" % rotate if rotate else b""
        fonts = b" /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >>" if font else b""
        self._object(page_no, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.4f %.4f]%s "
                     b"/Resources << /XObject << %s >>%s >> /Contents %d 0 R >>"
                     % (size_pt[0], size_pt[1], rot, names, fonts, content_no))
        self._pages.append(page_no)


def _size_pt(page: Page) -> tuple[float, float]:
    h, w = page.image.shape[:2]
    return (w * POINTS_PER_INCH / page.dpi[0], h * POINTS_PER_INCH / page.dpi[1])


def _cm(a: float, b: float, c: float, d: float, e: float, f: float) -> bytes:
    return b"%.4f %.4f %.4f %.4f %.4f %.4f cm" % (a, b, c, d, e, f)


COMPACT_VARIANTS = ("mask", "smask", "stencil", "mask-only", "smask-only")


def add_compact_page(writer: LayeredPdfWriter, page: Page, quality: int, rng: np.random.Generator, *,
                     variant: str | None = None) -> str:
    """An MRC page: background JPEG at low resolution, ink colour at lower still, shaped by a full-resolution 1-bit mask."""
    image = page.image
    gray = to_gray(image)
    paper = float(np.percentile(gray, 90))
    ink = gray < paper * INK_SHARE
    variant = variant or str(rng.choice(COMPACT_VARIANTS))
    h, w = gray.shape
    width_pt, height_pt = _size_pt(page)
    full = _cm(width_pt, 0, 0, height_pt, 0, 0)
    objects: dict[str, int] = {}
    parts: list[bytes] = []
    if not variant.endswith("-only"):
        bg = image.copy()
        level = np.percentile(image.reshape(-1, image.shape[2]) if image.ndim == 3 else image.reshape(-1, 1), 90, axis=0)
        bg[ink] = level.astype(np.uint8) if image.ndim == 3 else np.uint8(level[0])
        small = cv2.resize(bg, (w // BACKGROUND_DOWNSCALE, h // BACKGROUND_DOWNSCALE), interpolation=cv2.INTER_AREA)
        objects["Bg"] = writer.image(small, jpeg_quality=int(rng.integers(35, 61)))
        parts.append(b"q " + full + b" /Bg Do Q")
    if variant == "stencil":
        objects["Mk"] = writer.image(ink, stencil=True)
        if not ink.any():
            colour = np.zeros(3)
        elif image.ndim == 3:
            colour = image[ink].mean(axis=0) / 255.0
        else:
            colour = np.repeat(gray[ink].mean(), 3) / 255.0
        parts.append(b"q %.3f %.3f %.3f rg " % tuple(colour) + full + b" /Mk Do Q")
    else:
        # The ink's colour, smeared so that it is defined everywhere the mask may let it through.
        weight = cv2.resize(ink.astype(np.float32), (w // FOREGROUND_DOWNSCALE, h // FOREGROUND_DOWNSCALE),
                            interpolation=cv2.INTER_AREA)
        masked = image.astype(np.float32) * (ink[..., None] if image.ndim == 3 else ink)
        summed = cv2.resize(masked, (weight.shape[1], weight.shape[0]), interpolation=cv2.INTER_AREA)
        spread = cv2.GaussianBlur(summed, (0, 0), 2.0)
        spread_w = cv2.GaussianBlur(weight, (0, 0), 2.0)
        fg = np.clip(spread / np.maximum(spread_w, 1e-3)[..., None] if image.ndim == 3
                     else spread / np.maximum(spread_w, 1e-3), 0, 255).astype(np.uint8)
        if variant.startswith("smask"):
            soft = ink if rng.random() < 0.5 else np.where(ink, 255, 0).astype(np.uint8)
            objects["Fg"] = writer.image(fg, jpeg_quality=int(rng.integers(40, 71)), smask=writer.image(soft))
        else:
            objects["Fg"] = writer.image(fg, jpeg_quality=int(rng.integers(40, 71)),
                                         mask=writer.image(ink, stencil=True))
        parts.append(b"q " + full + b" /Fg Do Q")
    writer.page((width_pt, height_pt), b"\n".join(parts), objects)
    return variant


MATRIX_VARIANTS = ("flip-vertical", "flip-horizontal", "turn-90", "turn-270", "turn-180", "rotate-90", "rotate-180",
                   "rotate-270")


def add_matrix_page(writer: LayeredPdfWriter, page: Page, quality: int, rng: np.random.Generator, *,
                    variant: str | None = None) -> str:
    """The page image stored mirrored or turned, set right by the cm matrix (or drawn turned under /Rotate)."""
    variant = variant or str(rng.choice(MATRIX_VARIANTS))
    width_pt, height_pt = _size_pt(page)
    if variant.startswith("rotate-"):
        # /Rotate R shows the page turned R clockwise: draw the image turned R counter-clockwise.
        degrees = int(variant.split("-")[1])
        drawn = np.ascontiguousarray(np.rot90(page.image, degrees // 90))
        size = (width_pt, height_pt) if degrees == 180 else (height_pt, width_pt)
        number = writer.image(drawn, jpeg_quality=quality)
        writer.page(size, b"q " + _cm(size[0], 0, 0, size[1], 0, 0) + b" /Im0 Do Q", {"Im0": number}, rotate=degrees)
        return variant
    ops = {"flip-vertical": np.flipud, "flip-horizontal": np.fliplr, "turn-90": lambda a: np.rot90(a, 1),
           "turn-270": lambda a: np.rot90(a, 3), "turn-180": lambda a: np.rot90(a, 2)}
    op = ops[variant]
    stored = np.ascontiguousarray(op(page.image))
    # Where each stored corner must land on the page (points, y up): apply the same op to the corners.
    corners = np.array([[[0.0, height_pt], [width_pt, height_pt]], [[0.0, 0.0], [width_pt, 0.0]]])
    placed = op(corners)
    top_left, bottom_left, bottom_right = placed[0, 0], placed[1, 0], placed[1, 1]
    a, b = bottom_right - bottom_left
    c, d = top_left - bottom_left
    number = writer.image(stored, jpeg_quality=quality)
    writer.page((width_pt, height_pt), b"q " + _cm(a, b, c, d, *bottom_left) + b" /Im0 Do Q", {"Im0": number})
    return variant


def add_strips_page(writer: LayeredPdfWriter, page: Page, quality: int, rng: np.random.Generator) -> str:
    """The page stored as horizontal image strips, one XObject each, as some scanner drivers do."""
    h = page.image.shape[0]
    count = int(rng.integers(3, 13))
    edges = np.linspace(0, h, count + 1).round().astype(int)
    width_pt, height_pt = _size_pt(page)
    per_row = height_pt / h
    objects: dict[str, int] = {}
    parts = []
    for k, (r0, r1) in enumerate(itertools.pairwise(edges)):
        name = f"S{k}"
        objects[name] = writer.image(np.ascontiguousarray(page.image[r0:r1]), jpeg_quality=quality)
        parts.append(b"q " + _cm(width_pt, 0, 0, (r1 - r0) * per_row, 0, height_pt - r1 * per_row) + b" /%s Do Q"
                     % name.encode())
    writer.page((width_pt, height_pt), b"\n".join(parts), objects)
    return f"strips-{count}"


def add_ocr_page(writer: LayeredPdfWriter, page: Page, quality: int, rng: np.random.Generator) -> str:
    """A "searchable PDF": the page JPEG with an invisible OCR text layer (text render mode 3) over it."""
    width_pt, height_pt = _size_pt(page)
    number = writer.image(page.image, jpeg_quality=quality)
    words = []
    for _ in range(int(rng.integers(20, 80))):
        x, y = rng.uniform(0.05, 0.8) * width_pt, rng.uniform(0.05, 0.95) * height_pt
        word = str(rng.choice(OCR_WORDS)).encode()
        words.append(b"BT /F1 %.1f Tf 3 Tr 1 0 0 1 %.2f %.2f Tm (%s) Tj ET" % (rng.uniform(6, 12), x, y, word))
    order = [b"q " + _cm(width_pt, 0, 0, height_pt, 0, 0) + b" /Im0 Do Q", *words]
    if rng.random() < 0.5:  # some producers write the text first, some after the image
        order = order[1:] + order[:1]
    writer.page((width_pt, height_pt), b"\n".join(order), {"Im0": number}, font=True)
    return "ocr-text"


def add_jpx_page(writer: LayeredPdfWriter, page: Page, quality: int, rng: np.random.Generator) -> str:
    """The page image as JPEG 2000 (JPXDecode), as some scanners' high-compression PDF setting writes it."""
    width_pt, height_pt = _size_pt(page)
    number = writer.image(page.image, jpx_rate=float(rng.uniform(*JPX_RATES)))
    writer.page((width_pt, height_pt), b"q " + _cm(width_pt, 0, 0, height_pt, 0, 0) + b" /Im0 Do Q", {"Im0": number})
    return "jpx"
