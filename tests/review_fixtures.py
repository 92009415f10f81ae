"""A small scanned batch for the review tests, built without the scanner.

Pages of the sample case are rendered from the real form pack with pypdfium2,
pen marks are drawn with OpenCV, and rows are written the way the scanner
stores them (homography = scale dpi/72 for an upright render).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pypdfium2

from formgen import generate_pack
from samples.truth import simulate_coding
from softa.db import connect, data_dir, now, register_case, transaction
from softa.layout import Box, CaseLayout, Rect
from softa.manifest import load_manifest
from validate.model import Finding

ROOT = Path(__file__).resolve().parents[1]
#: Debian's chromium, driven by Playwright; never a downloaded browser.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
MANIFEST = ROOT / "samples" / "case_2024-017.toml"
CASE = "2024-017"
#: Office-scanner resolution the fixtures are rendered at.
DPI = 150
SCALE = DPI / 72
#: Pen and pencil grey levels (0 black, 255 white).
PEN = 40
FAINT = 200
PEN_PX = 3
#: Layout pages used: C1 obs. 1 page 1 (ticks, two ratings), session form obs. 1 page 1
#: (ratings, speaking time, a text region), H1 obs. 1 page 1 (scanned twice) and
#: C2 obs. 1 page 1 (handed in without a readable QR code).
PAGE_C1 = 4
PAGE_SESSION = 10
PAGE_H1 = 0
PAGE_UNKNOWN = 6
HANDWRITING = "Sluit aan bij woorden van moeder; gebruikt voorbeelden"


@dataclass
class ReviewBatch:
    db: Path
    layout: CaseLayout
    truth: dict[str, int]
    flagged_ticks: list[str] = field(default_factory=list)
    flagged_timeline: str = ""
    rating_multiple: str = ""
    rating_none: str = ""
    region: str = ""
    unknown_page_id: int = 0
    duplicate_id: int = 0
    kept_page_id: int = 0
    other_page_id: int = 0

    def finding(self) -> Finding:
        """A plausible rating-guideline warning on the C1 Betrokkenheid rating of observer 1."""
        ticks = tuple(b.id for b in self.layout.pages[PAGE_C1].boxes
                      if b.kind == "tick" and b.dimension == "betrokkenheid" and self.truth.get(b.id))[:4]
        ratings = tuple(b.id for b in self.layout.pages[PAGE_C1].boxes
                        if b.kind == "rating" and b.dimension == "betrokkenheid")
        return Finding(case=CASE, participant="C1", slot="1", dimension="betrokkenheid",
                       rule="rating_positive_variety", severity="warning",
                       message="Alleen positieve indicatoren van één soort: de handleiding vraagt voor +2 of +3 "
                               "variatie in soorten positief gedrag.",
                       box_ids=ticks + ratings)


@contextmanager
def chromium_browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright (never a downloaded browser); skips without Playwright."""
    import pytest

    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def render_page(pdf: Path, index: int) -> np.ndarray:
    """One page of a PDF as a grayscale image at DPI."""
    doc = pypdfium2.PdfDocument(str(pdf))
    try:
        image = doc[index].render(scale=SCALE).to_pil().convert("L")
    finally:
        doc.close()
    return np.array(image)


def _px(rect: Rect) -> tuple[int, int, int, int]:
    return tuple(round(v * SCALE) for v in rect)  # type: ignore[return-value]


def draw_cross(image: np.ndarray, rect: Rect, grey: int = PEN, shift_pt: float = 0.0) -> None:
    """A pen cross inside the box (shifted right by ``shift_pt`` to overshoot it)."""
    x0, y0, x1, y1 = _px((rect[0] + shift_pt, rect[1], rect[2] + shift_pt, rect[3]))
    inset = max(2, (x1 - x0) // 6)
    cv2.line(image, (x0 + inset, y0 + inset), (x1 - inset, y1 - inset), grey, PEN_PX)
    cv2.line(image, (x0 + inset, y1 - inset), (x1 - inset, y0 + inset), grey, PEN_PX)


def _save(image: np.ndarray, data: Path, name: str) -> tuple[str, str]:
    path = data / "pages" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), image)
    return f"pages/{name}", hashlib.sha256(path.read_bytes()).hexdigest()


