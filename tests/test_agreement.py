"""Tests for validate.agreement against published worked examples."""

from __future__ import annotations

import json

import krippendorff
import numpy as np
import pandas as pd
import pingouin
import pytest
from sklearn.metrics import cohen_kappa_score

from validate.agreement import (
    RATING_SCALE,
    Figure,
    binary_agreement,
    figures_to_dict,
    icc_a1,
    krippendorff_alpha_interval,
    rating_agreement,
    speaking_time_agreement,
)

# Shrout & Fleiss (1979), Table 2: 6 targets (rows) x 4 judges (columns).
SHROUT_FLEISS = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]
# Krippendorff (2011) "Computing Krippendorff's Alpha-Reliability", reliability
# data with missing values: 4 observers (rows) x 12 units (columns).
KRIPP_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def by_name(figs: tuple[Figure, ...]) -> dict[str, Figure]:
    return {f.name: f for f in figs}


def vectors_from_2x2(a: int, b: int, c: int, d: int) -> tuple[list[int], list[int]]:
    """a = both yes, b = obs1 yes/obs2 no, c = obs1 no/obs2 yes, d = both no."""
    obs1 = [1] * a + [1] * b + [0] * c + [0] * d
    obs2 = [1] * a + [0] * b + [1] * c + [0] * d
    return obs1, obs2


# --- binary ticks -----------------------------------------------------------

def test_cohen_kappa_classic_2x2() -> None:
    # 50 items: po = 35/50 = .70; pe = .5*.6 + .5*.4 = .50; kappa = .2/.5 = .40
    figs = by_name(binary_agreement(*vectors_from_2x2(20, 5, 10, 15)))
    assert figs["percent_agreement"].value == pytest.approx(0.70)
    assert figs["cohen_kappa"].value == pytest.approx(0.40)
    assert figs["cohen_kappa"].n == 50
    assert "sklearn" in figs["cohen_kappa"].method


def test_pabak_classic_2x2() -> None:
    figs = by_name(binary_agreement(*vectors_from_2x2(20, 5, 10, 15)))
    assert figs["pabak"].value == pytest.approx(2 * 0.70 - 1)
    assert figs["pabak"].value == pytest.approx(0.40)


def test_pabak_differs_from_kappa_with_skewed_prevalence() -> None:
    # 45 both-no, 1 disagreement each way, 3 both-yes: po = .96, kappa much lower.
    figs = by_name(binary_agreement(*vectors_from_2x2(3, 1, 1, 45)))
    assert figs["pabak"].value == pytest.approx(0.92)
    assert figs["cohen_kappa"].value == pytest.approx(
        (0.96 - (0.08 * 0.08 + 0.92 * 0.92)) / (1 - (0.08 * 0.08 + 0.92 * 0.92))
    )


def test_kappa_undefined_when_nobody_ticked() -> None:
    figs = by_name(binary_agreement([0] * 12, [0] * 12))
    assert figs["percent_agreement"].value == 1.0
    assert figs["cohen_kappa"].value is None
    assert "ticked nothing" in figs["cohen_kappa"].note
    assert figs["pabak"].value == 1.0


def test_kappa_undefined_when_everything_ticked() -> None:
    figs = by_name(binary_agreement([1] * 5, [1] * 5))
    assert figs["cohen_kappa"].value is None
    assert "every cell" in figs["cohen_kappa"].note


def test_kappa_defined_when_observers_constant_but_different() -> None:
    figs = by_name(binary_agreement([0] * 4, [1] * 4))
    assert figs["percent_agreement"].value == 0.0
    assert figs["cohen_kappa"].value == pytest.approx(0.0)


def test_binary_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="length"):
        binary_agreement([0, 1, 1], [0, 1])
    with pytest.raises(ValueError):
        binary_agreement([0, 2], [0, 1])
    with pytest.raises(ValueError):
        binary_agreement([0, 0.5], [0, 1])  # type: ignore[list-item]


# --- speaking time ------------------------------------------------------------

