"""The review queue: every open item of the batch, worst first, filterable by case.

Order: unidentified pages, duplicate scans, rating rows with no or several
values, uncertain boxes (lowest confidence first), validation warnings, free
texts to transcribe. Keys are stable strings such as ``box:<case>:<box id>``.
Validation warnings of a case appear once none of its boxes is flagged.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from review.changes import ChangeTracker

Kind = Literal["page", "duplicate", "rating", "box", "finding", "text"]
KIND_ORDER: dict[str, int] = {"page": 0, "duplicate": 1, "rating": 2, "box": 3, "finding": 4, "text": 5}
KIND_LABELS: dict[str, str] = {
    "page": "Onbekende pagina's",
    "duplicate": "Dubbele scans",
    "rating": "Beoordelingsrijen",
    "box": "Twijfelachtige vakjes",
    "finding": "Validatiewaarschuwingen",
    "text": "Vrije tekst overtypen",
}
#: Confidence used for ordering when the scanner stored none: treat as least sure.
UNKNOWN_CONFIDENCE = -1.0

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueItem:
    """One open item; ``key`` identifies it across requests."""

    key: str
    kind: str
    case_id: str | None
    order: tuple[Any, ...]


@dataclass(frozen=True)
class Queue:
    items: tuple[QueueItem, ...]
    #: Problems met while building (e.g. validation could not run), shown to the reviewer.
    problems: tuple[str, ...] = ()

    def index(self, key: str) -> int | None:
        for n, item in enumerate(self.items):
            if item.key == key:
                return n
        return None

    def counts(self) -> dict[str, int]:
        out = {kind: 0 for kind in KIND_ORDER}
        for item in self.items:
            out[item.kind] += 1
        return out


def make_key(kind: str, *parts: object) -> str:
    return ":".join([kind, *(str(p) for p in parts)])


def split_key(key: str) -> tuple[str, str, str]:
    """``(kind, case or id, rest)`` of a key; case numbers never contain ':'."""
    kind, _, tail = key.partition(":")
    first, _, rest = tail.partition(":")
    return kind, first, rest


FindingSource = Callable[[sqlite3.Connection, str], list[Any]]


def default_finding_source() -> FindingSource | None:
    """Validation's findings per case, updated per decision (``review.incremental``); None without validate."""
    try:
        import validate  # noqa: F401
    except ImportError:  # pragma: no cover - validate is part of the package
        return None
    from review.incremental import IncrementalSource

    return IncrementalSource()


class FindingCache:
    """Validation findings per case, recomputed only when the case's stored data changed."""

    def __init__(self, source: FindingSource | None) -> None:
        self.source = source
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[tuple[Any, ...], list[Any]]] = {}
        self._changes = ChangeTracker()

    @staticmethod
    def fingerprint(conn: sqlite3.Connection, case_id: str) -> tuple[Any, ...]:
        boxes = conn.execute("SELECT COUNT(*), TOTAL(version), TOTAL(checked) FROM box_values WHERE case_id = ?",
                             (case_id,)).fetchone()
        pages = conn.execute("SELECT COUNT(*), TOTAL(version) FROM scanned_pages WHERE case_id = ?",
                             (case_id,)).fetchone()
        accepted = conn.execute("SELECT COUNT(*), MAX(accepted_at) FROM finding_acceptances WHERE case_id = ?",
                                (case_id,)).fetchone()
        # Transcriptions and duplicate decisions settle completeness findings too.
        regions = conn.execute("SELECT COUNT(*), TOTAL(version) FROM region_values WHERE case_id = ?",
                               (case_id,)).fetchone()
        duplicates = conn.execute("SELECT COUNT(*), TOTAL(version) FROM duplicates WHERE case_id = ?",
                                  (case_id,)).fetchone()
        return (*boxes, *pages, *accepted, *regions, *duplicates)

    def fingerprints(self, conn: sqlite3.Connection) -> dict[str, tuple[Any, ...]]:
        """``fingerprint`` of every case, kept up to date without scanning every box (``review.changes``)."""
        return self._changes.fingerprints(conn)

    def findings(self, conn: sqlite3.Connection, case_id: str, stamp: tuple[Any, ...] | None = None) -> list[Any]:
        if self.source is None:
            return []
        stamp = self.fingerprint(conn, case_id) if stamp is None else stamp
        with self._lock:
            cached = self._cache.get(case_id)
            if cached is not None and cached[0] == stamp:
                return cached[1]
        found = self.source(conn, case_id)
        with self._lock:
            self._cache[case_id] = (stamp, found)
        return found

    def finding(self, conn: sqlite3.Connection, case_id: str, finding_key: str) -> Any | None:
        for finding in self.findings(conn, case_id):
            if finding.key == finding_key:
                return finding
        return None


#: Completeness findings are settled by the queue's other items (a text to transcribe, a
#: flag, a duplicate) or by scanning; accepting them with a note would hide the real work.
HANDLED_ELSEWHERE = "completeness."
#: The completeness error only scanning settles; shown as a problem above the queue.
MISSING_PAGE = "completeness.page_missing"


