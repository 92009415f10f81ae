"""Scan simulator: turn a printed form pack into the pile of scans students hand in.

It fills the pack's pages the way two students would (crosses, check marks, dots,
scribbles in blue/black ballpoint or pencil, some overshooting, a few cancelled by
filling, handwritten explanations), degrades them like an office scanner or a
phone camera (rotation, skew, perspective, blur, noise, uneven lighting, paper
tone, JPEG, 150-300 dpi), mixes in blank duplex backs and a foreign page, and
writes the files plus ``truth.json`` (schema ``softa-sim-truth/1``).

Rotation convention: ``rotation`` is how far (degrees, counter-clockwise) the
page's top was turned in the image; turn the image clockwise by that much to
make it upright. Deterministic for a given seed.

Run: ``python -m samples.simulate --manifest samples/case_2024-017.toml --out DIR``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import pypdfium2 as pdfium

from samples.simulate_degrade import (
    A4_MM,
    CLEAN,
    MM_PER_INCH,
    OFFICE,
    PHONE,
    PHONE_FLAT,
    PROFILES,
    PdfWriter,
    ScanProfile,
    blank_page,
    degrade_page,
    foreign_page,
    write_jpeg,
)
from samples.simulate_marks import INK_WEIGHTS, INKS, PENCIL, Ink, mark_box, plan_marks, write_text
from samples.truth import CodingTruth
from softa.layout import POINTS_PER_INCH, CaseLayout, PageLayout

TRUTH_SCHEMA = "softa-sim-truth/1"
PageKind = Literal["form", "blank", "foreign"]
#: Independent random streams (numpy seed sequences) for the page order, each file and each page.
_PLAN_STREAM, _FILE_STREAM, _PAGE_STREAM = 0, 1, 2

__all__ = [
    "CLEAN", "OFFICE", "PHONE", "PHONE_FLAT", "PROFILES", "TRUTH_SCHEMA", "ScanProfile", "SimulatedBatch", "SimulatedPage",
    "degrade", "fill_page", "render_page", "simulate_batch", "simulate_cases",
]


@dataclass(frozen=True)
class SimulatedPage:
    """One page of the simulated pile: where it is and what it really is."""

    source: Path
    page_number: int
    qr: str | None
    kind: PageKind
    rotation: int
    dpi: int
    case: str | None = None
    skew: float = 0.0
    ink: str | None = None
    #: Layout points -> image pixels, 9 numbers row-major (cv2 pixel convention; a phone's curl not included).
    homography: tuple[float, ...] = ()


@dataclass(frozen=True)
class SimulatedBatch:
    files: tuple[Path, ...]
    truth_json: Path
    pages: tuple[SimulatedPage, ...]


def render_page(pack_pdf: Path, index: int, dpi: int) -> np.ndarray:
    """Clean grayscale render (uint8, H x W) of page ``index`` (0-based) of a PDF."""
    doc = pdfium.PdfDocument(str(pack_pdf))
    try:
        return _render(doc, index, dpi)
    finally:
        doc.close()


def _render(doc: pdfium.PdfDocument, index: int, dpi: int) -> np.ndarray:
    page = doc[index]
    try:
        bitmap = page.render(scale=dpi / POINTS_PER_INCH, grayscale=True)
        array = bitmap.to_numpy()
        return np.ascontiguousarray(array.reshape(array.shape[0], array.shape[1]))
    finally:
        page.close()


def degrade(image: np.ndarray, profile: ScanProfile, rng: np.random.Generator, *,
            dpi: int | None = None) -> tuple[np.ndarray, int]:
    """Degrade an upright A4 page image like ``profile``'s device; return (image, rotation ccw in degrees).

    ``dpi`` defaults to the one implied by the image width on A4 paper.
    """
    if dpi is None:
        dpi = round(image.shape[1] * MM_PER_INCH / A4_MM[0])
    result = degrade_page(image, profile, rng, dpi)
    return result.image, result.rotation


def fill_page(image: np.ndarray, page: PageLayout, truth: CodingTruth, px_per_pt: float,
              rng: np.random.Generator, *, ink: Ink | None = None) -> dict[str, str]:
    """Draw pen marks (in place) for every ticked box, some cancelled boxes and the texts.

    Returns ``{box_id: style}`` for every box that got ink; styles ``filled`` (a
    cancelled tick) and ``erased`` (a rubbed-out pencil tick) are in boxes whose
    truth is 0. One writing instrument per page (one student).
    """
    if ink is None:
        ink = INKS[int(rng.choice(len(INKS), p=INK_WEIGHTS))]
    styles = plan_marks(page, truth.boxes, rng, erasable=ink.name == PENCIL.name)
    by_id = {box.id: box for box in page.boxes}
    for box_id, style in styles.items():
        mark_box(image, by_id[box_id], style, ink, px_per_pt, rng)
    for region in page.regions:
        text = truth.texts.get(region.id, "")
        if text:
            write_text(image, region, text, ink, px_per_pt, rng)
    return styles


@dataclass(frozen=True)
class _Source:
    """One case's pack as input to the simulator."""

    pack_pdf: Path
    layout: CaseLayout
    truth: CodingTruth
    page_indices: tuple[int, ...]


