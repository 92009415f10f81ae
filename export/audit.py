"""The audit file of the dataset: every value a person changed, who, when, from, to and why."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path

AUDIT_COLUMNS = ("case", "when", "who", "action", "target", "from", "to", "note")


def _plain(text: str | None) -> str:
    """A stored JSON value as plain text (1 -> "1", "abc" -> "abc", {"a": 1} stays JSON)."""
    if text is None:
        return ""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return text
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def audit_rows(conn: sqlite3.Connection, cases: Iterable[str] | None = None) -> list[tuple[str, ...]]:
    """Audit log rows (oldest first), limited to ``cases`` when given (case-less rows are always kept)."""
    rows = conn.execute("SELECT at, actor, action, case_id, target, old_value, new_value, note FROM audit_log "
                        "ORDER BY at, id").fetchall()
    wanted = set(cases) if cases is not None else None
    out: list[tuple[str, ...]] = []
    for r in rows:
        if wanted is not None and r["case_id"] is not None and r["case_id"] not in wanted:
            continue
        out.append((r["case_id"] or "", r["at"], r["actor"], r["action"], r["target"],
                    _plain(r["old_value"]), _plain(r["new_value"]), r["note"] or ""))
    return out


def write_audit(conn: sqlite3.Connection, path: Path, cases: Iterable[str] | None = None) -> Path:
    """Write ``audit.csv`` (UTF-8, LF line ends)."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(AUDIT_COLUMNS)
        writer.writerows(audit_rows(conn, cases))
    tmp.replace(path)
    return path
