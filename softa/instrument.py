"""The SOFTA-NL instrument as typed data, loaded once from ``instrument.toml``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any, Literal

Version = Literal["client", "therapist"]
Polarity = Literal["+", "-"]

#: Dimension keys of the four SOFTA alliance dimensions, in form order.
SOFTA_DIMENSIONS: tuple[str, ...] = (
    "betrokkenheid",
    "emotionele_band",
    "veiligheid",
    "gezamenlijke_doelperceptie",
)
TAALGEBRUIK = "taalgebruik"
SPREEKTIJD = "spreektijd"
SPREEKTIJD_BALANS = "spreektijd_balans"
#: Participant name used for the family-level Gezamenlijke doelperceptie rating.
FAMILY = "gezin"
#: Participant name used for session-level ratings (taalgebruik) and regions.
SESSION = "sessie"


class Slot(StrEnum):
    """Who filled a form: observer 1, observer 2 or the pair's consensus."""

    OBSERVER_1 = "1"
    OBSERVER_2 = "2"
    CONSENSUS = "consensus"

    @property
    def label(self) -> str:
        return {"1": "Observator 1", "2": "Observator 2", "consensus": "Consensus"}[self.value]


SLOTS: tuple[Slot, ...] = (Slot.OBSERVER_1, Slot.OBSERVER_2, Slot.CONSENSUS)


@dataclass(frozen=True)
class Item:
    """One behaviour description (indicator) of a dimension."""

    version: Version
    dimension: str
    number: int
    text: str
    polarity: Polarity
    nonverbal: bool = False
    corresponding: bool = False
    once_per_session: bool = False
    end_of_session: bool = False
    open_disagreement: bool = False

    @property
    def positive(self) -> bool:
        return self.polarity == "+"


@dataclass(frozen=True)
class Dimension:
    """A SOFTA alliance dimension with its printed titles and rating questions per version."""

    key: str
    name: str
    client_title: str
    client_rating: str
    therapist_title: str
    therapist_rating: str

    def title(self, version: Version) -> str:
        return self.client_title if version == "client" else self.therapist_title

    def rating_question(self, version: Version) -> str:
        return self.client_rating if version == "client" else self.therapist_rating


@dataclass(frozen=True)
class Instrument:
    """Both versions of SOFTA-NL: dimensions, items, the -3..+3 scale and the extra dimensions."""

    name: str
    scale_values: tuple[int, ...]
    scale_labels: tuple[str, ...]
    dimensions: tuple[Dimension, ...]
    items: tuple[Item, ...]
    extra: dict[str, dict[str, Any]]

    def dimension(self, key: str) -> Dimension:
        for dim in self.dimensions:
            if dim.key == key:
                return dim
        raise KeyError(key)

    def items_of(self, version: Version, dimension: str) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.version == version and i.dimension == dimension)

    def item(self, version: Version, dimension: str, number: int) -> Item:
        for i in self.items_of(version, dimension):
            if i.number == number:
                return i
        raise KeyError((version, dimension, number))

    def scale_label(self, value: int) -> str:
        return self.scale_labels[self.scale_values.index(value)]

    @property
    def balance_values(self) -> tuple[int, ...]:
        low, high = self.extra["self_assessment"]["balance_values"]
        return tuple(range(int(low), int(high) + 1))


def _load(data: dict[str, Any]) -> Instrument:
    dims = tuple(Dimension(**d) for d in data["dimensions"])
    items: list[Item] = []
    for version in ("client", "therapist"):
        for dim in dims:
            for number, raw in enumerate(data[version][dim.key], start=1):
                items.append(Item(version=version, dimension=dim.key, number=number, **raw))
    extra = {k: data[k] for k in ("taalgebruik", "spreektijd", "opvallende_momenten", "self_assessment")}
    return Instrument(
        name=data["name"],
        scale_values=tuple(data["scale"]["values"]),
        scale_labels=tuple(data["scale"]["labels"]),
        dimensions=dims,
        items=tuple(items),
        extra=extra,
    )


@cache
def load_instrument() -> Instrument:
    """Return the SOFTA-NL instrument (cached; the TOML file is read once)."""
    text = resources.files("softa").joinpath("instrument.toml").read_text(encoding="utf-8")
    return _load(tomllib.loads(text))
