"""Observer agreement (observer 1 vs observer 2) per case and across cases.

Only cells both observers' forms were scanned for count (status != missing);
every figure carries its n and names its method (``validate.agreement``).

- ticks: per participant x dimension x item (cells = windows), per participant x
  dimension (cells = items x windows), per dimension and for the whole case;
  across cases per form version x dimension x item, per dimension and overall;
- ratings: (observer 1, observer 2) pairs over participants x dimensions
  (the family and session rows included, the self-assessment not), per case
  and dimension and overall; across cases the same, ICC(A,1) then spans
  participants and cases;
- speaking time: the 30-second bins, per participant, per case and overall.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from softa.instrument import SPREEKTIJD
from validate.agreement import Figure, binary_agreement, rating_agreement, speaking_time_agreement
from validate.casedata import OBSERVER_SLOTS, CaseData, version_of
from validate.model import AgreementBlock

TickKey = tuple[str, str, int]  # (participant, dimension, item)


@dataclass
class AgreementData:
    """The observer pairs of one case, before statistics."""

    case: str
    #: (participant, version, dimension, item) -> list of (obs1, obs2) over windows
    ticks: dict[tuple[str, str, str, int], list[tuple[int, int]]] = field(default_factory=dict)
    #: (participant, dimension) -> (obs1, obs2) rating
    ratings: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    #: participant -> list of (obs1, obs2) over bins
    speaking: dict[str, list[tuple[int, int]]] = field(default_factory=dict)


def collect_pairs(data: CaseData) -> AgreementData:
    """The cells both observers' forms were read for, paired."""
    out = AgreementData(case=data.case)
    first, second = OBSERVER_SLOTS
    ticks: dict[tuple[str, str, str, int], list[tuple[int, int]]] = defaultdict(list)
    for who in data.participants():
        version = version_of(who)
        for dimension in (d.key for d in data.instrument.dimensions):
            a = {(b.item, b.window): b for b in data.tick_boxes(who.code, first, dimension)}
            b_boxes = {(b.item, b.window): b for b in data.tick_boxes(who.code, second, dimension)}
            for cell, box1 in a.items():
                box2 = b_boxes.get(cell)
                if box2 is None or box1.status == "missing" or box2.status == "missing" or cell[0] is None:
                    continue
                ticks[(who.code, version, dimension, cell[0])].append((int(bool(box1.checked)), int(bool(box2.checked))))
        bins1 = {b.bin: b for b in data.boxes(who.code, first, SPREEKTIJD, "timeline")}
        bins2 = {b.bin: b for b in data.boxes(who.code, second, SPREEKTIJD, "timeline")}
        pairs = [(int(bool(b1.checked)), int(bool(bins2[n].checked)))
                 for n, b1 in sorted(bins1.items(), key=lambda kv: kv[0] or 0)
                 if n in bins2 and b1.status != "missing" and bins2[n].status != "missing"]
        if pairs:
            out.speaking[who.code] = pairs
    out.ticks = dict(ticks)
    for participant, slot, dimension in data.rating_rows():
        if slot != first:
            continue
        r1, r2 = data.rating(participant, first, dimension), data.rating(participant, second, dimension)
        if r1 is not None and r2 is not None and r1.value is not None and r2.value is not None:
            out.ratings[(participant, dimension)] = (r1.value, r2.value)
    return out


def _scope(case: str | None, measure: str, *parts: str) -> str:
    head = f"casus {case}" if case else "alle casussen"
    return " · ".join((head, measure, *parts))


