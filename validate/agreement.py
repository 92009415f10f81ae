"""Observer-agreement statistics for the coding instrument (observer 1 vs 2).

Undefined statistics are reported as ``Figure(value=None, note=...)``, never
as NaN or as a silent 0/1.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from numbers import Integral
from typing import Any, Literal

import krippendorff
import numpy as np
import pandas as pd
import pingouin
from sklearn.metrics import cohen_kappa_score

from softa.manifest import BIN_SECONDS

# Tick and speaking-time cells are binary: 0 = not marked, 1 = marked.
BINARY_LABELS: tuple[int, ...] = (0, 1)
# Fixed rating scale of the instrument; passed to sklearn as `labels` so the
# kappa weights always span the full scale, not only the categories observed.
RATING_SCALE: tuple[int, ...] = (-3, -2, -1, 0, 1, 2, 3)
# "Near agreement": ratings at most one scale point apart.
NEAR_AGREEMENT_POINTS: int = 1
# Every cell/rating is double-coded: observer 1 and observer 2.
N_OBSERVERS: int = 2
# Kappa, ICC and alpha need at least two rated objects to have any variance.
MIN_PAIRS: int = 2
# pingouin.intraclass_corr asserts at least 5 non-missing ratings: with two
# observers that is 3 rated objects, and the ICC needs them for its F-test anyway.
PINGOUIN_MIN_RATINGS: int = 5
MIN_ICC_TARGETS: int = 3
# Below this n every figure is marked "indicatief" (indicative only). Koo & Li
# (2016) ask for at least 30 heterogeneous samples for a reliability study; the
# same bound is used for the tick and speaking-time figures.
INDICATIVE_BELOW_N: int = 30
# pingouin's column of the 95 % interval (rounded to 2 decimals by pingouin):
# "CI95" since 0.7, "CI95%" before.
PINGOUIN_CI_COLUMNS: tuple[str, ...] = ("CI95", "CI95%")
# Label of ICC(A,1) in pingouin's output: "ICC(A,1)" since 0.7, "ICC2" before
# (Shrout & Fleiss ICC(2,1) == McGraw & Wong ICC(A,1)).
PINGOUIN_ICC_A1_TYPES: tuple[str, ...] = ("ICC(A,1)", "ICC2")

PERCENT_METHOD = "percent agreement: share of identical cells (po)"
PREVALENCE_METHOD = "prevalence: share of cells ticked, mean of both observers ((2a + b + c) / 2n)"
POSITIVE_METHOD = ("positive agreement 2a / (2a + b + c) (Cicchetti & Feinstein 1990); "
                   "n = cells ticked by at least one observer")
NEGATIVE_METHOD = ("negative agreement 2d / (2d + b + c) (Cicchetti & Feinstein 1990); "
                   "n = cells left empty by at least one observer")
AC1_METHOD = ("Gwet's AC1 (Gwet 2008): (po - pe) / (1 - pe), pe = sum_k pi_k (1 - pi_k) / (q - 1), "
              "pi_k = mean share of category k over both observers")
NOMINAL_ALPHA_METHOD = ("Krippendorff's alpha, nominal "
                        "(krippendorff.alpha, level_of_measurement='nominal')")
PABAK_METHOD = "PABAK = 2*po - 1 (Byrt, Bishop & Carlin 1993)"
KAPPA_METHOD = "Cohen's kappa (sklearn.metrics.cohen_kappa_score, labels=[0, 1])"
ICC_METHOD = (
    "ICC(A,1) two-way random, absolute agreement, single measures (McGraw & Wong 1996), "
    "with its 95 % interval (pingouin.intraclass_corr, row ICC(A,1)/ICC2 = Shrout & Fleiss ICC(2,1), CI95%)"
)
ALPHA_METHOD = (
    "Krippendorff's alpha, interval "
    "(krippendorff.alpha, level_of_measurement='interval')"
)


@dataclass(frozen=True)
class Figure:
    """One agreement statistic; ``value is None`` means undefined (see ``note``)."""

    name: str
    value: float | None
    method: str
    n: int
    note: str = ""
    #: Confidence interval (ICC only), None elsewhere.
    ci_low: float | None = None
    ci_high: float | None = None
    #: n below INDICATIVE_BELOW_N: the figure is indicative only ("indicatief").
    indicative: bool = False


def figure(name: str, value: float | None, method: str, n: int, note: str = "",
           ci: tuple[float, float] | None = None) -> Figure:
    """A Figure, marked indicative when its n is below INDICATIVE_BELOW_N."""
    return Figure(name, value, method, n, note, ci[0] if ci else None, ci[1] if ci else None,
                  indicative=n < INDICATIVE_BELOW_N)


def _is_int(v: object) -> bool:
    """True for Python/numpy integers (bool counts as 0/1)."""
    return isinstance(v, Integral)


def _check_binary(a: Sequence[int], b: Sequence[int]) -> tuple[list[int], list[int]]:
    """Validate two equally long 0/1 sequences and return them as int lists."""
    if len(a) != len(b):
        raise ValueError(f"length mismatch: {len(a)} vs {len(b)} cells")
    for v in (*a, *b):
        if not _is_int(v) or int(v) not in BINARY_LABELS:
            raise ValueError(f"binary cells must be 0 or 1, got {v!r}")
    return [int(v) for v in a], [int(v) for v in b]


def _single_category_note(a: Sequence[int], b: Sequence[int], binary: bool) -> str:
    """Why kappa is undefined (one shared category: expected agreement 1), or ""."""
    values = set(a) | set(b)
    if len(values) != 1:
        return ""
    (only,) = values
    what = ("ticked nothing" if only == 0 else "ticked every cell") if binary else f"gave only the rating {only}"
    return f"undefined: both observers {what} (expected agreement = 1)"


def _share(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def gwet_ac1(a: Sequence[object], b: Sequence[object], categories: Sequence[object]) -> float | None:
    """Gwet's AC1 of two observers over nominal categories (Gwet 2008); None when pe = 1 (q = 1)."""
    n, q = len(a), len(categories)
    if n == 0 or q < MIN_PAIRS:
        return None
    po = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pi = [(sum(x == k for x in a) + sum(y == k for y in b)) / (N_OBSERVERS * n) for k in categories]
    pe = sum(p * (1 - p) for p in pi) / (q - 1)
    return (po - pe) / (1 - pe) if pe < 1 else None


