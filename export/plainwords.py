"""Agreement figures and dates in plain Dutch words, for the feedback report."""

from __future__ import annotations

import datetime as dt

from export.agreement import INDICATIVE_WORD, agreement_blocks, figure
from export.values import CaseValues
from softa.instrument import SOFTA_DIMENSIONS
from validate.agreement import INDICATIVE_BELOW_N, Figure
from validate.model import AgreementBlock
from validate.wording import dimension_label

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december")
#: Landis & Koch (1977) bands for kappa (upper bounds), in Dutch words that read in order.
KAPPA_WORDS: tuple[tuple[float, str], ...] = (
    (0.0, "niet beter dan toeval"), (0.20, "gering"), (0.40, "zwak"), (0.60, "middelmatig"), (0.80, "sterk"),
    (1.01, "bijna volledig"),
)
#: The scale as cited under the table.
KAPPA_SCALE_TEXT = ("Woorden bij kappa volgens de schaal van Landis & Koch (1977): onder 0 niet beter dan toeval, "
                    "0-0,20 gering, 0,20-0,40 zwak, 0,40-0,60 middelmatig, 0,60-0,80 sterk, 0,80-1 bijna volledig.")
#: Below this kappa the report asks to read a dimension's results with care (Landis & Koch "moderate").
CAUTION_BELOW_KAPPA = 0.40
VERSION_WORDS = {"client": "cliënten", "therapist": "hulpverlener"}


def dutch_date(day: dt.date) -> str:
    """20 november 2026."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def kappa_word(value: float) -> str:
    """Landis & Koch's word for a kappa value, in Dutch."""
    for upper, word in KAPPA_WORDS:
        if value < upper:
            return word
    return KAPPA_WORDS[-1][1]


def _pct(value: float) -> str:
    return f"{round(100 * value)}%"