def _tick_blocks(case: str | None, cells: dict[tuple[str, str, str, int], list[tuple[int, int]]],
                 by_participant: bool) -> list[AgreementBlock]:
    """Tick blocks: per item, per (participant,) dimension and overall."""
    blocks: list[AgreementBlock] = []
    per_item: dict[tuple[str | None, str, str, int], list[tuple[int, int]]] = defaultdict(list)
    per_dim_participant: dict[tuple[str | None, str], list[tuple[int, int]]] = defaultdict(list)
    per_dim: dict[str, list[tuple[int, int]]] = defaultdict(list)
    every: list[tuple[int, int]] = []
    for (participant, version, dimension, item), pairs in cells.items():
        who = participant if by_participant else None
        per_item[(who, version, dimension, item)].extend(pairs)
        per_dim_participant[(who, dimension)].extend(pairs)
        per_dim[dimension].extend(pairs)
        every.extend(pairs)

    def figures(pairs: list[tuple[int, int]]) -> tuple[Figure, ...]:
        return binary_agreement([p[0] for p in pairs], [p[1] for p in pairs])

    for (who, version, dimension, item), pairs in per_item.items():
        label = [who] if who else [version]
        blocks.append(AgreementBlock(_scope(case, "ticks", *label, dimension, f"item {item}"), case, "ticks", who,
                                     dimension, item, figures(pairs), version=version))
    if by_participant:
        for (who, dimension), pairs in per_dim_participant.items():
            blocks.append(AgreementBlock(_scope(case, "ticks", who or "", dimension), case, "ticks", who,
                                         dimension, None, figures(pairs)))
    for dimension, pairs in per_dim.items():
        blocks.append(AgreementBlock(_scope(case, "ticks", dimension), case, "ticks", None, dimension, None,
                                     figures(pairs)))
    blocks.append(AgreementBlock(_scope(case, "ticks", "alle items"), case, "ticks", None, None, None,
                                 figures(every)))
    return blocks


def _rating_blocks(case: str | None, ratings: Sequence[tuple[str, tuple[int, int]]]) -> list[AgreementBlock]:
    """Rating blocks: per dimension (pairs over participants and cases) and overall."""
    per_dim: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for dimension, pair in ratings:
        per_dim[dimension].append(pair)
    blocks = [AgreementBlock(_scope(case, "ratings", dimension), case, "ratings", None, dimension, None,
                             rating_agreement(pairs)) for dimension, pairs in per_dim.items()]
    blocks.append(AgreementBlock(_scope(case, "ratings", "alle beoordelingen"), case, "ratings", None, None, None,
                                 rating_agreement([pair for _, pair in ratings])))
    return blocks


def _speaking_blocks(case: str | None, speaking: dict[str, list[tuple[int, int]]],
                     by_participant: bool) -> list[AgreementBlock]:
    blocks: list[AgreementBlock] = []
    every: list[tuple[int, int]] = []
    for who, pairs in speaking.items():
        every.extend(pairs)
        if by_participant:
            blocks.append(AgreementBlock(_scope(case, "speaking_time", who), case, "speaking_time", who, SPREEKTIJD,
                                         None, speaking_time_agreement([p[0] for p in pairs], [p[1] for p in pairs])))
    blocks.append(AgreementBlock(_scope(case, "speaking_time", "alle deelnemers"), case, "speaking_time", None,
                                 SPREEKTIJD, None,
                                 speaking_time_agreement([p[0] for p in every], [p[1] for p in every])))
    return blocks


def case_agreement(pairs: AgreementData) -> tuple[AgreementBlock, ...]:
    """All agreement blocks of one case."""
    ratings = [(dimension, pair) for (_, dimension), pair in pairs.ratings.items()]
    return (*_tick_blocks(pairs.case, pairs.ticks, by_participant=True),
            *_rating_blocks(pairs.case, ratings),
            *_speaking_blocks(pairs.case, pairs.speaking, by_participant=True))


def overall_agreement(cases: Sequence[AgreementData]) -> tuple[AgreementBlock, ...]:
    """Agreement across all cases (case None): ticks per version x dimension x item, ratings, speaking time."""
    ticks: dict[tuple[str, str, str, int], list[tuple[int, int]]] = defaultdict(list)
    ratings: list[tuple[str, tuple[int, int]]] = []
    speaking: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for case in cases:
        for (participant, version, dimension, item), cell_pairs in case.ticks.items():
            ticks[(f"{case.case}:{participant}", version, dimension, item)].extend(cell_pairs)
        ratings.extend((dimension, pair) for (_, dimension), pair in case.ratings.items())
        for who, bin_pairs in case.speaking.items():
            speaking[f"{case.case}:{who}"].extend(bin_pairs)
    return (*_tick_blocks(None, dict(ticks), by_participant=False),
            *_rating_blocks(None, ratings),
            *_speaking_blocks(None, dict(speaking), by_participant=False))
