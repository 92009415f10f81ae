"""Which cases changed since the queue was last built, without scanning every stored box.

The queue re-validates a case only when its stored data changed. Measuring that
with aggregates over ``box_values`` costs a scan of every box of every case
(about 0.3 s with 32 cases) on each page view. Every change to a box is either
a person's decision (always in ``audit_log``) or the scanner storing a page
(a new or changed ``scanned_pages`` row). So the box part of a case's
fingerprint is recomputed only for cases named by new audit rows or new pages;
the small tables are summed as a whole each time, and a full recount runs every
``FULL_RECOUNT_S`` seconds in case anything else wrote to the database.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

#: Longest time a change outside the audit trail and the page table can go unnoticed (seconds).
FULL_RECOUNT_S = 30.0

_BOXES_SQL = "SELECT case_id, COUNT(*), TOTAL(version), TOTAL(checked) FROM box_values"
_SMALL = (
    "SELECT case_id, COUNT(*), TOTAL(version) FROM scanned_pages WHERE case_id IS NOT NULL GROUP BY case_id",
    "SELECT case_id, COUNT(*), MAX(accepted_at) FROM finding_acceptances GROUP BY case_id",
    "SELECT case_id, COUNT(*), TOTAL(version) FROM region_values GROUP BY case_id",
    "SELECT case_id, COUNT(*), TOTAL(version) FROM duplicates GROUP BY case_id",
)
_EMPTY_BOXES = (0, 0.0, 0.0)
_EMPTY_SMALL = ((0, 0.0), (0, None), (0, 0.0), (0, 0.0))


class ChangeTracker:
    """Per-case fingerprints (equal to ``FindingCache.fingerprint``), kept up to date cheaply."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._boxes: dict[str, tuple[Any, ...]] = {}
        self._last_audit = -1
        self._last_page = -1
        self._recounted_at = float("-inf")

    def fingerprints(self, conn: sqlite3.Connection, now: float | None = None) -> dict[str, tuple[Any, ...]]:
        stamp = time.monotonic() if now is None else now
        with self._lock:
            last_audit = conn.execute("SELECT COALESCE(MAX(id), 0) FROM audit_log").fetchone()[0]
            last_page = conn.execute("SELECT COALESCE(MAX(id), 0) FROM scanned_pages").fetchone()[0]
            if stamp - self._recounted_at >= FULL_RECOUNT_S or self._last_audit < 0:
                self._boxes = {r[0]: tuple(r[1:]) for r in conn.execute(_BOXES_SQL + " GROUP BY case_id")}
                self._recounted_at = stamp
            else:
                touched = {r[0] for r in conn.execute(
                    "SELECT DISTINCT case_id FROM audit_log WHERE id > ? AND case_id IS NOT NULL",
                    (self._last_audit,))}
                touched |= {r[0] for r in conn.execute(
                    "SELECT DISTINCT case_id FROM scanned_pages WHERE id > ? AND case_id IS NOT NULL",
                    (self._last_page,))}
                for case_id in touched:
                    row = conn.execute(_BOXES_SQL + " WHERE case_id = ?", (case_id,)).fetchone()
                    self._boxes[case_id] = tuple(row[1:]) if row[0] is not None else _EMPTY_BOXES
            self._last_audit, self._last_page = last_audit, last_page
            boxes = dict(self._boxes)
        small = [{r[0]: tuple(r[1:]) for r in conn.execute(sql)} for sql in _SMALL]
        cases = [r[0] for r in conn.execute("SELECT case_id FROM cases")]
        return {case: (*boxes.get(case, _EMPTY_BOXES),
                       *(v for part, empty in zip(small, _EMPTY_SMALL, strict=True) for v in part.get(case, empty)))
                for case in cases}
