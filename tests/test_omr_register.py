"""Registration and reading of single pages at any orientation, skewed, in perspective, marks missing."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from scan.identify import find_qr
from scan.omr.register import register_blind
from scan.pipeline import KnownPage, PageResult, identify_and_read
from tests.omr_fixtures import as_page, marked_page, perspective, rotate, sample_pack

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
