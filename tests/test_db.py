"""The database: creation, refusal of foreign files, layout protection."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from formgen import build_layout
from softa.db import connect, data_dir, register_case, resolve_db_path
from softa.errors import DatabaseError, LayoutError
from softa.manifest import load_manifest

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "case_2024-017.toml"


def test_db_path_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SOFTA_DB", raising=False)
    assert resolve_db_path(None) == Path("softa.sqlite")
    monkeypatch.setenv("SOFTA_DB", str(tmp_path / "env.sqlite"))
    assert resolve_db_path(None) == tmp_path / "env.sqlite"
    assert resolve_db_path(tmp_path / "flag.sqlite") == tmp_path / "flag.sqlite"
    assert data_dir(tmp_path / "flag.sqlite") == tmp_path / "flag_files"


def test_missing_and_foreign_databases_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="no such database"):
        connect(tmp_path / "missing.sqlite", create=False)
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DatabaseError, match="beschadigd of geen SQLite-bestand"):
        connect(garbage)


def test_layout_change_refused_after_scans(tmp_path: Path) -> None:
    manifest = load_manifest(SAMPLE)
    conn = connect(tmp_path / "x.sqlite")
    register_case(conn, manifest, build_layout(manifest))
    register_case(conn, manifest, build_layout(manifest))  # same layout: fine
    conn.execute("INSERT INTO source_files(sha256, path, size_bytes, status, added_at) VALUES ('s', 'f', 1, 'complete', 'now')")
    conn.execute("INSERT INTO scanned_pages(source_id, page_number, status, case_id, page_index, scanned_at) "
                  "VALUES (1, 1, 'identified', '2024-017', 0, 'now')")
    longer = dataclasses.replace(manifest, minutes=90)
    with pytest.raises(LayoutError, match="already has 1 scanned pages"):
        register_case(conn, longer, build_layout(longer))
    assert conn.execute("SELECT COUNT(*) FROM layout_boxes WHERE case_id = '2024-017'").fetchone()[0] == len(
        build_layout(manifest).boxes())
