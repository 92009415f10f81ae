"""Observer agreement (observer 1 vs observer 2) per clearly named group, per case and across cases.

Only cells both observers' forms were scanned for count (status != missing);
every figure carries its n, its method and whether it is indicative only
(``validate.agreement``). Groups never mix kinds of value (``GROUP_LABELS``):

- ticks, per form version (client / therapist: item numbers differ):
  per item (cells = windows), per dimension, per participant and per case;
  across cases per version x dimension x item, per version x dimension and per version;
- ratings: the worker's contributions (their four ratings), each client's
  three ratings, the family's Gezamenlijke doelperceptie and taalgebruik, each a
  group of its own; across cases the same groups (workers and clients also per
  dimension), ICC(A,1) then spans participants and cases. The worker's
  self-assessment is not an observer rating and is left out;
- speaking time: the 30-second bins per participant and per case (participants
  together; the difference in seconds is summed per participant).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from softa.instrument import FAMILY, SESSION, SPREEKTIJD, TAALGEBRUIK
from validate.agreement import Figure, binary_agreement, rating_agreement, speaking_time_pooled
from validate.casedata import FAMILY_DIMENSION, OBSERVER_SLOTS, CaseData, version_of
from validate.model import AgreementBlock
from validate.wording import dimension_label

#: Every group agreement is reported for, with its Dutch name (sheets, report, text output).
GROUP_LABELS: dict[str, str] = {
    "ticks.item": "Vinkjes per gedragsbeschrijving",
    "ticks.dimension": "Vinkjes per dimensie",
    "ticks.participant": "Vinkjes per deelnemer",
    "ticks.version": "Vinkjes per formulierversie",
    "ratings.worker": "Beoordelingen van de hulpverlener (bijdragen hulpverlener)",
    "ratings.worker_dimension": "Beoordelingen van hulpverleners per dimensie",
    "ratings.client": "Beoordelingen van een cliënt",
    "ratings.clients": "Beoordelingen van cliënten",
    "ratings.client_dimension": "Beoordelingen van cliënten per dimensie",
    "ratings.family": "Gezamenlijke doelperceptie van het gezin",
    "ratings.taalgebruik": "Overeenstemming in taalgebruik",
    "speaking_time.participant": "Spreektijd per deelnemer",
    "speaking_time.case": "Spreektijd, deelnemers samen",
}
VERSION_LABELS = {"client": "cliëntversie", "therapist": "hulpverlenersversie"}
MEASURE_WORDS = {"ticks": "vinkjes", "ratings": "beoordelingen", "speaking_time": "spreektijd"}

Pairs = list[tuple[int, int]]


@dataclass
class AgreementData:
    """The observer pairs of one case, before statistics."""

    case: str
    #: (participant, version, dimension, item) -> list of (obs1, obs2) over windows
    ticks: dict[tuple[str, str, str, int], Pairs] = field(default_factory=dict)
    #: (participant, dimension) -> (obs1, obs2) rating
    ratings: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    #: participant -> list of (obs1, obs2) over bins
    speaking: dict[str, Pairs] = field(default_factory=dict)
    #: participant codes of the case's workers (the rest of the manifest are clients)
    workers: frozenset[str] = frozenset()


def collect_pairs(data: CaseData) -> AgreementData:
    """The cells both observers' forms were read for, paired."""
    out = AgreementData(case=data.case, workers=frozenset(p.code for p in data.participants() if p.is_worker))
    first, second = OBSERVER_SLOTS
    ticks: dict[tuple[str, str, str, int], Pairs] = defaultdict(list)
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


def _scope(case: str | None, group: str, *parts: str) -> str:
    head = f"casus {case}" if case else "alle casussen samen"
    return " · ".join((head, GROUP_LABELS[group], *(p for p in parts if p)))


def _block(case: str | None, group: str, measure: str, figures: tuple[Figure, ...], *, participant: str | None = None,
           dimension: str | None = None, item: int | None = None, version: str | None = None) -> AgreementBlock:
    named = group in ("ratings.family", "ratings.taalgebruik")  # the group's name says who and what
    parts = [VERSION_LABELS.get(version or "", ""), "" if named else participant or "",
             "" if named or not dimension else dimension_label(dimension), f"item {item}" if item is not None else ""]
    return AgreementBlock(_scope(case, group, *parts), case, measure, participant, dimension, item,  # type: ignore[arg-type]
                          figures, version=version, group=group, group_label=GROUP_LABELS[group])


def _ticks(pairs: Pairs) -> tuple[Figure, ...]:
    return binary_agreement([p[0] for p in pairs], [p[1] for p in pairs])


