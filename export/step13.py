"""The manual's step 13: three xlsx files per case under their exact names.

- ``..._SOFTA_hulpverlener_...``: per worker and observer slot the item x window
  grid of the paper form, per-item totals and the dimension ratings;
- ``..._SOFTA_client_...``: the same per family member, plus the family-level
  Gezamenlijke doelperceptie rating;
- ``..._gedragsdimensies_...``: taalgebruik, the spreektijd timeline with
  derived totals, explanations and notable moments, the self-assessment.

Every file has an agreement sheet (SOFTA files), a codebook sheet explaining
every column, and a "Let op" sheet when values were written as missing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.drawing.image import Image as XlImage
from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from export.agreement import (
    FIGURE_LABELS,
    INDICATIVE_WORD,
    MEASURE_LABELS,
    agreement_blocks,
    explanation,
    interval_text,
)
from export.names import step13_filename
from export.timefmt import mmss, share_percent, speaking_seconds
from export.values import SELF, CaseValues, case_values
from export.xlsx import (
    CENTER,
    GRID,
    MISSING_FILL,
    NOTE_FONT,
    SPEAK_FILL,
    SPEAK_FONT,
    SUBTITLE_FONT,
    TITLE_FONT,
    TOTAL_FILL,
    WRAP,
    header_row,
    new_workbook,
    save_deterministic,
    set_widths,
)
from softa.db import data_dir
from softa.instrument import (
    FAMILY,
    SESSION,
    SOFTA_DIMENSIONS,
    SPREEKTIJD_BALANS,
    TAALGEBRUIK,
    Slot,
    Version,
    load_instrument,
)
from softa.manifest import BIN_SECONDS, WINDOW_MINUTES
from validate.agreement import INDICATIVE_BELOW_N
from validate.agreement_report import VERSION_LABELS
from validate.model import AgreementBlock
from validate.wording import dimension_label

#: Shown in a cell whose value is missing (unresolved, exported with --allow-unresolved).
MISSING_MARK = "?"
#: Width of the "Let op" sheet's note column, in characters: the width of a landscape A4 page.
NOTE_WIDTH = 100
#: Grid sheets: the dimension, item text, 5-minute window and score columns, in characters; narrow
#: enough that a 60-minute session prints on one page width at a legible scale.
GRID_DIMENSION_WIDTH = 12
GRID_TEXT_WIDTH = 40
WINDOW_WIDTH = 4
TOTAL_WIDTH = 6.5
SCORE_WIDTH = 7
SCORE_LABEL_WIDTH = 16
#: Speaking-time bins: the mm:ss header is written upright (rotated) so it never wraps in a narrow column.
BIN_WIDTH = 3
BIN_HEADER_ROTATION = 90
BIN_HEADER_HEIGHT_PT = 40
#: Largest embedded crop, in pixels, so notable-moment images stay readable but small.
MAX_IMAGE_WIDTH_PX = 700
#: Rows an embedded image occupies (default row height is 15 pt = 20 px).
ROW_HEIGHT_PX = 20
SLOT_LABELS = {s.value: s.label for s in Slot} | {SELF: "Zelfbeoordeling"}
FIRST_GRID_COL = 5  # A dimensie, B nr, C gedragsbeschrijving, D +/-; windows from E
AGREEMENT_VALUE_COLUMN = 8  # "Waarde" on the agreement sheet


@dataclass
class Codebook:
    """Rows of the codebook sheet: (sheet, column, meaning), collected while sheets are written."""

    rows: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, sheet: str, column: str, meaning: str) -> None:
        self.rows.append((sheet, column, meaning))


@dataclass(frozen=True)
class Step13Result:
    files: tuple[Path, ...]
    notes: tuple[str, ...]


def _sheet_title(code: str, slot: str) -> str:
    return f"{code} {SLOT_LABELS[slot]}"[:31]


def _window_end(manifest_minutes: int, window: int) -> int:
    return min(window * WINDOW_MINUTES, manifest_minutes)


def _put(ws: Worksheet, row: int, col: int, value: int | None, *, fill_on_one: bool = False) -> None:
    cell = ws.cell(row=row, column=col, value=MISSING_MARK if value is None else value)
    cell.alignment = CENTER
    cell.border = GRID
    if value is None:
        cell.fill = MISSING_FILL
    elif fill_on_one and value == 1:
        cell.fill = SPEAK_FILL


def _grid_sheet(wb: Workbook, values: CaseValues, code: str, slot: str, book: Codebook) -> None:
    """One participant and slot: per dimension the item x window grid, totals and the rating."""
    inst = load_instrument()
    who = values.manifest.participant(code)
    version: Version = "therapist" if who.is_worker else "client"
    ws = wb.create_sheet(_sheet_title(code, slot))
    windows = values.manifest.windows
    total_col = FIRST_GRID_COL + windows
    ws.cell(row=1, column=1, value=f"Casus {values.case} · {code} ({who.role}) · {SLOT_LABELS[slot]}").font = TITLE_FONT
    row = 3
    for dim_key in SOFTA_DIMENSIONS:
        grid = values.ticks.get((code, slot, dim_key))
        if grid is None:
            continue
        dim = inst.dimension(dim_key)
        ws.cell(row=row, column=1, value=dim.title(version)).font = SUBTITLE_FONT
        row += 1
        header_row(ws, row, ["Dimensie", "Nr", "Gedragsbeschrijving", "+/-",
                             *[_window_end(values.manifest.minutes, w) for w in range(1, windows + 1)], "Totaal",
                             "Score", "Betekenis"])
        row += 1
        for item in inst.items_of(version, dim_key):
            ws.cell(row=row, column=1, value=dim.name).alignment = WRAP
            ws.cell(row=row, column=2, value=item.number).alignment = CENTER
            ws.cell(row=row, column=3, value=item.text).alignment = WRAP
            ws.cell(row=row, column=4, value=item.polarity).alignment = CENTER
            cells = [grid.get((item.number, w)) for w in range(1, windows + 1)]
            for w, value in enumerate(cells):
                _put(ws, row, FIRST_GRID_COL + w, value)
            total = None if any(v is None for v in cells) else sum(v or 0 for v in cells)
            _put(ws, row, total_col, total)
            ws.cell(row=row, column=total_col).fill = TOTAL_FILL if total is not None else MISSING_FILL
            row += 1
        rating = values.ratings.get((code, slot, dim_key))
        if (code, slot, dim_key) in values.ratings:
            ws.cell(row=row, column=1, value=dim.name).alignment = WRAP
            ws.cell(row=row, column=2, value="B").alignment = CENTER
            ws.cell(row=row, column=3, value=dim.rating_question(version)).font = SUBTITLE_FONT
            ws.cell(row=row, column=3).alignment = WRAP
            _put(ws, row, total_col + 1, rating)
            ws.cell(row=row, column=total_col + 2,
                    value=inst.scale_label(rating) if rating is not None else "ontbreekt").alignment = WRAP
            row += 1
        row += 1
    set_widths(ws, {1: GRID_DIMENSION_WIDTH, 2: 4, 3: GRID_TEXT_WIDTH, 4: 4,
                    **{FIRST_GRID_COL + w: WINDOW_WIDTH for w in range(windows)}, total_col: TOTAL_WIDTH,
                    total_col + 1: SCORE_WIDTH, total_col + 2: SCORE_LABEL_WIDTH})
    ws.freeze_panes = ws.cell(row=3, column=FIRST_GRID_COL)
    if not any(r[0] == "<deelnemer> <observator>" for r in book.rows):
        sheet = "<deelnemer> <observator>"
        book.add(sheet, "Dimensie", "Alliantiedimensie van de SOFTA-NL (Betrokkenheid, Emotionele band, Veiligheid, "
                                    "Gezamenlijke doelperceptie).")
        book.add(sheet, "Nr", "Nummer van de gedragsbeschrijving zoals op het papieren codeerformulier; "
                              "'B' = de globale beoordeling van de dimensie.")
        book.add(sheet, "Gedragsbeschrijving", "Tekst van de gedragsbeschrijving (indicator) uit Bijlage 2; "
                                               "bij 'B' de beoordelingsvraag.")
        book.add(sheet, "+/-", "Positieve (+) of negatieve (-) indicator van de dimensie.")
        book.add(sheet, "5, 10, 15, ...", "Tijdvak van 5 minuten, genoemd naar de eindminuut: 1 = gedrag kwam in dit "
                                          "tijdvak voor, 0 = niet; '?' = ontbrekend (niet opgelost).")
        book.add(sheet, "Totaal", "Aantal tijdvakken waarin het gedrag voorkwam (som van de rij); '?' als een "
                                  "tijdvak ontbreekt.")
        book.add(sheet, "Score", "Alleen in de rij 'B': de beoordeling van de dimensie, -3 tot +3; '?' = "
                                 "ontbrekend.")
        book.add(sheet, "Betekenis", "Alleen in de rij 'B': de betekenis van de score volgens de handleiding "
                                     "(stap 7).")


def _ratings_sheet(wb: Workbook, values: CaseValues, codes: list[str], book: Codebook,
                   family: bool) -> None:
    """Tidy table of every rating in the file: one row per participant, observer and dimension."""
    inst = load_instrument()
    ws = wb.create_sheet("Beoordelingen")
    header_row(ws, 1, ["Deelnemer", "Rol", "Observator", "Dimensie", "Score", "Betekenis"])
    row = 2
    roles = {p.code: p.role for p in values.manifest.participants} | {FAMILY: "gezin als geheel"}
    for code in [*codes, *([FAMILY] if family else [])]:
        for slot in (s.value for s in Slot):
            for dim_key in SOFTA_DIMENSIONS:
                if (code, slot, dim_key) not in values.ratings:
                    continue
                value = values.ratings[(code, slot, dim_key)]
                ws.cell(row=row, column=1, value=code)
                ws.cell(row=row, column=2, value=roles.get(code, ""))
                ws.cell(row=row, column=3, value=SLOT_LABELS[slot])
                ws.cell(row=row, column=4, value=inst.dimension(dim_key).name)
                _put(ws, row, 5, value)
                ws.cell(row=row, column=6, value=inst.scale_label(value) if value is not None else "ontbreekt")
                row += 1
    set_widths(ws, {1: 11, 2: 18, 3: 15, 4: 28, 5: 8, 6: 26})
    ws.freeze_panes = "A2"
    book.add("Beoordelingen", "Deelnemer", "Code van de deelnemer (H = hulpverlener, C = cliënt; 'gezin' = het "
                                           "gezin als geheel, alleen voor Gezamenlijke doelperceptie).")
    book.add("Beoordelingen", "Rol", "Rol van de deelnemer volgens de casusgegevens (nooit een naam).")
    book.add("Beoordelingen", "Observator", "Observator 1, Observator 2 of Consensus (gezamenlijke beoordeling).")
    book.add("Beoordelingen", "Dimensie", "Alliantiedimensie.")
    book.add("Beoordelingen", "Score", "Globale beoordeling op de 7-puntsschaal -3 tot +3; '?' = ontbrekend.")
    book.add("Beoordelingen", "Betekenis", "Betekenis van de score volgens de handleiding (stap 7).")


def _agreement_sheet(wb: Workbook, values: CaseValues, keep: Callable[[AgreementBlock], bool], book: Codebook) -> None:
    """Observer 1 vs observer 2: the figures of `softa validate`, per named group, for this file's values."""
    ws = wb.create_sheet("Overeenstemming")
    header_row(ws, 1, ["Groep", "Meting", "Deelnemer", "Dimensie", "Item", "Formulier", "Maat", "Waarde",
                       "95%-interval", "Aantal (n)", "Indicatief", "Toelichting", "Methode"])
    row = 2
    for block in agreement_blocks(values):
        if not keep(block):
            continue
        for fig in block.figures:
            cells = [block.group_label, MEASURE_LABELS.get(block.measure, block.measure), block.participant or "-",
                     dimension_label(block.dimension) if block.dimension else "-",
                     block.item if block.item is not None else "-",
                     VERSION_LABELS.get(block.version or "", "-"), FIGURE_LABELS.get(fig.name, fig.name),
                     None if fig.value is None else round(fig.value, 3), interval_text(fig), fig.n,
                     INDICATIVE_WORD if fig.indicative else "", explanation(fig), fig.method]
            for column, value in enumerate(cells, start=1):
                cell = ws.cell(row=row, column=column, value=value)
                if column == AGREEMENT_VALUE_COLUMN:
                    cell.number_format = "0.000"
            row += 1
    for text_row in ws.iter_rows(min_row=2, min_col=1, max_col=13):
        for cell in (text_row[0], text_row[1], text_row[6], text_row[11], text_row[12]):
            cell.alignment = WRAP
    set_widths(ws, {1: 22, 2: 18, 3: 9, 4: 16, 5: 5, 6: 12, 7: 20, 8: 7, 9: 12, 10: 7, 11: 9, 12: 40, 13: 30})
    ws.freeze_panes = "A2"
    book.add("Overeenstemming", "Groep", "Welke waarden vergeleken zijn. Groepen worden nooit samengevoegd: "
                                         "bijdragen van de hulpverlener, de beoordelingen van elke cliënt, de "
                                         "Gezamenlijke doelperceptie van het gezin en taalgebruik staan apart.")
    book.add("Overeenstemming", "Meting", "Vinkjes per tijdvak, beoordelingen of spreektijd.")
    book.add("Overeenstemming", "Deelnemer", "Deelnemer waarover de maat gaat ('-' = de hele groep).")
    book.add("Overeenstemming", "Dimensie", "Dimensie waarover de maat gaat ('-' = de dimensies van de groep samen).")
    book.add("Overeenstemming", "Item", "Nummer van de gedragsbeschrijving ('-' = de items van de groep samen).")
    book.add("Overeenstemming", "Formulier", "Cliëntversie of hulpverlenersversie (de itemnummers verschillen).")
    book.add("Overeenstemming", "Maat", "Overeenstemmingsmaat tussen observator 1 en observator 2.")
    book.add("Overeenstemming", "Waarde", "Waarde van de maat (0-1 voor percentages, -1 tot 1 voor kappa, AC1, ICC "
                                          "en alfa; seconden voor het spreektijdverschil); leeg = niet te berekenen "
                                          "(zie Toelichting).")
    book.add("Overeenstemming", "95%-interval", "95%-betrouwbaarheidsinterval (alleen bij de ICC).")
    book.add("Overeenstemming", "Aantal (n)", "Aantal vergelijkingen waarop de maat rust: cellen, vakjes of "
                                              "beoordelingsparen (bij positieve/negatieve overeenstemming: de "
                                              "cellen die minstens één observator aan- of uitvinkte).")
    book.add("Overeenstemming", "Indicatief", f"'{INDICATIVE_WORD}' als n kleiner is dan {INDICATIVE_BELOW_N}: "
                                              "de waarde is dan alleen een aanwijzing.")
    book.add("Overeenstemming", "Toelichting", "Wat de maat betekent, of waarom de maat niet te berekenen is.")
    book.add("Overeenstemming", "Methode", "De berekening in technische termen (formule of softwarefunctie), zoals "
                                           "softa validate --format json die ook geeft.")


