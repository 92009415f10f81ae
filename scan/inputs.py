"""Scan inputs: find the files, recognise their type, and load one page at a time.

PDF pages that are a single upright embedded JPEG (what scanners write) give
that image back as stored, without re-rendering; other PDF pages are rendered
as a viewer shows them (scan.inputs_pdf). TIFF (multi-page), PNG and JPEG are
read frame by frame; every mode Pillow opens (1-bit, 8/16-bit grey, RGB, CMYK,
palette) becomes 8-bit grey without clipping, at its true resolution, with
square pixels. Nothing holds more than one page in memory, so a 500-page PDF
streams.
"""

from __future__ import annotations

import hashlib
import io
import re
import sys
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pypdfium2 as pdfium
from PIL import Image

from scan.inputs_pdf import FULL_PAGE_SHARE, RENDER_DPI, PdfPages
from scan.page_image import (
    COLOUR_AS_STORED,
    GRAY_AS_STORED,
    JPEG_QUALITY,
    MAX_PAGE_PIXELS,
    SQUARE_PIXEL_TOLERANCE,
    PageImage,
    check_pixels,
    colour_or_none,
    converted,
    decode_jpeg,
    decoder_messages,
    gray_of,
    jpeg_components,
    square_pixels,
    stored_as_is,
)
from softa.errors import InputFileError
from softa.i18n import _

__all__ = ["FULL_PAGE_SHARE", "JPEG_QUALITY", "MAX_PAGE_PIXELS", "RENDER_DPI", "PageImage", "SourceReader",
           "decode_stored", "discover", "iter_pages", "passed_over", "sha256_file", "sniff"]

#: PDF documents are reopened after this many pages (PDFium's image cache grows
#: with every page read; ~0.5 MB a page at 200 dpi).
PDF_REOPEN_PAGES = 32

#: Pillow refuses larger images itself (instead of warning) above twice this.
Image.MAX_IMAGE_PIXELS = MAX_PAGE_PIXELS

MEDIA_PDF = "application/pdf"
MEDIA_TIFF = "image/tiff"
MEDIA_PNG = "image/png"
MEDIA_JPEG = "image/jpeg"
SCAN_SUFFIXES = {".pdf", ".tif", ".tiff", ".png", ".jpg", ".jpeg"}
#: Image types a phone or scanner may write that are not read: named in the summary, so that a page
#: photographed as .heic is not passed over unnoticed.
OTHER_IMAGE_SUFFIXES = {".heic", ".heif", ".webp", ".bmp", ".gif", ".jp2", ".jxl", ".avif", ".dng", ".xps"}
_MAGIC = ((b"%PDF", MEDIA_PDF), (b"II*\x00", MEDIA_TIFF), (b"MM\x00*", MEDIA_TIFF),
          (b"\x89PNG\r\n\x1a\n", MEDIA_PNG), (b"\xff\xd8\xff", MEDIA_JPEG))
#: A PDF header may follow some junk bytes; readers accept it within the first KiB.
PDF_HEADER_WINDOW = 1024
#: PNG header: colour type 0 is grey, 2 is RGB (at 8 bits a sample OpenCV decodes them exactly).
PNG_GREY, PNG_RGB, PNG_PLAIN_DEPTH = 0, 2, 8
#: TIFF tags read here.
TAG_BITS, TAG_PHOTOMETRIC, TAG_ORIENTATION, TAG_X_RES, TAG_Y_RES, TAG_RES_UNIT = 258, 262, 274, 282, 283, 296
PHOTOMETRIC_MIN_IS_WHITE = 0
RES_UNIT_NONE = 1
#: Bits of a wide grey sample when the file does not say (16-bit PNG).
WIDE_BITS = 16
#: TIFF Orientation tag values 2-8 and the turn or flip that makes the page upright (as viewers show it).
ORIENTATION_FIX = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
                   4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
                   6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90}