def test_speaking_time_agreement() -> None:
    a = [1, 1, 0, 0, 1, 1]
    b = [1, 0, 0, 1, 1, 0]
    figs = by_name(speaking_time_agreement(a, b))
    assert figs["percent_agreement"].value == pytest.approx(3 / 6)
    # both speaking in 2 bins; 4 + 3 marked bins -> Dice = 4/7, resting on the 5 bins anyone marked
    assert figs["positive_agreement"].value == pytest.approx(4 / 7)
    assert figs["positive_agreement"].n == 5
    # 4 vs 3 bins of 30 s
    assert figs["speaking_seconds_abs_diff"].value == pytest.approx(30.0)
    assert {"cohen_kappa", "pabak"} <= figs.keys()


def test_speaking_time_nobody_speaks() -> None:
    figs = by_name(speaking_time_agreement([0, 0, 0], [0, 0, 0]))
    assert figs["positive_agreement"].value is None
    assert figs["positive_agreement"].note and figs["positive_agreement"].n == 0
    assert figs["speaking_seconds_abs_diff"].value == 0.0
    with pytest.raises(ValueError):
        speaking_time_agreement([0, 1], [0])


# --- ICC ------------------------------------------------------------------------

def test_icc_a1_shrout_fleiss_table2() -> None:
    fig = icc_a1(SHROUT_FLEISS)
    assert fig.value == pytest.approx(0.29, abs=0.005)  # published ICC(2,1)
    assert fig.n == 6
    # must not be the consistency (ICC(3,1)=.71) or one-way (ICC(1,1)=.17) row
    assert fig.value != pytest.approx(0.71, abs=0.05)
    assert fig.value != pytest.approx(0.17, abs=0.05)


def test_icc_a1_equals_mcgraw_wong_formula_from_mean_squares() -> None:
    x = np.array(SHROUT_FLEISS, dtype=float)
    n, k = x.shape
    grand = x.mean()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_err = ((x - grand) ** 2).sum() - ss_rows - ss_cols
    bms, jms = ss_rows / (n - 1), ss_cols / (k - 1)
    ems = ss_err / ((n - 1) * (k - 1))
    wms = (ss_cols + ss_err) / (n * (k - 1))
    # published mean squares (Shrout & Fleiss 1979, Table 2 ANOVA)
    assert (bms, wms, jms, ems) == pytest.approx((11.24, 6.26, 32.49, 1.02), abs=0.01)
    icc_2_1 = (bms - ems) / (bms + (k - 1) * ems + k * (jms - ems) / n)
    assert icc_a1(SHROUT_FLEISS).value == pytest.approx(icc_2_1)
    # the other published coefficients, for orientation
    assert (bms - wms) / (bms + (k - 1) * wms) == pytest.approx(0.17, abs=0.005)
    assert (bms - ems) / (bms + (k - 1) * ems) == pytest.approx(0.71, abs=0.005)


# pingouin's ANOVA triggers a pandas>=3 dropna(inplace=...) DeprecationWarning
# on every call; it is unrelated to the result.
@pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning")
def test_icc_a1_takes_the_right_pingouin_row() -> None:
    long = pd.DataFrame(
        [(t, r, v) for t, row in enumerate(SHROUT_FLEISS) for r, v in enumerate(row)],
        columns=["t", "r", "y"],
    )
    table = pingouin.intraclass_corr(long, targets="t", raters="r", ratings="y")
    icc = dict(zip(table["Type"], table["ICC"], strict=False))
    one_way = icc.get("ICC(1,1)", icc.get("ICC1"))
    consistency = icc.get("ICC(C,1)", icc.get("ICC3"))
    absolute = icc.get("ICC(A,1)", icc.get("ICC2"))
    assert one_way == pytest.approx(0.17, abs=0.005)
    assert consistency == pytest.approx(0.71, abs=0.005)
    assert icc_a1(SHROUT_FLEISS).value == pytest.approx(absolute)


def test_icc_undefined_cases() -> None:
    assert icc_a1([[2, 2], [2, 2], [2, 2]]).value is None  # zero variance
    assert "variance" in icc_a1([[2, 2], [2, 2], [2, 2]]).note
    assert icc_a1([[1, 2]]).value is None  # one target
    assert icc_a1([[1, 2], [2, 1]]).note  # 4 ratings < pingouin minimum
    with pytest.raises(ValueError):
        icc_a1([[1, 2], [3]])


