"""Scanning under faults: concurrent runs, lost images, leftovers of interrupted writes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from scan.batch import run_scan
from scan.paths import clean_leftovers, tmp_name
from softa.db import connect, data_dir, register_case
from softa.manifest import load_manifest
from tests.omr_fixtures import MANIFEST, ROOT, marked_page, sample_pack, scanned_pack, write_pdf

#: The batch takes a few seconds; anything slower than this is a hang.
TIMEOUT_S = 300


@pytest.fixture(scope="module")
def pack(tmp_path_factory):  # type: ignore[no-untyped-def]
    return sample_pack(str(tmp_path_factory.mktemp("pack")))


def _db(tmp_path: Path, pack) -> Path:  # type: ignore[no-untyped-def]
    db = tmp_path / "softa.sqlite"
    conn = connect(db)
    register_case(conn, load_manifest(MANIFEST), pack.layout)
    conn.close()
    return db


def _images(db: Path) -> list[tuple[int, str]]:
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT page_number, image_path FROM scanned_pages ORDER BY page_number").fetchall()
    conn.close()
    return [(int(r[0]), str(r[1])) for r in rows]


def _scan_args(pdf: Path, db: Path) -> list[str]:
    return [sys.executable, "-c", "from softa.cli import main; main()", "scan", str(pdf), "--db", str(db), "--quiet"]


@pytest.mark.slow
def test_two_scans_of_one_file_at_once_keep_every_image(tmp_path: Path, pack) -> None:  # type: ignore[no-untyped-def]
    db = _db(tmp_path, pack)
    pdf = scanned_pack(pack, tmp_path / "scan.pdf")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen(_scan_args(pdf, db), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
             for _ in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=TIMEOUT_S)
        assert proc.returncode == 0, err.decode()
    images = _images(db)
    assert [n for n, _ in images] == list(range(1, len(pack.layout.pages) + 1))
    files = data_dir(db)
    missing = [n for n, path in images if not (files / path).is_file()]
    assert missing == []
    assert not list(files.rglob("*.tmp"))


def test_a_rescan_writes_a_missing_page_image_again(tmp_path: Path, pack) -> None:  # type: ignore[no-untyped-def]
    db = _db(tmp_path, pack)
    pdf = write_pdf(tmp_path / "a.pdf", [marked_page(pack, i, seed=i)[0] for i in (4, 5)])
    run_scan(db, [pdf], progress=False).check()
    files = data_dir(db)
    (_, first), (_, second) = _images(db)
    original = (files / first).read_bytes()
    (files / first).unlink()
    summary = run_scan(db, [pdf], progress=False)
    summary.check()
    assert summary.files[0].repaired == 1
    assert (files / first).read_bytes() == original
    assert (files / second).is_file()


def test_page_images_are_named_by_their_content(tmp_path: Path, pack) -> None:  # type: ignore[no-untyped-def]
    db = _db(tmp_path, pack)
    pdf = write_pdf(tmp_path / "a.pdf", [marked_page(pack, 4, seed=4)[0]])
    run_scan(db, [pdf], progress=False).check()
    conn = sqlite3.connect(db)
    path, sha = conn.execute("SELECT image_path, image_sha256 FROM scanned_pages").fetchone()
    conn.close()
    assert path == f"pages/{sha[:2]}/{sha}.jpg"
    # The same image inside another file is not stored twice, and its file stays.
    other = write_pdf(tmp_path / "b.pdf", [marked_page(pack, 4, seed=4)[0]])
    summary = run_scan(db, [other], progress=False)
    assert summary.files[0].statuses["same_image"] == 1
    assert (data_dir(db) / path).is_file()


def test_leftover_temporary_files_are_removed_next_run(tmp_path: Path) -> None:
    data = tmp_path / "softa_files"
    target = data / "pages" / "ab" / "abc.jpg"
    target.parent.mkdir(parents=True)
    dead = target.with_name(f".{target.name}.999999999.tmp")  # no such process
    dead.write_bytes(b"half a jpeg")
    mine = tmp_name(target)  # a write of this (living) process in progress
    mine.write_bytes(b"being written")
    assert clean_leftovers(data) == 1
    assert not dead.exists() and mine.exists()


def _interrupt_after_first_page(db: Path) -> None:
    """Leave the database as a run killed after storing page 1 leaves it: file pending, later pages absent."""
    conn = sqlite3.connect(db)
    with conn:
        later = [r[0] for r in conn.execute("SELECT id FROM scanned_pages WHERE page_number > 1")]
        for table, column in (("box_values", "page_id"), ("region_values", "page_id"), ("box_reads", "page_id"),
                              ("scanned_pages", "id")):
            conn.executemany(f"DELETE FROM {table} WHERE {column} = ?", [(i,) for i in later])
        conn.execute("UPDATE source_files SET status = 'pending', completed_at = NULL")
    conn.close()


def test_a_resumed_scan_counts_the_pages_an_earlier_run_left_waiting(tmp_path: Path, pack) -> None:  # type: ignore[no-untyped-def]
    from tests.omr_fixtures import blank_sheet

    db = _db(tmp_path, pack)
    pdf = write_pdf(tmp_path / "a.pdf", [blank_sheet(), marked_page(pack, 4, seed=4)[0]])
    run_scan(db, [pdf], progress=False)
    _interrupt_after_first_page(db)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    resumed = subprocess.run(_scan_args(pdf, db), cwd=ROOT, capture_output=True, env=env, timeout=TIMEOUT_S,
                             check=False)
    out = resumed.stdout.decode()
    assert "resumed: 1 page(s)" in out
    assert "1 unidentified (1 of them stored by an earlier run)" in out
    assert "page 1: blank page (stored by an earlier run, still waiting)" in out
    assert resumed.returncode == 9, out  # ScanIncomplete: the blank page still waits for a person
    repeated = subprocess.run(_scan_args(pdf, db), cwd=ROOT, capture_output=True, env=env, timeout=TIMEOUT_S,
                              check=False)
    assert repeated.returncode == 9
    assert "1 of its page(s) still wait" in repeated.stdout.decode()
