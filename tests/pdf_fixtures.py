"""Hand-built PDF files for intake tests: an image placed by any matrix, with masks, decode arrays, /Rotate.

Office software writes these (compact "MRC" PDFs, phone scanner apps, fax
servers); building them byte by byte gives full control over what the page
really shows, so a test can say what the reader must see.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image, TiffImagePlugin


@dataclass
class Img:
    """An image XObject: its dictionary entries (after /Subtype /Image) and its stream data."""

    entries: str
    data: bytes
    #: Other streams this image refers to by name, written as ``{name}`` in ``entries`` (masks).
    refs: dict[str, Img] = field(default_factory=dict)


def jpeg_image(pixels: np.ndarray, extra: str = "") -> Img:
    """A DCT image of a grey or RGB array (as a scanner embeds it)."""
    colour = pixels.ndim == 3
    data = cv2.imencode(".jpg", cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR) if colour else pixels,
                        [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
    height, width = pixels.shape[:2]
    space = "/DeviceRGB" if colour else "/DeviceGray"
    return Img(f"/Width {width} /Height {height} /ColorSpace {space} /BitsPerComponent 8 /Filter /DCTDecode {extra}",
               data)


def flate_gray(pixels: np.ndarray, extra: str = "") -> Img:
    height, width = pixels.shape
    return Img(f"/Width {width} /Height {height} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode "
               f"{extra}", zlib.compress(np.ascontiguousarray(pixels, np.uint8).tobytes()))


def stencil(keep: np.ndarray) -> Img:
    """A 1-bit stencil mask (/ImageMask): ``keep`` True where the masked image is painted."""
    height, width = keep.shape
    # Stencil masks: sample 0 paints (Decode [0 1]), so painted pixels are 0 bits.
    bits = np.packbits(~keep, axis=1).tobytes()
    return Img(f"/Width {width} /Height {height} /ImageMask true /BitsPerComponent 1 /Filter /FlateDecode",
               zlib.compress(bits))


def ccitt_image(pixels: np.ndarray) -> Img:
    """A CCITT group 4 image (fax servers, bitonal office scans) of a black-and-white array."""
    height, width = pixels.shape
    buf = io.BytesIO()
    Image.fromarray(pixels).convert("1").save(buf, "TIFF", compression="group4", tiffinfo={278: height})
    tiff = Image.open(io.BytesIO(buf.getvalue()))
    assert isinstance(tiff, TiffImagePlugin.TiffImageFile)
    offset, length = tiff.tag_v2[273][0], tiff.tag_v2[279][0]
    data = buf.getvalue()[offset:offset + length]
    return Img(f"/Width {width} /Height {height} /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode"
               f" /DecodeParms << /K -1 /Columns {width} /Rows {height} /BlackIs1 true >>", data)


def _group4(black: np.ndarray) -> bytes:
    """T.6 (CCITT group 4) data of a bitonal array, 1 bits black (libtiff codes 0 bits as white runs)."""
    buf = io.BytesIO()
    Image.fromarray(np.where(black, 255, 0).astype(np.uint8)).convert("1").save(
        buf, "TIFF", compression="group4", tiffinfo={278: black.shape[0]})
    tags = Image.open(io.BytesIO(buf.getvalue())).tag_v2  # type: ignore[attr-defined]
    return buf.getvalue()[tags[273][0]:tags[273][0] + tags[279][0]]


def jbig2_image(pixels: np.ndarray) -> Img:
    """A JBIG2 image (as compact and bitonal office scans embed it): page information, one generic region
    coded with MMR (T.6), end of page; embedded form (no file header)."""
    height, width = pixels.shape

    def segment(number: int, kind: int, data: bytes) -> bytes:  # flags: type, 1-byte page association
        return struct.pack(">IBBBI", number, kind, 0, 1, len(data)) + data

    page_info = struct.pack(">IIIIBH", width, height, 0, 0, 0, 0)
    region = struct.pack(">IIIIB", width, height, 0, 0, 0) + bytes([1]) + _group4(pixels < 128)  # MMR on
    data = segment(0, 48, page_info) + segment(1, 38, region) + segment(2, 49, b"")
    return Img(f"/Width {width} /Height {height} /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /JBIG2Decode",
               data)


@dataclass
class Page:
    width_pt: float
    height_pt: float
    content: bytes
    images: dict[str, Img] = field(default_factory=dict)
    rotate: int = 0
    #: Graphics states (/ExtGState entries, e.g. "/Half << /ca 0.5 >>").
    states: str = ""


def build_pdf(pages: list[Page]) -> bytes:
    """A PDF of the given pages (classic xref table)."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    def stream(entries: str, data: bytes) -> bytes:
        return f"<< {entries} /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream"

    def add_image(image: Img) -> int:
        names = {key: f"{add_image(ref)} 0 R" for key, ref in image.refs.items()}
        return add(stream("/Type /XObject /Subtype /Image " + image.entries.format(**names), image.data))

    catalog, tree = add(b""), add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    kids = []
    for page in pages:
        xobjects = " ".join(f"/{name} {add_image(image)} 0 R" for name, image in page.images.items())
        contents = add(stream("", page.content))
        rotate = f" /Rotate {page.rotate}" if page.rotate else ""
        kids.append(add(
            f"<< /Type /Page /Parent {tree} 0 R /MediaBox [0 0 {page.width_pt:.3f} {page.height_pt:.3f}]{rotate}"
            f" /Resources << /XObject << {xobjects} >> /Font << /F1 {font} 0 R >> /ExtGState << {page.states} >> >>"
            f" /Contents {contents} 0 R >>"
            .encode()))
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {tree} 0 R >>".encode()
    objects[tree - 1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>".encode()
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def placed(name: str, a: float, b: float, c: float, d: float, e: float, f: float) -> bytes:
    """Content drawing XObject ``name`` with the matrix [a b c d e f] (what a `cm` operator sets)."""
    return f"q {a:.4f} {b:.4f} {c:.4f} {d:.4f} {e:.4f} {f:.4f} cm /{name} Do Q\n".encode()


def full_page(pixels: np.ndarray, dpi: float, image: Img, *, content: bytes = b"", rotate: int = 0) -> Page:
    """One image covering an upright page at ``dpi`` (plus optional extra content before it)."""
    height, width = pixels.shape[:2]
    w_pt, h_pt = width * 72 / dpi, height * 72 / dpi
    return Page(w_pt, h_pt, content + placed("Im0", w_pt, 0, 0, h_pt, 0, 0), {"Im0": image}, rotate=rotate)