# --- Krippendorff's alpha -------------------------------------------------------

def test_krippendorff_2011_interval() -> None:
    fig = krippendorff_alpha_interval(KRIPP_2011)
    assert fig.value == pytest.approx(0.849, abs=0.0005)
    assert fig.n == 11  # unit 12 has a single value and is not pairable


def test_krippendorff_2011_nominal_confirms_transcription() -> None:
    data = [[np.nan if v is None else v for v in row] for row in KRIPP_2011]
    nominal = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert nominal == pytest.approx(0.743, abs=0.0005)
    # NaN is accepted as missing, like None
    assert krippendorff_alpha_interval(data).value == pytest.approx(0.849, abs=0.0005)


def test_krippendorff_undefined() -> None:
    assert krippendorff_alpha_interval([[1, 1, 1], [1, 1, 1]]).value is None
    assert krippendorff_alpha_interval([[1, None], [None, 2]]).value is None


# --- ratings ----------------------------------------------------------------------

def test_weighted_kappa_hand_computation() -> None:
    # pairs (0,0) (1,1) (2,1) (-1,0); weights |i-j| (linear) and (i-j)^2.
    # observed disagreement: linear 0+0+1+1 = 2, quadratic 2.
    # expected (row total x column total / n), obs1 {0,1,2,-1: 1 each},
    # obs2 {0: 2, 1: 2}: linear sum = (2+2+6+6)/4 = 4 -> kappa = 1 - 2/4 = .5;
    # quadratic sum = (2+2+10+10)/4 = 6 -> kappa = 1 - 2/6 = 2/3.
    figs = by_name(rating_agreement([(0, 0), (1, 1), (2, 1), (-1, 0)]))
    assert figs["weighted_kappa_linear"].value == pytest.approx(0.5)
    assert figs["weighted_kappa_quadratic"].value == pytest.approx(2 / 3)


def test_weighted_kappa_needs_fixed_labels_when_scale_has_gaps() -> None:
    # Only -3, 0 and 1 occur: without labels sklearn treats -3..0 as one step,
    # like 0..1, so the weights (and the kappa) are wrong for the -3..+3 scale.
    obs1 = [-3, 0, 1, 0, 1, -3, 0, 0]
    obs2 = [0, 0, 1, -3, 1, -3, 1, 0]
    figs = by_name(rating_agreement(list(zip(obs1, obs2, strict=False))))
    for weights in ("linear", "quadratic"):
        fixed = cohen_kappa_score(obs1, obs2, weights=weights, labels=list(RATING_SCALE))
        observed_only = cohen_kappa_score(obs1, obs2, weights=weights)
        assert fixed != pytest.approx(observed_only, abs=0.05)
        assert figs[f"weighted_kappa_{weights}"].value == pytest.approx(fixed)
    assert figs["weighted_kappa_linear"].value == pytest.approx(0.44)


def test_weighted_kappa_contiguous_categories_unaffected_by_labels() -> None:
    # Documents the limits of the trap: with only -1, 0, 1 (contiguous) the
    # index distances are the same with or without labels, so values coincide.
    obs1 = [-1, 0, 1, 0, 1, -1, 0, 0]
    obs2 = [0, 0, 1, -1, 1, -1, 1, 0]
    fixed = cohen_kappa_score(obs1, obs2, weights="linear", labels=list(RATING_SCALE))
    assert fixed == pytest.approx(cohen_kappa_score(obs1, obs2, weights="linear"))
    value = by_name(rating_agreement(list(zip(obs1, obs2, strict=False))))["weighted_kappa_linear"].value
    assert value == pytest.approx(fixed)


def test_exact_and_within_one_shares() -> None:
    pairs = [(0, 0), (1, 2), (-3, -1), (3, 3), (2, -2)]
    figs = by_name(rating_agreement(pairs))
    assert figs["exact_agreement"].value == pytest.approx(2 / 5)
    assert figs["within_one_agreement"].value == pytest.approx(3 / 5)
    assert figs["icc_a1"].value is not None
    assert figs["krippendorff_alpha_interval"].value is not None