def open_warnings(findings: list[Any]) -> list[Any]:
    """The findings a reviewer can settle here, errors first: export-blocking errors (a rating row left
    without a value, two values, ticks after the session's end) and rule warnings not yet accepted."""
    errors = [f for f in findings if f.severity == "error" and not f.rule.startswith(HANDLED_ELSEWHERE)]
    warnings = [f for f in findings if f.severity == "warning" and not f.accepted
                and not f.rule.startswith(HANDLED_ELSEWHERE)]
    return errors + warnings


def blocking_elsewhere(findings: list[Any]) -> list[Any]:
    """Export-blocking findings no decision here can settle (a page that was never scanned)."""
    return [f for f in findings if f.severity == "error" and f.rule == MISSING_PAGE]


def build_queue(conn: sqlite3.Connection, findings: FindingCache, case_filter: str | None = None) -> Queue:
    """All open items, worst first; only one case's items when ``case_filter`` is given."""
    items: list[QueueItem] = []
    problems: list[str] = []
    where, args = ("", ()) if not case_filter else (" AND case_id = ?", (case_filter,))
    for row in conn.execute(f"SELECT id, case_id FROM scanned_pages WHERE status = 'unidentified'{where} ORDER BY id",
                            args):
        items.append(QueueItem(make_key("page", row["id"]), "page", row["case_id"], (row["id"],)))
    for row in conn.execute(f"SELECT id, case_id, page_index FROM duplicates WHERE status = 'open'{where} ORDER BY id",
                            args):
        items.append(QueueItem(make_key("duplicate", row["id"]), "duplicate", row["case_id"],
                               (row["case_id"], row["page_index"], row["id"])))
    flagged = conn.execute(
        "SELECT bv.case_id, bv.box_id, bv.confidence, lb.kind, lb.grp, lb.page_index, lb.rowid AS pos "
        "FROM box_values bv JOIN layout_boxes lb ON lb.case_id = bv.case_id AND lb.box_id = bv.box_id "
        f"WHERE bv.status = 'flagged'{where.replace('case_id', 'bv.case_id')}", args).fetchall()
    ratings: dict[tuple[str, str], tuple[Any, ...]] = {}
    for row in flagged:
        confidence = UNKNOWN_CONFIDENCE if row["confidence"] is None else row["confidence"]
        if row["kind"] == "rating":
            ratings.setdefault((row["case_id"], row["grp"]), (row["case_id"], row["page_index"], row["pos"]))
        else:
            items.append(QueueItem(make_key("box", row["case_id"], row["box_id"]), "box", row["case_id"],
                                   (confidence, row["case_id"], row["page_index"], row["pos"])))
    for (case_id, group), order in ratings.items():
        items.append(QueueItem(make_key("rating", case_id, group), "rating", case_id, order))
    # Validation is run only for cases whose boxes are all settled: on open flags its
    # warnings would be noise, and each run costs a few tenths of a second.
    unsettled = {row["case_id"] for row in flagged}
    case_rows = conn.execute(f"SELECT case_id FROM cases WHERE 1 = 1{where} ORDER BY case_id", args).fetchall()
    stamps = findings.fingerprints(conn) if len(case_rows) > 1 else {}
    for case_row in case_rows:
        case_id = case_row["case_id"]
        if case_id in unsettled:
            continue
        try:
            found = findings.findings(conn, case_id, stamps.get(case_id))
            warnings = open_warnings(found)
        except Exception as exc:  # validation must never take the review screen down
            log.exception("validation of case %s failed", case_id)
            problems.append(f"Validatie van casus {case_id} lukte niet: {exc}")
            continue
        for n, finding in enumerate(warnings):
            items.append(QueueItem(make_key("finding", case_id, finding.key), "finding", case_id, (case_id, n)))
        missing = blocking_elsewhere(found)
        if missing:
            problems.append(f"Casus {case_id}: {len(missing)} formulierpagina('s) nog niet gescand; dat blokkeert de "
                            "export. Scan die pagina's (softa scan).")
    for row in conn.execute(
            "SELECT rv.case_id, rv.region_id, COALESCE(lr.page_index, 0) AS page_index FROM region_values rv "
            "LEFT JOIN layout_regions lr ON lr.case_id = rv.case_id AND lr.region_id = rv.region_id "
            f"WHERE rv.status = 'pending'{where.replace('case_id', 'rv.case_id')}", args):
        items.append(QueueItem(make_key("text", row["case_id"], row["region_id"]), "text", row["case_id"],
                               (row["case_id"], row["page_index"], row["region_id"])))
    items.sort(key=lambda i: (KIND_ORDER[i.kind], _sortable(i.order)))
    return Queue(items=tuple(items), problems=tuple(problems))


def _sortable(order: tuple[Any, ...]) -> tuple[Any, ...]:
    """Make None sort first and keep mixed types comparable."""
    return tuple((0, "") if v is None else (1, v) for v in order)