def _nominal_alpha(x: list[int], y: list[int]) -> float | None:
    if len(set(x) | set(y)) < MIN_PAIRS:
        return None
    value = float(krippendorff.alpha(reliability_data=[x, y], level_of_measurement="nominal"))
    return value if math.isfinite(value) else None


def binary_agreement(a: Sequence[int], b: Sequence[int]) -> tuple[Figure, ...]:
    """Tick agreement of two binary (0/1) codings: percent, prevalence, specific agreement and chance-corrected.

    With a = both ticked, b/c = one observer only, d = both empty.
    """
    x, y = _check_binary(a, b)
    n = len(x)
    both = sum(i & j for i, j in zip(x, y, strict=False))
    neither = sum((1 - i) & (1 - j) for i, j in zip(x, y, strict=False))
    differ = n - both - neither
    if n == 0:
        note = "undefined: no cells to compare"
        return tuple(figure(name, None, method, 0, note) for name, method in (
            ("percent_agreement", PERCENT_METHOD), ("prevalence", PREVALENCE_METHOD),
            ("positive_agreement", POSITIVE_METHOD), ("negative_agreement", NEGATIVE_METHOD),
            ("cohen_kappa", KAPPA_METHOD), ("pabak", PABAK_METHOD), ("gwet_ac1", AC1_METHOD),
            ("krippendorff_alpha_nominal", NOMINAL_ALPHA_METHOD)))
    po = (both + neither) / n
    single = _single_category_note(x, y, binary=True)
    kappa = None if single else float(cohen_kappa_score(x, y, labels=list(BINARY_LABELS)))
    ticked_by_one = both + differ
    empty_by_one = neither + differ
    return (
        figure("percent_agreement", po, PERCENT_METHOD, n),
        figure("prevalence", (sum(x) + sum(y)) / (N_OBSERVERS * n), PREVALENCE_METHOD, n),
        figure("positive_agreement", _share(2 * both, 2 * both + differ), POSITIVE_METHOD, ticked_by_one,
               "" if ticked_by_one else "undefined: neither observer ticked any cell"),
        figure("negative_agreement", _share(2 * neither, 2 * neither + differ), NEGATIVE_METHOD, empty_by_one,
               "" if empty_by_one else "undefined: both observers ticked every cell"),
        figure("cohen_kappa", kappa, KAPPA_METHOD, n, single),
        figure("pabak", 2 * po - 1, PABAK_METHOD, n),
        figure("gwet_ac1", gwet_ac1(x, y, BINARY_LABELS), AC1_METHOD, n),
        figure("krippendorff_alpha_nominal", None if single else _nominal_alpha(x, y), NOMINAL_ALPHA_METHOD, n,
               single),
    )


