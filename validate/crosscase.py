"""Cross-case agreement for the research group: per observer pair, per item and over time.

Ticks are summarised by 2x2 tables (a = both ticked, b = observer 1 only,
c = observer 2 only, d = both empty) per case, so pooling cases is adding
tables and the 95 % interval comes from resampling *cases* (a cluster
bootstrap: cells within a case are not independent). Below
``MIN_CASES_FOR_INTERVAL`` cases no interval is given. Each row says whether
its figure falls below the chosen threshold.

Files (``write_crosscase``): ``overeenstemming_items.csv``,
``overeenstemming_paren.csv``, ``overeenstemming_tijd.csv`` and two charts
(``overeenstemming_items.png``, ``overeenstemming_tijd.png``).
"""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from validate.agreement import INDICATIVE_BELOW_N, rating_agreement
from validate.agreement_report import VERSION_LABELS, AgreementData, collect_pairs, rating_group
from validate.casedata import CaseData
from validate.wording import dimension_label

#: Resamples of the case bootstrap and its fixed seed (the same data give the same interval).
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20261202
#: Fewer cases than this give no interval: resampling two or three cases says nothing.
MIN_CASES_FOR_INTERVAL = 5
#: Percentiles of the 95 % interval.
CI_PERCENTILES = (2.5, 97.5)
#: Default threshold for Gwet's AC1 and kappa: the lower bound of Landis & Koch's "substantial" (0.61-0.80).
DEFAULT_THRESHOLD = 0.60
#: Chart size in inches (A4 width minus margins) and height per bar.
CHART_WIDTH_IN = 6.7
BAR_HEIGHT_IN = 0.16

Table = np.ndarray  # shape (..., 4): a, b, c, d


@dataclass(frozen=True)
class CaseInput:
    """One case for the cross-case report: its date, the observer pair and its agreement pairs."""

    date: dt.date
    observers: tuple[str, str]
    pairs: AgreementData

    @property
    def pair_label(self) -> str:
        return " & ".join(sorted(self.observers))


def tables_of(pairs: Sequence[tuple[int, int]]) -> Table:
    """The 2x2 table (a, b, c, d) of (observer 1, observer 2) cells."""
    x = np.array([p[0] for p in pairs], dtype=int)
    y = np.array([p[1] for p in pairs], dtype=int)
    return np.array([np.sum(x & y), np.sum(x & (1 - y)), np.sum((1 - x) & y), np.sum((1 - x) & (1 - y))],
                    dtype=float)


def ac1_from_tables(t: Table) -> np.ndarray:
    """Gwet's AC1 of 2x2 tables (last axis a, b, c, d); NaN where there are no cells."""
    a, b, c, d = (t[..., i] for i in range(4))
    n = a + b + c + d
    with np.errstate(divide="ignore", invalid="ignore"):
        po = (a + d) / n
        pi = (2 * a + b + c) / (2 * n)
        pe = 2 * pi * (1 - pi)
        return np.where(pe < 1, (po - pe) / (1 - pe), np.nan)


def kappa_from_tables(t: Table) -> np.ndarray:
    """Cohen's kappa of 2x2 tables; NaN where expected agreement is 1 (one category only)."""
    a, b, c, d = (t[..., i] for i in range(4))
    n = a + b + c + d
    with np.errstate(divide="ignore", invalid="ignore"):
        po = (a + d) / n
        pe = ((a + b) * (a + c) + (c + d) * (b + d)) / (n * n)
        return np.where(pe < 1, (po - pe) / (1 - pe), np.nan)


def positive_from_tables(t: Table) -> np.ndarray:
    a, b, c, _d = (t[..., i] for i in range(4))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(2 * a + b + c > 0, 2 * a / (2 * a + b + c), np.nan)


def bootstrap_ac1(per_case: np.ndarray) -> tuple[float, float] | None:
    """95 % percentile interval of the pooled AC1, resampling cases (rows of ``per_case``, shape (cases, 4))."""
    cases = per_case.shape[0]
    if cases < MIN_CASES_FOR_INTERVAL:
        return None
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    picks = rng.integers(0, cases, size=(BOOTSTRAP_RESAMPLES, cases))
    values = ac1_from_tables(per_case[picks].sum(axis=1))
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    low, high = np.percentile(values, CI_PERCENTILES)
    return float(low), float(high)


