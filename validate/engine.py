"""Validate cases: completeness, structure, the manual's guidelines and observer agreement."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from softa.db import audit, now, transaction
from softa.db import case_ids as all_case_ids
from softa.errors import SoftaError
from softa.i18n import _
from validate.agreement_report import case_agreement, collect_pairs, overall_agreement
from validate.casedata import CaseData
from validate.completeness import completeness_findings, structural_findings
from validate.model import AgreementBlock, CaseValidation, Finding, Severity
from validate.rules import rating_findings
from validate.wording import QUOTES

#: Findings sort: errors first, then open warnings, then accepted ones.
_SEVERITY_ORDER = {"error": 0, "warning": 1}
#: Every rule id validation reports, with its severity (documented in completeness.py and rules.py).
RULES: dict[str, Severity] = {
    **dict.fromkeys(("completeness.page_missing", "completeness.duplicate_open", "completeness.box_flagged",
                     "rating.none", "rating.multiple", "self_assessment.none", "self_assessment.multiple",
                     "ticks.beyond_session"), "error"),
    "completeness.region_untranscribed": "warning",
    **dict.fromkeys(QUOTES, "warning"),
}
#: Rules whose findings are errors: they must be fixed, never accepted.
ERROR_RULES = frozenset(rule for rule, severity in RULES.items() if severity == "error")


@dataclass(frozen=True)
class ValidationReport:
    """Validation of several cases plus agreement across all of them."""

    cases: tuple[CaseValidation, ...]
    overall: tuple[AgreementBlock, ...] = ()
    #: Scanned pages in the database no case claims yet (waiting in `softa review`).
    unidentified_pages: int = 0

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for c in self.cases for f in c.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for c in self.cases for f in c.errors)

    @property
    def open_warnings(self) -> tuple[Finding, ...]:
        return tuple(f for c in self.cases for f in c.open_warnings)

    def to_json(self) -> dict[str, Any]:
        """The issue's JSON: ``{"findings": [...], "agreement": [...], "summary": {...}}``."""
        return {
            "findings": [f.to_json() for f in self.findings],
            "agreement": [b.to_json() for c in self.cases for b in c.agreement]
            + [b.to_json() for b in self.overall],
            "summary": {
                "cases": [c.case for c in self.cases],
                "errors": len(self.errors),
                "open_warnings": len(self.open_warnings),
                "accepted_warnings": sum(1 for f in self.findings if f.accepted),
                "unidentified_pages": self.unidentified_pages,
            },
        }


def _acceptances(conn: sqlite3.Connection, case_id: str) -> dict[str, str]:
    rows = conn.execute("SELECT finding_key, note FROM finding_acceptances WHERE case_id = ?", (case_id,))
    return {r["finding_key"]: r["note"] for r in rows}


def _sort_key(finding: Finding) -> tuple[int, bool, str, str, str, str]:
    return (_SEVERITY_ORDER[finding.severity], finding.accepted, finding.participant or "",
            finding.slot or "", finding.dimension or "", finding.rule)


def check_case(data: CaseData, accepted: dict[str, str] | None = None) -> tuple[Finding, ...]:
    """All findings of one indexed case, with accepted warnings marked, worst first."""
    accepted = accepted or {}
    findings = [*completeness_findings(data), *structural_findings(data), *rating_findings(data)]
    marked = [replace(f, accepted=True, accepted_note=accepted[f.key])
              if f.severity == "warning" and f.key in accepted else f for f in findings]
    return tuple(sorted(marked, key=_sort_key))


def _validate(conn: sqlite3.Connection, case_id: str) -> tuple[CaseValidation, Any]:
    data = CaseData.load(conn, case_id)
    pairs = collect_pairs(data)
    result = CaseValidation(case=case_id, findings=check_case(data, _acceptances(conn, case_id)),
                            agreement=case_agreement(pairs))
    return result, pairs


def validate_case(conn: sqlite3.Connection, case_id: str) -> CaseValidation:
    """Findings and observer agreement of one case (raises LayoutError for an unknown case)."""
    return _validate(conn, case_id)[0]


def validate_cases(conn: sqlite3.Connection, case_ids: Sequence[str] | None = None) -> ValidationReport:
    """Validate the given cases (default: every case in the database), with agreement across them."""
    ids = list(case_ids) if case_ids is not None else all_case_ids(conn)
    results = [_validate(conn, case_id) for case_id in ids]
    waiting = conn.execute("SELECT COUNT(*) FROM scanned_pages WHERE status = 'unidentified'").fetchone()[0]
    return ValidationReport(cases=tuple(r for r, _ in results),
                            overall=overall_agreement([p for _, p in results]) if results else (),
                            unidentified_pages=int(waiting))


def accept_finding(conn: sqlite3.Connection, case_id: str, finding_key: str, rule: str, note: str,
                   reviewer: str) -> None:
    """Record a reviewer's acceptance of a warning (with a note) and audit it, in one transaction.

    Errors cannot be accepted: they must be fixed. The key is ``Finding.key``.
    """
    if rule in ERROR_RULES:
        raise SoftaError(_("case {case}: {rule} is an error and cannot be accepted").format(case=case_id, rule=rule),
                         hint=_("fix the data (scan the page, resolve the flag, correct the rating) instead"))
    if not note.strip():
        raise SoftaError(_("case {case}: accepting warning {key!r} needs a note").format(case=case_id, key=finding_key),
                         hint=_("say why the rating stands despite the guideline"))
    if not reviewer.strip():
        raise SoftaError(_("case {case}: accepting a warning needs the reviewer's name").format(case=case_id),
                         hint=_("give --reviewer"))
    if not finding_key.startswith(f"{rule}|"):
        raise SoftaError(_("case {case}: finding key {key!r} does not belong to rule {rule!r}").format(
                             case=case_id, key=finding_key, rule=rule),
                         hint=_("pass Finding.key and Finding.rule of the same finding"))
    with transaction(conn):
        old = conn.execute("SELECT note, reviewer FROM finding_acceptances WHERE case_id = ? AND finding_key = ?",
                           (case_id, finding_key)).fetchone()
        conn.execute(
            "INSERT INTO finding_acceptances(case_id, finding_key, rule, note, reviewer, accepted_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(case_id, finding_key) DO UPDATE SET "
            "note = excluded.note, reviewer = excluded.reviewer, accepted_at = excluded.accepted_at",
            (case_id, finding_key, rule, note.strip(), reviewer.strip(), now()))
        audit(conn, actor=reviewer.strip(), action="accept_finding", case_id=case_id, target=finding_key,
              old=None if old is None else {"note": old["note"], "reviewer": old["reviewer"]},
              new={"rule": rule, "note": note.strip()}, note=note.strip())
