"""Read one page: load it, identify it, register it, measure and decide every box.

This is the work a scan worker process does; it touches no database. The
result carries everything the main process stores in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from scan.identify import QrRead, find_qr, is_blank, qr_symbol_pt
from scan.inputs import PageImage, SourceReader
from scan.omr.decide import decide_page, page_quality, page_reason
from scan.omr.lighting import even_light
from scan.omr.measure import measure_boxes
from scan.omr.register import Registration, register_page
from scan.paths import page_image_path, region_image_path, sha256_bytes, write_atomic
from scan.structure import propose_for_review
from softa.errors import InputFileError
from softa.imaging import crop_upright, encode_png
from softa.layout import MM_PER_INCH, PageLayout, layout_from_json, parse_qr_payload

#: Region crops: margin inside the printed frame left out of the ink share.
REGION_INK_MARGIN_PX = 4
#: Share of paper white below which a region pixel counts as handwriting.
REGION_INK_LEVEL = 0.7


@dataclass(frozen=True)
class BoxRead:
    """One box's raw reading and decision, as stored in box_reads."""

    box_id: str
    dark_ratio: float
    measurements_json: str
    rect_json: str
    decision: str
    checked: bool
    confidence: float
    reason: str | None


@dataclass(frozen=True)
class RegionCrop:
    region_id: str
    png: bytes
    ink_ratio: float


@dataclass(frozen=True)
class PageResult:
    """Everything known about one input page after reading it."""

    page_number: int
    status: str  # 'identified' or 'unidentified'
    reason: str | None = None
    error: str | None = None
    image: bytes | None = None
    image_ext: str = ".jpg"
    #: Set instead of ``image`` when a worker already wrote the image into the data folder.
    image_path: str | None = None
    image_sha256: str | None = None
    dpi: float | None = None
    qr: str | None = None
    case_id: str | None = None
    page_index: int | None = None
    rotation: int | None = None
    registration_error_mm: float | None = None
    homography: tuple[float, ...] | None = None
    quality: float | None = None
    reads: tuple[BoxRead, ...] = field(default_factory=tuple)
    regions: tuple[RegionCrop, ...] = field(default_factory=tuple)
    #: No QR decoded: the identity its printed structure proposes (scan.structure.Proposal JSON), for review.
    proposal_json: str | None = None


@dataclass(frozen=True)
class KnownPage:
    case_id: str
    layout: PageLayout


def region_ink(crop: np.ndarray) -> float:
    """Share of handwriting pixels in an upright region crop (its printed frame left out)."""
    m = REGION_INK_MARGIN_PX
    inner = crop[m:-m, m:-m] if crop.shape[0] > 2 * m and crop.shape[1] > 2 * m else crop
    if inner.size == 0:
        return 0.0
    white = float(np.percentile(inner, 95)) or 1.0
    return round(float(np.count_nonzero(inner < white * REGION_INK_LEVEL)) / inner.size, 4)


def read_layout_page(gray: np.ndarray, page: PageLayout, registration: Registration,
                     colour: np.ndarray | None = None) -> tuple[tuple[BoxRead, ...], tuple[RegionCrop, ...], float]:
    """Measure and decide every box of a registered page; crop its free-text regions."""
    gray, colour = even_light(gray, colour, registration, page.boxes)
    measures = measure_boxes(gray, registration.homography, registration.placed(page.boxes), registration.px_per_mm,
                             colour=colour)
    decisions = decide_page(page.boxes, measures, registered=registration.ok)
    reads = tuple(
        BoxRead(box_id=box.id, dark_ratio=round(m.ink, 4),
                measurements_json=m.json_text(guess=d.checked, reg_error_mm=registration.error_mm),
                rect_json="[{},{},{},{}]".format(*m.rect_px), decision=d.decision, checked=d.checked,
                confidence=d.confidence, reason=d.reason)
        for box, m, d in zip(page.boxes, measures, decisions, strict=True))
    regions = []
    for region in page.regions:
        crop = crop_upright(gray, registration.homography, registration.placed_rect(region.rect_pt))
        regions.append(RegionCrop(region_id=region.id, png=encode_png(crop), ink_ratio=region_ink(crop)))
    return reads, tuple(regions), page_quality(decisions)


def identify_and_read(image: PageImage, page_number: int, known: dict[str, KnownPage],
                      known_cases: set[str]) -> PageResult:
    """Identify one page image and read its boxes."""
    base = PageResult(page_number=page_number, status="unidentified", image=image.stored_bytes,
                      image_ext=image.stored_ext, image_sha256=image.image_sha256, dpi=image.dpi)
    qr = find_qr(image.gray)
    if qr is None:
        if is_blank(image.gray):
            return replace(base, reason="blank")
        proposal = propose_for_review(image.gray, ((k.case_id, k.layout) for k in known.values()))
        return replace(base, reason="no_qr", proposal_json=proposal)
    identity = parse_qr_payload(qr.text)
    if identity is None:
        return replace(base, reason="no_qr", qr=qr.text)
    if image.vector_only:  # the form PDF itself (or a print of it saved as PDF): nothing was filled in on paper
        return replace(base, reason="printed_form", qr=qr.text, case_id=identity.case)
    target = known.get(qr.text)
    if target is None:
        reason = "unknown_page" if identity.case in known_cases else "unknown_case"
        return replace(base, reason=reason, qr=qr.text, case_id=identity.case)
    return read_known_page(image, qr, target, base)


