"""The machine-readable JSON record (issue 3, item 8): shape and values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from export.machine_json import machine_json
from formgen import build_layout
from softa.cli import main
from softa.db import connect, now, register_case
from softa.manifest import load_manifest

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "case_2024-017.toml"


@pytest.fixture()
def scanned_db(tmp_path: Path):
    """A database with one identified page (three boxes read) and one unidentified page."""
    db = tmp_path / "softa.sqlite"
    conn = connect(db)
    manifest = load_manifest(SAMPLE)
    layout = build_layout(manifest)
    register_case(conn, manifest, layout)
    page = layout.pages[0]
    stamp = now()
    conn.execute("INSERT INTO source_files(id, sha256, path, size_bytes, media_type, page_count, status, added_at)"
                 " VALUES (1, 'abc', 'scans/batch1.pdf', 1000, 'application/pdf', 2, 'complete', ?)", (stamp,))
    conn.execute("INSERT INTO scanned_pages(id, source_id, page_number, status, qr, case_id, page_index, scanned_at)"
                 " VALUES (10, 1, 1, 'identified', ?, ?, ?, ?)", (page.qr, manifest.case, page.index, stamp))
    conn.execute("INSERT INTO scanned_pages(id, source_id, page_number, status, reason, scanned_at)"
                 " VALUES (11, 1, 2, 'unidentified', 'blank page', ?)", (stamp,))
    boxes = page.boxes[:3]
    decisions = [("checked", 0.41, 1, "auto"), ("empty", 0.01, 0, "auto"), ("uncertain", 0.12, 1, "flagged")]
    for box, (decision, ratio, checked, status) in zip(boxes, decisions, strict=True):
        conn.execute("INSERT INTO box_reads VALUES (10, ?, ?, ?, ?, '[0,0,1,1]', ?, 0.9, NULL)",
                     (manifest.case, box.id, ratio, json.dumps({"dark_ratio": ratio, "ink": ratio * 2}), decision))
        conn.execute("INSERT INTO box_values(case_id, box_id, page_id, checked, status) VALUES (?, ?, 10, ?, ?)",
                     (manifest.case, box.id, checked, status))
    # A value set by hand without a reading: measurement fields are null.
    extra = page.boxes[3]
    conn.execute("INSERT INTO box_values(case_id, box_id, page_id, checked, status, reviewer) "
                 "VALUES (?, ?, NULL, 1, 'reviewed', 'tester')", (manifest.case, extra.id))
    return db, conn, [b.id for b in boxes], extra.id, manifest.case


def test_machine_json_boxes_and_pages(scanned_db) -> None:
    _db, conn, box_ids, extra_id, case = scanned_db
    data = machine_json(conn)
    by_id = {b["id"]: b for b in data["boxes"]}
    assert set(by_id) == {*box_ids, extra_id}
    first, second, third = (by_id[i] for i in box_ids)
    assert first["case"] == case
    assert (first["checked"], first["flagged"], first["status"]) == (True, False, "auto")
    assert (second["checked"], second["flagged"]) == (False, False)
    assert (third["checked"], third["flagged"], third["status"]) == (True, True, "flagged")
    assert first["dark_ratio"] == pytest.approx(0.41)
    assert first["measurements"] == {"dark_ratio": 0.41, "ink": 0.82}
    manual = by_id[extra_id]
    assert manual["status"] == "reviewed" and manual["dark_ratio"] is None and manual["measurements"] is None
    pages = {p["page_number"]: p for p in data["pages"]}
    assert pages[1]["identified"] is True and pages[1]["qr"].startswith("SOFTA2|")
    assert pages[1]["reason"] is None and pages[1]["source"] == "scans/batch1.pdf"
    assert pages[2]["identified"] is False and pages[2]["qr"] is None and pages[2]["reason"] == "blank page"
    assert data["files"][0]["status"] == "complete"


def test_cli_writes_json_file(scanned_db, tmp_path: Path) -> None:
    db, _conn, box_ids, _extra, _case = scanned_db
    out = tmp_path / "out" / "record.json"
    result = CliRunner().invoke(main, ["export", "--format", "json", "--out", str(out), "--db", str(db)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {"boxes", "pages"} <= set(data)
    assert {b["id"] for b in data["boxes"]} >= set(box_ids)
    keys = {"case", "id", "checked", "flagged", "status", "dark_ratio", "measurements"}
    assert all(keys <= set(b) for b in data["boxes"])
    assert all({"source", "page_number", "identified", "qr", "reason"} <= set(p) for p in data["pages"])


def test_cli_json_needs_out(scanned_db) -> None:
    db = scanned_db[0]
    result = CliRunner().invoke(main, ["export", "--format", "json", "--db", str(db)])
    assert result.exit_code != 0
    assert "--out" in result.output


def test_cli_export_without_target_says_what_to_give(scanned_db) -> None:
    db = scanned_db[0]
    result = CliRunner().invoke(main, ["export", "--db", str(db)])
    assert result.exit_code == 2
    assert "--case" in result.output and "--dataset" in result.output


def test_the_streamed_file_equals_the_record(scanned_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Written one box at a time (memory flat in data size), the file is byte for byte the whole record."""
    from export.machine_json import write_machine_json

    _db, conn, _ids, _extra, _case = scanned_db
    out = tmp_path / "record.json"
    counts = write_machine_json(conn, out)
    expected = json.dumps(machine_json(conn), ensure_ascii=False, indent=1) + "\n"
    assert out.read_text(encoding="utf-8") == expected
    assert counts["boxes"] == len(machine_json(conn)["boxes"]) and counts["pages"] == 2
    bare = connect(tmp_path / "empty.sqlite")
    write_machine_json(bare, tmp_path / "empty.json")
    assert (tmp_path / "empty.json").read_text(encoding="utf-8") == json.dumps(
        machine_json(bare), ensure_ascii=False, indent=1) + "\n"
    bare.close()
