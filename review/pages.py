"""Assigning a page so that cases never mix: its own QR first, the printed structure checked, undoable.

A page whose QR code decodes is offered only its own identity: the layout page
with that QR. When its case is not registered, no page is offered at all (the
reviewer is told to register the case; the page is then offered its own page
and files itself). A page without a readable QR may be assigned to any page,
but only when the target's printed boxes are found where the target's layout
puts them. Assignments and duplicate choices keep a snapshot of every row they
change, so they can be undone while nobody changed those rows since.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from softa.db import load_case_layout
from softa.errors import ConflictError
from softa.imaging import crop_upright
from softa.layout import POINTS_PER_MM, QrIdentity, parse_qr_payload

#: Boxes sampled for the structure check: enough to be sure, few enough to be quick (~ms each).
STRUCTURE_SAMPLE = 60
#: Resolution of the crops the check looks at (pixels per point; ~220 dpi).
STRUCTURE_PX_PER_PT = 3.0
#: Printed box borders are 0.7 pt; the check looks 0.6 pt either side of the edge.
BORDER_BAND_PT = 0.6
#: The paper around a box, measured this far outside it.
OUTSIDE_PT = 1.5 * POINTS_PER_MM / 2
#: A printed border is at least this much darker (grey levels 0-255) than the paper around it.
BORDER_CONTRAST = 25.0
#: Share of sampled boxes whose border must be found for the page to match the target's structure.
STRUCTURE_MIN_SHARE = 0.6


@dataclass(frozen=True)
class OwnIdentity:
    """What a page's own QR says it is, and whether that page is in the database."""

    identity: QrIdentity
    #: ``case|page_index`` of the layout page with this QR, None when not registered.
    target: str | None
    case_registered: bool

    @property
    def message(self) -> str:
        """Dutch: what the reviewer can do with this page."""
        label = self.identity.label
        if self.target is not None:
            return (f"De QR-code van deze pagina is gelezen: {label}. Deze pagina kan alleen aan die eigen "
                    "formulierpagina worden toegewezen.")
        if not self.case_registered:
            return (f"De QR-code van deze pagina is gelezen: {label}. Casus {self.identity.case} staat nog niet in "
                    "de database, dus deze pagina kan aan geen enkele andere casus worden toegewezen. Registreer "
                    f"eerst casus {self.identity.case} (softa forms met het casusbestand, of softa scan met "
                    f"--layout {self.identity.case}_layout.json); daarna wordt de pagina hier aan haar eigen "
                    "formulierpagina toegewezen, of bij opnieuw scannen vanzelf ingedeeld.")
        return (f"De QR-code van deze pagina is gelezen: {label}, maar die pagina staat niet in de opmaak van casus "
                f"{self.identity.case} in de database (andere versie van de formulieren?). Toewijzen aan een "
                "andere pagina kan niet; leg de pagina apart of registreer de juiste opmaak.")


def own_identity(conn: sqlite3.Connection, qr_text: str | None) -> OwnIdentity | None:
    """The identity a page's decoded QR gives, or None for a page without a softa QR code."""
    if not qr_text:
        return None
    identity = parse_qr_payload(qr_text)
    if identity is None:
        return None
    row = conn.execute("SELECT case_id, page_index FROM layout_pages WHERE qr = ?", (qr_text,)).fetchone()
    registered = conn.execute("SELECT 1 FROM cases WHERE case_id = ?", (identity.case,)).fetchone() is not None
    target = f"{row['case_id']}|{row['page_index']}" if row is not None else None
    return OwnIdentity(identity=identity, target=target, case_registered=registered)


def check_target(conn: sqlite3.Connection, page_id: int, case_id: str, page_index: int) -> OwnIdentity | None:
    """Refuse (ConflictError) an assignment that contradicts the page's own QR code."""
    row = conn.execute("SELECT qr FROM scanned_pages WHERE id = ?", (page_id,)).fetchone()
    own = own_identity(conn, row["qr"] if row is not None else None)
    if own is not None and own.target != f"{case_id}|{page_index}":
        raise ConflictError(f"pagina {page_id}: {own.message}", hint="kies de eigen pagina of leg de pagina apart")
    return own


def _border_found(crop: np.ndarray, margin_px: int, band_px: int, outside_px: int) -> bool:
    """Whether the crop (box plus margin) shows a printed border darker than the paper around it."""
    height, width = crop.shape[:2]
    inner = crop[margin_px - band_px:height - margin_px + band_px, margin_px - band_px:width - margin_px + band_px]
    if inner.size == 0 or margin_px <= band_px + outside_px:
        return False
    ring_mask = np.zeros(inner.shape[:2], dtype=bool)
    ring_mask[:2 * band_px + 1, :] = ring_mask[-2 * band_px - 1:, :] = True
    ring_mask[:, :2 * band_px + 1] = ring_mask[:, -2 * band_px - 1:] = True
    border = float(np.median(inner[ring_mask]))
    paper = np.concatenate([crop[:outside_px, :].ravel(), crop[-outside_px:, :].ravel(),
                            crop[:, :outside_px].ravel(), crop[:, -outside_px:].ravel()])
    return float(np.median(paper)) - border >= BORDER_CONTRAST


