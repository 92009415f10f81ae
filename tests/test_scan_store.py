"""Storage: identified and unidentified pages, rescans, duplicates, reviewed values, assignment."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from scan.assign import read_assigned_page
from scan.batch import run_scan
from scan.store import apply_page_reads
from softa.db import connect, data_dir, register_case
from softa.errors import ConflictError, ScanIncomplete
from softa.imaging import crop_upright, homography_from_json, load_image
from softa.manifest import load_manifest
from tests.omr_fixtures import (
    MANIFEST,
    blank_sheet,
    erase_qr,
    foreign_sheet,
    marked_page,
    qr_sheet,
    rotate,
    sample_pack,
    write_pdf,
)

TICK_PAGE, SECOND_PAGE, REGION_PAGE = 4, 5, 10


@pytest.fixture(scope="module")
def pack(tmp_path_factory):  # type: ignore[no-untyped-def]
    return sample_pack(str(tmp_path_factory.mktemp("pack")))


@pytest.fixture(scope="module")
def pages(pack):  # type: ignore[no-untyped-def]
    return {i: marked_page(pack, i, seed=i) for i in (TICK_PAGE, SECOND_PAGE, REGION_PAGE)}


@pytest.fixture()
def db(tmp_path: Path, pack) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / "softa.sqlite"
    conn = connect(path)
    register_case(conn, load_manifest(MANIFEST), pack.layout)
    conn.close()
    return path


def _dump(db: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(db)
    tables = ("source_files", "scanned_pages", "box_reads", "box_values", "region_values", "duplicates", "audit_log")
    out = {t: sorted(map(tuple, conn.execute(f"SELECT * FROM {t}").fetchall()), key=repr) for t in tables}
    conn.close()
    return out


def _values(db: Path) -> dict[str, tuple[int, str]]:
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT box_id, checked, status FROM box_values").fetchall()
    conn.close()
    return {r[0]: (r[1], r[2]) for r in rows}


def test_batch_identifies_reads_and_accounts_for_every_page(tmp_path: Path, db: Path, pack, pages) -> None:  # type: ignore[no-untyped-def]
    tick, truth = pages[TICK_PAGE]
    second, truth2 = pages[SECOND_PAGE]
    region_page, _ = pages[REGION_PAGE]
    pdf = write_pdf(tmp_path / "stapel.pdf", [
        tick, rotate(second, 180), blank_sheet(), foreign_sheet(), qr_sheet("SOFTA1|2099-001|C|C1|1|1/2"),
        region_page])
    summary = run_scan(db, [pdf], progress=False)
    with pytest.raises(ScanIncomplete):
        summary.check()
    conn = connect(db)
    rows = {r["page_number"]: r for r in conn.execute("SELECT * FROM scanned_pages")}
    assert len(rows) == 6
    assert [rows[n]["status"] for n in range(1, 7)] == ["identified", "identified", "unidentified", "unidentified",
                                                        "unidentified", "identified"]
    assert (rows[3]["reason"], rows[4]["reason"], rows[5]["reason"]) == ("blank", "no_qr", "unknown_case")
    assert rows[5]["case_id"] == "2099-001"
    assert rows[2]["rotation"] == 180
    files = data_dir(db)
    for row in rows.values():  # every page keeps its image, unidentified ones too
        assert (files / row["image_path"]).is_file()
    values = _values(db)
    for box_id, expected in {**truth, **truth2}.items():
        checked, status = values[box_id]
        assert status == "flagged" or checked == expected, box_id
    reads = conn.execute("SELECT COUNT(*) FROM box_reads WHERE page_id = ?", (rows[1]["id"],)).fetchone()[0]
    assert reads == len(pack.layout.pages[TICK_PAGE].boxes)
    regions = conn.execute("SELECT * FROM region_values").fetchall()
    assert {r["region_id"] for r in regions} == {r.id for r in pack.layout.pages[REGION_PAGE].regions}
    assert all(r["status"] == "pending" and (files / r["image_path"]).is_file() for r in regions)
    source = conn.execute("SELECT * FROM source_files").fetchone()
    assert (source["status"], source["page_count"]) == ("complete", 6)
    # The stored homography cuts the right box out of the stored image (what review shows).
    page = pack.layout.pages[TICK_PAGE]
    ticked = next(b for b in page.boxes if truth[b.id] == 1)
    empty = next(b for b in page.boxes if truth[b.id] == 0)
    image = load_image(files / rows[2]["image_path"])
    h = homography_from_json(json.loads(rows[2]["homography_json"]))
    second_box = next(b for b in pack.layout.pages[SECOND_PAGE].boxes if truth2[b.id] == 1)
    assert crop_upright(image, h, second_box.rect_pt, margin_pt=-2).mean() < 200
    image1 = load_image(files / rows[1]["image_path"])
    h1 = homography_from_json(json.loads(rows[1]["homography_json"]))
    assert crop_upright(image1, h1, ticked.rect_pt, margin_pt=-2).mean() < 200
    assert crop_upright(image1, h1, empty.rect_pt, margin_pt=-2).mean() > 235
    conn.close()
    # Scanning the same file again changes nothing and still reports the pages that wait for a person.
    before = _dump(db)
    again = run_scan(db, [pdf], progress=False)
    assert _dump(db) == before
    with pytest.raises(ScanIncomplete):
        again.check()


def test_rescanning_the_same_file_changes_nothing(tmp_path: Path, db: Path, pages) -> None:  # type: ignore[no-untyped-def]
    pdf = write_pdf(tmp_path / "a.pdf", [pages[TICK_PAGE][0], pages[SECOND_PAGE][0]])
    run_scan(db, [pdf], progress=False).check()
    before = _dump(db)
    summary = run_scan(db, [pdf, tmp_path], progress=False)  # again, and via its folder
    summary.check()
    assert _dump(db) == before
    assert all(f.skipped for f in summary.files)


def test_same_image_inside_another_file_changes_nothing(tmp_path: Path, db: Path, pages) -> None:  # type: ignore[no-untyped-def]
    run_scan(db, [write_pdf(tmp_path / "a.pdf", [pages[TICK_PAGE][0], pages[SECOND_PAGE][0]])], progress=False)
    before = _dump(db)
    summary = run_scan(db, [write_pdf(tmp_path / "b.pdf", [pages[SECOND_PAGE][0]])], progress=False)
    after = _dump(db)
    assert summary.files[0].statuses["same_image"] == 1
    for table in ("scanned_pages", "box_reads", "box_values", "duplicates"):
        assert after[table] == before[table]


def test_second_scan_is_a_duplicate_and_reviewed_values_survive(tmp_path: Path, db: Path, pack, pages) -> None:  # type: ignore[no-untyped-def]
    image, truth = pages[TICK_PAGE]
    run_scan(db, [write_pdf(tmp_path / "first.pdf", [image])], progress=False)
    conn = connect(db)
    reviewed_box = next(b.id for b in pack.layout.pages[TICK_PAGE].boxes if truth[b.id] == 1)
    conn.execute("UPDATE box_values SET checked = 0, status = 'reviewed', reviewer = 'tester' WHERE box_id = ?",
                 (reviewed_box,))
    values_before = _values(db)
    # A different scan of the same sheet: turned, another JPEG quality.
    summary = run_scan(db, [write_pdf(tmp_path / "second.pdf", [rotate(image, 180)], quality=80)], progress=False)
    summary.check()  # a duplicate is identified: not an error
    assert summary.files[0].statuses["duplicate"] == 1
    assert _values(db) == values_before
    dup = conn.execute("SELECT * FROM duplicates").fetchone()
    assert dup["status"] == "open"
    other = conn.execute("SELECT * FROM scanned_pages WHERE id = ?", (dup["other_page_id"],)).fetchone()
    assert other["status"] == "duplicate" and other["rotation"] == 180
    assert conn.execute("SELECT COUNT(*) FROM box_reads WHERE page_id = ?", (other["id"],)).fetchone()[0] > 0
    # A person picks the other scan: its readings become the values, the reviewed one stays.
    conn.execute("UPDATE box_values SET checked = 1 - checked WHERE status != 'reviewed'")  # make a change visible
    changed = apply_page_reads(conn, other["id"])
    assert changed == len(pack.layout.pages[TICK_PAGE].boxes) - 1
    after = _values(db)
    assert after[reviewed_box] == (0, "reviewed")
    assert all(after[b] == values_before[b] for b in after if b != reviewed_box)
    assert {r[0] for r in conn.execute("SELECT page_id FROM box_values WHERE status != 'reviewed'")} == {other["id"]}
    conn.close()


def test_person_assigns_an_unidentified_page(tmp_path: Path, db: Path, pack, pages) -> None:  # type: ignore[no-untyped-def]
    image, truth = pages[TICK_PAGE]
    no_qr = rotate(erase_qr(image, pack, TICK_PAGE), 90)
    summary = run_scan(db, [write_pdf(tmp_path / "noqr.pdf", [no_qr])], progress=False)
    assert summary.unidentified == 1
    conn = connect(db)
    page = conn.execute("SELECT * FROM scanned_pages").fetchone()
    assert (page["status"], page["reason"]) == ("unidentified", "no_qr")
    read_assigned_page(conn, data_dir(db), page["id"], pack.layout.case, TICK_PAGE, "tester")
    page = conn.execute("SELECT * FROM scanned_pages").fetchone()
    assert (page["status"], page["case_id"], page["page_index"], page["rotation"]) == (
        "assigned", pack.layout.case, TICK_PAGE, 270)
    values = _values(db)
    for box_id, expected in truth.items():
        assert values[box_id] == (expected, "auto") or values[box_id][1] == "flagged"
    audit = conn.execute("SELECT * FROM audit_log").fetchone()
    assert (audit["actor"], audit["action"], audit["target"]) == ("tester", "assign_page", f"page:{page['id']}")
    with pytest.raises(ConflictError):
        read_assigned_page(conn, data_dir(db), page["id"], pack.layout.case, TICK_PAGE, "tester")
    conn.close()


def test_layout_file_makes_an_unknown_case_known(tmp_path: Path, pack, pages) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "other.sqlite"
    pdf = write_pdf(tmp_path / "a.pdf", [pages[TICK_PAGE][0]])
    first = run_scan(db, [pdf], progress=False)
    assert first.unidentified == 1
    conn = connect(db)
    before = conn.execute("SELECT id, status, reason FROM scanned_pages").fetchone()
    assert before["reason"] == "unknown_case"
    # The same file again, now with the case's layout: its page is read in place (same row).
    notes: list[str] = []
    again = run_scan(db, [pdf], layout_files=[pack.layout_json], progress=False, notes=notes)
    again.check()
    assert "registered" in notes[0] and again.files[0].reread == 1
    after = conn.execute("SELECT id, status, reason, version FROM scanned_pages").fetchall()
    assert [(r["id"], r["status"], r["reason"]) for r in after] == [(before["id"], "identified", None)]
    assert np.mean([v[1] == "auto" for v in _values(db).values()]) > 0.9
    assert conn.execute("SELECT COUNT(*) FROM box_values").fetchone()[0] == len(pack.layout.pages[TICK_PAGE].boxes)
    conn.close()


def test_assigning_a_page_leaves_reviewed_values_alone(tmp_path: Path, db: Path, pack, pages) -> None:  # type: ignore[no-untyped-def]
    image, truth = pages[TICK_PAGE]
    run_scan(db, [write_pdf(tmp_path / "noqr.pdf", [erase_qr(image, pack, TICK_PAGE)])], progress=False)
    conn = connect(db)
    ticked = next(b for b, v in truth.items() if v == 1)
    # A person already decided this box (e.g. from the other observer's discussion) before the page was assigned.
    conn.execute("INSERT INTO box_values(case_id, box_id, checked, status, reviewer) VALUES (?, ?, 0, 'reviewed', 'a')",
                 (pack.layout.case, ticked))
    conn.commit()
    page = conn.execute("SELECT * FROM scanned_pages").fetchone()
    read_assigned_page(conn, data_dir(db), page["id"], pack.layout.case, TICK_PAGE, "tester")
    values = _values(db)
    assert values[ticked] == (0, "reviewed")
    others = [b for b in truth if b != ticked]
    assert all(values[b][0] == truth[b] or values[b][1] == "flagged" for b in others)
    assert conn.execute("SELECT COUNT(*) FROM box_reads WHERE page_id = ?", (page["id"],)).fetchone()[0] == len(truth)
    conn.close()