def test_rating_icc_and_alpha_use_two_columns() -> None:
    pairs = [(0, 1), (1, 2), (-3, -1), (3, 3), (2, 1), (-1, -1)]
    figs = by_name(rating_agreement(pairs))
    assert figs["icc_a1"].value == pytest.approx(icc_a1([list(p) for p in pairs]).value)
    expected_alpha = krippendorff_alpha_interval([[p[0] for p in pairs], [p[1] for p in pairs]])
    assert figs["krippendorff_alpha_interval"].value == pytest.approx(expected_alpha.value)


def test_rating_undefined_cases() -> None:
    one = by_name(rating_agreement([(1, 2)]))
    assert one["exact_agreement"].value == 0.0
    for name in ("weighted_kappa_linear", "weighted_kappa_quadratic", "icc_a1",
                 "krippendorff_alpha_interval"):
        assert one[name].value is None and one[name].note
    same = by_name(rating_agreement([(2, 2)] * 6))
    assert same["exact_agreement"].value == 1.0
    for name in ("weighted_kappa_linear", "weighted_kappa_quadratic", "icc_a1",
                 "krippendorff_alpha_interval"):
        assert same[name].value is None and same[name].note
    empty = by_name(rating_agreement([]))
    assert empty["exact_agreement"].value is None


def test_rating_rejects_values_outside_scale() -> None:
    with pytest.raises(ValueError):
        rating_agreement([(0, 4)])
    with pytest.raises(ValueError):
        rating_agreement([(-4, 0)])
    with pytest.raises(ValueError):
        rating_agreement([(0.5, 0)])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        rating_agreement([(0, 1, 2)])  # type: ignore[list-item]


def test_figures_to_dict_is_json_serialisable() -> None:
    figs = binary_agreement([0, 0], [0, 0])
    dicts = figures_to_dict(figs)
    assert dicts[2]["name"] == "positive_agreement" and dicts[2]["value"] is None and dicts[2]["note"]
    assert json.loads(json.dumps(dicts)) == dicts
    assert set(dicts[0]) == {"name", "value", "method", "n", "note", "ci_low", "ci_high", "indicative"}


def test_every_undefined_reason_has_dutch_words_for_the_export() -> None:
    """The xlsx agreement sheet explains undefined figures in Dutch, whatever the reason."""
    from export.agreement import explanation

    degenerate = [
        binary_agreement([], []), binary_agreement([0] * 6, [0] * 6), binary_agreement([1] * 6, [1] * 6),
        speaking_time_agreement([0] * 6, [0] * 6),
        rating_agreement([]), rating_agreement([(1, 1)]), rating_agreement([(2, 2)] * 6),
        rating_agreement([(0, 1), (1, 0), (1, 1)]),
    ]
    undefined = [f for figs in degenerate for f in figs if f.value is None]
    assert len({f.note for f in undefined}) >= 6
    for fig in undefined:
        text = explanation(fig)
        assert text.startswith("Niet te berekenen: ") and "undefined" not in text, fig.note


# --- published values for the figures added for issue 11 -------------------------

def test_specific_agreement_prevalence_and_ac1_on_the_classic_2x2() -> None:
    """Cohen's kappa 0.40 on a=20, b=5, c=10, d=15 (the textbook example); positive agreement
    2a/(2a+b+c) = 40/55 and negative 2d/(2d+b+c) = 30/45 (Cicchetti & Feinstein 1990), prevalence
    (2a+b+c)/2n = 55/100; AC1 pe = 2 * 0.55 * 0.45 = 0.495 -> (0.70 - 0.495) / 0.505."""
    figs = by_name(binary_agreement(*vectors_from_2x2(20, 5, 10, 15)))
    assert figs["cohen_kappa"].value == pytest.approx(0.40)
    assert figs["positive_agreement"].value == pytest.approx(40 / 55)
    assert figs["positive_agreement"].n == 35
    assert figs["negative_agreement"].value == pytest.approx(30 / 45)
    assert figs["negative_agreement"].n == 30
    assert figs["prevalence"].value == pytest.approx(0.55)
    assert figs["gwet_ac1"].value == pytest.approx(0.205 / 0.505)


