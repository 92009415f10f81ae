"""The research dataset across cases (`softa export --dataset DIR`).

Files (all UTF-8 CSV, comma separated, header row):

- ``ticks.csv``: ``case, participant, slot, dimension, item, window, value``
  (value 1/0; empty = missing, the one missing code of every file);
- ``ratings.csv``: ``case, participant, slot, dimension, value``; slot is
  ``1``, ``2``, ``consensus`` or ``zelf`` (the worker's self-assessment, which
  also has ``spreektijd_balans`` 0-10); participant ``gezin`` holds the
  family-level Gezamenlijke doelperceptie, ``sessie`` the taalgebruik rating;
- ``speaking_time.csv``: ``case, participant, slot, bin, value`` (30-second bins);
- ``wide_hulpverlener.csv`` / ``wide_client.csv`` / ``wide_sessie.csv``: one
  row per case x participant x slot (sessie: case x slot), SPSS-valid column
  names, and the same data as ``.sav`` files with labels and print formats
  (missing: empty in the CSV, system-missing in the .sav);
- ``audit.csv``: every value a person changed; ``unresolved.csv``: what was
  written as missing (only with --allow-unresolved); ``codebook.csv``.
"""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from export.audit import write_audit
from export.spss import WideTable, write_sav
from export.values import SELF, CaseValues, Problem, case_values, find_problems, refuse, run_validation
from export.wide import wide_tables
from softa.db import case_ids
from softa.errors import UnresolvedDataError
from softa.i18n import _
from softa.records import load_case_record
from validate.model import CaseValidation

TICKS_COLUMNS = ("case", "participant", "slot", "dimension", "item", "window", "value")
RATINGS_COLUMNS = ("case", "participant", "slot", "dimension", "value")
SPEAKING_COLUMNS = ("case", "participant", "slot", "bin", "value")
UNRESOLVED_COLUMNS = ("case", "kind", "message")
SLOT_ORDER = {"1": 0, "2": 1, "consensus": 2, SELF: 3}
#: The one missing code of the dataset, as the codebook states it.
MISSING_TEXT = ("Ontbrekend is in elk bestand leeg (in .sav: system-missing), zowel een waarde die niet was "
                "opgelost (alleen bij --allow-unresolved; zie unresolved.csv) als een kolom die niet van toepassing "
                "is (kortere sessie, zelfbeoordelingsrij zonder vinkjes). Er is geen code als -9.")


@dataclass(frozen=True)
class DatasetResult:
    files: tuple[Path, ...]
    notes: tuple[str, ...]


