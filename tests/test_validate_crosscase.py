"""The cross-case agreement report: 2x2-table statistics, the case bootstrap, thresholds and files."""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.metrics import cohen_kappa_score
from test_validate_fixtures import case_db  # noqa: F401  (case_db is a fixture)

from softa.cli import main
from validate.agreement import gwet_ac1
from validate.agreement_report import AgreementData
from validate.crosscase import (
    MIN_CASES_FOR_INTERVAL,
    CaseInput,
    ac1_from_tables,
    bootstrap_ac1,
    crosscase_report,
    kappa_from_tables,
    tables_of,
    write_crosscase,
)


def cells(a: int, b: int, c: int, d: int) -> list[tuple[int, int]]:
    return [(1, 1)] * a + [(1, 0)] * b + [(0, 1)] * c + [(0, 0)] * d


def test_table_statistics_equal_the_vector_ones() -> None:
    """AC1 and kappa from 2x2 tables equal Gwet's formula and sklearn on the same cells."""
    rng = np.random.default_rng(1)
    for _ in range(20):
        x = rng.integers(0, 2, 40)
        y = np.where(rng.random(40) < 0.8, x, 1 - x)
        pairs = list(zip(x.tolist(), y.tolist(), strict=True))
        table = tables_of(pairs)
        assert float(ac1_from_tables(table)) == pytest.approx(gwet_ac1(x.tolist(), y.tolist(), (0, 1)))
        if len(set(x) | set(y)) > 1:
            assert float(kappa_from_tables(table)) == pytest.approx(cohen_kappa_score(x, y, labels=[0, 1]))
    # the textbook table a=20, b=5, c=10, d=15: kappa 0.40; AC1 0.205 / 0.505
    table = tables_of(cells(20, 5, 10, 15))
    assert float(kappa_from_tables(table)) == pytest.approx(0.40)
    assert float(ac1_from_tables(table)) == pytest.approx(0.205 / 0.505)


def test_bootstrap_resamples_cases() -> None:
    few = np.array([tables_of(cells(2, 1, 1, 20))] * (MIN_CASES_FOR_INTERVAL - 1))
    assert bootstrap_ac1(few) is None  # too few cases for an interval
    varied = np.array([tables_of(cells(k % 4, k % 3, 1, 20)) for k in range(8)])
    ci = bootstrap_ac1(varied)
    assert ci is not None and ci == bootstrap_ac1(varied)  # fixed seed: the same data, the same interval
    pooled = float(ac1_from_tables(varied.sum(axis=0)))
    assert ci[0] < pooled < ci[1]
    same = np.array([tables_of(cells(2, 1, 1, 20))] * 8)
    low, high = bootstrap_ac1(same) or (0.0, 0.0)
    assert low == pytest.approx(high)  # identical cases: no spread between cases


def _case(n: int, pair: tuple[str, str], good: bool) -> CaseInput:
    item1 = cells(3, 0, 0, 9) if good else cells(0, 4, 4, 4)
    ticks = {("C1", "client", "betrokkenheid", 1): item1, ("C1", "client", "betrokkenheid", 2): cells(2, 0, 0, 10),
             ("H1", "therapist", "veiligheid", 4): cells(1, 0, 1, 10)}
    ratings = {("H1", "betrokkenheid"): (1, 1), ("C1", "betrokkenheid"): (0, 1 if good else -2)}
    return CaseInput(dt.date(2026, 1, n + 1), pair,
                     AgreementData(f"2026-{n:03d}", ticks, ratings, {}, workers=frozenset({"H1"})))


def test_report_per_item_pair_and_time(tmp_path: Path) -> None:
    """Items below the threshold are marked; pairs are named; cases follow their dates."""
    cases = [_case(n, ("Bram", "Anna") if n % 2 else ("Cor", "Dina"), good=n % 2 == 0) for n in range(6)]
    report = crosscase_report(cases, threshold=0.6)
    items = {r.label: r for r in report.items}
    assert set(items) == {"cliëntversie · Betrokkenheid · item 1", "cliëntversie · Betrokkenheid · item 2",
                          "hulpverlenersversie · Veiligheid · item 4"}
    weak = items["cliëntversie · Betrokkenheid · item 1"]
    assert weak.cases == 6 and weak.cells == 6 * 12 and weak.below
    assert weak.ac1_ci is not None and weak.ac1_ci[0] < (weak.ac1 or 0) < weak.ac1_ci[1]
    assert items["cliëntversie · Betrokkenheid · item 2"].below is False
    pairs = {row.label: (row, summary) for row, summary in report.pairs}
    anna_bram, summary = pairs["Anna & Bram · cliëntversie"]
    assert anna_bram.below and anna_bram.cases == 3 and anna_bram.ac1_ci is None  # 3 cases: no interval
    assert not pairs["Cor & Dina · cliëntversie"][0].below
    assert "hulpverlener: binnen 1 punt 100% (n=3, indicatief)" in summary
    assert [d for d, _pair, _row in report.over_time] == sorted(d for d, _pair, _row in report.over_time)
    files = write_crosscase(report, tmp_path)
    assert {f.name for f in files} == {"overeenstemming_items.csv", "overeenstemming_paren.csv",
                                       "overeenstemming_tijd.csv", "overeenstemming_items.png",
                                       "overeenstemming_tijd.png"}
    with (tmp_path / "overeenstemming_items.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    marked = {r["groep"] for r in rows if r["onder_drempel"] == "ja"}
    assert marked == {"cliëntversie · Betrokkenheid · item 1"}
    assert all(r["n_cellen"] and r["casussen"] for r in rows)


def test_cli_writes_the_agreement_report(case_db: sqlite3.Connection, tmp_path: Path) -> None:  # noqa: F811
    db = case_db.execute("PRAGMA database_list").fetchone()["file"]
    out = tmp_path / "rapport"
    result = CliRunner().invoke(main, ["validate", "--db", db, "--agreement-report", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Overeenstemmingsrapport" in result.output
    with (out / "overeenstemming_paren.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["groep"].startswith("Anna de Vries & Bram Jansen") for r in rows)
