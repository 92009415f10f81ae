"""Intake benchmark: milliseconds per page to take each page image out of its file and decode it.

Run: ``python benchmarks/bench_intake.py [--pages N]``

Files: an office scanner's PDF (one upright JPEG per page, the fast path that
keeps the bytes as stored), the same pages in a PDF with /Rotate (rendered by
pdfium), a CCITT (fax) PDF, a 16-bit greyscale TIFF, a colour JPEG page. For
each: ms per page (best of 3 passes) and the path taken (stored as is or not).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from formgen import generate_pack  # noqa: E402
from samples.simulate import render_page  # noqa: E402
from scan.inputs import SourceReader  # noqa: E402
from softa.manifest import load_manifest  # noqa: E402
from tests.pdf_fixtures import build_pdf, ccitt_image, full_page, jpeg_image  # noqa: E402

MANIFEST = ROOT / "samples" / "case_2024-017.toml"
DPI = 200
PASSES = 3


def _files(out: Path, pages: int) -> dict[str, Path]:
    pack = generate_pack(load_manifest(MANIFEST), out / "forms")
    images = [render_page(pack.pack_pdf, i % len(pack.layout.pages), DPI) for i in range(pages)]
    scanner = out / "scanner.pdf"  # what an office scanner writes: one upright JPEG a page, nothing else
    scanner.write_bytes(build_pdf([full_page(img, DPI, jpeg_image(img)) for img in images]))
    files = {"scanner PDF (JPEG as stored)": scanner}
    rotated = out / "rotated.pdf"
    rotated.write_bytes(build_pdf([full_page(img, DPI, jpeg_image(img), rotate=180) for img in images]))
    files["PDF with /Rotate (rendered)"] = rotated
    fax = out / "fax.pdf"
    fax.write_bytes(build_pdf([full_page(img, DPI, ccitt_image(np.where(img < 128, 0, 255).astype(np.uint8)))
                               for img in images]))
    files["CCITT fax PDF (rendered)"] = fax
    wide = [Image.frombytes("I;16", (img.shape[1], img.shape[0]), (img.astype("<u2") * 257).tobytes())
            for img in images]
    wide[0].save(out / "archive.tif", "TIFF", save_all=True, append_images=wide[1:], dpi=(DPI, DPI))
    files["16-bit TIFF"] = out / "archive.tif"
    colour = np.stack([images[0]] * 3, axis=2)
    colour[200:260, 100:600] = (250, 130, 200)
    Image.fromarray(colour).save(out / "colour.jpg", quality=90, dpi=(DPI, DPI))
    files["colour JPEG (1 page)"] = out / "colour.jpg"
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = _files(Path(tmp), args.pages)
        print(f"{'file':34} {'pages':>5} {'ms/page':>8}  path")
        for name, path in files.items():
            best = float("inf")
            stored = 0
            count = 0
            for _ in range(PASSES):
                start = time.perf_counter()
                with SourceReader(path) as reader:
                    count = reader.page_count
                    loaded = [reader.load(n) for n in range(1, count + 1)]
                best = min(best, time.perf_counter() - start)
                raw = path.read_bytes()
                stored = sum(1 for p in loaded if p.stored_bytes in raw)
            path_taken = "as stored" if stored == count else ("partly as stored" if stored else "decoded/rendered")
            print(f"{name:34} {count:5d} {1000 * best / count:8.1f}  {path_taken}")


if __name__ == "__main__":
    main()
