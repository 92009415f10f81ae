"""docs/cli.md is the live `--help` of every command (datasette's rule: docs match the CLI)."""

from __future__ import annotations

from pathlib import Path

from softa.clidoc import render

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
README = Path(__file__).resolve().parents[1] / "README.md"


def test_cli_reference_matches_help() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), "regenerate: python -m softa.clidoc > docs/cli.md"


def test_readme_names_every_command() -> None:
    readme = README.read_text(encoding="utf-8")
    for command in ("forms", "scan", "review", "validate", "export", "report"):
        assert f"softa {command}" in readme
    assert "docs/cli.md" in readme
