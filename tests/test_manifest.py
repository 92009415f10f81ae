"""Case manifests: valid ones load; invalid ones name the field and the fix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from softa.errors import ManifestError
from softa.manifest import MAX_MANIFEST_BYTES, MAX_PARTICIPANTS, load_manifest, parse_manifest

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "case_2024-017.toml"


def base() -> dict[str, object]:
    return {
        "case": "2024-017", "date": dt.date(2026, 11, 20), "minutes": 60,
        "observers": ["Anna de Vries", "Bram Jansen"],
        "participants": [{"code": "H1", "role": "hulpverlener"}, {"code": "C1", "role": "moeder"}],
    }


def test_sample_manifest_loads() -> None:
    m = load_manifest(SAMPLE)
    assert m.case == "2024-017" and m.windows == 12 and m.bins == 120
    assert [p.code for p in m.workers] == ["H1"] and len(m.clients) == 3


def test_window_count_rounds_partial_windows_up() -> None:
    m = parse_manifest({**base(), "minutes": 92})
    assert m.windows == 19 and m.bins == 184


@pytest.mark.parametrize(("change", "field"), [
    ({"case": None}, "case"),
    ({"minutes": 0}, "minutes"),
    ({"minutes": 100000}, "minutes"),
    ({"minutes": "sixty"}, "minutes"),
    ({"date": "20-11-2026"}, "date"),
    ({"observers": ["Anna"]}, "observers"),
    ({"case": "2024/017"}, "case"),
    ({"participants": [{"code": "C1", "role": "moeder"}]}, "participants"),
    ({"participants": [{"code": "H1", "role": "hulpverlener"}]}, "participants"),
    ({"participants": [{"code": "X1", "role": "moeder"}, {"code": "H1", "role": "hulpverlener"}]}, "participants[1].code"),
    ({"participants": [{"code": "H1", "role": "hulpverlener"}, {"code": "H1", "role": "hulpverlener"}]}, "participants[2].code"),
    ({"participants": [{"code": "H1", "role": ""}, {"code": "C1", "role": "moeder"}]}, "participants[1].role"),
])
def test_invalid_manifests_name_the_field(change: dict[str, object], field: str) -> None:
    data = base()
    for key, value in change.items():
        if value is None:
            del data[key]
        else:
            data[key] = value
    with pytest.raises(ManifestError) as info:
        parse_manifest(data, source="m.toml")
    assert f"'{field}'" in str(info.value)
    assert info.value.hint


def test_unreadable_toml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("case = \n", encoding="utf-8")
    with pytest.raises(ManifestError, match="not valid TOML"):
        load_manifest(path)
    with pytest.raises(ManifestError, match="no such file"):
        load_manifest(tmp_path / "missing.toml")


@pytest.mark.parametrize(("change", "field", "fix"), [
    ({"minuten": 60}, "minuten", "check the spelling"),
    ({"participants": [{"code": "H1", "role": "hulpverlener"}, {"code": "C1", "role": "moeder", "naam": "Els"}]},
     "participants[2].naam", "never write a family member's name"),
    ({"participants": {"code": "H1", "role": "hulpverlener"}}, "participants", "[[participants]]"),
    ({"date": dt.datetime(2026, 11, 20, 10, 0)}, "date", "date = 2026-11-20"),
])
def test_typos_names_and_wrong_shapes_are_refused_with_the_fix(change: dict[str, object], field: str,
                                                               fix: str) -> None:
    with pytest.raises(ManifestError) as info:
        parse_manifest({**base(), **change}, source="m.toml")
    assert f"'{field}'" in str(info.value) and fix in (info.value.hint or "")
    assert "datetime.datetime" not in str(info.value)


@pytest.mark.parametrize("field", ["case", "date", "minutes", "observers", "participants"])
def test_a_missing_field_is_named_with_an_example_to_copy(field: str) -> None:
    data = base()
    del data[field]
    with pytest.raises(ManifestError) as info:
        parse_manifest(data, source="m.toml")
    assert f"'{field}' is missing" in str(info.value)
    assert f"{field} = " in (info.value.hint or "") or f"[[{field}]]" in (info.value.hint or "")


def test_manifest_limits_are_named(tmp_path: Path) -> None:
    sample = load_manifest(SAMPLE).to_dict()
    crowd = [{"code": "H1", "role": "hulpverlener"}] + [{"code": f"C{n}", "role": "gezinslid"}
                                                        for n in range(1, MAX_PARTICIPANTS + 1)]
    with pytest.raises(ManifestError, match=f"more than the limit of {MAX_PARTICIPANTS}"):
        parse_manifest({**sample, "participants": crowd})
    far = [{"code": "H100", "role": "hulpverlener"}, {"code": "C1", "role": "moeder"}]
    with pytest.raises(ManifestError, match="the number after H must be 1 to 99") as info:
        parse_manifest({**sample, "participants": far})
    assert "not H<n>" not in info.value.message
    with pytest.raises(ManifestError, match="the number after C must be 1 to 99"):
        parse_manifest({**sample, "participants": [{"code": "H1", "role": "hulpverlener"},
                                                    {"code": "C0", "role": "x"}]})
    nested = tmp_path / "nested.toml"
    nested.write_text("case = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(ManifestError, match="nested too deeply"):
        load_manifest(nested)
    big = tmp_path / "big.toml"
    big.write_bytes(b"# " + b"x" * (MAX_MANIFEST_BYTES + 1))
    with pytest.raises(ManifestError, match="larger than the limit"):
        load_manifest(big)
