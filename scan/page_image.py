"""One decoded page image, and the small tools every input type uses to make one.

A page is kept as 8-bit grey for reading (plus the colour page when the source
was in colour). Its identity (``image_sha256``) is the hash of the bytes stored
when those bytes are exactly what was decoded (a JPEG taken out as is), and
otherwise the hash of the decoded pixels: two pages are "the same image" only
when their pixels are equal.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import cv2
import numpy as np

from softa.errors import InputFileError
from softa.i18n import _

#: Largest page image accepted: an A4 page at 600 dpi is ~35 Mpx; anything far
#: beyond is a decompression bomb or not a form page.
MAX_PAGE_PIXELS = 120_000_000
JPEG_QUALITY = 90
#: Pixels exactly as stored: EXIF rotation is ignored so that the homography
#: maps layout points to the stored file's own pixel grid (what review shows).
GRAY_AS_STORED = cv2.IMREAD_GRAYSCALE | cv2.IMREAD_IGNORE_ORIENTATION
COLOUR_AS_STORED = cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION
#: What libjpeg prints when the compressed data is damaged (parts of the page are garbage or missing),
#: as opposed to harmless notes such as an unknown JFIF revision.
JPEG_DAMAGE = re.compile(r"Corrupt JPEG data|Premature end of JPEG|Invalid SOS|Bogus|Huffman", re.IGNORECASE)
#: Two pixel sizes differing by less than this share count as square (rounding in the resolution tags).
SQUARE_PIXEL_TOLERANCE = 0.01


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
    #: The decoder reported damaged data (naming the file and page): the picture is kept for a
    #: person to look at, but it is never read as a form page (parts of it may be garbage).
    damaged: str | None = None


def pixel_sha256(gray: np.ndarray, colour: np.ndarray | None = None) -> str:
    """Hash of decoded pixels (size and values): equal only for pixel-equal pages."""
    digest = hashlib.sha256(b"pixels:%dx%d:" % gray.shape[:2])
    digest.update(np.ascontiguousarray(gray).data)
    if colour is not None:
        digest.update(np.ascontiguousarray(colour).data)
    return digest.hexdigest()


def encode(gray: np.ndarray, ext: str) -> bytes:
    params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY] if ext == ".jpg" else []
    ok, buf = cv2.imencode(ext, gray, params)
    if not ok:
        raise ValueError(f"cannot encode page as {ext}")
    return buf.tobytes()


def stored_as_is(gray: np.ndarray, dpi: float | None, stored: bytes, ext: str, *,
                 colour: np.ndarray | None = None, damaged: str | None = None) -> PageImage:
    """A page whose stored bytes are exactly the data that was decoded (identity: those bytes)."""
    return PageImage(gray=np.ascontiguousarray(gray), dpi=dpi, stored_bytes=stored, stored_ext=ext,
                     image_sha256=hashlib.sha256(stored).hexdigest(), colour=colour, damaged=damaged)


def converted(gray: np.ndarray, dpi: float | None, ext: str, *, colour: np.ndarray | None = None,
              bitonal: bool = False, vector_only: bool = False, damaged: str | None = None) -> PageImage:
    """A page decoded and converted here (identity: its pixels); stored as ``ext`` of the grey page."""
    gray = np.ascontiguousarray(gray)
    return PageImage(gray=gray, dpi=dpi, stored_bytes=encode(gray, ext), stored_ext=ext,
                     image_sha256=pixel_sha256(gray, colour), vector_only=vector_only,
                     colour=None if colour is None else np.ascontiguousarray(colour), bitonal=bitonal,
                     damaged=damaged)


def check_pixels(path: Path, width: int, height: int, where: str) -> None:
    if width * height > MAX_PAGE_PIXELS or width <= 0 or height <= 0:
        raise InputFileError(
            _("{path}: {where} is {width}x{height} pixels, more than the {limit} Mpx "
              "a scanned page can have (refused, a possible decompression bomb)").format(
                path=path, where=where, width=width, height=height, limit=MAX_PAGE_PIXELS // 1_000_000),
            hint=_("scan the forms at 150-300 dpi, or remove this file from the batch"))


def gray_of(rgb: np.ndarray) -> np.ndarray:
    """Grey (luma) of an RGB page."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def colour_or_none(rgb: np.ndarray) -> np.ndarray | None:
    """The RGB page, or None when all three channels are equal (a grey page in an RGB container)."""
    if np.array_equal(rgb[:, :, 0], rgb[:, :, 1]) and np.array_equal(rgb[:, :, 1], rgb[:, :, 2]):
        return None
    return rgb


