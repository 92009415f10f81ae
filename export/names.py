"""File names of the manual's step 13: ``<YYYYMMDD>_SWAG_<casusnummer>_<form>_<studentnamen>.xlsx``."""

from __future__ import annotations

import re
import unicodedata

from softa.manifest import Manifest

#: The three files of step 13, keyed by the form they hold, in the manual's order.
STEP13_FORMS: dict[str, str] = {
    "hulpverlener": "SOFTA_hulpverlener",
    "client": "SOFTA_client",
    "gedragsdimensies": "gedragsdimensies",
}
PROJECT = "SWAG"
#: Anything that is not a letter or digit separates words (spaces, hyphens, apostrophes, dots).
_WORD_SPLIT = re.compile(r"[^\w]|_", re.UNICODE)


def _capitalise(word: str) -> str:
    return word[:1].upper() + word[1:]


def student_name(name: str) -> str:
    """One observer's name for a file name: words capitalised, separators removed, accents kept.

    "Anna de Vries" -> "AnnaDeVries"; "Élise van der Berg-Smit" -> "ÉliseVanDerBergSmit".
    """
    normalised = unicodedata.normalize("NFC", name)
    return "".join(_capitalise(w) for w in _WORD_SPLIT.split(normalised) if w)


def student_names(observers: tuple[str, ...]) -> str:
    """The observers' names joined by ``_``: "AnnaDeVries_BramJansen"."""
    return "_".join(student_name(o) for o in observers)


def step13_filename(manifest: Manifest, form: str) -> str:
    """The exact file name the manual asks for, for one of :data:`STEP13_FORMS`."""
    return (f"{manifest.date:%Y%m%d}_{PROJECT}_{manifest.case}_{STEP13_FORMS[form]}_"
            f"{student_names(manifest.observers)}.xlsx")


def step13_filenames(manifest: Manifest) -> dict[str, str]:
    """All three step-13 file names keyed by form."""
    return {form: step13_filename(manifest, form) for form in STEP13_FORMS}
