"""PDF intake: the embedded image is taken as stored only when it alone is the page, upright; else pdfium renders.

Each fixture is a real PDF whose page shows something other than the raw
image data (a flip, a turn, a mask, a decode array, /Rotate); the page image
read must look like what a PDF viewer shows.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from scan.inputs import SourceReader
from tests.pdf_fixtures import (
    Img,
    Page,
    build_pdf,
    ccitt_image,
    flate_gray,
    full_page,
    jbig2_image,
    jpeg_image,
    placed,
    stencil,
)

DPI = 100
#: Mean absolute grey difference allowed between a JPEG-compressed fixture and its original.
JPEG_TOLERANCE = 6.0


def _picture(height: int = 300, width: int = 240) -> np.ndarray:
    """An asymmetric grey picture: a gradient, a dark 'F' top left, so flips and turns show."""
    across = np.linspace(0.0, 0.5, width, dtype=np.float32)[None, :]
    down = np.linspace(0.0, 0.5, height, dtype=np.float32)[:, None]
    img = (120 + 130 * (across + down)).astype(np.uint8)  # a diagonal gradient: every flip changes it
    cv2.rectangle(img, (20, 20), (40, 150), 0, -1)
    cv2.rectangle(img, (20, 20), (110, 40), 0, -1)
    cv2.rectangle(img, (20, 80), (90, 98), 0, -1)
    return img


def _diff(a: np.ndarray, b: np.ndarray) -> float:
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16))))


def _load(tmp_path: Path, pages: list[Page], number: int = 1):  # type: ignore[no-untyped-def]
    path = tmp_path / "scan.pdf"
    path.write_bytes(build_pdf(pages))
    with SourceReader(path) as reader:
        return reader.load(number)


def test_an_upright_full_page_jpeg_is_kept_as_stored(tmp_path: Path) -> None:
    """The office scanner's page (with its invisible OCR layer) stays on the fast path: bytes as they are."""
    img = _picture()
    image = jpeg_image(img)
    ocr = b"BT 3 Tr /F1 12 Tf 10 10 Td (Naam van de client) Tj ET\n"
    page = _load(tmp_path, [full_page(img, DPI, image, content=ocr)])
    assert page.stored_ext == ".jpg" and page.stored_bytes == image.data
    assert page.dpi == pytest.approx(DPI) and page.colour is None and not page.bitonal and page.damaged is None
    assert _diff(page.gray, img) < JPEG_TOLERANCE


def test_visible_text_over_the_image_is_rendered_with_it(tmp_path: Path) -> None:
    """A stamp or typed note over the scan is part of the page: not the image alone."""
    img = np.full((300, 240), 250, np.uint8)
    stamp = b"BT /F1 40 Tf 20 100 Td (ONTVANGEN) Tj ET\n"
    pdf_page = full_page(img, DPI, jpeg_image(img))
    pdf_page.content += stamp  # drawn after (over) the image
    page = _load(tmp_path, [pdf_page])
    assert page.stored_ext != ".jpg" or page.stored_bytes != jpeg_image(img).data
    assert page.gray.min() < 60  # the stamp's letters are there


