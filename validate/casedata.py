"""Indexed, read-only view of one case's stored values, shared by every check.

``CaseRecord`` answers one question at a time by scanning all boxes; validation
asks hundreds, so this builds the indexes once.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field

from softa.instrument import FAMILY, SESSION, SOFTA_DIMENSIONS, Instrument, Item, Version, load_instrument
from softa.manifest import Participant
from softa.records import BoxValue, CaseRecord, RatingRead, load_case_record

#: The two observers whose codings are compared; the consensus is their joint form.
OBSERVER_SLOTS: tuple[str, str] = ("1", "2")
CONSENSUS_SLOT = "consensus"
#: Observer slots in the order the forms are filled.
CODING_SLOTS: tuple[str, ...] = (*OBSERVER_SLOTS, CONSENSUS_SLOT)
#: Client-version dimension rated once for the whole family (row ``gezin``).
FAMILY_DIMENSION = "gezamenlijke_doelperceptie"

Key = tuple[str, str | None, str]


def version_of(participant: Participant) -> Version:
    """Which form version (client or therapist) a participant is coded on."""
    return "therapist" if participant.is_worker else "client"


def rated_dimensions(participant: Participant) -> tuple[str, ...]:
    """Dimensions with an individual rating row for this participant (form order)."""
    if participant.is_worker:
        return SOFTA_DIMENSIONS
    return tuple(d for d in SOFTA_DIMENSIONS if d != FAMILY_DIMENSION)


@dataclass(frozen=True)
class Tick:
    """One ticked cell: which item in which 5-minute window."""

    item: Item
    window: int
    box_id: str


@dataclass(frozen=True)
class CaseData:
    """A case record plus indexes by (participant, slot, dimension)."""

    record: CaseRecord
    instrument: Instrument
    _boxes: dict[Key, dict[str, list[BoxValue]]] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: sqlite3.Connection, case_id: str) -> CaseData:
        """Read a case from the database and index it."""
        return cls.from_record(load_case_record(conn, case_id))

    @classmethod
    def from_record(cls, record: CaseRecord) -> CaseData:
        index: dict[Key, dict[str, list[BoxValue]]] = defaultdict(lambda: defaultdict(list))
        for box in record.boxes:
            index[(box.participant, box.slot, box.dimension)][box.kind].append(box)
        return cls(record=record, instrument=load_instrument(), _boxes={k: dict(v) for k, v in index.items()})

    @property
    def case(self) -> str:
        return self.record.manifest.case

    @property
    def windows(self) -> int:
        return self.record.manifest.windows

    def boxes(self, participant: str, slot: str | None, dimension: str, kind: str) -> list[BoxValue]:
        """Boxes of one kind of one participant/slot/dimension, in layout order."""
        return self._boxes.get((participant, slot, dimension), {}).get(kind, [])

    def tick_boxes(self, participant: str, slot: str | None, dimension: str) -> list[BoxValue]:
        return self.boxes(participant, slot, dimension, "tick")

    def ticks_read(self, participant: str, slot: str | None, dimension: str) -> bool:
        """True when every tick box of this dimension was scanned (none missing)."""
        boxes = self.tick_boxes(participant, slot, dimension)
        return bool(boxes) and all(b.status != "missing" for b in boxes)

    def ticks(self, participant: Participant, slot: str, dimension: str) -> list[Tick]:
        """Ticked cells of one participant's dimension (current values, best guess when flagged)."""
        version = version_of(participant)
        out = []
        for box in self.tick_boxes(participant.code, slot, dimension):
            if box.checked and box.item is not None and box.window is not None:
                out.append(Tick(self.instrument.item(version, dimension, box.item), box.window, box.box_id))
        return out

    def rating(self, participant: str, slot: str | None, dimension: str) -> RatingRead | None:
        """The rating row, or None when the forms have none or it was never scanned."""
        row = self.boxes(participant, slot, dimension, "rating")
        if not row or any(b.status == "missing" for b in row):
            return None
        values = tuple(sorted(b.value for b in row if b.checked and b.value is not None))
        statuses = {b.status for b in row}
        status = "flagged" if "flagged" in statuses else ("auto" if "auto" in statuses else "reviewed")
        return RatingRead(group=row[0].group, values=values, status=status)  # type: ignore[arg-type]

    def rating_box_ids(self, participant: str, slot: str | None, dimension: str) -> tuple[str, ...]:
        """Ids of the ticked boxes in a rating row (all row boxes when none is ticked)."""
        row = self.boxes(participant, slot, dimension, "rating")
        ticked = tuple(b.box_id for b in row if b.checked)
        return ticked or tuple(b.box_id for b in row)

    def rating_rows(self) -> list[tuple[str, str | None, str]]:
        """Every (participant, slot, dimension) that has a rating row, in layout order."""
        seen: dict[tuple[str, str | None, str], None] = {}
        for box in self.record.boxes:
            if box.kind == "rating":
                seen.setdefault((box.participant, box.slot, box.dimension), None)
        return list(seen)

    def participants(self) -> tuple[Participant, ...]:
        return self.record.manifest.participants

    def row_label(self, participant: str) -> str:
        """Dutch label of a participant column: code and role, or the family/session."""
        if participant == FAMILY:
            return "gezin"
        if participant == SESSION:
            return "sessie"
        try:
            return f"{participant} ({self.record.manifest.participant(participant).role})"
        except KeyError:
            return participant
