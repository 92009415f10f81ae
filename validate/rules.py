"""The manual's rating guidelines as warnings, for every participant, dimension and slot.

Individual dimensions (client Betrokkenheid, Emotionele band, Veiligheid and all
four of the worker's dimensions), "Aanvullende richtlijnen" 1-7. The ticked
indicators of a dimension are one of four patterns:

- none ticked -> the rating must be 0 (``guideline.no_ticks_zero``);
- only negative -> below 0 (``guideline.only_negative_below_zero``), and
  * -3 "alleen ... als duidelijk is dat die persoon negatief tegenover de
    hulpverlening staat en dat duidelijk laat zien" / "Als dit gedrag zich de
    hele sessie voordoet, zal de beoordeling -3 zijn": operationally, negative
    indicators ticked in at least half of the session's 5-minute windows
    (``guideline.minus3_clearly_negative`` otherwise);
  * -2 "als er meerdere verschillende verbale én non-verbale negatieve
    gedragingen zijn gescoord": at least two different negative items, at least
    one verbal and, when the form offers non-verbal negative items for this
    dimension, at least one non-verbal (``guideline.minus2_variety``);
  * -1 "als er weinig, enkel non-verbale en voornamelijk dezelfde negatieve
    gedragingen zijn gescoord": warned when the -2 variety is clearly there
    (``guideline.minus1_few``);
- only positive -> above 0 (``guideline.only_positive_above_zero``), and
  * only non-verbal positive items -> +1 (``guideline.only_nonverbal_plus1``);
  * +2/+3 need "variatie in het soort positieve (verbale en non-verbale)
    gedragingen": at least two different positive items, at least one verbal
    (``guideline.plus2_variety``); the worker's forms have no non-verbal items,
    so non-verbal ones cannot be required;
  * +3 only when "duidelijk is dat de hulpverlener grote inzet toont of dat de
    cliënt sterk geïnvesteerd heeft": that variety plus positive indicators in at
    least half of the windows (``guideline.plus3_clearly_strong``);
- both positive and negative -> -1, 0 or +1 (``guideline.mixed_within_one``).

Family Gezamenlijke doelperceptie (client version, one rating ``gezin`` from the
ticks of every member), richtlijnen 2-7: the admissible ratings are the union
of what every applicable guideline allows (richtlijn 4/5 and 6 can apply at once);
richtlijn 7 (the ``open_disagreement`` item ticked and a rating above -3) asks
whether the disagreement was major (``gd.open_disagreement_minus3``).

Item rules use the instrument's flags: ``once_per_session`` items ticked in more
than one window (``item.veiligheid2_once``) and ``end_of_session`` items ticked
before the last window (``item.therapist_gd9_end``). ``consensus.between_observers``
flags a consensus rating outside the two observers' ratings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from softa.instrument import FAMILY, Item
from softa.manifest import WINDOW_MINUTES
from validate.casedata import (
    CODING_SLOTS,
    CONSENSUS_SLOT,
    FAMILY_DIMENSION,
    OBSERVER_SLOTS,
    CaseData,
    Tick,
    rated_dimensions,
    version_of,
)
from validate.model import Finding
from validate.wording import cite, dimension_label, signed, slot_label

#: "Several different" behaviours (meerdere verschillende): more than one item.
MIN_DIFFERENT_ITEMS = 2
#: Share of the session's 5-minute windows with indicators that makes behaviour
#: "clearly" present for -3/+3 ("Als dit gedrag zich de hele sessie voordoet").
CLEAR_WINDOW_SHARE = 0.5
#: The admissible ratings of each guideline (manual's wording).
BELOW_ZERO = frozenset({-3, -2, -1})
ABOVE_ZERO = frozenset({1, 2, 3})
WITHIN_ONE = frozenset({-1, 0, 1})
ACCEPT_HINT = "Controleer de score, of accepteer deze waarschuwing met een toelichting in softa review."


@dataclass(frozen=True)
class Pattern:
    """What was ticked for one participant's dimension in one slot."""

    ticks: tuple[Tick, ...]
    items: tuple[Item, ...]  # every item of the dimension on this form version

    @property
    def positive(self) -> frozenset[int]:
        return frozenset(t.item.number for t in self.ticks if t.item.positive)

    @property
    def negative(self) -> frozenset[int]:
        return frozenset(t.item.number for t in self.ticks if not t.item.positive)

    def _nonverbal(self, numbers: frozenset[int]) -> frozenset[int]:
        return frozenset(i.number for i in self.items if i.nonverbal and i.number in numbers)

    def windows(self, positive: bool) -> frozenset[int]:
        return frozenset(t.window for t in self.ticks if t.item.positive == positive)

    @property
    def only_nonverbal_positive(self) -> bool:
        return bool(self.positive) and self._nonverbal(self.positive) == self.positive

    @property
    def positive_variety(self) -> bool:
        """At least two different positive items, at least one of them verbal."""
        verbal = self.positive - self._nonverbal(self.positive)
        return len(self.positive) >= MIN_DIFFERENT_ITEMS and bool(verbal)

    @property
    def form_has_nonverbal_negative(self) -> bool:
        """Whether this dimension's form offers non-verbal negative items (the worker's forms do not)."""
        return any(i.nonverbal and not i.positive for i in self.items)

    @property
    def negative_variety(self) -> bool:
        """Several different negative items, verbal and (where the form has them) non-verbal."""
        nonverbal = self._nonverbal(self.negative)
        return (len(self.negative) >= MIN_DIFFERENT_ITEMS and bool(self.negative - nonverbal)
                and (bool(nonverbal) or not self.form_has_nonverbal_negative))


