"""Dutch wording of findings: labels and the manual's guidelines quoted verbatim.

Quotes are from the manual (Handleiding coderen beeldmateriaal), sections
"Aanvullende richtlijnen voor het beoordelen van positieve en negatieve
gedragsbeschrijvingen" (rules numbered as there) and the item explanations.
"""

from __future__ import annotations

from softa.instrument import SPREEKTIJD, SPREEKTIJD_BALANS, TAALGEBRUIK, load_instrument

FORM_LABELS = {
    "hulpverlener": "hulpverlener",
    "client": "cliënt",
    "gedragsdimensies": "aanvullende gedragsdimensies",
    "zelfbeoordeling": "zelfbeoordeling hulpverlener",
}

_EXTRA_LABELS = {
    TAALGEBRUIK: "Overeenstemming in taalgebruik",
    SPREEKTIJD: "Verdeling spreektijd",
    SPREEKTIJD_BALANS: "Balans in spreektijd",
    "opvallende_momenten": "Opvallende momenten",
}

SECTION_INDIVIDUAL = "Aanvullende richtlijnen, Betrokkenheid, Veiligheid en Emotionele Band"
SECTION_FAMILY = "Aanvullende richtlijnen, Gezamenlijke Doelperceptie"

#: The manual's words, keyed by rule id.
QUOTES: dict[str, tuple[str, str]] = {
    "guideline.no_ticks_zero": (
        f"{SECTION_INDIVIDUAL}, richtlijn 1",
        "Als er geen markeringen van gedrag zijn gemaakt bij een dimensie is de beoordeling 0 "
        "(d.w.z. niet van toepassing)."),
    "guideline.only_negative_below_zero": (
        f"{SECTION_INDIVIDUAL}, richtlijn 2",
        "Als er alleen negatieve indicatoren aangevinkt zijn, moet de beoordeling minder dan 0 zijn."),
    "guideline.minus3_clearly_negative": (
        f"{SECTION_INDIVIDUAL}, richtlijnen 2 en 7",
        "Geef bij een cliënt bij wie alleen negatieve indicatoren aanwezig zijn alleen een beoordeling -3 "
        "(zeer problematisch) als duidelijk is dat die persoon negatief tegenover de hulpverlening staat en "
        "dat duidelijk laat zien."),
    "guideline.minus2_variety": (
        f"{SECTION_INDIVIDUAL}, richtlijn 2",
        "Het verschil tussen een beoordeling -2 (redelijk problematisch) en -1 (enigszins problematisch) betreft "
        "de frequentie en de mate van variatie in negatieve gedragingen. "
        "Een beoordeling -2 (redelijk problematisch) wordt toegekend als er meerdere verschillende verbale "
        "én non-verbale negatieve gedragingen zijn gescoord."),
    "guideline.minus1_few": (
        f"{SECTION_INDIVIDUAL}, richtlijn 2",
        "Een beoordeling -1 (enigszins problematisch) wordt toegekend als er weinig, enkel non-verbale en "
        "voornamelijk dezelfde negatieve gedragingen zijn gescoord."),
    "guideline.only_positive_above_zero": (
        f"{SECTION_INDIVIDUAL}, richtlijn 3",
        "Als er alleen positieve indicatoren aangevinkt zijn, dient de beoordeling hoger te zijn dan 0"),
    "guideline.only_nonverbal_plus1": (
        f"{SECTION_INDIVIDUAL}, richtlijn 4",
        "Als er alleen positieve non-verbale indicatoren (open lichaamshouding, spiegelen van lichaamstaal) "
        "zijn aangevinkt dan is de beoordeling +1 (enigszins sterk)."),
    "guideline.plus2_variety": (
        f"{SECTION_INDIVIDUAL}, richtlijnen 4 en 5",
        "Om een beoordeling +2 (redelijk sterk) te geven, is er variatie in het soort positieve (verbale en "
        "non-verbale) gedragingen."),
    "guideline.plus3_clearly_strong": (
        f"{SECTION_INDIVIDUAL}, richtlijn 5",
        "Een beoordeling van +3 wordt alleen gegeven als duidelijk is dat de hulpverlener grote inzet toont "
        "of dat de cliënt sterk geïnvesteerd heeft in de hulpverlening"),
    "guideline.mixed_within_one": (
        f"{SECTION_INDIVIDUAL}, richtlijn 6",
        "Als er zowel positieve als negatieve indicatoren aangevinkt zijn, is de beoordeling -1, 0 of +1."),
    "gd.no_ticks_zero": (
        f"{SECTION_FAMILY}, richtlijn 2",
        "Als er voor geen van de gezinsleden indicatoren zijn, is de beoordeling 0 (d.w.z.: onopvallend)."),
    "gd.all_positive_at_least_plus1": (
        f"{SECTION_FAMILY}, richtlijn 3",
        "Als er minimaal 1 positieve en geen negatieve indicatoren gemarkeerd zijn voor elk gezinslid, is de "
        "beoordeling minimaal +1."),
    "gd.one_member_negative": (
        f"{SECTION_FAMILY}, richtlijn 4",
        "Als er minimaal 1 negatieve indicator voor slechts één gezinslid en geen positieve indicatoren voor "
        "andere gezinsleden zijn, is de score -1 of -2"),
    "gd.several_members_negative": (
        f"{SECTION_FAMILY}, richtlijn 5",
        "Als twee of meer gezinsleden negatieve indicatoren laten zien is de score -3 of -2."),
    "gd.mixed": (
        f"{SECTION_FAMILY}, richtlijn 6",
        "Als er zowel positieve als negatieve indicatoren zijn voor welk gezinslid dan ook, is de score -1, 0 "
        "of +1."),
    "gd.open_disagreement_minus3": (
        f"{SECTION_FAMILY}, richtlijn 7",
        "Als er grote onenigheid tussen de gezinsleden wordt geuit in de sessie over de waarde van de "
        "hulpverlening of wat daarin bereikt gaat worden is de score -3, zelfs als er geen andere negatieve "
        "indicatoren zijn"),
    "item.veiligheid2_once": (
        "Bijlage 1, Veiligheid cliënt, item 2",
        "Let op: dit item kan maar één keer gemarkeerd worden per sessie, niet elke keer wanneer de toon "
        "wijzigt omdat het verwijst naar plasticiteit in emoties gedurende de sessie."),
    "item.therapist_gd9_end": (
        "Bijlage 1, Gezamenlijke doelperceptie hulpverlener, item 9",
        "Dit item wordt gemarkeerd aan het einde van een sessie wanneer duidelijk is dat meerdere cliënten "
        "zorgen hebben geuit, en de hulpverlener maar één van die zorgen heeft geadresseerd en niet de "
        "andere(n)."),
    "consensus.between_observers": (
        "Algemene richtlijnen voor het beoordelen van de alliantiedimensies",
        "Eerst kom je los van elkaar tot een beoordeling. Vervolgens vergelijk je de beoordelingen en kom je "
        "tot een gezamenlijke beoordeling."),
}