#: Pillow modes of colour pictures (converted to RGB; grey pictures in them are recognised and kept grey).
COLOUR_MODES = {"RGB", "RGBA", "RGBX", "RGBa", "CMYK", "YCbCr", "LAB", "HSV", "P", "PA"}
#: Resolution below this is no resolution (a placeholder value of 1 written by some software).
MIN_REAL_DPI = 1.0


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's content, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def discover(inputs: Iterable[Path], exclude: Iterable[Path] = ()) -> list[Path]:
    """Expand folders recursively (scan files only); keep explicit files as given.

    Folders in ``exclude`` (the database's own data folder) are never entered.
    """
    skip = [e.resolve() for e in exclude]

    def wanted(p: Path) -> bool:
        if not p.is_file() or p.suffix.lower() not in SCAN_SUFFIXES or p.name.startswith("."):
            return False
        resolved = p.resolve()
        return not any(resolved.is_relative_to(e) for e in skip)

    found: list[Path] = []
    for item in inputs:
        if item.is_dir():
            found.extend(sorted(p for p in item.rglob("*") if wanted(p)))
        else:
            found.append(item)
    seen: set[Path] = set()
    unique = []
    for path in found:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def passed_over(inputs: Iterable[Path], exclude: Iterable[Path] = ()) -> list[Path]:
    """Image files inside the input folders that ``discover`` leaves out (other types, e.g. a phone's .heic)."""
    skip = [e.resolve() for e in exclude]
    return sorted(p for item in inputs if item.is_dir() for p in item.rglob("*")
                  if p.is_file() and p.suffix.lower() in OTHER_IMAGE_SUFFIXES
                  and not any(part.startswith(".") for part in p.relative_to(item).parts)
                  and not any(p.resolve().is_relative_to(e) for e in skip))


def sniff(path: Path) -> str | None:
    """Media type from the file's first bytes (never from its name)."""
    with path.open("rb") as fh:
        head = fh.read(PDF_HEADER_WINDOW)
    for magic, media in _MAGIC:
        if head.startswith(magic):
            return media
    if b"%PDF-" in head:
        return MEDIA_PDF
    return None


