"""The professional's feedback report (`softa report`): a Dutch PDF with charts.

Sections: the alliance per dimension (consensus dot charts), the worker's
self-assessment beside the consensus, behaviour per 5-minute window (heat
maps), speaking time, taalgebruik, the two notable moments and the observers'
agreement in plain words. Deterministic: reportlab's invariant mode and PNGs
without timestamps.
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
from PIL import Image as PILImage
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Image,
    KeepInFrame,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from export import charts
from export.plainwords import KAPPA_SCALE_TEXT, agreement_paragraphs, agreement_table, dutch_date
from export.step13 import database_images
from export.timefmt import mmss, share_percent, speaking_seconds
from export.values import SELF, CaseValues, case_values
from softa.instrument import FAMILY, SESSION, SOFTA_DIMENSIONS, SPREEKTIJD_BALANS, TAALGEBRUIK, load_instrument
from softa.manifest import BIN_SECONDS, WINDOW_MINUTES
from softa.records import RegionValue

MARGIN = 18 * mm
TEXT_WIDTH = A4[0] - 2 * MARGIN
#: Highest share of the page an embedded notable-moment crop may take.
MAX_CROP_HEIGHT = 50 * mm
#: Item texts in heat maps are cut to this many characters.
#: Heat-map rows carry a short label; the full behaviour description stands in a table below (never cut).
HEAT_LEGEND_CODE_WIDTH = 22 * mm
#: Crop trimming: ignore the outer 3 % (printed frame), ink is darker than 128, a written row has at
#: least 3 ink pixels, a printed rule darkens more than half the row; keep 8 % of the height below the text.
CROP_SIDE_IGNORE = 0.03
INK_LEVEL = 128
MIN_INK_PIXELS = 3
RULE_SHARE = 0.5
CROP_MARGIN_SHARE = 0.08
DIM_SHORT = {"betrokkenheid": "Betr.", "emotionele_band": "Band", "veiligheid": "Veil.",
             "gezamenlijke_doelperceptie": "Doel"}
SUBJECTS = ("Hulpverlener ", "Cliënt ", "Client ", "Gezinsleden ")


@dataclass(frozen=True)
class ReportResult:
    path: Path
    pages: int
    notes: tuple[str, ...]


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName="Helvetica", fontSize=9.5, leading=13,
                          alignment=TA_LEFT, spaceAfter=4)
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontName="Helvetica-Bold", fontSize=20, leading=24,
                                alignment=TA_LEFT, spaceAfter=2, textColor=colors.HexColor("#1F4E79")),
        "subtitle": ParagraphStyle("subtitle", parent=body, fontSize=11, leading=15,
                                   textColor=colors.HexColor("#404040"), spaceAfter=10),
        "h1": ParagraphStyle("h1", parent=base["Heading2"], fontName="Helvetica-Bold", fontSize=13.5, leading=17,
                             spaceBefore=10, spaceAfter=5, textColor=colors.HexColor("#1F4E79")),
        "h2": ParagraphStyle("h2", parent=base["Heading3"], fontName="Helvetica-Bold", fontSize=10.5, leading=14,
                             spaceBefore=6, spaceAfter=3),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10.5, textColor=colors.HexColor("#555555")),
        "quote": ParagraphStyle("quote", parent=body, leftIndent=8 * mm, fontName="Helvetica-Oblique",
                                textColor=colors.HexColor("#303030")),
        "warn": ParagraphStyle("warn", parent=body, textColor=colors.HexColor("#9C0006"), backColor="#FFF0F0",
                               borderPadding=4, spaceBefore=4, spaceAfter=8),
    }


def _png_flowable(png: bytes, width: float = TEXT_WIDTH, max_height: float | None = None) -> Image:
    with PILImage.open(io.BytesIO(png)) as img:
        w, h = img.size
    height = width * h / w
    if max_height is not None and height > max_height:
        width, height = width * max_height / height, max_height
    return Image(io.BytesIO(png), width=width, height=height)


def _rating_text(value: int | None) -> str:
    if value is None:
        return "ontbreekt"
    return f"{value:+d} ({load_instrument().scale_label(value)})" if value else \
        f"0 ({load_instrument().scale_label(0)})"


def _who(values: CaseValues, code: str) -> str:
    if code == FAMILY:
        return "gezin als geheel"
    return f"{code} {values.manifest.participant(code).role}"


def _ratings_section(values: CaseValues, st: dict[str, ParagraphStyle]) -> list[object]:
    inst = load_instrument()
    panels = []
    for dim in SOFTA_DIMENSIONS:
        rows = []
        for code in [p.code for p in values.manifest.participants] + [FAMILY]:
            if (code, "consensus", dim) not in values.ratings:
                continue
            rows.append(charts.DotRow(label=_who(values, code), consensus=values.ratings[(code, "consensus", dim)],
                                      observer_1=values.ratings.get((code, "1", dim)),
                                      observer_2=values.ratings.get((code, "2", dim))))
        panels.append((inst.dimension(dim).name, rows))
    story: list[object] = [
        Paragraph("1. De alliantie per dimensie", st["h1"]),
        Paragraph("Na de sessie gaven de twee observatoren ieder een globale beoordeling per dimensie en daarna "
                  "samen een <b>consensusbeoordeling</b>, op een schaal van -3 (zeer problematisch) via 0 "
                  "(onopvallend of neutraal) tot +3 (zeer sterk). Voor de hulpverlener gaat het om de bijdrage "
                  "aan de alliantie; Gezamenlijke doelperceptie is voor de cliënten één beoordeling van het "
                  "gezin als geheel. De grote stip is de consensus, de kleine ringen de afzonderlijke "
                  "observatoren.", st["body"]),
        # Shrinks to the space left on the page (e.g. below an "unresolved" note) instead of moving on.
        KeepInFrame(0, 0, [_png_flowable(charts.rating_dots(panels, inst.scale_labels))], mode="shrink"),
    ]
    return story


def _self_section(values: CaseValues, st: dict[str, ParagraphStyle]) -> list[object]:
    inst = load_instrument()
    story: list[object] = []
    for worker in values.manifest.workers:
        dims = [*SOFTA_DIMENSIONS, TAALGEBRUIK]
        own = [values.ratings.get((worker.code, SELF, d)) for d in dims]
        seen = [values.ratings.get((SESSION if d == TAALGEBRUIK else worker.code, "consensus", d)) for d in dims]
        labels = [inst.dimension(d).name if d in SOFTA_DIMENSIONS else "Taalgebruik" for d in dims]
        story += [Paragraph(f"2. Zelfbeoordeling naast de observatoren ({escape(worker.code)})", st["h1"]),
                  Paragraph("De hulpverlener beoordeelde de eigen bijdrage op dezelfde schaal. Een lijn tussen "
                            "ruit en stip laat zien waar zelfbeeld en observatie verschillen.", st["body"]),
                  _png_flowable(charts.self_vs_consensus(labels, own, seen))]
        lines = []
        missing = []
        for label, mine, theirs in zip(labels, own, seen, strict=True):
            if mine is None or theirs is None:
                missing.append(f"{label} ({'zelfbeoordeling' if mine is None else 'consensus'} ontbreekt)")
            elif mine != theirs:
                direction = "hoger" if mine > theirs else "lager"
                lines.append(f"<b>{label}</b>: je beoordeelde jezelf {direction} dan de observatoren; zelf "
                             f"{_rating_text(mine)}, observatoren {_rating_text(theirs)}.")
        if not lines and not missing:
            lines.append("Op alle dimensies komt je zelfbeoordeling overeen met de consensus van de observatoren.")
        elif not lines and len(missing) < len(labels):
            lines.append("Op de dimensies waar beide bekend zijn, komt je zelfbeoordeling overeen met de consensus "
                         "van de observatoren.")
        if missing:
            lines.append("Niet te vergelijken: " + ", ".join(missing) + ".")
        balance = values.ratings.get((worker.code, SELF, SPREEKTIJD_BALANS))
        low, high = inst.balance_values[0], inst.balance_values[-1]
        if balance is None:
            lines.append(f"Je beoordeling van de balans in spreektijd ({low} tot {high}) ontbreekt.")
        else:
            lines.append(f"De balans in spreektijd ervoer je als een <b>{balance}</b> op een schaal van {low} "
                         f"(geen balans) tot {high} (goede balans); zie hoofdstuk 4 voor de gemeten verdeling.")
        story += [Paragraph(line, st["body"]) for line in lines]
    return story


def abbreviations_text() -> str:
    """The heat maps' row labels explained: dimension abbreviations, item number, sign."""
    inst = load_instrument()
    names = ", ".join(f"{short} = {inst.dimension(key).name}" for key, short in DIM_SHORT.items())
    return (f"Voor elke regel staat de dimensie ({names}), het nummer van de gedragsbeschrijving op het "
            "codeerformulier en (+) of (-) voor een positieve of negatieve indicator.")


