"""The research dataset: tidy CSVs, wide files, SPSS .sav, audit file; round trip against the truth."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner

from export.dataset import write_dataset
from export.spss import valid_spss_name
from softa.cli import main
from softa.db import audit, transaction
from softa.errors import UnresolvedDataError
from softa.instrument import load_instrument
from tests.stored_case import StoredCase, stored_case

#: PSPP reads a small .sav in well under a second; this only guards against a hang.
PSPP_TIMEOUT_S = 60

BIN_SECONDS = 30


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> StoredCase:
    stored = stored_case(tmp_path_factory.mktemp("db") / "softa.sqlite", seed=5)
    box = "2:C1:betrokkenheid:i02:w03"
    with transaction(stored.conn):
        stored.conn.execute("UPDATE box_values SET checked = 1 - checked, reviewer = 'tester' WHERE box_id = ?",
                            (box,))
        audit(stored.conn, actor="tester", action="box.set", case_id=stored.manifest.case, target=box,
              old=stored.truth.boxes[box], new=1 - stored.truth.boxes[box], note="vinkje was doorgestreept")
    stored.truth.boxes[box] = 1 - stored.truth.boxes[box]
    return stored


@pytest.fixture(scope="module")
def dataset(case: StoredCase, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dataset")
    write_dataset(case.conn, out)
    return out


def test_ticks_csv_equals_truth(case: StoredCase, dataset: Path) -> None:
    ticks = pd.read_csv(dataset / "ticks.csv", dtype={"case": str, "slot": str})
    assert list(ticks.columns) == ["case", "participant", "slot", "dimension", "item", "window", "value"]
    got = {f"{r.slot}:{r.participant}:{r.dimension}:i{r.item:02d}:w{r.window:02d}": r.value
           for r in ticks.itertuples()}
    expected = {b.id: case.truth.boxes[b.id] for b in case.layout.boxes() if b.kind == "tick"}
    assert got == expected
    assert set(ticks["case"]) == {case.manifest.case}


def test_ratings_and_speaking_time_csv(case: StoredCase, dataset: Path) -> None:
    ratings = pd.read_csv(dataset / "ratings.csv", dtype={"case": str, "slot": str})
    assert list(ratings.columns) == ["case", "participant", "slot", "dimension", "value"]
    got = {(r.participant, r.slot, r.dimension): r.value for r in ratings.itertuples()}
    expected = {(b.participant, b.slot or "zelf", b.dimension): b.value for b in case.layout.boxes()
                if b.kind == "rating" and case.truth.boxes[b.id]}
    assert got == expected
    assert ("H1", "zelf", "spreektijd_balans") in got  # Dutch slot name, not "self"
    speaking = pd.read_csv(dataset / "speaking_time.csv", dtype={"case": str, "slot": str})
    assert list(speaking.columns) == ["case", "participant", "slot", "bin", "value"]
    got_bins = {f"{r.slot}:{r.participant}:spreektijd:b{r.bin:03d}": r.value for r in speaking.itertuples()}
    assert got_bins == {b.id: case.truth.boxes[b.id] for b in case.layout.boxes() if b.kind == "timeline"}


def test_wide_files_and_sav_agree_with_truth(case: StoredCase, dataset: Path) -> None:
    frame, _meta = pyreadstat.read_sav(str(dataset / "wide_client.sav"), user_missing=True)
    csv = pd.read_csv(dataset / "wide_client.csv", dtype={"case": str, "slot": str})
    assert list(frame.columns) == list(csv.columns)
    assert len(frame) == len(case.manifest.clients) * 3
    for row in frame.itertuples(index=False):
        record = row._asdict()
        slot, code = record["slot"], record["participant"]
        for w in range(1, case.manifest.windows + 1):
            assert record[f"veil_i04_w{w:02d}"] == case.truth.boxes[f"{slot}:{code}:veiligheid:i04:w{w:02d}"]
        bins = [case.truth.boxes[f"{slot}:{code}:spreektijd:b{b:03d}"] for b in range(1, case.manifest.bins + 1)]
        assert record["spreek_sec"] == sum(bins) * BIN_SECONDS
        rating = next(b.value for b in case.layout.boxes() if b.kind == "rating" and b.participant == code
                      and b.slot == slot and b.dimension == "betrokkenheid" and case.truth.boxes[b.id])
        assert record["betr_rating"] == rating
    pd.testing.assert_series_equal(frame["betr_rating"].astype(float), csv["betr_rating"].astype(float),
                                   check_names=False)


def test_sav_metadata(dataset: Path) -> None:
    inst = load_instrument()
    _frame, meta = pyreadstat.read_sav(str(dataset / "wide_hulpverlener.sav"), metadataonly=True,
                                      user_missing=True)
    assert all(valid_spss_name(n) for n in meta.column_names)
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert "Betrokkenheid" in labels["betr_rating"]
    rating_labels = meta.variable_value_labels["betr_rating"]
    assert rating_labels[-3.0].endswith(inst.scale_labels[0]) and rating_labels[3.0].endswith(inst.scale_labels[-1])
    assert -9.0 not in rating_labels  # missing is system-missing, no code
    assert meta.variable_measure["betr_rating"] == "ordinal"
    assert meta.variable_measure["betr_i01_w01"] == "nominal"
    assert meta.variable_measure["spreek_sec"] == "scale"
    assert not meta.missing_ranges
    assert meta.variable_value_labels["balans_zelf_rating"][0.0] == "geen balans"
    formats = meta.original_variable_types
    assert formats["betr_i01_w01"] == "F1.0" and formats["betr_rating"] == "F2.0"
    assert formats["spreek_sec"] == "F5.0" and formats["case"].startswith("A")
    # one name per meaning: the worker's own taalgebruik is not the observers' taal_rating (wide_sessie)
    assert "taal_zelf_rating" in meta.column_names and "taal_rating" not in meta.column_names
    # the header's creation stamp is fixed, so the bytes do not depend on the time of export
    assert (dataset / "wide_hulpverlener.sav").read_bytes()[92:109] == b"01 Jan 0000:00:00"


def test_spss_names() -> None:
    assert valid_spss_name("betr_i01_w01")
    for bad in ("1abc", "a b", "x" * 65, "with", "gdp-rating", "é" * 40):
        assert not valid_spss_name(bad), bad


def test_audit_lists_the_change(dataset: Path) -> None:
    rows = pd.read_csv(dataset / "audit.csv", dtype=str)
    assert list(rows.columns) == ["case", "when", "who", "action", "target", "from", "to", "note"]
    row = rows[rows["target"] == "2:C1:betrokkenheid:i02:w03"].iloc[0]
    assert row["who"] == "tester" and row["note"] == "vinkje was doorgestreept"
    assert {row["from"], row["to"]} == {"0", "1"}
    assert row["when"].startswith("20")


def test_dataset_is_deterministic(case: StoredCase, dataset: Path, tmp_path: Path) -> None:
    again = write_dataset(case.conn, tmp_path)
    for path in again.files:
        assert path.read_bytes() == (dataset / path.name).read_bytes(), path.name


def test_unresolved_dataset(tmp_path: Path) -> None:
    case = stored_case(tmp_path / "softa.sqlite", seed=6)
    flagged = "1:H1:emotionele_band:i02:w05"
    with transaction(case.conn):
        case.conn.execute("UPDATE box_values SET status = 'flagged' WHERE box_id = ?", (flagged,))
    with pytest.raises(UnresolvedDataError, match="emotionele_band"):
        write_dataset(case.conn, tmp_path / "refused")
    result = CliRunner().invoke(main, ["export", "--dataset", str(tmp_path / "ds"), "--allow-unresolved",
                                       "--db", str(case.db_path)])
    assert result.exit_code == 0, result.output
    ticks = pd.read_csv(tmp_path / "ds" / "ticks.csv", dtype={"slot": str})
    cell = ticks[(ticks.slot == "1") & (ticks.participant == "H1") & (ticks.dimension == "emotionele_band")
                 & (ticks["item"] == 2) & (ticks.window == 5)]
    assert cell["value"].isna().all() and len(cell) == 1
    assert ticks["value"].notna().sum() == len(ticks) - 1
    wide, _meta = pyreadstat.read_sav(str(tmp_path / "ds" / "wide_hulpverlener.sav"), user_missing=True)
    assert wide.loc[wide.slot == "1", "band_i02_w05"].isna().all()  # the same empty missing as the CSV
    assert wide.loc[wide.slot == "1", "band_i02_tot"].isna().all()
    wide_csv = (tmp_path / "ds" / "wide_hulpverlener.csv").read_text(encoding="utf-8")
    assert "-9" not in wide_csv
    unresolved = pd.read_csv(tmp_path / "ds" / "unresolved.csv")
    assert flagged in " ".join(unresolved["message"])


def test_audit_of_real_review_decisions_is_readable(tmp_path: Path) -> None:
    """What `softa review` stores (a box decision, a rating, a transcription) reads as from/to values."""
    from export.audit import audit_rows
    from review.decisions import decide_box, decide_rating, rating_rows, rating_token, transcribe

    case = stored_case(tmp_path / "softa.sqlite", seed=6)
    conn, cid = case.conn, case.manifest.case
    box = "1:C2:veiligheid:i03:w02"
    version = conn.execute("SELECT version FROM box_values WHERE box_id = ?", (box,)).fetchone()[0]
    decide_box(conn, cid, box, not case.truth.boxes[box], version, "reviewer A")
    group = "consensus:C1:betrokkenheid:rating"
    decide_rating(conn, cid, group, -2, rating_token(rating_rows(conn, cid, group)), "reviewer A")
    region = "1:sessie:taalgebruik:toelichting"
    version = conn.execute("SELECT version FROM region_values WHERE region_id = ?", (region,)).fetchone()[0]
    transcribe(conn, cid, region, "Sluit aan bij de taal van moeder.", version, "reviewer A")
    rows = {r[4]: r for r in audit_rows(conn)}
    old, new = str(case.truth.boxes[box]), str(1 - case.truth.boxes[box])
    assert rows[box][5:7] == (f"{old} (reviewed)", f"{new} (reviewed)")
    truth = next(b.value for b in case.layout.boxes() if b.group == group and case.truth.boxes[b.id])
    assert rows[group][5].startswith(f"{truth} (") and rows[group][6] == "-2 (reviewed)"
    assert rows[region][6] == "Sluit aan bij de taal van moeder." and rows[region][2] == "reviewer A"


@pytest.mark.skipif(shutil.which("pspp") is None, reason="PSPP is not installed")
def test_pspp_reads_the_formats(dataset: Path, tmp_path: Path) -> None:
    """PSPP (a real SPSS reader) sees F1.0 ticks, F2.0 ratings and the Dutch slot 'zelf'."""
    syntax = tmp_path / "check.sps"
    syntax.write_text(f"GET FILE='{dataset / 'wide_hulpverlener.sav'}'.\n"
                      "DISPLAY VARIABLES=betr_i01_w01 betr_rating taal_zelf_rating spreek_sec.\n"
                      "FREQUENCIES VARIABLES=slot.\n", encoding="utf-8")
    out = subprocess.run(["pspp", "-O", "format=txt", str(syntax)], capture_output=True, text=True, check=True,
                         timeout=PSPP_TIMEOUT_S).stdout
    rows = {line.split("|")[1].strip(): line for line in out.splitlines() if line.count("|") > 3}
    assert "|F1.0" in rows["betr_i01_w01"] and "|F2.0" in rows["betr_rating"]
    assert "|F2.0" in rows["taal_zelf_rating"] and "|F5.0" in rows["spreek_sec"]
    assert "zelf" in out and "self" not in out
