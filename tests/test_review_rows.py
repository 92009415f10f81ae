"""Every row snippet comes from the scanned page its part is printed on; rows in two parts show both."""

from __future__ import annotations

import dataclasses
import json

import cv2
import numpy as np
from flask.testing import FlaskClient

from formgen import build_layout
from review.rows import row_parts
from softa.db import data_dir, now, register_case
from softa.manifest import load_manifest
from tests.review_fixtures import CASE, DPI, MANIFEST, PAGE_SESSION, ReviewBatch
from tests.test_review_http import app, batch, client, db, template

__all__ = ["app", "batch", "client", "template"]  # fixtures used by name

LONG_CASE = "2024-018"
#: A session longer than one line of 5-minute windows: tick rows continue on the next page.
LONG_MINUTES = 90


def _add_page(batch: ReviewBatch, case_id: str, page_index: int, grey: int, name: str) -> int:
    """A scanned page of one flat grey (so a snippet tells which page it was cut from)."""
    scale = DPI / 72
    width, height = batch.layout.pages[0].size_pt
    image = np.full((round(height * scale), round(width * scale)), grey, np.uint8)
    path = data_dir(batch.db) / "pages" / name
    cv2.imwrite(str(path), image)
    with db(batch) as conn:
        source = conn.execute("SELECT id FROM source_files LIMIT 1").fetchone()[0]
        number = conn.execute("SELECT MAX(page_number) + 1 FROM scanned_pages").fetchone()[0]
        cur = conn.execute(
            "INSERT INTO scanned_pages(source_id, page_number, image_path, image_sha256, dpi, status, case_id, "
            "page_index, rotation, registration_error_mm, homography_json, quality, scanned_at) "
            "VALUES (?, ?, ?, 'x', ?, 'identified', ?, ?, 0, 0.1, ?, 0.9, ?)",
            (source, number, f"pages/{name}", DPI, case_id, page_index,
             json.dumps([scale, 0, 0, 0, scale, 0, 0, 0, 1]), now()))
        return int(cur.lastrowid or 0)


def _mean_grey(png: bytes) -> float:
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    return float(image.mean())


def test_speaking_time_line_on_the_next_page_is_cut_from_that_page(batch: ReviewBatch, client: FlaskClient) -> None:
    group = next(b.group for b in batch.layout.pages[PAGE_SESSION].boxes if b.kind == "timeline")
    later = [b for p in batch.layout.pages if p.index == PAGE_SESSION + 1 for b in p.boxes if b.group == group]
    assert later, "the 60-minute speaking-time line continues on the next page"
    dark = _add_page(batch, CASE, PAGE_SESSION + 1, 40, "next.png")
    with db(batch) as conn:
        conn.executemany("INSERT INTO box_values(case_id, box_id, page_id, checked, status) VALUES (?, ?, ?, 0, 'auto')",
                         [(CASE, b.id, dark) for b in later])
    on_next = client.get("/beeld/rij", query_string={"case_id": CASE, "group": group, "box": later[0].id})
    first = next(b for b in batch.layout.pages[PAGE_SESSION].boxes if b.group == group)
    on_first = client.get("/beeld/rij", query_string={"case_id": CASE, "group": group, "box": first.id})
    assert on_next.status_code == 200 and on_first.status_code == 200
    # The dark page is the one the later box was read from; the session page is mostly white paper.
    assert _mean_grey(on_next.data) < 100 < _mean_grey(on_first.data)


def test_tick_row_in_two_parts_shows_both_labelled(batch: ReviewBatch, client: FlaskClient) -> None:
    manifest = dataclasses.replace(load_manifest(MANIFEST), case=LONG_CASE, minutes=LONG_MINUTES)
    layout = build_layout(manifest)
    with db(batch) as conn:
        register_case(conn, manifest, layout)
    first_page = layout.pages[0]
    box = next(b for b in first_page.boxes if b.kind == "tick")
    parts_pages = sorted({p.index for p in layout.pages for b in p.boxes if b.group == box.group})
    assert len(parts_pages) == 2
    light = _add_page(batch, LONG_CASE, parts_pages[0], 230, "long1.png")
    dark = _add_page(batch, LONG_CASE, parts_pages[1], 40, "long2.png")
    with db(batch) as conn:
        for page_index, page_id in zip(parts_pages, (light, dark), strict=True):
            page = next(p for p in layout.pages if p.index == page_index)
            conn.executemany("INSERT INTO box_values(case_id, box_id, page_id, checked, status, reason, confidence) "
                             "VALUES (?, ?, ?, 0, ?, ?, ?)",
                             [(LONG_CASE, b.id, page_id, "flagged" if b.id == box.id else "auto",
                               "faint" if b.id == box.id else None, 0.3 if b.id == box.id else 0.99)
                              for b in page.boxes])
        parts = row_parts(conn, LONG_CASE, box.group)
    assert [p.page_id for p in parts] == [light, dark]
    assert parts[0].label.startswith("deel 1 van 2") and parts[1].label.startswith("deel 2 van 2")
    page = client.get("/item", query_string={"key": f"box:{LONG_CASE}:{box.id}"}).text
    assert "deel 1 van 2" in page and "deel 2 van 2" in page
    images = [client.get("/beeld/rij", query_string={"case_id": LONG_CASE, "group": box.group, "box": box.id,
                                                     "part": p.page_index}) for p in parts]
    assert all(i.status_code == 200 for i in images)
    assert _mean_grey(images[0].data) > 150 > _mean_grey(images[1].data)
