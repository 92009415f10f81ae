"""Deterministic xlsx writing and the shared sheet styles.

openpyxl stamps the workbook properties with the current time and the zip
entries with the time of writing; both are fixed here so the same database
gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

#: Fixed timestamp for workbook properties and zip entries (zip cannot go before 1980).
FIXED_TIME = dt.datetime(2000, 1, 1, 0, 0, 0)
ZIP_TIME = (2000, 1, 1, 0, 0, 0)
CORE_PROPERTIES = "docProps/core.xml"
#: openpyxl writes the time of saving into <dcterms:modified> whatever the property says.
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
#: Width of a column nobody set (Excel's default).
DEFAULT_COLUMN_WIDTH = 8.43

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
TITLE_FONT = Font(bold=True, size=13)
SUBTITLE_FONT = Font(bold=True)
NOTE_FONT = Font(italic=True, color="9C0006")
#: Shaded speaking-time cell, like the manual's Excel format.
SPEAK_FILL = PatternFill("solid", fgColor="5B9BD5")
#: White digits on the shaded cell: reads as a solid bar, the 1 stays visible.
SPEAK_FONT = Font(color="FFFFFF", bold=True)
MISSING_FILL = PatternFill("solid", fgColor="FFC7CE")
TOTAL_FILL = PatternFill("solid", fgColor="DDEBF7")
THIN = Side(style="thin", color="A6A6A6")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center")
WRAP = Alignment(wrap_text=True, vertical="top")


def new_workbook(title: str) -> Workbook:
    """An empty workbook (no default sheet) with fixed metadata."""
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "softa-forms"
    wb.properties.lastModifiedBy = "softa-forms"
    wb.properties.title = title
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    return wb


def header_row(ws: Worksheet, row: int, values: list[object], start_col: int = 1) -> None:
    """Write a styled header row."""
    for offset, value in enumerate(values):
        cell = ws.cell(row=row, column=start_col + offset, value=value)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = GRID


def set_widths(ws: Worksheet, widths: dict[int, float]) -> None:
    """Set column widths by 1-based column number."""
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width


#: Landscape A4 minus openpyxl's default side margins (0.75 inch each), in points.
PRINTABLE_WIDTH_PT = 297 / 25.4 * 72 - 2 * 0.75 * 72
#: Printed width of one unit of column width, in points. Excel with Calibri prints about 5.4 pt;
#: LibreOffice on a minimal Linux install (DejaVu Sans in place of Calibri) 7.0 pt, measured on its
#: PDF output. The wider figure is used so that a sheet fits in both.
CHAR_WIDTH_PT = 7.0
#: Printed text is never scaled below this share of its size: 11-pt text stays at least 8 pt on paper.
#: Wider sheets continue on further pages, with their label columns and header rows repeated.
MIN_PRINT_SCALE = 0.75
#: Every printed page names its sheet (participant and observer) and its place in the sheet.
PRINT_FOOTER = "&A · pagina &P van &N"


def sheet_width_pt(ws: Worksheet) -> float:
    """The width of the used columns when printed at 100 %, in points."""
    total = 0.0
    for col in range(1, ws.max_column + 1):
        width = ws.column_dimensions[get_column_letter(col)].width or DEFAULT_COLUMN_WIDTH
        total += width * CHAR_WIDTH_PT
    return total


def print_scale(ws: Worksheet) -> int:
    """Print scale in percent: the sheet's width on one page when that keeps text legible."""
    fit = PRINTABLE_WIDTH_PT / max(sheet_width_pt(ws), 1.0)
    return int(100 * min(1.0, max(MIN_PRINT_SCALE, fit)))


def print_setup(ws: Worksheet) -> None:
    """Landscape A4, legible scale, and the frozen header rows and label columns on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.scale = print_scale(ws)
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.oddFooter.center.text = PRINT_FOOTER
    if ws.freeze_panes:
        frozen = ws[ws.freeze_panes]
        if frozen.row > 1:
            ws.print_title_rows = f"1:{frozen.row - 1}"
        if frozen.column > 1:
            ws.print_title_cols = f"A:{get_column_letter(frozen.column - 1)}"


#: Height of one line of wrapped 11-pt text, in points; spreadsheet programs do not always grow
#: rows for wrapped text themselves (LibreOffice keeps the default height).
WRAPPED_LINE_PT = 15.0
#: Column widths are in characters of the default font; wrapped text fits about this share of it.
WRAP_FILL = 0.9


def fit_wrapped_rows(ws: Worksheet) -> None:
    """Give every row with wrapped text the height its longest wrapped cell needs."""
    for row in ws.iter_rows():
        lines = 1
        for cell in row:
            if not isinstance(cell.value, str) or not (cell.alignment and cell.alignment.wrap_text):
                continue
            width = ws.column_dimensions[get_column_letter(cell.column)].width or DEFAULT_COLUMN_WIDTH
            per_line = max(1, int(width * WRAP_FILL))
            lines = max(lines, sum(math.ceil(max(1, len(part)) / per_line) for part in cell.value.split("\n")))
        if lines > 1:
            current = ws.row_dimensions[row[0].row].height or 0
            ws.row_dimensions[row[0].row].height = max(current, lines * WRAPPED_LINE_PT)


def keep_text_as_data(wb: Workbook) -> int:
    """Make every cell openpyxl took for a formula a plain text cell; return how many.

    openpyxl stores any string starting with ``=`` as a formula, so a
    transcription ``=HYPERLINK(...)`` or a role ``=1+2`` would run in Excel.
    softa writes no formulas of its own: every such cell is text a person
    typed, and is stored as a string (type ``s``) that shows exactly as typed.
    """
    changed = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
                    changed += 1
    return changed


def save_deterministic(wb: Workbook, path: Path) -> None:
    """Save with fixed timestamps inside and on every zip entry; atomic replace; typed text never a formula."""
    keep_text_as_data(wb)
    for ws in wb.worksheets:
        print_setup(ws)
        fit_wrapped_rows(ws)
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: (i.filename != "[Content_Types].xml", 0)):
            data = src.read(info.filename)
            if info.filename == CORE_PROPERTIES:
                stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                data = _MODIFIED.sub(rb"\g<1>" + stamp + rb"\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(out.getvalue())
    tmp.replace(path)
