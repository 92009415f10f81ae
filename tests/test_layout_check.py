"""Layout files are checked before anything is stored: refused by name, never a traceback, nothing registered."""

from __future__ import annotations

import copy
import json
import math
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from formgen import build_layout
from scan.batch import register_layout_file
from softa.db import case_ids, connect, register_case
from softa.errors import LayoutError, SoftaError
from softa.layout import CaseLayout
from softa.layout_check import (
    MAX_BOX_SIDE_PT,
    MAX_PAGES,
    check_layout_data,
    load_checked_layout,
    read_layout_data,
)
from softa.manifest import Manifest, load_manifest, parse_manifest
from tests.omr_fixtures import MANIFEST, ROOT

#: Mutations of one real layout in the fuzz test (the issue's trial used 364).
FUZZ_MUTATIONS = 400
FUZZ_SEED = 20261202


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    """A short session: a real layout of 25 pages, small enough to check hundreds of times."""
    base = load_manifest(MANIFEST).to_dict()
    return parse_manifest({**base, "minutes": 5, "participants": [{"code": "H1", "role": "hulpverlener"},
                                                                   {"code": "C1", "role": "moeder"}]})


@pytest.fixture(scope="module")
def layout(manifest: Manifest) -> CaseLayout:
    return build_layout(manifest)


@pytest.fixture()
def data(layout: CaseLayout) -> dict[str, Any]:
    return json.loads(layout.dumps())


def _refusal(data: Any) -> str:
    with pytest.raises(LayoutError) as info:
        check_layout_data(data, "test.json")
    assert info.value.exit_code == 3
    return info.value.message


def test_a_real_layout_passes_in_both_schema_versions(data: dict[str, Any]) -> None:
    check_layout_data(data, "v1")
    v2 = copy.deepcopy(data)
    v2["schema"] = "softa-layout/2"
    for page in v2["pages"]:
        page["qr_rects_pt"] = [page["qr_rect_pt"], [10, 10, 60, 60]]
    check_layout_data(v2, "v2")
    del v2["pages"][3]["qr_rects_pt"]
    assert "'pages[3].qr_rects_pt' ontbreekt" in _refusal(v2)


def test_a_case_number_with_a_path_is_refused(data: dict[str, Any]) -> None:
    data["case"] = "x/../../evil"
    assert "veld 'case'" in _refusal(data)


@pytest.mark.parametrize(("where", "value", "words"), [
    (("pages", 2, "boxes", 5, "rect_pt", 1), math.nan, "geen eindig getal"),
    (("pages", 2, "boxes", 5, "rect_pt", 2), math.inf, "geen eindig getal"),
    (("pages", 2, "boxes", 5, "rect_pt"), [10, 10, 10 + MAX_BOX_SIDE_PT * 2, 20], "grootste zijde"),
    (("pages", 2, "regions"), [{"id": "r1", "rect_pt": [0, 0, 22000, 22000], "label": "x", "dimension": "d",
                                "participant": "sessie"}], "buiten de pagina"),
    (("pages", 0, "size_pt"), [22000, 22000], "A6 tot A3"),
    (("pages", 0, "index"), "0", "geen geheel getal"),
    (("pages", 0, "page"), True, "geen geheel getal"),
    (("pages", 1, "boxes", 0, "kind"), "cross", "niet een van"),
    (("pages", 1, "boxes", 0, "id"), "../../etc", "alleen letters"),
    (("pages", 1, "boxes", 0, "group"), {"a": 1}, "geen tekst"),
    (("pages", 1, "marks_pt"), [[1, 1]], "niet 4"),
    (("pages", 1, "qr"), "SOFTA1|2099-001|H|H1|1|1/12", "past niet bij casus"),
    (("pages", 1, "boxes"), "many", "geen lijst"),
    (("layout_version",), 10**400, "buiten"),
])
def test_wrong_fields_are_refused_by_name(data: dict[str, Any], where: tuple[Any, ...], value: Any,
                                          words: str) -> None:
    target: Any = data
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    message = _refusal(data)
    assert words in message
    assert "veld '" in message


