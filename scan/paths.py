"""Where page images and region crops are kept in the data folder (paths relative to it).

Page images are named by their content (SHA-256 of the stored bytes): two runs
that store the same page write the same file with the same bytes, so no run
can remove or change a file another row points to, and nothing here ever
deletes a stored image. Files are written to a temporary name beside the
target and renamed into place, so a reader sees the whole file or none.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

from softa.storage import process_alive

PAGES_DIR = "pages"
REGIONS_DIR = "regions"
#: Region folder names use this many hex digits of a SHA-256: unique in practice, short in paths.
SHA_PREFIX = 16
#: Page images are spread over 256 folders by the first two hex digits of their hash.
FANOUT_DIGITS = 2
TMP_SUFFIX = ".tmp"
#: A temporary file this old is left over from an interrupted write even if its process id is in use again.
STALE_TMP_S = 3600.0


def tmp_name(path: Path) -> Path:
    """The temporary file a write of ``path`` goes through: hidden, with this process's id."""
    return path.with_name(f".{path.name}.{os.getpid()}{TMP_SUFFIX}")


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename; no partial file is ever left."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_name(path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def page_image_path(image_sha: str, ext: str) -> str:
    """Stored image path of a page, relative to the data folder: named by its content."""
    return f"{PAGES_DIR}/{image_sha[:FANOUT_DIGITS]}/{image_sha}{ext}"


def region_image_path(image_sha: str, region_id: str) -> str:
    """Stored crop path of a region, relative to the data folder.

    Keyed by the page image's content and the region: the same page image always gives the same
    crop, so a rerun rewrites identical bytes and never removes a crop another row points to.
    """
    safe = region_id.replace(":", "_")
    return f"{REGIONS_DIR}/{image_sha[:SHA_PREFIX]}/{safe}.png"


def _tmp_owner(path: Path) -> int | None:
    """The process id in a temporary file's name, or None when the name carries none."""
    stem = path.name[: -len(TMP_SUFFIX)]
    pid = stem.rsplit(".", 1)[-1]
    return int(pid) if pid.isdigit() else None


def leftover_tmp_files(data: Path) -> Iterator[Path]:
    """Temporary files of interrupted writes: their process is gone, or they are older than STALE_TMP_S."""
    if not data.is_dir():
        return
    cutoff = time.time() - STALE_TMP_S
    for path in data.rglob(f".*{TMP_SUFFIX}"):
        pid = _tmp_owner(path)
        try:
            old = path.stat().st_mtime < cutoff
        except OSError:
            continue
        if old or pid is None or (pid != os.getpid() and not process_alive(pid)):
            yield path


def clean_leftovers(data: Path) -> int:
    """Remove the temporary files interrupted writes left in the data folder; return how many."""
    removed = 0
    for path in list(leftover_tmp_files(data)):
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
    return removed