def _consensus_ticks_missing(values: CaseValues) -> bool:
    """Whether any consensus tick is missing (shown in the heat maps' light pink)."""
    return any(v is None for (_p, slot, _d), grid in values.ticks.items() if slot == "consensus"
               for v in grid.values())


def _heat_rows(values: CaseValues, code: str, version: str) -> list[charts.HeatRow]:
    """Heat-map rows: a short label (dimension, item number, sign); the full texts are in ``heat_legend``."""
    return [row for row, _text in _heat_items(values, code, version)]


def heat_legend(values: CaseValues, code: str, version: str) -> list[list[str]]:
    """Rows (label, full behaviour description) printed under a heat map: never cut."""
    return [[row.label, text] for row, text in _heat_items(values, code, version)]


def _heat_items(values: CaseValues, code: str, version: str) -> list[tuple[charts.HeatRow, str]]:
    inst = load_instrument()
    out = []
    for dim in SOFTA_DIMENSIONS:
        grid = values.ticks.get((code, "consensus", dim), {})
        for item in inst.items_of("therapist" if version == "therapist" else "client", dim):
            cells = tuple(grid.get((item.number, w)) for w in range(1, values.manifest.windows + 1))
            if not any(c != 0 for c in cells):
                continue
            text = item.text
            for subject in SUBJECTS:
                if text.startswith(subject):
                    text = text[len(subject):]
            text = text[:1].upper() + text[1:]
            row = charts.HeatRow(label=f"{DIM_SHORT[dim]} {item.number} ({item.polarity})", positive=item.positive,
                                 cells=cells)
            out.append((row, text))
    return out


