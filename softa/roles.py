"""What a participant's role may say: a word from a role vocabulary plus an age, never a name.

The manifest's `role` is printed on every form of the participant, right above "Schrijf geen
namen op dit formulier". A free text field invites "moeder (Fatima)"; so a role is checked
against a closed grammar: optional order words ("oudste", "tweede"), one role word (compounds
such as "stiefmoeder" and "pleegzoon" included), optionally "van <role word>" ("partner van
moeder"), optionally an age ("(14)", "14 jaar", "(8 mnd)"). Everything else is refused.
"""

from __future__ import annotations

import re

#: Role words for professionals in the session (the H codes).
WORKER_ROLES = (
    "hulpverlener", "gezinshulpverlener", "jeugdhulpverlener", "gezinscoach", "gezinsbegeleider",
    "ambulant hulpverlener", "jeugdzorgwerker", "maatschappelijk werker", "gezinsvoogd", "therapeut",
    "gezinstherapeut", "systeemtherapeut", "co-therapeut", "cotherapeut", "begeleider", "stagiair",
    "stagiaire", "trainee", "tolk", "worker", "therapist",
)
#: Role words for family members and others present (the C codes), before compounding.
FAMILY_BASE_ROLES = (
    "moeder", "vader", "ouder", "zoon", "dochter", "kind", "broer", "zus", "zuster", "broertje", "zusje",
    "grootmoeder", "grootvader", "grootouder", "oma", "opa", "tante", "oom", "neef", "nicht", "partner",
    "vriend", "vriendin", "echtgenoot", "echtgenote", "man", "vrouw", "tweelingbroer", "tweelingzus",
    "baby", "peuter", "jongere", "buurvrouw", "buurman", "voogd", "gezinslid",
    "mother", "father", "parent", "son", "daughter", "child", "brother", "sister", "grandmother",
    "grandfather", "aunt", "uncle",
)
#: Prefixes that make a family role word of a base word: stiefmoeder, pleegzoon, halfbroer, schoonvader.
FAMILY_PREFIXES = ("stief", "pleeg", "half", "schoon", "over", "adoptie", "step", "foster", "half-")
#: Words that order or qualify a role word.
ROLE_QUALIFIERS = (
    "oudste", "jongste", "middelste", "eerste", "tweede", "derde", "vierde", "vijfde", "oudere", "jongere",
    "biologische", "biologisch", "nieuwe", "ex", "ex-", "eldest", "youngest", "older", "younger",
)
#: Oldest age a role's age may give; a larger number is more likely a house number or a year.
MAX_AGE_YEARS = 110

ROLE_EXPLANATION = ('a role is a word such as "moeder", "vader", "zoon", "dochter", "oma", "stiefvader", '
                    '"pleegzoon", "partner van moeder" or "hulpverlener", optionally with an age: "zoon (14)"; '
                    "never a name")


def _role_words() -> frozenset[str]:
    family = set(FAMILY_BASE_ROLES)
    for prefix in FAMILY_PREFIXES:
        family |= {prefix + base for base in FAMILY_BASE_ROLES}
        family |= {f"{prefix}-{base}" for base in FAMILY_BASE_ROLES if not prefix.endswith("-")}
    return frozenset(family | set(WORKER_ROLES))


ROLE_WORDS = _role_words()
_AGE = r"(?:\(\s*(?P<age1>\d{1,3})\s*(?:jaar|jr\.?|mnd|maanden|years?|months?)?\s*\)" \
       r"|,?\s*(?P<age2>\d{1,3})\s*(?:jaar|jr\.?|mnd|maanden|years?|months?))"
_QUALIFIERS = "|".join(re.escape(q) for q in sorted(ROLE_QUALIFIERS, key=len, reverse=True))
_WORDS = "|".join(re.escape(w) for w in sorted(ROLE_WORDS, key=len, reverse=True))
ROLE_PATTERN = re.compile(
    rf"^(?:(?:{_QUALIFIERS})\s*)*(?:{_WORDS})(?:\s+van\s+(?:de\s+|het\s+)?(?:{_WORDS}))?(?:\s*{_AGE})?$",
    re.IGNORECASE)


def is_role(text: str) -> bool:
    """True when ``text`` is a role (vocabulary word, qualifiers, an age), not something else."""
    match = ROLE_PATTERN.match(" ".join(text.split()))
    if match is None:
        return False
    age = match.group("age1") or match.group("age2")
    return age is None or int(age) <= MAX_AGE_YEARS
