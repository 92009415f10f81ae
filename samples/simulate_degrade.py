"""Scanner and phone degradations for the scan simulator, plus the files they write.

Profiles describe a device (office scanner, phone camera, or none); ``degrade``
applies one page's worth of randomness drawn from a profile. ``PdfWriter``
streams a multi-page PDF with one embedded JPEG per page, like an office scanner.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

import cv2
import numpy as np

from softa.layout import MM_PER_INCH

Container = Literal["pdf", "jpeg"]
#: A4 in millimetres: the paper the forms are printed on.
A4_MM = (210.0, 297.0)
#: Lighting is modelled on a coarse grid (pixels per cell) and smoothly upscaled.
LIGHT_CELL_PX = 16
#: The foreign page: body text size (cap height) and side margins.
FOREIGN_TEXT_MM = 2.4
FOREIGN_MARGIN_MM = 22.0
#: Phone backgrounds are modelled at this coarse cell size and upscaled.
BACKGROUND_CELL_PX = 64
#: Table tops under phone photos (RGB): oak, walnut, grey laminate, dark desk.
TABLE_TINTS = ((150, 112, 72), (105, 72, 50), (120, 120, 118), (70, 68, 66))
#: Sensor noise is drawn for a band of rows and reused (row-shifted) down the frame: cheap, not visibly periodic.
NOISE_BANDS = 4
#: Phone photos are 3:4 frames, with the whole page at least this share of the height from the edges.
FRAME_MARGIN = 0.01
#: Curl is modelled on a coarse grid (pixels per cell); below CURL_MIN_PX it is left out.
CURL_CELL_PX = 16
CURL_MIN_PX = 0.25
#: Printed content starts this far (mm) inside the sheet's edges (registration marks at 7.5 mm); the
#: scanner's overscan keeps it, plus OVERSCAN_MM, in the image however far the sheet is askew.
CONTENT_INSET_MM = 7.0
OVERSCAN_MM = 1.0
#: Blur narrower than this (sigma, pixels) changes nothing visible and is skipped.
BLUR_MIN_SIGMA_PX = 0.15
#: Tone curves closer to linear than this are skipped.
GAMMA_MIN_CHANGE = 0.01
#: Streaks: darkening (multiplier range) and width in pixels.
STREAK_GAIN = (0.78, 0.92)
STREAK_WIDTH_PX = (1, 3)
PHONE_ASPECT = 3 / 4


@dataclass(frozen=True)
class ScanProfile:
    """How a device turns paper into pixels; each page draws its own values from these ranges."""

    name: str
    dpi_choices: tuple[int, ...]
    dpi_weights: tuple[float, ...]
    #: Small skew: uniform within +-skew_deg; a share of pages up to +-large_skew_deg.
    skew_deg: float
    large_skew_share: float
    large_skew_deg: float
    upside_down_share: float
    sideways_share: float
    #: Phone only: corner displacement as a share of the page size (keystone and tilt).
    perspective: float
    blur_sigma_mm: tuple[float, float]
    #: Sensor noise, standard deviation in grey levels.
    noise_sigma: tuple[float, float]
    #: Uneven lighting: largest darkening across the frame (0 = flat).
    lighting: float
    #: Share of frames with a soft shadow (hand, phone) across part of the page.
    shadow_share: float
    jpeg_quality: tuple[int, int]
    #: Share of files (pdf) or photos (jpeg) in colour; the rest grayscale.
    color_share: float
    container: Container
    #: Paper tone: multiplicative darkening of white paper, range.
    paper_tone: tuple[float, float]
    #: Phone only: share of the frame's long side the page covers.
    frame_fill: tuple[float, float] = (1.0, 1.0)
    #: Scanner only: the sheet lies up to this far (mm) off the bed's corner, and the feeder
    #: stretches or squeezes it along its length by up to this share.
    feed_shift_mm: float = 0.0
    feed_stretch: float = 0.0
    #: Phone only: the sheet does not lie flat; its middle shifts up to this far (mm) against its edges.
    curl_mm: float = 0.0
    #: Exposure: tone curve exponent range (above 1 darker mid-tones, below 1 lighter).
    gamma: tuple[float, float] = (1.0, 1.0)
    #: Colour cast of the light, warm or cool: largest gain lost by the weakest channel (colour only).
    white_balance: float = 0.0
    #: Scanner only: share of pages with a streak along the feed direction (dust on the glass).
    streak_share: float = 0.0
    #: Phone only: the least curl (mm; drawn between this and curl_mm), and the table tops (RGB) and
    #: their brightness range the sheet may lie on.
    curl_min_mm: float = 0.0
    table_tints: tuple[tuple[int, int, int], ...] = TABLE_TINTS
    table_level: tuple[float, float] = (0.55, 1.0)

    def pick_dpi(self, rng: np.random.Generator) -> int:
        weights = np.asarray(self.dpi_weights, dtype=np.float64)
        return int(self.dpi_choices[int(rng.choice(len(self.dpi_choices), p=weights / weights.sum()))])


OFFICE = ScanProfile(
    name="office", dpi_choices=(150, 200, 300), dpi_weights=(0.2, 0.65, 0.15),
    skew_deg=2.5, large_skew_share=0.04, large_skew_deg=10.0,
    upside_down_share=0.2, sideways_share=0.1, perspective=0.0,
    blur_sigma_mm=(0.02, 0.07), noise_sigma=(1.5, 4.0), lighting=0.05, shadow_share=0.0,
    jpeg_quality=(70, 92), color_share=0.5, container="pdf", paper_tone=(0.01, 0.06),
    feed_shift_mm=2.0, feed_stretch=0.004, streak_share=0.03, gamma=(0.85, 1.2),
)
PHONE = ScanProfile(
    name="phone", dpi_choices=(150, 200, 300), dpi_weights=(0.25, 0.5, 0.25),
    skew_deg=4.0, large_skew_share=0.1, large_skew_deg=10.0,
    upside_down_share=0.2, sideways_share=0.1, perspective=0.06,
    blur_sigma_mm=(0.04, 0.12), noise_sigma=(3.0, 7.0), lighting=0.35, shadow_share=0.5,
    jpeg_quality=(75, 92), color_share=1.0, container="jpeg", paper_tone=(0.03, 0.12),
    frame_fill=(0.80, 0.93), curl_mm=0.8, gamma=(0.8, 1.25), white_balance=0.08,
)
#: A phone photo of a sheet lying perfectly flat: no curl, so the four marks' homography maps every box exactly.
PHONE_FLAT = dataclasses.replace(PHONE, name="phone-flat", curl_mm=0.0)
CLEAN = ScanProfile(
    name="clean", dpi_choices=(200,), dpi_weights=(1.0,),
    skew_deg=0.0, large_skew_share=0.0, large_skew_deg=0.0,
    upside_down_share=0.0, sideways_share=0.0, perspective=0.0,
    blur_sigma_mm=(0.0, 0.0), noise_sigma=(0.0, 0.0), lighting=0.0, shadow_share=0.0,
    jpeg_quality=(95, 95), color_share=0.0, container="pdf", paper_tone=(0.0, 0.0),
)
PROFILES = {p.name: p for p in (OFFICE, PHONE, CLEAN)}


def page_px(dpi: int) -> tuple[int, int]:
    """Width and height in pixels of an A4 page at ``dpi``."""
    return (round(A4_MM[0] / MM_PER_INCH * dpi), round(A4_MM[1] / MM_PER_INCH * dpi))


def _gray_or_rgb(gray: np.ndarray, color: bool) -> np.ndarray:
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB) if color else gray


def blank_page(dpi: int, color: bool, behind: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
    """A duplex back: white paper, sometimes with faint bleed-through of the printed front."""
    w, h = page_px(dpi)
    page = np.full((h, w), 255, dtype=np.uint8)
    if behind is not None and rng.random() < 0.6:
        mirrored = cv2.resize(behind[:, ::-1], (w, h), interpolation=cv2.INTER_AREA)
        mirrored = cv2.GaussianBlur(mirrored, (0, 0), dpi / MM_PER_INCH * 0.4)
        strength = rng.uniform(0.03, 0.09)
        page = (255 - (255 - mirrored.astype(np.float32)) * strength).astype(np.uint8)
    return _gray_or_rgb(page, color)


_WORDS = ("de", "gemeente", "heeft", "uw", "aanvraag", "ontvangen", "en", "zal", "deze", "binnen", "acht",
          "weken", "behandelen", "wij", "vragen", "u", "om", "de", "bijgevoegde", "stukken", "aan", "te",
          "vullen", "met", "een", "kopie", "van", "uw", "legitimatie", "het", "rooster", "voor", "de",
          "volgende", "periode", "staat", "hieronder", "vermeld", "neem", "bij", "vragen", "contact", "op",
          "met", "het", "secretariaat", "afspraak", "datum", "tijd", "locatie", "onderwerp", "bespreking",
          "verslag", "notulen", "agenda", "punt", "besluit", "actie")


def foreign_page(dpi: int, color: bool, rng: np.random.Generator) -> np.ndarray:
    """A page that is not a softa form: a printed memo with a heading, paragraphs, rules and a table."""
    w, h = page_px(dpi)
    page = np.full((h, w), 255, dtype=np.uint8)
    px_mm = dpi / MM_PER_INCH
    font = cv2.FONT_HERSHEY_SIMPLEX
    scale = FOREIGN_TEXT_MM * px_mm / 22.0
    thick = max(1, round(0.2 * px_mm))
    left, right = int(FOREIGN_MARGIN_MM * px_mm), int((A4_MM[0] - FOREIGN_MARGIN_MM) * px_mm)

    def rule(y_mm: float, x0: int = left, x1: int = right) -> None:
        cv2.line(page, (x0, int(y_mm * px_mm)), (x1, int(y_mm * px_mm)), 0, thick, cv2.LINE_AA)

    cv2.putText(page, "Verslag teamoverleg", (left, int(35 * px_mm)), cv2.FONT_HERSHEY_DUPLEX, scale * 2.2, 0,
                thick + 1, cv2.LINE_AA)
    rule(40)
    table_at = int(rng.integers(8, 20))
    y, line_no = 52.0, 0
    while y < A4_MM[1] - 30:
        line_no += 1
        if line_no == table_at:
            top = y - 3
            for row in range(5):
                rule(top + row * 7)
            for col in np.linspace(left, right, 4):
                cv2.line(page, (int(col), int(top * px_mm)), (int(col), int((top + 28) * px_mm)), 0, thick,
                         cv2.LINE_AA)
            y = top + 36
            continue
        if rng.random() < 0.12:  # paragraph break
            y += 5
            continue
        words = [str(rng.choice(_WORDS))]
        while True:
            word = str(rng.choice(_WORDS))
            if cv2.getTextSize(" ".join([*words, word]), font, scale, thick)[0][0] > right - left:
                break
            words.append(word)
        cv2.putText(page, " ".join(words), (left, int(y * px_mm)), font, scale, 0, thick, cv2.LINE_AA)
        y += 5.2
    return _gray_or_rgb(page, color)


def _paper(image: np.ndarray, profile: ScanProfile, rng: np.random.Generator) -> np.ndarray:
    """Paper tone: white becomes slightly grey (and warm, in colour)."""
    darken = rng.uniform(*profile.paper_tone)
    if darken <= 0:
        return image
    if image.ndim == 2:
        return cv2.convertScaleAbs(image, alpha=1.0 - darken)
    warm = np.array([1.0, 1.0 - darken * 0.3, 1.0 - darken * 0.8]) * (1.0 - darken)
    return cv2.transform(image, np.diag(warm).astype(np.float32))


def _skew(profile: ScanProfile, rng: np.random.Generator) -> float:
    limit = profile.large_skew_deg if rng.random() < profile.large_skew_share else profile.skew_deg
    return float(rng.uniform(-limit, limit)) if limit > 0 else 0.0


def _rotation(profile: ScanProfile, rng: np.random.Generator) -> int:
    r = rng.random()
    if r < profile.upside_down_share:
        return 180
    if r < profile.upside_down_share + profile.sideways_share:
        return 90 if rng.random() < 0.5 else 270
    return 0


def _rotate_points(points: np.ndarray, rotation: int, size: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]]:
    """Turn points counter-clockwise by ``rotation`` (multiple of 90) inside a (w, h) frame."""
    w, h = size
    pts = points.astype(np.float64).copy()
    for _ in range((rotation // 90) % 4):
        pts = np.stack([pts[:, 1], w - pts[:, 0]], axis=1)
        w, h = h, w
    return pts, (w, h)


def _quarter_turns(rotation: int, size: tuple[int, int]) -> np.ndarray:
    """3x3 map of pixel indices under np.rot90(image, rotation // 90): (x, y) -> (y, w - 1 - x) per turn."""
    w, h = size
    matrix = np.eye(3)
    for _ in range((rotation // 90) % 4):
        matrix = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, w - 1.0], [0.0, 0.0, 1.0]]) @ matrix
        w, h = h, w
    return matrix


