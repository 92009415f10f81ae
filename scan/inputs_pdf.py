"""PDF pages as page images: the scanner's JPEG as stored when that is the page, else pdfium's rendering.

A page's embedded image is taken out as stored only when it alone is the page,
upright: one DCT (JPEG) image, placed with an upright matrix (no flip, no
rotation, no shear) covering the page, on a page without /Rotate, annotations
or a clip, with no mask, soft mask, decode array or colour transform, and
nothing else drawn (an invisible OCR text layer is allowed). That is what
office scanners write, and it stays fast: the bytes are kept as they are.

Everything else (several images, a compact "MRC" page of image plus mask,
an image placed flipped or turned by its matrix, /Rotate, JBIG2, CCITT, JPX,
CMYK, vector drawing) is rendered by pdfium as a viewer shows it, at the
resolution of the page's own images (the scanner's real resolution).
"""

from __future__ import annotations

import ctypes
import logging
import math
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from scan.page_image import (
    PageImage,
    check_pixels,
    colour_or_none,
    converted,
    decode_jpeg,
    gray_of,
    jpeg_check,
    jpeg_components,
    stored_as_is,
)
from softa.layout import POINTS_PER_INCH

#: Vector PDF pages (printed forms saved as PDF, foreign pages) are rendered at
#: the resolution the office scanner uses.
RENDER_DPI = 200.0
#: Pages of scanned images are rendered at their images' own resolution, within these bounds
#: (below 100 dpi a 4 mm box is under 16 px; above 600 dpi nothing is gained for OMR).
MIN_RENDER_DPI = 100.0
MAX_RENDER_DPI = 600.0
#: An embedded image covering at least this share of the page is "the scan".
FULL_PAGE_SHARE = 0.85
#: An image covering at least this share of the page sets the rendering resolution (a logo does not).
RESOLUTION_SHARE = 0.1
#: Matrix terms below this many points count as zero: the image is placed upright (no turn, no shear).
UPRIGHT_EPS_PT = 1e-3
#: An image may stick out of the page box by this many points (rounding in the scanner's numbers).
PAGE_EDGE_SLACK_PT = 1.0
#: Image resolutions across and down differing by more than this share are non-square pixels (render).
SQUARE_PIXEL_SHARE = 0.01
#: pdfium sizes its bitmap with ceil(page size x scale); page sizes are float32, so a 240 px page can
#: come out 241 px wide. The scale is made smaller by this share (0.05 px on a 600 dpi A4 page).
RENDER_SIZE_SLACK = 1e-5
#: Image colour spaces whose DCT data libjpeg decodes to the same picture pdfium shows
#: (ICC-based ones only with 1 or 3 components: 8 or 24 bits a pixel).
PLAIN_COLOUR_SPACES = {pdfium_c.FPDF_COLORSPACE_DEVICEGRAY, pdfium_c.FPDF_COLORSPACE_DEVICERGB,
                       pdfium_c.FPDF_COLORSPACE_CALGRAY, pdfium_c.FPDF_COLORSPACE_CALRGB,
                       pdfium_c.FPDF_COLORSPACE_ICCBASED}
PLAIN_BITS_PER_PIXEL = (8, 24)
#: Image dictionary keys that change what the stored data looks like on the page: masks, a decode
#: array, an image mask, JPEG colour transform, optional content (a hidden layer).
_DRAWING_KEY = re.compile(rb"/(SMask|Mask|Decode|ImageMask|ColorTransform|SMaskInData|Alternates|OC)(?![A-Za-z0-9])")
_IMAGE = re.compile(rb"/Subtype\s*/Image(?![A-Za-z0-9])")
#: An image stream's dictionary is in the first bytes of its object.
OBJECT_HEAD_BYTES = 4096
#: pdfium colour spaces of colour images (the page is then rendered in colour).
COLOUR_SPACES = {pdfium_c.FPDF_COLORSPACE_DEVICERGB, pdfium_c.FPDF_COLORSPACE_DEVICECMYK,
                 pdfium_c.FPDF_COLORSPACE_CALRGB, pdfium_c.FPDF_COLORSPACE_LAB}
#: The JPEG end-of-image marker, looked for in the last bytes of the data (writers may pad after it).
JPEG_END = b"\xff\xd9"
JPEG_END_WINDOW = 64
#: JBIG2 segment headers (ITU T.88, 7.2): at least 11 bytes; 7 referred segments means the long form;
#: flag bit 6 a 4-byte page association; a data length of all ones means "unknown" (ends in a marker).
JBIG2_MIN_HEADER = 11
JBIG2_LONG_REFERENCES = 7
JBIG2_LONG_PAGE = 0x40
JBIG2_UNKNOWN_LENGTH = 0xFFFFFFFF
#: CCITT end of block: two end-of-line codes (000000000001), fill bits allowed between them; looked for
#: in the last bytes of the data.
_EOFB = re.compile(r"0{11}10{11,}1")
CCITT_END_WINDOW = 8
_DO = re.compile(rb"/([^\s/<>\[\]()%{}]+)\s*Do\b")


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs every oddity of a scanner's PDF as a warning; the check below only needs yes or no."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


