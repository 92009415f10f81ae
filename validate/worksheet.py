"""The consensus worksheet: every disagreement between observer 1 and 2, in discussion order.

Order (the way the pair fills the consensus forms): per participant (workers,
then family members), per dimension in form order, the items by number and
windows in time order, then the dimension's rating; then the family's
Gezamenlijke doelperceptie, the session's Taalgebruik and the speaking-time
timeline (stretches of 30-second bins marked differently).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from softa.errors import SoftaError
from softa.i18n import _
from softa.instrument import FAMILY, SESSION, SOFTA_DIMENSIONS, SPREEKTIJD, TAALGEBRUIK
from softa.manifest import WINDOW_MINUTES
from validate.casedata import FAMILY_DIMENSION, OBSERVER_SLOTS, CaseData, rated_dimensions, version_of
from validate.wording import dimension_label, signed

SECONDS_PER_BIN = 30
SECONDS_PER_MINUTE = 60
TICKED = "X"
NOT_TICKED = "–"
NOT_READ = "?"
#: Added to a cell the scanner was unsure of and nobody has checked yet (status "flagged").
UNSURE = " (onzeker)"
#: Page margins and column widths of the A4 worksheet, in mm (fits 210 mm minus margins).
MARGIN_MM = 15
COLUMN_MM = (12, 88, 20, 16, 16, 28)
BODY_PT = 8.5
#: Footer baseline above the bottom edge, inside the bottom margin.
FOOTER_MM = 8
#: Light grey header row and grid, readable when printed in black and white.
HEADER_GREY = colors.Color(0.88, 0.88, 0.88)
GRID_GREY = colors.Color(0.6, 0.6, 0.6)

Kind = Literal["tick", "rating", "speaking"]


@dataclass(frozen=True)
class Disagreement:
    """One cell or rating where observer 1 and 2 differ."""

    participant: str
    dimension: str
    kind: Kind
    item: int | None
    item_text: str | None
    #: Human-readable time: "minuut 10–15" for a window, "12:00–13:30" for speaking bins.
    when: str
    observer_1: str
    observer_2: str


def _window_label(window: int) -> str:
    return f"{(window - 1) * WINDOW_MINUTES}–{window * WINDOW_MINUTES}"


def _clock(seconds: int) -> str:
    return f"{seconds // SECONDS_PER_MINUTE}:{seconds % SECONDS_PER_MINUTE:02d}"


def _mark(checked: bool | None, status: str) -> str:
    if status == "missing":
        return NOT_READ
    return (TICKED if checked else NOT_TICKED) + (UNSURE if status == "flagged" else "")


def _rating_text(data: CaseData, participant: str, slot: str, dimension: str) -> str | None:
    read = data.rating(participant, slot, dimension)
    if read is None:
        return None
    unsure = UNSURE if read.status == "flagged" else ""
    if not read.values:
        return "geen" + unsure
    return " en ".join(signed(v) for v in read.values) + unsure


def _rating_disagreement(data: CaseData, participant: str, dimension: str) -> list[Disagreement]:
    first, second = (_rating_text(data, participant, slot, dimension) for slot in OBSERVER_SLOTS)
    if first is None or second is None or first == second:
        return []
    return [Disagreement(participant, dimension, "rating", None, None, "", first, second)]


def _tick_disagreements(data: CaseData, participant: str, dimension: str) -> list[Disagreement]:
    who = data.record.manifest.participant(participant)
    version = version_of(who)
    first = {(b.item, b.window): b for b in data.tick_boxes(participant, OBSERVER_SLOTS[0], dimension)}
    second = {(b.item, b.window): b for b in data.tick_boxes(participant, OBSERVER_SLOTS[1], dimension)}
    out = []
    for (item, window) in sorted(first, key=lambda k: (k[0] or 0, k[1] or 0)):
        a, b = first[(item, window)], second.get((item, window))
        if b is None or item is None or window is None or "missing" in (a.status, b.status):
            continue
        if bool(a.checked) != bool(b.checked):
            text = data.instrument.item(version, dimension, item).text
            out.append(Disagreement(participant, dimension, "tick", item, text, _window_label(window),
                                    _mark(a.checked, a.status), _mark(b.checked, b.status)))
    return out


def _speaking_disagreements(data: CaseData, participant: str) -> list[Disagreement]:
    """Runs of consecutive bins marked differently, as one row each."""
    first = {b.bin: b for b in data.boxes(participant, OBSERVER_SLOTS[0], SPREEKTIJD, "timeline")}
    second = {b.bin: b for b in data.boxes(participant, OBSERVER_SLOTS[1], SPREEKTIJD, "timeline")}
    differing = []
    for n in sorted(k for k in first if k is not None):
        a, b = first[n], second.get(n)
        if b is None or "missing" in (a.status, b.status):
            continue
        if bool(a.checked) != bool(b.checked):
            differing.append((n, _mark(a.checked, a.status), _mark(b.checked, b.status)))
    out: list[Disagreement] = []
    run: list[tuple[int, str, str]] = []
    for entry in [*differing, (-1, "", "")]:
        if run and (entry[0] != run[-1][0] + 1 or entry[1:] != run[-1][1:]):
            start, end = (run[0][0] - 1) * SECONDS_PER_BIN, run[-1][0] * SECONDS_PER_BIN
            out.append(Disagreement(participant, SPREEKTIJD, "speaking", None, None,
                                    f"{_clock(start)}–{_clock(end)}", run[0][1], run[0][2]))
            run = []
        if entry[0] > 0:
            run.append(entry)
    return out


def case_disagreements(data: CaseData) -> list[Disagreement]:
    """Every observer 1/2 disagreement of a case, in the order of the consensus discussion."""
    manifest = data.record.manifest
    out: list[Disagreement] = []
    for who in (*manifest.workers, *manifest.clients):
        for dimension in SOFTA_DIMENSIONS:
            out.extend(_tick_disagreements(data, who.code, dimension))
            if dimension in rated_dimensions(who):
                out.extend(_rating_disagreement(data, who.code, dimension))
    out.extend(_rating_disagreement(data, FAMILY, FAMILY_DIMENSION))
    out.extend(_rating_disagreement(data, SESSION, TAALGEBRUIK))
    for who in (*manifest.workers, *manifest.clients):
        out.extend(_speaking_disagreements(data, who.code))
    return out


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontName="Helvetica-Bold", fontSize=16),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName="Helvetica-Bold", fontSize=12,
                             spaceBefore=8, spaceAfter=4),
        "h3": ParagraphStyle("h3", parent=base["BodyText"], fontName="Helvetica-Bold", fontSize=BODY_PT + 1,
                             leading=(BODY_PT + 1) * 1.25),
        "body": ParagraphStyle("body", parent=base["BodyText"], fontName="Helvetica", fontSize=BODY_PT,
                               leading=BODY_PT * 1.25),
        "cell": ParagraphStyle("cell", parent=base["BodyText"], fontName="Helvetica", fontSize=BODY_PT,
                               leading=BODY_PT * 1.2),
    }


def _table(rows: list[list[object]]) -> Table:
    table = Table(rows, colWidths=[w * mm for w in COLUMN_MM], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", BODY_PT),
        ("FONT", (0, 1), (-1, -1), "Helvetica", BODY_PT),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_GREY),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID_GREY),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (2, 1), (4, -1), "CENTER"),
    ]))
    return table


def _participant_title(data: CaseData, participant: str) -> str:
    if participant in (FAMILY, SESSION):
        return "Gezin en sessie"
    return data.row_label(participant)


def _case_story(data: CaseData, styles: dict[str, ParagraphStyle]) -> list[object]:
    disagreements = case_disagreements(data)
    manifest = data.record.manifest
    story: list[object] = [
        Paragraph(escape(f"Consensuswerkblad casus {manifest.case}"), styles["title"]),
        Paragraph(escape(f"Sessie van {manifest.minutes} minuten. Alle verschillen tussen observator 1 en "
                         f"observator 2, in de volgorde van het consensusoverleg. {TICKED} = aangevinkt, "
                         f"{NOT_TICKED} = niet aangevinkt, '{UNSURE.strip()}' = de scanner twijfelde en niemand heeft het "
                         "nog bekeken. Vul in de laatste kolom het gezamenlijke besluit in "
                         "en neem het over op de consensusformulieren."), styles["body"]),
    ]
    if any(b.status == "missing" for b in data.record.boxes if b.slot in OBSERVER_SLOTS):
        story.append(Paragraph(escape("Let op: nog niet alle formulieren van observator 1 en 2 zijn gescand; "
                                      "alleen gescande pagina's zijn vergeleken."), styles["body"]))
    if not disagreements:
        story.append(Spacer(1, 4 * mm))
        story.append(Paragraph("Geen verschillen tussen observator 1 en observator 2.", styles["body"]))
        return story
    header: list[object] = ["Item", "Gedragsbeschrijving / beoordeling", "Minuut", "Obs. 1", "Obs. 2", "Consensus"]
    groups: dict[tuple[str, str], list[Disagreement]] = {}
    for d in disagreements:
        key = (_participant_title(data, d.participant) if d.kind != "speaking" else "Verdeling spreektijd",
               d.dimension if d.kind != "speaking" else SPREEKTIJD)
        groups.setdefault(key, []).append(d)
    current_title = None
    for (title, dimension), rows in groups.items():
        heading: list[object] = []
        if title != current_title:
            heading = [Paragraph(escape(title), styles["h2"])]  # kept on the page of its first table
            current_title = title
        table_rows: list[list[object]] = [header]
        last_item = None
        for d in rows:
            if d.kind == "tick":
                text = Paragraph(escape(d.item_text or ""), styles["cell"]) if d.item != last_item else ""
                table_rows.append([str(d.item) if d.item != last_item else "", text, d.when,
                                   d.observer_1, d.observer_2, ""])
                last_item = d.item
            elif d.kind == "rating":
                who = "" if d.participant not in (FAMILY, SESSION) else f" ({d.participant})"
                table_rows.append(["", Paragraph(escape(f"Beoordeling {dimension_label(d.dimension)}{who}"),
                                                 styles["cell"]), "", d.observer_1, d.observer_2, ""])
            else:
                table_rows.append(["", Paragraph(escape(data.row_label(d.participant) + " spreekt"),
                                                 styles["cell"]), d.when, d.observer_1, d.observer_2, ""])
        story.append(KeepTogether([*heading, Paragraph(escape(dimension_label(dimension)), styles["h3"]),
                                   Spacer(1, 1 * mm), _table(table_rows), Spacer(1, 3 * mm)]))
    return story


def _footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
    """Page number and what the sheet is, at the bottom of every page."""
    canvas.saveState()
    canvas.setFont("Helvetica", BODY_PT - 1)
    canvas.drawString(MARGIN_MM * mm, FOOTER_MM * mm, "SOFTA-NL consensuswerkblad")
    canvas.drawRightString(A4[0] - MARGIN_MM * mm, FOOTER_MM * mm, f"pagina {doc.page}")
    canvas.restoreState()


def write_worksheet(conn: sqlite3.Connection, case_ids: Sequence[str], path: Path) -> Path:
    """Write the consensus worksheet of the given cases as one A4 PDF (a new page per case).

    Deterministic: the same database gives the same bytes (reportlab's invariant mode).
    """
    from reportlab.platypus import PageBreak

    styles = _styles()
    story: list[object] = []
    for n, case_id in enumerate(case_ids):
        if n:
            story.append(PageBreak())
        story.extend(_case_story(CaseData.load(conn, case_id), styles))
    if not story:
        raise SoftaError(_("no cases to put on the consensus worksheet"), hint=_("give --case N or add cases first"))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=MARGIN_MM * mm, rightMargin=MARGIN_MM * mm,
                                topMargin=MARGIN_MM * mm, bottomMargin=MARGIN_MM * mm,
                                title="Consensuswerkblad SOFTA-NL", author="softa-forms",
                                invariant=1)  # fixed dates and ids: the same data gives the same bytes
        doc.build(story, onFirstPage=_footer, onLaterPages=_footer)
    except OSError as exc:
        raise SoftaError(_("{path}: cannot write the consensus worksheet ({error})").format(path=path, error=exc),
                         hint=_("choose a folder you can write to")) from exc
    return path
