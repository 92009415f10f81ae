"""Roles are checked, not hoped for: plausible names are refused, plausible roles pass."""

from __future__ import annotations

import pytest

from softa.errors import ManifestError
from softa.manifest import parse_manifest
from softa.roles import is_role

ROLES = [
    "moeder", "Vader", "zoon (14)", "dochter (3 jaar)", "oudste dochter (16)", "jongste zoon", "pleegvader",
    "stiefmoeder", "halfbroer", "schoonmoeder", "partner van moeder", "vriend van de moeder", "oma", "opa",
    "tweede zoon, 9 jaar", "baby (8 mnd)", "hulpverlener", "gezinscoach", "maatschappelijk werker",
    "co-therapeut", "ex-partner", "kind (7)", "tante", "tweelingzus (12)", "stief-vader",
]
NAMES = [
    "Anna", "Fatima", "Mohammed", "Jan-Willem", "moeder (Anna de Vries)", "moeder Fatima", "zoon Daan (14)",
    "mevrouw Jansen", "dhr. Bakker", "Sanne (14)", "oma Riet", "vader van Kevin", "Kees Visser",
    "moeder, Yasmina", "de Vries", "zoon (2011)", "Noah", "Emma (9)", "Lotte en Tim", "vader: Ahmed",
    "Mw. El Amrani", "tante Joke", "Sophie's moeder",
]


@pytest.mark.parametrize("role", ROLES)
def test_roles_pass(role: str) -> None:
    assert is_role(role)


@pytest.mark.parametrize("name", NAMES)
def test_names_are_refused(name: str) -> None:
    assert not is_role(name)


def test_manifest_refuses_a_name_in_a_role_and_says_what_a_role_is() -> None:
    data = {"case": "2024-017", "date": __import__("datetime").date(2026, 11, 20), "minutes": 30,
            "observers": ["A", "B"],
            "participants": [{"code": "H1", "role": "hulpverlener"},
                             {"code": "C1", "role": "moeder (Anna de Vries)"}]}
    with pytest.raises(ManifestError) as caught:
        parse_manifest(data, source="case.toml")
    text = str(caught.value) + " " + (caught.value.hint or "")
    assert "participants[2].role" in text and "never a name" in text and "zoon (14)" in text
