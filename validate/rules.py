"""The manual's rating guidelines as warnings, for every participant, dimension and slot.

Individual dimensions ("Aanvullende richtlijnen ... Betrokkenheid, Veiligheid en
Emotionele Band" 1-7; the client's three dimensions and the worker's
Betrokkenheid, Emotionele band and Veiligheid). The worker's Gezamenlijke
doelperceptie is *not* checked: the manual gives its rules for that dimension
only "In de cliënt versie" and the individual rules name the other three
dimensions, so no guideline applies (docs/richtlijnen.md). The ticked
indicators of a dimension are one of four patterns:

- none ticked -> the rating must be 0 (``guideline.no_ticks_zero``);
- only negative -> below 0 (``guideline.only_negative_below_zero``). The manual
  separates -1, -2 and -3 by "de frequentie en de mate van variatie" and gives
  the example of one item: "eenmaal of minimaal" -1, "gedurende een redelijk
  deel van de sessie" -2, "de hele sessie" -3. Frequency is the share of the
  session's 5-minute windows with a negative indicator ("redelijk deel":
  FAIR_WINDOW_SHARE, "hele sessie": CLEAR_WINDOW_SHARE); variety is "meerdere
  verschillende verbale én non-verbale" items.
  * -3 needs negative indicators through the session (``guideline.minus3_clearly_negative``);
  * -2 needs variety *or* a redelijk deel (``guideline.minus2_variety``);
  * -1 is questioned only when the behaviour is clearly not "weinig ... en
    voornamelijk dezelfde": variety, or verbal negative indicators through the
    session (``guideline.minus1_few``); non-verbal behaviour "kan gedurende de
    hele sessie voorkomen" and fits -1's "enkel non-verbale". Between a redelijk deel and the whole session
    both -1 and -2 are silent: the manual says -2 "kan".
- only positive -> above 0 (``guideline.only_positive_above_zero``), and, mirroring
  the negative side:
  * only non-verbal positive items -> +1 (``guideline.only_nonverbal_plus1``);
  * +2 needs variety (two different positive items, one verbal; the worker's
    forms have no non-verbal items, so non-verbal ones cannot be required) *or*
    a redelijk deel *or* the manual's own +2 example, the client who "oprecht
    huilt" (client Veiligheid item 3) (``guideline.plus2_variety``);
  * +3 needs positive indicators through the session (``guideline.plus3_clearly_strong``);
  * +1 is never questioned: the manual leaves +1..+3 to "het oordeel van de beoordelaar".
- both positive and negative -> -1, 0 or +1 (``guideline.mixed_within_one``).

Family Gezamenlijke doelperceptie (client version, one rating ``gezin`` from the
ticks of every member), richtlijnen 2-7. Richtlijn 7 comes first: when the
``open_disagreement`` item (11) is ticked for any member, -3 is consistent and
no other family rule is applied; any other rating gets richtlijn 7's question
(``gd.open_disagreement_minus3``), which also says what richtlijnen 2-6 would
allow if the disagreement was not major. Otherwise a rating must satisfy every
guideline that applies (richtlijn 4 and 6 can apply at once: only -1 satisfies
both). Richtlijn 5 (two or more members negative: -3 or -2) and 6 (positive and
negative indicators: -1, 0 or +1) cannot both be met; the ratings closest to
both ranges, -2 and -1, are admissible and the warning cites both
(``FamilyRule.resolution``).

Item rules use the instrument's flags: ``once_per_session`` items ticked in more
than one window (``item.veiligheid2_once``) and ``end_of_session`` items ticked
before the last window (``item.therapist_gd9_end``). ``consensus.between_observers``
flags a consensus rating outside the two observers' ratings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
from validate.wording import QUOTES, cite, cite_example, dimension_label, signed, slot_label

#: "Several different" behaviours (meerdere verschillende): more than one item.
MIN_DIFFERENT_ITEMS = 2
#: "Gedurende een redelijk deel van de sessie" (the -2 example): indicators in at
#: least a quarter of the session's 5-minute windows.
FAIR_WINDOW_SHARE = 0.25
#: "Als dit gedrag zich de hele sessie voordoet" (the -3 example), read as
#: indicators in at least half of the session's 5-minute windows.
CLEAR_WINDOW_SHARE = 0.5
#: The items the manual itself names as enough for +2 ("Als de cliënt bijvoorbeeld
#: oprecht huilt, zal de beoordeling waarschijnlijk +2 zijn"): client Veiligheid 3,
#: "Cliënt toont kwetsbaarheid (bijv.: bespreekt pijnlijke gevoelens, huilt)".
PLUS2_EXAMPLE_ITEMS: frozenset[tuple[str, str, int]] = frozenset({("client", "veiligheid", 3)})
#: The rating scale and the admissible ratings of each guideline (manual's wording).
SCALE: tuple[int, ...] = (-3, -2, -1, 0, 1, 2, 3)
BELOW_ZERO = frozenset({-3, -2, -1})
ABOVE_ZERO = frozenset({1, 2, 3})
WITHIN_ONE = frozenset({-1, 0, 1})
#: Richtlijn 7's rating for major disagreement.
MAJOR_DISAGREEMENT_RATING = -3
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
    def plus2_example(self) -> bool:
        """A ticked item the manual names as an example of +2 (the client who cries)."""
        return any((t.item.version, t.item.dimension, t.item.number) in PLUS2_EXAMPLE_ITEMS
                   for t in self.ticks if t.item.positive)

    @property
    def form_has_nonverbal_negative(self) -> bool:
        """Whether this dimension's form offers non-verbal negative items (the worker's forms do not)."""
        return any(i.nonverbal and not i.positive for i in self.items)

    @property
    def verbal_negative(self) -> bool:
        """Whether a verbal (not non-verbal) negative indicator was ticked."""
        return bool(self.negative - self._nonverbal(self.negative))

    @property
    def negative_variety(self) -> bool:
        """Several different negative items, verbal and (where the form has them) non-verbal."""
        nonverbal = self._nonverbal(self.negative)
        return (len(self.negative) >= MIN_DIFFERENT_ITEMS and bool(self.negative - nonverbal)
                and (bool(nonverbal) or not self.form_has_nonverbal_negative))


def _items_text(numbers: Iterable[int]) -> str:
    ordered = sorted(numbers)
    return ("item " if len(ordered) == 1 else "items ") + ", ".join(str(n) for n in ordered)


def _share(pattern: Pattern, positive: bool, windows: int, share: float) -> bool:
    """Whether indicators of this polarity were ticked in at least ``share`` of the windows."""
    return len(pattern.windows(positive)) >= share * windows


def _frequency(pattern: Pattern, positive: bool, windows: int) -> str:
    return f"in {len(pattern.windows(positive))} van de {windows} blokken van {WINDOW_MINUTES} minuten"


def _negative_rule(pattern: Pattern, rating: int, windows: int) -> tuple[str, str] | None:
    found = f"alleen negatieve indicatoren zijn aangevinkt ({_items_text(pattern.negative)})"
    often = f"{found}, {_frequency(pattern, False, windows)}"
    fair = _share(pattern, False, windows, FAIR_WINDOW_SHARE)
    whole = _share(pattern, False, windows, CLEAR_WINDOW_SHARE)
    if rating not in BELOW_ZERO:
        return "guideline.only_negative_below_zero", found
    if rating == -3 and not whole:
        return "guideline.minus3_clearly_negative", often
    if rating == -2 and not (pattern.negative_variety or fair):
        return ("guideline.minus2_variety",
                f"{often}; dat zijn niet meerdere verschillende verbale én non-verbale negatieve gedragingen, "
                "en ook niet gedurende een redelijk deel van de sessie")
    # Non-verbal behaviour "kan gedurende de hele sessie voorkomen" and -1 fits "enkel non-verbale":
    # frequency alone questions -1 only when a verbal negative indicator recurs.
    through_session = whole and pattern.verbal_negative
    if rating == -1 and (pattern.negative_variety or through_session):
        if pattern.negative_variety:
            kinds = ("verbale én non-verbale " if pattern.form_has_nonverbal_negative
                     else "verbale (dit formulier kent geen non-verbale) ")
            why = f"dat zijn meerdere verschillende {kinds}negatieve gedragingen, wat bij -2 past"
        else:
            why = "dat is niet weinig of minimaal: het gedrag komt vrijwel de hele sessie voor"
        return "guideline.minus1_few", f"{often}; {why}"
    return None


def _positive_rule(pattern: Pattern, rating: int, windows: int) -> tuple[str, str] | None:
    found = f"alleen positieve indicatoren zijn aangevinkt ({_items_text(pattern.positive)})"
    often = f"{found}, {_frequency(pattern, True, windows)}"
    if rating not in ABOVE_ZERO:
        return "guideline.only_positive_above_zero", found
    if pattern.only_nonverbal_positive:
        return ("guideline.only_nonverbal_plus1", f"{found}, alle non-verbaal") if rating != 1 else None
    fair = _share(pattern, True, windows, FAIR_WINDOW_SHARE)
    if rating >= 2 and not (pattern.positive_variety or fair or pattern.plus2_example):
        return ("guideline.plus2_variety",
                f"{often}; er is geen variatie in het soort positieve gedragingen en het gedrag komt niet "
                "gedurende een redelijk deel van de sessie voor")
    if rating == 3 and not _share(pattern, True, windows, CLEAR_WINDOW_SHARE):
        return "guideline.plus3_clearly_strong", often
    return None


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
        return _negative_rule(pattern, rating, windows)
    return _positive_rule(pattern, rating, windows)


def has_individual_guidelines(version: str, dimension: str) -> bool:
    """Whether the manual gives individual guidelines for this dimension (not the worker's GD)."""
    return dimension != FAMILY_DIMENSION


def _rating_value(data: CaseData, participant: str, slot: str, dimension: str) -> int | None:
    read = data.rating(participant, slot, dimension)
    return read.value if read is not None else None


def _where(data: CaseData, participant: str, slot: str | None, dimension: str) -> str:
    return f"Casus {data.case}, {slot_label(slot)}, {data.row_label(participant)}, {dimension_label(dimension)}"


#: The manual's examples cited beside a guideline's words in its warning.
RULE_EXAMPLES: dict[str, tuple[str, ...]] = {
    "guideline.minus3_clearly_negative": ("example.refuses_whole_session",),
    "guideline.minus2_variety": ("example.refuses_fair_part",),
    "guideline.minus1_few": ("example.refuses_once",),
    "guideline.plus2_variety": ("example.cries_plus2",),
}


def guideline_findings(data: CaseData) -> list[Finding]:
    """Guideline warnings for every individual rating of every participant in every slot."""
    out: list[Finding] = []
    for who in data.participants():
        version = version_of(who)
        for dimension in rated_dimensions(who):
            if not has_individual_guidelines(version, dimension):
                continue
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
                quotes = " ".join((cite(rule), *(cite_example(e) for e in RULE_EXAMPLES.get(rule, ()))))
                out.append(Finding(
                    data.case, who.code, slot, dimension, rule, "warning",
                    f"{_where(data, who.code, slot, dimension)}: score {signed(rating)}, terwijl {found}. "
                    f"{quotes} {ACCEPT_HINT}",
                    detail=f"{dimension}={signed(rating)}",
                    box_ids=(*(t.box_id for t in pattern.ticks), *data.rating_box_ids(who.code, slot, dimension))))
    return out


@dataclass(frozen=True)
class FamilyRule:
    """The family guideline(s) that apply: the rule id reported, every rule cited, admissible ratings.

    ``resolution`` is set when two guidelines apply and cannot both be met: it
    says in Dutch which ratings are then admissible and why.
    """

    rule: str
    cited: tuple[str, ...]
    admissible: frozenset[int]
    resolution: str = ""


#: Family guidelines 2-6 with the ratings each allows.
FAMILY_RANGES: dict[str, frozenset[int]] = {
    "gd.no_ticks_zero": frozenset({0}),
    "gd.all_positive_at_least_plus1": ABOVE_ZERO,
    "gd.one_member_negative": frozenset({-2, -1}),
    "gd.several_members_negative": frozenset({-3, -2}),
    "gd.mixed": WITHIN_ONE,
}


def _distance(rating: int, allowed: frozenset[int]) -> int:
    return min(abs(rating - a) for a in allowed)


def closest_to_all(ranges: Sequence[frozenset[int]]) -> frozenset[int]:
    """Ratings whose largest distance to any of the ranges is smallest: their intersection when they overlap."""
    worst = {r: max(_distance(r, allowed) for allowed in ranges) for r in SCALE}
    best = min(worst.values())
    return frozenset(r for r, d in worst.items() if d == best)


def _listed(values: Iterable[int]) -> str:
    shown = [signed(v) for v in sorted(values)]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " of " + shown[-1]


def family_admissible(members: dict[str, Pattern]) -> FamilyRule | None:
    """The family guidelines 2-6 that apply to the members' ticks, or None when the manual is silent.

    Richtlijn 7 is handled by ``family_findings`` before this. Where two
    guidelines apply the rating must satisfy both (4 and 6: -1); where they
    cannot both be met (5 and 6), the ratings closest to both are admissible.
    """
    with_pos = [code for code, p in members.items() if p.positive]
    with_neg = [code for code, p in members.items() if p.negative]
    applies: list[str] = []
    if not with_pos and not with_neg:
        applies.append("gd.no_ticks_zero")
    if not with_neg and with_pos and len(with_pos) == len(members):
        applies.append("gd.all_positive_at_least_plus1")
    if len(with_neg) == 1 and not [c for c in with_pos if c not in with_neg]:
        applies.append("gd.one_member_negative")
    if len(with_neg) > 1:
        applies.append("gd.several_members_negative")
    if with_pos and with_neg:
        applies.append("gd.mixed")
    if not applies:
        return None
    ranges = [FAMILY_RANGES[rule] for rule in applies]
    admissible = closest_to_all(ranges)
    resolution = ""
    if len(applies) > 1:
        numbers = " en ".join(_rule_number(rule) for rule in applies)
        if any(not (admissible <= allowed) for allowed in ranges):
            resolution = (f"Richtlijnen {numbers} zijn hier allebei van toepassing maar sluiten elkaar uit; "
                          f"de scores die het dichtst bij beide liggen zijn {_listed(admissible)}.")
        else:
            resolution = (f"Richtlijnen {numbers} zijn hier allebei van toepassing; alleen {_listed(admissible)} "
                          "voldoet aan beide.")
    reported = "gd.mixed" if "gd.mixed" in applies else applies[0]
    return FamilyRule(reported, tuple(applies), admissible, resolution)


def _rule_number(rule: str) -> str:
    """The guideline's number in the manual (from its quoted location)."""
    return QUOTES[rule][0].rsplit(" ", 1)[-1]


def open_disagreement(members: dict[str, Pattern]) -> list[Tick]:
    """Ticks of the family item on open disagreement about the help (richtlijn 7), any member."""
    return [t for p in members.values() for t in p.ticks if t.item.open_disagreement]


def family_rule_broken(members: dict[str, Pattern], rating: int) -> str | None:
    """The family guideline a Gezamenlijke doelperceptie rating breaks, or None (richtlijn 7 first)."""
    if open_disagreement(members):
        return None if rating == MAJOR_DISAGREEMENT_RATING else "gd.open_disagreement_minus3"
    applies = family_admissible(members)
    return applies.rule if applies is not None and rating not in applies.admissible else None


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
        broken = family_rule_broken(members, rating)
        if broken is None:
            continue
        open_ticks = open_disagreement(members)
        if broken == "gd.open_disagreement_minus3":
            # Richtlijn 7 first: -3 is what it asks for; any other rating gets its question only.
            number = open_ticks[0].item.number
            otherwise = ""
            if applies is not None and rating not in applies.admissible:
                otherwise = (f" Was de onenigheid niet groot, dan past de score ook niet bij "
                             f"{'richtlijn' if len(applies.cited) == 1 else 'richtlijnen'} "
                             f"{' en '.join(_rule_number(r) for r in applies.cited)} "
                             f"(toegestaan: {_listed(applies.admissible)}).")
            out.append(Finding(
                data.case, FAMILY, slot, FAMILY_DIMENSION, "gd.open_disagreement_minus3", "warning",
                f"{where}: item {number} (onenigheid over de waarde of doelen van de hulpverlening) is "
                f"aangevinkt en de score is {signed(rating)}. Was de onenigheid groot? Dan is de score "
                f"{signed(MAJOR_DISAGREEMENT_RATING)}.{otherwise} {cite('gd.open_disagreement_minus3')} {ACCEPT_HINT}",
                detail=f"{FAMILY_DIMENSION}:i{number:02d}={signed(rating)}",
                box_ids=(*(t.box_id for t in open_ticks), *rating_ids)))
        elif applies is not None:
            quotes = " ".join(cite(rule) for rule in applies.cited)
            resolution = f" {applies.resolution}" if applies.resolution else ""
            out.append(Finding(
                data.case, FAMILY, slot, FAMILY_DIMENSION, applies.rule, "warning",
                f"{where}: score {signed(rating)}, terwijl voor de gezinsleden is aangevinkt: {summary}."
                f"{resolution} {quotes} {ACCEPT_HINT}",
                detail=f"{FAMILY_DIMENSION}={signed(rating)}", box_ids=(*tick_ids, *rating_ids)))
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


