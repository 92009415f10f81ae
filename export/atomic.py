"""Write an export folder beside its place and swap it in, so a reader sees the old export or the new one.

A dataset export is many files (CSV, .sav, codebook). Written one by one into
the folder, a killed or failed run would leave some new files beside old ones:
a mix no one can tell apart. Here the new export is written into a hidden
sibling folder and exchanged with the old one in one step (Linux
``renameat2(RENAME_EXCHANGE)``; elsewhere two renames, between which the folder
is briefly absent but never mixed). Files in the folder that an export does
not write (a note, a syntax file) are carried over. Leftovers of a killed run
are removed by the next one.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fnmatch
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from softa.errors import SoftaError
from softa.storage import process_alive

STAGING_SUFFIX = ".tmp"
OLD_SUFFIX = ".old"
#: renameat2 flag: exchange the two paths atomically (Linux >= 3.15).
RENAME_EXCHANGE = 2
AT_FDCWD = -100
#: The files a dataset export writes; anything else in the folder is the user's and is kept.
DATASET_PATTERNS = ("ticks.csv", "ratings.csv", "speaking_time.csv", "wide_*.csv", "wide_*.sav", "audit.csv",
                    "unresolved.csv", "codebook.csv", "*.tmp")


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step where the system can; False when it cannot."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0


def _remove_leftovers(folder: Path) -> None:
    """Staging and old folders of earlier runs of this export whose process is gone."""
    for path in folder.parent.glob(f".{folder.name}.*"):
        pid = path.name.rsplit(".", 2)[-2] if path.name.count(".") >= 3 else ""
        if path.suffix in (STAGING_SUFFIX, OLD_SUFFIX) and pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _carry_over(old: Path, new: Path, patterns: tuple[str, ...]) -> None:
    """Copy what the user keeps in the old folder (not an export file) into the new one."""
    for entry in old.iterdir():
        if any(fnmatch.fnmatch(entry.name, p) for p in patterns) or (new / entry.name).exists():
            continue
        if entry.is_dir():
            shutil.copytree(entry, new / entry.name, symlinks=True)
        else:
            try:
                os.link(entry, new / entry.name)
            except OSError:
                shutil.copy2(entry, new / entry.name)


@contextmanager
def atomic_folder(folder: Path, patterns: tuple[str, ...] = DATASET_PATTERNS) -> Iterator[Path]:
    """Yield a hidden sibling folder to write the export into; on success it replaces ``folder``."""
    if folder.exists() and not folder.is_dir():
        raise SoftaError(f"{folder}: is een bestand, geen map", hint="geef een map voor --dataset")
    folder.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(folder)
    staging = folder.with_name(f".{folder.name}.{os.getpid()}{STAGING_SUFFIX}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        yield staging
        if not folder.exists():
            staging.rename(folder)
            return
        _carry_over(folder, staging, patterns)
        if _exchange(staging, folder):
            shutil.rmtree(staging, ignore_errors=True)  # holds the old export now
            return
        old = folder.with_name(f".{folder.name}.{os.getpid()}{OLD_SUFFIX}")
        folder.rename(old)
        staging.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        with contextlib.suppress(OSError):
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
