"""How the screen writes times, values and file names: local time, Dutch signs, folders that tell files apart."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask

from softa.instrument import SPREEKTIJD_BALANS

#: The reviewers' clock: timestamps are stored in UTC and shown in Dutch local time.
LOCAL_ZONE = ZoneInfo("Europe/Amsterdam")
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december")
#: Path parts shown of a source file: its folder and name tell two ``scan_001.pdf`` apart.
SOURCE_PARTS = 2


def local_time(stamp: str | None) -> str:
    """``2026-12-02T16:03:00+00:00`` -> ``2 december 2026, 17:03`` (Europe/Amsterdam); "" for None."""
    if not stamp:
        return ""
    try:
        moment = dt.datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return str(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(LOCAL_ZONE)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}, {local:%H:%M}"


def value_text(value: int | None, dimension: str | None = None) -> str:
    """A rating value as printed on the form: ``0``, ``+2``, ``-1``; balance values 0-10 without sign."""
    if value is None:
        return "geen waarde"
    if value == 0 or dimension == SPREEKTIJD_BALANS:
        return str(value)
    return f"{value:+d}"


def source_label(path: str | None) -> str:
    """A source file's folder and name (``stapel_2/scan_001.pdf``), enough to tell same-named files apart."""
    if not path:
        return ""
    parts = [p for p in str(path).replace("\\", "/").split("/") if p and p != "."]
    return "/".join(parts[-SOURCE_PARTS:])


def install(app: Flask) -> None:
    """Make the helpers available in templates as filters."""
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["value_text"] = value_text
    app.jinja_env.filters["source_label"] = source_label
