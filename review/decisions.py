"""Every decision a reviewer takes, stored safely: version check, change and audit in one transaction.

Each decision runs in ``softa.db.transaction`` (BEGIN IMMEDIATE, serialised
across processes), refuses an item whose version changed since it was shown
(``ConflictError``) and writes ``audit_log`` with reviewer, time, old and new
value. Undoable decisions return an undo step (plain JSON data, kept in the
reviewer's session) that ``undo`` applies, itself audited.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from review import pages
from softa.db import audit, now, transaction
from softa.errors import ConflictError
from softa.layout import parse_qr_payload

UndoStep = dict[str, Any]
AssignFn = Callable[[sqlite3.Connection, Path, int, str, int, str], Any]
ApplyFn = Callable[[sqlite3.Connection, int], Any]
AcceptFn = Callable[[sqlite3.Connection, str, str, str, str, str], Any]

STALE = ("Dit item is intussen gewijzigd (door een andere beoordelaar of een nieuwe scan). "
         "Je beslissing is niet opgeslagen; bekijk de nieuwe stand en beslis opnieuw.")
GONE = "Dit item bestaat niet (meer) in de database."


def _stale(what: str, other: str | None = None) -> ConflictError:
    """The refusal of a decision on an item that changed since it was shown, naming who changed it."""
    if other:
        return ConflictError(f"{what}: {other} heeft hier intussen over beslist. Je beslissing is niet opgeslagen; "
                             "bekijk de nieuwe stand en beslis opnieuw als dat nodig is.",
                             hint="herlaad het item en beslis opnieuw")
    return ConflictError(f"{what}: {STALE}", hint="herlaad het item en beslis opnieuw")


def _other(row: sqlite3.Row, reviewer: str) -> str | None:
    """The other reviewer who decided a row (None when nobody else did)."""
    keys = row.keys()
    who = row["reviewer"] if "reviewer" in keys else None
    status = row["status"] if "status" in keys else None
    return who if who and who != reviewer and status in ("reviewed", "transcribed") else None


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def decide_box(conn: sqlite3.Connection, case_id: str, box_id: str, checked: bool, version: int,
               reviewer: str) -> UndoStep:
    """Set one box ticked / not ticked as a person's decision."""
    with transaction(conn):
        row = conn.execute("SELECT checked, status, reviewer, reviewed_at, version FROM box_values "
                           "WHERE case_id = ? AND box_id = ?", (case_id, box_id)).fetchone()
        if row is None:
            raise ConflictError(f"vakje {box_id}: {GONE}")
        if row["version"] != version:
            raise _stale(f"vakje {box_id}", _other(row, reviewer))
        # Conditional on the version shown: never two decisions on one version, whatever the locking.
        changed = conn.execute("UPDATE box_values SET checked = ?, status = 'reviewed', reviewer = ?, reviewed_at = ?, "
                               "version = version + 1 WHERE case_id = ? AND box_id = ? AND version = ?",
                               (int(checked), reviewer, now(), case_id, box_id, version)).rowcount
        if changed != 1:
            raise _stale(f"vakje {box_id}")
        audit(conn, actor=reviewer, action="review_box", case_id=case_id, target=box_id,
              old={"checked": _bool(row["checked"]), "status": row["status"]},
              new={"checked": checked, "status": "reviewed"})
    return {"kind": "boxes", "case": case_id, "label": f"vakje {box_id}",
            "rows": [[box_id, row["checked"], row["status"], row["reviewer"], row["reviewed_at"], version + 1]]}


def rating_rows(conn: sqlite3.Connection, case_id: str, group: str) -> list[sqlite3.Row]:
    """The boxes of one rating row with their current values, in value order."""
    return conn.execute(
        "SELECT lb.box_id, lb.value, lb.dimension, bv.page_id, bv.checked, bv.status, bv.reviewer, bv.reviewed_at, "
        "bv.version, bv.reason, bv.confidence FROM layout_boxes lb LEFT JOIN box_values bv "
        "ON bv.case_id = lb.case_id AND bv.box_id = lb.box_id "
        "WHERE lb.case_id = ? AND lb.grp = ? AND lb.kind = 'rating' ORDER BY lb.value", (case_id, group)).fetchall()


