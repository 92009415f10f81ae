"""The scan simulator: files, truth, marks in the right boxes, determinism, rotation."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from pathlib import Path

import cv2
import numpy as np
import pypdf
import pypdfium2 as pdfium
import pytest

from formgen.pack import FormPack, generate_pack
from samples.simulate import (
    CLEAN,
    OFFICE,
    PHONE,
    PHONE_FLAT,
    TRUTH_SCHEMA,
    ScanProfile,
    SimulatedPage,
    degrade,
    fill_page,
    main,
    render_page,
    simulate_batch,
    simulate_cases,
)
from samples.simulate_degrade import page_px
from samples.simulate_marks import BLUE_PEN, INKS, Ink, mark_box
from samples.truth import CodingTruth, simulate_coding
from softa.layout import POINTS_PER_MM, PageLayout
from softa.manifest import Manifest, Participant

DPI = 200
PX_PER_PT = DPI / 72
#: Phone framing is checked on small pages: it does not depend on resolution.
PHONE_TEST_DPI = 50
#: Measure marks inside the box, away from its printed border.
INNER_SHARE = 0.6
#: An erased pencil tick stays lighter than this everywhere; a stroke has pixels darker.
ERASED_DARKEST = 185
#: A pixel this dark is ink (pencil included).
INK_LEVEL = 215


def _manifest(case: str) -> Manifest:
    return Manifest(case=case, date=dt.date(2026, 11, 20), minutes=10, observers=("A", "B"),
                    participants=(Participant("H1", "hulpverlener"), Participant("C1", "moeder")))


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> tuple[FormPack, CodingTruth]:
    manifest = _manifest("2099-001")
    pack = generate_pack(manifest, tmp_path_factory.mktemp("forms"))
    return pack, simulate_coding(manifest, pack.layout, seed=3)


def _page_with(pack: FormPack, *, boxes: bool = True, regions: bool = False) -> PageLayout:
    return next(p for p in pack.layout.pages if bool(p.boxes) == boxes and bool(p.regions) == regions)


def _embedded_images(path: Path) -> list[np.ndarray]:
    """The JPEG each PDF page carries, decoded as scanned (no re-rendering)."""
    doc = pdfium.PdfDocument(str(path))
    images: list[np.ndarray] = []
    try:
        for page in doc:
            (obj,) = [o for o in page.get_objects() if o.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE]
            assert obj.get_filters() == ["DCTDecode"]
            data = bytes(obj.get_data(decode_simple=False))
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
            assert image is not None
            images.append(image)
    finally:
        doc.close()
    return images


def _ink_share(image: np.ndarray, rect_pt: tuple[float, float, float, float]) -> float:
    x0, y0, x1, y1 = (v * PX_PER_PT for v in rect_pt)
    dx, dy = (x1 - x0) * (1 - INNER_SHARE) / 2, (y1 - y0) * (1 - INNER_SHARE) / 2
    inner = image[int(y0 + dy):int(y1 - dy), int(x0 + dx):int(x1 - dx)]
    return float((inner < INK_LEVEL).mean())


def _darkest_in(image: np.ndarray, rect_pt: tuple[float, float, float, float]) -> int:
    x0, y0, x1, y1 = (v * PX_PER_PT for v in rect_pt)
    dx, dy = (x1 - x0) * (1 - INNER_SHARE) / 2, (y1 - y0) * (1 - INNER_SHARE) / 2
    return int(image[int(y0 + dy):int(y1 - dy), int(x0 + dx):int(x1 - dx)].min())


def test_batch_writes_files_pages_and_truth(pack: tuple[FormPack, CodingTruth], tmp_path: Path) -> None:
    forms, truth = pack
    indices = [0, 4, 6, 7]
    batch = simulate_batch(forms.pack_pdf, forms.layout, truth, tmp_path, seed=5, profile=OFFICE,
                           page_indices=indices, blank_pages=2, foreign_pages=1, files=2)
    assert len(batch.files) == 2 and all(f.exists() for f in batch.files)
    counts = []
    for path in batch.files:
        doc = pdfium.PdfDocument(str(path))
        counts.append(len(doc))
        width, height = doc[0].get_size()
        doc.close()
        # A4, or a little larger when a sheet fed far askew made the scanner keep its corners.
        assert 210 * POINTS_PER_MM - 1.0 < min(width, height) < 230 * POINTS_PER_MM
    assert sum(counts) == len(indices) + 3 == len(batch.pages)
    # A strict second reader agrees: the hand-written PDF structure is valid.
    assert sum(len(pypdf.PdfReader(path, strict=True).pages) for path in batch.files) == sum(counts)
    kinds = [p.kind for p in batch.pages]
    assert kinds.count("form") == 4 and kinds.count("blank") == 2 and kinds.count("foreign") == 1
    assert {p.qr for p in batch.pages if p.kind == "form"} == {forms.layout.pages[i].qr for i in indices}
    assert all(p.qr is None for p in batch.pages if p.kind != "form")
    for path, count in zip(batch.files, counts, strict=True):
        assert sorted(p.page_number for p in batch.pages if p.source == path) == list(range(1, count + 1))

    data = json.loads(batch.truth_json.read_text(encoding="utf-8"))
    assert data["schema"] == TRUTH_SCHEMA and data["profile"] == "office" and data["seed"] == 5
    case = forms.layout.case
    wanted = {b.id for i in indices for b in forms.layout.pages[i].boxes}
    assert data["boxes"][case] == {box_id: truth.boxes[box_id] for box_id in wanted}
    assert data["texts"][case] == {r.id: truth.texts[r.id] for i in indices for r in forms.layout.pages[i].regions}
    marks = data["marks"][case]
    assert {b for b, style in marks.items() if style not in ("filled", "erased")} == {b for b in wanted if truth.boxes[b]}
    assert all(truth.boxes[b] == 0 for b, style in marks.items() if style in ("filled", "erased"))
    assert [(p["source"], p["page_number"], p["qr"], p["kind"], p["rotation"], p["dpi"]) for p in data["pages"]] \
        == [(p.source.name, p.page_number, p.qr, p.kind, p.rotation, p.dpi) for p in batch.pages]


def test_clean_marks_land_in_their_boxes(pack: tuple[FormPack, CodingTruth], tmp_path: Path) -> None:
    forms, truth = pack
    pages = [*[p for p in forms.layout.pages if p.boxes][:6], _page_with(forms, boxes=True, regions=True)]
    indices = sorted({p.index for p in pages})
    batch = simulate_batch(forms.pack_pdf, forms.layout, truth, tmp_path, seed=1, profile=CLEAN,
                           page_indices=indices, shuffle=False, blank_pages=0, foreign_pages=0)
    marks = json.loads(batch.truth_json.read_text(encoding="utf-8"))["marks"][forms.layout.case]
    images = _embedded_images(batch.files[0])
    assert [p.qr for p in batch.pages] == [forms.layout.pages[i].qr for i in indices]
    checked = empty = 0
    for image, index in zip(images, indices, strict=True):
        assert image.shape[:2] == page_px(DPI)[::-1]
        for box in forms.layout.pages[index].boxes:
            share = _ink_share(image, box.rect_pt)
            style = marks.get(box.id)
            if style == "filled":
                assert share > 0.8, box.id
            elif style == "erased":
                assert share < 0.5, box.id
            elif style is None:
                assert share < 0.01, box.id
                empty += 1
            elif style != "dot":
                assert share > 0.04, (box.id, style)
                checked += 1
    assert checked >= 5 and empty >= 50


@pytest.mark.parametrize("ink", INKS, ids=[ink.name for ink in INKS])
def test_every_style_marks_its_own_box_only(pack: tuple[FormPack, CodingTruth], ink: Ink) -> None:
    forms, _ = pack
    page = max(forms.layout.pages, key=lambda p: len(p.boxes))
    image = render_page(forms.pack_pdf, page.index, DPI)
    styles = ("cross", "check", "scribble", "dot", "stroke", "filled", "erased")
    # Every other tick box of the page gets a mark, cycling through the styles (several draws of each).
    marked = {box.id: styles[n % len(styles)] for n, box in enumerate(page.boxes[::2])}
    rng = np.random.default_rng(11)
    for box in page.boxes:
        if box.id in marked:
            mark_box(image, box, marked[box.id], ink, PX_PER_PT, rng)
    for box in page.boxes:
        share = _ink_share(image, box.rect_pt)
        style = marked.get(box.id)
        if style is None:
            assert share < 0.01, box.id
        elif style == "filled":
            assert share > 0.8, (box.id, share)
        elif style == "erased":
            # What an eraser leaves is a smudge, never as dark as a stroke.
            assert _darkest_in(image, box.rect_pt) > ERASED_DARKEST, box.id
        else:
            assert share > (0.005 if style == "dot" else 0.04), (box.id, style, share)
            assert _darkest_in(image, box.rect_pt) < ERASED_DARKEST or style == "dot", (box.id, style)


def test_fill_page_writes_truth_marks_and_text(pack: tuple[FormPack, CodingTruth]) -> None:
    forms, truth = pack
    page = _page_with(forms, boxes=True, regions=True)
    image = cv2.cvtColor(render_page(forms.pack_pdf, page.index, DPI), cv2.COLOR_GRAY2RGB)
    before = image.copy()
    styles = fill_page(image, page, truth, PX_PER_PT, np.random.default_rng(0), ink=BLUE_PEN)
    assert {b for b, s in styles.items() if s not in ("filled", "erased")} == \
        {b.id for b in page.boxes if truth.boxes[b.id]}
    region = next(r for r in page.regions if truth.texts[r.id])
    x0, y0, x1, y1 = (round(v * PX_PER_PT) for v in region.rect_pt)
    changed = np.any(image[y0:y1, x0:x1] != before[y0:y1, x0:x1], axis=2)
    assert changed.mean() > 0.01
    inked = image[y0:y1, x0:x1][changed].astype(int)
    assert (inked[:, 2] > inked[:, 0] + 20).mean() > 0.5  # blue ballpoint: blue channel well above red


def test_same_seed_same_bytes(pack: tuple[FormPack, CodingTruth], tmp_path: Path) -> None:
    forms, truth = pack
    runs = [simulate_batch(forms.pack_pdf, forms.layout, truth, tmp_path / name, seed=9, profile=OFFICE,
                           page_indices=[0, 6], blank_pages=1, foreign_pages=1) for name in ("a", "b")]
    assert runs[0].truth_json.read_bytes() == runs[1].truth_json.read_bytes()
    assert runs[0].files[0].read_bytes() == runs[1].files[0].read_bytes()
    other = simulate_batch(forms.pack_pdf, forms.layout, truth, tmp_path / "c", seed=10, profile=OFFICE,
                           page_indices=[0, 6], blank_pages=1, foreign_pages=1)
    assert other.files[0].read_bytes() != runs[0].files[0].read_bytes()


#: How far a phone's perspective can tilt the page's vertical at its centre beyond the recorded skew.
PHONE_TILT_DEG = 4.0
#: Small enough that a registration mark moves less than half its size across the page.
SMALL_SKEW_DEG = 0.2


@pytest.mark.parametrize("sideways, skew, expected", [(False, 0.0, {180}), (True, 0.0, {90, 270}),
                                                      (False, SMALL_SKEW_DEG, {180}), (True, SMALL_SKEW_DEG, {90, 270})])
def test_rotation_is_recorded_and_applied(pack: tuple[FormPack, CodingTruth], tmp_path: Path,
                                          sideways: bool, skew: float, expected: set[int]) -> None:
    forms, truth = pack
    profile = (dataclasses.replace(CLEAN, sideways_share=1.0, skew_deg=skew) if sideways
               else dataclasses.replace(CLEAN, upside_down_share=1.0, skew_deg=skew))
    page = forms.layout.pages[0]
    batch = simulate_batch(forms.pack_pdf, forms.layout, truth, tmp_path, seed=2, profile=profile,
                           page_indices=[0, 4], blank_pages=0, foreign_pages=0, shuffle=False)
    for sim, image in zip(batch.pages, _embedded_images(batch.files[0]), strict=True):
        assert sim.rotation in expected
        # The registration marks (solid black squares) sit where the recorded rotation puts them.
        for cx, cy in page.marks_pt:
            w, h = page_px(DPI)
            x, y = cx * PX_PER_PT, cy * PX_PER_PT
            for _ in range(sim.rotation // 90):
                x, y, w, h = y, w - x, h, w
            half = int(page.mark_size_pt * PX_PER_PT * 0.3)
            assert image[int(y) - half:int(y) + half, int(x) - half:int(x) + half].mean() < 60


def _load(sim: SimulatedPage) -> np.ndarray:
    if sim.source.suffix == ".jpg":
        image = cv2.imread(str(sim.source), cv2.IMREAD_GRAYSCALE)
        assert image is not None
        return image
    return _embedded_images(sim.source)[sim.page_number - 1]


def _darkest(image: np.ndarray, point: np.ndarray, reach: int) -> float:
    x, y = (round(float(v)) for v in point)
    return float(image[max(0, y - reach):y + reach + 1, max(0, x - reach):x + reach + 1].min())


#: Seeds whose four pages include turned ones (checked below, so the test keeps meaning something);
#: office seed 10 has a page skewed 8 degrees.
@pytest.mark.parametrize("profile, seed", [(OFFICE, 10), (OFFICE, 8), (PHONE, 7), (PHONE_FLAT, 12)],
                         ids=["office-sideways", "office-upside-down", "phone", "phone-flat"])
@pytest.mark.xfail(reason="merge of issue 14.2: the phone-flat truth check reads the v1 QR position (open)",
                   strict=False)
def test_truth_homography_maps_the_layout_onto_the_scan(pack: tuple[FormPack, CodingTruth], tmp_path: Path,
                                                        profile: ScanProfile, seed: int) -> None:
    forms, truth = pack
    indices = [0, 1, 4, 5]
    batch = simulate_batch(forms.pack_pdf, forms.layout, truth, tmp_path, seed=seed, profile=profile,
                           page_indices=indices, blank_pages=0, foreign_pages=0)
    assert len(batch.pages) == 4 and len({p.rotation for p in batch.pages}) >= 2
    inked = json.loads(batch.truth_json.read_text(encoding="utf-8"))["marks"][forms.layout.case]
    for sim in batch.pages:
        page = next(p for p in forms.layout.pages if p.qr == sim.qr)
        image = _load(sim)
        h = np.array(sim.homography).reshape(3, 3)
        px_per_pt = float(np.sqrt(abs(np.linalg.det(h[:2, :2]))))
        paper = float(np.percentile(image, 90))
        margin = 3 * page.mark_size_pt * px_per_pt

        def seen(points_pt: list[tuple[float, float]], h: np.ndarray = h, margin: float = margin,
                 shape: tuple[int, ...] = image.shape) -> list[np.ndarray]:
            projected = cv2.perspectiveTransform(np.array([points_pt], dtype=np.float64), h)[0]
            return [p for p in projected if margin < p[0] < shape[1] - margin and margin < p[1] < shape[0] - margin]

        # Registration marks (solid squares) that are on the scan are dark where the homography puts them.
        for centre in seen(list(page.marks_pt)):
            assert _darkest(image, centre, 0) < 0.5 * paper, (sim, centre)
        # Every printed box's top border is found within a pixel of where the homography puts it,
        # while 1 mm inside an empty box is paper.
        empty = [b for b in page.boxes if b.id not in inked]
        borders = seen([((b.rect_pt[0] + b.rect_pt[2]) / 2, b.rect_pt[1]) for b in page.boxes])
        insides = seen([((b.rect_pt[0] + b.rect_pt[2]) / 2, (b.rect_pt[1] + b.rect_pt[3]) / 2) for b in empty])
        assert len(borders) > 0.8 * len(page.boxes)
        # A phone's sheet curl moves boxes (not marks) by up to curl_mm against the homography.
        reach = 1 + math.ceil(profile.curl_mm * POINTS_PER_MM * px_per_pt)
        assert np.mean([_darkest(image, p, reach) < 0.7 * paper for p in borders]) > 0.95
        assert np.mean([_darkest(image, p, 1) > 0.8 * paper for p in insides]) > 0.95
        # At the page's centre, its "up" points where rotation + skew say (counter-clockwise from the image's up).
        cx, cy = page.size_pt[0] / 2, page.size_pt[1] / 2
        centre, above = cv2.perspectiveTransform(np.array([[(cx, cy), (cx, cy - 1.0)]], dtype=np.float64), h)[0]
        up = above - centre
        turn = (np.degrees(np.arctan2(-up[0], -up[1])) - sim.rotation - sim.skew) % 360
        assert min(turn, 360 - turn) < (PHONE_TILT_DEG if profile.container == "jpeg" else 0.1), (sim, turn)


def test_phone_photo_is_a_jpeg_of_the_page_on_a_table(pack: tuple[FormPack, CodingTruth], tmp_path: Path) -> None:
    forms, truth = pack
    batch = simulate_batch(forms.pack_pdf, forms.layout, truth, tmp_path, seed=4, profile=PHONE,
                           page_indices=[0, 1], blank_pages=0, foreign_pages=0)
    assert len(batch.files) == 2 and all(f.suffix == ".jpg" for f in batch.files)
    for sim in batch.pages:
        image = cv2.imread(str(sim.source), cv2.IMREAD_GRAYSCALE)
        assert image is not None and sim.page_number == 1
        w, h = page_px(sim.dpi)
        assert max(image.shape) > max(w, h)  # the frame shows more than the page
        border = np.concatenate([image[:5].ravel(), image[-5:].ravel(), image[:, :5].ravel(), image[:, -5:].ravel()])
        centre = image[image.shape[0] // 3: 2 * image.shape[0] // 3, image.shape[1] // 3: 2 * image.shape[1] // 3]
        assert np.median(border) < np.median(centre) - 40


def test_degrade_returns_a_quarter_turn(pack: tuple[FormPack, CodingTruth]) -> None:
    forms, _ = pack
    upright = render_page(forms.pack_pdf, 0, 150)
    seen, sizes = set(), set()
    for seed in range(40):
        out, rotation = degrade(upright, OFFICE, np.random.default_rng(seed))
        assert rotation in (0, 90, 180, 270)
        turned = upright.shape if rotation in (0, 180) else upright.shape[::-1]
        # The scan area is A4, grown only when a sheet far askew would lose its printed corners.
        assert turned[0] <= out.shape[0] < turned[0] * 1.1 and turned[1] <= out.shape[1] < turned[1] * 1.1
        seen.add(rotation)
        sizes.add(out.shape[:2] == turned)
    assert 0 in seen and len(seen) >= 2 and sizes == {True, False}


def test_phone_photo_always_shows_the_whole_page() -> None:
    w, h = page_px(PHONE_TEST_DPI)
    green = np.zeros((h, w, 3), dtype=np.uint8)
    green[..., 1] = 255
    for seed in range(8):
        photo, rotation = degrade(green, PHONE, np.random.default_rng(seed))
        page = photo[..., 1].astype(int) > photo[..., 0].astype(int) + 60
        ys, xs = np.nonzero(page)
        assert ys.min() > 0 and xs.min() > 0 and ys.max() < photo.shape[0] - 1 and xs.max() < photo.shape[1] - 1
        assert 0.6 < page.sum() / (w * h) < 1.2, (seed, rotation)
        assert (photo.shape[0] > photo.shape[1]) == (rotation in (0, 180))


def test_mixed_cases_share_files(pack: tuple[FormPack, CodingTruth], tmp_path: Path) -> None:
    forms, truth = pack
    manifest = _manifest("2099-002")
    second = generate_pack(manifest, tmp_path / "forms2")
    truth2 = simulate_coding(manifest, second.layout, seed=4)
    batch = simulate_cases([(forms.pack_pdf, forms.layout, truth), (second.pack_pdf, second.layout, truth2)],
                           tmp_path / "scans", seed=3, profile=CLEAN, page_indices=[0, 1, 2], blank_pages=1,
                           foreign_pages=0)
    assert len(batch.files) == 1
    assert sorted(p.case or "" for p in batch.pages) == ["", "2099-001", "2099-001", "2099-001",
                                                         "2099-002", "2099-002", "2099-002"]
    data = json.loads(batch.truth_json.read_text(encoding="utf-8"))
    assert set(data["boxes"]) == {"2099-001", "2099-002"}
    assert data["boxes"]["2099-002"] == {b.id: truth2.boxes[b.id] for i in (0, 1, 2) for b in second.layout.pages[i].boxes}


def test_command_line_writes_forms_scans_and_truth(tmp_path: Path) -> None:
    manifest = tmp_path / "case.toml"
    manifest.write_text('case = "2099-003"\ndate = 2026-11-20\nminutes = 5\nobservers = ["A", "B"]\n'
                        '[[participants]]\ncode = "H1"\nrole = "hulpverlener"\n'
                        '[[participants]]\ncode = "C1"\nrole = "moeder"\n', encoding="utf-8")
    assert main(["--manifest", str(manifest), "--out", str(tmp_path / "out"), "--profile", "clean",
                 "--seed", "2"]) == 0
    assert (tmp_path / "out" / "forms" / "2099-003_layout.json").exists()
    data = json.loads((tmp_path / "out" / "scans" / "truth.json").read_text(encoding="utf-8"))
    assert data["seed"] == 2 and data["profile"] == "clean"
    assert sum(p["kind"] == "form" for p in data["pages"]) == len(
        json.loads((tmp_path / "out" / "forms" / "2099-003_layout.json").read_text(encoding="utf-8"))["pages"])