@dataclass(frozen=True)
class TickRow:
    """Pooled tick agreement of one item (or one pair/case) across cases."""

    label: str
    cases: int
    cells: int
    percent: float | None
    positive: float | None
    kappa: float | None
    ac1: float | None
    ac1_ci: tuple[float, float] | None
    below: bool

    def csv_row(self) -> list[object]:
        low, high = self.ac1_ci or (None, None)
        return [self.label, self.cases, self.cells, _r(self.percent), _r(self.positive), _r(self.kappa),
                _r(self.ac1), _r(low), _r(high), "indicatief" if self.cells < INDICATIVE_BELOW_N else "",
                "ja" if self.below else ""]


TICK_HEADER = ["groep", "casussen", "n_cellen", "overeenstemming", "positieve_overeenstemming", "kappa", "ac1",
               "ac1_95_laag", "ac1_95_hoog", "indicatief", "onder_drempel"]


def _r(value: float | None) -> object:
    return "" if value is None or not np.isfinite(value) else round(float(value), 3)


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def tick_row(label: str, per_case: np.ndarray, threshold: float) -> TickRow:
    """One row from the per-case 2x2 tables (shape (cases, 4)) of a group."""
    pooled = per_case.sum(axis=0)
    n = int(pooled.sum())
    ac1 = _finite(float(ac1_from_tables(pooled))) if n else None
    ci = bootstrap_ac1(per_case) if n else None
    return TickRow(label, per_case.shape[0], n, (pooled[0] + pooled[3]) / n if n else None,
                   _finite(float(positive_from_tables(pooled))) if n else None,
                   _finite(float(kappa_from_tables(pooled))) if n else None, ac1, ci,
                   ac1 is not None and ac1 < threshold)


@dataclass(frozen=True)
class CrossCaseReport:
    items: tuple[TickRow, ...]
    pairs: tuple[tuple[TickRow, str], ...]  # tick row per pair and version, and the pair's rating summary
    over_time: tuple[tuple[dt.date, str, TickRow], ...]
    threshold: float


def _version_tables(case: AgreementData) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(4))
    for (_who, version, _dim, _item), cells in case.ticks.items():
        out[version] = out[version] + tables_of(cells)
    return dict(out)


def _rating_summary(cases: Sequence[CaseInput]) -> str:
    """Within-one agreement and ICC(A,1) [95 %] of the pair's worker and client ratings, with n."""
    parts = []
    for group, name in (("ratings.worker", "hulpverlener"), ("ratings.client", "cliënten")):
        pairs = [pair for c in cases for (who, dim), pair in c.pairs.ratings.items()
                 if rating_group(who, dim, c.pairs.workers) == group]
        figs = {f.name: f for f in rating_agreement(pairs)}
        near, icc = figs["within_one_agreement"], figs["icc_a1"]
        text = f"{name}: binnen 1 punt {_pct(near.value)} (n={near.n}"
        text += ", indicatief)" if near.indicative else ")"
        if icc.value is not None:
            text += f", ICC(A,1) {icc.value:.2f}"
            if icc.ci_low is not None and icc.ci_high is not None:
                text += f" [{icc.ci_low:.2f}-{icc.ci_high:.2f}]"
        parts.append(text)
    return "; ".join(parts)


def _pct(value: float | None) -> str:
    return "n.v.t." if value is None else f"{round(100 * value)}%"


def crosscase_report(cases: Sequence[CaseInput], threshold: float = DEFAULT_THRESHOLD) -> CrossCaseReport:
    """Per item (version x dimension x item), per observer pair and per case in date order."""
    per_item: dict[tuple[str, str, int], list[np.ndarray]] = defaultdict(list)
    for case in cases:
        tables: dict[tuple[str, str, int], np.ndarray] = defaultdict(lambda: np.zeros(4))
        for (_who, version, dim, item), cells in case.pairs.ticks.items():
            tables[(version, dim, item)] = tables[(version, dim, item)] + tables_of(cells)
        for key, table in tables.items():
            per_item[key].append(table)
    items = tuple(tick_row(f"{VERSION_LABELS[v]} · {dimension_label(d)} · item {i}", np.array(t), threshold)
                  for (v, d, i), t in sorted(per_item.items()))
    by_pair: dict[str, list[CaseInput]] = defaultdict(list)
    for case in cases:
        by_pair[case.pair_label].append(case)
    pairs = []
    for label, pair_cases in sorted(by_pair.items()):
        summary = _rating_summary(pair_cases)
        for version in ("client", "therapist"):
            found = [t[version] for t in (_version_tables(c.pairs) for c in pair_cases) if version in t]
            if found:
                pairs.append((tick_row(f"{label} · {VERSION_LABELS[version]}", np.array(found), threshold), summary))
    over_time = []
    for case in sorted(cases, key=lambda c: (c.date, c.pairs.case)):
        for version, table in sorted(_version_tables(case.pairs).items()):
            row = tick_row(f"casus {case.pairs.case} · {VERSION_LABELS[version]}", table[None, :], threshold)
            over_time.append((case.date, case.pair_label, row))
    return CrossCaseReport(items, tuple(pairs), tuple(over_time), threshold)


