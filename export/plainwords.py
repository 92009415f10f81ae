"""Agreement figures and dates in plain Dutch words, for the feedback report."""

from __future__ import annotations

import datetime as dt

from export.agreement import agreement_blocks, figure
from export.values import CaseValues
from softa.instrument import SOFTA_DIMENSIONS, TAALGEBRUIK
from validate.agreement import Figure, binary_agreement, rating_agreement, speaking_time_agreement
from validate.model import AgreementBlock

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december")
#: Landis & Koch (1977) bands for kappa, in Dutch.
KAPPA_WORDS: tuple[tuple[float, str], ...] = (
    (0.0, "niet beter dan toeval"), (0.20, "gering"), (0.40, "redelijk"), (0.60, "matig"), (0.80, "goed"),
    (1.01, "zeer goed"),
)


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


def _overall(blocks: tuple[AgreementBlock, ...], measure: str) -> tuple[Figure, ...] | None:
    for block in blocks:
        if block.measure == measure and block.participant is None and block.item is None and (
                block.dimension is None or (measure == "speaking_time" and block.dimension == "spreektijd")):
            return block.figures
    return None


def _computed(values: CaseValues, measure: str) -> tuple[Figure, ...]:
    if measure == "ticks":
        a: list[int] = []
        b: list[int] = []
        for (code, slot, dim), grid in sorted(values.ticks.items()):
            other = values.ticks.get((code, "2", dim), {}) if slot == "1" else {}
            for key, value in sorted(grid.items()):
                if value is not None and other.get(key) is not None:
                    a.append(value)
                    b.append(int(other[key] or 0))
        return binary_agreement(a, b)
    if measure == "ratings":
        pairs = [(v, values.ratings[(p, "2", d)]) for (p, s, d), v in sorted(values.ratings.items())
                 if s == "1" and d in (*SOFTA_DIMENSIONS, TAALGEBRUIK) and v is not None
                 and values.ratings.get((p, "2", d)) is not None]
        return rating_agreement([(x, int(y or 0)) for x, y in pairs])
    xs: list[int] = []
    ys: list[int] = []
    for (code, slot), bins in sorted(values.timeline.items()):
        if slot != "1":
            continue
        for x, y in zip(bins, values.timeline.get((code, "2"), []), strict=False):
            if x is not None and y is not None:
                xs.append(x)
                ys.append(y)
    return speaking_time_agreement(xs, ys)


def _get(figs: tuple[Figure, ...], name: str) -> Figure | None:
    return next((f for f in figs if f.name == name), None)


def agreement_paragraphs(values: CaseValues) -> list[str]:
    """Three short paragraphs: ticks, ratings, speaking time (observer 1 vs observer 2)."""
    blocks = agreement_blocks(values)
    out = ["Twee observatoren codeerden de sessie eerst los van elkaar. Hoe meer hun codes overeenkomen, hoe "
           "meer je op de uitkomsten kunt bouwen. Kappa corrigeert voor overeenstemming die je door toeval al zou "
           "verwachten (0 = toeval, 1 = volledig gelijk)."]
    ticks = _overall(blocks, "ticks") or _computed(values, "ticks")
    pct, kappa = _get(ticks, "percent_agreement"), _get(ticks, "cohen_kappa")
    if pct is not None and pct.value is not None:
        text = (f"<b>Gedragsbeschrijvingen.</b> Bij {_pct(pct.value)} van de {pct.n} vakjes (gedrag x tijdvak) "
                "zetten beide observatoren hetzelfde: allebei een vinkje of allebei niet.")
        if kappa is not None and kappa.value is not None:
            text += f" Gecorrigeerd voor toeval is dat {kappa_word(kappa.value)} (kappa {_num(kappa.value)})."
        out.append(text)
    ratings = _overall(blocks, "ratings") or _computed(values, "ratings")
    exact, near = _get(ratings, "exact_agreement"), _get(ratings, "within_one_agreement")
    if exact is not None and exact.value is not None and near is not None and near.value is not None:
        same = round(exact.value * exact.n)
        close = round(near.value * near.n)
        out.append(f"<b>Beoordelingen.</b> Van de {exact.n} beoordelingen op de schaal van -3 tot +3 gaven de "
                   f"observatoren er {same} precies dezelfde score en {close} een score die hooguit één punt "
                   "verschilde. Waar ze verschilden, bepaalden ze samen de consensus die in dit rapport staat.")
    speaking = _overall(blocks, "speaking_time") or _computed(values, "speaking_time")
    pct_s, pos = _get(speaking, "percent_agreement"), _get(speaking, "speaking_positive_agreement")
    if pct_s is not None and pct_s.value is not None:
        text = (f"<b>Spreektijd.</b> In {_pct(pct_s.value)} van de vakjes van 30 seconden waren de observatoren "
                "het eens over wie wel en wie niet aan het woord was")
        if pos is not None and pos.value is not None:
            text += f"; van de vakjes waarin iemand sprak, markeerden ze er {_pct(pos.value)} allebei"
        out.append(text + ".")
    per_dim = [b for b in blocks if b.measure == "ticks" and b.participant is None and b.item is None
               and b.dimension in SOFTA_DIMENSIONS]
    weakest = min(per_dim, key=lambda b: (figure(b, "cohen_kappa") or Figure("", 1.0, "", 0)).value or 1.0,
                  default=None)
    if weakest is not None:
        k = figure(weakest, "cohen_kappa")
        if k is not None and k.value is not None and k.value < KAPPA_WORDS[3][0]:
            out.append(f"Het minst eens waren ze bij <i>{(weakest.dimension or '').replace('_', ' ')}</i> "
                       f"(kappa {_num(k.value)}): lees die uitkomsten met wat meer voorzichtigheid.")
    return out


def agreement_table(values: CaseValues) -> list[list[str]]:
    """Rows (header first) of tick agreement per dimension: percentage, kappa and its word."""
    rows = [["Gedragsbeschrijvingen", "Overeenstemming", "Kappa", "Oordeel (Landis & Koch)"]]
    names = {d: d.replace("_", " ").capitalize() for d in SOFTA_DIMENSIONS}
    for block in agreement_blocks(values):
        if block.measure != "ticks" or block.participant is not None or block.item is not None \
                or block.dimension not in SOFTA_DIMENSIONS:
            continue
        pct, kappa = figure(block, "percent_agreement"), figure(block, "cohen_kappa")
        rows.append([names[block.dimension],
                     _pct(pct.value) if pct is not None and pct.value is not None else "-",
                     _num(kappa.value) if kappa is not None and kappa.value is not None else "-",
                     kappa_word(kappa.value) if kappa is not None and kappa.value is not None else
                     "niet te berekenen"])
    return rows