@pytest.mark.parametrize(("name", "matrix", "size", "expected"), [
    ("mirrored top-bottom", lambda w, h: (w, 0, 0, -h, 0, h), lambda w, h: (w, h), lambda i: np.flipud(i)),
    ("mirrored left-right", lambda w, h: (-w, 0, 0, h, w, 0), lambda w, h: (w, h), lambda i: np.fliplr(i)),
    ("turned a quarter", lambda w, h: (0, w, -h, 0, h, 0), lambda w, h: (h, w), lambda i: np.rot90(i, 1)),
    ("upside down", lambda w, h: (-w, 0, 0, -h, w, h), lambda w, h: (w, h), lambda i: np.rot90(i, 2)),
])
def test_an_image_placed_flipped_or_turned_reads_as_the_page_shows_it(tmp_path: Path, name, matrix, size,  # type: ignore[no-untyped-def]
                                                                       expected) -> None:
    img = _picture()
    w_pt, h_pt = img.shape[1] * 72 / DPI, img.shape[0] * 72 / DPI
    page_w, page_h = size(w_pt, h_pt)
    page = _load(tmp_path, [Page(page_w, page_h, placed("Im0", *matrix(w_pt, h_pt)), {"Im0": jpeg_image(img)})])
    shown = expected(img)
    assert page.dpi == pytest.approx(DPI, rel=0.02)
    assert _diff(page.gray, shown) < JPEG_TOLERANCE, name
    if not np.array_equal(shown, img) and shown.shape == img.shape:
        assert _diff(page.gray, img) > 4 * JPEG_TOLERANCE  # the raw image (a mirror) is not what was read


def test_a_page_with_rotate_is_read_turned_as_viewers_show_it(tmp_path: Path) -> None:
    img = _picture()
    page = _load(tmp_path, [full_page(img, DPI, jpeg_image(img), rotate=90)])
    assert _diff(page.gray, np.rot90(img, -1)) < JPEG_TOLERANCE  # /Rotate 90 turns the page clockwise


def test_a_soft_mask_is_applied_not_dropped(tmp_path: Path) -> None:
    """Image + /SMask: where the soft mask is 0 the page is paper-white, not the image's dark pixels."""
    img = np.full((300, 240), 30, np.uint8)  # a dark "foreground" layer
    alpha = np.zeros_like(img)
    cv2.putText(alpha, "F", (40, 250), cv2.FONT_HERSHEY_SIMPLEX, 8, 255, 25)
    image = jpeg_image(img, "/SMask {sm}")
    image.refs["sm"] = flate_gray(alpha)
    page = _load(tmp_path, [full_page(img, DPI, image)])
    assert abs(float(page.gray[alpha == 0].mean()) - 255) < 3  # masked out: white paper
    assert float(page.gray[alpha == 255].mean()) < 60  # the letter shows in the foreground's dark
    assert page.stored_bytes != image.data


def test_a_compact_pdf_of_background_and_masked_foreground_reads_as_a_page(tmp_path: Path) -> None:
    """An MRC ("compact") page: a light background JPEG and a dark foreground painted through a 1-bit mask."""
    text = np.zeros((300, 240), bool)
    cv2.putText(text.view(np.uint8), "SOFTA", (10, 160), cv2.FONT_HERSHEY_SIMPLEX, 1.6, 1, 4)
    background = np.full((150, 120), 235, np.uint8)  # backgrounds are stored at a lower resolution
    foreground = jpeg_image(np.full((300, 240), 20, np.uint8), "/Mask {mk}")
    foreground.refs["mk"] = stencil(text)
    w_pt, h_pt = 240 * 72 / DPI, 300 * 72 / DPI
    content = placed("Bg", w_pt, 0, 0, h_pt, 0, 0) + placed("Fg", w_pt, 0, 0, h_pt, 0, 0)
    pages = [Page(w_pt, h_pt, content, {"Bg": jpeg_image(background), "Fg": foreground}),
             # The foreground alone, as some writers leave a page without background: still not a dark rectangle.
             Page(w_pt, h_pt, placed("Fg", w_pt, 0, 0, h_pt, 0, 0), {"Fg": foreground})]
    for number, paper in ((1, 235), (2, 255)):
        page = _load(tmp_path, pages, number)
        assert page.dpi == pytest.approx(DPI, rel=0.02)  # the finest image's resolution, not the background's
        assert abs(float(np.median(page.gray)) - paper) < 4, number
        assert float(page.gray[text].mean()) < 80, number
        inked = page.gray < 128
        assert inked.mean() < 2 * text.mean(), number  # only the letters are dark