_SINK: IO[bytes] | None = None


@contextmanager
def decoder_messages() -> Iterator[list[str]]:
    """Collect what C decoders (libjpeg, libpng, libtiff) print on stderr meanwhile.

    They write straight to file descriptor 2 without naming the file; the
    caller names it. The list receives the text when the block ends.
    """
    global _SINK
    collected: list[str] = []
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (embedded use): nothing to collect
        yield collected
        return
    if _SINK is None:
        _SINK = tempfile.TemporaryFile()  # noqa: SIM115 - one per process, kept open, emptied before each use
    _SINK.seek(0)
    _SINK.truncate()
    os.dup2(_SINK.fileno(), 2)
    try:
        yield collected
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        _SINK.seek(0)
        text = _SINK.read().decode("utf-8", "replace").strip()
        if text:
            collected.append(text)


def decode_jpeg(data: bytes, where: str, *, colour: bool) -> tuple[np.ndarray | None, np.ndarray | None, str | None]:
    """Decode JPEG bytes as stored: (grey, RGB or None, damage message or None); grey None if undecodable.

    libjpeg's warnings are passed on to stderr with ``where`` (file and page) in front.
    """
    with decoder_messages() as said:
        decoded = cv2.imdecode(np.frombuffer(data, np.uint8), COLOUR_AS_STORED if colour else GRAY_AS_STORED)
    message = " ".join(" ".join(said).split())
    damage = None
    if message:
        if JPEG_DAMAGE.search(message):
            damage = f"{where}: the JPEG data is damaged (libjpeg: {message})"
        else:
            print(f"{where}: {message}", file=sys.stderr)
    if decoded is None:
        return None, None, damage
    if colour and decoded.ndim == 3:
        rgb = cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)
        return gray_of(rgb), colour_or_none(rgb), damage
    return decoded, None, damage


def jpeg_check(data: bytes) -> str | None:
    """What libjpeg says is wrong with JPEG data (decoded at 1/8 size: every byte is read, quickly), or None."""
    with decoder_messages() as said:
        decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_REDUCED_GRAYSCALE_8)
    message = " ".join(" ".join(said).split())
    if decoded is None:
        return f"its JPEG image cannot be decoded{f' (libjpeg: {message})' if message else ''}"
    if JPEG_DAMAGE.search(message):
        return f"its JPEG data is damaged (libjpeg: {message})"
    return None


def jpeg_components(data: bytes) -> int | None:
    """Number of colour components in a JPEG's frame header (1 grey, 3 colour, 4 CMYK); None if not found."""
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return data[pos + 9] if pos + 9 < len(data) else None
        pos += 2 + length
    return None


def square_pixels(gray: np.ndarray, colour: np.ndarray | None, dpi_x: float, dpi_y: float) -> tuple[
        np.ndarray, np.ndarray | None, float]:
    """Resample a page with non-square pixels (fax 204 x 98 dpi) to square pixels at the larger resolution."""
    target = max(dpi_x, dpi_y)
    if abs(dpi_x - dpi_y) <= SQUARE_PIXEL_TOLERANCE * target:
        return gray, colour, target
    height, width = gray.shape[:2]
    size = (round(width * target / dpi_x), round(height * target / dpi_y))
    resized = cv2.resize(gray, size, interpolation=cv2.INTER_LINEAR)
    resized_colour = None if colour is None else cv2.resize(colour, size, interpolation=cv2.INTER_LINEAR)
    return resized, resized_colour, target