def rating_token(rows: list[sqlite3.Row]) -> str:
    """The version of a rating row as a whole: the versions of its boxes."""
    return ".".join(str(r["version"] or 0) for r in rows)


def decide_rating(conn: sqlite3.Connection, case_id: str, group: str, value: int | None, token: str,
                  reviewer: str) -> UndoStep:
    """Set a rating row to exactly one value (or to none) as a person's decision."""
    with transaction(conn):
        rows = rating_rows(conn, case_id, group)
        if not rows:
            raise ConflictError(f"rij {group}: {GONE}")
        if rating_token(rows) != token:
            raise _stale(f"rij {group}", next((_other(r, reviewer) for r in rows if _other(r, reviewer)), None))
        if value is not None and value not in {r["value"] for r in rows}:
            raise ConflictError(f"rij {group}: waarde {value} staat niet op het formulier",
                                hint="kies een van de waarden van de rij")
        page_id = next((r["page_id"] for r in rows if r["page_id"] is not None), None)
        stamp = now()
        undo_rows = []
        for r in rows:
            new_checked = int(r["value"] == value)
            conn.execute(
                "INSERT INTO box_values(case_id, box_id, page_id, checked, status, reason, confidence, reviewer, "
                "reviewed_at) VALUES (?, ?, ?, ?, 'reviewed', NULL, NULL, ?, ?) ON CONFLICT(case_id, box_id) DO UPDATE "
                "SET checked = excluded.checked, status = 'reviewed', reviewer = excluded.reviewer, "
                "reviewed_at = excluded.reviewed_at, version = box_values.version + 1",
                (case_id, r["box_id"], page_id, new_checked, reviewer, stamp))
            undo_rows.append([r["box_id"], r["checked"], r["status"], r["reviewer"], r["reviewed_at"],
                              (r["version"] or 0) + 1])
        old_values = [r["value"] for r in rows if r["checked"]]
        audit(conn, actor=reviewer, action="review_rating", case_id=case_id, target=group,
              old={"values": old_values, "status": sorted({r["status"] or "missing" for r in rows})},
              new={"value": value, "status": "reviewed"})
    return {"kind": "boxes", "case": case_id, "label": f"rij {group}", "rows": undo_rows}


def transcribe(conn: sqlite3.Connection, case_id: str, region_id: str, text: str, version: int,
               reviewer: str) -> UndoStep:
    """Store a person's transcription of a free-text region."""
    with transaction(conn):
        row = conn.execute("SELECT transcription, status, reviewer, reviewed_at, version FROM region_values "
                           "WHERE case_id = ? AND region_id = ?", (case_id, region_id)).fetchone()
        if row is None:
            raise ConflictError(f"tekstvak {region_id}: {GONE}")
        if row["version"] != version:
            raise _stale(f"tekstvak {region_id}", _other(row, reviewer))
        changed = conn.execute("UPDATE region_values SET transcription = ?, status = 'transcribed', reviewer = ?, "
                               "reviewed_at = ?, version = version + 1 WHERE case_id = ? AND region_id = ? "
                               "AND version = ?", (text, reviewer, now(), case_id, region_id, version)).rowcount
        if changed != 1:
            raise _stale(f"tekstvak {region_id}")
        audit(conn, actor=reviewer, action="transcribe", case_id=case_id, target=region_id,
              old=row["transcription"], new=text)
    return {"kind": "text", "case": case_id, "label": f"tekstvak {region_id}", "region": region_id,
            "old": [row["transcription"], row["status"], row["reviewer"], row["reviewed_at"]], "version": version + 1}


def _open_page(conn: sqlite3.Connection, page_id: int, version: int) -> sqlite3.Row:
    row = conn.execute("SELECT status, note, version, case_id, reason, qr FROM scanned_pages WHERE id = ?",
                       (page_id,)).fetchone()
    if row is None:
        raise ConflictError(f"pagina {page_id}: {GONE}")
    if row["version"] != version or row["status"] != "unidentified":
        raise _stale(f"pagina {page_id}", last_actor(conn, (f"page {page_id}", f"page:{page_id}")))
    return row