def _scanner_geometry(image: np.ndarray, profile: ScanProfile, rotation: int, skew: float, dpi: int,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The page on the scanner bed: turned, skewed, a little off-centre and stretched by the feeder."""
    shift = rng.uniform(-1, 1, 2) * profile.feed_shift_mm * dpi / MM_PER_INCH
    stretch = 1.0 + rng.uniform(-1, 1) * profile.feed_stretch
    if skew == 0.0 and not shift.any() and stretch == 1.0:
        h, w = image.shape[:2]
        return np.ascontiguousarray(np.rot90(image, rotation // 90)), _quarter_turns(rotation, (w, h))
    h, w = image.shape[:2]
    out_w, out_h = (h, w) if rotation in (90, 270) else (w, h)
    angle = math.radians(rotation + skew)
    cos, sin = math.cos(angle), math.sin(angle)
    # Page pixel -> centred -> feeder stretch (along the page) -> turn (ccw on screen) -> output centre + shift.
    centre = np.array([[1, 0, -w / 2], [0, 1, -h / 2], [0, 0, 1]])
    feed = np.diag([1.0, stretch, 1.0])
    turn = np.array([[cos, sin, 0], [-sin, cos, 0], [0, 0, 1]])
    sheet = turn @ feed @ centre
    # The scan area is A4; a sheet fed far askew would lose its printed corners (QR code, marks), so
    # the scanner's overscan grows the image just enough to keep them, as page-size detection does.
    inset = CONTENT_INSET_MM * dpi / MM_PER_INCH
    content = np.array([[inset, inset, 1], [w - inset, inset, 1], [w - inset, h - inset, 1], [inset, h - inset, 1]])
    reach = np.abs((sheet @ content.T)[:2].T + shift).max(axis=0) + OVERSCAN_MM * dpi / MM_PER_INCH
    out_w, out_h = max(out_w, math.ceil(2 * reach[0])), max(out_h, math.ceil(2 * reach[1]))
    place = np.array([[1, 0, out_w / 2 + shift[0]], [0, 1, out_h / 2 + shift[1]], [0, 0, 1]])
    matrix = place @ sheet
    lid = int(rng.integers(236, 252))
    border = (lid, lid, lid) if image.ndim == 3 else lid
    out = cv2.warpAffine(image, matrix[:2], (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=border)
    return out, matrix


def _background(size: tuple[int, int], color: bool, rng: np.random.Generator,
                tints: tuple[tuple[int, int, int], ...] = TABLE_TINTS,
                levels: tuple[float, float] = (0.55, 1.0)) -> np.ndarray:
    """A table top: dark, brown-ish or grey, with soft light variation and a faint grain."""
    w, h = size
    tint = tints[int(rng.integers(len(tints)))]
    level = rng.uniform(*levels)
    gh, gw = max(2, h // BACKGROUND_CELL_PX), max(2, w // BACKGROUND_CELL_PX)
    shade = 1.0 + rng.normal(0.0, 0.10, (gh, gw)) + np.linspace(-0.15, 0.15, gw)[None, :] * rng.normal()
    grain = np.repeat(rng.normal(0.0, 0.04, (1, gw * 4)), gh * 4, axis=0)  # wood-like streaks
    shade = cv2.resize(shade.astype(np.float32), (gw * 4, gh * 4), interpolation=cv2.INTER_CUBIC) + grain
    small = np.clip(shade[..., None] * np.asarray(tint, dtype=np.float32)[None, None, :] * level, 0, 255)
    bg = cv2.resize(small.astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR)
    return bg if color else cv2.cvtColor(bg, cv2.COLOR_RGB2GRAY)


def _fit(points: np.ndarray, size: tuple[int, int], margin: float) -> np.ndarray:
    """Shrink and move points (the page corners) so they all lie inside the frame: the whole page is photographed."""
    w, h = size
    lo, hi = points.min(axis=0), points.max(axis=0)
    scale = min(1.0, (w - 2 * margin) / (hi[0] - lo[0]), (h - 2 * margin) / (hi[1] - lo[1]))
    centre = (lo + hi) / 2
    fitted = (points - centre) * scale + centre
    lo, hi = fitted.min(axis=0), fitted.max(axis=0)
    shift = np.maximum(0.0, margin - lo) - np.maximum(0.0, hi - (np.array([w, h]) - margin))
    return fitted + shift


def _phone_geometry(image: np.ndarray, profile: ScanProfile, rotation: int, skew: float, dpi: int,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The page photographed on a table: placed in a 3:4 frame with tilt, keystone, skew and a slight curl."""
    h, w = image.shape[:2]
    fill = rng.uniform(*profile.frame_fill)
    frame_h = int(h / fill)
    frame_w = int(max(frame_h * PHONE_ASPECT, w / fill * 0.95))
    cx = frame_w / 2 + rng.uniform(-0.5, 0.5) * max(0.0, frame_w - w * 1.02)
    cy = frame_h / 2 + rng.uniform(-0.5, 0.5) * max(0.0, frame_h - h * 1.02)
    corners = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    keystone = rng.uniform(0, profile.perspective)
    top_or_bottom = 1 if rng.random() < 0.5 else -1
    corners[:, 0] *= 1 - keystone * top_or_bottom * np.array([1, 1, -1, -1])
    corners += rng.uniform(-1, 1, (4, 2)) * profile.perspective * 0.35 * np.array([w, h])
    angle = math.radians(-skew)
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    dst = _fit(corners @ rot.T + [cx, cy], (frame_w, frame_h), FRAME_MARGIN * frame_h)
    dst, (out_w, out_h) = _rotate_points(dst, rotation, (frame_w, frame_h))
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    canvas = _background((out_w, out_h), image.ndim == 3, rng, profile.table_tints, profile.table_level)
    curl = rng.uniform(profile.curl_min_mm, profile.curl_mm) * dpi / MM_PER_INCH
    if curl < CURL_MIN_PX:
        cv2.warpPerspective(image, matrix, (out_w, out_h), dst=canvas, flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_TRANSPARENT)
        return canvas, matrix
    # Frame pixel -> flat page point (inverse homography) -> printed point (minus the bulge), on a coarse
    # grid; the maps are smooth, so upscaling them is exact enough and much cheaper than per pixel.
    # The grid starts one cell before the frame (cv2.resize clamps at its edges, so the frame must not
    # touch them); grid sample j stands for frame pixel (j + 0.5) * cell - 0.5 - cell, which is where
    # cv2.resize puts it when upscaling by `cell`.
    cell = CURL_CELL_PX
    gh, gw = out_h // cell + 3, out_w // cell + 3
    gy, gx = (np.mgrid[0:gh, 0:gw].astype(np.float64) + 0.5) * cell - 0.5 - cell
    inverse = np.linalg.inv(matrix)
    denom = inverse[2, 0] * gx + inverse[2, 1] * gy + inverse[2, 2]
    ux = (inverse[0, 0] * gx + inverse[0, 1] * gy + inverse[0, 2]) / denom
    uy = (inverse[1, 0] * gx + inverse[1, 1] * gy + inverse[1, 2]) / denom
    direction = rng.uniform(0, 2 * np.pi)
    bulge = curl * np.sin(np.pi * np.clip(ux / w, 0, 1)) * np.sin(np.pi * np.clip(uy / h, 0, 1))
    maps = [cv2.resize((u - bulge * f).astype(np.float32), (gw * cell, gh * cell),
                       interpolation=cv2.INTER_LINEAR)[cell:cell + out_h, cell:cell + out_w]
            for u, f in ((ux, math.cos(direction)), (uy, math.sin(direction)))]
    cv2.remap(image, maps[0], maps[1], cv2.INTER_LINEAR, dst=canvas, borderMode=cv2.BORDER_TRANSPARENT)
    return canvas, matrix


def _lighting(image: np.ndarray, profile: ScanProfile, rng: np.random.Generator) -> np.ndarray:
    """Uneven lighting and shadows as one smooth multiplicative field."""
    if profile.lighting <= 0 and profile.shadow_share <= 0:
        return image
    h, w = image.shape[:2]
    gh, gw = max(2, h // LIGHT_CELL_PX), max(2, w // LIGHT_CELL_PX)
    yy, xx = np.mgrid[0:gh, 0:gw].astype(np.float32)
    yy /= gh
    xx /= gw
    direction = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(direction) * (xx - 0.5) + np.sin(direction) * (yy - 0.5)) + 0.5
    vignette = ((xx - 0.5) ** 2 + (yy - 0.5) ** 2) * 2
    field = 1.0 - profile.lighting * rng.uniform(0.3, 1.0) * np.clip(0.7 * ramp + 0.3 * vignette, 0, 1)
    if rng.random() < profile.shadow_share:
        # A soft-edged half-plane shadow (a hand or the phone) over part of the frame.
        angle = rng.uniform(0, 2 * np.pi)
        offset = rng.uniform(0.25, 0.45)
        side = np.cos(angle) * (xx - 0.5) + np.sin(angle) * (yy - 0.5) - offset
        soft = rng.uniform(0.03, 0.12)
        field *= 1.0 - rng.uniform(0.15, 0.35) * (1 / (1 + np.exp(-side / soft)))
    small = np.clip(field * 255.0, 0, 255).astype(np.uint8)
    if image.ndim == 3:
        # White balance: the light is a little warm or cool; gains stay <= 1 (the field only darkens).
        cast = rng.uniform(-profile.white_balance, profile.white_balance)
        tint = np.array([1.0, 1.0 - 0.4 * abs(cast), 1.0 - abs(cast)])  # warm: less blue (RGB)
        if cast < 0:
            tint = tint[::-1]  # cool: less red
        small = np.clip(field[..., None] * tint[None, None, :] * 255.0, 0, 255).astype(np.uint8)
    gain = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.multiply(image, gain, scale=1 / 255.0)


def _noise(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Add Gaussian sensor noise: one band of noise rows reused, cyclically shifted, down the frame."""
    if sigma <= 0:
        return image
    h = image.shape[0]
    flat = image.reshape(h, -1)
    band_rows = -(-h // NOISE_BANDS)
    band = np.empty((band_rows, flat.shape[1]), dtype=np.int16)
    cv2.setRNGSeed(int(rng.integers(1, 2**31 - 1)))
    cv2.randn(band, np.zeros(1), np.full(1, sigma))
    out = np.empty_like(flat)
    for start in range(0, h, band_rows):
        rows = min(band_rows, h - start)
        k = int(rng.integers(band_rows))
        first = min(rows, band_rows - k)
        out[start:start + first] = cv2.add(flat[start:start + first], band[k:k + first], dtype=cv2.CV_8U)
        if first < rows:
            rest = rows - first
            out[start + first:start + rows] = cv2.add(flat[start + first:start + rows], band[:rest], dtype=cv2.CV_8U)
    return out.reshape(image.shape)


def _streak(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A faint line along the scanner's feed direction (image columns): dust on the glass."""
    x = int(rng.integers(0, image.shape[1] - STREAK_WIDTH_PX[1]))
    width = int(rng.integers(STREAK_WIDTH_PX[0], STREAK_WIDTH_PX[1] + 1))
    image = image.copy()
    band = image[:, x:x + width]
    band[...] = (band * rng.uniform(*STREAK_GAIN)).astype(np.uint8)
    return image


@dataclass(frozen=True)
class Degraded:
    """One degraded page and the truth about its geometry."""

    image: np.ndarray
    #: Quarter turns (degrees counter-clockwise) and extra small skew (degrees, counter-clockwise positive).
    rotation: int
    skew: float
    #: 3x3 map from input-image pixels to output-image pixels (cv2 conventions; a phone's curl not included).
    homography: np.ndarray


def degrade_page(image: np.ndarray, profile: ScanProfile, rng: np.random.Generator, dpi: int) -> Degraded:
    """Apply one page's degradation drawn from ``profile``."""
    rotation = _rotation(profile, rng)
    skew = _skew(profile, rng)
    out = _paper(image, profile, rng)
    if profile.container == "jpeg":
        out, matrix = _phone_geometry(out, profile, rotation, skew, dpi, rng)
    else:
        out, matrix = _scanner_geometry(out, profile, rotation, skew, dpi, rng)
    out = _lighting(out, profile, rng)
    gamma = rng.uniform(*profile.gamma)
    if abs(gamma - 1.0) > GAMMA_MIN_CHANGE:
        out = cv2.LUT(out, (255.0 * (np.arange(256) / 255.0) ** gamma).round().astype(np.uint8))
    if rng.random() < profile.streak_share:
        out = _streak(out, rng)
    sigma = rng.uniform(*profile.blur_sigma_mm) * dpi / MM_PER_INCH
    if sigma > BLUR_MIN_SIGMA_PX:
        out = cv2.GaussianBlur(out, (0, 0), sigma)
    out = _noise(out, rng.uniform(*profile.noise_sigma), rng)
    return Degraded(image=out, rotation=rotation, skew=skew, homography=np.asarray(matrix, dtype=np.float64))


def encode_jpeg(image: np.ndarray, quality: int) -> bytes:
    """JPEG bytes of a grayscale or RGB image."""
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if image.ndim == 3 else image
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("cannot encode JPEG")
    return buf.tobytes()


def write_jpeg(path: Path, image: np.ndarray, quality: int) -> None:
    path.write_bytes(encode_jpeg(image, quality))


class PdfWriter:
    """Stream a PDF with one full-page JPEG per page (DCTDecode), like an office scanner does."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: BinaryIO = path.open("wb")
        self._offsets: dict[int, int] = {}
        self._pages: list[int] = []
        self._next = 3  # 1 = catalog, 2 = page tree (written last)
        self._file.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    def _object(self, number: int, body: bytes, stream: bytes | None = None) -> None:
        self._offsets[number] = self._file.tell()
        self._file.write(b"%d 0 obj\n" % number + body)
        if stream is not None:
            self._file.write(b"\nstream\n" + stream + b"\nendstream")
        self._file.write(b"\nendobj\n")

    def add_page(self, image: np.ndarray, dpi: int, quality: int) -> None:
        """Append a page showing ``image`` at ``dpi`` (page size = pixels / dpi inches)."""
        jpeg = encode_jpeg(image, quality)
        h, w = image.shape[:2]
        width_pt, height_pt = w * 72.0 / dpi, h * 72.0 / dpi
        image_no, content_no, page_no = self._next, self._next + 1, self._next + 2
        self._next += 3
        space = b"/DeviceRGB" if image.ndim == 3 else b"/DeviceGray"
        self._object(image_no, b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s "
                     b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>" % (w, h, space, len(jpeg)), jpeg)
        content = b"q %.4f 0 0 %.4f 0 0 cm /Im0 Do Q" % (width_pt, height_pt)
        self._object(content_no, b"<< /Length %d >>" % len(content), content)
        self._object(page_no, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.4f %.4f] "
                     b"/Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>"
                     % (width_pt, height_pt, image_no, content_no))
        self._pages.append(page_no)

    def close(self) -> None:
        """Write the page tree, catalogue, cross-reference table and trailer."""
        if self._file.closed:
            return
        kids = b" ".join(b"%d 0 R" % n for n in self._pages)
        self._object(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(self._pages)))
        self._object(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        xref = self._file.tell()
        count = self._next
        self._file.write(b"xref\n0 %d\n0000000000 65535 f \n" % count)
        for number in range(1, count):
            self._file.write(b"%010d 00000 n \n" % self._offsets[number])
        self._file.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (count, xref))
        self._file.close()
