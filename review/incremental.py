"""Validation findings per decision without re-reading the whole case.

``validate.validate_case`` reads a case's layout, every box joined to it and
computes observer agreement: about a second for a full case, after every
decision. The review screen needs only the findings. This source keeps each
case's record in memory and, per call, reads only the current box values (no
layout, no join), replaces the boxes whose value changed, re-reads the small
region and page tables and runs ``validate.engine.check_case`` on the result:
the same findings, in a few tens of milliseconds.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from softa.db import connect
from softa.records import CaseRecord, RegionValue, load_case_record, load_page_states

log = logging.getLogger(__name__)

#: The columns of a stored box value the findings depend on.
_VALUE_SQL = "SELECT box_id, checked, status, reason FROM box_values WHERE case_id = ?"


@dataclass
class _Cached:
    stamp: tuple[Any, ...]
    record: CaseRecord
    #: box id -> (checked, status, reason) as in the record.
    values: dict[str, tuple[Any, Any, Any]]
    #: box id -> position in ``record.boxes``.
    positions: dict[str, int]


def _value(row: sqlite3.Row | None) -> tuple[Any, Any, Any]:
    if row is None:
        return (None, "missing", None)
    return (None if row["checked"] is None else bool(row["checked"]), row["status"] or "missing", row["reason"])


def _regions(conn: sqlite3.Connection, case_id: str) -> tuple[RegionValue, ...]:
    rows = conn.execute(
        "SELECT lr.*, rv.image_path, rv.transcription, rv.status FROM layout_regions lr "
        "LEFT JOIN region_values rv ON rv.case_id = lr.case_id AND rv.region_id = lr.region_id "
        "WHERE lr.case_id = ? ORDER BY lr.page_index, lr.rowid", (case_id,)).fetchall()
    return tuple(RegionValue(region_id=r["region_id"], participant=r["participant"], slot=r["slot"],
                             dimension=r["dimension"], label=r["label"], image_path=r["image_path"],
                             transcription=r["transcription"], status=r["status"] or "missing") for r in rows)


class IncrementalSource:
    """A finding source (``conn, case_id -> findings``) that updates only the boxes that changed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._case_locks: dict[str, threading.Lock] = {}
        self._cases: dict[str, _Cached] = {}
        #: Boxes re-read on the last call (for tests and benchmarks).
        self.last_changed = 0

    def record(self, conn: sqlite3.Connection, case_id: str) -> CaseRecord:
        """The case's record as stored now."""
        with self._lock:
            lock = self._case_locks.setdefault(case_id, threading.Lock())
        with lock:  # one update of a case's record at a time; other cases go on
            return self._record(conn, case_id)

    def warm(self, db_path: Path) -> threading.Thread:
        """Read every case's record in the background, so the first validation of a case is quick too."""

        def run() -> None:
            conn = connect(db_path, create=False)
            try:
                for row in conn.execute("SELECT case_id FROM cases ORDER BY case_id").fetchall():
                    self.record(conn, row[0])
            except Exception:  # a damaged case is reported when it is validated, not here
                log.exception("reading the cases ahead failed")
            finally:
                conn.close()

        thread = threading.Thread(target=run, name="softa-review-warm", daemon=True)
        thread.start()
        return thread

    def _record(self, conn: sqlite3.Connection, case_id: str) -> CaseRecord:
        stamp = tuple(conn.execute("SELECT layout_sha256, updated_at, manifest_json FROM cases WHERE case_id = ?",
                                   (case_id,)).fetchone() or ())
        with self._lock:
            cached = self._cases.get(case_id)
        if cached is None or cached.stamp != stamp:
            record = load_case_record(conn, case_id)
            current = {r["box_id"]: _value(r) for r in conn.execute(_VALUE_SQL, (case_id,))}
            cached = _Cached(stamp=stamp, record=record,
                             values={b.box_id: current.get(b.box_id, _value(None)) for b in record.boxes},
                             positions={b.box_id: n for n, b in enumerate(record.boxes)})
            self.last_changed = len(record.boxes)
        else:
            current = {r["box_id"]: _value(r) for r in conn.execute(_VALUE_SQL, (case_id,))}
            changed = [box_id for box_id, old in cached.values.items() if current.get(box_id, _value(None)) != old]
            boxes = list(cached.record.boxes)
            for box_id in changed:
                checked, status, reason = current.get(box_id, _value(None))
                n = cached.positions[box_id]
                boxes[n] = replace(boxes[n], checked=checked, status=status, reason=reason)
                cached.values[box_id] = (checked, status, reason)
            cached.record = replace(cached.record, boxes=tuple(boxes), regions=_regions(conn, case_id),
                                    pages=load_page_states(conn, case_id))
            self.last_changed = len(changed)
        with self._lock:
            self._cases[case_id] = cached
        return cached.record

    def __call__(self, conn: sqlite3.Connection, case_id: str) -> list[Any]:
        from validate.casedata import CaseData
        from validate.engine import check_case

        accepted = {r["finding_key"]: r["note"] for r in conn.execute(
            "SELECT finding_key, note FROM finding_acceptances WHERE case_id = ?", (case_id,))}
        return list(check_case(CaseData.from_record(self.record(conn, case_id)), accepted))
