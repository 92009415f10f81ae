"""The command line speaks Dutch when the system does: the catalogue is complete and used."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from click.testing import CliRunner

from softa import i18n
from softa.cli import main

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / "samples" / "case_2024-017.toml"
PRODUCTION_PACKAGES = ("softa", "formgen", "scan", "validate", "export", "review")
KEYWORDS = {"_": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"\{(\w*)[^}]*\}")


def _code_messages() -> set[str]:
    found: set[str] = set()
    for package in PRODUCTION_PACKAGES:
        for _file, _line, message, _comments, _context in extract_from_dir(
                REPO / package, method_map=[("**.py", "python")], keywords=KEYWORDS):
            found |= {message} if isinstance(message, str) else {m for m in message if m}
    return found


def _catalogue() -> dict[str, str]:
    with i18n.catalogue_path("nl").open("rb") as po:
        catalog = read_po(po)
    return {str(m.id if isinstance(m.id, str) else m.id[0]): str(m.string if isinstance(m.string, str)
                                                               else m.string[0])
            for m in catalog if m.id}


def test_every_message_has_a_dutch_translation_with_the_same_placeholders() -> None:
    code, dutch = _code_messages(), _catalogue()
    assert code, "no messages found: extraction is broken"
    missing = sorted(m for m in code if not dutch.get(m))
    assert not missing, f"translate in {i18n.catalogue_path('nl')} (make messages): {missing[:5]}"
    for message in code:
        assert set(PLACEHOLDER.findall(message)) == set(PLACEHOLDER.findall(dutch[message])), message
    stale = sorted(set(dutch) - code)
    assert not stale, f"no longer in the code, remove from the catalogue: {stale[:5]}"


@pytest.mark.parametrize(("environ", "language"), [
    ({"LANG": "nl_NL.UTF-8"}, "nl"), ({"LANG": "nl_BE.UTF-8"}, "nl"), ({"LANGUAGE": "nl:en", "LANG": "C"}, "nl"),
    ({"LC_ALL": "en_GB.UTF-8", "LANG": "nl_NL.UTF-8"}, "en"), ({"LANG": "de_DE.UTF-8"}, "en"), ({}, "en"),
    ({"SOFTA_LANG": "nl", "LANG": "en_US.UTF-8"}, "nl"), ({"SOFTA_LANG": "en", "LANG": "nl_NL"}, "en"),
])
def test_the_language_follows_the_system(environ: dict[str, str], language: str) -> None:
    assert i18n.user_language(environ) == language


@pytest.mark.parametrize(("lang", "expected", "not_expected"), [
    ("nl_NL.UTF-8", "pagina's", "pages"), ("en_US.UTF-8", "pages", "pagina's")])
def test_forms_reports_in_the_users_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str,
                                             expected: str, not_expected: str) -> None:
    for name in (*i18n.LOCALE_ENVS, i18n.LANGUAGE_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", lang)
    result = CliRunner().invoke(main, ["forms", str(MANIFEST), "--out", str(tmp_path / "forms"),
                                       "--db", str(tmp_path / "softa.sqlite")])
    assert result.exit_code == 0, result.output
    assert expected in result.output and not_expected not in result.output


def test_validate_on_an_empty_database_explains_in_dutch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from softa.db import connect

    for name in (*i18n.LOCALE_ENVS, i18n.LANGUAGE_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "nl_NL.UTF-8")
    db = tmp_path / "softa.sqlite"
    connect(db, create=True).close()
    result = CliRunner().invoke(main, ["validate", "--db", str(db)])
    assert result.exit_code != 0
    assert "de database bevat geen casussen" in result.output and "voer eerst" in result.output, result.output
    assert "holds no cases" not in result.output
