"""Image intake: every TIFF Pillow opens becomes 8-bit grey at its true resolution without clipping,
and every input page gets a row (damaged pages too), never dropped as "the same image" by mistake.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from scan.inputs import SourceReader, iter_pages
from softa.db import connect, register_case
from softa.errors import InputFileError, ScanIncomplete
from softa.manifest import load_manifest
from tests.omr_fixtures import MANIFEST, marked_page, sample_pack

#: Largest grey difference from the original allowed after a lossless conversion (rounding).
ROUNDING = 1
#: Grey levels of black toner and of paper in a real scan.
SCANNER_BLACK, SCANNER_WHITE = 25, 235


@pytest.fixture(scope="module")
def pack(tmp_path_factory):  # type: ignore[no-untyped-def]
    return sample_pack(str(tmp_path_factory.mktemp("pack")))


def _picture(height: int = 240, width: int = 200) -> np.ndarray:
    """Grey levels across the whole range (a diagonal gradient) with a dark 'F' top left."""
    across = np.linspace(0.0, 0.5, width, dtype=np.float32)[None, :]
    down = np.linspace(0.0, 0.5, height, dtype=np.float32)[:, None]
    img = np.rint(255 * (across + down)).astype(np.uint8)
    cv2.rectangle(img, (20, 20), (40, 150), 0, -1)
    cv2.rectangle(img, (20, 20), (110, 40), 0, -1)
    return img


def _save(path: Path, frames: list[Image.Image], **options) -> Path:  # type: ignore[no-untyped-def]
    frames[0].save(path, "TIFF", save_all=True, append_images=frames[1:], **options)
    return path


def _sixteen_bit(gray: np.ndarray, mode: str) -> Image.Image:
    wide = gray.astype(np.uint16) * 257  # 0..255 -> 0..65535, as a 16-bit archive scan holds it
    return Image.frombytes(mode, (gray.shape[1], gray.shape[0]),
                           wide.astype(">u2" if mode == "I;16B" else "<u2").tobytes())


def _one(path: Path, number: int = 1):  # type: ignore[no-untyped-def]
    with SourceReader(path) as reader:
        return reader.load(number)


@pytest.mark.parametrize("mode", ["I;16", "I;16B"])
def test_sixteen_bit_grey_is_scaled_not_clipped(tmp_path: Path, mode: str) -> None:
    img = _picture()
    page = _one(_save(tmp_path / "archief.tif", [_sixteen_bit(img, mode)], dpi=(300, 300)))
    assert int(np.abs(page.gray.astype(int) - img).max()) <= ROUNDING  # a clip would make it all white
    assert page.dpi == pytest.approx(300) and page.colour is None and not page.bitonal


def test_sixteen_bit_tiff_pages_are_read_each_with_a_row(tmp_path: Path, pack) -> None:  # type: ignore[no-untyped-def]
    """The archive setting that lost pages: every page is identified, none is blank or 'already stored'."""
    from scan.batch import run_scan

    # As a scanner sees paper: its black is never 0, its white never 255.
    pages = [(SCANNER_BLACK + marked_page(pack, i, seed=i)[0] * ((SCANNER_WHITE - SCANNER_BLACK) / 255)).astype(np.uint8)
             for i in (4, 5, 6)]
    path = _save(tmp_path / "archief.tif", [_sixteen_bit(p, "I;16") for p in pages], dpi=(200, 200))
    db = tmp_path / "softa.sqlite"
    conn = connect(db)
    register_case(conn, load_manifest(MANIFEST), pack.layout)
    summary = run_scan(db, [path], progress=False)
    assert (summary.total("pages"), summary.total("identified"), summary.status_count("same_image")) == (3, 3, 0)
    rows = conn.execute("SELECT page_number, status, reason FROM scanned_pages ORDER BY page_number").fetchall()
    assert [(r[0], r[1]) for r in rows] == [(1, "identified"), (2, "identified"), (3, "identified")]
    conn.close()


def test_cmyk_tiff_reads_as_its_greys_and_keeps_its_colour(tmp_path: Path) -> None:
    img = _picture()
    cmyk = np.zeros((*img.shape, 4), np.uint8)
    cmyk[:, :, 3] = 255 - img  # black ink only: the grey page
    cmyk[200:230, 120:190, 0] = 255  # a cyan patch
    cmyk[200:230, 120:190, 3] = 0
    page = _one(_save(tmp_path / "cmyk.tif", [Image.fromarray(cmyk, "CMYK")]))
    grey_part = np.ones(img.shape, bool)
    grey_part[200:230, 120:190] = False
    assert int(np.abs(page.gray.astype(int) - img)[grey_part].max()) <= ROUNDING
    assert page.colour is not None
    red, green, blue = page.colour[215, 150].astype(int)
    assert red < 40 and green > 200 and blue > 200  # cyan


def test_palette_tiff_grey_or_colour(tmp_path: Path) -> None:
    img = _picture()
    grey_palette = Image.fromarray(img).quantize(16)  # a grey palette: a grey page
    page = _one(_save(tmp_path / "grijs.tif", [grey_palette]))
    assert np.array_equal(page.gray, np.asarray(grey_palette.convert("L"))) and page.colour is None
    rgb = np.stack([img, img, img], axis=2)
    rgb[10:60, 150:190] = (220, 40, 40)
    colour_palette = Image.fromarray(rgb).quantize(32)
    page = _one(_save(tmp_path / "kleur.tif", [colour_palette]))
    assert page.colour is not None and tuple(page.colour[30, 170]) == pytest.approx((220, 40, 40), abs=12)


def test_rgb_and_one_bit_tiffs(tmp_path: Path) -> None:
    img = _picture()
    page = _one(_save(tmp_path / "rgb.tif", [Image.fromarray(np.stack([img] * 3, axis=2))], compression="tiff_lzw"))
    assert int(np.abs(page.gray.astype(int) - img).max()) <= ROUNDING and page.colour is None  # grey in RGB
    bitonal = np.where(img < 128, 0, 255).astype(np.uint8)
    page = _one(_save(tmp_path / "zw.tif", [Image.fromarray(bitonal).convert("1")], compression="group4",
                      dpi=(300, 300)))
    assert page.bitonal and np.array_equal(page.gray, bitonal) and page.dpi == pytest.approx(300)


def test_fax_resolution_is_resampled_to_square_pixels(tmp_path: Path) -> None:
    """Fax standard resolution (204 x 98 dpi): a circle on paper stays a circle, not an ellipse."""
    fine = np.full((408, 408), 255, np.uint8)  # 2 x 2 inch at 204 dpi
    cv2.circle(fine, (204, 204), 150, 0, 6)
    fax = cv2.resize(fine, (408, 196), interpolation=cv2.INTER_AREA)  # every other line, as a fax sends it
    fax = np.where(fax < 128, 0, 255).astype(np.uint8)
    path = _save(tmp_path / "fax.tif", [Image.fromarray(fax).convert("1")], compression="group3", dpi=(204, 98))
    page = _one(path)
    assert page.dpi == pytest.approx(204) and page.bitonal
    height, width = page.gray.shape
    assert width == 408 and abs(height - 408) <= 1
    ys, xs = np.nonzero(page.gray < 128)
    assert (ys.max() - ys.min()) == pytest.approx(xs.max() - xs.min(), abs=4)  # round, as drawn


def test_multi_page_tiff_of_mixed_modes_with_orientation(tmp_path: Path) -> None:
    img = _picture()
    frames = [Image.fromarray(img), _sixteen_bit(img, "I;16"), Image.fromarray(img).convert("1")]
    path = _save(tmp_path / "stapel.tif", frames, dpi=(200, 200))
    pages = [p for _, p in iter_pages(path)]
    assert not any(isinstance(p, InputFileError) for p in pages)
    assert [p.bitonal for p in pages] == [False, False, True]  # type: ignore[union-attr]
    assert int(np.abs(pages[1].gray.astype(int) - img).max()) <= ROUNDING  # type: ignore[union-attr]
    mirrored = tmp_path / "gespiegeld.tif"
    Image.fromarray(np.fliplr(img)).save(mirrored, "TIFF", tiffinfo={274: 2})  # Orientation: mirrored
    assert np.array_equal(_one(mirrored).gray, img)  # read as viewers show it, not as a mirror image


def test_sixteen_bit_png_and_a_png_with_transparency(tmp_path: Path) -> None:
    img = _picture()
    cv2.imwrite(str(tmp_path / "breed.png"), img.astype(np.uint16) * 257)
    assert int(np.abs(_one(tmp_path / "breed.png").gray.astype(int) - img).max()) <= ROUNDING
    rgba = np.zeros((*img.shape, 4), np.uint8)
    rgba[:, :, 3] = 255 - img  # black ink, transparent paper (an exported drawing)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "transparant.png")
    page = _one(tmp_path / "transparant.png")
    assert int(np.abs(page.gray.astype(int) - img).max()) <= ROUNDING  # transparent is paper-white, not black


def test_colour_jpeg_keeps_its_bytes_and_its_colour(tmp_path: Path) -> None:
    rgb = np.full((240, 200, 3), 240, np.uint8)
    rgb[100:140, 20:180] = (250, 240, 90)  # yellow highlighter
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    (tmp_path / "foto.jpg").write_bytes(buf.tobytes())
    page = _one(tmp_path / "foto.jpg")
    assert page.stored_bytes == buf.tobytes() and page.colour is not None
    assert int(page.colour[120, 100, 2]) < 150  # little blue: yellow


def test_corrupt_jpeg_data_is_a_damaged_page_named_by_file(tmp_path: Path, pack, capfd) -> None:  # type: ignore[no-untyped-def]
    """Garbage in the middle of a JPEG (a bad USB stick): the page is kept for a person, never read, and the
    libjpeg warning names the file."""
    from scan.batch import run_scan

    folder = tmp_path / "stapel"
    folder.mkdir()
    ok, buf = cv2.imencode(".jpg", marked_page(pack, 4, seed=1)[0])
    assert ok
    data = bytearray(buf.tobytes())
    middle = len(data) // 2
    data[middle:middle + 400] = bytes(400)
    (folder / "kapot.jpg").write_bytes(bytes(data))
    whole = buf.tobytes()
    (folder / "afgebroken.jpg").write_bytes(whole[: len(whole) // 3])  # nothing after a third: no picture
    db = tmp_path / "softa.sqlite"
    conn = connect(db)
    register_case(conn, load_manifest(MANIFEST), pack.layout)
    capfd.readouterr()
    summary = run_scan(db, [folder], progress=False)
    err = capfd.readouterr().err
    assert all(str(folder) in line for line in err.splitlines() if "JPEG" in line)
    rows = {Path(r[0]).name: (r[1], r[2], r[3], r[4]) for r in conn.execute(
        "SELECT sf.path, sp.status, sp.reason, sp.note, sp.image_path FROM scanned_pages sp"
        " JOIN source_files sf ON sf.id = sp.source_id")}
    conn.close()
    status, reason, note, image_path = rows["kapot.jpg"]
    assert (status, reason) == ("unidentified", "damaged") and image_path  # the picture is there to look at
    assert f"{folder / 'kapot.jpg'}: page 1" in note and "Corrupt JPEG data" in note
    status, reason, note, image_path = rows["afgebroken.jpg"]
    assert (status, reason, image_path) == ("unidentified", "damaged", None)
    assert f"{folder / 'afgebroken.jpg'}: page 1 cannot be decoded" in note
    assert "page damaged" in "\n".join(summary.lines())
    with pytest.raises(ScanIncomplete) as caught:
        summary.check()
    assert "scan the damaged page(s) again" in caught.value.hint


def test_damaged_pages_show_in_review_as_damaged_not_blank(tmp_path: Path, pack) -> None:  # type: ignore[no-untyped-def]
    from review.describe import reason_text
    from review.items import page_detail
    from scan.batch import run_scan

    whole = cv2.imencode(".jpg", marked_page(pack, 4, seed=1)[0])[1].tobytes()
    for name in ("a.jpg", "b.jpg"):  # two cut files: both damaged, neither "the same image" as the other
        (tmp_path / name).write_bytes(whole[: len(whole) // (3 if name == "a.jpg" else 4)])
    db = tmp_path / "softa.sqlite"
    conn = connect(db)
    register_case(conn, load_manifest(MANIFEST), pack.layout)
    run_scan(db, [tmp_path / "a.jpg", tmp_path / "b.jpg"], progress=False)
    ids = [r[0] for r in conn.execute("SELECT id FROM scanned_pages WHERE reason = 'damaged' ORDER BY id")]
    assert len(ids) == 2
    detail = page_detail(conn, ids[0], None)
    conn.close()
    assert detail is not None and detail.reason.startswith("beschadigde pagina")
    assert not detail.set_aside_likely and detail.suggested_note == ""
    assert reason_text("damaged") != reason_text("blank")


def test_pixel_equal_pages_are_the_same_image_and_others_are_not(tmp_path: Path) -> None:
    img = _picture()
    other = img.copy()
    other[200, 150] ^= 1  # one grey level in one pixel
    path = _save(tmp_path / "twee.tif", [_sixteen_bit(img, "I;16"), _sixteen_bit(other, "I;16"),
                                          _sixteen_bit(img, "I;16")])
    ids = [p.image_sha256 for _, p in iter_pages(path)]  # type: ignore[union-attr]
    assert ids[0] != ids[1] and ids[0] == ids[2]
