"""The values an export writes, with unresolved data found, named and turned into missing values.

Everything export writes (xlsx, dataset, report) goes through :func:`case_values`:
one place decides which stored value counts and which is missing.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from softa.errors import UnresolvedDataError
from softa.i18n import _
from softa.instrument import FAMILY, SESSION, SOFTA_DIMENSIONS, TAALGEBRUIK, Slot
from softa.layout import QrIdentity
from softa.manifest import Manifest
from softa.records import BoxValue, CaseRecord, RegionValue, load_case_record
from validate.model import AgreementBlock, CaseValidation

#: How many box ids an error message lists before it says "and N more".
MAX_NAMED = 12
#: Slot value used for the worker's self-assessment in the dataset.
#: Slot of the worker's self-assessment in exported files (Dutch, like every label).
SELF = "zelf"
#: Box statuses a person must still resolve.
UNRESOLVED_STATUSES = ("flagged", "missing")

TickKey = tuple[str, str, str]  # participant, slot, dimension
RatingKey = tuple[str, str, str]  # participant, slot ("1", "2", "consensus", "zelf"), dimension


@dataclass(frozen=True)
class Problem:
    """One reason a case is not ready to export, in words a student understands."""

    kind: str  # validate's rule id, or (without validate) flagged / missing_page / open_duplicate / rating_row
    message: str
    box_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseValues:
    """The values of one case as export writes them; ``None`` is missing (unresolved)."""

    record: CaseRecord
    #: (participant, slot, dimension) -> (item, window) -> 1/0/None
    ticks: dict[TickKey, dict[tuple[int, int], int | None]]
    #: (participant, slot, dimension) -> rating or None; slot "zelf" for the self-assessment
    ratings: dict[RatingKey, int | None]
    #: (participant, slot) -> one value per 30-second bin (1/0/None), bin 1 first
    timeline: dict[tuple[str, str], list[int | None]]
    problems: tuple[Problem, ...]
    validation: CaseValidation | None
    missing_boxes: frozenset[str] = field(default_factory=frozenset)

    @property
    def manifest(self) -> Manifest:
        return self.record.manifest

    @property
    def case(self) -> str:
        return self.record.manifest.case

    @property
    def regions(self) -> tuple[RegionValue, ...]:
        return self.record.regions

    @property
    def agreement(self) -> tuple[AgreementBlock, ...]:
        return self.validation.agreement if self.validation else ()

    def notes(self) -> list[str]:
        """Dutch lines that say what was written as missing, for note sheets and the report."""
        return [p.message for p in self.problems]


def run_validation(conn: sqlite3.Connection, case_id: str) -> CaseValidation:
    """The validate stage's verdict on a case (findings and agreement figures)."""
    from validate import validate_case

    return validate_case(conn, case_id)


def _page_label(record: CaseRecord, page_index: int) -> str:
    page = record.pages[page_index]
    return QrIdentity(case=record.manifest.case, form=page.form, participant=page.participant, slot=page.slot,
                      page=page.page, pages=page.pages).label


def _named(ids: list[str]) -> str:
    shown = ", ".join(ids[:MAX_NAMED])
    return shown + (f" en nog {len(ids) - MAX_NAMED}" if len(ids) > MAX_NAMED else "")


def find_problems(record: CaseRecord, validation: CaseValidation | None) -> list[Problem]:
    """Everything unresolved in a case: flagged boxes, unscanned pages, open duplicates, odd rating rows, errors.

    With a validation result, its errors are the list (validate checks all of these and more); without
    one, the same checks are made here.
    """
    if validation is not None:
        return [Problem(f.rule, f.message + (f" [{_named(list(f.box_ids))}]" if f.box_ids else ""),
                        tuple(f.box_ids)) for f in validation.errors]
    problems: list[Problem] = []
    missing_by_page: dict[int, list[str]] = {}
    for box in record.boxes:
        if box.status == "missing":
            missing_by_page.setdefault(box.page_index, []).append(box.box_id)
    for page_index, ids in sorted(missing_by_page.items()):
        problems.append(Problem("missing_page", f"niet gescand: {_page_label(record, page_index)} "
                                                f"({len(ids)} vakjes zonder waarde)", tuple(ids)))
    flagged = [b.box_id for b in record.boxes if b.status == "flagged"]
    if flagged:
        problems.append(Problem("flagged", f"{len(flagged)} vakjes nog niet beoordeeld in `softa review`: "
                                           f"{_named(flagged)}", tuple(flagged)))
    for page in record.pages:
        if page.open_duplicates:
            problems.append(Problem("open_duplicate", f"twee verschillende scans van {_page_label(record, page.page_index)}"
                                                      " (kies er een in `softa review`)"))
    groups = record.groups()
    for group, boxes in groups.items():
        if boxes[0].kind != "rating" or any(b.status in UNRESOLVED_STATUSES for b in boxes):
            continue
        ticked = [b for b in boxes if b.checked]
        if len(ticked) != 1:
            what = "geen waarde" if not ticked else f"{len(ticked)} waarden"
            problems.append(Problem("rating_row", f"beoordeling {group}: {what} aangekruist (precies één verwacht)",
                                    tuple(b.box_id for b in boxes)))
    return problems


