"""Bad input: each bad file gets a clear message naming it, and the rest of the batch is read."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner

from scan.inputs import MAX_PAGE_PIXELS, SourceReader, discover
from softa.cli import main
from softa.db import connect, register_case
from softa.errors import InputFileError, ScanIncomplete
from softa.manifest import load_manifest
from tests.omr_fixtures import MANIFEST, marked_page, sample_pack, write_pdf


@pytest.fixture(scope="module")
def pack(tmp_path_factory):  # type: ignore[no-untyped-def]
    return sample_pack(str(tmp_path_factory.mktemp("pack")))


def _png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG that claims to be huge but holds a few bytes: a decompression bomb's header."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
                     + chunk(b"IEND", b""))
    return path


def _tiff(frames: int) -> bytes:
    """A multi-page TIFF of small noisy frames (uncompressed, so a cut lands in image data)."""
    import io

    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(frames)
    images = [Image.fromarray(rng.integers(0, 255, (300, 400), dtype=np.uint8)) for _ in range(frames)]
    buf = io.BytesIO()
    images[0].save(buf, "TIFF", save_all=True, append_images=images[1:])
    return buf.getvalue()


def _bad_files(folder: Path, good: Path) -> dict[str, Path]:
    corrupt = folder / "kapot.pdf"
    corrupt.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 40)
    encrypted = folder / "beveiligd.pdf"
    writer = pypdf.PdfWriter(clone_from=str(good))
    writer.encrypt(user_password="geheim", owner_password="geheim", algorithm="RC4-128")
    with encrypted.open("wb") as fh:
        writer.write(fh)
    empty = folder / "leeg.pdf"
    empty.write_bytes(b"")
    no_pages = folder / "geen_paginas.pdf"
    with no_pages.open("wb") as fh:
        pypdf.PdfWriter().write(fh)
    text = folder / "notities.txt"
    text.write_text("geen scan", encoding="utf-8")
    bomb = _png_header_only(folder / "bom.png", 60_000, 60_000)
    return {"corrupt": corrupt, "encrypted": encrypted, "empty": empty, "no_pages": no_pages, "text": text,
            "bomb": bomb}


@pytest.mark.parametrize(("kind", "words"), [
    ("corrupt", "not a readable PDF"), ("encrypted", "encrypted"), ("empty", "empty file"),
    ("no_pages", "no pages"), ("text", "not a PDF, TIFF, PNG or JPEG"), ("bomb", "decompression bomb"),
    ("empty_jpeg", "empty file"), ("cut_tiff", "not a readable image")])
def test_each_bad_file_is_refused_with_its_name(tmp_path: Path, pack, kind: str, words: str) -> None:  # type: ignore[no-untyped-def]
    good = write_pdf(tmp_path / "goed.pdf", [marked_page(pack, 4, seed=1)[0]])
    files = _bad_files(tmp_path, good)
    files["empty_jpeg"] = tmp_path / "leeg.jpg"  # zero bytes, like leeg.pdf (so not in the shared batch below)
    files["empty_jpeg"].write_bytes(b"")
    files["cut_tiff"] = tmp_path / "afgebroken.tif"
    files["cut_tiff"].write_bytes(_tiff(3)[: len(_tiff(3)) // 2])  # Pillow writes the frame index last: gone
    path = files[kind]
    with pytest.raises(InputFileError) as caught:
        SourceReader(path)
    assert str(path) in caught.value.message and words in caught.value.message
    assert caught.value.hint


def test_bomb_limit_is_far_above_a_real_scan() -> None:
    a4_at_600_dpi = round(210 / 25.4 * 600) * round(297 / 25.4 * 600)
    assert 2 * a4_at_600_dpi < MAX_PAGE_PIXELS


def test_batch_goes_on_past_bad_files_and_exits_nonzero(tmp_path: Path, pack) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "stapel"
    folder.mkdir()
    good = write_pdf(folder / "goed.pdf", [marked_page(pack, 4, seed=1)[0], marked_page(pack, 5, seed=2)[0]])
    bad = _bad_files(folder, good)
    db = tmp_path / "softa.sqlite"
    conn = connect(db)
    register_case(conn, load_manifest(MANIFEST), pack.layout)
    conn.close()
    result = CliRunner().invoke(main, ["scan", str(folder), str(bad["text"]), "--db", str(db), "--quiet"])
    assert result.exit_code == 9, result.output
    for path in bad.values():
        assert str(path) in result.output
    assert "2 page(s), 2 identified" in result.output
    conn = connect(db)
    status = {Path(r["path"]).name: (r["status"], r["error"]) for r in conn.execute("SELECT * FROM source_files")}
    assert status["goed.pdf"] == ("complete", None)
    for path in bad.values():
        if path.name != "leeg.pdf" or path.name in status:
            assert status[path.name][0] == "failed" and str(path) in status[path.name][1]
    assert conn.execute("SELECT COUNT(*) FROM scanned_pages WHERE status = 'identified'").fetchone()[0] == 2
    conn.close()


def test_folders_are_searched_recursively_for_scan_files(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    for name in ("a/1.pdf", "a/b/2.JPG", "a/b/3.tiff", "a/notes.txt", "a/.hidden.pdf"):
        (tmp_path / name).write_bytes(b"x")
    found = [p.relative_to(tmp_path).as_posix() for p in discover([tmp_path])]
    assert found == ["a/1.pdf", "a/b/2.JPG", "a/b/3.tiff"]
    from scan.inputs import passed_over

    (tmp_path / "a" / "b" / "IMG_0001.HEIC").write_bytes(b"x")
    (tmp_path / "a" / ".b.webp").write_bytes(b"x")
    assert [p.relative_to(tmp_path).as_posix() for p in passed_over([tmp_path])] == ["a/b/IMG_0001.HEIC"]
    from scan.summary import ScanSummary

    lines = ScanSummary(passed_over=passed_over([tmp_path])).lines()
    assert f"Images not read (not PDF, TIFF, PNG or JPEG): {tmp_path / 'a/b/IMG_0001.HEIC'};" in lines[-1]


def test_tiff_png_and_jpeg_pages_are_read(tmp_path: Path, pack) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    from scan.batch import run_scan

    first, second, third = (marked_page(pack, i, seed=i)[0] for i in (4, 5, 6))
    folder = tmp_path / "scans"
    folder.mkdir()
    Image.fromarray(first).save(folder / "pages.tif", save_all=True, append_images=[Image.fromarray(second)],
                                compression="tiff_lzw", dpi=(200, 200))
    Image.fromarray(third).save(folder / "late.png", dpi=(200, 200))
    Image.fromarray(third).save(folder / "photo.jpg", quality=88)
    with SourceReader(folder / "pages.tif") as reader:
        assert reader.page_count == 2
        assert reader.load(2).dpi == pytest.approx(200, abs=1)
    db = tmp_path / "softa.sqlite"
    conn = connect(db)
    register_case(conn, load_manifest(MANIFEST), pack.layout)
    summary = run_scan(db, [folder], progress=False)
    counts = {f.path.name: (f.pages, f.identified, f.statuses["duplicate"]) for f in summary.files}
    # The JPEG is a second, different scan of the PNG's page: a duplicate for a person.
    assert counts == {"late.png": (1, 1, 0), "pages.tif": (2, 2, 0), "photo.jpg": (1, 0, 1)}
    stored = [r[0] for r in conn.execute("SELECT image_path FROM scanned_pages ORDER BY id")]
    assert [Path(p).suffix for p in stored] == [".png", ".png", ".png", ".jpg"]
    conn.close()


def test_scanned_pdf_page_is_taken_out_as_its_jpeg(tmp_path: Path, pack) -> None:  # type: ignore[no-untyped-def]
    image = marked_page(pack, 4, seed=1)[0]
    pdf = write_pdf(tmp_path / "scan.pdf", [image], dpi=200)
    xobjects = pypdf.PdfReader(str(pdf)).pages[0]["/Resources"]["/XObject"]
    stream = next(iter(xobjects.values())).get_object()
    assert stream["/Filter"] == "/DCTDecode"
    embedded = stream.get_data()  # DCT data is not decoded by pypdf: the JPEG as stored
    with SourceReader(pdf) as reader:
        page = reader.load(1)
    assert page.stored_ext == ".jpg" and page.stored_bytes == embedded
    assert page.gray.shape == image.shape and page.dpi == pytest.approx(200, abs=0.5)


def test_vector_pdf_pages_are_rendered(pack) -> None:  # type: ignore[no-untyped-def]
    with SourceReader(pack.pack_pdf) as reader:
        assert reader.page_count == len(pack.layout.pages)
        page = reader.load(1)
    assert page.dpi == 200 and page.gray.shape == (round(297 / 25.4 * 200), round(210 / 25.4 * 200))


def _registered_db(tmp_path: Path, pack) -> Path:  # type: ignore[no-untyped-def]
    db = tmp_path / "softa.sqlite"
    conn = connect(db)
    register_case(conn, load_manifest(MANIFEST), pack.layout)
    conn.close()
    return db


def test_truncated_jpeg_is_kept_as_a_damaged_page_and_the_batch_goes_on(tmp_path: Path, pack) -> None:  # type: ignore[no-untyped-def]
    import cv2

    from scan.batch import run_scan

    folder = tmp_path / "stapel"
    folder.mkdir()
    ok, buf = cv2.imencode(".jpg", marked_page(pack, 4, seed=1)[0])
    assert ok
    whole = buf.tobytes()
    cut = folder / "afgebroken.jpg"
    cut.write_bytes(whole[: len(whole) * 9 // 10])  # a transfer that stopped early
    write_pdf(folder / "goed.pdf", [marked_page(pack, 5, seed=2)[0]])
    db = _registered_db(tmp_path, pack)
    summary = run_scan(db, [folder], progress=False)
    lines = "\n".join(summary.lines())
    assert f"{cut}: page 1 cannot be decoded" in lines and "1 page(s), 1 identified" in lines
    conn = connect(db)
    rows = conn.execute("SELECT sf.path, sp.status, sp.reason FROM scanned_pages sp JOIN source_files sf"
                        " ON sf.id = sp.source_id ORDER BY sf.path").fetchall()
    conn.close()
    assert [(Path(r[0]).name, r[1], r[2]) for r in rows] == [
        ("afgebroken.jpg", "unidentified", "damaged"), ("goed.pdf", "identified", None)]


def test_form_pdf_itself_is_not_taken_as_a_scan(tmp_path: Path, pack) -> None:  # type: ignore[no-untyped-def]
    """The unfilled form PDF in the scan folder would read as all boxes empty: it is kept aside instead."""
    from scan.batch import run_scan

    writer = pypdf.PdfWriter()
    reader = pypdf.PdfReader(str(pack.pack_pdf))
    for index in (4, 5):
        writer.add_page(reader.pages[index])
    printed = tmp_path / "formulieren.pdf"
    with printed.open("wb") as fh:
        writer.write(fh)
    db = _registered_db(tmp_path, pack)
    summary = run_scan(db, [printed], progress=False)
    assert summary.unidentified == 2
    with pytest.raises(ScanIncomplete) as caught:
        summary.check()
    assert "not the PDF `softa forms` wrote" in caught.value.hint
    conn = connect(db)
    pages = conn.execute("SELECT status, reason, qr FROM scanned_pages ORDER BY page_number").fetchall()
    assert [(p[0], p[1], p[2]) for p in pages] == [
        ("unidentified", "printed_form", pack.layout.pages[i].qr) for i in (4, 5)]
    assert conn.execute("SELECT COUNT(*) FROM box_values").fetchone()[0] == 0
    conn.close()
    # The paper scan of the same pages is then read as usual, not as a duplicate.
    again = run_scan(db, [write_pdf(tmp_path / "scan.pdf", [marked_page(pack, 4, seed=1)[0]])], progress=False)
    assert (again.total("identified"), again.status_count("duplicate")) == (1, 0)


def test_progress_in_a_log_is_one_line_per_file(tmp_path: Path, pack, capsys) -> None:  # type: ignore[no-untyped-def]
    """stderr piped into a file: no redrawn bar filling the log, one line per file instead."""
    from scan.batch import run_scan

    folder = tmp_path / "stapel"
    folder.mkdir()
    write_pdf(folder / "a.pdf", [marked_page(pack, 4, seed=1)[0], marked_page(pack, 5, seed=2)[0]])
    (folder / "b.pdf").write_bytes(b"")
    db = _registered_db(tmp_path, pack)
    capsys.readouterr()
    run_scan(db, [folder], progress=True)
    err = capsys.readouterr().err
    assert "\r" not in err
    assert err.splitlines() == [f"[1/2] {folder / 'a.pdf'}: 2 page(s) read, 2 identified",
                                f"[2/2] {folder / 'b.pdf'}: failed"]


def test_tiff_cut_in_its_last_frame_gives_the_other_frames_and_names_the_lost_one(tmp_path: Path) -> None:
    from scan.inputs import iter_pages

    data = _tiff(3)
    path = tmp_path / "stapel.tif"
    path.write_bytes(data[: len(data) * 9 // 10])
    pages = list(iter_pages(path))
    assert [n for n, _ in pages] == [1, 2, 3]
    assert all(not isinstance(p, InputFileError) for _, p in pages[:2])
    lost = pages[2][1]
    assert isinstance(lost, InputFileError) and f"{path}: page 3 cannot be decoded" in lost.message


def test_a_folder_without_scan_files_is_an_error_not_an_empty_success(tmp_path: Path) -> None:
    (tmp_path / "scans").mkdir()
    (tmp_path / "scans" / "IMG_0001.heic").write_bytes(b"x")
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "scans"), "--db", str(tmp_path / "s.sqlite")])
    assert result.exit_code == InputFileError.exit_code
    assert f"no PDF, TIFF, PNG or JPEG file in {tmp_path / 'scans'}" in result.output
    assert "IMG_0001.heic" in result.output