def _num(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def _n(fig: Figure) -> str:
    """``n = 12, indicatief`` or ``n = 480``."""
    return f"n = {fig.n}" + (f", {INDICATIVE_WORD}" if fig.indicative else "")


def _case_blocks(values: CaseValues, group: str) -> list[AgreementBlock]:
    return [b for b in agreement_blocks(values) if b.group == group]


def _value(block: AgreementBlock, name: str) -> Figure | None:
    fig = figure(block, name)
    return fig if fig is not None and fig.value is not None else None


def _ticks_paragraph(values: CaseValues) -> list[str]:
    out = []
    for block in _case_blocks(values, "ticks.version"):
        pct, kappa, ac1 = (_value(block, n) for n in ("percent_agreement", "cohen_kappa", "gwet_ac1"))
        if pct is None:
            continue
        who = VERSION_WORDS.get(block.version or "", block.version or "")
        text = (f"<b>Gedragsbeschrijvingen ({who}).</b> Bij {_pct(pct.value or 0)} van de {pct.n} vakjes "
                "(gedrag x tijdvak) zetten beide observatoren hetzelfde: allebei een vinkje of allebei niet.")
        if kappa is not None:
            text += f" Gecorrigeerd voor toeval is dat {kappa_word(kappa.value or 0)} (kappa {_num(kappa.value or 0)}"
            if ac1 is not None:
                text += f"; Gwet's AC1 {_num(ac1.value or 0)}, die minder daalt als vinkjes zeldzaam zijn"
            text += ")."
        out.append(text)
    return out


RATING_GROUP_WORDS = {"ratings.worker": "de hulpverlener", "ratings.family": "de Gezamenlijke doelperceptie van "
                      "het gezin", "ratings.taalgebruik": "het taalgebruik"}


def _ratings_paragraph(values: CaseValues) -> str | None:
    parts = []
    for group in ("ratings.worker", "ratings.client", "ratings.family", "ratings.taalgebruik"):
        for block in _case_blocks(values, group):
            exact, near = _value(block, "exact_agreement"), _value(block, "within_one_agreement")
            if exact is None or near is None:
                continue
            who = RATING_GROUP_WORDS.get(group) or f"cliënt {block.participant}"
            same, close = round((exact.value or 0) * exact.n), round((near.value or 0) * near.n)
            parts.append(f"{who}: {same} van {exact.n} gelijk, {close} hooguit één punt verschil")
    if not parts:
        return None
    return ("<b>Beoordelingen.</b> Hoe vaak de observatoren op de schaal van -3 tot +3 precies dezelfde score "
            "gaven, per groep: " + "; ".join(parts) + f". Met zo weinig beoordelingen per casus (minder dan "
            f"{INDICATIVE_BELOW_N}) zijn dit aanwijzingen, geen betrouwbaarheidsmaten. Waar de observatoren "
            "verschilden, bepaalden ze samen de consensus die in dit rapport staat.")


def _speaking_paragraph(values: CaseValues) -> str | None:
    for block in _case_blocks(values, "speaking_time.case"):
        pct, pos = _value(block, "percent_agreement"), _value(block, "positive_agreement")
        if pct is None:
            return None
        text = (f"<b>Spreektijd.</b> In {_pct(pct.value or 0)} van de {pct.n} vakjes van 30 seconden (alle "
                "deelnemers) waren de observatoren het eens over wie wel en wie niet aan het woord was")
        if pos is not None:
            text += (f"; van de {pos.n} vakjes waarin volgens minstens één observator iemand sprak, markeerden "
                     f"ze er {_pct(pos.value or 0)} allebei")
        return text + "."
    return None


def _dimension_kappas(values: CaseValues) -> list[tuple[AgreementBlock, Figure]]:
    """Per version x dimension tick blocks of the whole case (participants together) with a defined kappa."""
    out = []
    per_dim: dict[tuple[str, str], list[AgreementBlock]] = {}
    for block in _case_blocks(values, "ticks.dimension"):
        per_dim.setdefault((block.version or "", block.dimension or ""), []).append(block)
    for blocks in per_dim.values():
        for block in blocks:
            kappa = _value(block, "cohen_kappa")
            if kappa is not None:
                out.append((block, kappa))
    return out


def agreement_paragraphs(values: CaseValues) -> list[str]:
    """Short paragraphs: ticks per form version, ratings per group, speaking time (observer 1 vs observer 2)."""
    out = ["Twee observatoren codeerden de sessie eerst los van elkaar. Hoe meer hun codes overeenkomen, hoe "
           "meer je op de uitkomsten kunt bouwen. Kappa corrigeert voor overeenstemming die je door toeval al zou "
           "verwachten (0 = toeval, 1 = volledig gelijk). Bij elk getal staat op hoeveel vergelijkingen het rust."]
    out += _ticks_paragraph(values)
    for paragraph in (_ratings_paragraph(values), _speaking_paragraph(values)):
        if paragraph:
            out.append(paragraph)
    weak = [(b, k) for b, k in _dimension_kappas(values) if (k.value if k.value is not None else 1.0)
            < CAUTION_BELOW_KAPPA]
    if weak:
        block, kappa = min(weak, key=lambda bk: bk[1].value if bk[1].value is not None else 1.0)
        out.append(f"Het minst eens waren ze bij <i>{dimension_label(block.dimension or '').lower()}</i> "
                   f"({block.participant}, kappa {_num(kappa.value or 0)}, {_n(kappa)}): lees die uitkomsten met "
                   "wat meer voorzichtigheid.")
    return out


def agreement_table(values: CaseValues) -> list[list[str]]:
    """Rows (header first) of tick agreement per participant and dimension: percentage, kappa, AC1, n, word."""
    rows = [["Deelnemer", "Gedragsbeschrijvingen", "Overeenstemming", "Kappa", "AC1", "n",
             "Oordeel kappa (Landis & Koch)"]]
    for block in _case_blocks(values, "ticks.dimension"):
        if block.dimension not in SOFTA_DIMENSIONS:
            continue
        pct, kappa, ac1 = (_value(block, n) for n in ("percent_agreement", "cohen_kappa", "gwet_ac1"))
        n_fig = figure(block, "percent_agreement")
        rows.append([block.participant or "-", dimension_label(block.dimension or ""),
                     _pct(pct.value or 0) if pct is not None else "ontbreekt",
                     _num(kappa.value or 0) if kappa is not None else "-",
                     _num(ac1.value or 0) if ac1 is not None else "-",
                     _n(n_fig) if n_fig is not None else "-",
                     kappa_word(kappa.value or 0) if kappa is not None else "niet te berekenen"])
    return rows