def _notes_sheet(wb: Workbook, values: CaseValues, book: Codebook) -> None:
    if not values.problems:
        return
    ws = wb.create_sheet("Let op", 0)
    ws.cell(row=1, column=1, value="Geëxporteerd met --allow-unresolved: onderstaande waarden zijn niet opgelost "
                                   "en staan als ontbrekend ('?') in dit bestand.").font = NOTE_FONT
    ws.cell(row=1, column=1).alignment = WRAP
    for n, note in enumerate(values.notes(), start=3):
        ws.cell(row=n, column=1, value=note).alignment = WRAP
    set_widths(ws, {1: NOTE_WIDTH})
    book.add("Let op", "A", "Wat bij het exporteren nog niet was opgelost; die waarden ontbreken ('?').")


def _codebook_sheet(wb: Workbook, values: CaseValues, book: Codebook) -> None:
    ws = wb.create_sheet("Codeboek")
    ws.cell(row=1, column=1, value=f"Codeboek · casus {values.case} · SOFTA-NL").font = TITLE_FONT
    header_row(ws, 3, ["Blad", "Kolom", "Betekenis"])
    for n, (sheet, column, meaning) in enumerate(book.rows, start=4):
        ws.cell(row=n, column=1, value=sheet)
        ws.cell(row=n, column=2, value=column)
        ws.cell(row=n, column=3, value=meaning).alignment = WRAP
    set_widths(ws, {1: 26, 2: 24, 3: 100})
    ws.freeze_panes = "A4"