@dataclass(frozen=True)
class _Item:
    kind: PageKind
    source: int = -1
    index: int = -1


@dataclass
class _Truth:
    boxes: dict[str, dict[str, int]] = field(default_factory=dict)
    marks: dict[str, dict[str, str]] = field(default_factory=dict)
    texts: dict[str, dict[str, str]] = field(default_factory=dict)


def _plan(sources: Sequence[_Source], rng: np.random.Generator, shuffle: bool, blank_pages: int,
          foreign_pages: int) -> list[_Item]:
    items = [_Item("form", s, i) for s, src in enumerate(sources) for i in src.page_indices]
    items += [_Item("blank")] * blank_pages + [_Item("foreign")] * foreign_pages
    if shuffle:
        order = rng.permutation(len(items))
        items = [items[i] for i in order]
    return items


def _split(count: int, files: int) -> list[int]:
    """Sizes of ``files`` consecutive chunks of ``count`` pages (none empty)."""
    files = max(1, min(files, count))
    base, extra = divmod(count, files)
    return [base + (1 if n < extra else 0) for n in range(files)]


def _simulate(sources: Sequence[_Source], out_dir: Path, *, seed: int, profile: ScanProfile, shuffle: bool,
              blank_pages: int, foreign_pages: int, files: int) -> SimulatedBatch:
    out_dir.mkdir(parents=True, exist_ok=True)
    items = _plan(sources, np.random.default_rng([seed, _PLAN_STREAM]), shuffle, blank_pages, foreign_pages)
    truth = _Truth()
    for src in sources:
        case_id = src.layout.case
        wanted = {src.layout.pages[i].index for i in src.page_indices}
        pages = [p for p in src.layout.pages if p.index in wanted]
        truth.boxes.setdefault(case_id, {}).update({b.id: int(src.truth.boxes.get(b.id, 0)) for p in pages for b in p.boxes})
        truth.texts.setdefault(case_id, {}).update({r.id: src.truth.texts.get(r.id, "") for p in pages for r in p.regions})
        truth.marks.setdefault(case_id, {})
    docs = [pdfium.PdfDocument(str(src.pack_pdf)) for src in sources]
    written: list[Path] = []
    pages_out: list[SimulatedPage] = []
    last_form: np.ndarray | None = None
    try:
        chunks = [1] * len(items) if profile.container == "jpeg" else _split(len(items), files)
        at = 0
        for file_no, size in enumerate(chunks, start=1):
            file_rng = np.random.default_rng([seed, _FILE_STREAM, file_no])
            color = bool(file_rng.random() < profile.color_share)
            file_dpi = profile.pick_dpi(file_rng)
            name = f"IMG_{file_no:04d}.jpg" if profile.container == "jpeg" else f"scan_{file_no:03d}.pdf"
            path = out_dir / name
            writer = PdfWriter(path) if profile.container == "pdf" else None
            try:
                for number, item in enumerate(items[at:at + size], start=1):
                    page_rng = np.random.default_rng([seed, _PAGE_STREAM, at + number])
                    dpi = file_dpi
                    qr: str | None = None
                    case: str | None = None
                    ink_name: str | None = None
                    if item.kind == "form":
                        src = sources[item.source]
                        layout_page = src.layout.pages[item.index]
                        image = _render(docs[item.source], item.index, dpi)
                        last_form = image
                        if color:
                            image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
                        ink = INKS[int(page_rng.choice(len(INKS), p=INK_WEIGHTS))]
                        ink_name = ink.name
                        styles = fill_page(image, layout_page, src.truth, dpi / POINTS_PER_INCH, page_rng, ink=ink)
                        truth.marks[src.layout.case].update(styles)
                        qr, case = layout_page.qr, src.layout.case
                    elif item.kind == "blank":
                        image = blank_page(dpi, color, last_form, page_rng)
                    else:
                        image = foreign_page(dpi, color, page_rng)
                    result = degrade_page(image, profile, page_rng, dpi)
                    quality = int(page_rng.integers(profile.jpeg_quality[0], profile.jpeg_quality[1] + 1))
                    if writer is not None:
                        writer.add_page(result.image, dpi, quality)
                    else:
                        write_jpeg(path, result.image, quality)
                    # Layout points -> rendered pixels -> scan pixels.
                    homography = result.homography @ np.diag([dpi / POINTS_PER_INCH, dpi / POINTS_PER_INCH, 1.0])
                    pages_out.append(SimulatedPage(
                        source=path, page_number=number, qr=qr, kind=item.kind, rotation=result.rotation, dpi=dpi,
                        case=case, skew=round(result.skew, 3), ink=ink_name,
                        homography=tuple(float(f"{v:.7g}") for v in (homography / homography[2, 2]).ravel())))
            finally:
                if writer is not None:
                    writer.close()
            written.append(path)
            at += size
    finally:
        for doc in docs:
            doc.close()
    truth_path = out_dir / "truth.json"
    data = {
        "schema": TRUTH_SCHEMA, "profile": profile.name, "seed": seed,
        "boxes": truth.boxes,
        "marks": {case: dict(sorted(m.items())) for case, m in truth.marks.items()},
        "texts": truth.texts,
        "pages": [{"source": p.source.name, "page_number": p.page_number, "qr": p.qr, "kind": p.kind,
                   "rotation": p.rotation, "dpi": p.dpi, "case": p.case, "skew": p.skew, "ink": p.ink,
                   "homography": list(p.homography)}
                  for p in pages_out],
    }
    truth_path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return SimulatedBatch(files=tuple(written), truth_json=truth_path, pages=tuple(pages_out))


