"""SPSS .sav files of the wide tables, with labels, measurement levels and print formats.

pyreadstat stamps the file header with the time of writing; the stamp is
fixed afterwards so the same database gives the same bytes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyreadstat

from export.wide import WideTable
from softa.instrument import load_instrument

#: SPSS variable names: at most 64 bytes, start with a letter, letters/digits/_ only.
SPSS_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
SPSS_RESERVED = {"ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"}
#: Offsets of the creation date (9 bytes) and time (8 bytes) in the .sav header record.
HEADER_DATE_OFFSET = 92
FIXED_DATE = b"01 Jan 00"
FIXED_TIME = b"00:00:00"
MEASURES = {"id": "nominal", "tick": "nominal", "rating": "ordinal", "balance": "ordinal",
            "count": "scale", "seconds": "scale", "percent": "scale"}
#: Width of string variables in SPSS (case numbers and roles are short).
STRING_WIDTH = 40
#: SPSS print formats per kind of value: ticks 0/1 in one digit, ratings -3..+3 and the 0..10 balance in two,
#: counts of windows in two, seconds (a session is at most a few hours) in five, percentages with one decimal.
FORMATS = {"tick": "F1.0", "rating": "F2.0", "balance": "F2.0", "count": "F2.0", "seconds": "F5.0",
           "percent": "F5.1"}


def valid_spss_name(name: str) -> bool:
    """True when SPSS accepts ``name`` as a variable name."""
    return bool(SPSS_NAME.match(name)) and name.upper() not in SPSS_RESERVED and len(name.encode("utf-8")) <= 64


def _value_labels(kind: str) -> dict[float, str] | None:
    inst = load_instrument()
    if kind == "rating":
        return {float(v): f"{v:+d} {label}" if v else f"0 {label}"
                for v, label in zip(inst.scale_values, inst.scale_labels, strict=True)}
    if kind == "tick":
        return {0.0: "niet", 1.0: "wel"}
    if kind == "balance":
        low, high = inst.balance_values[0], inst.balance_values[-1]
        return {float(low): "geen balans", float(high): "goede balans"}
    return None


def write_sav(table: WideTable, path: Path) -> Path:
    """Write ``table`` as an SPSS .sav with variable/value labels, measures and formats; missing = system-missing."""
    bad = [c for c in table.frame.columns if not valid_spss_name(str(c))]
    if bad:
        raise ValueError(f"not valid SPSS variable names: {bad[:5]}")
    value_labels: dict[str, dict[float, str]] = {}
    measures: dict[str, str] = {}
    for column in table.frame.columns:
        kind = table.kinds.get(column, "id")
        measures[column] = MEASURES[kind]
        labels = _value_labels(kind)
        if labels:
            value_labels[column] = labels
    tmp = path.with_name(path.name + ".tmp")
    pyreadstat.write_sav(
        table.frame, str(tmp), column_labels=[table.labels.get(c, "") for c in table.frame.columns],
        variable_value_labels=value_labels, variable_measure=measures,
        variable_format={c: f"A{STRING_WIDTH}" if table.kinds.get(c, "id") == "id" else FORMATS[table.kinds[c]]
                         for c in table.frame.columns},
        file_label=f"SOFTA-NL {table.name}")
    data = bytearray(tmp.read_bytes())
    start = HEADER_DATE_OFFSET
    data[start:start + len(FIXED_DATE)] = FIXED_DATE
    data[start + len(FIXED_DATE):start + len(FIXED_DATE) + len(FIXED_TIME)] = FIXED_TIME
    tmp.write_bytes(bytes(data))
    tmp.replace(path)
    return path
