"""Dutch words for what the review screen shows: slots, dimensions, windows, doubts."""

from __future__ import annotations

from softa.instrument import (
    FAMILY,
    SESSION,
    SOFTA_DIMENSIONS,
    SPREEKTIJD,
    SPREEKTIJD_BALANS,
    TAALGEBRUIK,
    Slot,
    Version,
    load_instrument,
)
from softa.manifest import BIN_SECONDS, WINDOW_MINUTES, Manifest

REASONS = {
    "faint": "zwakke of lichte markering",
    "partial": "markering raakt het vakje maar gedeeltelijk",
    "outside": "markering valt (deels) buiten het vakje",
    "filled": "vakje helemaal ingekleurd: doorgehaald (telt als níet aangekruist)?",
    "cancelled": "vakje helemaal ingekleurd: doorgehaald (telt als níet aangekruist)?",
    "misregistered": "pagina niet goed uitgelijnd: het vakje kan verschoven zijn",
    "rating_none": "in deze rij is geen waarde aangekruist",
    "rating_multiple": "in deze rij is meer dan één waarde aangekruist",
    "ambiguous": "markering is niet duidelijk een kruisje of leeg",
    "smudge": "vlek of vuil in het vakje",
    "covered": "rand van het vakje niet zichtbaar (afgedekt, vlek of gescheurd): niet gelezen",
    "circled": "omcirkeld vakje of omcirkeld cijfer: welke waarde is bedoeld?",
    "partial_cancel": "vakje deels doorgekrast: doorgehaald of aangekruist?",
    "streak": "streep van het kopieerapparaat of de scanner door het vakje",
    "stain": "vlek, markeerstift of schaduw over het vakje, geen duidelijk kruisje",
}
DECISIONS = {"checked": "aangekruist", "empty": "niet aangekruist", "uncertain": "onzeker"}
PAGE_REASONS = {
    "no_qr": "geen QR-code gevonden",
    "unknown_case": "casus onbekend in de database (registreer de casus eerst met softa forms)",
    "blank": "lege pagina",
    "unreadable": "pagina onleesbaar",
    "damaged": "beschadigde pagina: het bestand is (deels) niet te lezen; scan deze pagina opnieuw",
    "bad_qr": "QR-code is geen SOFTA-code",
    "registration": "registratietekens niet gevonden",
    "unknown_page": "casus bekend, maar deze pagina staat niet in de opmaak van de casus",
    "printed_form": "het afgedrukte formulier-PDF zelf, geen scan van papier: leg apart en scan het papier",
    "bitonal": "zwart-witscan (1 bit): lichte potloodkruisjes kunnen weggevallen zijn; controleer het papier",
}
PAGE_STATUS = {"identified": "herkend", "assigned": "toegewezen", "set_aside": "apart gelegd",
               "duplicate": "dubbele scan (telt niet)", "unidentified": "onbekend"}
#: The note a set-aside page starts with, by the scanner's reason.
SET_ASIDE_NOTES = {"blank": "lege pagina", "printed_form": "afgedrukt formulier, geen scan"}
FORM_NAMES = {"hulpverlener": "Hulpverlener", "client": "Cliënt", "gedragsdimensies": "Gedragsdimensies",
              "zelfbeoordeling": "Zelfbeoordeling"}
EXTRA_DIMENSIONS = {TAALGEBRUIK: "Taalgebruik", SPREEKTIJD: "Spreektijd", SPREEKTIJD_BALANS: "Balans spreektijd",
                    "opvallende_momenten": "Opvallende momenten"}


def reason_text(reason: str | None) -> str:
    """Dutch explanation of a machine reason code (unknown codes are shown as they are)."""
    if not reason:
        return "geen reden opgegeven"
    parts = [REASONS.get(p.strip(), PAGE_REASONS.get(p.strip(), p.strip())) for p in reason.split(",")]
    return "; ".join(parts)


def slot_text(slot: str | None) -> str:
    """Observator 1 / Observator 2 / Consensus, or the worker's self-assessment."""
    if slot is None:
        return "Zelfbeoordeling hulpverlener"
    try:
        return Slot(slot).label
    except ValueError:
        return slot


def dimension_text(dimension: str | None) -> str:
    if not dimension:
        return ""
    if dimension in SOFTA_DIMENSIONS:
        return load_instrument().dimension(dimension).name
    return EXTRA_DIMENSIONS.get(dimension, dimension)


def participant_text(manifest: Manifest | None, participant: str | None) -> str:
    """Code and role, e.g. ``C2 · vader``; family- and session-level names in words."""
    if participant is None:
        return ""
    if participant == FAMILY:
        return "het gezin"
    if participant == SESSION:
        return "de sessie"
    if manifest is not None:
        try:
            return f"{participant} · {manifest.participant(participant).role}"
        except KeyError:
            pass
    return participant


def window_text(window: int | None) -> str:
    if window is None:
        return ""
    return f"venster {window}: minuut {(window - 1) * WINDOW_MINUTES}–{window * WINDOW_MINUTES}"


def bin_text(bin_no: int | None) -> str:
    if bin_no is None:
        return ""
    start = (bin_no - 1) * BIN_SECONDS
    end = bin_no * BIN_SECONDS
    return f"blok {bin_no}: {start // 60}:{start % 60:02d}–{end // 60}:{end % 60:02d}"


def item_text(participant: str, dimension: str, item: int | None) -> str:
    """The indicator's printed text (client or worker version by the participant code)."""
    if item is None or dimension not in SOFTA_DIMENSIONS:
        return ""
    version: Version = "therapist" if participant.startswith("H") else "client"
    try:
        found = load_instrument().item(version, dimension, item)
    except KeyError:
        return ""
    sign = "positief" if found.positive else "negatief"
    return f"{item}. {found.text} ({sign}{', non-verbaal' if found.nonverbal else ''})"


def value_text(value: int | None, dimension: str) -> str:
    """A rating value with its scale label, e.g. ``+2 (redelijk sterk)``."""
    if value is None:
        return "geen waarde"
    if dimension == SPREEKTIJD_BALANS:
        return str(value)
    inst = load_instrument()
    label = inst.scale_label(value) if value in inst.scale_values else ""
    return f"{value:+d} ({label})" if label else f"{value:+d}"
