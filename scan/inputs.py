"""Scan inputs: find the files, recognise their type, and load one page at a time.

PDF pages that are a single embedded image (what scanners write) give that
image back as stored, without re-rendering; other PDF pages are rendered.
TIFF (multi-page), PNG and JPEG are read frame by frame. Nothing holds more
than one page in memory, so a 500-page PDF streams.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from softa.errors import InputFileError
from softa.layout import POINTS_PER_INCH

#: Largest page image accepted: an A4 page at 600 dpi is ~35 Mpx; anything far
#: beyond is a decompression bomb or not a form page.
MAX_PAGE_PIXELS = 120_000_000
#: Vector PDF pages (printed forms saved as PDF, foreign pages) are rendered at
#: the resolution the office scanner uses.
RENDER_DPI = 200.0
#: An embedded image covering at least this share of the page is "the scan".
FULL_PAGE_SHARE = 0.85
JPEG_QUALITY = 90
#: PDF documents are reopened after this many pages (PDFium's image cache grows
#: with every page read; ~0.5 MB a page at 200 dpi).
PDF_REOPEN_PAGES = 32

#: Pixels exactly as stored: EXIF rotation is ignored so that the homography
#: maps layout points to the stored file's own pixel grid (what review shows).
GRAY_AS_STORED = cv2.IMREAD_GRAYSCALE | cv2.IMREAD_IGNORE_ORIENTATION

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


@dataclass(frozen=True)
class PageImage:
    """One page as an 8-bit grayscale array plus the bytes stored for it."""

    gray: np.ndarray
    dpi: float | None
    stored_bytes: bytes
    stored_ext: str
    image_sha256: str
    #: Drawn, not scanned: a PDF page with vector content only (no image at all), such as
    #: the form PDF `softa forms` wrote. Its boxes would read as empty, so it is never taken as a scan.
    vector_only: bool = False
    #: The page in colour (H x W x 3, RGB, uint8, same size as ``gray``) when the source was in
    #: colour; None for grey and 1-bit sources. OMR uses it to tell highlighter and stains from ink.
    colour: np.ndarray | None = None
    #: The source held only black and white pixels (1-bit scan, fax): faint pencil may be lost.
    bitonal: bool = False


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


def _encode(gray: np.ndarray, ext: str) -> bytes:
    params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY] if ext == ".jpg" else []
    ok, buf = cv2.imencode(ext, gray, params)
    if not ok:
        raise ValueError(f"cannot encode page as {ext}")
    return buf.tobytes()


def _page_image(gray: np.ndarray, dpi: float | None, stored: bytes | None, ext: str, *,
                vector_only: bool = False) -> PageImage:
    if stored is None:
        stored = _encode(gray, ext)
    return PageImage(gray=np.ascontiguousarray(gray), dpi=dpi, stored_bytes=stored, stored_ext=ext,
                     image_sha256=hashlib.sha256(stored).hexdigest(), vector_only=vector_only)


def _to_gray(array: np.ndarray) -> np.ndarray:
    if array.ndim == 2:
        return array
    if array.shape[2] == 1:
        return array[:, :, 0]
    if array.shape[2] == 4:
        return cv2.cvtColor(array, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(array, cv2.COLOR_BGR2GRAY)


def _check_pixels(path: Path, width: int, height: int, where: str) -> None:
    if width * height > MAX_PAGE_PIXELS or width <= 0 or height <= 0:
        raise InputFileError(
            f"{path}: {where} is {width}x{height} pixels, more than the {MAX_PAGE_PIXELS // 1_000_000} Mpx "
            "a scanned page can have (refused, a possible decompression bomb)",
            hint="scan the forms at 150-300 dpi, or remove this file from the batch")


class SourceReader:
    """Open one input file; ``page_count`` pages, loaded one at a time by ``load(n)`` (1-based)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        media = sniff(path)
        if media is None:
            size = path.stat().st_size
            raise InputFileError(f"{path}: {'an empty file' if size == 0 else 'not a PDF, TIFF, PNG or JPEG file'}",
                                 hint="give scanned pages as PDF, TIFF, PNG or JPEG; remove this file from the batch")
        self.media_type = media
        self._pdf: pdfium.PdfDocument | None = None
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
                raise InputFileError(f"{self.path}: the PDF is encrypted (password protected)",
                                     hint="save it again without a password and scan that file") from exc
            if re.search(rb"/Count\s+0\b", data) and not re.search(rb"/Type\s*/Page\b", data):
                raise InputFileError(f"{self.path}: the PDF has no pages",
                                     hint="export the scan again from the scanner") from exc
            raise InputFileError(f"{self.path}: not a readable PDF ({exc})",
                                 hint="the file is damaged or incomplete; export it again from the scanner") from exc
        self.page_count = len(self._pdf)
        if self.page_count == 0:
            raise InputFileError(f"{self.path}: the PDF has no pages", hint="export the scan again from the scanner")

    def _open_image(self) -> None:
        try:
            with warnings.catch_warnings(), Image.open(self.path) as img:
                warnings.simplefilter("ignore")  # a damaged file's warnings: the error below says it all
                _check_pixels(self.path, img.width, img.height, "the image")
                self._frames = getattr(img, "n_frames", 1)
        except InputFileError:
            raise
        except Image.DecompressionBombError as exc:
            raise InputFileError(f"{self.path}: image too large to be a scanned page (refused: {exc})",
                                 hint="scan the forms at 150-300 dpi, or remove this file from the batch") from exc
        except Exception as exc:  # a damaged file makes Pillow raise almost anything (TypeError, KeyError, ...)
            raise InputFileError(f"{self.path}: not a readable image ({exc})",
                                 hint="the file is damaged; export it again from the scanner") from exc
        self.page_count = self._frames

    def close(self) -> None:
        if self._image is not None:
            self._image.close()
            self._image = None
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None

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
            raise InputFileError(f"{self.path}: page {page_number} cannot be decoded ({exc})",
                                 hint="scan this page again") from exc

    def _load_pdf_page(self, page_number: int) -> PageImage:
        assert self._pdf is not None
        self._loaded += 1
        if self._loaded % PDF_REOPEN_PAGES == 0:
            # PDFium caches every image it decoded until the document closes: reopen to keep memory flat.
            self._pdf.close()
            self._pdf = pdfium.PdfDocument(str(self.path))
        page = self._pdf[page_number - 1]
        try:
            width_pt, height_pt = page.get_size()
            scan = self._embedded_scan(page, width_pt * height_pt)
            if scan is not None:
                return scan
            scale = RENDER_DPI / POINTS_PER_INCH
            _check_pixels(self.path, round(width_pt * scale), round(height_pt * scale), f"page {page_number}")
            vector_only = not any(o.type == pdfium_c.FPDF_PAGEOBJ_IMAGE for o in page.get_objects())
            bitmap = page.render(scale=scale, grayscale=True)
            gray = _to_gray(bitmap.to_numpy()).copy()
            return _page_image(gray, RENDER_DPI, None, ".jpg", vector_only=vector_only)
        finally:
            page.close()

    def _embedded_scan(self, page: Any, page_area_pt: float) -> PageImage | None:
        """The page's single full-page image, taken out as stored when it is a JPEG."""
        objects = list(page.get_objects(max_depth=1))
        images = [o for o in objects if o.type == pdfium_c.FPDF_PAGEOBJ_IMAGE]
        # One image, perhaps under an invisible OCR text layer ("searchable PDF"); no vector drawing.
        others = [o for o in objects if o.type not in (pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_TEXT)]
        if len(images) != 1 or others:
            return None
        image = images[0]
        left, bottom, right, top = image.get_bounds()
        if (right - left) * (top - bottom) < FULL_PAGE_SHARE * page_area_pt:
            return None
        px_w, px_h = image.get_px_size()
        _check_pixels(self.path, px_w, px_h, "an embedded page image")
        span_pt = max(right - left, top - bottom)
        dpi = max(px_w, px_h) / (span_pt / POINTS_PER_INCH) if span_pt > 0 else None
        if image.get_filters() == ["DCTDecode"]:
            raw = bytes(image.get_data(decode_simple=False))
            gray = cv2.imdecode(np.frombuffer(raw, np.uint8), GRAY_AS_STORED)
            if gray is not None:
                return _page_image(gray, dpi, raw, ".jpg")
        bitmap = image.get_bitmap()
        gray = _to_gray(bitmap.to_numpy()).copy()
        return _page_image(gray, dpi, None, ".png")

    def _load_image_frame(self, page_number: int) -> PageImage:
        raw = self.path.read_bytes() if self._frames == 1 and self.media_type in (MEDIA_PNG, MEDIA_JPEG) else None
        if raw is not None:
            gray = cv2.imdecode(np.frombuffer(raw, np.uint8), GRAY_AS_STORED)
            if gray is not None:
                dpi = _image_dpi(self.path)
                return _page_image(gray, dpi, raw, ".jpg" if self.media_type == MEDIA_JPEG else ".png")
        if self._image is None:
            self._image = Image.open(self.path)
        frame = self._image
        frame.seek(page_number - 1)
        _check_pixels(self.path, frame.width, frame.height, f"frame {page_number}")
        dpi_info = frame.info.get("dpi")
        gray = np.asarray(frame.convert("L")).copy()
        dpi = float(dpi_info[0]) if dpi_info and dpi_info[0] and float(dpi_info[0]) > 1 else None
        return _page_image(gray, dpi, None, ".png")


def _image_dpi(path: Path) -> float | None:
    with Image.open(path) as img:
        info = img.info.get("dpi")
    if info and info[0] and float(info[0]) > 1:
        return float(info[0])
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