SECONDS_DIFF_METHOD = f"|marked bins obs1 - marked bins obs2| * {BIN_SECONDS} s, summed over participants"


def speaking_time_agreement(a: Sequence[int], b: Sequence[int]) -> tuple[Figure, ...]:
    """Time-based agreement on 30-second speaking bins (1 = speaking) of one participant."""
    return speaking_time_pooled([(a, b)])


def speaking_time_pooled(participants: Sequence[tuple[Sequence[int], Sequence[int]]]) -> tuple[Figure, ...]:
    """Speaking-time agreement of several participants' bins together.

    The bins are pooled for the tick statistics; the difference in derived
    speaking time is summed per participant (|obs1 - obs2| each), so opposite
    differences of two participants do not cancel.
    """
    xs: list[int] = []
    ys: list[int] = []
    seconds = 0
    for a, b in participants:
        x, y = _check_binary(a, b)
        xs.extend(x)
        ys.extend(y)
        seconds += abs(sum(x) - sum(y)) * BIN_SECONDS
    return (*binary_agreement(xs, ys),
            figure("speaking_seconds_abs_diff", float(seconds), SECONDS_DIFF_METHOD, len(xs)))


def _to_float_matrix(matrix: Sequence[Sequence[float | None]]) -> np.ndarray:
    """Rectangular float matrix with None -> NaN; ValueError if ragged or infinite."""
    widths = {len(row) for row in matrix}
    if len(widths) > 1:
        raise ValueError("matrix rows must all have the same length")
    arr = np.array(
        [[np.nan if v is None else float(v) for v in row] for row in matrix], dtype=float
    ).reshape(len(matrix), widths.pop() if widths else 0)
    if np.isinf(arr).any():
        raise ValueError("matrix contains infinite values")
    return arr


@contextmanager
def _quiet_pingouin() -> Iterator[None]:
    """Silence only pingouin's known internal noise; results are checked after.

    - pandas>=3 DeprecationWarning about ``dropna(inplace=...)`` inside
      pingouin's ANOVA (unrelated to the result, emitted on every call);
    - numpy zero-division warnings for the *other* ICC rows/F-tests when a
      mean square is 0; ICC(A,1) itself is checked for finiteness -> None.
    """
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.filterwarnings(
            "ignore", message="The inplace keyword", category=DeprecationWarning,
            module=r"pingouin\.",
        )
        yield


def icc_a1(matrix: Sequence[Sequence[float]]) -> Figure:
    """ICC(A,1) for a complete wide matrix: rows = targets, columns = raters."""
    arr = _to_float_matrix(matrix)
    n_targets, n_raters = arr.shape
    if np.isnan(arr).any():
        raise ValueError("icc_a1 needs a complete matrix (no missing values)")
    if n_targets < MIN_PAIRS or n_raters < MIN_PAIRS:
        return figure("icc_a1", None, ICC_METHOD, n_targets,
                      "undefined: needs at least 2 targets and 2 raters")
    if n_targets < MIN_ICC_TARGETS or arr.size < PINGOUIN_MIN_RATINGS:
        return figure("icc_a1", None, ICC_METHOD, n_targets,
                      f"undefined: fewer than {MIN_ICC_TARGETS} rated targets")
    if np.ptp(arr) == 0:
        return figure("icc_a1", None, ICC_METHOD, n_targets,
                      "undefined: zero variance (all ratings identical)")
    long = pd.DataFrame(
        [(t, r, arr[t, r]) for t in range(n_targets) for r in range(n_raters)],
        columns=["target", "rater", "rating"],
    )
    with _quiet_pingouin():
        table = pingouin.intraclass_corr(long, targets="target", raters="rater",
                                         ratings="rating")
    row = table[table["Type"].isin(PINGOUIN_ICC_A1_TYPES)]
    if len(row) != 1:
        raise RuntimeError(f"pingouin ICC(A,1) row not found in {list(table['Type'])}")
    value = float(row["ICC"].iloc[0])
    if not math.isfinite(value):
        return figure("icc_a1", None, ICC_METHOD, n_targets,
                      "undefined: ICC denominator is zero (no usable variance)")
    ci_column = next(c for c in PINGOUIN_CI_COLUMNS if c in table.columns)
    low, high = (float(v) for v in row[ci_column].iloc[0])
    ci = (low, high) if math.isfinite(low) and math.isfinite(high) else None
    return figure("icc_a1", value, ICC_METHOD, n_targets, "" if ci else "no 95 % interval (degenerate F-test)",
                  ci=ci)