def _items_text(numbers: Iterable[int]) -> str:
    ordered = sorted(numbers)
    return ("item " if len(ordered) == 1 else "items ") + ", ".join(str(n) for n in ordered)


def _clear(pattern: Pattern, positive: bool, windows: int) -> bool:
    return len(pattern.windows(positive)) >= CLEAR_WINDOW_SHARE * windows


def individual_rule(pattern: Pattern, rating: int, windows: int) -> tuple[str, str] | None:
    """The guideline an individual rating breaks, as (rule id, what was found), or None."""
    pos, neg = pattern.positive, pattern.negative
    if not pos and not neg:
        return ("guideline.no_ticks_zero", "er is geen enkele gedragsbeschrijving aangevinkt") if rating != 0 else None
    if pos and neg:
        if rating not in WITHIN_ONE:
            return ("guideline.mixed_within_one",
                    f"zowel positieve ({_items_text(pos)}) als negatieve ({_items_text(neg)}) indicatoren zijn "
                    "aangevinkt")
        return None
    if neg:
        found = f"alleen negatieve indicatoren zijn aangevinkt ({_items_text(neg)})"
        if rating not in BELOW_ZERO:
            return "guideline.only_negative_below_zero", found
        if rating == -3 and not _clear(pattern, False, windows):
            return ("guideline.minus3_clearly_negative",
                    f"{found}, in {len(pattern.windows(False))} van de {windows} blokken van {WINDOW_MINUTES} minuten")
        if rating == -2 and not pattern.negative_variety:
            return "guideline.minus2_variety", f"{found}; dat zijn niet meerdere verschillende verbale én " \
                                               "non-verbale negatieve gedragingen"
        if rating == -1 and pattern.negative_variety:
            kinds = ("verbale én non-verbale " if pattern.form_has_nonverbal_negative
                     else "verbale (dit formulier kent geen non-verbale) ")
            return ("guideline.minus1_few",
                    f"{found}; dat zijn meerdere verschillende {kinds}negatieve gedragingen, wat bij -2 past")
        return None
    found = f"alleen positieve indicatoren zijn aangevinkt ({_items_text(pos)})"
    if rating not in ABOVE_ZERO:
        return "guideline.only_positive_above_zero", found
    if pattern.only_nonverbal_positive:
        return ("guideline.only_nonverbal_plus1", f"{found}, alle non-verbaal") if rating != 1 else None
    if rating >= 2 and not pattern.positive_variety:
        return "guideline.plus2_variety", f"{found}; er is geen variatie in het soort positieve gedragingen"
    if rating == 3 and not _clear(pattern, True, windows):
        return ("guideline.plus3_clearly_strong",
                f"{found}, in {len(pattern.windows(True))} van de {windows} blokken van {WINDOW_MINUTES} minuten")
    return None


def _rating_value(data: CaseData, participant: str, slot: str, dimension: str) -> int | None:
    read = data.rating(participant, slot, dimension)
    return read.value if read is not None else None


