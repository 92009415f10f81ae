"""docs/cli.md is the live `--help` of every command (datasette's rule: docs match the CLI)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from softa.clidoc import render
from softa.errors import (
    ConflictError,
    DatabaseError,
    ExitCode,
    InputFileError,
    LayoutError,
    ManifestError,
    ScanIncomplete,
    UnresolvedDataError,
    UsageError,
    ValidationFailed,
)
from softa.manifest import parse_manifest

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
README = Path(__file__).resolve().parents[1] / "README.md"


def test_cli_reference_matches_help() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), "regenerate: python -m softa.clidoc > docs/cli.md"


def test_readme_names_every_command() -> None:
    readme = README.read_text(encoding="utf-8")
    for command in ("forms", "scan", "review", "validate", "export", "report"):
        assert f"softa {command}" in readme
    assert "docs/cli.md" in readme


def test_readme_manifest_example_is_accepted_as_it_stands() -> None:
    """The manifest a new user copies from the README must pass the checks on its own."""
    readme = README.read_text(encoding="utf-8")
    start = readme.index("```toml\n", readme.index("### A case manifest")) + len("```toml\n")
    example = readme[start:readme.index("```", start)]
    manifest = parse_manifest(tomllib.loads(example), source="README.md")
    assert manifest.workers and manifest.clients


def test_readme_exit_codes_are_the_error_classes() -> None:
    """The README's table lists every exit code the error classes use, with the class's name."""
    table = README.read_text(encoding="utf-8").split("### Exit codes", 1)[1]
    rows = dict(re.findall(r"^\| (\d+) \| (.*) \|$", table, flags=re.MULTILINE))
    assert sorted(int(code) for code in rows) == sorted(code.value for code in ExitCode)
    for cls in (UsageError, ManifestError, LayoutError, DatabaseError, InputFileError, UnresolvedDataError,
                ConflictError, ValidationFailed, ScanIncomplete):
        assert f"`{cls.__name__}`" in rows[str(cls.exit_code)], cls.__name__