def simulate_batch(pack_pdf: Path, layout: CaseLayout, truth: CodingTruth, out_dir: Path, *, seed: int = 0,
                   profile: ScanProfile = OFFICE, page_indices: Sequence[int] | None = None, shuffle: bool = True,
                   blank_pages: int = 2, foreign_pages: int = 1, files: int = 1) -> SimulatedBatch:
    """Fill and 'scan' one case's pack; write the scan files and truth.json into ``out_dir``.

    ``page_indices`` picks pack pages (0-based, default all); ``shuffle`` mixes the pile (otherwise
    forms in pack order, then blanks, then foreign pages); ``files`` splits a PDF pile into that
    many consecutive files (``scan_001.pdf`` ...). A phone profile writes one JPEG per page
    (``IMG_0001.jpg`` ...) and ignores ``files``.
    """
    indices = tuple(range(len(layout.pages))) if page_indices is None else tuple(page_indices)
    wrong = [i for i in indices if not 0 <= i < len(layout.pages)]
    if wrong:
        raise ValueError(f"page_indices {wrong} outside the pack of case {layout.case} "
                         f"(pages 0..{len(layout.pages) - 1})")
    return _simulate([_Source(pack_pdf, layout, truth, indices)], out_dir, seed=seed, profile=profile,
                     shuffle=shuffle, blank_pages=blank_pages, foreign_pages=foreign_pages, files=files)


def simulate_cases(cases: Sequence[tuple[Path, CaseLayout, CodingTruth]], out_dir: Path, *, seed: int = 0,
                   profile: ScanProfile = OFFICE, page_indices: Sequence[int] | None = None, shuffle: bool = True,
                   blank_pages: int = 2, foreign_pages: int = 1, files: int = 1) -> SimulatedBatch:
    """Like simulate_batch for several cases at once: their pages mixed in the same files.

    ``page_indices`` (optional) picks the same pack pages of every case, e.g. for a small test set.
    """
    sources = [_Source(pdf, layout, truth,
                       tuple(range(len(layout.pages))) if page_indices is None
                       else tuple(i for i in page_indices if i < len(layout.pages)))
               for pdf, layout, truth in cases]
    return _simulate(sources, out_dir, seed=seed, profile=profile, shuffle=shuffle, blank_pages=blank_pages,
                     foreign_pages=foreign_pages, files=files)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: forms + truth + simulated scans for one manifest."""
    from formgen.pack import generate_pack
    from samples.truth import simulate_coding
    from softa.manifest import load_manifest

    parser = argparse.ArgumentParser(prog="python -m samples.simulate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", type=Path, required=True, help="case manifest (.toml)")
    parser.add_argument("--out", type=Path, required=True, help="output folder (forms/ and the scans)")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="office")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--files", type=int, default=1, help="number of PDF files (office profile)")
    parser.add_argument("--blank-pages", type=int, default=2)
    parser.add_argument("--foreign-pages", type=int, default=1)
    args = parser.parse_args(argv)
    manifest = load_manifest(args.manifest)
    pack = generate_pack(manifest, args.out / "forms")
    truth = simulate_coding(manifest, pack.layout, seed=args.seed)
    batch = simulate_batch(pack.pack_pdf, pack.layout, truth, args.out / "scans", seed=args.seed,
                           profile=PROFILES[args.profile], files=args.files, blank_pages=args.blank_pages,
                           foreign_pages=args.foreign_pages)
    print(f"{len(batch.pages)} pages in {len(batch.files)} file(s) under {args.out / 'scans'}; "
          f"truth in {batch.truth_json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
