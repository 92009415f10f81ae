"""Draw planned pages with reportlab: one streaming pass, deterministic bytes."""

from __future__ import annotations

from pathlib import Path

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.pdfgen.canvas import Canvas

from formgen import geometry as g
from formgen.geometry import mm
from formgen.plan import INSTRUCTION, PagePlan
from softa.layout import Rect

#: Box borders: thin enough that the scanner can strip them, dark enough to see.
BOX_LINE_PT = 0.7
#: QR error correction "M" survives a pen stroke across ~15 % of the code (see geometry.QR_MODULE_MM).
QR_LEVEL = "M"
PRIVACY_NOTE = "Schrijf geen namen op dit formulier: alleen casusnummer en deelnemercodes."


def open_canvas(path: Path, title: str) -> Canvas:
    """A canvas whose output depends only on what is drawn (invariant mode)."""
    canvas = Canvas(str(path), pagesize=g.PAGE_SIZE_PT, invariant=1, pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor("softa-forms")
    canvas.setCreator("softa-forms")
    canvas.setSubject("SOFTA-NL codeerformulieren")
    return canvas


def _y(y_mm: float) -> float:
    """Top-down millimetres to reportlab's bottom-up points."""
    return g.PAGE_SIZE_PT[1] - mm(y_mm)


def _draw_qr(canvas: Canvas, plan: PagePlan, rect: Rect) -> None:
    x0, _, x1, y1 = rect
    widget = QrCodeWidget(plan.layout.qr, barLevel=QR_LEVEL, barBorder=g.QR_QUIET_MODULES)
    bx0, by0, bx1, by1 = widget.getBounds()
    side = x1 - x0
    drawing = Drawing(side, side, transform=[side / (bx1 - bx0), 0, 0, side / (by1 - by0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x0, g.PAGE_SIZE_PT[1] - y1)


def draw_page(canvas: Canvas, plan: PagePlan) -> None:
    """Draw one page: marks, QR, header, footer, shading, text, boxes, regions."""
    height = g.PAGE_SIZE_PT[1]
    layout = plan.layout
    canvas.setFillGray(0)
    half = layout.mark_size_pt / 2
    for cx, cy in layout.marks_pt:
        canvas.rect(cx - half, height - cy - half, 2 * half, 2 * half, stroke=0, fill=1)
    for rect in layout.qr_rects_pt:
        _draw_qr(canvas, plan, rect)

    canvas.setFont(g.FONT_BOLD, g.TITLE_PT)
    canvas.drawString(mm(g.CONTENT_LEFT_MM), _y(g.HEADER_BASELINES_MM[0]), plan.title)
    canvas.setFont(g.FONT, g.SUBTITLE_PT)
    canvas.drawString(mm(g.CONTENT_LEFT_MM), _y(g.HEADER_BASELINES_MM[1]), plan.subtitle)
    canvas.setFont(g.FONT, g.SMALL_PT)
    canvas.drawString(mm(g.CONTENT_LEFT_MM), _y(g.HEADER_BASELINES_MM[2]), PRIVACY_NOTE)

    for shade in plan.shades:
        x0, y0, x1, y1 = shade.rect_mm
        canvas.setFillGray(shade.gray)
        canvas.rect(mm(x0), _y(y1), mm(x1 - x0), mm(y1 - y0), stroke=0, fill=1)
    canvas.setFillGray(0)
    for run in plan.texts:
        canvas.setFont(run.font, run.size)
        if run.align == "center":
            canvas.drawCentredString(mm(run.x_mm), _y(run.y_mm), run.text)
        elif run.align == "right":
            canvas.drawRightString(mm(run.x_mm), _y(run.y_mm), run.text)
        else:
            canvas.drawString(mm(run.x_mm), _y(run.y_mm), run.text)

    canvas.setLineWidth(BOX_LINE_PT)
    canvas.setStrokeGray(0)
    canvas.setFillGray(1)
    for box in layout.boxes:
        x0, y0, x1, y1 = box.rect_pt
        canvas.rect(x0, height - y1, x1 - x0, y1 - y0, stroke=1, fill=1)
    canvas.setLineWidth(0.6)
    for region in layout.regions:
        x0, y0, x1, y1 = region.rect_pt
        canvas.rect(x0, height - y1, x1 - x0, y1 - y0, stroke=1, fill=0)

    canvas.setFillGray(0)
    canvas.setFont(g.FONT, g.SMALL_PT + 0.5)
    canvas.drawString(mm(g.FOOTER_LEFT_MM), _y(g.FOOTER_BASELINES_MM[0]), INSTRUCTION)
    canvas.setFont(g.FONT, g.SMALL_PT)
    canvas.drawString(mm(g.FOOTER_LEFT_MM), _y(g.FOOTER_BASELINES_MM[1]), f"{layout.qr}   ·   {plan.identity.label}")
    canvas.showPage()