def _where(data: CaseData, participant: str, slot: str | None, dimension: str) -> str:
    return f"Casus {data.case}, {slot_label(slot)}, {data.row_label(participant)}, {dimension_label(dimension)}"


def guideline_findings(data: CaseData) -> list[Finding]:
    """Guideline warnings for every individual rating of every participant in every slot."""
    out: list[Finding] = []
    for who in data.participants():
        version = version_of(who)
        for dimension in rated_dimensions(who):
            items = data.instrument.items_of(version, dimension)
            for slot in CODING_SLOTS:
                rating = _rating_value(data, who.code, slot, dimension)
                if rating is None or not data.ticks_read(who.code, slot, dimension):
                    continue
                pattern = Pattern(tuple(data.ticks(who, slot, dimension)), items)
                broken = individual_rule(pattern, rating, data.windows)
                if broken is None:
                    continue
                rule, found = broken
                out.append(Finding(
                    data.case, who.code, slot, dimension, rule, "warning",
                    f"{_where(data, who.code, slot, dimension)}: score {signed(rating)}, terwijl {found}. "
                    f"{cite(rule)} {ACCEPT_HINT}",
                    detail=f"{dimension}={signed(rating)}",
                    box_ids=(*(t.box_id for t in pattern.ticks), *data.rating_box_ids(who.code, slot, dimension))))
    return out


@dataclass(frozen=True)
class FamilyRule:
    """The family guideline(s) that apply: the rule id reported, every rule cited, admissible ratings."""

    rule: str
    cited: tuple[str, ...]
    admissible: frozenset[int]


def family_admissible(members: dict[str, Pattern]) -> FamilyRule | None:
    """The family guidelines that apply to the members' ticks, or None when the manual is silent.

    When richtlijn 6 (positive and negative indicators) applies together with 4
    (one member negative, no positives for *other* members) or 5 (two or more
    members negative), the union of their admissible ratings is allowed.
    """
    with_pos = [code for code, p in members.items() if p.positive]
    with_neg = [code for code, p in members.items() if p.negative]
    if not with_pos and not with_neg:
        return FamilyRule("gd.no_ticks_zero", ("gd.no_ticks_zero",), frozenset({0}))
    if not with_neg:
        if len(with_pos) == len(members):
            return FamilyRule("gd.all_positive_at_least_plus1", ("gd.all_positive_at_least_plus1",), ABOVE_ZERO)
        return None
    if len(with_neg) == 1:
        negative = FamilyRule("gd.one_member_negative", ("gd.one_member_negative",), frozenset({-1, -2}))
    else:
        negative = FamilyRule("gd.several_members_negative", ("gd.several_members_negative",), frozenset({-2, -3}))
    if not with_pos:
        return negative
    others_positive = [code for code in with_pos if code not in with_neg]
    if len(with_neg) > 1 or not others_positive:
        return FamilyRule("gd.mixed", ("gd.mixed", negative.rule), WITHIN_ONE | negative.admissible)
    return FamilyRule("gd.mixed", ("gd.mixed",), WITHIN_ONE)


def family_findings(data: CaseData) -> list[Finding]:
    """The family Gezamenlijke doelperceptie rating against every member's ticks, per slot."""
    out: list[Finding] = []
    clients = data.record.manifest.clients
    items = data.instrument.items_of("client", FAMILY_DIMENSION)
    for slot in CODING_SLOTS:
        rating = _rating_value(data, FAMILY, slot, FAMILY_DIMENSION)
        if rating is None or not all(data.ticks_read(c.code, slot, FAMILY_DIMENSION) for c in clients):
            continue
        members = {c.code: Pattern(tuple(data.ticks(c, slot, FAMILY_DIMENSION)), items) for c in clients}
        tick_ids = tuple(t.box_id for p in members.values() for t in p.ticks)
        rating_ids = data.rating_box_ids(FAMILY, slot, FAMILY_DIMENSION)
        summary = "; ".join(
            f"{code}: {len(p.positive)} positief, {len(p.negative)} negatief" for code, p in members.items())
        where = _where(data, FAMILY, slot, FAMILY_DIMENSION)
        applies = family_admissible(members)
        if applies is not None and rating not in applies.admissible:
            quotes = " ".join(cite(rule) for rule in applies.cited)
            out.append(Finding(
                data.case, FAMILY, slot, FAMILY_DIMENSION, applies.rule, "warning",
                f"{where}: score {signed(rating)}, terwijl voor de gezinsleden is aangevinkt: {summary}. "
                f"{quotes} {ACCEPT_HINT}",
                detail=f"{FAMILY_DIMENSION}={signed(rating)}", box_ids=(*tick_ids, *rating_ids)))
        open_ticks = [t for p in members.values() for t in p.ticks if t.item.open_disagreement]
        if open_ticks and rating > min(data.instrument.scale_values):
            number = open_ticks[0].item.number
            out.append(Finding(
                data.case, FAMILY, slot, FAMILY_DIMENSION, "gd.open_disagreement_minus3", "warning",
                f"{where}: item {number} (onenigheid over de waarde of doelen van de hulpverlening) is "
                f"aangevinkt en de score is {signed(rating)}. Was de onenigheid groot? {cite('gd.open_disagreement_minus3')} "
                f"{ACCEPT_HINT}",
                detail=f"{FAMILY_DIMENSION}:i{number:02d}={signed(rating)}",
                box_ids=(*(t.box_id for t in open_ticks), *rating_ids)))
    return out