def _tick_blocks(case: str | None, cells: dict[tuple[str, str, str, int], Pairs],
                 by_participant: bool) -> list[AgreementBlock]:
    """Tick blocks: per item, per dimension, per participant (in a case) and per form version."""
    per_item: dict[tuple[str | None, str, str, int], Pairs] = defaultdict(list)
    per_dim: dict[tuple[str | None, str, str], Pairs] = defaultdict(list)
    per_participant: dict[tuple[str, str], Pairs] = defaultdict(list)
    per_version: dict[str, Pairs] = defaultdict(list)
    for (participant, version, dimension, item), pairs in cells.items():
        who = participant if by_participant else None
        per_item[(who, version, dimension, item)].extend(pairs)
        per_dim[(who, version, dimension)].extend(pairs)
        per_participant[(participant, version)].extend(pairs)
        per_version[version].extend(pairs)
    blocks = [_block(case, "ticks.item", "ticks", _ticks(p), participant=who, dimension=d, item=i, version=v)
              for (who, v, d, i), p in per_item.items()]
    blocks += [_block(case, "ticks.dimension", "ticks", _ticks(p), participant=who, dimension=d, version=v)
               for (who, v, d), p in per_dim.items()]
    if by_participant:
        blocks += [_block(case, "ticks.participant", "ticks", _ticks(p), participant=who, version=v)
                   for (who, v), p in per_participant.items()]
    blocks += [_block(case, "ticks.version", "ticks", _ticks(p), version=v) for v, p in per_version.items()]
    return blocks


RatingRow = tuple[str, str, str, tuple[int, int]]  # (case, participant, dimension, pair)


def rating_group(participant: str, dimension: str, workers: frozenset[str]) -> str:
    """Which rating group a rating row belongs to."""
    if participant == FAMILY and dimension == FAMILY_DIMENSION:
        return "ratings.family"
    if participant == SESSION and dimension == TAALGEBRUIK:
        return "ratings.taalgebruik"
    return "ratings.worker" if participant in workers else "ratings.client"


def _rating_blocks(case: str, pairs: AgreementData) -> list[AgreementBlock]:
    """A case's rating blocks: each worker, each client, the family's GD and taalgebruik."""
    grouped: dict[tuple[str, str | None], list[tuple[int, int]]] = defaultdict(list)
    for (participant, dimension), pair in pairs.ratings.items():
        group = rating_group(participant, dimension, pairs.workers)
        who = participant if group in ("ratings.worker", "ratings.client") else None
        grouped[(group, who)].append(pair)
    blocks = []
    for (group, who), group_pairs in grouped.items():
        fixed = {"ratings.family": (FAMILY, FAMILY_DIMENSION), "ratings.taalgebruik": (SESSION, TAALGEBRUIK)}
        person, dim = (who, None) if who is not None else fixed[group]
        blocks.append(_block(case, group, "ratings", rating_agreement(group_pairs), participant=person,
                             dimension=dim))
    return blocks


def _overall_rating_blocks(cases: Sequence[AgreementData]) -> list[AgreementBlock]:
    """Across cases: workers, clients (also per dimension), family GD, taalgebruik."""
    grouped: dict[str, list[tuple[int, int]]] = defaultdict(list)
    by_dimension: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for case in cases:
        for (participant, dimension), pair in case.ratings.items():
            group = rating_group(participant, dimension, case.workers)
            if group == "ratings.client":
                group = "ratings.clients"
            grouped[group].append(pair)
            if group in ("ratings.worker", "ratings.clients"):
                dim_group = "ratings.worker_dimension" if group == "ratings.worker" else "ratings.client_dimension"
                by_dimension[(dim_group, dimension)].append(pair)
    fixed = {"ratings.family": (FAMILY, FAMILY_DIMENSION), "ratings.taalgebruik": (SESSION, TAALGEBRUIK)}
    blocks = [_block(None, group, "ratings", rating_agreement(p), participant=fixed.get(group, (None, None))[0],
                     dimension=fixed.get(group, (None, None))[1]) for group, p in grouped.items()]
    blocks += [_block(None, group, "ratings", rating_agreement(p), dimension=dimension)
               for (group, dimension), p in by_dimension.items()]
    return blocks


def _speaking(participants: Sequence[Pairs]) -> tuple[Figure, ...]:
    return speaking_time_pooled([([p[0] for p in pairs], [p[1] for p in pairs]) for pairs in participants])


def case_agreement(pairs: AgreementData) -> tuple[AgreementBlock, ...]:
    """All agreement blocks of one case."""
    speaking = [_block(pairs.case, "speaking_time.participant", "speaking_time", _speaking([p]), participant=who,
                       dimension=SPREEKTIJD) for who, p in pairs.speaking.items()]
    if pairs.speaking:
        speaking.append(_block(pairs.case, "speaking_time.case", "speaking_time",
                               _speaking(list(pairs.speaking.values())), dimension=SPREEKTIJD))
    return (*_tick_blocks(pairs.case, pairs.ticks, by_participant=True), *_rating_blocks(pairs.case, pairs),
            *speaking)


def overall_agreement(cases: Sequence[AgreementData]) -> tuple[AgreementBlock, ...]:
    """Agreement across all cases (case None), per group as in a case."""
    ticks: dict[tuple[str, str, str, int], Pairs] = defaultdict(list)
    speaking: list[Pairs] = []
    for case in cases:
        for (participant, version, dimension, item), cell_pairs in case.ticks.items():
            ticks[(f"{case.case}:{participant}", version, dimension, item)].extend(cell_pairs)
        speaking.extend(case.speaking.values())
    blocks = [*_tick_blocks(None, dict(ticks), by_participant=False), *_overall_rating_blocks(cases)]
    if speaking:
        blocks.append(_block(None, "speaking_time.case", "speaking_time", _speaking(speaking), dimension=SPREEKTIJD))
    return tuple(blocks)
