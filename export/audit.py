"""The audit file of the dataset: every value a person changed, who, when, from, to and why."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

AUDIT_COLUMNS = ("case", "when", "who", "action", "target", "from", "to", "note")
#: First characters a spreadsheet reads as the start of a formula (or, tab and CR, a cell break).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Put before such a text so a spreadsheet shows it as text (OWASP's advice for CSV files).
TEXT_MARK = "'"


def spreadsheet_safe(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet would read it as a formula; else unchanged.

    Numbers such as ``-1`` stay as they are (they are values, not formulas).
    """
    if not text.startswith(FORMULA_STARTS) or _is_number(text):
        return text
    return TEXT_MARK + text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _plain(text: str | None) -> str:
    """A stored JSON value as plain text.

    1 -> "1", "abc" -> "abc"; a review decision's ``{"checked": true, "status": "reviewed"}`` -> "1 (reviewed)"
    and a rating's ``{"values": [1, 2], "status": [...]}`` -> "1, 2 (flagged)"; other objects stay JSON.
    """
    if text is None:
        return ""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return text
    if not isinstance(value, dict):
        return _scalar(value) if not isinstance(value, list) else json.dumps(value, ensure_ascii=False)
    decided = next((key for key in ("checked", "value", "values") if key in value), None)
    if decided is None or set(value) - {decided, "status"}:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    shown = value[decided]
    shown = ", ".join(_scalar(v) for v in shown) if isinstance(shown, list) else _scalar(shown)
    status = value.get("status")
    status = ", ".join(status) if isinstance(status, list) else status
    return f"{shown or '-'} ({status})" if status else shown


def _guarded(text: str | None) -> str:
    """A from/to value as plain text; guarded when it is text a person typed (a JSON string)."""
    shown = _plain(text)
    try:
        typed = isinstance(json.loads(text), str) if text is not None else False
    except json.JSONDecodeError:
        typed = True
    return spreadsheet_safe(shown) if typed else shown


def audit_rows(conn: sqlite3.Connection, cases: Iterable[str] | None = None) -> list[tuple[str, ...]]:
    """Audit log rows (oldest first), limited to ``cases`` when given.

    Rows of no registered case are always kept: a page set aside without a case, or one whose QR names
    a case that is not in the database, belongs to no exported case but is a decision all the same.
    """
    rows = conn.execute("SELECT at, actor, action, case_id, target, old_value, new_value, note FROM audit_log "
                        "ORDER BY at, id").fetchall()
    wanted = set(cases) if cases is not None else None
    registered = {r[0] for r in conn.execute("SELECT case_id FROM cases")}
    out: list[tuple[str, ...]] = []
    for r in rows:
        case_id = r["case_id"]
        if wanted is not None and case_id is not None and case_id in registered and case_id not in wanted:
            continue
        # Typed text (names, notes, transcriptions) is guarded; softa's own values ("-2 (reviewed)") stay.
        typed = (r["case_id"] or "", r["at"], r["actor"], r["action"], r["target"])
        out.append((*(spreadsheet_safe(v) for v in typed), _guarded(r["old_value"]), _guarded(r["new_value"]),
                    spreadsheet_safe(r["note"] or "")))
    return out


def write_audit(conn: sqlite3.Connection, path: Path, cases: Iterable[str] | None = None) -> Path:
    """Write ``audit.csv`` (UTF-8, LF line ends); text that would start a formula gets a leading ``'``."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(AUDIT_COLUMNS)
        writer.writerows(audit_rows(conn, cases))
    tmp.replace(path)
    return path
