"""Rows of boxes as printed: which scanned page each part of a row is on.

A tick row of a long session (more 5-minute windows than fit one line) and a
speaking-time line can continue on the next form page. Every snippet of a row
is cut from the scanned page that part is printed on, never from another page
with the same group's first box; a row in several parts shows each, labelled.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class RowPart:
    """One printed part of a row: its layout page and the scanned page it was read from."""

    page_index: int
    page_id: int | None
    #: e.g. ``deel 2 van 2 · pagina 2/2``; empty for a row in one part.
    label: str


def row_parts(conn: sqlite3.Connection, case_id: str, group: str) -> tuple[RowPart, ...]:
    """The parts of a row in page order, each with the scanned page its boxes were read from."""
    rows = conn.execute(
        "SELECT lb.page_index, MIN(bv.page_id) AS page_id, lp.page, lp.pages FROM layout_boxes lb "
        "LEFT JOIN box_values bv ON bv.case_id = lb.case_id AND bv.box_id = lb.box_id "
        "LEFT JOIN layout_pages lp ON lp.case_id = lb.case_id AND lp.page_index = lb.page_index "
        "WHERE lb.case_id = ? AND lb.grp = ? GROUP BY lb.page_index ORDER BY lb.page_index",
        (case_id, group)).fetchall()
    count = len(rows)
    return tuple(RowPart(page_index=r["page_index"], page_id=r["page_id"],
                         label=(f"deel {n} van {count} · formulierpagina {r['page']}/{r['pages']}"
                                if count > 1 else ""))
                 for n, r in enumerate(rows, start=1))


def box_page_index(conn: sqlite3.Connection, case_id: str, box_id: str) -> int | None:
    """The layout page a box is printed on."""
    row = conn.execute("SELECT page_index FROM layout_boxes WHERE case_id = ? AND box_id = ?",
                       (case_id, box_id)).fetchone()
    return None if row is None else int(row["page_index"])


def part_boxes(conn: sqlite3.Connection, case_id: str, group: str, page_index: int) -> tuple[set[str], int | None]:
    """The box ids of one part of a row, and the scanned page they were read from (None: not scanned)."""
    rows = conn.execute(
        "SELECT lb.box_id, bv.page_id FROM layout_boxes lb LEFT JOIN box_values bv ON bv.case_id = lb.case_id "
        "AND bv.box_id = lb.box_id WHERE lb.case_id = ? AND lb.grp = ? AND lb.page_index = ?",
        (case_id, group, page_index)).fetchall()
    pages = sorted({r["page_id"] for r in rows if r["page_id"] is not None})
    return {r["box_id"] for r in rows}, (pages[0] if pages else None)