def test_a_decode_array_that_inverts_the_image_is_honoured(tmp_path: Path) -> None:
    img = _picture()
    page = _load(tmp_path, [full_page(img, DPI, jpeg_image(img, "/Decode [1 0]"))])
    assert _diff(page.gray, 255 - img) < JPEG_TOLERANCE


def test_a_ccitt_fax_page_is_rendered_at_its_own_resolution_and_known_as_bitonal(tmp_path: Path) -> None:
    fax_dpi = 300
    img = np.full((600, 480), 255, np.uint8)
    cv2.putText(img, "F", (60, 450), cv2.FONT_HERSHEY_SIMPLEX, 14, 0, 40)
    page = _load(tmp_path, [full_page(img, fax_dpi, ccitt_image(img))])
    assert page.dpi == pytest.approx(fax_dpi, rel=0.01) and page.gray.shape == img.shape
    assert page.bitonal and page.colour is None and page.stored_ext == ".png"
    black = page.gray < 128
    assert (black == (img == 0)).mean() > 0.99  # same letter, same way round (not inverted, not mirrored)
    image = ccitt_image(img)
    cut = _load(tmp_path, [full_page(img, fax_dpi, Img(image.entries, image.data[: len(image.data) * 2 // 3]))])
    assert cut.damaged is not None and "CCITT (fax) image is cut off" in cut.damaged  # pdfium drew white below
    no_end = Img(image.entries.replace("/BlackIs1 true", "/BlackIs1 true /EndOfBlock false"), image.data[:-3])
    assert _load(tmp_path, [full_page(img, fax_dpi, no_end)]).damaged is None  # no end code promised: none missed


def test_a_colour_scan_keeps_its_colour_page(tmp_path: Path) -> None:
    rgb = np.full((300, 240, 3), 245, np.uint8)
    rgb[100:140, 40:200] = (250, 120, 200)  # a pink highlighter swipe
    page = _load(tmp_path, [full_page(rgb, DPI, jpeg_image(rgb))])
    assert page.stored_ext == ".jpg" and page.colour is not None and page.colour.shape == (300, 240, 3)
    red, green, _ = page.colour[120, 120].astype(int)
    assert red - green > 80  # pink stays pink for the OMR to tell it from ink
    turned = _load(tmp_path, [Page(300 * 72 / DPI, 240 * 72 / DPI, placed("Im0", 0, 240 * 72 / DPI,
                                                                         -300 * 72 / DPI, 0, 300 * 72 / DPI, 0),
                                   {"Im0": jpeg_image(rgb)})])
    assert turned.colour is not None and turned.colour.shape[:2] == turned.gray.shape  # rendered in colour too


def test_rendered_pages_are_the_same_image_only_when_their_pixels_are(tmp_path: Path) -> None:
    """Two pages with the same stored image but different masks are different pages (identity = pixels)."""
    img = np.full((300, 240), 30, np.uint8)
    left, right = np.zeros((300, 240), np.uint8), np.zeros((300, 240), np.uint8)
    left[:, :120], right[:, 120:] = 255, 255
    pages = []
    for alpha in (left, right, left):
        image = jpeg_image(img, "/SMask {sm}")
        image.refs["sm"] = flate_gray(alpha)
        pages.append(full_page(img, DPI, image))
    ids = [_load(tmp_path, pages, n).image_sha256 for n in (1, 2, 3)]
    assert ids[0] != ids[1] and ids[0] == ids[2]


def test_an_image_with_a_clip_that_hides_part_of_it_is_rendered(tmp_path: Path) -> None:
    img = _picture()
    w_pt, h_pt = img.shape[1] * 72 / DPI, img.shape[0] * 72 / DPI
    clip = f"0 0 {w_pt / 2:.3f} {h_pt:.3f} re W n\n".encode()
    page = _load(tmp_path, [Page(w_pt, h_pt, clip + placed("Im0", w_pt, 0, 0, h_pt, 0, 0), {"Im0": jpeg_image(img)})])
    assert float(page.gray[:, -40:].mean()) > 253  # the clipped-away half is paper
    whole = f"0 0 {w_pt:.3f} {h_pt:.3f} re W n\n".encode()  # a clip round the whole page changes nothing
    page = _load(tmp_path, [Page(w_pt, h_pt, whole + placed("Im0", w_pt, 0, 0, h_pt, 0, 0), {"Im0": jpeg_image(img)})])
    assert page.stored_ext == ".jpg" and page.stored_bytes == jpeg_image(img).data


def test_a_damaged_embedded_jpeg_is_kept_as_damaged_naming_file_and_page(tmp_path: Path, capfd) -> None:  # type: ignore[no-untyped-def]
    img = np.random.default_rng(3).integers(0, 255, (300, 240), dtype=np.uint8)
    image = jpeg_image(img)
    data = bytearray(image.data)
    middle = len(data) // 2
    data[middle:middle + 60] = b"\x00" * 60
    page = _load(tmp_path, [full_page(img, DPI, Img(image.entries, bytes(data)))])
    assert page.damaged is not None and f"{tmp_path / 'scan.pdf'}: page 1" in page.damaged
    assert "Corrupt JPEG data" in page.damaged
    assert "Corrupt JPEG" not in capfd.readouterr().err  # libjpeg's own line (without the file) is not printed


def test_vector_drawing_beside_the_image_is_rendered_with_it(tmp_path: Path) -> None:
    """Vector drawing beside the image (a form's lines drawn by a PDF editor): the whole page is rendered."""
    img = np.full((300, 240), 250, np.uint8)
    pdf_page = full_page(img, DPI, jpeg_image(img))
    pdf_page.content += b"0 g 0 0 72 14.4 re f\n"  # a bar 100 x 20 px at the bottom left
    page = _load(tmp_path, [pdf_page])
    assert page.gray.shape == img.shape and float(page.gray[-18:-2, 2:98].mean()) < 40


@pytest.mark.parametrize(("kind", "words"), [
    ("jpeg without header", "no valid header"), ("jpeg cut off", "cut off"), ("flate cut off", "ends early"),
    ("jpeg with garbage inside", "Corrupt JPEG data")])
def test_a_damaged_image_is_never_rendered_as_a_blank_page(tmp_path: Path, kind: str, words: str) -> None:
    """pdfium silently draws nothing (white: 'blank'), black, or half an image: the page is damaged instead."""
    img = _picture()
    whole = jpeg_image(img) if kind.startswith("jpeg") else flate_gray(img)
    middle = len(whole.data) // 2
    data = {"jpeg without header": bytes(len(whole.data)), "jpeg cut off": whole.data[: len(whole.data) // 2],
            "flate cut off": whole.data[: len(whole.data) // 3],
            "jpeg with garbage inside": whole.data[:middle] + bytes(200) + whole.data[middle + 200:]}[kind]
    for rotate in (0, 90):  # the fast path's page and a rendered one
        page = _load(tmp_path, [full_page(img, DPI, Img(whole.entries, data), rotate=rotate)])
        assert page.damaged is not None and words in page.damaged, (kind, rotate)
        assert f"{tmp_path / 'scan.pdf'}: page 1" in page.damaged
    assert _load(tmp_path, [full_page(img, DPI, whole, rotate=90)]).damaged is None


def test_pages_turned_or_mirrored_by_pdf_tools_read_as_shown(tmp_path: Path) -> None:
    """pypdf's rotate (/Rotate) and a mirroring transformation (a `cm` before the scan), as PDF tools write them."""
    import pypdf
    from PIL import Image

    img = _picture()
    scan = tmp_path / "scanner.pdf"
    Image.fromarray(img).save(scan, "PDF", resolution=DPI, quality=95, save_all=True,
                              append_images=[Image.fromarray(img)])
    writer = pypdf.PdfWriter(clone_from=str(scan))
    writer.pages[0].rotate(180)
    height_pt = float(writer.pages[1].mediabox.height)
    writer.pages[1].add_transformation(pypdf.Transformation().scale(1, -1).translate(0, height_pt))
    tools = tmp_path / "bewerkt.pdf"
    with tools.open("wb") as fh:
        writer.write(fh)
    with SourceReader(tools) as reader:
        turned, mirrored = reader.load(1), reader.load(2)
    assert _diff(turned.gray, np.rot90(img, 2)) < JPEG_TOLERANCE
    assert _diff(mirrored.gray, np.flipud(img)) < JPEG_TOLERANCE


def test_a_reportlab_page_with_a_transparent_image_over_a_scan(tmp_path: Path) -> None:
    """reportlab writes an RGBA picture as an image with /SMask, here over a full-page scan (two images)."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    img = np.full((300, 240), 240, np.uint8)
    stamp = np.zeros((60, 120, 4), np.uint8)
    stamp[:, :, 0] = 200
    stamp[20:40, 10:110, 3] = 255  # an opaque red bar; the rest of the stamp is transparent
    w_pt, h_pt = 240 * 72 / DPI, 300 * 72 / DPI
    path = tmp_path / "stempel.pdf"
    pdf = canvas.Canvas(str(path), pagesize=(w_pt, h_pt))
    pdf.drawImage(ImageReader(Image.fromarray(img)), 0, 0, w_pt, h_pt)
    pdf.drawImage(ImageReader(Image.fromarray(stamp, "RGBA")), 36, 36, 120 * 72 / DPI, 60 * 72 / DPI, mask="auto")
    pdf.save()
    with SourceReader(path) as reader:
        page = reader.load(1)
    assert page.gray.shape == img.shape and page.colour is not None
    top = 300 - 50 - 60  # the stamp's top row: 36 pt (50 px) above the bottom, 60 px high
    bar_rows = slice(top + 22, top + 38)
    assert float(page.colour[bar_rows, 60:140, 0].mean()) > 150 and float(page.colour[bar_rows, 60:140, 1].mean()) < 60
    assert abs(float(page.gray[40:100, :].mean()) - 240) < 3  # the transparent part of the stamp hides nothing


def test_form_pages_in_flipped_and_compact_pdfs_are_identified_and_read_right(tmp_path: Path) -> None:
    """The issue's cases end to end: a page placed mirrored by its matrix, and a compact page (light background
    plus black foreground through a 1-bit mask), read like the upright scan: identified, every box right."""
    from scan.batch import run_scan
    from softa.db import connect, register_case
    from softa.manifest import load_manifest
    from tests.omr_fixtures import MANIFEST, marked_page, sample_pack

    pack = sample_pack(str(tmp_path / "pack"))
    flipped_img, flipped_truth = marked_page(pack, 4, seed=11)
    compact_img, compact_truth = marked_page(pack, 5, seed=12)
    dpi = 200
    w_pt, h_pt = flipped_img.shape[1] * 72 / dpi, flipped_img.shape[0] * 72 / dpi
    # The stored image is upside down; the matrix turns it back: the page shows the form upright.
    flipped = Page(w_pt, h_pt, placed("Im0", w_pt, 0, 0, -h_pt, 0, h_pt), {"Im0": jpeg_image(np.flipud(flipped_img))})
    ink = compact_img < 160
    background = cv2.resize(np.where(ink, 250, compact_img).astype(np.uint8),
                            (compact_img.shape[1] // 2, compact_img.shape[0] // 2), interpolation=cv2.INTER_AREA)
    foreground = flate_gray(np.full(compact_img.shape, 25, np.uint8), "/Mask {mk}")
    foreground.refs["mk"] = stencil(ink)
    compact = Page(w_pt, h_pt, placed("Bg", w_pt, 0, 0, h_pt, 0, 0) + placed("Fg", w_pt, 0, 0, h_pt, 0, 0),
                   {"Bg": jpeg_image(background), "Fg": foreground})
    path = tmp_path / "scans.pdf"
    path.write_bytes(build_pdf([flipped, compact]))
    db = tmp_path / "softa.sqlite"
    conn = connect(db)
    register_case(conn, load_manifest(MANIFEST), pack.layout)
    summary = run_scan(db, [path], progress=False)
    assert summary.total("identified") == 2
    read = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT box_id, checked, status FROM box_values")}
    conn.close()
    truth = {**flipped_truth, **compact_truth}
    wrong = [b for b, t in truth.items() if read[b][1] == "auto" and read[b][0] != t]
    flagged = sum(1 for b in truth if read[b][1] == "flagged")
    assert wrong == [] and flagged <= 0.02 * len(truth), (wrong, flagged)


def test_a_fax_pdf_at_204_by_98_dpi_gets_square_pixels(tmp_path: Path) -> None:
    fine = np.full((408, 408), 255, np.uint8)  # 2 x 2 inch at 204 dpi
    cv2.circle(fine, (204, 204), 150, 0, 6)
    fax = np.where(cv2.resize(fine, (408, 196), interpolation=cv2.INTER_AREA) < 128, 0, 255).astype(np.uint8)
    page = _load(tmp_path, [Page(144, 144, placed("Im0", 144, 0, 0, 144, 0, 0), {"Im0": ccitt_image(fax)})])
    assert page.dpi == pytest.approx(204, rel=0.01) and page.gray.shape == (408, 408) and page.bitonal
    ys, xs = np.nonzero(page.gray < 128)
    assert (ys.max() - ys.min()) == pytest.approx(xs.max() - xs.min(), abs=4)  # a circle, not an ellipse


def test_a_page_scanned_in_strips_is_put_together(tmp_path: Path) -> None:
    """Some scanners write a page as a stack of JPEG strips: several images make one page."""
    img = _picture()
    top, bottom = img[:150], img[150:]
    w_pt, half_pt = 240 * 72 / DPI, 150 * 72 / DPI
    content = placed("Top", w_pt, 0, 0, half_pt, 0, half_pt) + placed("Bottom", w_pt, 0, 0, half_pt, 0, 0)
    page = _load(tmp_path, [Page(w_pt, 2 * half_pt, content, {"Top": jpeg_image(top), "Bottom": jpeg_image(bottom)})])
    assert page.dpi == pytest.approx(DPI, rel=0.01) and _diff(page.gray, img) < JPEG_TOLERANCE


def test_a_jbig2_page_is_rendered_at_its_own_resolution_and_a_broken_one_is_damaged(tmp_path: Path) -> None:
    scan_dpi = 300
    img = np.full((600, 480), 255, np.uint8)
    cv2.putText(img, "F", (60, 450), cv2.FONT_HERSHEY_SIMPLEX, 14, 0, 40)
    image = jbig2_image(img)
    page = _load(tmp_path, [full_page(img, scan_dpi, image)])
    assert page.dpi == pytest.approx(scan_dpi, rel=0.01) and page.bitonal and page.damaged is None
    assert ((page.gray < 128) == (img == 0)).mean() > 0.99
    broken = _load(tmp_path, [full_page(img, scan_dpi, Img(image.entries, image.data[:40]))])
    assert broken.damaged is not None and "JBIG2 image is cut off" in broken.damaged  # pdfium showed white paper


def test_an_image_drawn_half_transparent_is_rendered(tmp_path: Path) -> None:
    """A graphics state with alpha 0.5 (/ca) lightens the image on white paper: not the stored pixels."""
    img = np.full((300, 240), 0, np.uint8)
    pdf_page = full_page(img, DPI, jpeg_image(img))
    pdf_page.content = b"/Half gs " + pdf_page.content
    pdf_page.states = "/Half << /Type /ExtGState /ca 0.5 /CA 0.5 >>"
    page = _load(tmp_path, [pdf_page])
    assert 110 < float(page.gray.mean()) < 145
