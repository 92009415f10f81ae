"""Messages in the user's language: Dutch when the system speaks Dutch, English otherwise.

Messages are written in English in the code, wrapped in ``_()``, and translated through a
gettext catalogue (``softa/locale/<lang>/LC_MESSAGES/softa.po``) read with Babel, so no
compiled ``.mo`` file has to be built or installed. ``make messages`` re-extracts the
messages and updates the catalogue; a test fails when a message has no translation.

Placeholders are named (``{path}``), so a translation may put them in another order: call
``_("{path}: no such file").format(path=p)``, never format before translating.
"""

from __future__ import annotations

import functools
import gettext
import io
import os
from collections.abc import Mapping
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "softa"
LOCALE_DIR = Path(__file__).with_name("locale")
#: Languages with a catalogue; any other language gets the English of the code.
TRANSLATED = ("nl",)
#: Set to "nl" or "en" to choose the language regardless of the system's locale.
LANGUAGE_ENV = "SOFTA_LANG"
#: Where POSIX systems keep the user's language, in gettext's order of precedence.
LOCALE_ENVS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def user_language(environ: Mapping[str, str] | None = None) -> str:
    """The language to speak: $SOFTA_LANG, else the system locale's language, else English."""
    env = os.environ if environ is None else environ
    chosen = env.get(LANGUAGE_ENV, "").strip()
    if not chosen:
        chosen = next((env[name] for name in LOCALE_ENVS if env.get(name)), "")
    if not chosen and os.name == "nt":  # Windows keeps the language outside the environment
        import locale

        chosen = locale.getlocale()[0] or ""
    # "nl_NL.UTF-8", "nl_BE", "Dutch_Netherlands" and "nl:en" (LANGUAGE's list) all mean Dutch.
    first = chosen.split(":")[0].lower()
    return "nl" if first.startswith(("nl", "dutch")) else "en"


def catalogue_path(language: str) -> Path:
    """The .po file of one language."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The translations of one language (read once per process); English needs none."""
    if language not in TRANSLATED:
        return gettext.NullTranslations()
    with catalogue_path(language).open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def _(message: str) -> str:
    """``message`` in the user's language."""
    return translations(user_language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form of a message for ``count``, in the user's language."""
    return translations(user_language()).ngettext(singular, plural, count)