def last_actor(conn: sqlite3.Connection, targets: tuple[str, ...]) -> str | None:
    """Who last decided on one of these audit targets (the scanner's own entries excluded)."""
    marks = ",".join("?" * len(targets))
    row = conn.execute(f"SELECT actor FROM audit_log WHERE target IN ({marks}) ORDER BY id DESC LIMIT 1",
                       targets).fetchone()
    return row["actor"] if row is not None else None


def set_aside(conn: sqlite3.Connection, page_id: int, note: str, version: int, reviewer: str) -> UndoStep:
    """Mark an unidentified page as not a form (it stays stored, with the note)."""
    with transaction(conn):
        row = _open_page(conn, page_id, version)
        conn.execute("UPDATE scanned_pages SET status = 'set_aside', note = ?, version = version + 1 WHERE id = ?",
                     (note, page_id))
        audit(conn, actor=reviewer, action="set_aside", case_id=row["case_id"], target=f"page {page_id}",
              old={"status": row["status"]}, new={"status": "set_aside"}, note=note)
    return {"kind": "page", "case": row["case_id"], "label": f"pagina {page_id} apart gelegd", "page": page_id,
            "old": [row["status"], row["note"]], "version": version + 1}


def assign_page(conn: sqlite3.Connection, data_dir: Path, page_id: int, case_id: str, page_index: int,
                version: int, reviewer: str, read_assigned_page: AssignFn) -> UndoStep:
    """Say which layout page an unidentified page is; the scanner then reads its boxes.

    Refused when the page's own QR code names another page (or an unregistered
    case), and when the target's printed boxes are not found on the page.
    Returns an undo step holding every row the assignment changed.
    """
    with transaction(conn):
        page = _open_page(conn, page_id, version)
        target = conn.execute("SELECT qr FROM layout_pages WHERE case_id = ? AND page_index = ?",
                              (case_id, page_index)).fetchone()
        if target is None:
            raise ConflictError(f"casus {case_id} heeft geen pagina {page_index}",
                                hint="kies een pagina uit de lijst")
        own = pages.check_target(conn, page_id, case_id, page_index)
        ids = sorted({page_id, *(r["id"] for r in conn.execute(
            "SELECT id FROM scanned_pages WHERE case_id = ? AND page_index = ?", (case_id, page_index)))})
        before = pages.snapshot(conn, case_id, page_index, ids)
        last_audit = conn.execute("SELECT COALESCE(MAX(id), 0) FROM audit_log").fetchone()[0]
        read_assigned_page(conn, data_dir, page_id, case_id, page_index, reviewer)
        share = pages.check_structure(conn, data_dir, page_id, case_id, page_index) if own is None else None
        after = conn.execute("SELECT status, version FROM scanned_pages WHERE id = ?", (page_id,)).fetchone()
        if after["status"] == "unidentified":
            conn.execute("UPDATE scanned_pages SET status = 'assigned' WHERE id = ?", (page_id,))
        if after["version"] == version:
            conn.execute("UPDATE scanned_pages SET version = version + 1 WHERE id = ?", (page_id,))
        own_text = own.identity.label if own is not None else "onbekend (geen leesbare QR-code)"
        identity = {"status": "unidentified", "reason": page["reason"], "page_qr": page["qr"],
                    "page_identity": own_text}
        chosen = {"case_id": case_id, "page_index": page_index, "qr": target["qr"],
                  "target": label_of(conn, case_id, page_index)}
        if share is not None:
            chosen["structure_found"] = round(share, 2)
        written = conn.execute("SELECT id FROM audit_log WHERE id > ? AND action = 'assign_page' ORDER BY id LIMIT 1",
                               (last_audit,)).fetchone()
        if written is not None:
            # The scanner wrote the entry; it names the page's own identity as well as the target.
            conn.execute("UPDATE audit_log SET old_value = ?, new_value = ? WHERE id = ?",
                         (json.dumps(identity, ensure_ascii=False), json.dumps(chosen, ensure_ascii=False),
                          written["id"]))
        else:
            audit(conn, actor=reviewer, action="assign_page", case_id=case_id, target=f"page {page_id}",
                  old=identity, new=chosen)
        step_after = pages.snapshot(conn, case_id, page_index, ids)
    return {"kind": "snapshot", "case": case_id, "page_index": page_index, "label": f"pagina {page_id} toegewezen",
            "before": before, "after": step_after, "item": f"page:{page_id}"}


