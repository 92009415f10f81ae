"""What validation reports: findings and agreement figures (the JSON contract)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from validate.agreement import Figure, figures_to_dict

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One problem in a case. ``rule`` is a stable id other tools read.

    ``participant`` is a code (H1, C2), ``gezin`` / ``sessie`` for family- and
    session-level values, or None for case-level findings (completeness);
    ``slot`` is "1", "2", "consensus" or None; ``dimension`` uses the layout's names.
    """

    case: str
    participant: str | None
    slot: str | None
    dimension: str | None
    rule: str
    severity: Severity
    message: str
    #: Extra detail that makes the finding unique (an item, a page), for ``key``.
    detail: str = ""
    #: Box ids the finding is about (the ticks behind a rating warning, a rating row).
    box_ids: tuple[str, ...] = ()
    accepted: bool = False
    accepted_note: str | None = None

    @property
    def key(self) -> str:
        """Stable identity, used to store a reviewer's acceptance of a warning."""
        return "|".join([self.rule, self.participant or "", self.slot or "", self.dimension or "", self.detail])

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["box_ids"] = list(self.box_ids)
        data["key"] = self.key
        return data


@dataclass(frozen=True)
class AgreementBlock:
    """Agreement figures for one scope (e.g. case 2024-017, ticks, betrokkenheid, H1)."""

    scope: str
    case: str | None
    measure: Literal["ticks", "ratings", "speaking_time"]
    participant: str | None
    dimension: str | None
    item: int | None
    figures: tuple[Figure, ...]
    #: Form version ("client"/"therapist") of tick blocks: item numbers differ per version.
    version: str | None = None
    #: Which group the figures describe (``validate.agreement_report.GROUP_LABELS``), and its Dutch name.
    group: str = ""
    group_label: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"scope": self.scope, "case": self.case, "measure": self.measure, "group": self.group,
                "group_label": self.group_label, "participant": self.participant,
                "dimension": self.dimension, "item": self.item, "version": self.version,
                "figures": figures_to_dict(self.figures)}


@dataclass(frozen=True)
class CaseValidation:
    case: str
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    agreement: tuple[AgreementBlock, ...] = field(default_factory=tuple)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def open_warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning" and not f.accepted)
