"""Step 13 xlsx files: names, round trip against the simulated truth, determinism, unresolved data."""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from export.names import step13_filenames, student_name, student_names
from export.step13 import write_step13
from softa.cli import main
from softa.db import transaction
from softa.errors import UnresolvedDataError
from softa.instrument import FAMILY, SESSION, TAALGEBRUIK, load_instrument
from tests.stored_case import StoredCase, stored_case

BIN_SECONDS = 30


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> StoredCase:
    return stored_case(tmp_path_factory.mktemp("db") / "softa.sqlite", seed=3)


@pytest.fixture(scope="module")
def exported(case: StoredCase, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("xlsx")
    result = write_step13(case.conn, case.manifest.case, out)
    return {form: out / name for form, name in step13_filenames(case.manifest).items()} | {"_all": out} \
        if len(result.files) == 3 else {}


def truth_ratings(case: StoredCase) -> dict[tuple[str, str, str], int]:
    """(participant, slot or 'self', dimension) -> the rating ticked in the truth."""
    out = {}
    for box in case.layout.boxes():
        if box.kind == "rating" and case.truth.boxes[box.id]:
            out[(box.participant, box.slot or "self", box.dimension)] = box.value
    return out


def test_student_names_follow_the_manual() -> None:
    assert student_names(("Anna de Vries", "Bram Jansen")) == "AnnaDeVries_BramJansen"
    assert student_name("Élise van der Berg-Smit") == "ÉliseVanDerBergSmit"
    assert student_name("  jan-willem  o'brien ") == "JanWillemOBrien"
    assert student_name("Zoë d'Ancona") == "ZoëDAncona"


def test_three_files_named_exactly(exported: dict[str, Path]) -> None:
    names = sorted(p.name for p in exported["_all"].iterdir())
    assert names == sorted([
        "20261120_SWAG_2024-017_SOFTA_hulpverlener_AnnaDeVries_BramJansen.xlsx",
        "20261120_SWAG_2024-017_SOFTA_client_AnnaDeVries_BramJansen.xlsx",
        "20261120_SWAG_2024-017_gedragsdimensies_AnnaDeVries_BramJansen.xlsx",
    ])


def test_names_with_accents_in_the_file_name(tmp_path: Path) -> None:
    case = stored_case(tmp_path / "softa.sqlite", seed=1)
    manifest = dataclasses.replace(case.manifest, observers=("Élise van der Berg-Smit", "Bram Jansen"))
    assert step13_filenames(manifest)["client"] == \
        "20261120_SWAG_2024-017_SOFTA_client_ÉliseVanDerBergSmit_BramJansen.xlsx"


def test_tick_grids_equal_the_truth(case: StoredCase, exported: dict[str, Path]) -> None:
    inst = load_instrument()
    names = {d.name: d.key for d in inst.dimensions}
    windows = case.manifest.windows
    checked = 0
    for form in ("hulpverlener", "client"):
        wb = openpyxl.load_workbook(exported[form])
        for who in (case.manifest.workers if form == "hulpverlener" else case.manifest.clients):
            for slot, label in (("1", "Observator 1"), ("2", "Observator 2"), ("consensus", "Consensus")):
                ws = wb[f"{who.code} {label}"]
                for row in ws.iter_rows(min_row=1, values_only=True):
                    if row[0] not in names or not isinstance(row[1], int):
                        continue
                    dim = names[row[0]]
                    cells = row[4:4 + windows]
                    expected = [case.truth.boxes[f"{slot}:{who.code}:{dim}:i{row[1]:02d}:w{w:02d}"]
                                for w in range(1, windows + 1)]
                    assert list(cells) == expected, (who.code, slot, dim, row[1])
                    assert row[4 + windows] == sum(expected)
                    checked += 1
    items = sum(len(inst.items_of("therapist", d.key)) for d in inst.dimensions) * 3 * len(case.manifest.workers) + \
        sum(len(inst.items_of("client", d.key)) for d in inst.dimensions) * 3 * len(case.manifest.clients)
    assert checked == items


def test_ratings_equal_the_truth(case: StoredCase, exported: dict[str, Path]) -> None:
    truth = truth_ratings(case)
    inst = load_instrument()
    names = {d.name: d.key for d in inst.dimensions}
    slots = {"Observator 1": "1", "Observator 2": "2", "Consensus": "consensus"}
    seen = {}
    for form in ("hulpverlener", "client"):
        ws = openpyxl.load_workbook(exported[form])["Beoordelingen"]
        for code, _role, slot, dim, value, label in ws.iter_rows(min_row=2, values_only=True):
            seen[(code, slots[slot], names[dim])] = value
            assert label == inst.scale_label(value)
    expected = {k: v for k, v in truth.items() if k[1] != "self" and k[0] != SESSION}
    assert seen == expected
    wb = openpyxl.load_workbook(exported["gedragsdimensies"])
    taal = {r[0]: r[1] for r in wb["Taalgebruik"].iter_rows(min_row=5, values_only=True) if r[0]}
    assert taal == {label: truth[(SESSION, slot, TAALGEBRUIK)] for label, slot in slots.items()}
    gezin = openpyxl.load_workbook(exported["client"])["Gezin"]
    family = {r[0]: r[1] for r in gezin.iter_rows(min_row=5, values_only=True) if r[0]}
    assert family == {label: truth[(FAMILY, slot, "gezamenlijke_doelperceptie")] for label, slot in slots.items()}
    selfs = {(r[0], r[1]): r[2] for r in wb["Zelfbeoordeling"].iter_rows(min_row=2, values_only=True)}
    assert sorted(selfs.values()) == sorted(v for k, v in truth.items() if k[1] == "self")


def test_speaking_time_cells_and_totals(case: StoredCase, exported: dict[str, Path]) -> None:
    wb = openpyxl.load_workbook(exported["gedragsdimensies"])
    bins = case.manifest.bins
    for slot, label in (("1", "Observator 1"), ("consensus", "Consensus")):
        ws = wb[f"Spreektijd {label}"]
        header = [c.value for c in ws[3]]
        assert header[2] == "0:00" and header[3] == "0:30"
        for row in ws.iter_rows(min_row=4, values_only=True):
            code = row[0]
            expected = [case.truth.boxes[f"{slot}:{code}:spreektijd:b{b:03d}"] for b in range(1, bins + 1)]
            assert list(row[2:2 + bins]) == expected
            seconds = sum(expected) * BIN_SECONDS
            assert row[2 + bins] == seconds
            assert row[3 + bins] == f"{seconds // 60}:{seconds % 60:02d}"
            assert row[4 + bins] == pytest.approx(100 * seconds / (case.manifest.minutes * 60), abs=0.05)
        assert ws.freeze_panes == "C4"
        speaking = ws.cell(row=4, column=2 + next(i for i, v in enumerate(expected, start=1) if v))
        assert speaking.fill.fgColor.rgb.endswith("5B9BD5")


def test_texts_transcribed(case: StoredCase, exported: dict[str, Path]) -> None:
    ws = openpyxl.load_workbook(exported["gedragsdimensies"])["Toelichting en momenten"]
    texts = [r[2] for r in ws.iter_rows(min_row=2, values_only=True)]
    for region_id, text in case.truth.texts.items():
        if text:
            assert text in texts, region_id


def test_every_sheet_has_codebook_entries(exported: dict[str, Path]) -> None:
    for form in ("hulpverlener", "client", "gedragsdimensies"):
        wb = openpyxl.load_workbook(exported[form])
        assert "Codeboek" in wb.sheetnames
        described = {r[0] for r in wb["Codeboek"].iter_rows(min_row=4, values_only=True)}
        for name in wb.sheetnames:
            if name == "Codeboek":
                continue
            generic = "Spreektijd <observator>" if name.startswith("Spreektijd") else "<deelnemer> <observator>"
            assert name in described or generic in described, (form, name)


def test_same_database_same_bytes(case: StoredCase, exported: dict[str, Path], tmp_path: Path) -> None:
    again = write_step13(case.conn, case.manifest.case, tmp_path)
    for path in again.files:
        assert path.read_bytes() == (exported["_all"] / path.name).read_bytes(), path.name
        # not only equal within one second: no clock time is left in the file at all
        with zipfile.ZipFile(path) as archive:
            assert {info.date_time for info in archive.infolist()} == {(2000, 1, 1, 0, 0, 0)}
            core = archive.read("docProps/core.xml").decode()
        assert core.count("2000-01-01T00:00:00Z") == 2


def test_unresolved_refused_then_allowed(tmp_path: Path) -> None:
    case = stored_case(tmp_path / "softa.sqlite", seed=2)
    flagged = "consensus:C2:veiligheid:i03:w04"
    with transaction(case.conn):
        case.conn.execute("UPDATE box_values SET status = 'flagged' WHERE case_id = ? AND box_id = ?",
                          (case.manifest.case, flagged))
    with pytest.raises(UnresolvedDataError) as err:
        write_step13(case.conn, case.manifest.case, tmp_path / "out")
    assert flagged in str(err.value) and "--allow-unresolved" in str(err.value)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    runner = CliRunner()
    args = ["export", "--case", case.manifest.case, "--out", str(tmp_path / "out"), "--db", str(case.db_path)]
    refused = runner.invoke(main, args)
    assert refused.exit_code == UnresolvedDataError.exit_code
    allowed = runner.invoke(main, [*args, "--allow-unresolved"])
    assert allowed.exit_code == 0, allowed.output
    wb = openpyxl.load_workbook(tmp_path / "out" / step13_filenames(case.manifest)["client"])
    assert wb.sheetnames[0] == "Let op"
    notes = " ".join(str(r[0]) for r in wb["Let op"].iter_rows(values_only=True) if r[0])
    assert "onzeker" in notes or flagged in notes
    ws = wb["C2 Consensus"]
    row = next(r for r in ws.iter_rows(values_only=True) if r[0] == "Veiligheid" and r[1] == 3)
    assert row[4 + 3] == "?"
    assert row[4 + case.manifest.windows] == "?"  # the item total is unknown too


def test_untranscribed_moment_is_embedded_as_image(tmp_path: Path) -> None:
    from PIL import Image

    from softa.db import data_dir

    case = stored_case(tmp_path / "softa.sqlite", seed=8)
    crops = data_dir(case.db_path) / "crops"
    crops.mkdir(parents=True)
    Image.new("L", (1200, 300), 200).save(crops / "m1.png")
    region = "1:sessie:opvallende_momenten:moment_1"
    with transaction(case.conn):
        case.conn.execute("UPDATE region_values SET status = 'pending', transcription = NULL, "
                          "image_path = 'crops/m1.png' WHERE region_id = ?", (region,))
    first = write_step13(case.conn, case.manifest.case, tmp_path / "a")
    second = write_step13(case.conn, case.manifest.case, tmp_path / "b")
    behaviour = first.files[2]
    assert behaviour.read_bytes() == second.files[2].read_bytes()
    ws = openpyxl.load_workbook(behaviour)["Toelichting en momenten"]
    assert len(ws._images) == 1
    texts = [r[2] for r in ws.iter_rows(min_row=2, values_only=True) if r[2]]
    assert any("afbeelding" in str(t) for t in texts)
    # the same text was written in all three slots; observer 1's is now the image
    assert texts.count(case.truth.texts[region]) == 2


#: Sheets with a plain header row (sheet -> header row number); grid and timeline sheets are generic.
HEADER_ROWS = {"Beoordelingen": 1, "Overeenstemming": 1, "Zelfbeoordeling": 1, "Toelichting en momenten": 1,
               "Taalgebruik": 4, "Gezin": 4}


def test_codebook_explains_every_column(exported: dict[str, Path]) -> None:
    for form in ("hulpverlener", "client", "gedragsdimensies"):
        wb = openpyxl.load_workbook(exported[form])
        described = {(r[0], r[1]) for r in wb["Codeboek"].iter_rows(min_row=4, values_only=True)}
        for name, header_row in HEADER_ROWS.items():
            if name not in wb.sheetnames:
                continue
            for column in (c.value for c in wb[name][header_row] if c.value is not None):
                assert (name, column) in described, (form, name, column)
        for name in wb.sheetnames:
            if name.startswith("Spreektijd"):
                header = [c.value for c in wb[name][3]]
                for column in header[:2] + header[-3:]:
                    assert ("Spreektijd <observator>", column) in described, (form, column)


def test_agreement_sheet_explains_in_dutch(exported: dict[str, Path]) -> None:
    ws = openpyxl.load_workbook(exported["client"])["Overeenstemming"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert rows
    for group, _measure, _who, dimension, _item, _form, _name, value, _ci, n, indicative, explained, method in rows:
        assert group and explained and method and isinstance(n, int)  # every figure has its group, n and method
        assert "undefined" not in explained and "share of" not in explained  # Dutch, not validate's notes
        assert "alle" not in (group, dimension)
        if value is None:
            assert explained.startswith("Niet te berekenen: ")
        assert (indicative == "indicatief") == (n < 30), (group, n)
        assert dimension in {"Betrokkenheid", "Emotionele band", "Veiligheid", "Gezamenlijke doelperceptie",
                             "Overeenstemming in taalgebruik", "Verdeling spreektijd", "-"}, dimension
    groups = {r[0] for r in rows}
    assert {"Gezamenlijke doelperceptie van het gezin", "Beoordelingen van een cliënt"} <= groups
    assert any(r[8] for r in rows) or not any(r[6] == "ICC(A,1)" and r[7] is not None for r in rows)
    assert any(r[7] is None for r in rows)  # some figures are undefined in a single case (e.g. taalgebruik)
