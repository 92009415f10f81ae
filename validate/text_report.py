"""The validation report for people: per case, grouped by participant and dimension, worst first."""

from __future__ import annotations

import textwrap
from collections import defaultdict
from collections.abc import Mapping, Sequence

from softa.instrument import FAMILY, SESSION
from validate.agreement import Figure
from validate.engine import ValidationReport
from validate.model import AgreementBlock, CaseValidation, Finding
from validate.wording import dimension_label

#: Figures shown in the short agreement summary, per measure.
SUMMARY_FIGURES = {
    "ticks": ("percent_agreement", "positive_agreement", "cohen_kappa", "gwet_ac1"),
    "ratings": ("exact_agreement", "within_one_agreement", "weighted_kappa_linear", "icc_a1",
                "krippendorff_alpha_interval"),
    "speaking_time": ("percent_agreement", "positive_agreement", "cohen_kappa", "speaking_seconds_abs_diff"),
}
#: The groups shown in the short summary: the whole case per form version and per rating group.
SUMMARY_GROUPS = ("ticks.version", "ratings.worker", "ratings.client", "ratings.clients", "ratings.family",
                  "ratings.taalgebruik", "speaking_time.case")
FIGURE_LABELS = {
    "percent_agreement": "overeenstemming", "cohen_kappa": "kappa", "pabak": "PABAK", "gwet_ac1": "AC1",
    "positive_agreement": "positieve overeenstemming", "exact_agreement": "exact gelijk",
    "within_one_agreement": "binnen 1 punt", "weighted_kappa_linear": "gewogen kappa (lineaire gewichten)",
    "icc_a1": "ICC(A,1)", "krippendorff_alpha_interval": "Krippendorff alfa (interval)",
    "speaking_seconds_abs_diff": "verschil spreektijd",
}
PERCENT_FIGURES = {"percent_agreement", "exact_agreement", "within_one_agreement", "positive_agreement"}
#: Wrap findings for a terminal window.
LINE_WIDTH = 110
#: Percent with no decimals; coefficients with two.
PERCENT = 100
#: Values that print as 0.00 with two decimals.
ROUNDS_TO_ZERO = 0.005


PARTICIPANT_HEADINGS = {
    None: "Volledigheid casus",
    FAMILY: "Gezin (één beoordeling Gezamenlijke doelperceptie)",
    SESSION: "Sessie (aanvullende gedragsdimensies)",
}


def _participant_order(case: CaseValidation, codes: Sequence[str]) -> list[str | None]:
    seen = {f.participant for f in case.findings}
    ordered: list[str | None] = [None] if None in seen else []
    ordered += [c for c in codes if c in seen]
    ordered += [p for p in (FAMILY, SESSION) if p in seen]
    ordered += sorted(p for p in seen if p is not None and p not in ordered)
    return ordered


def _worst(findings: list[Finding]) -> tuple[int, int]:
    return (-sum(f.severity == "error" for f in findings), -sum(not f.accepted for f in findings))


def _marker(finding: Finding) -> str:
    if finding.severity == "error":
        return "FOUT"
    return "geaccepteerd" if finding.accepted else "let op"


def format_figure(fig: Figure) -> str:
    """``overeenstemming 97% (n=552)``, ``ICC(A,1) 0.29 [0.02-0.76] (n=6, indicatief)`` or ``kappa n.v.t. (n=4)``."""
    label = FIGURE_LABELS.get(fig.name, fig.name)
    n = f"n={fig.n}" + (", indicatief" if fig.indicative else "")
    if fig.value is None:
        return f"{label} n.v.t. ({n})"
    shown = 0.0 if abs(fig.value) < ROUNDS_TO_ZERO else fig.value  # no "-0.00"
    if fig.name in PERCENT_FIGURES:
        value = f"{shown * PERCENT:.0f}%"
    elif fig.name == "speaking_seconds_abs_diff":
        value = f"{shown:.0f} s"
    else:
        value = f"{shown:.2f}"
    if fig.ci_low is not None and fig.ci_high is not None:
        value += f" [95%: {fig.ci_low:.2f} tot {fig.ci_high:.2f}]"
    return f"{label} {value} ({n})"


def agreement_summary(blocks: Sequence[AgreementBlock]) -> list[str]:
    """One line per named group: the whole case per form version, each rating group, speaking time."""
    lines = []
    for group in SUMMARY_GROUPS:
        for block in blocks:
            if block.group != group:
                continue
            wanted = SUMMARY_FIGURES[block.measure]
            figs = [format_figure(f) for f in block.figures if f.name in wanted]
            label = block.scope.split(" · ", 1)[-1]
            lines.append(f"  {label}: " + "; ".join(figs))
    return lines


def _case_lines(case: CaseValidation, labels: Mapping[str, str]) -> list[str]:
    errors = len(case.errors)
    open_warnings = len(case.open_warnings)
    accepted = sum(f.accepted for f in case.findings)
    lines = [f"Casus {case.case}: {errors} fout(en), {open_warnings} open waarschuwing(en), "
             f"{accepted} geaccepteerd"]
    by_participant: dict[str | None, list[Finding]] = defaultdict(list)
    for finding in case.findings:
        by_participant[finding.participant].append(finding)
    participants = sorted(_participant_order(case, list(labels)), key=lambda p: _worst(by_participant[p]))
    for participant in participants:
        heading = PARTICIPANT_HEADINGS.get(participant) or labels.get(participant or "", participant)
        lines.append("")
        lines.append(f"  {heading}")
        by_dimension: dict[str | None, list[Finding]] = defaultdict(list)
        for finding in by_participant[participant]:
            by_dimension[finding.dimension].append(finding)
        for dimension in sorted(by_dimension, key=lambda d: _worst(by_dimension[d])):
            if dimension is not None:
                lines.append(f"    {dimension_label(dimension)}")
            indent = "      " if dimension is not None else "    "
            for finding in by_dimension[dimension]:
                lines.extend(textwrap.wrap(f"{_marker(finding)}: {finding.message} ({finding.rule})", LINE_WIDTH,
                                           initial_indent=indent, subsequent_indent=indent + "  ",
                                           break_on_hyphens=False))
                if finding.accepted and finding.accepted_note:
                    lines.append(f"{indent}  toelichting: {finding.accepted_note}")
    if not case.findings:
        lines.append("  Geen bevindingen.")
    lines.append("")
    lines.append("  Overeenstemming observator 1 en 2:")
    lines.extend("  " + line for line in agreement_summary(case.agreement))
    return lines


def render_text(report: ValidationReport, participant_labels: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """The whole report as plain text (Dutch).

    ``participant_labels`` maps case -> participant code -> heading (e.g.
    "C1 (moeder)"), in form order; without it codes are used, sorted.
    """
    labels = participant_labels or {}
    lines: list[str] = []
    for case in report.cases:
        lines.extend(_case_lines(case, labels.get(case.case, {})))
        lines.append("")
    if len(report.cases) > 1:
        lines.append("Overeenstemming over alle casussen:")
        lines.extend(agreement_summary(report.overall))
        lines.append("")
    if report.unidentified_pages:
        lines.append(f"Let op: {report.unidentified_pages} gescande pagina('s) zijn nog niet herkend; wijs ze toe in "
                     "softa review (een ontbrekende pagina kan daartussen zitten).")
    lines.append(f"Totaal: {len(report.errors)} fout(en), {len(report.open_warnings)} open waarschuwing(en).")
    return "\n".join(lines) + "\n"
