"""How small may the page QR's modules be and still decode from a 150 dpi bitonal scan?

Draws the page code with reportlab exactly as the forms do (same widget, quiet
zone), renders it with pdfium at the scan resolution, degrades it the ways a
cheap office scan does (optics blur, skew, a light or dark 1-bit threshold,
the code landing at any sub-pixel phase), thresholds to 1-bit and decodes with
zxing-cpp (scan.identify.find_qr, with its retries). Prints, per module size and error-correction level, the share of
trials that decoded: all of them, and those with slight blur only. The form's QR_MODULE_MM (formgen/geometry.py) is chosen
from this table.

    .venv/bin/python -m benchmarks.bench_qr_legibility [--dpi 150]
"""

from __future__ import annotations

import argparse
import io
import itertools
import time

import cv2
import numpy as np
import pypdfium2 as pdfium
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.pdfgen.canvas import Canvas

from scan.identify import find_qr
from softa.layout import POINTS_PER_INCH, POINTS_PER_MM

#: A typical payload (version 3 at level M) and the longest a 32-character case number makes.
PAYLOADS = ("SOFTA2|2024-017|H|H1|K|10/12", "SOFTA2|" + "A" * 32 + "|H|H12|K|10/12")
MODULES_MM = (0.55, 0.60, 0.65, 0.70, 0.75, 0.80)
LEVELS = ("L", "M", "Q", "H")
#: Quiet zone drawn inside the code's rect, in modules; the forms keep this much more white around it.
QUIET_MODULES = (2, 4)
CLEAR_MM = 1.5
#: Sub-module placement of the code on the page (share of a module).
PHASES = (0.0, 0.2, 0.4, 0.6, 0.8)
#: Scanner optics: Gaussian blur sigma in pixels (0 = a sharp scan).
BLURS_PX = (0.0, 0.5, 0.8, 1.0, 1.4)
#: "Slight" blur: an ordinary office scanner's optics at 150 dpi.
SLIGHT_BLUR_PX = 1.0
#: Skew of the sheet on the glass, degrees.
SKEWS_DEG = (0.0, 0.8, 2.5)
#: 1-bit threshold on 0..255: a light (thin strokes) to a dark (fat strokes) scanner setting.
THRESHOLDS = (70, 100, 128, 160, 190)
FRAME_PT = 2.0
#: Canvas around the code, millimetres.
MARGIN_MM = 8.0


def _pdf(payload: str, level: str, module_mm: float, phase: float, quiet: int) -> bytes:
    """The code alone, with its quiet zone and CLEAR_MM of paper, then a frame of ink (neighbouring print)."""
    widget = QrCodeWidget(payload, barLevel=level, barBorder=quiet)
    bx0, by0, bx1, by1 = widget.getBounds()
    widget_modules = _module_count(payload, level) + 2 * quiet
    side = widget_modules * module_mm * POINTS_PER_MM
    page = side + 2 * MARGIN_MM * POINTS_PER_MM
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(page, page), invariant=1)
    drawing = Drawing(side, side, transform=[side / (bx1 - bx0), 0, 0, side / (by1 - by0), 0, 0])
    drawing.add(widget)
    offset = MARGIN_MM * POINTS_PER_MM + phase * module_mm * POINTS_PER_MM
    renderPDF.draw(drawing, canvas, offset, offset)
    clear = CLEAR_MM * POINTS_PER_MM
    canvas.setLineWidth(FRAME_PT)
    canvas.rect(offset - clear, offset - clear, side + 2 * clear, side + 2 * clear, stroke=1, fill=0)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _module_count(payload: str, level: str) -> int:
    from reportlab.graphics.barcode import qrencoder

    code = qrencoder.QRCode(None, getattr(qrencoder.QRErrorCorrectLevel, level))
    code.addData(payload)
    code.make()
    return int(code.getModuleCount())


def _render(pdf: bytes, dpi: float) -> np.ndarray:
    doc = pdfium.PdfDocument(pdf)
    try:
        bitmap = doc[0].render(scale=dpi / POINTS_PER_INCH, grayscale=True)
        return np.array(bitmap.to_pil().convert("L"))
    finally:
        doc.close()


def _degrade(gray: np.ndarray, blur: float, skew: float, threshold: int) -> np.ndarray:
    image = gray
    if skew:
        h, w = image.shape
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), skew, 1.0)
        image = cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
    if blur:
        image = cv2.GaussianBlur(image, (0, 0), blur)
    return np.where(image < threshold, 0, 255).astype(np.uint8)


