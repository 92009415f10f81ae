"""Test and benchmark helpers for registration: degraded photos and faxes with known truth at box centres.

The simulator (samples.simulate_degrade) reports the homography it applied but
not its curl. The truth is therefore measured: the same degradation (same
seed, same geometry) is applied to a probe sheet carrying a small dot at the
centre of a spread of boxes, with lighting, blur and noise left out, and each
dot's centroid in the result is where that box centre really landed.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from samples.simulate_degrade import PHONE, ScanProfile, degrade_page
from softa.layout import MM_PER_INCH, PageLayout

#: Phone photos as the issue describes them: 3 mm curl, perspective, a shadow band on every page.
PHONE_CURLED = dataclasses.replace(PHONE, name="phone-curled", curl_mm=3.0, shadow_share=1.0)
#: Probe dots: radius, the smallest distance between two dots, and how far from its
#: predicted place (the simulator's homography, curl left out) a dot is looked for.
PROBE_DOT_MM = 0.5
PROBE_SPACING_MM = 9.0
PROBE_SEARCH_MM = 4.2
#: A probe pixel belongs to a dot when darker than this (the probe is white paper).
PROBE_LEVEL = 128
#: In the probe (white sheet on a table no lighter than ~170), the sheet is brighter than this.
SHEET_LEVEL = 200
#: A near-black desk: the table's light is cut to this share.
DARK_TABLE_GAIN = 0.35
#: Shadow band: its width as a share of the frame, and the softness of its edges.
BAND_WIDTH_SHARE = (0.12, 0.3)
BAND_SOFT_SHARE = 0.015


@dataclasses.dataclass(frozen=True)
class Photo:
    """A degraded page image with the true pixel position of some box centres."""

    gray: np.ndarray
    #: box index -> true centre in image pixels
    truth_px: dict[int, np.ndarray]
    #: image pixels per mm on the page (from the simulator's homography, at the page centre)
    px_per_mm: float


def _geometry_only(profile: ScanProfile) -> ScanProfile:
    """The same device geometry without lighting, shadow, tone, blur or noise (drawn after the geometry)."""
    return dataclasses.replace(profile, lighting=0.0, shadow_share=0.0, blur_sigma_mm=(0.0, 0.0),
                               noise_sigma=(0.0, 0.0), gamma=(1.0, 1.0), streak_share=0.0, white_balance=0.0)


def probe_boxes(page: PageLayout) -> list[int]:
    """Indices of boxes spread over the page, at least PROBE_SPACING_MM apart."""
    spacing = PROBE_SPACING_MM * 72 / MM_PER_INCH
    chosen: list[int] = []
    centres: list[tuple[float, float]] = []
    for i, box in enumerate(page.boxes):
        x0, y0, x1, y1 = box.rect_pt
        c = ((x0 + x1) / 2, (y0 + y1) / 2)
        if all(np.hypot(c[0] - o[0], c[1] - o[1]) >= spacing for o in centres):
            chosen.append(i)
            centres.append(c)
    return chosen


def degrade_with_truth(image: np.ndarray, page: PageLayout, profile: ScanProfile, seed: int,
                       dpi: float, *, band: float = 0.0, dark_table: bool = False) -> Photo:
    """Degrade ``image`` (a page rendered at ``dpi``) and measure where the probed box centres went.

    ``band`` adds a shadow band of that depth across the page (an arm or the phone between
    lamp and paper); ``dark_table`` puts the sheet on a near-black desk.
    """
    degraded = degrade_page(image, profile, np.random.default_rng(seed), int(dpi))
    gray = degraded.image if degraded.image.ndim == 2 else cv2.cvtColor(degraded.image, cv2.COLOR_RGB2GRAY)
    scale = dpi / 72
    chosen = probe_boxes(page)
    probe = np.full(image.shape[:2], 255, np.uint8)
    radius = max(1, round(PROBE_DOT_MM * dpi / MM_PER_INCH))
    centres_pt = np.array([[(page.boxes[i].rect_pt[0] + page.boxes[i].rect_pt[2]) / 2,
                            (page.boxes[i].rect_pt[1] + page.boxes[i].rect_pt[3]) / 2] for i in chosen])
    # A layout point x (pt) lies at pixel index x * scale - 0.5 of the rendered page (pixel centres).
    centres_px = centres_pt * scale - 0.5
    for cx, cy in centres_px:
        cv2.circle(probe, (round(cx * 16), round(cy * 16)), radius * 16, 0, -1, cv2.LINE_AA, shift=4)
    # cv2.circle draws at integer-ish centres: measure the probe's own dots as the reference points.
    probe_out = degrade_page(probe, _geometry_only(profile), np.random.default_rng(seed), int(dpi)).image
    if probe_out.ndim == 3:
        probe_out = cv2.cvtColor(probe_out, cv2.COLOR_RGB2GRAY)
    flat_px = _dot_centres(probe, centres_px, np.eye(3), PROBE_SEARCH_MM * dpi / MM_PER_INCH / 2)
    homography = degraded.homography
    mid = np.array([[image.shape[1] / 2, image.shape[0] / 2], [image.shape[1] / 2 + 1, image.shape[0] / 2],
                    [image.shape[1] / 2, image.shape[0] / 2 + 1]])
    mapped = cv2.perspectiveTransform(mid.reshape(-1, 1, 2), homography).reshape(-1, 2)
    jac = np.array([mapped[1] - mapped[0], mapped[2] - mapped[0]])
    px_per_mm = float(np.sqrt(abs(np.linalg.det(jac)))) * dpi / MM_PER_INCH
    found = _dot_centres(probe_out, flat_px, homography, PROBE_SEARCH_MM * px_per_mm)
    # The dot centre drawn is flat_px (in the rendered page); the box centre sits at centres_px.
    # Their difference (sub-pixel drawing error) is tiny; the truth is the dot's position corrected by it,
    # to first order through the local scale.
    truth: dict[int, np.ndarray] = {}
    for i, index in enumerate(chosen):
        if not (np.isfinite(found[i]).all() and np.isfinite(flat_px[i]).all()):
            continue
        correction = centres_px[i] - flat_px[i]
        here = cv2.perspectiveTransform(np.array([[flat_px[i], flat_px[i] + correction]]).reshape(-1, 1, 2),
                                        homography).reshape(-1, 2)
        truth[index] = found[i] + (here[1] - here[0])
    rng = np.random.default_rng(seed + 1)
    if dark_table:
        # The sheet: the outline of the largest bright area of the probe, filled (the probe's dots inside it).
        contours, _ = cv2.findContours((probe_out > SHEET_LEVEL).astype(np.uint8), cv2.RETR_EXTERNAL,
                                       cv2.CHAIN_APPROX_SIMPLE)
        sheet = np.zeros_like(gray)
        cv2.drawContours(sheet, [max(contours, key=cv2.contourArea)], -1, 1, -1)
        sheet = cv2.erode(sheet, np.ones((3, 3), np.uint8))
        gray = np.where(sheet > 0, gray, (gray * DARK_TABLE_GAIN).astype(np.uint8))
    if band > 0:
        gray = shadow_band(gray, band, rng)
    return Photo(gray=gray, truth_px=truth, px_per_mm=px_per_mm)


def shadow_band(gray: np.ndarray, depth: float, rng: np.random.Generator) -> np.ndarray:
    """A soft shadow strip of ``depth`` (share of light lost) across the frame at a random angle."""
    height, width = gray.shape[:2]
    yy, xx = np.mgrid[0:height:8, 0:width:8].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    across = np.cos(angle) * (xx - width / 2) + np.sin(angle) * (yy - height / 2)
    centre = rng.uniform(-0.25, 0.25) * max(width, height)
    half = rng.uniform(*BAND_WIDTH_SHARE) * max(width, height) / 2
    soft = BAND_SOFT_SHARE * max(width, height)
    inside = 1 / (1 + np.exp((np.abs(across - centre) - half) / soft))
    gain = cv2.resize((1.0 - depth * inside).astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    return np.clip(gray * gain, 0, 255).astype(np.uint8)


def _dot_centres(image: np.ndarray, points: np.ndarray, homography: np.ndarray, radius: float) -> np.ndarray:
    """Darkness-weighted centroid of the dot nearest each predicted point (NaN where none is found)."""
    predicted = cv2.perspectiveTransform(np.asarray(points, np.float64).reshape(-1, 1, 2), homography).reshape(-1, 2)
    height, width = image.shape[:2]
    out = np.full((len(points), 2), np.nan)
    r = int(np.ceil(radius))
    for i, (px, py) in enumerate(predicted):
        x0, y0 = int(px) - r, int(py) - r
        if x0 < 0 or y0 < 0 or x0 + 2 * r + 1 > width or y0 + 2 * r + 1 > height:
            continue
        window = image[y0:y0 + 2 * r + 1, x0:x0 + 2 * r + 1]
        count, labels, stats, _ = cv2.connectedComponentsWithStats((window < PROBE_LEVEL).astype(np.uint8))
        if count < 2:
            continue
        label = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        ys, xs = np.nonzero(labels == label)
        weight = 255.0 - window[ys, xs].astype(np.float64)
        out[i] = [x0 + float((xs * weight).sum() / weight.sum()), y0 + float((ys * weight).sum() / weight.sum())]
    return out


#: A folded corner: the triangle this far (mm, along both edges) from the sheet's corner shows the
#: paper's blank back; it hides the registration mark (centre 10 mm from both edges) but not the QR code.
FOLD_MM = 26.0
FOLD_BACK_LEVEL = 238
#: Fax standard resolution (dpi across, down), the sheet a little askew and stretched by the feed.
FAX_DPI = (204.0, 98.0)
FAX_SKEW_DEG = 0.6
FAX_STRETCH = 1.01
#: A fax is bitonal: a pixel is black below this level.
FAX_LEVEL = 150


def fold_corner(image: np.ndarray, corner: int, dpi: float) -> np.ndarray:
    """The page with corner ``corner`` (0 TL, 1 TR, 2 BR, 3 BL) folded back."""
    height, width = image.shape[:2]
    leg = FOLD_MM * dpi / MM_PER_INCH
    cx, cy = [(0, 0), (width, 0), (width, height), (0, height)][corner]
    sx, sy = (1 if cx == 0 else -1), (1 if cy == 0 else -1)
    triangle = np.array([[cx, cy], [cx + sx * leg, cy], [cx, cy + sy * leg]], np.int32)
    out = image.copy()
    cv2.fillPoly(out, [triangle], FOLD_BACK_LEVEL)
    return out


def box_centres_px(page: PageLayout, dpi: float) -> dict[int, np.ndarray]:
    """Every box centre in pixel indices of the page rendered flat at ``dpi``."""
    scale = dpi / 72
    return {i: np.array([(b.rect_pt[0] + b.rect_pt[2]) / 2, (b.rect_pt[1] + b.rect_pt[3]) / 2]) * scale - 0.5
            for i, b in enumerate(page.boxes)}


def fax(image: np.ndarray, page: PageLayout, dpi: float, resolution: tuple[float, float] = FAX_DPI) -> Photo:
    """The page (rendered at ``dpi``) sent by fax at standard resolution, resampled to square pixels.

    Like intake does it: the 204 x 98 dpi bitonal image is stretched to 204 x 204 dpi (linear).
    With a square ``resolution`` it is a bitonal scan at that resolution.
    """
    height, width = image.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), FAX_SKEW_DEG, 1.0)
    stretch = np.array([[1.0, 0.0, 0.0], [0.0, FAX_STRETCH, 0.0], [0.0, 0.0, 1.0]])
    # Page pixel -> skewed, stretched page pixel at `dpi` -> fax pixel -> square pixel (pixel centres).
    askew = stretch @ np.vstack([turn, [0.0, 0.0, 1.0]])
    sheet = cv2.warpAffine(image, askew[:2], (width, round(height * FAX_STRETCH)), flags=cv2.INTER_LINEAR,
                           borderValue=255)
    fx, fy = resolution[0] / dpi, resolution[1] / dpi
    size = (round(sheet.shape[1] * fx), round(sheet.shape[0] * fy))
    low = cv2.resize(sheet, size, interpolation=cv2.INTER_AREA)
    bitonal = np.where(low < FAX_LEVEL, 0, 255).astype(np.uint8)
    up = resolution[0] / resolution[1]
    square = cv2.resize(bitonal, (size[0], round(size[1] * up)), interpolation=cv2.INTER_LINEAR)

    def resample(scale_x: float, scale_y: float) -> np.ndarray:
        return np.array([[scale_x, 0.0, (scale_x - 1) / 2], [0.0, scale_y, (scale_y - 1) / 2], [0.0, 0.0, 1.0]])

    matrix = (resample(1.0, square.shape[0] / low.shape[0])
              @ resample(low.shape[1] / sheet.shape[1], low.shape[0] / sheet.shape[0]) @ askew)
    truth = {i: (matrix @ np.array([p[0], p[1], 1.0]))[:2] for i, p in box_centres_px(page, dpi).items()}
    return Photo(gray=square, truth_px=truth, px_per_mm=resolution[0] / MM_PER_INCH)