def krippendorff_alpha_interval(matrix: Sequence[Sequence[float | None]]) -> Figure:
    """Krippendorff's alpha (interval): rows = observers, columns = units; None/NaN = missing."""
    arr = _to_float_matrix(matrix)
    coded = ~np.isnan(arr)
    pairable = coded.sum(axis=0) >= MIN_PAIRS
    n_units = int(pairable.sum())
    if n_units == 0:
        return figure("krippendorff_alpha_interval", None, ALPHA_METHOD, 0,
                      "undefined: no unit coded by at least 2 observers")
    if np.unique(arr[:, pairable][coded[:, pairable]]).size < MIN_PAIRS:
        return figure("krippendorff_alpha_interval", None, ALPHA_METHOD, n_units,
                      "undefined: zero variance (all pairable values identical)")
    value = float(krippendorff.alpha(reliability_data=arr, level_of_measurement="interval"))
    if not math.isfinite(value):
        return figure("krippendorff_alpha_interval", None, ALPHA_METHOD, n_units,
                      "undefined: expected disagreement is zero")
    return figure("krippendorff_alpha_interval", value, ALPHA_METHOD, n_units)


def _check_pairs(pairs: Sequence[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """Validate (obs1, obs2) rating pairs on RATING_SCALE; return the two columns."""
    a: list[int] = []
    b: list[int] = []
    for pair in pairs:
        if len(pair) != N_OBSERVERS:
            raise ValueError(f"each pair needs exactly 2 ratings, got {pair!r}")
        for v in pair:
            if not _is_int(v) or isinstance(v, bool) or int(v) not in RATING_SCALE:
                raise ValueError(f"rating {v!r} is not an integer in {RATING_SCALE}")
        a.append(int(pair[0]))
        b.append(int(pair[1]))
    return a, b


def _weighted_kappa(
    a: list[int], b: list[int], weights: Literal["linear", "quadratic"]
) -> Figure:
    """Weighted Cohen's kappa over the full fixed RATING_SCALE."""
    name = f"weighted_kappa_{weights}"
    method = (f"{weights}ly weighted Cohen's kappa (sklearn.metrics.cohen_kappa_score, "
              f"weights='{weights}', labels=RATING_SCALE {list(RATING_SCALE)})")
    n = len(a)
    if n < MIN_PAIRS:
        return figure(name, None, method, n, "undefined: fewer than 2 rating pairs")
    note = _single_category_note(a, b, binary=False)
    if note:
        return figure(name, None, method, n, note)
    value = cohen_kappa_score(a, b, labels=list(RATING_SCALE), weights=weights)
    return figure(name, float(value), method, n)


def rating_agreement(pairs: Sequence[tuple[int, int]]) -> tuple[Figure, ...]:
    """Agreement of many (observer1, observer2) ratings on the -3..+3 scale."""
    a, b = _check_pairs(pairs)
    n = len(a)
    diffs = [abs(i - j) for i, j in zip(a, b, strict=False)]
    empty = "undefined: no rating pairs"
    exact = sum(d == 0 for d in diffs) / n if n else None
    near = sum(d <= NEAR_AGREEMENT_POINTS for d in diffs) / n if n else None
    few = "undefined: fewer than 2 rating pairs"
    icc = (icc_a1([[i, j] for i, j in zip(a, b, strict=False)]) if n >= MIN_PAIRS
           else figure("icc_a1", None, ICC_METHOD, n, few))
    alpha = (krippendorff_alpha_interval([a, b]) if n >= MIN_PAIRS
             else figure("krippendorff_alpha_interval", None, ALPHA_METHOD, n, few))
    return (
        figure("exact_agreement", exact, "share of pairs with identical rating", n,
               "" if n else empty),
        figure("within_one_agreement", near,
               f"share of pairs differing by at most {NEAR_AGREEMENT_POINTS} point", n,
               "" if n else empty),
        _weighted_kappa(a, b, "linear"),
        _weighted_kappa(a, b, "quadratic"),
        icc,
        alpha,
    )


def figures_to_dict(figs: Sequence[Figure]) -> list[dict[str, Any]]:
    """Plain dicts (JSON-serialisable) for a sequence of figures."""
    return [asdict(f) for f in figs]