def measure(dpi: float, levels: tuple[str, ...], modules: tuple[float, ...], max_blur: float) -> None:
    blurs = tuple(b for b in BLURS_PX if b <= max_blur)
    print(f"QR legibility at {dpi:g} dpi, 1-bit, blur sigma up to {max_blur:g} px; share of trials decoded "
          f"({len(PHASES) * len(blurs) * len(SKEWS_DEG) * len(THRESHOLDS)} trials per cell)")
    for payload, quiet in itertools.product(PAYLOADS, QUIET_MODULES):
        print(f"\npayload of {len(payload)} characters, quiet zone {quiet} modules + {CLEAR_MM:g} mm paper")
        print("module mm  px/module " + "".join(f"   {lv}: all/slight (side mm)" for lv in levels))
        for module_mm in modules:
            cells = []
            for level in levels:
                ok = total = slight_ok = slight = 0
                for phase in PHASES:
                    gray = _render(_pdf(payload, level, module_mm, phase, quiet), dpi)
                    for blur, skew, threshold in itertools.product(blurs, SKEWS_DEG, THRESHOLDS):
                        read = find_qr(_degrade(gray, blur, skew, threshold))
                        good = int(read is not None and read.text == payload)
                        ok += good
                        total += 1
                        if blur <= SLIGHT_BLUR_PX:
                            slight_ok += good
                            slight += 1
                side = (_module_count(payload, level) + 2 * quiet) * module_mm
                cells.append(f"  {ok / total:4.0%}/{slight_ok / max(slight, 1):4.0%} ({side:4.1f})")
            print(f"{module_mm:9.2f}  {module_mm * dpi / 25.4:9.2f} " + "".join(cells))


def measure_form(dpi: float, max_blur: float) -> None:
    """The printed forms themselves: each code alone (the other covered) on real pack pages."""
    import tempfile
    from pathlib import Path

    from formgen import generate_pack
    from scan.identify import qr_symbol_pt, symbol_corners_pt
    from softa.manifest import load_manifest

    blurs = tuple(b for b in BLURS_PX if b <= max_blur)
    with tempfile.TemporaryDirectory() as tmp:
        pack = generate_pack(load_manifest(Path(__file__).resolve().parents[1] / "samples" / "case_2024-017.toml"),
                             Path(tmp))
        document = pdfium.PdfDocument(str(pack.pack_pdf))
        pages = [pack.layout.pages[i] for i in (0, 4, 10, len(pack.layout.pages) - 1)]
        renders = [np.array(document[p.index].render(scale=dpi / POINTS_PER_INCH, grayscale=True).to_pil().convert("L"))
                   for p in pages]
        document.close()
    scale = dpi / POINTS_PER_INCH
    print(f"\nform pages at {dpi:g} dpi, 1-bit, blur up to {max_blur:g} px: each code alone decodes, and is"
          " recognised as the code it is")
    for hidden, name in ((1, "top-right code alone"), (0, "bottom-left code alone")):
        ok = right = total = 0
        for page, gray in zip(pages, renders, strict=True):
            x0, y0, x1, y1 = (round(v * scale) for v in page.qr_rects_pt[hidden])
            covered = gray.copy()
            covered[y0:y1, x0:x1] = 255
            for blur, skew, threshold in itertools.product(blurs, SKEWS_DEG, THRESHOLDS):
                image = _degrade(covered, blur, skew, threshold)
                read = find_qr(image)
                total += 1
                if read is not None and read.text == page.qr:
                    ok += 1
                    expected = symbol_corners_pt(page.qr_rects_pt[1 - hidden], read.version)
                    right += int(np.allclose(qr_symbol_pt(image, read, page), expected))
        print(f"  {name:24s} decoded {ok}/{total}, taken for the right code {right}/{ok}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dpi", type=float, default=150.0)
    parser.add_argument("--levels", default="".join(LEVELS), help="error-correction levels, e.g. LMQH")
    parser.add_argument("--modules", default=",".join(f"{m:g}" for m in MODULES_MM), help="module sizes in mm")
    parser.add_argument("--max-blur", type=float, default=max(BLURS_PX), help="largest blur sigma in px")
    parser.add_argument("--form-only", action="store_true", help="only the printed forms' codes")
    args = parser.parse_args()
    start = time.perf_counter()
    if not args.form_only:
        measure(args.dpi, tuple(args.levels), tuple(float(m) for m in args.modules.split(",")), args.max_blur)
    measure_form(args.dpi, args.max_blur)
    print(f"\n{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