def test_gwet_ac1_published_3x3() -> None:
    """Gwet (2014), Handbook of Inter-Rater Reliability, 3x3 abstractors table: AC1 = 0.849
    (the value irrCAC's own tests assert for table_cont3x3abstractors)."""
    from validate.agreement import gwet_ac1
    table = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]
    a = [i for i, row in enumerate(table) for j, count in enumerate(row) for _ in range(count)]
    b = [j for i, row in enumerate(table) for j, count in enumerate(row) for _ in range(count)]
    assert gwet_ac1(a, b, [0, 1, 2]) == pytest.approx(0.849, abs=5e-4)


def test_gwet_ac1_equals_irrcac_on_binary_ticks() -> None:
    """irrCAC 0.4.4 (CAC(...).gwet()) gives AC1 = 0.52941 for these two codings (pa 0.75, pe 0.46875)."""
    figs = by_name(binary_agreement([1, 1, 0, 0, 1, 0, 0, 0], [1, 0, 0, 0, 1, 0, 0, 1]))
    assert figs["gwet_ac1"].value == pytest.approx(0.52941, abs=1e-5)


def test_ac1_stays_high_where_kappa_collapses() -> None:
    """The kappa paradox (Feinstein & Cicchetti 1990): rare ticks, high agreement, kappa near 0; AC1 is not."""
    figs = by_name(binary_agreement(*vectors_from_2x2(1, 6, 7, 66)))
    assert figs["percent_agreement"].value == pytest.approx(67 / 80)
    assert figs["cohen_kappa"].value < 0.1 < 0.8 < figs["gwet_ac1"].value


def test_krippendorff_2011_binary_nominal() -> None:
    """Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", binary data, two observers,
    ten units: alpha = 0.095."""
    figs = by_name(binary_agreement([0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]))
    assert figs["krippendorff_alpha_nominal"].value == pytest.approx(0.095, abs=5e-4)


def test_icc_a1_interval_shrout_fleiss() -> None:
    """Shrout & Fleiss (1979) data: ICC(A,1) = 0.29 with 95 % interval 0.019-0.76 (R psych::ICC,
    "Single_random_raters ICC2"); pingouin rounds the interval to 2 decimals."""
    fig = icc_a1(SHROUT_FLEISS)
    assert fig.ci_low == pytest.approx(0.019, abs=0.006)
    assert fig.ci_high == pytest.approx(0.76, abs=0.006)
    assert fig.ci_low is not None and fig.ci_high is not None and fig.ci_low < fig.value < fig.ci_high  # type: ignore[operator]


def test_small_n_is_indicative() -> None:
    """Every figure says its n; below INDICATIVE_BELOW_N it is marked indicative."""
    from validate.agreement import INDICATIVE_BELOW_N
    small = rating_agreement([(0, 1), (1, 1), (2, 1), (-1, 0)])
    large = rating_agreement([(v % 7 - 3, (v + v // 7) % 7 - 3) for v in range(INDICATIVE_BELOW_N)])
    assert all(f.indicative and f.n == 4 for f in small)
    assert all(not f.indicative and f.n == INDICATIVE_BELOW_N for f in large)


def test_icc_needs_three_targets() -> None:
    fig = by_name(rating_agreement([(0, 1), (1, 1)]))["icc_a1"]
    assert fig.value is None and "fewer than 3 rated targets" in fig.note


def test_pooled_speaking_time_sums_absolute_differences() -> None:
    """Two participants with opposite differences: 2 bins more and 2 bins fewer add to 120 s, not 0 s."""
    from validate.agreement import speaking_time_pooled
    figs = by_name(speaking_time_pooled([([1, 1, 0, 0], [0, 0, 0, 0]), ([0, 0, 0, 0], [1, 1, 0, 0])]))
    assert figs["speaking_seconds_abs_diff"].value == 120.0
    assert figs["percent_agreement"].n == 8