def _behaviour_section(values: CaseValues, st: dict[str, ParagraphStyle]) -> list[object]:
    manifest = values.manifest
    labels = [str(min(w * WINDOW_MINUTES, manifest.minutes)) for w in range(1, manifest.windows + 1)]
    intro: list[object] = [
        Paragraph("3. Gedrag per tijdvak van 5 minuten", st["h1"]),
        Paragraph("Per deelnemer de gedragsbeschrijvingen die de observatoren (in consensus) minstens één keer "
                  "zagen. Een gekleurd vak betekent: dit gedrag kwam voor in dat tijdvak van 5 minuten; "
                  "<font color='#2E7D32'><b>groen</b></font> is gedrag dat de alliantie versterkt, "
                  "<font color='#C62828'><b>rood</b></font> gedrag dat haar onder druk zet. Rechts staat in "
                  "hoeveel tijdvakken het gedrag voorkwam. Gedrag dat niet werd gezien is weggelaten. "
                  + escape(abbreviations_text())
                  + (" Lichtroze vakken ontbreken (nog niet gecontroleerd)." if _consensus_ticks_missing(values)
                     else ""), st["body"]),
    ]
    parts: list[list[object]] = []
    for who in manifest.participants:
        rows = _heat_rows(values, who.code, "therapist" if who.is_worker else "client")
        title = f"{who.code} {who.role}"
        if not rows:
            parts.append([Paragraph(f"<b>{escape(title)}</b>: geen gedrag gezien.", st["body"])])
        else:
            legend = [[Paragraph(escape(label), st["small"]), Paragraph(escape(text), st["small"])]
                      for label, text in heat_legend(values, who.code, "therapist" if who.is_worker else "client")]
            table = Table(legend, colWidths=[HEAT_LEGEND_CODE_WIDTH, TEXT_WIDTH - HEAT_LEGEND_CODE_WIDTH],
                          hAlign="LEFT")
            table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 0),
                                       ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
            parts.append([_png_flowable(charts.behaviour_heatmap(title, rows, labels)), table, Spacer(1, 3 * mm)])
    # The heading stays with the first heat map instead of closing a page on its own.
    return [KeepTogether(intro + (parts[0] if parts else [])), *[KeepTogether(p) for p in parts[1:]]]


def _region(values: CaseValues, slot: str, dimension: str, suffix: str = "") -> RegionValue | None:
    for region in values.regions:
        if region.slot == slot and region.dimension == dimension and region.region_id.endswith(suffix):
            return region
    return None