def _softa_workbook(values: CaseValues, workers: bool) -> Workbook:
    manifest = values.manifest
    who = manifest.workers if workers else manifest.clients
    codes = [p.code for p in who]
    wb = new_workbook(f"SOFTA {'hulpverlener' if workers else 'cliënt'} · casus {manifest.case}")
    book = Codebook()
    for code in codes:
        for slot in Slot:
            _grid_sheet(wb, values, code, slot.value, book)
    if not workers:
        _family_sheet(wb, values, book)
    _ratings_sheet(wb, values, codes, book, family=not workers)
    version = "therapist" if workers else "client"
    _agreement_sheet(wb, values, lambda b: b.measure != "speaking_time" and b.group != "ratings.taalgebruik" and (
        b.participant in codes or (b.participant == FAMILY and not workers)
        or (b.participant is None and b.version == version)), book)
    _notes_sheet(wb, values, book)
    _codebook_sheet(wb, values, book)
    return wb


def _family_sheet(wb: Workbook, values: CaseValues, book: Codebook) -> None:
    inst = load_instrument()
    dim = inst.dimension("gezamenlijke_doelperceptie")
    ws = wb.create_sheet("Gezin")
    ws.cell(row=1, column=1, value=dim.client_title).font = TITLE_FONT
    ws.cell(row=2, column=1, value="Eén beoordeling voor het gezin als geheel (handleiding stap 7).")
    header_row(ws, 4, ["Observator", "Score", "Betekenis"])
    for n, slot in enumerate(Slot, start=5):
        value = values.ratings.get((FAMILY, slot.value, dim.key))
        ws.cell(row=n, column=1, value=slot.label)
        _put(ws, n, 2, value)
        ws.cell(row=n, column=3, value=inst.scale_label(value) if value is not None else "ontbreekt")
    set_widths(ws, {1: 16, 2: 8, 3: 28})
    book.add("Gezin", "Observator", "Observator 1, Observator 2 of Consensus.")
    book.add("Gezin", "Score", "Beoordeling Gezamenlijke doelperceptie van het gezin als geheel, -3 tot +3; "
                               "'?' = ontbrekend.")
    book.add("Gezin", "Betekenis", "Betekenis van de score volgens de handleiding.")