def read_known_page(image: PageImage, qr: QrRead, target: KnownPage, base: PageResult) -> PageResult:
    """Register and read a page whose layout page is known."""
    qr_pt = qr_symbol_pt(image.gray, qr, target.layout)  # whichever of the page's codes was read
    registration = register_page(image.gray, target.layout, qr_pt, qr.corners_px)
    reads, regions, quality = read_layout_page(image.gray, target.layout, registration, image.colour)
    return replace(
        base, status="identified", reason=page_reason(registration.reason, bitonal=image.bitonal), qr=qr.text,
        case_id=target.case_id,
        page_index=target.layout.index, rotation=registration.rotation,
        registration_error_mm=registration.error_mm,
        homography=tuple(float(v) for v in registration.homography.reshape(-1)), quality=quality,
        reads=reads, regions=regions, dpi=image.dpi or round(registration.px_per_mm * MM_PER_INCH, 1))


# --- worker process state -------------------------------------------------

_KNOWN: dict[str, KnownPage] = {}
_KNOWN_CASES: set[str] = set()
_DATA: Path | None = None
_READER: SourceReader | None = None


def load_known(conn: sqlite3.Connection) -> tuple[dict[str, KnownPage], set[str]]:
    """Every layout page in the database by QR payload, and the known case numbers."""
    known: dict[str, KnownPage] = {}
    cases: set[str] = set()
    for case_id, layout_json in conn.execute("SELECT case_id, layout_json FROM cases").fetchall():
        layout = layout_from_json(json.loads(layout_json))
        cases.add(case_id)
        for page in layout.pages:
            known[page.qr] = KnownPage(case_id=case_id, layout=page)
    return known, cases


def init_worker(db_path: str, data: str | None) -> None:
    """Pool initializer: layouts from the database (read-only), the data folder, one OpenCV thread."""
    global _KNOWN, _KNOWN_CASES, _DATA
    cv2.setNumThreads(1)
    conn = sqlite3.connect(f"{Path(db_path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        _KNOWN, _KNOWN_CASES = load_known(conn)
    finally:
        conn.close()
    _DATA = Path(data) if data else None


def _reader(path: Path) -> SourceReader:
    global _READER
    if _READER is None or _READER.path != path:
        if _READER is not None:
            _READER.close()
        _READER = SourceReader(path)
    return _READER


def _write_files(result: PageResult, source_sha: str) -> PageResult:
    """Write the page image and region crops here, in the worker; send back only their paths."""
    if _DATA is None or result.image is None:
        return result
    image_path = page_image_path(result.image_sha256 or sha256_bytes(result.image), result.image_ext)
    write_atomic(_DATA / image_path, result.image)
    regions = result.regions
    if result.status == "identified" and result.image_sha256:
        for crop in regions:
            write_atomic(_DATA / region_image_path(result.image_sha256, crop.region_id), crop.png)
        regions = tuple(replace(c, png=b"") for c in regions)
    return replace(result, image=None, image_path=image_path, regions=regions)


def read_page(task: tuple[str, int, str]) -> PageResult:
    """Worker entry point: read page ``number`` of the file at ``path`` (content ``source_sha``)."""
    path, number, source_sha = task
    try:
        image = _reader(Path(path)).load(number)
    except InputFileError as exc:  # nothing decodable: a row for a person all the same, never "blank"
        return PageResult(page_number=number, status="unidentified", reason="damaged", error=exc.message)
    if image.damaged:  # decoded in part: kept for a person to see, never read (parts may be garbage)
        return _write_files(PageResult(page_number=number, status="unidentified", reason="damaged",
                                       error=image.damaged, image=image.stored_bytes, image_ext=image.stored_ext,
                                       image_sha256=image.image_sha256, dpi=image.dpi), source_sha)
    try:
        result = identify_and_read(image, number, _KNOWN, _KNOWN_CASES)
    except Exception as exc:  # one odd page must not stop the batch: it is kept, with the error
        result = PageResult(page_number=number, status="unidentified", reason="unreadable",
                            error=f"{path}: page {number} could not be read ({exc})", image=image.stored_bytes,
                            image_ext=image.stored_ext, image_sha256=image.image_sha256, dpi=image.dpi)
    return _write_files(result, source_sha)


def close_reader() -> None:
    global _READER
    if _READER is not None:
        _READER.close()
        _READER = None