def trim_crop(png: bytes) -> bytes:
    """Cut the empty lower part of a handwriting crop (below the last written line), keeping a margin.

    Rows count as written when they hold some dark pixels but are not a printed rule (mostly dark);
    the outer columns, where the printed frame runs, are ignored.
    """
    with PILImage.open(io.BytesIO(png)) as img:
        gray = np.asarray(img.convert("L"))
    height, width = gray.shape
    side = int(width * CROP_SIDE_IGNORE)
    dark = (gray[:, side:width - side] < INK_LEVEL).sum(axis=1)
    inner = width - 2 * side
    written = np.flatnonzero((dark >= MIN_INK_PIXELS) & (dark < inner * RULE_SHARE))
    if written.size == 0:
        return png
    bottom = min(height, int(written[-1] + height * CROP_MARGIN_SHARE))
    if bottom >= height - 1:
        return png
    out = io.BytesIO()
    PILImage.fromarray(gray[:bottom]).save(out, format="PNG")
    return out.getvalue()


def _region_flowables(region: RegionValue | None, images: Path | None,
                      st: dict[str, ParagraphStyle]) -> list[object]:
    if region is None:
        return [Paragraph("(niet beschikbaar)", st["small"])]
    if region.status == "transcribed" and region.transcription is not None:
        text = region.transcription.strip() or "(leeg gelaten)"
        return [Paragraph(escape(text).replace("\n", "<br/>"), st["quote"])]
    path = images / region.image_path if images is not None and region.image_path else None
    if path is not None and path.is_file():
        framed = Table([[_png_flowable(trim_crop(path.read_bytes()), width=TEXT_WIDTH * 0.9, max_height=MAX_CROP_HEIGHT)]],
                       hAlign="LEFT")
        framed.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#A6A6A6"))]))
        return [Paragraph("Handgeschreven (nog niet overgetypt):", st["small"]), framed]
    return [Paragraph("(geen tekst en geen afbeelding beschikbaar)", st["small"])]


def speaking_summary(totals: list[tuple[int | None, bool]]) -> str:
    """One Dutch sentence comparing the clients' and the worker(s)' speaking time.

    ``totals`` holds (seconds or None when missing, is the participant a worker) per participant.
    With a missing total the comparison cannot be made, and the sentence says so instead of
    counting the missing time as zero.
    """
    several_workers = sum(1 for _, worker in totals if worker) > 1
    several_clients = sum(1 for _, worker in totals if not worker) > 1
    workers_word = "de hulpverleners" if several_workers else "de hulpverlener"
    clients_word = "de cliënten" if several_clients else "de cliënt"
    together = " samen" if several_clients else ""
    if any(seconds is None for seconds, _ in totals):
        return (f"Omdat de spreektijd van niet iedereen bekend is (zie 'ontbreekt'), is niet te zeggen of "
                f"{clients_word}{together} of {workers_word} meer aan het woord waren.")
    workers = sum(seconds or 0 for seconds, worker in totals if worker)
    clients = sum(seconds or 0 for seconds, worker in totals if not worker)
    spoke = (f"{clients_word.capitalize()} {'spraken' if several_clients else 'sprak'}{together} {mmss(clients)}, "
             f"{workers_word} {mmss(workers)}. ")
    if clients == workers:
        return spoke + "Zij waren even lang aan het woord."
    if clients > workers:
        verb = "waren" if several_clients else "was"
        return spoke + f"{clients_word.capitalize()} {verb}{together} meer aan het woord dan {workers_word}."
    verb = "waren" if several_workers else "was"
    return spoke + f"{workers_word.capitalize()} {verb} meer aan het woord dan {clients_word}{together}."


def speaking_range(bins: tuple[int | None, ...]) -> tuple[int | None, int | None]:
    """Lowest and highest derived speaking time: unsure bins as not speaking / as speaking; None without bins."""
    if not bins:
        return None, None
    low = sum(int(b or 0) for b in bins) * BIN_SECONDS
    return low, low + sum(1 for b in bins if b is None) * BIN_SECONDS