class SourceReader:
    """Open one input file; ``page_count`` pages, loaded one at a time by ``load(n)`` (1-based)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        media = sniff(path)
        if media is None:
            size = path.stat().st_size
            raise InputFileError((_("{path}: an empty file") if size == 0
                                  else _("{path}: not a PDF, TIFF, PNG or JPEG file")).format(path=path),
                                 hint=_("give scanned pages as PDF, TIFF, PNG or JPEG; remove this file from the batch"))
        self.media_type = media
        self._pdf: pdfium.PdfDocument | None = None
        self._pdf_pages = PdfPages(path)
        self._frames: int = 0
        #: A multi-frame image (TIFF) stays open: reopening it for every page walks all earlier frames again.
        self._image: Image.Image | None = None
        self._loaded = 0
        if media == MEDIA_PDF:
            self._open_pdf()
        else:
            self._open_image()

    def _open_pdf(self) -> None:
        try:
            self._pdf = pdfium.PdfDocument(str(self.path))
        except pdfium.PdfiumError as exc:
            data = self.path.read_bytes()
            if b"/Encrypt" in data:
                raise InputFileError(_("{path}: the PDF is encrypted (password protected)").format(path=self.path),
                                     hint=_("save it again without a password and scan that file")) from exc
            if re.search(rb"/Count\s+0\b", data) and not re.search(rb"/Type\s*/Page\b", data):
                raise InputFileError(_("{path}: the PDF has no pages").format(path=self.path),
                                     hint=_("export the scan again from the scanner")) from exc
            raise InputFileError(_("{path}: not a readable PDF ({error})").format(path=self.path, error=exc),
                                 hint=_("the file is damaged or incomplete; export it again from the scanner")) from exc
        self.page_count = len(self._pdf)
        if self.page_count == 0:
            raise InputFileError(_("{path}: the PDF has no pages").format(path=self.path),
                                 hint=_("export the scan again from the scanner"))

    def _open_image(self) -> None:
        try:
            with warnings.catch_warnings(), Image.open(self.path) as img:
                warnings.simplefilter("ignore")  # a damaged file's warnings: the error below says it all
                check_pixels(self.path, img.width, img.height, "the image")
                self._frames = getattr(img, "n_frames", 1)
        except InputFileError:
            raise
        except Image.DecompressionBombError as exc:
            raise InputFileError(_("{path}: image too large to be a scanned page (refused: {error})").format(
                                     path=self.path, error=exc),
                                 hint=_("scan the forms at 150-300 dpi, or remove this file from the batch")) from exc
        except Exception as exc:  # a damaged file makes Pillow raise almost anything (TypeError, KeyError, ...)
            raise InputFileError(_("{path}: not a readable image ({error})").format(path=self.path, error=exc),
                                 hint=_("the file is damaged; export it again from the scanner")) from exc
        self.page_count = self._frames

    def close(self) -> None:
        if self._image is not None:
            self._image.close()
            self._image = None
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None
        self._pdf_pages.close()

    def __enter__(self) -> SourceReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def load(self, page_number: int) -> PageImage:
        """Load page ``page_number`` (1-based); raise InputFileError when it cannot be decoded."""
        try:
            if self._pdf is not None:
                return self._load_pdf_page(page_number)
            return self._load_image_frame(page_number)
        except InputFileError:
            raise
        except Exception as exc:  # damaged data makes the decoders raise almost anything
            raise InputFileError(_("{path}: page {page} cannot be decoded ({error})").format(
                                     path=self.path, page=page_number, error=exc),
                                 hint=_("scan this page again")) from exc

    def _load_pdf_page(self, page_number: int) -> PageImage:
        assert self._pdf is not None
        self._loaded += 1
        if self._loaded % PDF_REOPEN_PAGES == 0:
            # PDFium caches every image it decoded until the document closes: reopen to keep memory flat.
            self._pdf.close()
            self._pdf = pdfium.PdfDocument(str(self.path))
        page = self._pdf[page_number - 1]
        try:
            return self._pdf_pages.load(page, page_number)
        finally:
            page.close()

    def _load_image_frame(self, page_number: int) -> PageImage:
        where = f"{self.path}: page {page_number}"
        damage = None
        if self._frames == 1 and self.media_type in (MEDIA_PNG, MEDIA_JPEG):
            page = self._as_stored(self.path.read_bytes(), where)
            if isinstance(page, PageImage):
                return page
            damage = page
        if self._image is None:
            self._image = Image.open(self.path)
        frame = self._image
        with decoder_messages() as said, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame.seek(page_number - 1)
            check_pixels(self.path, frame.width, frame.height, f"frame {page_number}")
            frame.load()
        notes = said + [str(w.message) for w in caught]
        if notes:
            print(f"{where}: {' '.join(' '.join(notes).split())}", file=sys.stderr)
        page = frame_page(frame)
        return replace(page, damaged=damage) if damage else page

    def _as_stored(self, raw: bytes, where: str) -> PageImage | str | None:
        """A single-image PNG or JPEG whose file bytes can be kept as they are (8-bit grey or RGB, square pixels).

        None when Pillow is to convert it instead; the damage libjpeg reported when it could not decode it.
        """
        dpi = _image_dpi(raw)
        if dpi is not None and abs(dpi[0] - dpi[1]) > SQUARE_PIXEL_TOLERANCE * max(dpi):
            return None  # non-square pixels: resampled below
        page_dpi = dpi[0] if dpi else None
        if self.media_type == MEDIA_JPEG:
            components = jpeg_components(raw)
            if components not in (1, 3):
                return None  # CMYK: Pillow knows Adobe's inverted CMYK
            gray, colour, damage = decode_jpeg(raw, where, colour=components == 3)
            if gray is None:
                return damage  # Pillow tries (and says why it cannot)
            return stored_as_is(gray, page_dpi, raw, ".jpg", colour=colour, damaged=damage)
        depth, colour_type = (raw[24], raw[25]) if len(raw) > 25 else (0, -1)
        if depth != PNG_PLAIN_DEPTH or colour_type not in (PNG_GREY, PNG_RGB):
            return None  # palette, alpha, 1 or 16 bits: Pillow converts
        with decoder_messages() as said:
            decoded = cv2.imdecode(np.frombuffer(raw, np.uint8),
                                   GRAY_AS_STORED if colour_type == PNG_GREY else COLOUR_AS_STORED)
        if said:
            print(f"{where}: {' '.join(' '.join(said).split())}", file=sys.stderr)
        if decoded is None:
            return None
        if decoded.ndim == 2:
            return stored_as_is(decoded, page_dpi, raw, ".png")
        rgb = cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)
        return stored_as_is(gray_of(rgb), page_dpi, raw, ".png", colour=colour_or_none(rgb))


def frame_page(frame: Image.Image) -> PageImage:
    """One decoded Pillow frame as an upright 8-bit grey page with square pixels at its true resolution."""
    tags = getattr(frame, "tag_v2", {})
    fix = ORIENTATION_FIX.get(int(tags.get(TAG_ORIENTATION, 1) or 1))
    dpi = _frame_dpi(frame)
    image = frame if fix is None else frame.transpose(fix)
    if fix in (Image.Transpose.TRANSPOSE, Image.Transpose.TRANSVERSE, Image.Transpose.ROTATE_90,
               Image.Transpose.ROTATE_270) and dpi is not None:
        dpi = (dpi[1], dpi[0], dpi[2])
    gray, colour, bitonal = _pixels(image, tags)
    page_dpi: float | None = None
    if dpi is not None:
        gray, colour, square_dpi = square_pixels(gray, colour, dpi[0], dpi[1])
        page_dpi = square_dpi if dpi[2] else None  # else only an aspect ratio was given (unit "none")
    return converted(gray, page_dpi, ".png", colour=colour, bitonal=bitonal)


def _pixels(image: Image.Image, tags: Any) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """(8-bit grey, RGB or None, bitonal) of a frame in any mode, scaled by its real sample range."""
    mode = image.mode
    if mode == "1":
        return np.asarray(image.convert("L")).copy(), None, True
    if mode == "L":
        return np.asarray(image).copy(), None, False
    if mode.startswith(("I;16", "I", "F")):
        return _wide_gray(image, tags), None, False
    if "A" in image.getbands() or (mode == "P" and "transparency" in image.info):
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, image.convert("RGBA"))
    rgb = np.asarray(image.convert("RGB")).copy()
    colour = colour_or_none(rgb) if mode in COLOUR_MODES or mode.startswith("RGB") else None
    return gray_of(rgb), colour, False


def _wide_gray(image: Image.Image, tags: Any) -> np.ndarray:
    """16-bit (or 32-bit, float) grey to 8 bits: scaled from the full sample range, never clipped."""
    values = np.asarray(image)
    inverted = int(tags.get(TAG_PHOTOMETRIC, 1)) == PHOTOMETRIC_MIN_IS_WHITE
    if values.dtype.kind == "f":
        finite = values[np.isfinite(values)]
        top = 1.0 if finite.size == 0 or float(finite.max()) <= 1.0 else float(finite.max())
        scaled = np.clip(np.nan_to_num(values.astype(np.float32)) / top, 0.0, 1.0)
        return np.rint((1.0 - scaled if inverted else scaled) * 255.0).astype(np.uint8)
    bits = tags.get(TAG_BITS)
    if bits:
        depth = int(bits[0] if isinstance(bits, tuple) else bits)
    else:  # no TIFF tag (a 16-bit PNG): 16 bits unless the values say more
        depth = WIDE_BITS if image.mode.startswith("I;16") or int(values.max(initial=0)) < 1 << WIDE_BITS else 32
    top = (1 << depth) - 1
    if depth <= WIDE_BITS and values.dtype.kind == "u" and values.dtype.itemsize <= 2:
        # One table entry per 16-bit value: exact rounding, ~10 times faster than float arithmetic.
        table = np.rint(np.minimum(np.arange(1 << WIDE_BITS, dtype=np.float64), top) * (255.0 / top)).astype(np.uint8)
        gray = table[values]
    else:
        gray = np.rint(np.clip(values.astype(np.float64) / top, 0.0, 1.0) * 255.0).astype(np.uint8)
    return 255 - gray if inverted else gray


def _frame_dpi(frame: Image.Image) -> tuple[float, float, bool] | None:
    """(across, down, in dpi) resolution of a frame; not in dpi when only an aspect ratio is known; None if unset."""
    info = frame.info.get("dpi")
    if info and len(info) == 2 and float(info[0]) > MIN_REAL_DPI and float(info[1]) > MIN_REAL_DPI:
        return float(info[0]), float(info[1]), True
    tags = getattr(frame, "tag_v2", {})
    x, y = tags.get(TAG_X_RES), tags.get(TAG_Y_RES)
    if x and y and int(tags.get(TAG_RES_UNIT, 2)) == RES_UNIT_NONE and float(x) > 0 and float(y) > 0:
        low = min(float(x), float(y))  # an aspect ratio: the smaller side becomes 1
        return float(x) / low, float(y) / low, False
    return None


def _image_dpi(raw: bytes) -> tuple[float, float] | None:
    with Image.open(io.BytesIO(raw)) as img:
        info = img.info.get("dpi")
    if info and len(info) == 2 and float(info[0]) > MIN_REAL_DPI and float(info[1]) > MIN_REAL_DPI:
        return round(float(info[0]), 2), round(float(info[1]), 2)
    return None


def iter_pages(path: Path) -> Iterator[tuple[int, PageImage | InputFileError]]:
    """Every page of a file in order (1-based number, image or the error for that page)."""
    with SourceReader(path) as reader:
        for number in range(1, reader.page_count + 1):
            try:
                yield number, reader.load(number)
            except InputFileError as exc:
                yield number, exc


def decode_stored(data: bytes) -> np.ndarray:
    """Decode stored page bytes back to grayscale (the review and assign path)."""
    gray = cv2.imdecode(np.frombuffer(data, np.uint8), GRAY_AS_STORED)
    if gray is None:
        with Image.open(io.BytesIO(data)) as img:
            gray = np.asarray(img.convert("L")).copy()
    return gray
