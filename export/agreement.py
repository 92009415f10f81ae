"""Observer-agreement figures for export: validate's blocks, or the same statistics computed here.

``validate.validate_case`` is the authority; when it is not available (or
returned no agreement), the blocks are computed with ``validate.agreement``
on the values export writes (missing values left out).
"""

from __future__ import annotations

from export.values import CaseValues
from softa.instrument import SOFTA_DIMENSIONS, TAALGEBRUIK
from validate.agreement import Figure, binary_agreement, rating_agreement, speaking_time_agreement
from validate.model import AgreementBlock

#: Dutch names of the statistics, for sheets and the report.
FIGURE_LABELS: dict[str, str] = {
    "percent_agreement": "Percentage overeenstemming",
    "cohen_kappa": "Cohen's kappa",
    "pabak": "PABAK",
    "speaking_positive_agreement": "Positieve overeenstemming (spreektijd)",
    "speaking_seconds_abs_diff": "Verschil in spreektijd (seconden)",
    "exact_agreement": "Exact gelijke beoordelingen",
    "within_one_agreement": "Beoordelingen hooguit 1 punt verschil",
    "weighted_kappa_linear": "Gewogen kappa (lineair)",
    "weighted_kappa_quadratic": "Gewogen kappa (kwadratisch)",
    "icc_a1": "ICC(A,1)",
    "krippendorff_alpha_interval": "Krippendorff's alfa (interval)",
}
MEASURE_LABELS = {"ticks": "Gedragsbeschrijvingen (vinkjes)", "ratings": "Beoordelingen (-3 tot +3)",
                  "speaking_time": "Spreektijd (30-secondenvakken)"}
#: How each statistic is computed, in Dutch, for the "Toelichting" column of the agreement sheet.
FIGURE_EXPLANATIONS: dict[str, str] = {
    "percent_agreement": "Aandeel cellen waarin beide observatoren hetzelfde scoorden (po).",
    "cohen_kappa": "Overeenstemming gecorrigeerd voor toeval: (po - pe) / (1 - pe).",
    "pabak": "Kappa gecorrigeerd voor prevalentie en bias: 2 x po - 1 (Byrt, Bishop & Carlin, 1993).",
    "speaking_positive_agreement": "Van de vakjes waarin iemand sprak: aandeel dat beide observatoren markeerden "
                                   "(2 x beide / (obs. 1 + obs. 2)).",
    "speaking_seconds_abs_diff": "Verschil in afgeleide totale spreektijd tussen de observatoren, in seconden.",
    "exact_agreement": "Aandeel beoordelingsparen met precies dezelfde score.",
    "within_one_agreement": "Aandeel beoordelingsparen dat hooguit 1 punt verschilt (het trainingscriterium).",
    "weighted_kappa_linear": "Cohen's kappa met lineaire gewichten op de vaste schaal -3 tot +3.",
    "weighted_kappa_quadratic": "Cohen's kappa met kwadratische gewichten op de vaste schaal -3 tot +3.",
    "icc_a1": "Intraclass-correlatie: tweeweg, absolute overeenstemming, enkele meting (Shrout & Fleiss ICC(2,1)).",
    "krippendorff_alpha_interval": "Krippendorff's alfa op intervalniveau.",
}
#: Why a statistic is undefined, in Dutch (validate's notes are English, for tools).
_UNDEFINED_REASONS: tuple[tuple[str, str], ...] = (
    ("ticked nothing", "beide observatoren vinkten niets aan"),
    ("ticked every cell", "beide observatoren vinkten alles aan"),
    ("gave only the rating", "beide observatoren gaven steeds dezelfde score"),
    ("no cells to compare", "geen cellen om te vergelijken"),
    ("neither observer marked any speaking bin", "geen van beide observatoren markeerde spreektijd"),
    ("at least 2 targets and 2 raters", "er zijn minstens 2 deelnemers en 2 observatoren nodig"),
    ("pingouin needs at least", "te weinig beoordelingen (minstens 5 nodig)"),
    ("zero variance", "alle beoordelingen zijn gelijk (geen spreiding)"),
    ("denominator is zero", "geen bruikbare spreiding"),
    ("no unit coded by at least 2 observers", "niets door beide observatoren gescoord"),
    ("expected disagreement is zero", "verwachte onenigheid is nul (geen spreiding)"),
    ("fewer than 2 rating pairs", "minder dan 2 beoordelingsparen"),
    ("no rating pairs", "geen beoordelingsparen"),
)


def explanation(fig: Figure) -> str:
    """Dutch text for the agreement sheet: why the figure is undefined, else how it is computed."""
    if fig.value is None:
        reason = next((dutch for english, dutch in _UNDEFINED_REASONS if english in fig.note), fig.note)
        return f"Niet te berekenen: {reason}."
    return FIGURE_EXPLANATIONS.get(fig.name, fig.method)


def _pairs(a: dict[tuple[int, int], int | None], b: dict[tuple[int, int], int | None]) -> tuple[list[int], list[int]]:
    keys = [k for k in sorted(a) if a[k] is not None and b.get(k) is not None]
    return [int(a[k] or 0) for k in keys], [int(b[k] or 0) for k in keys]


def computed_blocks(values: CaseValues) -> tuple[AgreementBlock, ...]:
    """Agreement of observer 1 and 2 on ticks, ratings and speaking time, for one case."""
    case = values.case
    blocks: list[AgreementBlock] = []
    for who in values.manifest.participants:
        for dim in SOFTA_DIMENSIONS:
            one = values.ticks.get((who.code, "1", dim))
            two = values.ticks.get((who.code, "2", dim))
            if one is None or two is None:
                continue
            x, y = _pairs(one, two)
            blocks.append(AgreementBlock(scope=f"{case} vinkjes {who.code} {dim}", case=case, measure="ticks",
                                         participant=who.code, dimension=dim, item=None,
                                         figures=binary_agreement(x, y)))
    pairs: list[tuple[int, int]] = []
    for (participant, slot, dim), value in sorted(values.ratings.items()):
        if slot != "1" or dim not in (*SOFTA_DIMENSIONS, TAALGEBRUIK):
            continue
        other = values.ratings.get((participant, "2", dim))
        if value is not None and other is not None:
            pairs.append((value, other))
    blocks.append(AgreementBlock(scope=f"{case} beoordelingen", case=case, measure="ratings", participant=None,
                                 dimension=None, item=None, figures=rating_agreement(pairs)))
    for who in values.manifest.participants:
        one_t = values.timeline.get((who.code, "1"))
        two_t = values.timeline.get((who.code, "2"))
        if one_t is None or two_t is None:
            continue
        both = [(a, b) for a, b in zip(one_t, two_t, strict=False) if a is not None and b is not None]
        blocks.append(AgreementBlock(scope=f"{case} spreektijd {who.code}", case=case, measure="speaking_time",
                                     participant=who.code, dimension="spreektijd", item=None,
                                     figures=speaking_time_agreement([a for a, _ in both], [b for _, b in both])))
    return tuple(blocks)


def agreement_blocks(values: CaseValues) -> tuple[AgreementBlock, ...]:
    """The case's agreement blocks: validate's when it has them, else computed here."""
    return values.agreement or computed_blocks(values)


def figure(block: AgreementBlock, name: str) -> Figure | None:
    """One named figure of a block, or None when the block does not have it."""
    return next((f for f in block.figures if f.name == name), None)