class PdfPages:
    """Page images of one PDF document (the caller owns the pdfium document)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[bytes] | None = None
        self._pypdf: Any = None

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
            self._pypdf = None

    def load(self, page: pdfium.PdfPage, number: int) -> PageImage:
        """Page ``number`` (1-based) of the open document as a page image."""
        width_pt, height_pt = page.get_size()
        objects = list(page.get_objects(max_depth=1))
        scan = self._as_stored(page, number, objects, width_pt * height_pt)
        if isinstance(scan, PageImage):
            return scan
        return self._render(page, number, width_pt, height_pt, scan)

    # --- the fast path: the scanner's JPEG as stored ---------------------------------

    def _as_stored(self, page: pdfium.PdfPage, number: int, objects: list[Any],
                   page_area: float) -> PageImage | str | None:
        """The page's JPEG as stored when it alone is the page; else None, or why it could not be decoded."""
        images = [o for o in objects if o.type == pdfium_c.FPDF_PAGEOBJ_IMAGE]
        if len(images) != 1 or page.get_rotation() != 0 or pdfium_c.FPDFPage_GetAnnotCount(page) > 0:
            return None
        if any(o.type != pdfium_c.FPDF_PAGEOBJ_IMAGE and not _invisible_text(o) for o in objects):
            return None
        image = images[0]
        if pdfium_c.FPDFPageObj_HasTransparency(image):  # drawn with a blend mode, alpha or soft mask (/ExtGState)
            return None
        a, b, c, d, e, f = image.get_matrix().get()
        if abs(b) > UPRIGHT_EPS_PT or abs(c) > UPRIGHT_EPS_PT or a <= 0 or d <= 0:
            return None  # flipped, turned or sheared by its matrix: pdfium shows it as the page shows it
        left, bottom, right, top = page.get_cropbox()
        slack = PAGE_EDGE_SLACK_PT
        if not _clip_keeps(image, (e + slack, f + slack, e + a - slack, f + d - slack)):
            return None
        if e < left - slack or f < bottom - slack or e + a > right + slack or f + d > top + slack:
            return None  # partly outside the page: only the visible part is the page
        if a * d < FULL_PAGE_SHARE * page_area or image.get_filters() != ["DCTDecode"]:
            return None
        px_w, px_h = image.get_px_size()
        check_pixels(self.path, px_w, px_h, f"page {number}'s image")
        dpi_x, dpi_y = px_w / (a / POINTS_PER_INCH), px_h / (d / POINTS_PER_INCH)
        if abs(dpi_x - dpi_y) > SQUARE_PIXEL_SHARE * max(dpi_x, dpi_y):
            return None
        raw = bytes(image.get_data(decode_simple=False))
        components = jpeg_components(raw)
        if components not in (1, 3) or not _plain_colour(image) or not self._plain_image(number - 1):
            return None
        where = f"{self.path}: page {number}"
        gray, colour, damage = decode_jpeg(raw, where, colour=components == 3)
        if gray is None:  # rendered all the same, so that a person sees what pdfium makes of it
            return damage or "its JPEG image cannot be decoded (libjpeg)"
        if gray.shape != (px_h, px_w):
            return None
        return stored_as_is(gray, round(max(dpi_x, dpi_y), 2), raw, ".jpg", colour=colour, damaged=damage)

    def _plain_image(self, index: int) -> bool:
        """Whether the image the page draws has a plain dictionary (no mask, soft mask, decode array, ...).

        pdfium does not expose the image dictionary: pypdf finds the page's image object and its
        dictionary is read from the file (not its data, which pdfium has). Any doubt means "render".
        """
        try:
            with _quiet_pypdf():
                self._open_pypdf()
                page = self._pypdf.pages[index]
                contents = page.get_contents()
                names = set(_DO.findall(contents.get_data() if contents is not None else b""))
                if len(names) != 1:
                    return False
                ref = page["/Resources"]["/XObject"].raw_get("/" + names.pop().decode("latin-1"))
                head = self._object_head(ref)
                return head is not None and _IMAGE.search(head) is not None and _DRAWING_KEY.search(head) is None
        except Exception:  # a PDF pypdf cannot follow is rendered, as pdfium shows it
            return False

    def _open_pypdf(self) -> None:
        if self._pypdf is None:
            import pypdf

            self._fh = self.path.open("rb")
            self._pypdf = pypdf.PdfReader(self._fh, strict=False)

    def _object_head(self, ref: Any) -> bytes | None:
        """The dictionary of an image stream object, read from the file at the offset the xref gives."""
        offset = self._pypdf.xref.get(ref.generation, {}).get(ref.idnum)
        if not isinstance(offset, int) or self._fh is None:
            return None
        chunk = os.pread(self._fh.fileno(), OBJECT_HEAD_BYTES, offset)
        if not re.match(rb"\s*%d\s+%d\s+obj\b" % (ref.idnum, ref.generation), chunk):
            return None
        end = chunk.find(b"stream")
        return chunk[:end] if end > 0 else None

    def _ccitt_cut(self, image: Any, index: int) -> str | None:
        """Why a CCITT (fax) image is cut off: its data lacks the end-of-block code its dictionary promises.

        pdfium draws the rows it has and white paper below, without a word. The dictionary (EndOfBlock,
        true unless it says false) is read with pypdf; when it cannot be found, nothing is claimed.
        """
        px_w, px_h = image.get_px_size()
        try:
            with _quiet_pypdf():
                self._open_pypdf()
                xobjects = self._pypdf.pages[index]["/Resources"]["/XObject"]
                for ref in xobjects.values():
                    xobject = ref.get_object()
                    if xobject.get("/Width") != px_w or xobject.get("/Height") != px_h:
                        continue
                    parms = xobject.get("/DecodeParms")
                    parms = parms.get_object() if parms is not None else {}
                    if isinstance(parms, list):
                        parms = parms[-1].get_object() if parms else {}
                    if getattr(parms.get("/EndOfBlock", True), "value", True) is False:  # pypdf's BooleanObject
                        return None
                    break
                else:
                    return None
        except Exception:  # pypdf cannot follow this PDF: nothing known, nothing claimed
            return None
        tail = bytes(image.get_data(decode_simple=True))[-CCITT_END_WINDOW:]
        if _EOFB.search("".join(f"{byte:08b}" for byte in tail)):
            return None
        return "its CCITT (fax) image is cut off (the end-of-block code is missing)"

    # --- everything else: rendered as a viewer shows it ------------------------------

    def _render(self, page: pdfium.PdfPage, number: int, width_pt: float, height_pt: float,
                known_damage: str | None = None) -> PageImage:
        images = [o for o in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])]
        page_area = width_pt * height_pt
        dpis: list[float] = []
        colour = False
        bitonal = bool(images)
        damage = [known_damage.removeprefix(f"{self.path}: page {number}: ")] if known_damage else []
        for image in images:
            metadata = image.get_metadata()
            colour = colour or metadata.colorspace in COLOUR_SPACES or metadata.bits_per_pixel >= 24  # a stamp, too
            share, dpi = _image_share_and_dpi(image, page_area)
            if share < RESOLUTION_SHARE:
                continue
            dpis.append(dpi)
            bitonal = bitonal and metadata.bits_per_pixel == 1
            problem = _image_damage(image, metadata.bits_per_pixel)
            if problem is None and image.get_filters()[-1:] == ["CCITTFaxDecode"]:
                problem = self._ccitt_cut(image, number - 1)
            if problem and problem not in damage:
                damage.append(problem)
        bitonal = bitonal and bool(dpis)
        dpi = min(MAX_RENDER_DPI, max(MIN_RENDER_DPI, max(dpis))) if dpis else RENDER_DPI
        dpi = round(dpi, 2)
        scale = dpi / POINTS_PER_INCH * (1 - RENDER_SIZE_SLACK)
        rotated = page.get_rotation() in (90, 270)
        size_w, size_h = (height_pt, width_pt) if rotated else (width_pt, height_pt)
        check_pixels(self.path, round(size_w * scale), round(size_h * scale), f"page {number}")
        # Rendered in colour even for grey pages: pdfium's grey bitmaps take 2-3 times as long.
        rgb = np.ascontiguousarray(page.render(scale=scale, rev_byteorder=True).to_numpy()[:, :, :3])
        gray = gray_of(rgb)
        rgb_or_none = colour_or_none(rgb) if colour else None
        damaged = f"{self.path}: page {number}: {'; '.join(damage)}" if damage else None
        return converted(gray, dpi, ".png" if bitonal else ".jpg", colour=rgb_or_none, bitonal=bitonal,
                         vector_only=not images, damaged=damaged)