def structure_share(gray: np.ndarray, homography: np.ndarray, rects: Sequence[tuple[float, float, float, float]]
                    ) -> float:
    """Share of the given box rectangles (layout points) whose printed border is found on the page."""
    if not rects:
        return 1.0
    step = max(1, len(rects) // STRUCTURE_SAMPLE)
    sample = list(rects)[::step][:STRUCTURE_SAMPLE]
    margin_pt = OUTSIDE_PT + 2 * BORDER_BAND_PT
    margin_px = round(margin_pt * STRUCTURE_PX_PER_PT)
    band_px = max(1, round(BORDER_BAND_PT * STRUCTURE_PX_PER_PT))
    outside_px = max(1, round(OUTSIDE_PT * STRUCTURE_PX_PER_PT) - band_px)
    found = 0
    for rect in sample:
        crop = crop_upright(gray, homography, rect, px_per_pt=STRUCTURE_PX_PER_PT, margin_pt=margin_pt)
        found += _border_found(crop, margin_px, band_px, outside_px)
    return found / len(sample)


def check_structure(conn: sqlite3.Connection, data_dir: Path, page_id: int, case_id: str, page_index: int) -> float:
    """After registration: refuse (ConflictError) when the target's printed boxes are not on the page."""
    from review.snippets import SnippetError, page_and_homography

    try:
        image, homography = page_and_homography(conn, data_dir, page_id)
    except SnippetError:
        return 1.0  # nothing to look at: the scanner's own checks decide
    gray = image if image.ndim == 2 else image.mean(axis=2).astype(np.uint8)
    page = next((p for p in load_case_layout(conn, case_id).pages if p.index == page_index), None)
    rects = [b.rect_pt for b in page.boxes] if page is not None else []
    share = structure_share(gray, homography, rects)
    if share < STRUCTURE_MIN_SHARE:
        raise ConflictError(
            f"pagina {page_id} past niet bij de gekozen formulierpagina: van de vakjes die daar gedrukt staan, "
            f"zijn er op deze pagina maar {round(share * 100)} % te vinden. Er is niets ingelezen.",
            hint="kies de formulierpagina die er precies zo uitziet, of leg de pagina apart")
    return share


# ---------------------------------------------------------------- undo by snapshot

#: Tables an assignment or a duplicate choice changes, with their key columns.
_TABLES = {"scanned_pages": ("id",), "box_values": ("case_id", "box_id"), "region_values": ("case_id", "region_id"),
           "box_reads": ("page_id", "box_id"), "duplicates": ("id",)}


def _rows(conn: sqlite3.Connection, table: str, where: str, args: Sequence[Any]) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(f"SELECT * FROM {table} WHERE {where}", tuple(args))]


def snapshot(conn: sqlite3.Connection, case_id: str, page_index: int, page_ids: Sequence[int]) -> dict[str, Any]:
    """Every row a decision on this layout page and these scanned pages can change (plain JSON data)."""
    marks = ",".join("?" * len(page_ids))
    boxes = "case_id = ? AND box_id IN (SELECT box_id FROM layout_boxes WHERE case_id = ? AND page_index = ?)"
    regions = ("case_id = ? AND region_id IN (SELECT region_id FROM layout_regions WHERE case_id = ? "
               "AND page_index = ?)")
    return {
        "scanned_pages": _rows(conn, "scanned_pages", f"id IN ({marks})", page_ids),
        "box_values": _rows(conn, "box_values", boxes, (case_id, case_id, page_index)),
        "region_values": _rows(conn, "region_values", regions, (case_id, case_id, page_index)),
        "box_reads": _rows(conn, "box_reads", f"page_id IN ({marks})", page_ids),
        "duplicates": _rows(conn, "duplicates", "case_id = ? AND page_index = ?", (case_id, page_index)),
    }


def _keyed(rows: list[dict[str, Any]], table: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {tuple(r[k] for k in _TABLES[table]): r for r in rows}


def restore(conn: sqlite3.Connection, step: dict[str, Any], case_id: str, page_index: int) -> None:
    """Put back the rows of ``step["before"]``, refusing when any differs from ``step["after"]`` now."""
    page_ids = [r["id"] for r in step["before"]["scanned_pages"]]
    now_rows = snapshot(conn, case_id, page_index, page_ids)
    if json.dumps(now_rows, sort_keys=True, default=str) != json.dumps(step["after"], sort_keys=True, default=str):
        raise ConflictError("dit is intussen gewijzigd (een beslissing of een nieuwe scan op deze pagina); "
                            "ongedaan maken kan niet meer", hint="bekijk de pagina en beslis opnieuw")
    for table in ("box_reads", "duplicates", "box_values", "region_values", "scanned_pages"):
        before, after = _keyed(step["before"][table], table), _keyed(step["after"][table], table)
        keys = _TABLES[table]
        where = " AND ".join(f"{k} = ?" for k in keys)
        for key in after.keys() - before.keys():
            conn.execute(f"DELETE FROM {table} WHERE {where}", key)
        for key, row in before.items():
            if after.get(key) == row:
                continue
            values = dict(row)
            if "version" in values and key in after:
                # Newer than both: a form shown before or after the decision is stale now.
                values["version"] = max(int(values["version"] or 0), int(after[key]["version"] or 0)) + 1
            columns = [c for c in values if c not in keys]
            if key in after:
                conn.execute(f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in columns)} WHERE {where}",
                             [values[c] for c in columns] + list(key))
            else:
                names = list(values)
                conn.execute(f"INSERT INTO {table}({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                             [values[c] for c in names])