def test_duplicate_ids_and_too_many_pages_are_refused(data: dict[str, Any]) -> None:
    twice = copy.deepcopy(data)
    twice["pages"][1]["boxes"][1]["id"] = twice["pages"][1]["boxes"][0]["id"]
    assert "komt twee keer voor" in _refusal(twice)
    data["pages"] = data["pages"] * (MAX_PAGES // len(data["pages"]) + 1)
    assert "grens van" in _refusal(data)


def test_unreadable_files_are_refused_by_name(tmp_path: Path, layout: CaseLayout) -> None:
    cases = {
        "bytes.json": b'{"schema": "softa-layout/1", "case": "\xff\xfe"}',
        "deep.json": b"[" * 200_000 + b"]" * 200_000,
        "digits.json": b'{"case": ' + b"9" * 10_000 + b"}",
        "truncated.json": layout.dumps().encode()[:5000],
        "list.json": b"[1, 2, 3]",
    }
    for name, raw in cases.items():
        path = tmp_path / name
        path.write_bytes(raw)
        with pytest.raises(LayoutError) as info:
            load_checked_layout(path)
        assert str(path) in info.value.message, name
    with pytest.raises(LayoutError, match="bestaat niet"):
        read_layout_data(tmp_path / "missing.json")


def _mutate(rng: random.Random, layout_text: str) -> bytes:
    """One random change to a real layout: a field's value, type or presence, or the bytes themselves."""
    kind = rng.randrange(8)
    if kind == 0:  # bytes: flip, cut, insert garbage
        raw = bytearray(layout_text.encode())
        for _ in range(rng.randint(1, 5)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        return bytes(raw)
    if kind == 1:
        raw = layout_text.encode()
        return raw[: rng.randrange(len(raw))]
    data = json.loads(layout_text)
    node: Any = data
    path: list[Any] = []
    while isinstance(node, dict | list) and node and (not path or rng.random() < 0.8):
        key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
        parent, node = node, node[key]
        path.append((parent, key))
    if not path:
        return b"null"
    parent, key = path[-1]
    replacements: list[Any] = [None, True, -1, 0, 10**30, 1e308, math.nan, math.inf, -math.inf, "", "x" * 5000,
                               "x/../../evil", "\u0000", [], {}, [[[[[]]]]], [1, 2], [0, 0, 22000, 22000],
                               {"nested": [{"deep": [1]}]}, 3.5, "SOFTA9|x|H|H1|1|1/1"]
    if kind == 2 and isinstance(parent, dict):
        del parent[key]
    elif kind == 3 and isinstance(parent, dict):
        parent[f"extra_{rng.randrange(9)}"] = rng.choice(replacements)
    elif kind == 4 and isinstance(parent, list):
        parent.extend(copy.deepcopy(parent[: rng.randint(1, 3)]))
    elif kind == 5 and isinstance(node, int | float) and not isinstance(node, bool):
        parent[key] = node * rng.choice([-1, 0, 1.5, 100, 1e6])
    else:
        parent[key] = rng.choice(replacements)
    return json.dumps(data, allow_nan=True).encode()


def test_fuzzed_layouts_give_no_traceback_and_register_only_when_valid(tmp_path: Path, layout: CaseLayout,
                                                                       manifest: Manifest) -> None:
    rng = random.Random(FUZZ_SEED)
    text = layout.dumps()
    db = tmp_path / "softa.sqlite"
    conn = connect(db)
    refused = accepted = 0
    crashes: list[str] = []
    for n in range(FUZZ_MUTATIONS):
        path = tmp_path / "mutated_layout.json"
        path.write_bytes(_mutate(rng, text))
        try:
            mutated = load_checked_layout(path)
            register_case(conn, manifest, mutated)
            accepted += 1
        except SoftaError:
            refused += 1
        except Exception as exc:  # any other exception is a traceback for the user
            crashes.append(f"mutation {n}: {exc!r}")
        conn.execute("DELETE FROM cases")
    conn.close()
    assert crashes == []
    assert refused + accepted == FUZZ_MUTATIONS
    assert refused > FUZZ_MUTATIONS // 2  # the mutations do reach the checks


def test_scan_with_a_bad_layout_registers_nothing(tmp_path: Path, data: dict[str, Any], layout: CaseLayout) -> None:
    good = tmp_path / "good_layout.json"
    good.write_text(layout.dumps(), encoding="utf-8")
    data["case"] = "x/../../evil"
    bad = tmp_path / "bad_layout.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "page.png").write_bytes(b"not really")
    db = tmp_path / "softa.sqlite"
    proc = subprocess.run([sys.executable, "-c", "from softa.cli import main; main()", "scan", str(tmp_path / "in"),
                           "--db", str(db), "--layout", str(good), "--layout", str(bad), "--quiet"],
                          cwd=ROOT, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120,
                          check=False)
    err = proc.stderr.decode()
    assert proc.returncode == 3, err
    assert "Traceback" not in err and "veld 'case'" in err
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0] == 0  # not even the good one
    conn.close()


def test_register_layout_file_checks_the_file(tmp_path: Path, data: dict[str, Any]) -> None:
    data["pages"][0]["boxes"][0]["rect_pt"] = [0, 0, 1e9, 1e9]
    path = tmp_path / "big_layout.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    conn = connect(tmp_path / "softa.sqlite")
    with pytest.raises(LayoutError, match="buiten de pagina"):
        register_layout_file(conn, path)
    assert case_ids(conn) == []
    conn.close()
