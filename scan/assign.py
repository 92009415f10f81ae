"""A person says which layout page an unidentified page is: read it with that layout."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np

from scan.identify import find_qr, qr_symbol_pt
from scan.inputs import decode_stored
from scan.omr.register import Registration, register_blind, register_page
from scan.pipeline import PageResult, read_layout_page
from scan.store import insert_reads, region_image_path, store_regions, upsert_values, write_atomic
from softa.db import audit, load_case_layout, transaction
from softa.errors import ConflictError, InputFileError, LayoutError
from softa.i18n import _
from softa.layout import PageLayout

ASSIGNABLE = ("unidentified",)


def _register(gray: np.ndarray, layout_page: PageLayout) -> Registration | None:
    qr = find_qr(gray)
    if qr is not None and qr.text == layout_page.qr:
        return register_page(gray, layout_page, qr_symbol_pt(gray, qr, layout_page), qr.corners_px)
    return register_blind(gray, layout_page)


def read_assigned_page(conn: sqlite3.Connection, data_dir: Path, page_id: int, case_id: str, page_index: int,
                       reviewer: str) -> None:
    """Register and read a stored unidentified page as layout page ``page_index`` of ``case_id``.

    Stores its readings and values (reviewed values stay; when the layout page
    already has a scan, a duplicate is opened instead), sets the page's status
    to 'assigned' and records the decision in the audit log. Raises
    ConflictError when the page is not (or no longer) unidentified.
    """
    row = conn.execute("SELECT * FROM scanned_pages WHERE id = ?", (page_id,)).fetchone()
    if row is None or row["status"] not in ASSIGNABLE:
        raise ConflictError((_("page {page} is unknown, not unidentified") if row is None
                             else _("page {page} is {status}, not unidentified")).format(
                                 page=page_id, status=None if row is None else row["status"]),
                            hint=_("reload the list of unidentified pages"))
    layout = load_case_layout(conn, case_id)
    page = next((p for p in layout.pages if p.index == page_index), None)
    if page is None:
        raise LayoutError(_("case {case} has no page {page}").format(case=case_id, page=page_index),
                          hint=_("choose a page of the case's layout"))
    if not row["image_path"]:
        raise InputFileError(_("page {page} has no stored image to read").format(page=page_id),
                             hint=_("scan the sheet again"))
    image_file = data_dir / row["image_path"]
    try:
        gray = decode_stored(image_file.read_bytes())
    except (OSError, ValueError) as exc:
        raise InputFileError(_("{path}: cannot read the stored page image ({error})").format(path=image_file, error=exc),
                             hint=_("scan the sheet again")) from exc
    registration = _register(gray, page)
    if registration is None:
        raise LayoutError(_("page {page}: the four registration marks cannot be found").format(page=page_id),
                          hint=_("scan the sheet again, flat and whole, or set the page aside"))
    reads, regions, quality = read_layout_page(gray, page, registration)
    image_sha = row["image_sha256"]
    for crop in regions:
        write_atomic(data_dir / region_image_path(image_sha, crop.region_id), crop.png)
    result = PageResult(page_number=row["page_number"], status="identified", case_id=case_id, page_index=page_index,
                        image_sha256=image_sha, regions=regions, reads=reads)
    with transaction(conn):
        current = conn.execute("SELECT status, version FROM scanned_pages WHERE id = ?", (page_id,)).fetchone()
        if current["status"] not in ASSIGNABLE or current["version"] != row["version"]:
            raise ConflictError(_("page {page} changed while it was being read").format(page=page_id),
                                hint=_("reload the list of unidentified pages"))
        kept = conn.execute(
            "SELECT id FROM scanned_pages WHERE case_id = ? AND page_index = ? AND status IN ('identified', 'assigned')"
            " AND id != ? ORDER BY id LIMIT 1", (case_id, page_index, page_id)).fetchone()
        conn.execute(
            "UPDATE scanned_pages SET status = 'assigned', case_id = ?, page_index = ?, rotation = ?,"
            " registration_error_mm = ?, homography_json = ?, quality = ?, version = version + 1 WHERE id = ?",
            (case_id, page_index, registration.rotation, registration.error_mm,
             json.dumps([float(v) for v in registration.homography.reshape(-1)]), quality, page_id))
        conn.execute("DELETE FROM box_reads WHERE page_id = ?", (page_id,))
        insert_reads(conn, case_id, page_id, reads)
        if kept is not None:
            conn.execute("INSERT INTO duplicates(case_id, page_index, kept_page_id, other_page_id, status)"
                         " VALUES (?, ?, ?, ?, 'open')", (case_id, page_index, kept[0], page_id))
        else:
            upsert_values(conn, case_id, page_id,
                           [(r.box_id, r.decision, int(r.checked), r.confidence, r.reason) for r in reads])
            store_regions(conn, result, page_id)
        audit(conn, actor=reviewer, action="assign_page", case_id=case_id, target=f"page:{page_id}",
              old={"status": row["status"], "reason": row["reason"]},
              new={"case_id": case_id, "page_index": page_index, "qr": page.qr},
              note=None if registration.ok else "registration uncertain: all boxes flagged")
