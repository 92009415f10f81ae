"""Faults of the environment: each a named DatabaseError with a hint, never a traceback; a rerun completes.

Disk full and read-only use a real small tmpfs where this process may mount one (root in CI containers);
elsewhere those tests are skipped and the same paths are exercised at the OS boundary (``open`` failing
with ENOSPC). Workers must end with their parent, however the parent ends.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import softa.db
from softa.cli import main
from softa.db import connect, register_case
from softa.errors import DatabaseError
from softa.manifest import load_manifest
from softa.storage import shared_storage_warning
from tests.omr_fixtures import MANIFEST, ROOT, marked_page, sample_pack, scanned_pack, write_pdf

#: The batch takes seconds; anything slower than this is a hang.
TIMEOUT_S = 300
POLL_S = 0.02
#: Act (kill, replace) once this many pages are stored: well inside the 37-page batch.
ACT_AFTER_PAGES = 4
#: Room on the small disk beyond the registered database: a few page images, not 37.
FREE_BYTES = 3 * 1024 * 1024
BIG_DISK = "300m"


@pytest.fixture(scope="module")
def pack(tmp_path_factory):  # type: ignore[no-untyped-def]
    return sample_pack(str(tmp_path_factory.mktemp("pack")))


@pytest.fixture(scope="module")
def scan_pdf(pack, tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    return scanned_pack(pack, tmp_path_factory.mktemp("scan") / "scan.pdf")


def _register(db: Path, pack) -> None:  # type: ignore[no-untyped-def]
    conn = connect(db)
    register_case(conn, load_manifest(MANIFEST), pack.layout)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _mount(point: Path, options: str) -> bool:
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], capture_output=True,
                          check=False).returncode == 0


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A mounted tmpfs of its own (skipped where this process may not mount one)."""
    point = tmp_path / "disk"
    point.mkdir()
    if shutil.which("mount") is None or not _mount(point, f"size={BIG_DISK}"):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True, check=False)


def _remount(point: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(point)], check=True, capture_output=True)


def _softa(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-c", "from softa.cli import main; main()", *args], cwd=ROOT,
                          capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=TIMEOUT_S,
                          check=False)


def _pages(db: Path) -> list[int]:
    conn = sqlite3.connect(db)
    try:
        return [int(r[0]) for r in conn.execute("SELECT page_number FROM scanned_pages ORDER BY page_number")]
    finally:
        conn.close()


def _named(proc: subprocess.CompletedProcess[bytes], words: str) -> str:
    err = proc.stderr.decode()
    assert proc.returncode == DatabaseError.exit_code, err
    assert "Traceback" not in err
    assert words in err
    return err


@pytest.mark.slow
def test_disk_full_during_a_scan_is_named_and_a_rerun_completes(small_disk: Path, pack, scan_pdf: Path) -> None:  # type: ignore[no-untyped-def]
    db = small_disk / "softa.sqlite"
    _register(db, pack)
    used = sum(p.stat().st_size for p in small_disk.rglob("*") if p.is_file())
    _remount(small_disk, f"size={used + FREE_BYTES}")
    full = _softa("scan", str(scan_pdf), "--db", str(db), "--quiet", "--workers", "2")
    _named(full, "de schijf is vol")
    stored = _pages(db)
    assert 0 < len(stored) < len(pack.layout.pages)
    _remount(small_disk, f"size={BIG_DISK}")
    rerun = _softa("scan", str(scan_pdf), "--db", str(db), "--quiet", "--workers", "2")
    assert rerun.returncode == 0, rerun.stderr.decode()
    assert _pages(db) == list(range(1, len(pack.layout.pages) + 1))
    assert not list(small_disk.rglob("*.tmp"))


