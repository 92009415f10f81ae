"""The machine-readable record of everything scanned (issue 3, item 8).

``softa export --format json --out FILE`` writes one JSON object:

- ``boxes``: every box with a stored value, for every case: ``case``, ``id``
  (the layout box id), ``checked`` (best guess while unresolved), ``flagged``
  (true while a person must look at it), ``status`` (auto/flagged/reviewed),
  ``reason``, ``confidence``, ``page_id`` and the raw measurement of the page
  the value came from (``dark_ratio``, ``measurements``, ``decision``; null
  when the value has no reading, e.g. a fixture or a value set by hand);
- ``pages``: every input page: ``source`` (file path), ``page_number``
  (1-based in that file), ``identified`` (true for identified/assigned pages),
  ``qr`` (payload or null), ``reason`` (why not identified, else null),
  ``status``, ``case``, ``page_index``, ``registration_error_mm``;
- ``files``: every input file with its status and error (failed files have no
  pages, so they are listed here).

Benchmarks and other tools read these names: keep them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

SCHEMA = "softa-machine/1"
#: Page statuses whose boxes were read (a person may have assigned the page).
IDENTIFIED_STATUSES = ("identified", "assigned")
#: Boxes and pages sit two levels deep in the record (indent 1 per level, as json.dumps writes it).
ITEM_INDENT = "  "


def _measurements(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def machine_boxes(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every stored box value joined to the raw reading it came from."""
    return list(iter_boxes(conn))


def iter_boxes(conn: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    """:func:`machine_boxes` one at a time, read from the database as they are written."""
    rows = conn.execute(
        "SELECT bv.case_id, bv.box_id, bv.page_id, bv.checked, bv.status, bv.reason, bv.confidence,"
        " br.dark_ratio, br.measurements_json, br.decision"
        " FROM box_values bv LEFT JOIN box_reads br ON br.page_id = bv.page_id AND br.box_id = bv.box_id"
        " ORDER BY bv.case_id, bv.box_id")
    return ({
        "case": r["case_id"],
        "id": r["box_id"],
        "checked": bool(r["checked"]),
        "flagged": r["status"] == "flagged",
        "status": r["status"],
        "reason": r["reason"],
        "confidence": r["confidence"],
        "page_id": r["page_id"],
        "dark_ratio": r["dark_ratio"],
        "measurements": _measurements(r["measurements_json"]),
        "decision": r["decision"],
    } for r in rows)


def machine_pages(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every input page with its file, identity and, when unidentified, the reason."""
    return list(iter_pages(conn))


def iter_pages(conn: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    """:func:`machine_pages` one at a time."""
    rows = conn.execute(
        "SELECT sp.*, sf.path AS source, sf.sha256 AS source_sha256 FROM scanned_pages sp"
        " JOIN source_files sf ON sf.id = sp.source_id ORDER BY sf.path, sf.id, sp.page_number")
    for r in rows:
        identified = r["status"] in IDENTIFIED_STATUSES
        yield {
            "id": r["id"],
            "source": r["source"],
            "source_sha256": r["source_sha256"],
            "page_number": r["page_number"],
            "identified": identified,
            "qr": r["qr"],
            "reason": None if identified else (r["reason"] or r["status"]),
            "status": r["status"],
            "case": r["case_id"],
            "page_index": r["page_index"],
            "rotation": r["rotation"],
            "registration_error_mm": r["registration_error_mm"],
        }


def machine_files(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every input file: path, hash, page count, status and error."""
    rows = conn.execute(
        "SELECT path, sha256, size_bytes, media_type, page_count, status, error FROM source_files"
        " ORDER BY path, id").fetchall()
    return [{"source": r["path"], "sha256": r["sha256"], "size_bytes": r["size_bytes"],
             "media_type": r["media_type"], "page_count": r["page_count"], "status": r["status"],
             "error": r["error"]} for r in rows]


def machine_json(conn: sqlite3.Connection) -> dict[str, Any]:
    """The whole machine-readable record: ``{"schema", "boxes", "pages", "files"}``."""
    return {"schema": SCHEMA, "boxes": machine_boxes(conn), "pages": machine_pages(conn),
            "files": machine_files(conn)}


def write_machine_json(conn: sqlite3.Connection, out: Path) -> dict[str, int]:
    """Write :func:`machine_json` to ``out`` (UTF-8, stable key order); return the number of boxes and pages.

    Streamed: one box or page is in memory at a time, so memory stays flat however large the
    database; the bytes are those of ``json.dumps(machine_json(conn), ensure_ascii=False, indent=1)``.
    Written to a temporary file and renamed into place.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    counts = {"boxes": 0, "pages": 0, "files": 0}
    sections: list[tuple[str, Iterable[dict[str, Any]]]] = [
        ("boxes", iter_boxes(conn)), ("pages", iter_pages(conn)), ("files", machine_files(conn))]
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write("{\n" + f' "schema": {json.dumps(SCHEMA)}')
            for name, items in sections:
                fh.write(f',\n "{name}": [')
                for n, item in enumerate(items):
                    text = json.dumps(item, ensure_ascii=False, indent=1).replace("\n", "\n" + ITEM_INDENT)
                    fh.write(("," if n else "") + "\n" + ITEM_INDENT + text)
                    counts[name] += 1
                fh.write("\n ]" if counts[name] else "]")
            fh.write("\n}\n")
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return counts