def _write_csv(path: Path, columns: Iterable[str], rows: Iterable[Iterable[object]]) -> Path:
    """Write a CSV with LF line ends (the same bytes on every platform); None becomes an empty cell."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
    tmp.replace(path)
    return path


def tick_rows(values: CaseValues) -> list[tuple[object, ...]]:
    """Long tick rows of one case, in a stable order."""
    rows = []
    for (participant, slot, dim), grid in values.ticks.items():
        for (item, window), value in grid.items():
            rows.append((values.case, participant, slot, dim, item, window, value))
    return sorted(rows, key=lambda r: (str(r[1]), SLOT_ORDER.get(str(r[2]), 9), str(r[3]), r[4], r[5]))


def rating_rows(values: CaseValues) -> list[tuple[object, ...]]:
    rows = [(values.case, p, s, d, v) for (p, s, d), v in values.ratings.items()]
    return sorted(rows, key=lambda r: (str(r[1]), SLOT_ORDER.get(str(r[2]), 9), str(r[3])))


def speaking_rows(values: CaseValues) -> list[tuple[object, ...]]:
    rows = [(values.case, p, s, n, v) for (p, s), bins in values.timeline.items()
            for n, v in enumerate(bins, start=1)]
    return sorted(rows, key=lambda r: (str(r[1]), SLOT_ORDER.get(str(r[2]), 9), r[3]))


def _gate(conn: sqlite3.Connection, cases: list[str], allow_unresolved: bool,
          validations: dict[str, CaseValidation] | None = None) -> dict[str, list[Problem]]:
    """Problems per case; refuse (naming every case) unless allowed. Fills ``validations`` (validated once)."""
    problems = {}
    for case in cases:
        validation = run_validation(conn, case)
        if validations is not None:
            validations[case] = validation
        found = find_problems(load_case_record(conn, case), validation)
        if found:
            problems[case] = found
    if problems and not allow_unresolved:
        first = next(iter(problems))
        error = refuse(first, problems[first])
        others = [c for c in problems if c != first]
        message = error.message + ("\n" + _("(also unresolved: cases {cases})").format(cases=", ".join(others)) if others else "")
        raise UnresolvedDataError(message, hint=error.hint)
    return problems


def write_dataset(conn: sqlite3.Connection, out_dir: Path, *, cases: Iterable[str] | None = None,
                  allow_unresolved: bool = False) -> DatasetResult:
    """Write the research dataset of the given cases (default: every case in the database)."""
    selected = sorted(cases) if cases else case_ids(conn)
    if not selected:
        raise UnresolvedDataError(_("the database has no cases"), hint=_("run `softa forms` and `softa scan` first"))
    validations: dict[str, CaseValidation] = {}
    _gate(conn, selected, allow_unresolved, validations)
    all_values = [case_values(conn, case, allow_unresolved=True, validation=validations[case]) for case in selected]
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [
        _write_csv(out_dir / "ticks.csv", TICKS_COLUMNS, (r for v in all_values for r in tick_rows(v))),
        _write_csv(out_dir / "ratings.csv", RATINGS_COLUMNS, (r for v in all_values for r in rating_rows(v))),
        _write_csv(out_dir / "speaking_time.csv", SPEAKING_COLUMNS, (r for v in all_values for r in speaking_rows(v))),
    ]
    tables: list[WideTable] = wide_tables(all_values)
    for table in tables:
        csv_path = out_dir / f"{table.name}.csv"
        table.frame.to_csv(csv_path, index=False, lineterminator="\n", encoding="utf-8", float_format="%g")
        files.append(csv_path)
        files.append(write_sav(table, out_dir / f"{table.name}.sav"))
    files.append(write_audit(conn, out_dir / "audit.csv", selected))
    notes = [p.message if v.case in p.message else f"casus {v.case}: {p.message}"
             for v in all_values for p in v.problems]
    unresolved = out_dir / "unresolved.csv"
    if notes:
        files.append(_write_csv(unresolved, UNRESOLVED_COLUMNS,
                                ((v.case, p.kind, p.message) for v in all_values for p in v.problems)))
    elif unresolved.exists():
        unresolved.unlink()
    files.append(_write_codebook(out_dir / "codebook.csv", tables))
    return DatasetResult(files=tuple(files), notes=tuple(notes))


def _write_codebook(path: Path, tables: list[WideTable]) -> Path:
    rows: list[tuple[str, str, str]] = [
        ("ticks.csv", "case", "Casusnummer."),
        ("ticks.csv", "participant", "Deelnemercode: H<n> hulpverlener, C<n> cliënt."),
        ("ticks.csv", "slot", "1 = observator 1, 2 = observator 2, consensus = gezamenlijke codering."),
        ("ticks.csv", "dimension", "SOFTA-dimensie (betrokkenheid, emotionele_band, veiligheid, "
                                   "gezamenlijke_doelperceptie), namen als in de layout."),
        ("ticks.csv", "item", "Nummer van de gedragsbeschrijving op het codeerformulier (Bijlage 2)."),
        ("ticks.csv", "window", "Tijdvak van 5 minuten, 1 = minuut 0-5."),
        ("ticks.csv", "value", "1 = gedrag kwam voor in het tijdvak, 0 = niet; leeg = ontbrekend (niet opgelost)."),
        ("ratings.csv", "case", "Casusnummer."),
        ("ratings.csv", "participant", "H<n>/C<n>; gezin = het gezin als geheel (Gezamenlijke doelperceptie); "
                                       "sessie = de sessie (Overeenstemming in taalgebruik)."),
        ("ratings.csv", "slot", f"1, 2, consensus, of {SELF} = zelfbeoordeling van de hulpverlener."),
        ("ratings.csv", "dimension", f"SOFTA-dimensie, taalgebruik, of spreektijd_balans (alleen bij {SELF})."),
        ("ratings.csv", "value", "-3 tot +3 (spreektijd_balans: 0 = geen balans tot 10 = goede balans); "
                                 "leeg = ontbrekend."),
        ("speaking_time.csv", "case", "Casusnummer."),
        ("speaking_time.csv", "participant", "Deelnemercode."),
        ("speaking_time.csv", "slot", "1, 2 of consensus."),
        ("speaking_time.csv", "bin", "Tijdvak van 30 seconden, 1 = 0:00-0:30."),
        ("speaking_time.csv", "value", "1 = aan het woord in dit tijdvak, 0 = niet; leeg = ontbrekend."),
        ("audit.csv", "*", "Elke wijziging door een persoon: case, when (UTC), who, action, target, from, to, note. "
                           "from/to: de waarde vóór en na (1 = aangevinkt, 0 = niet; bij een beoordeling de score), "
                           "met tussen haakjes de status (auto = gelezen door de scanner, flagged = onzeker, "
                           "reviewed = beslist door een persoon). Een tekst die met =, +, -, @, tab of "
                           "regeleinde begint, krijgt vooraan een ' zodat een spreadsheet hem als tekst toont en "
                           "nooit als formule uitvoert; haal die ' weg om de getypte tekst precies terug te krijgen."),
        ("unresolved.csv", "*", "Alleen bij --allow-unresolved: wat niet was opgelost en als ontbrekend is geschreven."),
        ("*", "ontbrekend", MISSING_TEXT),
        ("*.sav", "opmaak", "Vinkjes F1.0 (0/1), beoordelingen F2.0 (-3 tot +3), balans F2.0 (0 tot 10), aantallen "
                            "F2.0, seconden F5.0, percentages F5.1."),
        ("wide_hulpverlener", "taal_zelf_rating", "De eigen beoordeling van de hulpverlener; taal_rating in "
                                                  "wide_sessie is die van de observatoren."),
    ]
    for table in tables:
        for column in table.frame.columns:
            rows.append((f"{table.name}.csv/.sav", str(column), table.labels.get(str(column), "")))
    return _write_csv(path, ("file", "column", "meaning"), rows)
