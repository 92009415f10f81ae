"""Read the stored, current values of a case: what validate, export and review read.

A box that was never scanned has ``checked is None`` and status ``missing``.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from softa.db import load_case_layout, load_case_manifest
from softa.layout import CaseLayout
from softa.manifest import Manifest

BoxStatus = Literal["auto", "flagged", "reviewed", "missing"]


@dataclass(frozen=True)
class BoxValue:
    box_id: str
    kind: str
    group: str
    page_index: int
    participant: str
    slot: str | None
    dimension: str
    item: int | None
    window: int | None
    value: int | None
    bin: int | None
    checked: bool | None
    status: BoxStatus
    reason: str | None


@dataclass(frozen=True)
class RatingRead:
    """The values ticked in one rating row and whether a person must look at it."""

    group: str
    values: tuple[int, ...]
    status: BoxStatus

    @property
    def value(self) -> int | None:
        """The rating when exactly one value is ticked, else None."""
        return self.values[0] if len(self.values) == 1 else None


@dataclass(frozen=True)
class RegionValue:
    region_id: str
    participant: str
    slot: str | None
    dimension: str
    label: str
    image_path: str | None
    transcription: str | None
    status: str


@dataclass(frozen=True)
class PageState:
    page_index: int
    qr: str
    form: str
    participant: str | None
    slot: str | None
    page: int
    pages: int
    scans: int
    open_duplicates: int


def _worst(statuses: list[BoxStatus]) -> BoxStatus:
    for status in ("missing", "flagged", "auto"):
        if status in statuses:
            return status
    return "reviewed"


@dataclass(frozen=True)
class CaseRecord:
    manifest: Manifest
    layout: CaseLayout
    boxes: tuple[BoxValue, ...]
    regions: tuple[RegionValue, ...]
    pages: tuple[PageState, ...]

    def ticks(self, participant: str, slot: str | None, dimension: str) -> dict[tuple[int, int], BoxValue]:
        """Tick boxes of one participant/slot/dimension keyed by (item, window)."""
        return {(b.item or 0, b.window or 0): b for b in self.boxes
                if b.kind == "tick" and b.participant == participant and b.slot == slot and b.dimension == dimension}

    def rating(self, participant: str, slot: str | None, dimension: str) -> RatingRead | None:
        """The rating row of one participant/slot/dimension, or None when the forms have none."""
        row = [b for b in self.boxes if b.kind == "rating" and b.participant == participant
               and b.slot == slot and b.dimension == dimension]
        if not row:
            return None
        values = tuple(sorted(b.value for b in row if b.checked and b.value is not None))
        return RatingRead(group=row[0].group, values=values, status=_worst([b.status for b in row]))

    def timeline(self, participant: str, slot: str | None) -> list[BoxValue]:
        """Speaking-time bins of one participant in one slot, in bin order."""
        return sorted((b for b in self.boxes if b.kind == "timeline" and b.participant == participant and b.slot == slot),
                      key=lambda b: b.bin or 0)

    def groups(self) -> dict[str, list[BoxValue]]:
        out: dict[str, list[BoxValue]] = defaultdict(list)
        for b in self.boxes:
            out[b.group].append(b)
        return out


def load_page_states(conn: sqlite3.Connection, case_id: str) -> tuple[PageState, ...]:
    """Every layout page of a case with how many scans and open duplicates it has."""
    page_rows = conn.execute(
        "SELECT lp.*, "
        " (SELECT COUNT(*) FROM scanned_pages sp WHERE sp.case_id = lp.case_id AND sp.page_index = lp.page_index "
        "   AND sp.status IN ('identified', 'assigned')) AS scans, "
        " (SELECT COUNT(*) FROM duplicates d WHERE d.case_id = lp.case_id AND d.page_index = lp.page_index "
        "   AND d.status = 'open') AS open_duplicates "
        "FROM layout_pages lp WHERE lp.case_id = ? ORDER BY lp.page_index", (case_id,)).fetchall()
    return tuple(PageState(page_index=r["page_index"], qr=r["qr"], form=r["form"], participant=r["participant"],
                            slot=r["slot"], page=r["page"], pages=r["pages"], scans=r["scans"],
                            open_duplicates=r["open_duplicates"]) for r in page_rows)


def load_case_record(conn: sqlite3.Connection, case_id: str) -> CaseRecord:
    """Everything stored about one case, with current values joined to the layout."""
    manifest = load_case_manifest(conn, case_id)
    layout = load_case_layout(conn, case_id)
    rows = conn.execute(
        "SELECT lb.*, bv.checked, bv.status, bv.reason FROM layout_boxes lb "
        "LEFT JOIN box_values bv ON bv.case_id = lb.case_id AND bv.box_id = lb.box_id "
        "WHERE lb.case_id = ? ORDER BY lb.page_index, lb.rowid", (case_id,)).fetchall()
    boxes = tuple(BoxValue(
        box_id=r["box_id"], kind=r["kind"], group=r["grp"], page_index=r["page_index"], participant=r["participant"],
        slot=r["slot"], dimension=r["dimension"], item=r["item"], window=r["window"], value=r["value"], bin=r["bin"],
        checked=None if r["checked"] is None else bool(r["checked"]),
        status=r["status"] or "missing", reason=r["reason"]) for r in rows)
    region_rows = conn.execute(
        "SELECT lr.*, rv.image_path, rv.transcription, rv.status FROM layout_regions lr "
        "LEFT JOIN region_values rv ON rv.case_id = lr.case_id AND rv.region_id = lr.region_id "
        "WHERE lr.case_id = ? ORDER BY lr.page_index, lr.rowid", (case_id,)).fetchall()
    regions = tuple(RegionValue(
        region_id=r["region_id"], participant=r["participant"], slot=r["slot"], dimension=r["dimension"],
        label=r["label"], image_path=r["image_path"], transcription=r["transcription"],
        status=r["status"] or "missing") for r in region_rows)
    pages = load_page_states(conn, case_id)
    return CaseRecord(manifest=manifest, layout=layout, boxes=boxes, regions=regions, pages=pages)