def test_disk_full_writing_a_page_image_is_named(tmp_path: Path, pack, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The same fault at the OS boundary, where no tmpfs can be mounted: ``open`` fails with ENOSPC."""
    db = tmp_path / "softa.sqlite"
    _register(db, pack)
    pdf = write_pdf(tmp_path / "a.pdf", [marked_page(pack, 4, seed=4)[0]])

    def no_space(path: object, *args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr("scan.paths.open", no_space, raising=False)
    result = CliRunner().invoke(main, ["scan", str(pdf), "--db", str(db), "--quiet"])
    assert result.exit_code == DatabaseError.exit_code, result.output
    assert "de schijf is vol" in result.output and ".tmp" in result.output
    assert _pages(db) == []  # the page was not stored without its image
    monkeypatch.undo()
    again = CliRunner().invoke(main, ["scan", str(pdf), "--db", str(db), "--quiet"])
    assert again.exit_code == 0, again.output
    assert _pages(db) == [1]


def test_a_read_only_disk_is_named(small_disk: Path, pack, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = small_disk / "softa.sqlite"
    _register(db, pack)
    pdf = write_pdf(tmp_path / "a.pdf", [marked_page(pack, 4, seed=4)[0]])
    _remount(small_disk, "ro")
    try:
        for args in (["scan", str(pdf), "--quiet"], ["validate"], ["remove-case", "2024-017"]):
            _named(_softa(*args, "--db", str(db)), "alleen-lezen")
    finally:
        _remount(small_disk, "rw")
    done = _softa("scan", str(pdf), "--db", str(db), "--quiet")
    assert done.returncode == 0, done.stderr.decode()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write a read-only file")
def test_a_read_only_folder_is_named(tmp_path: Path, pack) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "softa.sqlite"
    _register(db, pack)
    folder.chmod(0o555)
    db.chmod(0o444)
    try:
        _named(_softa("validate", "--db", str(db)), "alleen-lezen")
    finally:
        folder.chmod(0o755)


def test_a_locked_database_is_named(tmp_path: Path, pack, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "softa.sqlite"
    _register(db, pack)
    pdf = write_pdf(tmp_path / "a.pdf", [marked_page(pack, 4, seed=4)[0]])
    monkeypatch.setattr(softa.db, "BUSY_TIMEOUT_MS", 100)  # do not wait the full 15 s for the other writer
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program holding a write transaction
    try:
        result = CliRunner().invoke(main, ["scan", str(pdf), "--db", str(db), "--quiet"])
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert result.exit_code == DatabaseError.exit_code, result.output
    assert "bezet door een ander programma" in result.output
    monkeypatch.undo()
    assert CliRunner().invoke(main, ["scan", str(pdf), "--db", str(db), "--quiet"]).exit_code == 0


def test_a_corrupt_database_is_found_on_open(tmp_path: Path, pack) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "softa.sqlite"
    _register(db, pack)
    size = db.stat().st_size
    with db.open("r+b") as fh:  # a damaged copy: pages in the middle overwritten
        fh.seek(size // 2)
        fh.write(b"\x13" * (size // 8))
    for args in (["validate"], ["scan", str(tmp_path)], ["export", "--format", "json", "--out", str(tmp_path / "x")]):
        err = _named(_softa(*args, "--db", str(db)), "de database is beschadigd")
        assert "quick_check" in err and "reservekopie" in err


@pytest.mark.slow
def test_a_database_replaced_during_a_scan_is_named_and_a_rerun_completes(tmp_path: Path, pack, scan_pdf: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "softa.sqlite"
    _register(db, pack)
    backup = tmp_path / "backup.sqlite"
    shutil.copy(db, backup)
    proc = subprocess.Popen([sys.executable, "-c", "from softa.cli import main; main()", "scan", str(scan_pdf),
                             "--db", str(db), "--quiet"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + TIMEOUT_S
    replaced = False
    while proc.poll() is None and time.monotonic() < deadline:
        if len(_pages(db)) >= ACT_AFTER_PAGES:
            tmp = tmp_path / "restore.sqlite"
            shutil.copy(backup, tmp)
            os.replace(tmp, db)  # someone restores an old copy while the scan runs
            replaced = True
            break
        time.sleep(POLL_S)
    _, err = proc.communicate(timeout=TIMEOUT_S)
    assert replaced, "the scan ended before the database could be replaced"
    assert proc.returncode == DatabaseError.exit_code, err.decode()
    assert "verwijderd, verplaatst of vervangen" in err.decode() and b"Traceback" not in err
    rerun = _softa("scan", str(scan_pdf), "--db", str(db), "--quiet")
    assert rerun.returncode == 0, rerun.stderr.decode()
    assert _pages(db) == list(range(1, len(pack.layout.pages) + 1))


def _children(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(c) for c in (task / "children").read_text().split()]
    return [c for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def _running(pid: int) -> bool:
    """Alive and not a zombie (a re-parented worker that ended may wait for its new parent to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds worker processes through Linux /proc")
@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM])
def test_workers_end_when_the_scan_ends(tmp_path: Path, pack, scan_pdf: Path, stop: signal.Signals) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "softa.sqlite"
    _register(db, pack)
    proc = subprocess.Popen([sys.executable, "-c", "from softa.cli import main; main()", "scan", str(scan_pdf),
                             "--db", str(db), "--quiet", "--workers", "2"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + TIMEOUT_S
    workers: list[int] = []
    while proc.poll() is None and time.monotonic() < deadline:
        workers = _children(proc.pid)
        if len(workers) == 2 and len(_pages(db)) >= ACT_AFTER_PAGES:
            proc.send_signal(stop)
            break
        time.sleep(POLL_S)
    _, err = proc.communicate(timeout=TIMEOUT_S)
    assert len(workers) == 2, "the scan ended before it could be stopped"
    if stop == signal.SIGTERM:
        assert proc.returncode == 130 and b"Traceback" not in err, err.decode()
        assert b"onderbroken" in err
    else:
        assert proc.returncode == -signal.SIGKILL
    while any(_running(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(POLL_S)
    assert [w for w in workers if _running(w)] == []
    rerun = _softa("scan", str(scan_pdf), "--db", str(db), "--quiet")
    assert rerun.returncode == 0, rerun.stderr.decode()


def test_a_database_in_a_synced_folder_or_on_a_share_gets_a_warning(tmp_path: Path) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text("/dev/sda1 / ext4 rw 0 0\n//server/share /mnt/groep cifs rw 0 0\n"
                      "server:/export /mnt/nfs nfs4 rw 0 0\n", encoding="utf-8")
    local = tmp_path / "softa.sqlite"
    assert shared_storage_warning(local, mounts) is None
    synced = tmp_path / "OneDrive - Hogeschool" / "softa" / "softa.sqlite"
    warning = shared_storage_warning(synced, mounts)
    assert warning is not None and "gesynchroniseerde map" in warning and "OneDrive - Hogeschool" in warning
    assert "Dropbox" in (shared_storage_warning(tmp_path / "Dropbox" / "x.sqlite", mounts) or "")
    share = shared_storage_warning(Path("/mnt/groep/softa.sqlite"), mounts)
    assert share is not None and "netwerkschijf (cifs)" in share
    assert "nfs4" in (shared_storage_warning(Path("/mnt/nfs/a/softa.sqlite"), mounts) or "")
    assert shared_storage_warning(Path("/mnt/groepen/softa.sqlite"), mounts) is None  # a prefix is not the mount
