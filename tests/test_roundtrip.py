"""The whole path on paper-like input: simulated truth -> forms -> filled, degraded scans ->
`softa scan` -> a reviewer settles every flag from the paper -> `softa export` files equal the truth."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner

from formgen import generate_pack
from review.decisions import decide_box, decide_rating, rating_rows, rating_token, transcribe
from samples.simulate import OFFICE, simulate_batch
from samples.truth import CodingTruth, simulate_coding
from scan.batch import run_scan
from softa.cli import main
from softa.db import connect, register_case
from softa.manifest import Manifest, Participant

REVIEWER = "Lotte"
TICK_BOX = re.compile(r":i\d+:w\d+$")
RATING_BOX = re.compile(r":v[+-]\d+$")


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest, CodingTruth, Path]:
    """A short session scanned from office-scanner PDFs, every flag settled as a person would."""
    root = tmp_path_factory.mktemp("roundtrip")
    manifest = Manifest(case="2025-007", date=dt.date(2026, 11, 24), minutes=10,
                        observers=("Anna de Vries", "Bram Jansen"),
                        participants=(Participant("H1", "hulpverlener"), Participant("C1", "moeder"),
                                      Participant("C2", "zoon (15)")))
    pack = generate_pack(manifest, root / "forms")
    truth = simulate_coding(manifest, pack.layout, seed=11)
    batch = simulate_batch(pack.pack_pdf, pack.layout, truth, root / "scans", seed=11, profile=OFFICE,
                           blank_pages=1, foreign_pages=0, files=2)
    db = root / "softa.sqlite"
    conn = connect(db)
    register_case(conn, manifest, pack.layout)
    summary = run_scan(db, [root / "scans"], progress=False)
    assert sum(f.identified for f in summary.files) == len(pack.layout.pages)

    # The reviewer looks at the paper: flagged boxes and rating rows get their true value.
    flagged = conn.execute("SELECT box_id, version FROM box_values WHERE case_id = ? AND status = 'flagged'",
                           (manifest.case,)).fetchall()
    groups = {b.id: b.group for b in pack.layout.boxes() if b.kind == "rating"}
    for box_id, version in flagged:
        if box_id in groups:
            rows = rating_rows(conn, manifest.case, groups[box_id])
            if any(r["status"] == "reviewed" for r in rows):
                continue
            value = next(r["value"] for r in rows if truth.boxes[r["box_id"]])
            decide_rating(conn, manifest.case, groups[box_id], value, rating_token(rows), REVIEWER)
        else:
            decide_box(conn, manifest.case, box_id, bool(truth.boxes[box_id]), version, REVIEWER)
    for region_id, version in conn.execute("SELECT region_id, version FROM region_values WHERE case_id = ?",
                                           (manifest.case,)).fetchall():
        transcribe(conn, manifest.case, region_id, truth.texts[region_id], version, REVIEWER)
    conn.close()
    assert json.loads(batch.truth_json.read_text(encoding="utf-8"))["boxes"][manifest.case] == truth.boxes
    return db, manifest, truth, root


def test_every_stored_value_equals_the_truth(scanned) -> None:
    db, manifest, truth, _ = scanned
    conn = connect(db, create=False)
    stored = dict(conn.execute("SELECT box_id, checked FROM box_values WHERE case_id = ?", (manifest.case,)))
    assert stored == truth.boxes
    assert not conn.execute("SELECT COUNT(*) FROM box_values WHERE status = 'flagged'").fetchone()[0]


def test_exported_files_equal_the_truth(scanned) -> None:
    db, manifest, truth, root = scanned
    out = root / "export"
    for args in (["export", "--case", manifest.case, "--out", str(out)], ["export", "--dataset", str(out / "data")]):
        result = CliRunner().invoke(main, [*args, "--db", str(db)])
        assert result.exit_code == 0, result.output  # nothing unresolved: no --allow-unresolved needed

    ticks = pd.read_csv(out / "data" / "ticks.csv", dtype={"case": str, "slot": str})
    got = {f"{r.slot}:{r.participant}:{r.dimension}:i{r.item:02d}:w{r.window:02d}": r.value for r in ticks.itertuples()}
    assert got == {k: v for k, v in truth.boxes.items() if TICK_BOX.search(k)}
    ratings = pd.read_csv(out / "data" / "ratings.csv", dtype={"case": str, "slot": str})
    # the dataset names the self-assessment slot in Dutch ("zelf"); layout box ids keep "self"
    got_ratings = {f"{'self' if r.slot == 'zelf' else r.slot}:{r.participant}:{r.dimension}:v{r.value:+d}"
                   for r in ratings.itertuples()}
    assert got_ratings == {k for k, v in truth.boxes.items() if RATING_BOX.search(k) and v}
    speaking = pd.read_csv(out / "data" / "speaking_time.csv", dtype={"case": str, "slot": str})
    got_bins = {f"{r.slot}:{r.participant}:spreektijd:b{r.bin:03d}": r.value for r in speaking.itertuples()}
    assert got_bins == {k: v for k, v in truth.boxes.items() if ":spreektijd:b" in k}

    frame, _ = pyreadstat.read_sav(str(out / "data" / "wide_client.sav"))
    for row in frame.itertuples(index=False):
        record = row._asdict()
        for w in range(1, manifest.windows + 1):
            box = f"{record['slot']}:{record['participant']}:veiligheid:i03:w{w:02d}"
            assert record[f"veil_i03_w{w:02d}"] == truth.boxes[box]

    client_xlsx = next(out.glob("20261124_SWAG_2025-007_SOFTA_client_AnnaDeVries_BramJansen.xlsx"))
    sheet = openpyxl.load_workbook(client_xlsx)["C2 Consensus"]
    rows = [r for r in sheet.iter_rows(values_only=True) if r[0] == "Veiligheid" and isinstance(r[1], int)]
    assert len(rows) == 12
    for row in rows:
        expected = [truth.boxes[f"consensus:C2:veiligheid:i{row[1]:02d}:w{w:02d}"] for w in (1, 2)]
        assert list(row[4:6]) == expected
