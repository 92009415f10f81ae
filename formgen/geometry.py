"""Physical page geometry of the forms, in millimetres, defined once.

The scanner never reads these constants: it reads the layout built from them.
"""

from __future__ import annotations

from softa.layout import POINTS_PER_MM

PAGE_W_MM = 210.0
PAGE_H_MM = 297.0
#: Registration marks: solid squares whose centres sit this far in from each
#: corner; office scanners crop up to ~4 mm, so the marks stay well inside.
MARK_SIZE_MM = 5.0
MARK_INSET_MM = 10.0
#: QR module side. Measured with benchmarks/bench_qr_legibility.py (the forms' reportlab code,
#: rendered by pdfium at 150 dpi, skew 0-2.5 deg, a light to dark 1-bit threshold (70-190 of 255),
#: 5 sub-pixel phases, decoded by scan.identify.find_qr): at level M with slight optics blur
#: (sigma <= 1 px) 0.75 mm (4.4 px) decodes in 100 % of 225 trials for a typical and for the
#: longest payload, 0.7 mm in 95-96 %, 0.6 mm in 87 %, the version-1 forms' 0.54-0.6 mm (20 mm
#: code) in 49-87 %; with heavy blur (sigma 1.4 px) too, 0.75 mm decodes 95-96 % of 375 trials.
#: Levels L and Q change little (L gives way sooner to a pen stroke across the code), so M stays.
QR_MODULE_MM = 0.75
#: Quiet zone inside the QR rect, in modules; the layout keeps at least 1.5 mm more paper
#: around each rect (QR_CLEAR_MM; quiet and paper together are >= 4 modules; measured as 2 + 1.5 mm).
QR_QUIET_MODULES = 2
#: The rect holds a version-3 symbol (29 modules, 42 bytes at level M: payloads of case numbers up
#: to 21 characters) at QR_MODULE_MM; a longer case number gets a version-4 symbol of 0.67 mm modules.
QR_ROOM_MODULES = 29
QR_SIZE_MM = (QR_ROOM_MODULES + 2 * QR_QUIET_MODULES) * QR_MODULE_MM
#: First code top-right, right edge 16 mm from the paper's, left of the registration mark. Its
#: symbol's top edge (1.5 mm inside the rect) sits 3 mm below the marks' centre line: QR corners
#: in line with the two top marks leave registration's fit from them ill-conditioned (measured:
#: a code at 8 mm threw a page 10 mm off).
QR_TOP_MM = 11.5
QR_RIGHT_MM = 194.0
#: Second code in the opposite corner, bottom-left: a folded corner or a sticky note hides at
#: most one of the two. Left edge 16 mm from the paper's (right of the mark); the symbol's bottom
#: edge 6.25 mm above the paper's (clear of a scanner's ~4 mm crop), 3.75 mm below the marks' line.
QR2_LEFT_MM = 16.0
QR2_BOTTOM_MM = 292.25
#: Paper kept clear around each QR rect beyond its quiet zone.
QR_CLEAR_MM = 1.5
CONTENT_LEFT_MM = 15.0
CONTENT_RIGHT_MM = 195.0
CONTENT_TOP_MM = QR_TOP_MM + QR_SIZE_MM + QR_CLEAR_MM
#: Content runs between the two codes (version-1 forms: 38-271 mm; these 37.75-266 mm keep the
#: page count of every tested pack).
CONTENT_BOTTOM_MM = QR2_BOTTOM_MM - QR_SIZE_MM - QR_CLEAR_MM
HEADER_BASELINES_MM = (20.0, 26.5, 32.5)
#: The header lines end this far left of the QR code, keeping its quiet zone clear.
HEADER_QR_GAP_MM = 3.0
SUBTITLE_WIDTH_MM = QR_RIGHT_MM - QR_SIZE_MM - HEADER_QR_GAP_MM - CONTENT_LEFT_MM
#: The footer lines sit right of the second code, level with it.
FOOTER_LEFT_MM = QR2_LEFT_MM + QR_SIZE_MM + HEADER_QR_GAP_MM
FOOTER_BASELINES_MM = (277.5, 282.0)

#: Mark boxes: ~4.6 mm leaves room for a pen cross; the manual asks for a tick
#: per 5-minute window, 12 windows per block (one hour) as on its forms.
BOX_MM = 4.6
WINDOWS_PER_BLOCK = 12
WINDOW_CELL_MM = 6.5
GRID_LEFT_MM = CONTENT_RIGHT_MM - WINDOWS_PER_BLOCK * WINDOW_CELL_MM
ITEM_NUMBER_MM = 5.0
TEXT_GAP_MM = 2.5
ITEM_TEXT_WIDTH_MM = GRID_LEFT_MM - TEXT_GAP_MM - CONTENT_LEFT_MM - ITEM_NUMBER_MM
ROW_MIN_MM = 6.6
ROW_PAD_MM = 1.9
RATING_ROW_MM = 11.0
#: A rating box sits right of its label ("-3 [ ]"); the shift centres label and box in the cell.
RATING_SHIFT_MM = 1.6
LABEL_GAP_MM = 0.9
#: Scales longer than -3..+3 (the 0-10 speaking-time balance) have no room for labels
#: beside the boxes: the labels go above, in a taller row, the boxes below the middle.
SIDE_LABEL_MAX_VALUES = 7
LABELS_ABOVE_ROW_MM = 13.0
LABELS_ABOVE_DROP_MM = 1.6
WINDOW_LABEL_MM = 4.6
#: Section headers: leading of the (bold) title lines, space below them, and the
#: baseline of the window numbers below the title.
SECTION_TITLE_LEADING_MM = 4.6
SECTION_TITLE_PAD_MM = 1.4
WINDOW_LABEL_BASELINE_MM = 3.4
#: A text line's baseline sits this share of the leading below the line's top.
BASELINE_SHARE = 0.78
SECTION_GAP_MM = 3.0

#: Speaking time: 30-second bins, 30 per line (15 minutes), 4 mm boxes.
BINS_PER_LINE = 30
BIN_CELL_MM = 5.0
TIMELINE_BOX_MM = 4.0
TIMELINE_LABEL_MM = CONTENT_RIGHT_MM - CONTENT_LEFT_MM - BINS_PER_LINE * BIN_CELL_MM
TIMELINE_ROW_MM = 6.5
TIMELINE_HEADER_MM = 6.0

REGION_EXPLANATION_MM = 48.0
REGION_MOMENT_MM = 42.0

#: Shading (PDF gray, 1 = white): light enough that the scanner's paper level and
#: the ring around a box stay far from ink; darker for headers, faintest for every other row.
HEADER_GRAY = 0.86
RATING_GRAY = 0.90
ALTERNATE_ROW_GRAY = 0.955

FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"
TEXT_PT = 8.5
LEADING_PT = 9.6
SMALL_PT = 6.5
TITLE_PT = 13.0
SUBTITLE_PT = 9.5


def mm(value: float) -> float:
    """Millimetres to PDF points."""
    return value * POINTS_PER_MM


PAGE_SIZE_PT = (mm(PAGE_W_MM), mm(PAGE_H_MM))