def _timeline_sheet(wb: Workbook, values: CaseValues, slot: str, book: Codebook) -> None:
    manifest = values.manifest
    ws = wb.create_sheet(f"Spreektijd {SLOT_LABELS[slot]}"[:31])
    ws.cell(row=1, column=1, value=f"Verdeling spreektijd · {SLOT_LABELS[slot]} · casus {manifest.case}").font = \
        TITLE_FONT
    first_bin_col = 3
    bins = manifest.bins
    totals_col = first_bin_col + bins
    header_row(ws, 3, ["Deelnemer", "Rol", *[mmss(b * BIN_SECONDS) for b in range(bins)],
                       "Totaal (sec)", "Totaal (mm:ss)", "Aandeel sessie (%)"])
    session_seconds = manifest.minutes * 60
    for n, who in enumerate(manifest.participants, start=4):
        cells = values.timeline.get((who.code, slot), [])
        ws.cell(row=n, column=1, value=who.code)
        ws.cell(row=n, column=2, value=who.role)
        for b, value in enumerate(cells):
            _put(ws, n, first_bin_col + b, value, fill_on_one=True)
            if value == 1:
                ws.cell(row=n, column=first_bin_col + b).font = SPEAK_FONT
        seconds = speaking_seconds(cells, BIN_SECONDS)
        ws.cell(row=n, column=totals_col, value=seconds if seconds is not None else MISSING_MARK)
        ws.cell(row=n, column=totals_col + 1, value=mmss(seconds) if seconds is not None else MISSING_MARK)
        ws.cell(row=n, column=totals_col + 2,
                value=share_percent(seconds, session_seconds) if seconds is not None else MISSING_MARK)
        for col in range(totals_col, totals_col + 3):
            ws.cell(row=n, column=col).fill = TOTAL_FILL
            ws.cell(row=n, column=col).alignment = CENTER
    set_widths(ws, {1: 11, 2: 16, **{first_bin_col + b: BIN_WIDTH for b in range(bins)},
                    totals_col: 12, totals_col + 1: 14, totals_col + 2: 17})
    for b in range(bins):
        ws.cell(row=3, column=first_bin_col + b).alignment = Alignment(
            horizontal="center", vertical="bottom", text_rotation=BIN_HEADER_ROTATION)
    ws.row_dimensions[3].height = BIN_HEADER_HEIGHT_PT
    ws.freeze_panes = ws.cell(row=4, column=first_bin_col)
    if not any(r[0] == "Spreektijd <observator>" for r in book.rows):
        sheet = "Spreektijd <observator>"
        book.add(sheet, "Deelnemer", "Code van de deelnemer (H = hulpverlener, C = cliënt).")
        book.add(sheet, "Rol", "Rol van de deelnemer (nooit een naam).")
        book.add(sheet, "0:00, 0:30, ...", "Tijdvak van 30 seconden, genoemd naar de begintijd (mm:ss). 1 (gekleurd "
                                           "vak) = de deelnemer was in dit tijdvak aan het woord, 0 = niet; '?' = "
                                           "ontbrekend. Begin en einde van spreken worden naar buiten afgerond "
                                           "(handleiding stap 11).")
        book.add(sheet, "Totaal (sec)", "Afgeleide totale spreektijd: aantal gemarkeerde tijdvakken x 30 seconden.")
        book.add(sheet, "Totaal (mm:ss)", "Dezelfde totale spreektijd in minuten:seconden.")
        book.add(sheet, "Aandeel sessie (%)", f"Totale spreektijd als percentage van de sessieduur "
                                              f"({manifest.minutes} minuten); de som over deelnemers kan boven 100 "
                                              "uitkomen als mensen door elkaar praten.")


