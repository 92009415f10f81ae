"""`softa remove-case`: a case without scans goes; one with scans only with --with-scans, and is read anew."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from scan.batch import run_scan
from softa.cli import main
from softa.db import connect, register_case
from softa.manifest import load_manifest
from tests.omr_fixtures import MANIFEST, marked_page, sample_pack, write_pdf


@pytest.fixture(scope="module")
def pack(tmp_path_factory):  # type: ignore[no-untyped-def]
    return sample_pack(str(tmp_path_factory.mktemp("pack")))


def _remove(db: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["remove-case", "--db", str(db), *args], catch_exceptions=False)


def _count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def test_a_case_without_scans_is_removed(tmp_path: Path, pack) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "softa.sqlite"
    conn = connect(db)
    register_case(conn, load_manifest(MANIFEST), pack.layout)
    # A case number that poisons the database (written before layouts were checked) can be removed too.
    conn.execute("INSERT INTO cases SELECT 'x/../../evil', manifest_json, layout_json, layout_sha256, created_at,"
                 " updated_at FROM cases")
    conn.close()
    result = _remove(db, "x/../../evil")
    assert result.exit_code == 0, result.output
    assert "Casus x/../../evil verwijderd" in result.output
    result = _remove(db, pack.layout.case)
    assert result.exit_code == 0, result.output
    assert _count(db, "SELECT COUNT(*) FROM cases") == 0
    assert _count(db, "SELECT COUNT(*) FROM layout_boxes") == 0
    assert _count(db, "SELECT COUNT(*) FROM audit_log WHERE action = 'remove_case'") == 2
    missing = _remove(db, "2099-001")
    assert missing.exit_code == 3 and "staat niet in de database" in missing.output


def test_a_case_with_scans_needs_the_flag_and_is_read_anew(tmp_path: Path, pack) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "softa.sqlite"
    conn = connect(db)
    register_case(conn, load_manifest(MANIFEST), pack.layout)
    conn.close()
    pdf = write_pdf(tmp_path / "a.pdf", [marked_page(pack, 4, seed=4)[0]])
    run_scan(db, [pdf], progress=False).check()
    refused = _remove(db, pack.layout.case)
    assert refused.exit_code == 1
    assert "heeft 1 gescande pagina('s)" in refused.output and "--with-scans" in refused.output
    assert _count(db, "SELECT COUNT(*) FROM box_values") > 0
    removed = _remove(db, pack.layout.case, "--with-scans")
    assert removed.exit_code == 0, removed.output
    for table in ("cases", "scanned_pages", "box_reads", "box_values", "region_values"):
        assert _count(db, f"SELECT COUNT(*) FROM {table}") == 0, table
    assert _count(db, "SELECT COUNT(*) FROM source_files WHERE status = 'pending'") == 1
    # The file is read again by the next scan: its page now belongs to no known case.
    summary = run_scan(db, [pdf], progress=False)
    assert summary.files[0].statuses["unidentified"] == 1
    assert _count(db, "SELECT COUNT(*) FROM scanned_pages WHERE reason = 'unknown_case'") == 1