def _plain_colour(image: Any) -> bool:
    """Grey or RGB: what libjpeg gives is what pdfium shows (CMYK, indexed, separations are rendered)."""
    metadata = image.get_metadata()
    return bool(metadata.colorspace in PLAIN_COLOUR_SPACES and metadata.bits_per_pixel in PLAIN_BITS_PER_PIXEL)


def _image_damage(image: Any, bits_per_pixel: int) -> str | None:
    """Why an embedded image cannot be shown whole, or None.

    pdfium draws what it can of a damaged image without a word (nothing, black, or the top part),
    which would read as a blank or an empty form; its data is checked here instead.
    """
    filters = image.get_filters()
    px_w, px_h = image.get_px_size()
    if filters and filters[-1] == "DCTDecode":
        data = bytes(image.get_data(decode_simple=True))
        if jpeg_components(data) is None:
            return "its JPEG image has no valid header (damaged)"
        if JPEG_END not in data[-JPEG_END_WINDOW:]:
            return "its JPEG image is cut off (the data ends early)"
        return jpeg_check(data)
    if not image.get_filters(skip_simple=True):  # Flate, LZW, run-length: all rows must be there
        expected = math.ceil(px_w * bits_per_pixel / 8) * px_h
        if bits_per_pixel > 0 and len(image.get_data(decode_simple=True)) < expected:
            return "its image data ends early (rows are missing)"
        return None
    if filters and filters[-1] == "JBIG2Decode" and not _jbig2_whole(bytes(image.get_data(decode_simple=True))):
        return "its JBIG2 image is cut off (a segment ends past the data)"
    try:  # CCITT, JPX: decoding it is the only test (pdfium may still draw a cut CCITT image without a word)
        image.get_bitmap()
    except pdfium.PdfiumError:
        return f"its {'/'.join(filters)} image cannot be decoded"
    return None