def _rating_text(value: int | None) -> str:
    return load_instrument().scale_label(value) if value is not None else "ontbreekt"


def _region_cell(ws: Worksheet, row: int, col: int, region_text: str | None, image: Path | None) -> int:
    """Write a transcription, or embed the cropped image; return the rows used."""
    if region_text is not None:
        ws.cell(row=row, column=col, value=region_text).alignment = WRAP
        return 1
    if image is None or not image.is_file():
        ws.cell(row=row, column=col, value="(geen tekst en geen afbeelding beschikbaar)").font = NOTE_FONT
        return 1
    picture = XlImage(str(image))
    if picture.width > MAX_IMAGE_WIDTH_PX:
        scale = MAX_IMAGE_WIDTH_PX / picture.width
        picture.width, picture.height = MAX_IMAGE_WIDTH_PX, round(picture.height * scale)
    ws.cell(row=row, column=col, value="(handgeschreven, nog niet overgetypt: zie afbeelding)").font = NOTE_FONT
    ws.add_image(picture, ws.cell(row=row + 1, column=col).coordinate)
    return 2 + int(picture.height) // ROW_HEIGHT_PX


def _texts_sheet(wb: Workbook, values: CaseValues, images: Path | None, book: Codebook) -> None:
    ws = wb.create_sheet("Toelichting en momenten")
    header_row(ws, 1, ["Observator", "Onderdeel", "Tekst"])
    row = 2
    for region in sorted(values.regions, key=lambda r: ([s.value for s in Slot].index(r.slot or "consensus"),
                                                         r.region_id)):
        ws.cell(row=row, column=1, value=SLOT_LABELS.get(region.slot or "", ""))
        ws.cell(row=row, column=2, value=region.label).alignment = WRAP
        text = region.transcription if region.status == "transcribed" else None
        image = images / region.image_path if images is not None and region.image_path else None
        row += _region_cell(ws, row, 3, text, image)
    set_widths(ws, {1: 15, 2: 40, 3: 100})
    ws.freeze_panes = "A2"
    book.add("Toelichting en momenten", "Observator", "Wie het schreef: Observator 1, 2 of Consensus.")
    book.add("Toelichting en momenten", "Onderdeel", "Toelichting taalgebruik, toelichting spreektijd of opvallend "
                                                     "moment 1/2 (handleiding stap 10-12).")
    book.add("Toelichting en momenten", "Tekst", "De overgetypte tekst; als die er nog niet is, de uitgeknipte "
                                                 "afbeelding van het handgeschreven vak. Getypte tekst staat er altijd "
                                                 "als tekst in, nooit als formule: ook een tekst die met = begint "
                                                 "wordt letterlijk getoond.")


