"""Where page images and region crops are kept in the data folder (paths relative to it)."""

from __future__ import annotations

import os
from pathlib import Path

PAGES_DIR = "pages"
REGIONS_DIR = "regions"
#: Folder names use this many hex digits of a SHA-256: unique in practice, short in paths.
SHA_PREFIX = 16


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def page_image_path(source_sha: str, page_number: int, ext: str) -> str:
    """Stored image path of a page, relative to the data folder."""
    return f"{PAGES_DIR}/{source_sha[:SHA_PREFIX]}/{page_number:04d}{ext}"


def region_image_path(image_sha: str, region_id: str) -> str:
    """Stored crop path of a region, relative to the data folder (by page image, so reruns rewrite it)."""
    safe = region_id.replace(":", "_")
    return f"{REGIONS_DIR}/{image_sha[:SHA_PREFIX]}/{safe}.png"