def _jbig2_whole(data: bytes) -> bool:
    """Whether embedded JBIG2 data (ITU T.88 segments, no file header) holds every segment it announces.

    pdfium draws a cut JBIG2 page as white paper: a "blank" page that was a form.
    """
    pos = 0
    while pos < len(data):
        if pos + JBIG2_MIN_HEADER > len(data):
            return False
        number = int.from_bytes(data[pos:pos + 4], "big")
        flags, refs = data[pos + 4], data[pos + 5]
        pos += 6
        count = refs >> 5
        if count == JBIG2_LONG_REFERENCES:
            count = int.from_bytes(data[pos - 1:pos + 3], "big") & 0x1FFFFFFF
            pos += 3 + (count + 8) // 8
        ref_size = 1 if number <= 256 else 2 if number <= 65536 else 4
        pos += count * ref_size + (4 if flags & JBIG2_LONG_PAGE else 1)
        if pos + 4 > len(data):
            return False
        length = int.from_bytes(data[pos:pos + 4], "big")
        pos += 4
        if length == JBIG2_UNKNOWN_LENGTH:  # an immediate region ending in a marker: not checked further
            return True
        pos += length
    return pos == len(data)


def _invisible_text(obj: Any) -> bool:
    """A text object drawn invisibly: the OCR layer of a "searchable PDF"."""
    return bool(obj.type == pdfium_c.FPDF_PAGEOBJ_TEXT
                and pdfium_c.FPDFTextObj_GetTextRenderMode(obj) == pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE)


def _clip_keeps(obj: Any, rect: tuple[float, float, float, float]) -> bool:
    """Whether the object's clip (if any) is axis-aligned rectangles that all contain ``rect`` (keep it whole)."""
    clip = pdfium_c.FPDFPageObj_GetClipPath(obj)
    paths = pdfium_c.FPDFClipPath_CountPaths(clip) if clip else -1
    x, y = ctypes.c_float(), ctypes.c_float()
    for i in range(max(paths, 0)):
        points = []
        for j in range(pdfium_c.FPDFClipPath_CountPathSegments(clip, i)):
            segment = pdfium_c.FPDFClipPath_GetPathSegment(clip, i, j)
            if not segment or not pdfium_c.FPDFPathSegment_GetPoint(segment, x, y):
                return False
            points.append((x.value, y.value))
        if not points:
            return False
        xs, ys = {p[0] for p in points}, {p[1] for p in points}
        if len(xs) > 2 or len(ys) > 2:  # not an upright rectangle
            return False
        if min(xs) > rect[0] or min(ys) > rect[1] or max(xs) < rect[2] or max(ys) < rect[3]:
            return False
    return True


def _image_share_and_dpi(image: Any, page_area: float) -> tuple[float, float]:
    """Share of the page an image covers and its resolution (the finer of its two axes) on the page."""
    px_w, px_h = image.get_px_size()
    try:
        (x1, y1), (x2, y2), _, (x4, y4) = image.get_quad_points()
        side_w, side_h = math.hypot(x2 - x1, y2 - y1), math.hypot(x4 - x1, y4 - y1)
    except (pdfium.PdfiumError, RuntimeError):
        left, bottom, right, top = image.get_bounds()
        side_w, side_h = right - left, top - bottom
    if side_w <= 0 or side_h <= 0 or page_area <= 0:
        return 0.0, 0.0
    dpi = max(px_w / (side_w / POINTS_PER_INCH), px_h / (side_h / POINTS_PER_INCH))
    return side_w * side_h / page_area, dpi