def _taal_sheet(wb: Workbook, values: CaseValues, book: Codebook) -> None:
    inst = load_instrument()
    ws = wb.create_sheet("Taalgebruik")
    ws.cell(row=1, column=1, value=inst.extra["taalgebruik"]["title"]).font = TITLE_FONT
    ws.cell(row=2, column=1, value=inst.extra["taalgebruik"]["question"])
    header_row(ws, 4, ["Observator", "Score", "Betekenis"])
    for n, slot in enumerate(Slot, start=5):
        value = values.ratings.get((SESSION, slot.value, TAALGEBRUIK))
        ws.cell(row=n, column=1, value=slot.label)
        _put(ws, n, 2, value)
        ws.cell(row=n, column=3, value=_rating_text(value))
    set_widths(ws, {1: 16, 2: 8, 3: 60})
    book.add("Taalgebruik", "Observator", "Observator 1, Observator 2 of Consensus.")
    book.add("Taalgebruik", "Score", "Overeenstemming in taalgebruik, -3 tot +3 (Bijlage 4); '?' = ontbrekend.")
    book.add("Taalgebruik", "Betekenis", "Betekenis van de score volgens de handleiding.")


def _self_sheet(wb: Workbook, values: CaseValues, book: Codebook) -> None:
    inst = load_instrument()
    ws = wb.create_sheet("Zelfbeoordeling")
    header_row(ws, 1, ["Hulpverlener", "Dimensie", "Score", "Schaal"])
    row = 2
    for worker in values.manifest.workers:
        for dim_key in (*SOFTA_DIMENSIONS, TAALGEBRUIK, SPREEKTIJD_BALANS):
            if (worker.code, SELF, dim_key) not in values.ratings:
                continue
            value = values.ratings[(worker.code, SELF, dim_key)]
            name = inst.dimension(dim_key).name if dim_key in SOFTA_DIMENSIONS else (
                inst.extra["taalgebruik"]["title"] if dim_key == TAALGEBRUIK else "Balans in spreektijd")
            ws.cell(row=row, column=1, value=worker.code)
            ws.cell(row=row, column=2, value=name)
            _put(ws, row, 3, value)
            ws.cell(row=row, column=4, value="0 = geen balans, 10 = goede balans" if dim_key == SPREEKTIJD_BALANS
                    else "-3 tot +3")
            row += 1
    set_widths(ws, {1: 13, 2: 36, 3: 8, 4: 36})
    book.add("Zelfbeoordeling", "Hulpverlener", "Code van de hulpverlener die zichzelf beoordeelde.")
    book.add("Zelfbeoordeling", "Dimensie", "Dimensie van de zelfbeoordeling.")
    book.add("Zelfbeoordeling", "Score", "Zelfbeoordeling: -3 tot +3, balans in spreektijd 0 tot 10; '?' = ontbrekend.")
    book.add("Zelfbeoordeling", "Schaal", "De schaal van de score.")


