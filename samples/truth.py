"""Synthetic but plausible codings of a case: the ground truth for tests, demo and benchmarks.

Two observers code the same session with realistic disagreement; the consensus
mostly settles on what they agreed on; ratings follow the manual's guidelines
most of the time. Deterministic for a given seed.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass, field

from softa.db import now, transaction
from softa.instrument import (
    FAMILY,
    SESSION,
    SOFTA_DIMENSIONS,
    SPREEKTIJD_BALANS,
    TAALGEBRUIK,
    Version,
    load_instrument,
)
from softa.layout import CaseLayout
from softa.manifest import Manifest

#: Share of tick cells on which observer 2 differs from observer 1.
TICK_DISAGREEMENT = 0.06
#: Share of ratings on which observer 2 is one point off.
RATING_DISAGREEMENT = 0.3
#: Chance that an item occurs at all for a participant, and per window when it does.
ITEM_OCCURS = 0.35
WINDOW_RATE = 0.3

TRANSCRIPTS = {
    "taalgebruik": "De hulpverlener sluit aan bij de woorden van moeder en gebruikt voorbeelden uit het dagelijks leven.",
    "spreektijd": "Moeder praat het meest; de hulpverlener nodigt de zoon twee keer uit om te reageren.",
    "opvallende_momenten:moment_1": "Minuut 12: zoon vertelt voor het eerst over school; moeder luistert.",
    "opvallende_momenten:moment_2": "Minuut 41: vader en moeder zijn het oneens over het doel van de hulp.",
}


@dataclass
class CodingTruth:
    """Ground truth per box id (1 ticked, 0 not) and free text per region id."""

    boxes: dict[str, int] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)


def _guideline_rating(pos: set[int], neg: set[int], nonverbal: set[int], rng: random.Random) -> int:
    if not pos and not neg:
        return 0
    if pos and neg:
        return rng.choice((-1, 0, 1))
    if neg:
        return -2 if len(neg) >= 2 and not neg <= nonverbal else -1
    if pos <= nonverbal:
        return 1
    return 2 if len(pos) >= 3 else 1


def simulate_coding(manifest: Manifest, layout: CaseLayout, seed: int = 0) -> CodingTruth:
    """Fill every box of the case's layout the way a pair of students would."""
    rng = random.Random(f"{manifest.case}:{seed}")
    inst = load_instrument()
    truth = CodingTruth()
    by_group: dict[str, list[str]] = {}
    meta = {}
    for box in layout.boxes():
        by_group.setdefault(box.group, []).append(box.id)
        meta[box.id] = box
        truth.boxes[box.id] = 0

    def tick(slot: str, code: str, dim: str, item: int, window: int) -> str:
        return f"{slot}:{code}:{dim}:i{item:02d}:w{window:02d}"

    def rate(slot: str | None, code: str, dim: str, value: int) -> None:
        truth.boxes[f"{slot or 'self'}:{code}:{dim}:v{value:+d}"] = 1

    family_marks: dict[str, dict[str, set[int]]] = {"1": {}, "2": {}, "consensus": {}}
    for who in manifest.participants:
        version: Version = "therapist" if who.is_worker else "client"
        for dim in SOFTA_DIMENSIONS:
            items = inst.items_of(version, dim)
            nonverbal = {i.number for i in items if i.nonverbal}
            obs1: set[tuple[int, int]] = set()
            for item in items:
                if rng.random() < ITEM_OCCURS * (0.5 if not item.positive else 1):
                    windows = [w for w in range(1, manifest.windows + 1) if rng.random() < WINDOW_RATE] or [1]
                    if item.once_per_session or item.end_of_session:
                        windows = [manifest.windows if item.end_of_session else windows[0]]
                    obs1.update((item.number, w) for w in windows)
            cells = [(i.number, w) for i in items for w in range(1, manifest.windows + 1)]
            obs2 = {c for c in cells if (c in obs1) != (rng.random() < TICK_DISAGREEMENT * (0.3 if c not in obs1 else 3))}
            consensus = obs1 & obs2 | {c for c in obs1 ^ obs2 if rng.random() < 0.5}
            for slot, marks in (("1", obs1), ("2", obs2), ("consensus", consensus)):
                for item_no, window in marks:
                    truth.boxes[tick(slot, who.code, dim, item_no, window)] = 1
                pos = {i for i, _ in marks if inst.item(version, dim, i).positive}
                neg = {i for i, _ in marks if not inst.item(version, dim, i).positive}
                if version == "client" and dim == "gezamenlijke_doelperceptie":
                    family_marks[slot][who.code] = pos | {-n for n in neg}
                    continue
                rate(slot, who.code, dim, _guideline_rating(pos, neg, nonverbal, rng))
    for slot, members in family_marks.items():
        with_neg = [c for c, m in members.items() if any(v < 0 for v in m)]
        with_pos = [c for c, m in members.items() if any(v > 0 for v in m)]
        if not with_neg and not with_pos:
            value = 0
        elif not with_neg and len(with_pos) == len(members):
            value = rng.choice((1, 2))
        elif with_neg and with_pos:
            value = rng.choice((-1, 0, 1))
        elif len(with_neg) == 1:
            value = rng.choice((-1, -2))
        else:
            value = rng.choice((-2, -3))
        rate(slot, FAMILY, "gezamenlijke_doelperceptie", value)
    taal = rng.choice((0, 1, 2))
    for slot in ("1", "2", "consensus"):
        value = taal if slot != "2" or rng.random() > RATING_DISAGREEMENT else max(-3, min(3, taal + rng.choice((-1, 1))))
        rate(slot, SESSION, TAALGEBRUIK, value)
    talk: dict[str, set[int]] = {}
    for who in manifest.participants:
        share = 0.45 if who.is_worker else rng.uniform(0.05, 0.35)
        talk[who.code] = {b for b in range(1, manifest.bins + 1) if rng.random() < share}
    for slot in ("1", "2", "consensus"):
        for code, bins in talk.items():
            marked = bins if slot == "consensus" else {b for b in range(1, manifest.bins + 1)
                                                       if (b in bins) != (rng.random() < 0.04)}
            for b in marked:
                truth.boxes[f"{slot}:{code}:spreektijd:b{b:03d}"] = 1
    for worker in manifest.workers:
        for dim in (*SOFTA_DIMENSIONS, TAALGEBRUIK):
            rate(None, worker.code, dim, rng.choice((0, 1, 1, 2)))
        truth.boxes[f"self:{worker.code}:{SPREEKTIJD_BALANS}:v{rng.randint(4, 9):+d}"] = 1
    for region in layout.regions():
        key = f"{region.dimension}:{region.id.rsplit(':', 1)[-1]}" if region.dimension == "opvallende_momenten" \
            else region.dimension
        truth.texts[region.id] = TRANSCRIPTS.get(key, "")
    unknown = set(truth.boxes) - set(meta)
    if unknown:
        raise AssertionError(f"truth names boxes the layout does not have: {sorted(unknown)[:5]}")
    return truth


def store_truth(conn: sqlite3.Connection, case_id: str, truth: CodingTruth, *, status: str = "auto",
                only: set[str] | None = None) -> None:
    """Write truth values as if scanned (no page images): a fixture for validate/export/review tests."""
    stamp = now()
    with transaction(conn):
        conn.executemany(
            "INSERT INTO box_values(case_id, box_id, page_id, checked, status, reason, confidence, reviewer, reviewed_at)"
            " VALUES (?, ?, NULL, ?, ?, NULL, 1.0, NULL, NULL) ON CONFLICT(case_id, box_id) DO UPDATE SET"
            " checked = excluded.checked, status = excluded.status",
            [(case_id, box_id, value, status) for box_id, value in truth.boxes.items()
             if only is None or box_id in only])
        conn.executemany(
            "INSERT INTO region_values(case_id, region_id, page_id, image_path, ink_ratio, transcription, status,"
            " reviewer, reviewed_at) VALUES (?, ?, NULL, NULL, NULL, ?, 'transcribed', 'fixture', ?)"
            " ON CONFLICT(case_id, region_id) DO NOTHING",
            [(case_id, region_id, text, stamp) for region_id, text in truth.texts.items()])