def label_of(conn: sqlite3.Connection, case_id: str, page_index: int) -> str:
    """A layout page in words, for the audit (e.g. ``casus 2025-031 · Cliënt C1 · obs. 2 · pagina 1/2``)."""
    row = conn.execute("SELECT qr FROM layout_pages WHERE case_id = ? AND page_index = ?",
                       (case_id, page_index)).fetchone()
    identity = parse_qr_payload(row["qr"]) if row is not None else None
    return identity.label if identity is not None else f"casus {case_id} pagina {page_index}"


def resolve_duplicate(conn: sqlite3.Connection, duplicate_id: int, chosen_page_id: int, version: int,
                      reviewer: str, note: str, apply_page_reads: ApplyFn) -> UndoStep:
    """Choose which of two scans of one layout page counts (undoable while nothing changed since)."""
    with transaction(conn):
        row = conn.execute("SELECT * FROM duplicates WHERE id = ?", (duplicate_id,)).fetchone()
        if row is None:
            raise ConflictError(f"dubbele scan {duplicate_id}: {GONE}")
        if row["version"] != version or row["status"] != "open":
            raise _stale(f"dubbele scan {duplicate_id}", row["reviewer"])
        kept, other = row["kept_page_id"], row["other_page_id"]
        if chosen_page_id not in (kept, other):
            raise ConflictError(f"pagina {chosen_page_id} hoort niet bij dubbele scan {duplicate_id}",
                                hint="kies een van de twee getoonde scans")
        before = pages.snapshot(conn, row["case_id"], row["page_index"], [kept, other])
        if chosen_page_id == other:
            apply_page_reads(conn, other)
            conn.execute("UPDATE scanned_pages SET status = 'identified', version = version + 1 WHERE id = ?", (other,))
            conn.execute("UPDATE scanned_pages SET status = 'duplicate', version = version + 1 WHERE id = ?", (kept,))
        conn.execute("UPDATE duplicates SET status = 'resolved', chosen_page_id = ?, reviewer = ?, resolved_at = ?, "
                     "note = ?, version = version + 1 WHERE id = ?",
                     (chosen_page_id, reviewer, now(), note or None, duplicate_id))
        audit(conn, actor=reviewer, action="resolve_duplicate", case_id=row["case_id"],
              target=f"duplicate {duplicate_id}", old={"page_id": kept}, new={"page_id": chosen_page_id},
              note=note or None)
        after = pages.snapshot(conn, row["case_id"], row["page_index"], [kept, other])
    return {"kind": "snapshot", "case": row["case_id"], "page_index": row["page_index"],
            "label": f"keuze dubbele scan {duplicate_id}", "before": before, "after": after,
            "item": f"duplicate:{duplicate_id}"}


def accept_finding(conn: sqlite3.Connection, case_id: str, finding_key: str, rule: str, note: str, reviewer: str,
                   accept: AcceptFn | None) -> UndoStep:
    """Accept a validation warning with a note (through ``validate.accept_finding`` when present)."""
    with transaction(conn):
        done = conn.execute("SELECT reviewer FROM finding_acceptances WHERE case_id = ? AND finding_key = ?",
                            (case_id, finding_key)).fetchone()
        if done is not None:
            raise ConflictError(f"waarschuwing {rule}: al geaccepteerd door {done['reviewer']}",
                                hint="herlaad het item")
        last_audit = conn.execute("SELECT COALESCE(MAX(id), 0) FROM audit_log").fetchone()[0]
        if accept is not None:
            accept(conn, case_id, finding_key, rule, note, reviewer)
        else:
            conn.execute("INSERT INTO finding_acceptances VALUES (?, ?, ?, ?, ?, ?)",
                         (case_id, finding_key, rule, note, reviewer, now()))
        audited = conn.execute("SELECT COUNT(*) FROM audit_log WHERE id > ?", (last_audit,)).fetchone()[0]
        if not audited:
            audit(conn, actor=reviewer, action="accept_finding", case_id=case_id, target=finding_key,
                  old=None, new={"accepted": True, "rule": rule}, note=note)
    return {"kind": "acceptance", "case": case_id, "label": f"waarschuwing {rule}", "key": finding_key}


