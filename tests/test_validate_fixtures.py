"""Small case databases for the validate tests (helpers; the tests here check the helpers).

``blank_case`` copies a template database of the sample case in which every
page is scanned, every tick/timeline box is empty, every rating row holds 0
(consistent with no ticks) and every text region is transcribed: a clean case
each test then changes a handful of boxes in.
"""

from __future__ import annotations

import shutil
import sqlite3
from functools import cache
from pathlib import Path

import pytest

from formgen import build_layout
from softa.db import connect, now, register_case, transaction
from softa.layout import CaseLayout
from softa.manifest import Manifest, load_manifest

ROOT = Path(__file__).resolve().parents[1]
MANIFEST_PATH = ROOT / "samples" / "case_2024-017.toml"
CASE = "2024-017"
#: The balance scale's neutral-ish value used in the clean template.
TEMPLATE_BALANCE = 5


@cache
def sample() -> tuple[Manifest, CaseLayout]:
    manifest = load_manifest(MANIFEST_PATH)
    return manifest, build_layout(manifest)


def tick_id(slot: str, code: str, dimension: str, item: int, window: int) -> str:
    return f"{slot}:{code}:{dimension}:i{item:02d}:w{window:02d}"


def rating_ids(slot: str | None, code: str, dimension: str) -> list[str]:
    _, layout = sample()
    group = f"{slot or 'self'}:{code}:{dimension}:rating"
    return [b.id for b in layout.boxes() if b.group == group]


def scan_pages(conn: sqlite3.Connection, case: str, page_indexes: list[int]) -> None:
    """Record the given layout pages as scanned (identified), without images."""
    with transaction(conn):
        conn.execute("INSERT OR IGNORE INTO source_files(id, sha256, path, size_bytes, status, added_at) "
                     "VALUES (1, 'fixture', 'fixture.pdf', 1, 'complete', ?)", (now(),))
        start = conn.execute("SELECT COALESCE(MAX(page_number), 0) FROM scanned_pages").fetchone()[0]
        conn.executemany(
            "INSERT INTO scanned_pages(source_id, page_number, status, case_id, page_index, scanned_at) "
            "VALUES (1, ?, 'identified', ?, ?, ?)",
            [(start + n + 1, case, index, now()) for n, index in enumerate(page_indexes)])


def set_boxes(conn: sqlite3.Connection, values: dict[str, int], *, status: str = "auto", case: str = CASE) -> None:
    """Write current box values as the scanner would."""
    with transaction(conn):
        conn.executemany(
            "INSERT INTO box_values(case_id, box_id, checked, status, confidence) VALUES (?, ?, ?, ?, 1.0) "
            "ON CONFLICT(case_id, box_id) DO UPDATE SET checked = excluded.checked, status = excluded.status",
            [(case, box_id, value, status) for box_id, value in values.items()])


def rate(conn: sqlite3.Connection, slot: str | None, code: str, dimension: str, *values: int,
         status: str = "auto") -> None:
    """Tick exactly ``values`` in a rating row (none: an empty row)."""
    wanted = {f"{slot or 'self'}:{code}:{dimension}:v{v:+d}" for v in values}
    ids = rating_ids(slot, code, dimension)
    assert wanted <= set(ids), f"no such rating boxes: {wanted - set(ids)}"
    set_boxes(conn, {i: int(i in wanted) for i in ids}, status=status)


def tick(conn: sqlite3.Connection, slot: str, code: str, dimension: str, cells: list[tuple[int, int]],
         status: str = "auto") -> list[str]:
    ids = [tick_id(slot, code, dimension, item, window) for item, window in cells]
    set_boxes(conn, dict.fromkeys(ids, 1), status=status)
    return ids


@cache
def _template(folder: Path) -> Path:
    manifest, layout = sample()
    path = folder / "template.sqlite"
    conn = connect(path)
    register_case(conn, manifest, layout)
    scan_pages(conn, manifest.case, [p.index for p in layout.pages])
    values = {}
    for box in layout.boxes():
        if box.kind == "rating":
            neutral = TEMPLATE_BALANCE if box.dimension == "spreektijd_balans" else 0
            values[box.id] = int(box.value == neutral)
        else:
            values[box.id] = 0
    set_boxes(conn, values)
    with transaction(conn):
        conn.executemany(
            "INSERT INTO region_values(case_id, region_id, transcription, status) VALUES (?, ?, 'tekst', 'transcribed')",
            [(manifest.case, r.id) for r in layout.regions()])
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def blank_case(folder: Path, template_dir: Path) -> sqlite3.Connection:
    """A fresh copy of the clean, fully scanned sample case."""
    path = folder / "case.sqlite"
    shutil.copyfile(_template(template_dir), path)
    return connect(path)


# ----------------------------------------------------------------- helper checks


def test_template_is_clean(tmp_path: Path, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    """The clean template has no findings at all: every rule starts silent."""
    from validate import validate_case

    conn = blank_case(tmp_path, tmp_path_factory.getbasetemp())
    result = validate_case(conn, CASE)
    assert result.findings == ()


def test_rate_sets_exactly_the_values(tmp_path: Path, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    from softa.records import load_case_record

    conn = blank_case(tmp_path, tmp_path_factory.getbasetemp())
    rate(conn, "1", "C1", "betrokkenheid", 2, -1)
    assert load_case_record(conn, CASE).rating("C1", "1", "betrokkenheid").values == (-1, 2)  # type: ignore[union-attr]


@pytest.fixture
def case_db(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    """The clean sample case (import this fixture into a test module)."""
    return blank_case(tmp_path, tmp_path_factory.getbasetemp())
