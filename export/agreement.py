"""Observer-agreement figures for export, in Dutch: the blocks of ``softa validate``, never recomputed here.

``export.values.case_values`` always runs ``validate.validate_case``; its
agreement blocks (``validate.agreement_report``) are the one implementation.
This module only names and explains them for sheets and the report.
"""

from __future__ import annotations

from export.values import CaseValues
from validate.agreement import INDICATIVE_BELOW_N, Figure
from validate.model import AgreementBlock

#: Dutch names of the statistics, for sheets and the report.
FIGURE_LABELS: dict[str, str] = {
    "percent_agreement": "Percentage overeenstemming",
    "prevalence": "Prevalentie (aandeel aangevinkt)",
    "positive_agreement": "Positieve overeenstemming",
    "negative_agreement": "Negatieve overeenstemming",
    "cohen_kappa": "Cohen's kappa",
    "pabak": "PABAK",
    "gwet_ac1": "Gwet's AC1",
    "krippendorff_alpha_nominal": "Krippendorff's alfa (nominaal)",
    "speaking_seconds_abs_diff": "Verschil in spreektijd (seconden)",
    "exact_agreement": "Exact gelijke beoordelingen",
    "within_one_agreement": "Beoordelingen hooguit 1 punt verschil",
    "weighted_kappa_linear": "Gewogen kappa (lineaire gewichten)",
    "weighted_kappa_quadratic": "Gewogen kappa (kwadratische gewichten)",
    "icc_a1": "ICC(A,1)",
    "krippendorff_alpha_interval": "Krippendorff's alfa (interval)",
}
MEASURE_LABELS = {"ticks": "Gedragsbeschrijvingen (vinkjes)", "ratings": "Beoordelingen (-3 tot +3)",
                  "speaking_time": "Spreektijd (30-secondenvakken)"}
#: How each statistic is computed, in Dutch, for the "Toelichting" column of the agreement sheet.
FIGURE_EXPLANATIONS: dict[str, str] = {
    "percent_agreement": "Aandeel cellen waarin beide observatoren hetzelfde scoorden (po).",
    "prevalence": "Aandeel aangevinkte cellen, gemiddeld over beide observatoren. Bij een lage prevalentie "
                  "is kappa laag, ook als de observatoren het vaak eens zijn.",
    "positive_agreement": "Van de cellen die minstens één observator aanvinkte: 2 x beide / (obs. 1 + obs. 2) "
                          "(Cicchetti & Feinstein, 1990). Aantal = cellen die minstens één observator aanvinkte.",
    "negative_agreement": "Van de cellen die minstens één observator leeg liet: 2 x beide leeg / (leeg obs. 1 + "
                          "leeg obs. 2). Aantal = cellen die minstens één observator leeg liet.",
    "cohen_kappa": "Overeenstemming gecorrigeerd voor toeval: (po - pe) / (1 - pe).",
    "pabak": "Kappa gecorrigeerd voor prevalentie en bias: 2 x po - 1 (Byrt, Bishop & Carlin, 1993).",
    "gwet_ac1": "Gwet's AC1 (Gwet, 2008): toevalscorrectie die bij zeldzame vinkjes niet instort zoals kappa.",
    "krippendorff_alpha_nominal": "Krippendorff's alfa op nominaal niveau (aangevinkt / niet aangevinkt).",
    "speaking_seconds_abs_diff": "Verschil in afgeleide totale spreektijd tussen de observatoren, in seconden; "
                                 "bij meer deelnemers opgeteld per deelnemer.",
    "exact_agreement": "Aandeel beoordelingsparen met precies dezelfde score.",
    "within_one_agreement": "Aandeel beoordelingsparen dat hooguit 1 punt verschilt.",
    "weighted_kappa_linear": "Cohen's kappa met lineaire gewichten op de vaste schaal -3 tot +3.",
    "weighted_kappa_quadratic": "Cohen's kappa met kwadratische gewichten op de vaste schaal -3 tot +3.",
    "icc_a1": "Intraclass-correlatie: tweeweg, absolute overeenstemming, enkele meting (McGraw & Wong, 1996; "
              "Shrout & Fleiss ICC(2,1)), met 95%-betrouwbaarheidsinterval. Lees de ICC op het interval "
              "(Koo & Li, 2016).",
    "krippendorff_alpha_interval": "Krippendorff's alfa op intervalniveau.",
}
#: Why a statistic is undefined, in Dutch (validate's notes are English, for tools).
_UNDEFINED_REASONS: tuple[tuple[str, str], ...] = (
    ("neither observer ticked any cell", "geen van beide observatoren vinkte iets aan"),
    ("both observers ticked every cell", "beide observatoren vinkten alles aan"),
    ("ticked nothing", "beide observatoren vinkten niets aan"),
    ("ticked every cell", "beide observatoren vinkten alles aan"),
    ("gave only the rating", "beide observatoren gaven steeds dezelfde score"),
    ("no cells to compare", "geen cellen om te vergelijken"),
    ("at least 2 targets and 2 raters", "er zijn minstens 2 deelnemers en 2 observatoren nodig"),
    ("fewer than 3 rated targets", "te weinig beoordelingsparen voor een ICC (minstens 3 nodig)"),
    ("zero variance", "alle beoordelingen zijn gelijk (geen spreiding)"),
    ("denominator is zero", "geen bruikbare spreiding"),
    ("no unit coded by at least 2 observers", "niets door beide observatoren gescoord"),
    ("expected disagreement is zero", "verwachte onenigheid is nul (geen spreiding)"),
    ("fewer than 2 rating pairs", "minder dan 2 beoordelingsparen"),
    ("no rating pairs", "geen beoordelingsparen"),
)
#: Said of every figure whose n is below validate's bound.
INDICATIVE_WORD = "indicatief"
INDICATIVE_NOTE = (f"{INDICATIVE_WORD.capitalize()}: minder dan {INDICATIVE_BELOW_N} vergelijkingen, "
                   "lees de waarde met voorzichtigheid.")


def explanation(fig: Figure) -> str:
    """Dutch text for the agreement sheet: why the figure is undefined, else how it is computed (and if indicative)."""
    if fig.value is None:
        reason = next((dutch for english, dutch in _UNDEFINED_REASONS if english in fig.note), fig.note)
        return f"Niet te berekenen: {reason}."
    text = FIGURE_EXPLANATIONS.get(fig.name, fig.method)
    return f"{INDICATIVE_NOTE} {text}" if fig.indicative else text


def interval_text(fig: Figure) -> str:
    """``0,02 - 0,76`` for a figure with an interval, else ""."""
    if fig.ci_low is None or fig.ci_high is None:
        return ""
    return f"{fig.ci_low:.2f} - {fig.ci_high:.2f}".replace(".", ",")


def agreement_blocks(values: CaseValues) -> tuple[AgreementBlock, ...]:
    """The case's agreement blocks, as ``softa validate`` computed them."""
    return values.agreement


def figure(block: AgreementBlock, name: str) -> Figure | None:
    """One named figure of a block, or None when the block does not have it."""
    return next((f for f in block.figures if f.name == name), None)
