"""`softa forms` as a user runs it: files, database, refusals that write nothing."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from softa.cli import main
from softa.db import connect, load_case_layout
from softa.errors import ManifestError

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "case_2024-017.toml"


def test_forms_writes_pack_layout_and_registers_the_case(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite"
    result = CliRunner().invoke(main, ["forms", str(SAMPLE), "--out", str(tmp_path / "out"), "--db", str(db)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["2024-017_forms.pdf", "2024-017_forms_consensus.pdf", "2024-017_forms_observator1.pdf",
                     "2024-017_forms_observator2.pdf", "2024-017_forms_zelfbeoordeling.pdf", "2024-017_layout.json"]
    conn = connect(db, create=False)
    layout = load_case_layout(conn, "2024-017")
    assert conn.execute("SELECT COUNT(*) FROM layout_boxes").fetchone()[0] == len(layout.boxes())
    assert conn.execute("SELECT COUNT(*) FROM layout_pages").fetchone()[0] == len(layout.pages)
    # No family names or student names go into the database's layout; the roles do.
    stored = conn.execute("SELECT layout_json FROM cases").fetchone()[0]
    assert "Anna" not in stored and "Jansen" not in stored


def test_forms_uses_softa_db_env(tmp_path: Path) -> None:
    db = tmp_path / "env.sqlite"
    result = CliRunner().invoke(main, ["forms", str(SAMPLE), "--out", str(tmp_path / "o")], env={"SOFTA_DB": str(db)})
    assert result.exit_code == 0, result.output
    assert db.exists()


def test_invalid_manifest_exits_non_zero_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(SAMPLE.read_text(encoding="utf-8").replace('code = "C1"', 'code = "Q1"'), encoding="utf-8")
    out = tmp_path / "out"
    db = tmp_path / "x.sqlite"
    result = CliRunner().invoke(main, ["forms", str(bad), "--out", str(out), "--db", str(db)])
    assert result.exit_code == ManifestError.exit_code
    assert "participants[2].code" in result.output and "H1, H2" in result.output
    assert not out.exists() and not db.exists()


def test_regenerating_is_idempotent(tmp_path: Path) -> None:
    args = ["forms", str(SAMPLE), "--out", str(tmp_path / "out"), "--db", str(tmp_path / "x.sqlite")]
    assert CliRunner().invoke(main, args).exit_code == 0
    first = (tmp_path / "out" / "2024-017_forms.pdf").read_bytes()
    assert CliRunner().invoke(main, args).exit_code == 0
    assert (tmp_path / "out" / "2024-017_forms.pdf").read_bytes() == first
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".softa-")]


def test_an_unwritable_out_folder_is_reported_by_name_without_a_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "not_a_folder.txt"
    blocker.write_text("x", encoding="utf-8")
    out = blocker / "forms"
    result = CliRunner().invoke(main, ["forms", str(SAMPLE), "--out", str(out), "--db", str(tmp_path / "x.sqlite")])
    assert result.exit_code == 1
    assert str(out) in result.output and "--out" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