SECTION_EXAMPLES = "Aanvullende richtlijnen, toelichting na richtlijn 7"
SECTION_PLUS3 = f"{SECTION_INDIVIDUAL}, richtlijn 5"

#: The manual's examples of ratings, cited beside the guideline they illustrate.
EXAMPLES: dict[str, tuple[str, str]] = {
    "example.refuses_once": (
        SECTION_EXAMPLES,
        "Als dit eenmaal of minimaal voorkomt, zal de beoordeling -1 zijn."),
    "example.refuses_fair_part": (
        SECTION_EXAMPLES,
        "Als de cliënt gedurende een redelijk deel van de sessie weigert te praten, kan de beoordeling -2 zijn."),
    "example.refuses_whole_session": (
        SECTION_EXAMPLES,
        "Als dit gedrag zich de hele sessie voordoet, zal de beoordeling -3 zijn."),
    "example.cries_plus2": (
        SECTION_PLUS3,
        "Als de cliënt bijvoorbeeld oprecht huilt, zal de beoordeling waarschijnlijk +2 zijn."),
}


def cite_example(key: str) -> str:
    """One of the manual's examples, with where it stands."""
    where, words = EXAMPLES[key]
    return f'Voorbeeld in de handleiding ({where}): "{words}"'


def cite(rule: str) -> str:
    """The manual's words for a rule, with where they stand: ``(handleiding, ...: "...")``."""
    where, words = QUOTES[rule]
    return f'Handleiding ({where}): "{words}"'


def dimension_label(key: str) -> str:
    """Dutch name of a dimension key (SOFTA dimensions and the extra ones)."""
    if key in _EXTRA_LABELS:
        return _EXTRA_LABELS[key]
    try:
        return load_instrument().dimension(key).name
    except KeyError:
        return key


def slot_label(slot: str | None) -> str:
    """Dutch label of an observer slot."""
    return {"1": "observator 1", "2": "observator 2", "consensus": "consensus", None: "zelfbeoordeling"}.get(
        slot, str(slot))


def signed(value: int) -> str:
    """A rating as printed on the forms: -3, 0, +2."""
    return f"{value:+d}" if value else "0"