def item_findings(data: CaseData) -> list[Finding]:
    """Items marked at most once per session, and items marked only at the session's end."""
    out: list[Finding] = []
    for who in data.participants():
        version = version_of(who)
        for item in data.instrument.items:
            if item.version != version or not (item.once_per_session or item.end_of_session):
                continue
            for slot in CODING_SLOTS:
                ticks = [t for t in data.ticks(who, slot, item.dimension) if t.item.number == item.number]
                windows = sorted(t.window for t in ticks)
                where = f"{_where(data, who.code, slot, item.dimension)}, item {item.number}"
                shown = ", ".join(f"minuut {(w - 1) * WINDOW_MINUTES}-{w * WINDOW_MINUTES}" for w in windows)
                if item.once_per_session and len(windows) > 1:
                    rule = "item.veiligheid2_once"
                    found = f"gemarkeerd in {len(windows)} blokken ({shown})"
                elif item.end_of_session and any(w != data.windows for w in windows):
                    rule = "item.therapist_gd9_end"
                    found = f"gemarkeerd vóór het laatste blok van de sessie ({shown})"
                else:
                    continue
                out.append(Finding(
                    data.case, who.code, slot, item.dimension, rule, "warning",
                    f"{where} (\"{item.text}\"): {found}. {cite(rule)} {ACCEPT_HINT}",
                    detail=f"{item.dimension}:i{item.number:02d}", box_ids=tuple(t.box_id for t in ticks)))
    return out


def consensus_findings(data: CaseData) -> list[Finding]:
    """Consensus ratings outside the range of the two observers' ratings."""
    out: list[Finding] = []
    for participant, slot, dimension in data.rating_rows():
        if slot != CONSENSUS_SLOT:
            continue
        consensus = _rating_value(data, participant, slot, dimension)
        observed = [_rating_value(data, participant, s, dimension) for s in OBSERVER_SLOTS]
        if consensus is None or None in observed:
            continue
        low, high = min(observed), max(observed)  # type: ignore[type-var]
        if low <= consensus <= high:  # type: ignore[operator]
            continue
        between = (f"wijkt af van de score van beide observatoren ({signed(low)})" if low == high  # type: ignore[arg-type]
                   else f"ligt niet tussen de scores van observator 1 ({signed(observed[0])}) en observator 2 "  # type: ignore[arg-type]
                        f"({signed(observed[1])}) in")  # type: ignore[arg-type]
        out.append(Finding(
            data.case, participant, slot, dimension, "consensus.between_observers", "warning",
            f"{_where(data, participant, slot, dimension)}: consensusscore {signed(consensus)} {between}; "
            f"kijk er nog eens naar. {cite('consensus.between_observers')} {ACCEPT_HINT}",
            detail=f"{dimension}={signed(consensus)}:{signed(observed[0])}/{signed(observed[1])}",  # type: ignore[arg-type]
            box_ids=tuple(i for s in CODING_SLOTS for i in data.rating_box_ids(participant, s, dimension))))
    return out


def rating_findings(data: CaseData) -> list[Finding]:
    """All guideline, family, item and consensus warnings of a case."""
    return [*guideline_findings(data), *family_findings(data), *item_findings(data), *consensus_findings(data)]