def _insert_page(conn: sqlite3.Connection, source_id: int, number: int, rel: str, sha: str, status: str,
                 case_id: str | None, page_index: int | None, reason: str | None = None) -> int:
    homography = json.dumps([SCALE, 0, 0, 0, SCALE, 0, 0, 0, 1]) if case_id else None
    cur = conn.execute(
        "INSERT INTO scanned_pages(source_id, page_number, image_path, image_sha256, dpi, status, reason, qr, case_id, "
        "page_index, rotation, registration_error_mm, homography_json, quality, scanned_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, 0, 0.1, ?, 0.95, ?)",
        (source_id, number, rel, sha, DPI, status, reason, case_id, page_index, homography, now()))
    return int(cur.lastrowid or 0)


def _store_boxes(conn: sqlite3.Connection, page_id: int, boxes: tuple[Box, ...], values: dict[str, int],
                 flagged: dict[str, tuple[int, str, float]]) -> None:
    for box in boxes:
        checked, reason, confidence = flagged.get(box.id, (values.get(box.id, 0), "", 0.99))
        status = "flagged" if box.id in flagged else "auto"
        decision = "uncertain" if status == "flagged" else ("checked" if checked else "empty")
        conn.execute("INSERT INTO box_reads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (page_id, CASE, box.id, 0.3 if checked else 0.02, "{}", json.dumps(list(box.rect_pt)),
                      decision, confidence, reason or None))
        conn.execute("INSERT INTO box_values(case_id, box_id, page_id, checked, status, reason, confidence) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(case_id, box_id) DO UPDATE SET page_id = excluded.page_id,"
                     " checked = excluded.checked, status = excluded.status, reason = excluded.reason, "
                     "confidence = excluded.confidence",
                     (CASE, box.id, page_id, checked, status, reason or None, confidence))


