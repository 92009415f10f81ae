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
#: QR code side including its quiet zone; big enough that one module is
#: ~0.6 mm, i.e. 3.5 px at 150 dpi, which zxing-cpp reads reliably.
QR_SIZE_MM = 20.0
QR_TOP_MM = 14.0
QR_RIGHT_MM = 194.0
CONTENT_LEFT_MM = 15.0
CONTENT_RIGHT_MM = 195.0
CONTENT_TOP_MM = 38.0
CONTENT_BOTTOM_MM = 271.0
HEADER_BASELINES_MM = (21.0, 28.0, 34.0)
#: The header lines end this far left of the QR code, keeping its quiet zone clear.
HEADER_QR_GAP_MM = 3.0
SUBTITLE_WIDTH_MM = QR_RIGHT_MM - QR_SIZE_MM - HEADER_QR_GAP_MM - CONTENT_LEFT_MM
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