def speaking_summary_range(totals: list[tuple[int | None, int | None, bool]]) -> str | None:
    """The clients-vs-worker comparison when some bins are unsure, if it holds for every way they could go.

    ``totals`` holds (lowest, highest seconds, is a worker); None when the comparison cannot be made.
    """
    if any(low is None or high is None for low, high, _ in totals):
        return None
    clients_low = sum(low or 0 for low, _, worker in totals if not worker)
    clients_high = sum(high or 0 for _, high, worker in totals if not worker)
    workers_low = sum(low or 0 for low, _, worker in totals if worker)
    workers_high = sum(high or 0 for _, high, worker in totals if worker)
    several_clients = sum(1 for *_, worker in totals if not worker) > 1
    clients_word = "de cliënten samen" if several_clients else "de cliënt"
    workers_word = "de hulpverleners" if sum(1 for *_, worker in totals if worker) > 1 else "de hulpverlener"
    spoke = (f"Door onzekere vakjes ligt de spreektijd van {clients_word} tussen {mmss(clients_low)} en "
             f"{mmss(clients_high)}, die van {workers_word} tussen {mmss(workers_low)} en {mmss(workers_high)}. ")
    if clients_low > workers_high:
        return spoke + f"Hoe die vakjes ook uitvallen: {clients_word} meer aan het woord dan {workers_word}."
    if workers_low > clients_high:
        return spoke + f"Hoe die vakjes ook uitvallen: {workers_word} meer aan het woord dan {clients_word}."
    return spoke + "Daardoor is niet te zeggen wie meer aan het woord was."


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}%".replace(".", ",")


def speaking_row(label: str, bins: tuple[int | None, ...], session: int) -> list[str]:
    """A speaking-time table row; unsure (missing) bins give a range from 'not speaking' to 'speaking'."""
    if not bins:
        return [label, "ontbreekt", "", ""]
    unsure = sum(1 for b in bins if b is None)
    low = sum(int(b or 0) for b in bins) * BIN_SECONDS
    if not unsure:
        return [label, mmss(low), str(low), _percent(share_percent(low, session))]
    high = low + unsure * BIN_SECONDS
    vakjes = "vakje" if unsure == 1 else "vakjes"
    return [label, f"{mmss(low)} tot {mmss(high)} ({unsure} {vakjes} onzeker)", f"{low}-{high}",
            f"{_percent(share_percent(low, session))} tot {_percent(share_percent(high, session))}"]


def _speaking_section(values: CaseValues, images: Path | None, st: dict[str, ParagraphStyle]) -> list[object]:
    manifest = values.manifest
    session = manifest.minutes * 60
    rows = []
    for who in manifest.participants:
        bins = tuple(values.timeline.get((who.code, "consensus"), []))
        seconds = speaking_seconds(bins, BIN_SECONDS)
        rows.append(charts.SpeakRow(label=f"{who.code} {who.role}", bins=bins, seconds=seconds,
                                    share=share_percent(seconds, session)))
    table = [["Deelnemer", "Spreektijd (mm:ss)", "Seconden", "Aandeel van de sessie"]]
    for row in rows:
        table.append(speaking_row(row.label, row.bins, session))
    summary = speaking_summary([(row.seconds, who.is_worker) for row, who in
                                zip(rows, manifest.participants, strict=True)])
    if any(row.seconds is None for row in rows):
        summary = speaking_summary_range([(*speaking_range(row.bins), who.is_worker) for row, who in
                                          zip(rows, manifest.participants, strict=True)]) or summary
    return [
        CondPageBreak(90 * mm),
        Paragraph("4. Verdeling van de spreektijd", st["h1"]),
        Paragraph("De observatoren markeerden per 30 seconden wie aan het woord was (consensus). Wie binnen een "
                  "vak van 30 seconden begint of stopt, telt voor het hele vak: de totalen zijn afgeleide, naar "
                  "boven afgeronde getallen. Als mensen door elkaar praten, tellen de aandelen samen op tot meer "
                  "dan 100%.", st["body"]),
        _png_flowable(charts.speaking_timeline(rows, BIN_SECONDS, manifest.minutes)),
        Spacer(1, 2 * mm),
        _table(table, [60 * mm, 38 * mm, 26 * mm, TEXT_WIDTH - 124 * mm]),
        Paragraph(summary, st["body"]),
        KeepTogether([Paragraph("Toelichting van de observatoren", st["h2"]),
                      *_region_flowables(_region(values, "consensus", "spreektijd"), images, st)]),
    ]