def build_batch(root: Path, *, role_c1: str | None = None) -> ReviewBatch:
    """Write the batch's database and images under ``root``."""
    manifest = load_manifest(MANIFEST)
    pack = generate_pack(manifest, root / "forms")
    db = root / "softa.sqlite"
    conn = connect(db)
    register_case(conn, manifest, pack.layout)
    data = data_dir(db)
    truth = simulate_coding(manifest, pack.layout, seed=7).boxes
    layout = pack.layout
    batch = ReviewBatch(db=db, layout=layout, truth=truth)
    with transaction(conn):
        source = conn.execute("INSERT INTO source_files(sha256, path, size_bytes, media_type, page_count, status, "
                              "added_at, completed_at) VALUES ('f' , 'scans/stapel_1.pdf', 1, 'application/pdf', 5, "
                              "'complete', ?, ?)", (now(), now())).lastrowid or 0

        # C1 observer 1, page 1: two doubtful ticks and a rating row with two values.
        page = layout.pages[PAGE_C1]
        image = render_page(pack.pack_pdf, PAGE_C1)
        ticks = [b for b in page.boxes if b.kind == "tick"]
        faint = next(b for b in ticks if truth[b.id])
        stray = next(b for b in ticks if not truth[b.id] and b.window == 6)
        rating = [b for b in page.boxes if b.kind == "rating" and b.dimension == "betrokkenheid"]
        truth_value = next(b.value or 0 for b in rating if truth[b.id])
        second = next(b for b in rating if b.value == (truth_value + 1 if truth_value < 3 else truth_value - 1))
        flagged: dict[str, tuple[int, str, float]] = {faint.id: (0, "faint", 0.21), stray.id: (1, "outside", 0.44)}
        for box in page.boxes:
            if truth[box.id] and box.id != faint.id:
                draw_cross(image, box.rect_pt)
        draw_cross(image, faint.rect_pt, FAINT)
        draw_cross(image, stray.rect_pt, shift_pt=(stray.rect_pt[2] - stray.rect_pt[0]) * 0.6)
        draw_cross(image, second.rect_pt)
        for box in rating:
            flagged[box.id] = (int(bool(truth[box.id]) or box.id == second.id), "rating_multiple", 0.5)
        rel, sha = _save(image, data, "p0001.png")
        page_id = _insert_page(conn, source, 1, rel, sha, "identified", CASE, PAGE_C1)
        _store_boxes(conn, page_id, page.boxes, truth, flagged)
        batch.flagged_ticks = [faint.id, stray.id]
        batch.rating_multiple = rating[0].group

        # Session form observer 1, page 1: taalgebruik rating left empty, a doubtful speaking-time bin, a text.
        page = layout.pages[PAGE_SESSION]
        image = render_page(pack.pack_pdf, PAGE_SESSION)
        taal = [b for b in page.boxes if b.kind == "rating" and b.dimension == "taalgebruik"]
        bins = [b for b in page.boxes if b.kind == "timeline" and truth[b.id]]
        doubtful_bin = bins[2]
        flagged = {b.id: (0, "rating_none", 0.5) for b in taal}
        flagged[doubtful_bin.id] = (0, "partial", 0.55)
        for box in page.boxes:
            if truth[box.id] and box.id not in flagged:
                draw_cross(image, box.rect_pt)
        x0, y0, x1, y1 = _px(doubtful_bin.rect_pt)
        cv2.line(image, (x0 + 3, y1 - 3), ((x0 + x1) // 2, (y0 + y1) // 2), PEN, PEN_PX)
        region = page.regions[0]
        rx0, ry0, _rx1, _ry1 = _px(region.rect_pt)
        cv2.putText(image, HANDWRITING, (rx0 + 30, ry0 + 70), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 0.9, PEN, 2,
                    cv2.LINE_AA)
        rel, sha = _save(image, data, "p0002.png")
        page_id = _insert_page(conn, source, 2, rel, sha, "identified", CASE, PAGE_SESSION)
        _store_boxes(conn, page_id, page.boxes, truth, flagged)
        crop_rel = f"regions/{region.id.replace(':', '_')}.png"
        (data / "regions").mkdir(parents=True, exist_ok=True)
        rx0, ry0, rx1, ry1 = _px(region.rect_pt)
        cv2.imwrite(str(data / crop_rel), image[ry0:ry1, rx0:rx1])
        conn.execute("INSERT INTO region_values(case_id, region_id, page_id, image_path, ink_ratio, status) "
                     "VALUES (?, ?, ?, ?, 0.04, 'pending')", (CASE, region.id, page_id, crop_rel))
        batch.flagged_timeline = doubtful_bin.id
        batch.rating_none = taal[0].group
        batch.region = region.id

        # H1 observer 1, page 1, scanned twice with a difference.
        page = layout.pages[PAGE_H1]
        image = render_page(pack.pack_pdf, PAGE_H1)
        for box in page.boxes:
            if truth[box.id]:
                draw_cross(image, box.rect_pt)
        rel, sha = _save(image, data, "p0003.png")
        kept = _insert_page(conn, source, 3, rel, sha, "identified", CASE, PAGE_H1)
        _store_boxes(conn, kept, page.boxes, truth, {})
        extra = next(b for b in page.boxes if b.kind == "tick" and not truth[b.id])
        draw_cross(image, extra.rect_pt)
        rel, sha = _save(image, data, "p0004.png")
        other = _insert_page(conn, source, 4, rel, sha, "duplicate", CASE, PAGE_H1)
        for box in page.boxes:
            conn.execute("INSERT INTO box_reads VALUES (?, ?, ?, 0.1, '{}', '[]', ?, 0.99, NULL)",
                         (other, CASE, box.id, "checked" if truth[box.id] or box.id == extra.id else "empty"))
        batch.duplicate_id = conn.execute(
            "INSERT INTO duplicates(case_id, page_index, kept_page_id, other_page_id, status) VALUES (?, ?, ?, ?, 'open')",
            (CASE, PAGE_H1, kept, other)).lastrowid or 0
        batch.kept_page_id, batch.other_page_id = kept, other

        # C2 observer 1, page 1: QR code unreadable (coffee stain), so nobody knows which page it is.
        image = render_page(pack.pack_pdf, PAGE_UNKNOWN)
        for rect in layout.pages[PAGE_UNKNOWN].qr_rects_pt:  # both codes of a layout-v2 page
            qx0, qy0, qx1, qy1 = _px(rect)
            cv2.ellipse(image, ((qx0 + qx1) // 2, (qy0 + qy1) // 2), ((qx1 - qx0) // 2, (qy1 - qy0) // 3), 20, 0,
                        360, 120, -1)
        rel, sha = _save(image, data, "p0005.png")
        batch.unknown_page_id = _insert_page(conn, source, 5, rel, sha, "unidentified", None, None, "no_qr")
        if role_c1 is not None:
            row = conn.execute("SELECT manifest_json FROM cases WHERE case_id = ?", (CASE,)).fetchone()
            data_json = json.loads(row[0])
            for p in data_json["participants"]:
                if p["code"] == "C1":
                    p["role"] = role_c1
            conn.execute("UPDATE cases SET manifest_json = ? WHERE case_id = ?", (json.dumps(data_json), CASE))
    conn.close()
    return batch


def copy_batch(template: ReviewBatch, root: Path) -> ReviewBatch:
    """A private copy of a built batch (database and data folder) for one test."""
    root.mkdir(parents=True, exist_ok=True)
    db = root / "softa.sqlite"
    source = sqlite3.connect(template.db)
    target = sqlite3.connect(db)
    source.backup(target)
    source.close()
    target.close()
    shutil.copytree(data_dir(template.db), data_dir(db))
    copy = ReviewBatch(**{**template.__dict__, "db": db})
    return copy


# ---------------------------------------------------------------- a real scanned batch


@dataclass
class ScannedBatch:
    """A simulated pile scanned with the real scanner (``softa scan``)."""

    db: Path
    layout: CaseLayout
    truth: dict[str, int]
    texts: dict[str, str]
    #: The layout page a person must assign the QR-less form to.
    unknown_form_index: int
    scan_output: str


#: Pages simulated as an office scanner would read them: C1 obs. 1 p. 1, session form obs. 1 p. 1, H1 consensus p. 1.
SIMULATED_PAGES = (PAGE_C1, PAGE_SESSION, 24)
#: Hand-made extra sheets: C3 obs. 1 p. 1 with two values in a rating row, C2 obs. 1 p. 1 without a readable QR.
PAGE_TWO_VALUES = 8
SIM_DPI = 200
#: Grey of the hesitant pencil strokes (0 black, 255 white).
STROKE_GREY = 150
#: Half length of those strokes in pixels (about 0.8 mm at 200 dpi): a hesitant touch, not a tick.
STROKE_PX = 6


def _filled(pack_pdf: Path, layout: CaseLayout, index: int, truth: object, seed: int) -> np.ndarray:
    from samples.simulate import fill_page, render_page
    from samples.simulate_marks import INKS

    image = render_page(pack_pdf, index, SIM_DPI)
    rng = np.random.default_rng(seed)
    fill_page(image, layout.pages[index], truth, SIM_DPI / 72, rng, ink=INKS[1])  # type: ignore[arg-type]
    return image


def build_scanned_batch(root: Path, seed: int = 5) -> ScannedBatch:
    """Forms, simulated handed-in scans plus three awkward sheets, read by ``softa scan`` into ``root``."""
    from click.testing import CliRunner

    from samples.simulate import simulate_batch
    from samples.simulate_marks import INKS, mark_box
    from softa.cli import main as softa

    manifest = load_manifest(MANIFEST)
    pack = generate_pack(manifest, root / "forms")
    db = root / "softa.sqlite"
    conn = connect(db)
    register_case(conn, manifest, pack.layout)
    conn.close()
    coding = simulate_coding(manifest, pack.layout, seed=seed)
    layout = pack.layout
    scans = root / "scans"
    simulate_batch(pack.pack_pdf, layout, coding, scans, seed=seed, page_indices=SIMULATED_PAGES,
                   blank_pages=1, foreign_pages=1)
    extra = scans / "los"
    extra.mkdir(parents=True)
    # A rating row with a second value ticked by mistake.
    image = _filled(pack.pack_pdf, layout, PAGE_TWO_VALUES, coding, seed)
    row = [b for b in layout.pages[PAGE_TWO_VALUES].boxes if b.kind == "rating"][:7]
    wrong = next(b for b in row if not coding.boxes[b.id])
    mark_box(image, wrong, "cross", INKS[1], SIM_DPI / 72, np.random.default_rng(seed))
    # Light, short pencil strokes in a few empty boxes: neither clearly ticked nor clearly empty.
    empties = [b for b in layout.pages[PAGE_TWO_VALUES].boxes if b.kind == "tick" and not coding.boxes[b.id]]
    for box in empties[5:40:12]:
        x0, y0, x1, y1 = (round(v * SIM_DPI / 72) for v in box.rect_pt)
        cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
        cv2.line(image, (cx - STROKE_PX, cy + STROKE_PX), (cx + STROKE_PX, cy - STROKE_PX), STROKE_GREY, 2, cv2.LINE_AA)
    cv2.imwrite(str(extra / "los_1.png"), image)
    # A form whose QR code was made unreadable.
    image = _filled(pack.pack_pdf, layout, PAGE_UNKNOWN, coding, seed)
    for rect in layout.pages[PAGE_UNKNOWN].qr_rects_pt:  # both codes of a layout-v2 page
        qx0, qy0, qx1, qy1 = (round(v * SIM_DPI / 72) for v in rect)
        cv2.rectangle(image, (qx0 - 4, qy0 - 4), (qx1 + 4, qy1 + 4), 95, -1)
    cv2.imwrite(str(extra / "los_2.png"), image)
    # A second, different scan of a page already in the pile.
    image = _filled(pack.pack_pdf, layout, PAGE_C1, coding, seed + 1)
    cv2.imwrite(str(extra / "los_3.png"), image)
    result = CliRunner().invoke(softa, ["scan", str(scans), "--db", str(db), "--quiet"])
    return ScannedBatch(db=db, layout=layout, truth=dict(coding.boxes), texts=dict(coding.texts),
                        unknown_form_index=PAGE_UNKNOWN, scan_output=result.output)


#: The access token of the servers tests start (the real server makes a fresh one per run).
SERVE_TOKEN = "test-access-token"


def entry_url(base: str, path: str = "/") -> str:
    """The address ``softa review`` would print for ``base``: with the access token."""
    return f"{base}{path}?token={SERVE_TOKEN}"


@contextmanager
def serve(db: Path, **kwargs: Any) -> Iterator[str]:
    """The review app for ``db`` on 127.0.0.1 (any free port) in a thread; yields its base URL.

    Open ``entry_url(base)`` first: every request needs the access token or its session.
    """
    from werkzeug.serving import make_server

    from review.access import PORT_CONFIG
    from review.app import create_app

    app = create_app(db, token=SERVE_TOKEN, **kwargs)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    app.config[PORT_CONFIG] = httpd.server_port
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join()