def _missing_boxes(record: CaseRecord, problems: list[Problem]) -> frozenset[str]:
    """Box ids whose value is written as missing: every box a problem names, whole rating rows included."""
    named = {box_id for p in problems for box_id in p.box_ids}
    by_id = {b.box_id: b for b in record.boxes}
    rows = {by_id[i].group for i in named if i in by_id and by_id[i].kind == "rating"}
    return frozenset(named | {b.box_id for b in record.boxes if b.group in rows})


#: A refusal lists this many problems; `softa validate` lists them all.
MAX_LISTED_PROBLEMS = 12


def refuse(case_id: str, problems: list[Problem]) -> UnresolvedDataError:
    """The error export raises for a case that is not ready, naming its first problems."""
    lines = "\n".join(f"  - {p.message}" for p in problems[:MAX_LISTED_PROBLEMS])
    if len(problems) > MAX_LISTED_PROBLEMS:
        lines += "\n  " + _("... and {count} more (`softa validate` lists them all)").format(
            count=len(problems) - MAX_LISTED_PROBLEMS)
    return UnresolvedDataError(
        _("case {case} has unresolved data, export refused:").format(case=case_id) + "\n" + lines,
        hint=_("resolve them with `softa review` (and `softa validate`), or pass --allow-unresolved "
               "to write these values as missing"))


def _value(box: BoxValue, missing: frozenset[str]) -> int | None:
    if box.box_id in missing or box.checked is None:
        return None
    return int(box.checked)


def _rating_slots(participant: str) -> list[str]:
    return [s.value for s in Slot] + ([SELF] if participant.startswith("H") else [])


def case_values(conn: sqlite3.Connection, case_id: str, *, allow_unresolved: bool = False,
                validation: CaseValidation | None = None) -> CaseValues:
    """Load a case for export; raise UnresolvedDataError naming every problem unless ``allow_unresolved``."""
    record = load_case_record(conn, case_id)
    if not allow_unresolved and record.boxes and all(box.status == "missing" for box in record.boxes):
        raise UnresolvedDataError(_("case {case}: nothing scanned yet").format(case=case_id),
                                  hint=_("scan the handed-in forms first: softa scan <files> (with the same --db)"))
    if validation is None:
        validation = run_validation(conn, case_id)
    problems = find_problems(record, validation)
    if problems and not allow_unresolved:
        raise refuse(case_id, problems)
    missing = _missing_boxes(record, problems)
    ticks: dict[TickKey, dict[tuple[int, int], int | None]] = {}
    ratings: dict[RatingKey, int | None] = {}
    timeline_bins: dict[tuple[str, str], dict[int, int | None]] = {}
    rating_rows: dict[RatingKey, list[BoxValue]] = {}
    for box in record.boxes:
        slot = box.slot if box.slot is not None else SELF
        if box.kind == "tick":
            ticks.setdefault((box.participant, slot, box.dimension), {})[(box.item or 0, box.window or 0)] = \
                _value(box, missing)
        elif box.kind == "rating":
            rating_rows.setdefault((box.participant, slot, box.dimension), []).append(box)
        elif box.kind == "timeline":
            timeline_bins.setdefault((box.participant, slot), {})[box.bin or 0] = _value(box, missing)
    # by bin number, not by layout order (a long session's timeline spans pages)
    timeline = {key: [bins[b] for b in sorted(bins)] for key, bins in timeline_bins.items()}
    for key, row in rating_rows.items():
        chosen = [b.value for b in row if b.checked and b.value is not None]
        unresolved = any(b.box_id in missing or b.checked is None for b in row) or len(chosen) != 1
        ratings[key] = None if unresolved else chosen[0]
    return CaseValues(record=record, ticks=ticks, ratings=ratings, timeline=timeline, problems=tuple(problems),
                      validation=validation, missing_boxes=missing)


def rating_dimensions(values: CaseValues, participant: str) -> list[str]:
    """Dimensions rated for a participant, in form order (family and session rows included)."""
    order = [*SOFTA_DIMENSIONS, TAALGEBRUIK, "spreektijd_balans"]
    present = {d for (p, _s, d) in values.ratings if p == participant}
    return [d for d in order if d in present]


def participants_with_ratings(values: CaseValues) -> list[str]:
    """Participant codes in manifest order, then the family and session rows."""
    codes = [p.code for p in values.manifest.participants]
    present = {p for (p, _s, _d) in values.ratings}
    return [c for c in [*codes, FAMILY, SESSION] if c in present]


__all__ = ["SELF", "CaseValues", "Problem", "case_values", "find_problems",
           "participants_with_ratings", "rating_dimensions", "refuse", "run_validation"]
