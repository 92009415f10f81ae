"""Store scan results: files, pages, raw readings and current values, one page per transaction.

Rules (see the schema comments in softa.db): box_reads are written once per
scanned page and never change; box_values follow the latest identified scan
of a layout page but never overwrite a reviewed value; a second, different
scan of a layout page already stored becomes a 'duplicate' for a person.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from scan.paths import page_image_path, region_image_path, sha256_bytes, write_atomic
from scan.pipeline import BoxRead, PageResult
from scan.structure import save_proposal
from softa.db import now, transaction


@dataclass(frozen=True)
class SourceState:
    """A source file as the database knows it."""

    id: int
    status: str
    stored_pages: frozenset[int]


@dataclass(frozen=True)
class StoredPage:
    """What became of one page: its row id (None when skipped) and final status."""

    page_id: int | None
    status: str
    reason: str | None
    flagged: int
    boxes: int


def begin_source(conn: sqlite3.Connection, path: Path, sha256: str, size: int, media_type: str | None) -> SourceState:
    """Find or add the source_files row of a file (by content) and the pages already stored."""
    with transaction(conn):
        row = conn.execute("SELECT id, status FROM source_files WHERE sha256 = ?", (sha256,)).fetchone()
        if row is None:
            cur = conn.execute(
                "INSERT INTO source_files(sha256, path, size_bytes, media_type, status, added_at) "
                "VALUES (?, ?, ?, ?, 'pending', ?)", (sha256, str(path), size, media_type, now()))
            return SourceState(id=int(cur.lastrowid or 0), status="pending", stored_pages=frozenset())
        pages = frozenset(r[0] for r in conn.execute(
            "SELECT page_number FROM scanned_pages WHERE source_id = ?", (row["id"],)))
        if row["status"] == "failed":
            conn.execute("UPDATE source_files SET status = 'pending', error = NULL, path = ? WHERE id = ?",
                         (str(path), row["id"]))
            return SourceState(id=row["id"], status="pending", stored_pages=pages)
        return SourceState(id=row["id"], status=row["status"], stored_pages=pages)


def set_page_count(conn: sqlite3.Connection, source_id: int, media_type: str, pages: int) -> None:
    with transaction(conn):
        conn.execute("UPDATE source_files SET page_count = ?, media_type = ? WHERE id = ?",
                     (pages, media_type, source_id))


def finish_source(conn: sqlite3.Connection, source_id: int, error: str | None = None) -> None:
    """Mark a file complete, or failed with the error that stopped it."""
    with transaction(conn):
        if error is None:
            conn.execute("UPDATE source_files SET status = 'complete', error = NULL, completed_at = ? WHERE id = ?",
                         (now(), source_id))
        else:
            conn.execute("UPDATE source_files SET status = 'failed', error = ?, completed_at = ? WHERE id = ?",
                         (error, now(), source_id))


def known_image(conn: sqlite3.Connection, image_sha256: str, other_than: int | None = None) -> bool:
    """Whether a page with this exact image is stored already (other than row ``other_than``)."""
    return conn.execute("SELECT 1 FROM scanned_pages WHERE image_sha256 = ? AND id IS NOT ? LIMIT 1",
                        (image_sha256, other_than)).fetchone() is not None


def missing_images(conn: sqlite3.Connection, data: Path, source_id: int) -> dict[int, tuple[str, str]]:
    """Stored pages of a file whose image is gone from the data folder: page number -> (path, sha)."""
    rows = conn.execute("SELECT page_number, image_path, image_sha256 FROM scanned_pages WHERE source_id = ?"
                        " AND image_path IS NOT NULL AND image_sha256 IS NOT NULL", (source_id,)).fetchall()
    return {int(r[0]): (r[1], r[2]) for r in rows if not (data / r[1]).is_file()}


def rereadable_pages(conn: sqlite3.Connection, source_id: int) -> dict[int, int]:
    """Unidentified pages of a file whose case or page became known since: page number -> row id."""
    rows = conn.execute(
        "SELECT page_number, id FROM scanned_pages WHERE source_id = ? AND status = 'unidentified'"
        " AND reason IN ('unknown_case', 'unknown_page') AND qr IN (SELECT qr FROM layout_pages)", (source_id,))
    return {int(r[0]): int(r[1]) for r in rows}


def upsert_values(conn: sqlite3.Connection, case_id: str, page_id: int, reads: list[tuple[str, str, int, float,
                   str | None]]) -> int:
    """Set box_values from readings (box_id, decision, checked, confidence, reason); reviewed rows stay."""
    before = conn.total_changes
    conn.executemany(
        "INSERT INTO box_values(case_id, box_id, page_id, checked, status, reason, confidence) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(case_id, box_id) DO UPDATE SET "
        "page_id = excluded.page_id, checked = excluded.checked, status = excluded.status, "
        "reason = excluded.reason, confidence = excluded.confidence, version = box_values.version + 1 "
        "WHERE box_values.status != 'reviewed'",
        [(case_id, box_id, page_id, checked, "flagged" if decision == "uncertain" else "auto", reason, confidence)
         for box_id, decision, checked, confidence, reason in reads])
    return conn.total_changes - before


def insert_reads(conn: sqlite3.Connection, case_id: str, page_id: int, reads: tuple[BoxRead, ...]) -> None:
    conn.executemany(
        "INSERT INTO box_reads(page_id, case_id, box_id, dark_ratio, measurements_json, image_rect_json, decision,"
        " confidence, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(page_id, case_id, r.box_id, r.dark_ratio, r.measurements_json, r.rect_json,
          r.decision, r.confidence, r.reason) for r in reads])


def store_page(conn: sqlite3.Connection, data: Path, source_id: int, source_sha: str,
               result: PageResult, *, replace_id: int | None = None) -> StoredPage:
    """Store one read page (image, page row, readings, values, regions) in one transaction.

    ``replace_id``: the unidentified row of this page, read again now that its
    case is known; it is updated in place (same id) instead of added.
    """
    # Images are named by content and never deleted here: the file a worker wrote for an image that is
    # stored already is that stored image's own file (rewritten with the same bytes, which repairs it).
    if result.image_sha256 and known_image(conn, result.image_sha256, replace_id):
        return StoredPage(page_id=None, status="same_image", reason="same image already stored", flagged=0, boxes=0)
    image_path = result.image_path
    if result.image is not None:
        image_path = page_image_path(result.image_sha256 or sha256_bytes(result.image), result.image_ext)
        write_atomic(data / image_path, result.image)
    if result.status == "identified" and result.image_sha256:
        for crop in result.regions:
            if crop.png:
                write_atomic(data / region_image_path(result.image_sha256, crop.region_id), crop.png)
    flagged = sum(1 for r in result.reads if r.decision == "uncertain")
    with transaction(conn):
        if result.image_sha256 and known_image(conn, result.image_sha256, replace_id):
            return StoredPage(page_id=None, status="same_image", reason="same image already stored",
                              flagged=0, boxes=0)
        if replace_id is not None:
            row = conn.execute("SELECT status FROM scanned_pages WHERE id = ?", (replace_id,)).fetchone()
            if row is None or row[0] != "unidentified":  # a person dealt with it meanwhile
                return StoredPage(page_id=replace_id, status=row[0] if row else "gone", reason=None, flagged=0,
                                  boxes=0)
        status = result.status
        kept: int | None = None
        if status == "identified":
            row = conn.execute(
                "SELECT id FROM scanned_pages WHERE case_id = ? AND page_index = ? AND status IN ('identified',"
                " 'assigned') ORDER BY id LIMIT 1", (result.case_id, result.page_index)).fetchone()
            if row is not None:
                status, kept = "duplicate", int(row[0])
        values = (image_path, result.image_sha256, result.dpi, status, result.reason, result.qr, result.case_id,
                  result.page_index, result.rotation, result.registration_error_mm,
                  json.dumps(list(result.homography)) if result.homography else None, result.quality, result.error,
                  now())
        if replace_id is None:
            cur = conn.execute(
                "INSERT INTO scanned_pages(image_path, image_sha256, dpi, status, reason, qr, case_id, page_index,"
                " rotation, registration_error_mm, homography_json, quality, note, scanned_at, source_id,"
                " page_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, source_id, result.page_number))
            page_id = int(cur.lastrowid or 0)
        else:
            conn.execute(
                "UPDATE scanned_pages SET image_path = ?, image_sha256 = ?, dpi = ?, status = ?, reason = ?, qr = ?,"
                " case_id = ?, page_index = ?, rotation = ?, registration_error_mm = ?, homography_json = ?,"
                " quality = ?, note = ?, scanned_at = ?, version = version + 1 WHERE id = ?", (*values, replace_id))
            page_id = replace_id
        if result.proposal_json is not None or replace_id is not None:  # scan.structure: identity proposed
            save_proposal(conn, page_id, result.proposal_json)
        if result.status != "identified":
            return StoredPage(page_id=page_id, status=status, reason=result.reason, flagged=0, boxes=0)
        assert result.case_id is not None
        insert_reads(conn, result.case_id, page_id, result.reads)
        if kept is not None:
            conn.execute("INSERT INTO duplicates(case_id, page_index, kept_page_id, other_page_id, status)"
                         " VALUES (?, ?, ?, ?, 'open')", (result.case_id, result.page_index, kept, page_id))
            return StoredPage(page_id=page_id, status=status, reason="duplicate", flagged=flagged,
                              boxes=len(result.reads))
        upsert_values(conn, result.case_id, page_id,
                       [(r.box_id, r.decision, int(r.checked), r.confidence, r.reason) for r in result.reads])
        store_regions(conn, result, page_id)
    return StoredPage(page_id=page_id, status=status, reason=result.reason, flagged=flagged, boxes=len(result.reads))


def store_regions(conn: sqlite3.Connection, result: PageResult, page_id: int) -> None:
    assert result.image_sha256 is not None
    conn.executemany(
        "INSERT INTO region_values(case_id, region_id, page_id, image_path, ink_ratio, status) "
        "VALUES (?, ?, ?, ?, ?, 'pending') ON CONFLICT(case_id, region_id) DO UPDATE SET "
        "page_id = excluded.page_id, image_path = excluded.image_path, ink_ratio = excluded.ink_ratio, "
        "version = region_values.version + 1 WHERE region_values.status = 'pending'",
        [(result.case_id, c.region_id, page_id, region_image_path(result.image_sha256, c.region_id), c.ink_ratio)
         for c in result.regions])


def apply_page_reads(conn: sqlite3.Connection, page_id: int) -> int:
    """Set box_values from one scanned page's box_reads, leaving reviewed values alone.

    Used when a person picks the other scan of a duplicate. Returns the number
    of box values changed. Also points pending free-text regions at this
    page's crops. Runs in one transaction (joins the caller's when open).
    """
    with transaction(conn):
        page = conn.execute("SELECT case_id, image_sha256 FROM scanned_pages WHERE id = ?", (page_id,)).fetchone()
        if page is None or page["case_id"] is None:
            return 0
        rows = conn.execute("SELECT box_id, decision, measurements_json, confidence, reason FROM box_reads"
                            " WHERE page_id = ?", (page_id,)).fetchall()
        reads = []
        for r in rows:
            guess = json.loads(r["measurements_json"]).get("guess")
            checked = r["decision"] == "checked" if guess is None else bool(guess)
            reads.append((r["box_id"], r["decision"], int(checked), r["confidence"], r["reason"]))
        changed = upsert_values(conn, page["case_id"], page_id, reads)
        if page["image_sha256"]:
            regions = conn.execute("SELECT lr.region_id FROM layout_regions lr JOIN scanned_pages sp"
                                   " ON sp.case_id = lr.case_id AND sp.page_index = lr.page_index WHERE sp.id = ?",
                                   (page_id,)).fetchall()
            conn.executemany(
                "UPDATE region_values SET page_id = ?, image_path = ?, version = version + 1"
                " WHERE case_id = ? AND region_id = ? AND status = 'pending'",
                [(page_id, region_image_path(page["image_sha256"], r[0]), page["case_id"], r[0]) for r in regions])
    return changed
