"""Wide tables for the dataset: one row per case x participant x slot, SPSS-valid column names.

Values: 1/0 ticks, -3..+3 ratings. Missing is coded one way in every file:
empty (NaN; system-missing in the .sav), both where a value was unresolved
(exported with --allow-unresolved; ``unresolved.csv`` says which) and where a
column does not apply (a shorter session, the self-assessment row has no ticks).
A user-missing code such as -9 would not fit the one-digit tick format (F1.0).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from export.timefmt import share_percent, speaking_seconds
from export.values import SELF, CaseValues
from softa.instrument import FAMILY, SESSION, SOFTA_DIMENSIONS, SPREEKTIJD_BALANS, TAALGEBRUIK, Version, load_instrument
from softa.manifest import BIN_SECONDS

#: Missing values: empty in the CSV, system-missing in the .sav (one code for every file).
MISSING = float("nan")
#: Short, SPSS-safe prefixes of the dimensions.
DIM_CODES = {"betrokkenheid": "betr", "emotionele_band": "band", "veiligheid": "veil",
             "gezamenlijke_doelperceptie": "gdp", TAALGEBRUIK: "taal", SPREEKTIJD_BALANS: "balans"}
SLOTS = ("1", "2", "consensus")
#: The worker's own taalgebruik and balance ratings: named apart from the observers' ``taal_rating``
#: (wide_sessie), one name per meaning.
SELF_COLUMNS = {TAALGEBRUIK: "taal_zelf_rating", SPREEKTIJD_BALANS: "balans_zelf_rating"}
ID_COLUMNS = ("case", "participant", "role", "slot")


@dataclass(frozen=True)
class WideTable:
    """A wide table with everything SPSS needs to label it."""

    name: str
    frame: pd.DataFrame
    labels: dict[str, str]
    #: column -> "tick" | "rating" | "balance" | "count" | "seconds" | "percent" | "id"
    kinds: dict[str, str] = field(default_factory=dict)


def _v(value: int | None) -> float:
    return MISSING if value is None else float(value)


class _Columns:
    def __init__(self) -> None:
        self.labels: dict[str, str] = {}
        self.kinds: dict[str, str] = {}

    def add(self, name: str, kind: str, label: str) -> str:
        if name not in self.labels:
            self.labels[name] = label
            self.kinds[name] = kind
        return name


def _participant_table(name: str, version: Version, all_values: Iterable[CaseValues]) -> WideTable:
    inst = load_instrument()
    all_values = list(all_values)
    cols = _Columns()
    for column in ID_COLUMNS:
        cols.add(column, "id", {"case": "Casusnummer", "participant": "Deelnemercode", "role": "Rol",
                                "slot": f"Observator: 1, 2, consensus of {SELF} (zelfbeoordeling)"}[column])
    windows = max((v.manifest.windows for v in all_values), default=0)
    bins = max((v.manifest.bins for v in all_values), default=0)
    for dim in SOFTA_DIMENSIONS:
        code = DIM_CODES[dim]
        dim_name = inst.dimension(dim).name
        for item in inst.items_of(version, dim):
            for w in range(1, windows + 1):
                cols.add(f"{code}_i{item.number:02d}_w{w:02d}", "tick",
                         f"{dim_name} item {item.number}, tijdvak {w}: {item.text}"[:250])
            cols.add(f"{code}_i{item.number:02d}_tot", "count", f"{dim_name} item {item.number}: aantal tijdvakken")
        cols.add(f"{code}_rating", "rating", f"{dim_name}: beoordeling -3 tot +3")
    if version == "therapist":
        cols.add(SELF_COLUMNS[TAALGEBRUIK], "rating", "Overeenstemming in taalgebruik, zelfbeoordeling van de "
                 "hulpverlener: -3 tot +3")
        cols.add(SELF_COLUMNS[SPREEKTIJD_BALANS], "balance", "Balans in spreektijd, zelfbeoordeling van de "
                 "hulpverlener: 0 tot 10")
    for b in range(1, bins + 1):
        cols.add(f"spreek_b{b:03d}", "tick", f"Spreektijd tijdvak {b} (30 s): aan het woord")
    cols.add("spreek_sec", "seconds", "Totale spreektijd in seconden (afgeleid)")
    cols.add("spreek_pct", "percent", "Spreektijd als percentage van de sessie")
    rows: list[dict[str, object]] = []
    for values in all_values:
        who_list = values.manifest.workers if version == "therapist" else values.manifest.clients
        for who in who_list:
            slots = (*SLOTS, SELF) if version == "therapist" else SLOTS
            for slot in slots:
                row: dict[str, object] = {"case": values.case, "participant": who.code, "role": who.role, "slot": slot}
                for dim in SOFTA_DIMENSIONS:
                    code = DIM_CODES[dim]
                    grid = values.ticks.get((who.code, slot, dim))
                    if grid is not None:
                        for item in inst.items_of(version, dim):
                            cells = [grid.get((item.number, w)) for w in range(1, values.manifest.windows + 1)]
                            for w, cell in enumerate(cells, start=1):
                                row[f"{code}_i{item.number:02d}_w{w:02d}"] = _v(cell)
                            row[f"{code}_i{item.number:02d}_tot"] = (
                                MISSING if any(c is None for c in cells) else float(sum(c or 0 for c in cells)))
                    if (who.code, slot, dim) in values.ratings:
                        row[f"{code}_rating"] = _v(values.ratings[(who.code, slot, dim)])
                for dim in (TAALGEBRUIK, SPREEKTIJD_BALANS):
                    if slot == SELF and (who.code, slot, dim) in values.ratings:
                        row[SELF_COLUMNS[dim]] = _v(values.ratings[(who.code, slot, dim)])
                timeline = values.timeline.get((who.code, slot))
                if timeline is not None:
                    for b, cell in enumerate(timeline, start=1):
                        row[f"spreek_b{b:03d}"] = _v(cell)
                    seconds = speaking_seconds(timeline, BIN_SECONDS)
                    pct = share_percent(seconds, values.manifest.minutes * 60)
                    row["spreek_sec"] = _v(seconds)
                    row["spreek_pct"] = MISSING if pct is None else pct
                rows.append(row)
    used = [c for c in cols.labels if c in ID_COLUMNS or any(c in r for r in rows)]
    frame = pd.DataFrame(rows, columns=used)
    return WideTable(name=name, frame=frame, labels={c: cols.labels[c] for c in used},
                     kinds={c: cols.kinds[c] for c in used})


def _session_table(all_values: Iterable[CaseValues]) -> WideTable:
    labels = {"case": "Casusnummer", "slot": "Observator: 1, 2 of consensus",
              "gdp_gezin_rating": "Gezamenlijke doelperceptie van het gezin als geheel: -3 tot +3",
              "taal_rating": "Overeenstemming in taalgebruik, beoordeling van de observatoren: -3 tot +3"}
    kinds = {"case": "id", "slot": "id", "gdp_gezin_rating": "rating", "taal_rating": "rating"}
    rows = []
    for values in all_values:
        for slot in SLOTS:
            rows.append({"case": values.case, "slot": slot,
                         "gdp_gezin_rating": _v(values.ratings.get((FAMILY, slot, "gezamenlijke_doelperceptie"))),
                         "taal_rating": _v(values.ratings.get((SESSION, slot, TAALGEBRUIK)))})
    return WideTable(name="wide_sessie", frame=pd.DataFrame(rows, columns=list(labels)), labels=labels, kinds=kinds)


def wide_tables(all_values: list[CaseValues]) -> list[WideTable]:
    """The three wide tables: workers, family members and session-level ratings."""
    return [_participant_table("wide_hulpverlener", "therapist", all_values),
            _participant_table("wide_client", "client", all_values),
            _session_table(all_values)]