def _behaviour_workbook(values: CaseValues, images: Path | None) -> Workbook:
    wb = new_workbook(f"Gedragsdimensies · casus {values.case}")
    book = Codebook()
    _taal_sheet(wb, values, book)
    for slot in Slot:
        _timeline_sheet(wb, values, slot.value, book)
    _texts_sheet(wb, values, images, book)
    _self_sheet(wb, values, book)
    _agreement_sheet(wb, values, lambda b: b.measure == "speaking_time" or b.group == "ratings.taalgebruik", book)
    _notes_sheet(wb, values, book)
    _codebook_sheet(wb, values, book)
    return wb


def database_images(conn: sqlite3.Connection) -> Path | None:
    """The folder where the database keeps page images and crops (None for an in-memory database)."""
    row = conn.execute("PRAGMA database_list").fetchone()
    return data_dir(Path(row[2])) if row is not None and row[2] else None


def write_step13(conn: sqlite3.Connection, case_id: str, out_dir: Path, *, allow_unresolved: bool = False,
                 values: CaseValues | None = None) -> Step13Result:
    """Write the three step-13 xlsx files of a case into ``out_dir``; refuse unresolved data unless allowed."""
    if values is None:
        values = case_values(conn, case_id, allow_unresolved=allow_unresolved)
    manifest = values.manifest
    images = database_images(conn)
    books = {
        "hulpverlener": _softa_workbook(values, workers=True),
        "client": _softa_workbook(values, workers=False),
        "gedragsdimensies": _behaviour_workbook(values, images),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for form, wb in books.items():
        path = out_dir / step13_filename(manifest, form)
        save_deterministic(wb, path)
        files.append(path)
    return Step13Result(files=tuple(files), notes=tuple(values.notes()))