def _table(rows: list[list[str]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), "Helvetica", 8.5),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#BFBFBF")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def _language_and_moments(values: CaseValues, images: Path | None, st: dict[str, ParagraphStyle]) -> list[object]:
    inst = load_instrument()
    taal = values.ratings.get((SESSION, "consensus", TAALGEBRUIK))
    story: list[object] = [
        CondPageBreak(60 * mm),
        Paragraph("5. Overeenstemming in taalgebruik", st["h1"]),
        Paragraph(escape(inst.extra["taalgebruik"]["question"]), st["small"]),
        Paragraph(f"Consensus van de observatoren: <b>{escape(_rating_text(taal))}</b>.", st["body"]),
        KeepTogether([Paragraph("Toelichting van de observatoren", st["h2"]),
                      *_region_flowables(_region(values, "consensus", TAALGEBRUIK), images, st)]),
        CondPageBreak(50 * mm),
        Paragraph("6. Twee opvallende momenten", st["h1"]),
        Paragraph("De observatoren beschreven na afloop twee momenten die hun zijn bijgebleven.", st["body"]),
    ]
    count = int(inst.extra["opvallende_momenten"]["count"])
    for n in range(1, count + 1):
        story.append(KeepTogether([
            Paragraph(f"Moment {n}", st["h2"]),
            *_region_flowables(_region(values, "consensus", "opvallende_momenten", f"moment_{n}"), images, st)]))
    return story


def _footer(case: str) -> Callable[[Canvas, SimpleDocTemplate], None]:
    def draw(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.HexColor("#7F7F7F"))
        canvas.drawString(MARGIN, 10 * mm, f"SOFTA-NL feedbackrapport · casus {case}")
        canvas.drawRightString(A4[0] - MARGIN, 10 * mm, f"pagina {doc.page}")
        canvas.restoreState()
    return draw


def build_story(values: CaseValues, images: Path | None) -> list[object]:
    """All flowables of the report, in order."""
    st = _styles()
    manifest = values.manifest
    people = ", ".join(f"{p.code} ({escape(p.role)})" for p in manifest.participants)
    story: list[object] = [
        Paragraph("Feedback op de werkalliantie", st["title"]),
        Paragraph(f"SOFTA-NL · casus {escape(manifest.case)} · gecodeerd {dutch_date(manifest.date)} · "
                  f"sessie van {manifest.minutes} minuten", st["subtitle"]),
        Paragraph(f"Deelnemers: {people}. Dit rapport laat zien hoe twee getrainde observatoren de alliantie "
                  "tussen hulpverlener en gezin zagen: wat ging goed, waar stond de samenwerking onder druk, "
                  "wie was aan het woord, en hoe jouw eigen beeld zich verhoudt tot dat van de observatoren.",
                  st["body"]),
    ]
    if values.problems:
        story.append(Paragraph("<b>Let op:</b> bij het maken van dit rapport waren nog niet alle gegevens "
                               f"gecontroleerd ({len(values.problems)} "
                               f"{'punt' if len(values.problems) == 1 else 'punten'} open). Ontbrekende waarden zijn als "
                               "'ontbreekt' weergegeven.", st["warn"]))
    story += _ratings_section(values, st)
    story += _self_section(values, st)
    story += _behaviour_section(values, st)
    story += _speaking_section(values, images, st)
    story += _language_and_moments(values, images, st)
    section: list[object] = [Paragraph("7. Hoe goed kwamen de observatoren overeen?", st["h1"])]
    section += [Paragraph(text, st["body"]) for text in agreement_paragraphs(values)]
    rows = agreement_table(values)
    if len(rows) > 1:
        widths = [18 * mm, 38 * mm, 26 * mm, 14 * mm, 14 * mm, 26 * mm]
        section += [Spacer(1, 2 * mm), _table(rows, [*widths, TEXT_WIDTH - sum(widths)]),
                    Paragraph(KAPPA_SCALE_TEXT, st["small"])]
    story.append(KeepTogether(section))
    return story


def write_report(conn: sqlite3.Connection, case_id: str, out: Path, *, allow_unresolved: bool = False) -> ReportResult:
    """Write the feedback report PDF of one case; refuse unresolved data unless allowed."""
    values = case_values(conn, case_id, allow_unresolved=allow_unresolved)
    story = build_story(values, database_images(conn))
    out.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN, title=f"SOFTA-NL feedbackrapport casus {case_id}",
                            author="softa-forms", creator="softa-forms", invariant=1, lang="nl")
    footer = _footer(case_id)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(out)
    return ReportResult(path=out, pages=doc.page, notes=tuple(values.notes()))