def case_inputs(conn: sqlite3.Connection, case_ids: Sequence[str]) -> list[CaseInput]:
    """The cross-case inputs of the given cases, read from the database."""
    out = []
    for case_id in case_ids:
        data = CaseData.load(conn, case_id)
        manifest = data.record.manifest
        out.append(CaseInput(manifest.date, manifest.observers, collect_pairs(data)))
    return out


def _write(path: Path, header: list[str], rows: Sequence[Sequence[object]]) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    tmp.replace(path)
    return path


def _charts(report: CrossCaseReport, out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    rows = [r for r in report.items if r.ac1 is not None]
    fig, ax = plt.subplots(figsize=(CHART_WIDTH_IN, BAR_HEIGHT_IN * max(len(rows), 1) + 1.0))
    ys = range(len(rows))
    ax.barh(list(ys), [r.ac1 or 0.0 for r in rows], color=["#C62828" if r.below else "#2E7D32" for r in rows])
    for y, r in zip(ys, rows, strict=True):
        if r.ac1_ci:
            ax.plot(list(r.ac1_ci), [y, y], color="#333333", lw=1)
    ax.axvline(report.threshold, color="#555555", ls="--", lw=1)
    ax.set_yticks(list(ys), [r.label for r in rows], fontsize=6)
    ax.invert_yaxis()
    ax.set_xlabel(f"Gwet's AC1 over alle casussen (streep: 95%-interval; stippellijn: drempel {report.threshold:.2f})",
                  fontsize=7)
    ax.tick_params(axis="x", labelsize=7)
    fig.tight_layout()
    paths.append(out_dir / "overeenstemming_items.png")
    fig.savefig(paths[-1], dpi=150, metadata={"Software": None})
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(CHART_WIDTH_IN, 3.0))
    series: dict[str, list[tuple[dt.date, float]]] = defaultdict(list)
    for date, pair, row in report.over_time:
        if row.ac1 is not None:
            series[f"{pair} · {row.label.rsplit(' · ', 1)[-1]}"].append((date, row.ac1))
    for name, points in sorted(series.items()):
        ax.plot([np.datetime64(p[0]) for p in points], [p[1] for p in points], marker="o", label=name)
    ax.axhline(report.threshold, color="#555555", ls="--", lw=1)
    ax.set_ylabel("Gwet's AC1 (vinkjes)", fontsize=7)
    ax.tick_params(labelsize=7)
    if series:
        ax.legend(fontsize=6)
    fig.autofmt_xdate()
    fig.tight_layout()
    paths.append(out_dir / "overeenstemming_tijd.png")
    fig.savefig(paths[-1], dpi=150, metadata={"Software": None})
    plt.close(fig)
    return paths


def write_crosscase(report: CrossCaseReport, out_dir: Path) -> list[Path]:
    """The report's tables as CSV and its two charts as PNG."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [
        _write(out_dir / "overeenstemming_items.csv", TICK_HEADER, [r.csv_row() for r in report.items]),
        _write(out_dir / "overeenstemming_paren.csv", [*TICK_HEADER, "beoordelingen"],
               [[*row.csv_row(), summary] for row, summary in report.pairs]),
        _write(out_dir / "overeenstemming_tijd.csv", ["datum", "paar", *TICK_HEADER],
               [[date.isoformat(), pair, *row.csv_row()] for date, pair, row in report.over_time]),
    ]
    return files + _charts(report, out_dir)
