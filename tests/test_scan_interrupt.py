"""A scan killed mid-batch leaves a consistent database; rerunning completes it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from softa.db import connect, register_case
from softa.manifest import load_manifest
from tests.omr_fixtures import MANIFEST, ROOT, sample_pack, scanned_pack

#: Kill once this many pages are stored: well inside the 37-page batch.
KILL_AFTER_PAGES = 4
POLL_S = 0.02
#: The batch takes a few seconds; anything slower than this is a hang.
TIMEOUT_S = 120


def _consistency(conn: sqlite3.Connection) -> None:
    """Every stored page is complete: all its boxes read, and values point at stored pages."""
    for page in conn.execute("SELECT * FROM scanned_pages WHERE status = 'identified'").fetchall():
        expected = conn.execute("SELECT COUNT(*) FROM layout_boxes WHERE case_id = ? AND page_index = ?",
                                (page["case_id"], page["page_index"])).fetchone()[0]
        reads = conn.execute("SELECT COUNT(*) FROM box_reads WHERE page_id = ?", (page["id"],)).fetchone()[0]
        values = conn.execute("SELECT COUNT(*) FROM box_values WHERE page_id = ?", (page["id"],)).fetchone()[0]
        assert reads == expected and values == expected, page["page_number"]
    orphans = conn.execute("SELECT COUNT(*) FROM box_values WHERE page_id NOT IN (SELECT id FROM scanned_pages)")
    assert orphans.fetchone()[0] == 0


def _scan(pdf: Path, db: Path, *, capture: bool) -> subprocess.Popen[bytes]:
    pipe = subprocess.PIPE if capture else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-c", "from softa.cli import main; main()", "scan", str(pdf),
                             "--db", str(db), "--quiet"], cwd=ROOT, stdout=pipe, stderr=pipe,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.slow
def test_killed_scan_is_consistent_and_a_rerun_completes_it(tmp_path: Path) -> None:
    pack = sample_pack(str(tmp_path / "pack"))
    db = tmp_path / "softa.sqlite"
    conn = connect(db)
    register_case(conn, load_manifest(MANIFEST), pack.layout)
    # A scan of the paper (the form PDF itself is refused as a scan: see test_scan_inputs).
    pdf = scanned_pack(pack, tmp_path / "scan.pdf")
    proc = _scan(pdf, db, capture=False)
    stored = 0
    deadline = time.monotonic() + TIMEOUT_S
    while proc.poll() is None and time.monotonic() < deadline:
        stored = conn.execute("SELECT COUNT(*) FROM scanned_pages").fetchone()[0]
        if stored >= KILL_AFTER_PAGES:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(POLL_S)
    proc.wait(timeout=TIMEOUT_S)
    assert proc.returncode == -signal.SIGKILL, "the batch ended before it could be interrupted"
    assert conn.execute("SELECT status FROM source_files").fetchone()[0] == "pending"
    partial = conn.execute("SELECT COUNT(*) FROM scanned_pages").fetchone()[0]
    assert KILL_AFTER_PAGES <= partial < len(pack.layout.pages)
    _consistency(conn)

    rerun = _scan(pdf, db, capture=True)
    out, err = rerun.communicate(timeout=TIMEOUT_S)
    assert rerun.returncode == 0, err.decode()
    assert b"resumed" in out
    assert conn.execute("SELECT status, page_count FROM source_files").fetchone()[:] == ("complete", 37)
    numbers = [r[0] for r in conn.execute("SELECT page_number FROM scanned_pages ORDER BY page_number")]
    assert numbers == list(range(1, 38))
    assert conn.execute("SELECT COUNT(*) FROM duplicates").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM box_values").fetchone()[0] == len(pack.layout.boxes())
    _consistency(conn)
    conn.close()


def _workers(pid: int) -> list[int]:
    """Worker processes of a scan (children running multiprocessing's spawn_main), from /proc."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(c) for c in (task / "children").read_text().split()]
    return [c for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds worker processes through Linux /proc")
def test_a_dying_worker_fails_its_file_and_the_batch_goes_on(tmp_path: Path) -> None:
    """A decoder crash (here: SIGKILL) must not hang the batch: the file is failed, a rerun completes it."""
    pack = sample_pack(str(tmp_path / "pack"))
    db = tmp_path / "softa.sqlite"
    conn = connect(db)
    register_case(conn, load_manifest(MANIFEST), pack.layout)
    pdf = scanned_pack(pack, tmp_path / "scan.pdf")
    args = [sys.executable, "-c", "from softa.cli import main; main()", "scan", str(pdf), "--db", str(db),
            "--quiet", "--workers", "2"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + TIMEOUT_S
    killed = False
    while proc.poll() is None and time.monotonic() < deadline and not killed:
        if conn.execute("SELECT COUNT(*) FROM scanned_pages").fetchone()[0] >= KILL_AFTER_PAGES:
            for worker in _workers(proc.pid)[:1]:
                os.kill(worker, signal.SIGKILL)
                killed = True
        time.sleep(POLL_S)
    out, err = proc.communicate(timeout=TIMEOUT_S)  # a hang fails here
    assert killed, "the batch ended before a worker could be stopped"
    assert proc.returncode == 9, err.decode()
    assert b"FAILED: a worker process stopped while reading page(s)" in out
    assert conn.execute("SELECT status FROM source_files").fetchone()[0] == "failed"
    _consistency(conn)
    rerun = subprocess.run(args, cwd=ROOT, capture_output=True, env=env, timeout=TIMEOUT_S, check=False)
    assert rerun.returncode == 0, rerun.stderr.decode()
    numbers = [r[0] for r in conn.execute("SELECT page_number FROM scanned_pages ORDER BY page_number")]
    assert numbers == list(range(1, 38))
    _consistency(conn)
    conn.close()
