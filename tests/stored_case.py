"""A stored, "scanned" case without images: the fixture for export tests and quick looks.

Wraps ``samples.truth``: registers the sample case, stores simulated codings
and records one scanned page per layout page (a stand-in source file), so
validation sees a complete case.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from formgen import build_layout
from samples.truth import CodingTruth, simulate_coding, store_truth
from softa.db import connect, now, register_case, transaction
from softa.layout import CaseLayout
from softa.manifest import Manifest, load_manifest

SAMPLE_MANIFEST = Path(__file__).resolve().parents[1] / "samples" / "case_2024-017.toml"


@dataclass(frozen=True)
class StoredCase:
    conn: sqlite3.Connection
    db_path: Path
    manifest: Manifest
    layout: CaseLayout
    truth: CodingTruth


def mark_pages_scanned(conn: sqlite3.Connection, case_id: str, layout: CaseLayout) -> None:
    """Record one identified scanned page per layout page, from a stand-in source file."""
    stamp = now()
    sha = hashlib.sha256(f"fixture:{case_id}".encode()).hexdigest()
    with transaction(conn):
        conn.execute("INSERT OR IGNORE INTO source_files(sha256, path, size_bytes, media_type, page_count, status,"
                     " added_at, completed_at) VALUES (?, ?, 0, 'application/pdf', ?, 'complete', ?, ?)",
                     (sha, f"fixture_{case_id}.pdf", len(layout.pages), stamp, stamp))
        source_id = conn.execute("SELECT id FROM source_files WHERE sha256 = ?", (sha,)).fetchone()[0]
        conn.executemany(
            "INSERT OR IGNORE INTO scanned_pages(source_id, page_number, status, qr, case_id, page_index, scanned_at)"
            " VALUES (?, ?, 'identified', ?, ?, ?, ?)",
            [(source_id, p.index + 1, p.qr, case_id, p.index, stamp) for p in layout.pages])


def stored_case(db_path: Path, *, seed: int = 0, manifest: Manifest | None = None,
                status: str = "reviewed") -> StoredCase:
    """A database at ``db_path`` holding one fully scanned case coded by ``simulate_coding``."""
    manifest = manifest or load_manifest(SAMPLE_MANIFEST)
    layout = build_layout(manifest)
    conn = connect(db_path)
    register_case(conn, manifest, layout)
    truth = simulate_coding(manifest, layout, seed)
    store_truth(conn, manifest.case, truth, status=status)
    mark_pages_scanned(conn, manifest.case, layout)
    return StoredCase(conn=conn, db_path=db_path, manifest=manifest, layout=layout, truth=truth)
