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
from softa.errors import InputFileError
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
    ("no_pages", "no pages"), ("text", "not a PDF, TIFF, PNG or JPEG"), ("bomb", "decompression bomb")])
def test_each_bad_file_is_refused_with_its_name(tmp_path: Path, pack, kind: str, words: str) -> None:  # type: ignore[no-untyped-def]
    good = write_pdf(tmp_path / "goed.pdf", [marked_page(pack, 4, seed=1)[0]])
    path = _bad_files(tmp_path, good)[kind]
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
