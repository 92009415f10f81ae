"""A dataset export is swapped in whole: a reader sees the old export or the new one, never a mix."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from export.atomic import atomic_folder
from softa.db import transaction
from tests.omr_fixtures import ROOT
from tests.stored_case import StoredCase, stored_case

TIMEOUT_S = 300
POLL_S = 0.005
#: Kill the export once its hidden folder holds this many files (early, middle, late in the run).
KILL_AT_FILES = (1, 4, 8)


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_the_new_export_replaces_the_old_and_keeps_the_users_files(tmp_path: Path) -> None:
    folder = tmp_path / "dataset"
    folder.mkdir()
    (folder / "ticks.csv").write_text("old\n")
    (folder / "unresolved.csv").write_text("old problems\n")  # not written by the new export: must go
    (folder / "notities.txt").write_text("mijn aantekeningen\n")
    with atomic_folder(folder) as staging:
        assert staging.parent == folder.parent and staging != folder
        (staging / "ticks.csv").write_text("new\n")
        assert (folder / "ticks.csv").read_text() == "old\n"  # nothing changes until the export is whole
    assert _contents(folder) == {"notities.txt": b"mijn aantekeningen\n", "ticks.csv": b"new\n"}
    assert [p.name for p in tmp_path.iterdir()] == ["dataset"]


def test_a_failed_export_leaves_the_old_one(tmp_path: Path) -> None:
    folder = tmp_path / "dataset"
    folder.mkdir()
    (folder / "ticks.csv").write_text("old\n")
    with pytest.raises(RuntimeError), atomic_folder(folder) as staging:
        (staging / "ticks.csv").write_text("half")
        raise RuntimeError("stopped")
    assert _contents(folder) == {"ticks.csv": b"old\n"}
    assert [p.name for p in tmp_path.iterdir()] == ["dataset"]


def _export(case: StoredCase, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "from softa.cli import main; main()", "export", "--dataset",
                             str(out), "--db", str(case.db_path)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.slow
def test_a_killed_export_never_mixes_old_and_new_files(tmp_path: Path) -> None:
    case = stored_case(tmp_path / "softa.sqlite", seed=7)
    folder = tmp_path / "dataset"
    first = _export(case, folder)
    _, err = first.communicate(timeout=TIMEOUT_S)
    assert first.returncode == 0, err.decode()
    old = _contents(folder)
    with transaction(case.conn):  # the data change between the two exports: every file could differ
        case.conn.execute("UPDATE box_values SET checked = 1 - checked WHERE box_id = ?",
                          ("1:H1:emotionele_band:i02:w05",))
    reference = _export(case, tmp_path / "reference")
    reference.communicate(timeout=TIMEOUT_S)
    assert reference.returncode == 0
    new = _contents(tmp_path / "reference")
    assert new != old and new.keys() == old.keys()
    killed = 0
    for files in KILL_AT_FILES:
        proc = _export(case, folder)
        deadline = time.monotonic() + TIMEOUT_S
        while proc.poll() is None and time.monotonic() < deadline:
            staging = tmp_path / f".dataset.{proc.pid}.tmp"
            if staging.is_dir() and sum(1 for _ in staging.iterdir()) >= files:
                proc.send_signal(signal.SIGKILL)
                killed += 1
                break
            time.sleep(POLL_S)
        proc.communicate(timeout=TIMEOUT_S)
        assert _contents(folder) in (old, new)
    assert killed, "every export ended before it could be killed"
    done = _export(case, folder)
    done.communicate(timeout=TIMEOUT_S)
    assert done.returncode == 0
    assert _contents(folder) == new
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # leftovers removed


def test_a_dataset_export_validates_each_case_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import validate
    from export.dataset import write_dataset

    case = stored_case(tmp_path / "softa.sqlite", seed=8)
    calls: list[str] = []
    real = validate.validate_case

    def counted(conn, case_id):  # type: ignore[no-untyped-def]
        calls.append(case_id)
        return real(conn, case_id)

    monkeypatch.setattr(validate, "validate_case", counted)
    write_dataset(case.conn, tmp_path / "dataset")
    assert calls == [case.manifest.case]
