"""The step-13 workbooks print on A4 the way they are used: checked on LibreOffice's own rendering.

LibreOffice (Debian's libreoffice-calc-nogui, installed by `.ci/run`) turns each workbook into a
PDF; the PDF's text and character boxes are then read with pypdfium2.
"""

from __future__ import annotations

import math
import shutil
import statistics
import subprocess
from pathlib import Path

import openpyxl
import pypdfium2 as pdfium
import pytest

from export.names import step13_filenames
from export.step13 import write_step13
from softa.layout import POINTS_PER_MM
from tests.stored_case import StoredCase, stored_case

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed: "
                                                        "apt install libreoffice-calc-nogui")
#: Digits are about this share of the font size tall (cap height of the sans fonts LibreOffice uses).
DIGIT_HEIGHT_PER_PT = 0.72
#: The smallest printed text the files may have: the guide's "readable on A4".
MIN_PRINTED_PT = 7.9
#: Text may not come closer to the paper's edge than this (the sheet is cut off otherwise).
MIN_EDGE_MM = 5.0
CONVERT_TIMEOUT_S = 180
#: Rotated characters of one label share their baseline to within this (points).
SAME_BASELINE_PT = 1.0


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> StoredCase:
    return stored_case(tmp_path_factory.mktemp("db") / "softa.sqlite", seed=5)


@pytest.fixture(scope="module")
def printed(case: StoredCase, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """form -> (workbook, the PDF LibreOffice printed of it)."""
    out = tmp_path_factory.mktemp("xlsx")
    write_step13(case.conn, case.manifest.case, out)
    books = {form: out / name for form, name in step13_filenames(case.manifest).items()}
    profile = tmp_path_factory.mktemp("lo-profile")
    subprocess.run([str(SOFFICE), f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(out), *map(str, books.values())],
                   check=True, capture_output=True, timeout=CONVERT_TIMEOUT_S)
    return {form: (book, book.with_suffix(".pdf")) for form, book in books.items()}


def _pages(pdf_path: Path) -> list[tuple[str, list[tuple[float, float, float, float]], float]]:
    """Per page: its text, the boxes of its digits, and the page's width in points."""
    pages = []
    for page in pdfium.PdfDocument(pdf_path):
        text_page = page.get_textpage()
        text = text_page.get_text_range()
        digits = [text_page.get_charbox(k) for k in range(min(text_page.count_chars(), len(text)))
                  if text[k].isdigit()]
        pages.append((text, digits, page.get_width()))
    return pages


def test_every_page_is_legible_and_nothing_is_cut_off(printed: dict[str, tuple[Path, Path]]) -> None:
    for form, (_book, pdf_path) in printed.items():
        for number, (text, digits, width_pt) in enumerate(_pages(pdf_path), start=1):
            if not digits:
                continue
            size = statistics.median(top - bottom for _l, bottom, _r, top in digits) / DIGIT_HEIGHT_PER_PT
            assert size >= MIN_PRINTED_PT, f"{form} page {number}: text printed at {size:.1f} pt ({text[:40]!r})"
            rightmost = max(right for _l, _b, right, _t in digits)
            assert rightmost <= width_pt - MIN_EDGE_MM * POINTS_PER_MM, f"{form} page {number} is cut off"


def test_every_page_names_its_sheet_and_the_participants(printed: dict[str, tuple[Path, Path]],
                                                         case: StoredCase) -> None:
    book, pdf_path = printed["gedragsdimensies"]
    sheets = openpyxl.load_workbook(book).sheetnames
    timeline_pages = 0
    for number, (text, _digits, _width) in enumerate(_pages(pdf_path), start=1):
        named = [sheet for sheet in sheets if sheet in text]
        assert named, f"page {number} does not say which sheet it is"
        if any(sheet.startswith("Spreektijd") for sheet in named):
            timeline_pages += 1
            for who in case.manifest.participants:
                assert who.code in text and who.role in text, f"page {number} lacks {who.code}"
    assert timeline_pages >= 3


def test_speaking_time_headers_stay_whole(printed: dict[str, tuple[Path, Path]], case: StoredCase) -> None:
    """Each mm:ss bin label prints upright in one column of characters, never wrapped to two lines."""
    _book, pdf_path = printed["gedragsdimensies"]
    labels: set[str] = set()
    for page in pdfium.PdfDocument(pdf_path):
        text_page = page.get_textpage()
        text = text_page.get_text_range()
        rotated: list[tuple[float, float, str]] = []
        for k in range(min(text_page.count_chars(), len(text))):
            if text[k].isdigit() or text[k] == ":":
                left, bottom, right, top = text_page.get_charbox(k)
                if top - bottom < right - left:  # rotated: characters lie wider than tall
                    rotated.append((right, bottom, text[k]))  # the right edge is the baseline
        column: list[tuple[float, float, str]] = []
        for char in [*sorted(rotated), (math.inf, 0.0, "")]:
            if column and char[0] - column[-1][0] > SAME_BASELINE_PT:
                labels.add("".join(ch for _x, _y, ch in sorted(column, key=lambda c: c[1])))
                column = []
            column.append(char)
    expected = {f"{m}:{s:02d}" for m in range(case.manifest.minutes) for s in (0, 30)}
    assert expected <= labels, sorted(expected - labels)[:5]


def test_score_has_its_own_column(printed: dict[str, tuple[Path, Path]], case: StoredCase) -> None:
    book, _pdf = printed["client"]
    code = case.manifest.clients[0].code
    ws = openpyxl.load_workbook(book)[f"{code} Observator 1"]
    header: list[object] = []
    for row in ws.iter_rows(values_only=True):
        if row[0] == "Dimensie":
            header = list(row)
        elif row[1] == "B":
            score = row[header.index("Score")]
            assert isinstance(score, int) and -3 <= score <= 3
            window_cells = row[4:header.index("Totaal")]
            assert all(cell is None for cell in window_cells)