def undo(conn: sqlite3.Connection, step: UndoStep, reviewer: str) -> None:
    """Restore what an undoable decision changed, refusing when someone changed it since."""
    case_id = step["case"]
    with transaction(conn):
        if step["kind"] == "boxes":
            for box_id, checked, status, old_reviewer, old_at, version in step["rows"]:
                row = conn.execute("SELECT checked, version FROM box_values WHERE case_id = ? AND box_id = ?",
                                   (case_id, box_id)).fetchone()
                if row is None or row["version"] != version:
                    raise _stale(f"vakje {box_id}")
                if checked is None:
                    conn.execute("DELETE FROM box_values WHERE case_id = ? AND box_id = ?", (case_id, box_id))
                else:
                    conn.execute("UPDATE box_values SET checked = ?, status = ?, reviewer = ?, reviewed_at = ?, "
                                 "version = version + 1 WHERE case_id = ? AND box_id = ?",
                                 (checked, status, old_reviewer, old_at, case_id, box_id))
                audit(conn, actor=reviewer, action="undo", case_id=case_id, target=box_id,
                      old={"checked": _bool(row["checked"]), "status": "reviewed"},
                      new={"checked": _bool(checked), "status": status})
        elif step["kind"] == "text":
            region_id = step["region"]
            row = conn.execute("SELECT transcription, version FROM region_values WHERE case_id = ? AND region_id = ?",
                               (case_id, region_id)).fetchone()
            if row is None or row["version"] != step["version"]:
                raise _stale(f"tekstvak {region_id}")
            text, status, old_reviewer, old_at = step["old"]
            conn.execute("UPDATE region_values SET transcription = ?, status = ?, reviewer = ?, reviewed_at = ?, "
                         "version = version + 1 WHERE case_id = ? AND region_id = ?",
                         (text, status, old_reviewer, old_at, case_id, region_id))
            audit(conn, actor=reviewer, action="undo", case_id=case_id, target=region_id,
                  old=row["transcription"], new=text)
        elif step["kind"] == "page":
            page_id = step["page"]
            row = conn.execute("SELECT status, version FROM scanned_pages WHERE id = ?", (page_id,)).fetchone()
            if row is None or row["version"] != step["version"]:
                raise _stale(f"pagina {page_id}")
            status, note = step["old"]
            conn.execute("UPDATE scanned_pages SET status = ?, note = ?, version = version + 1 WHERE id = ?",
                         (status, note, page_id))
            audit(conn, actor=reviewer, action="undo", case_id=case_id, target=f"page {page_id}",
                  old={"status": row["status"]}, new={"status": status})
        elif step["kind"] == "snapshot":
            pages.restore(conn, step, case_id, step["page_index"])
            audit(conn, actor=reviewer, action="undo", case_id=case_id, target=step["item"],
                  old={"decision": step["label"]}, new={"restored": True})
        elif step["kind"] == "acceptance":
            gone = conn.execute("DELETE FROM finding_acceptances WHERE case_id = ? AND finding_key = ?",
                                (case_id, step["key"])).rowcount
            if not gone:
                raise _stale(f"waarschuwing {step['key']}")
            audit(conn, actor=reviewer, action="undo", case_id=case_id, target=step["key"],
                  old={"accepted": True}, new={"accepted": False})
        else:
            raise ConflictError(f"onbekende stap {step['kind']!r}")
