"""Pen marks and handwriting for the scan simulator: how students fill a printed form.

Marks are drawn per box into a small coverage mask (anti-aliased polylines with
jitter) and blended into the page like ink: the paper and the printed border stay
visible under the stroke (multiplicative blend). All sizes are physical (mm) and
converted with the page's pixels per point, so a mark looks the same at any dpi.
"""

from __future__ import annotations

import itertools
import unicodedata
from dataclasses import dataclass

import cv2
import numpy as np

from softa.layout import POINTS_PER_MM, Box, PageLayout, Region

#: cv2 draws with sub-pixel coordinates when they are given as fixed point with this many bits.
_SHIFT = 4
_ONE = 1 << _SHIFT


@dataclass(frozen=True)
class Ink:
    """A writing instrument: colour (RGB), opacity, stroke width and grain (pencil)."""

    name: str
    rgb: tuple[int, int, int]
    opacity: tuple[float, float]
    width_mm: tuple[float, float]
    #: Share of coverage randomly lost per pixel: pencil graphite is grainy, ballpoint hardly.
    grain: float


BLUE_PEN = Ink("blue", (28, 48, 140), (0.80, 0.95), (0.30, 0.55), 0.10)
BLACK_PEN = Ink("black", (22, 22, 28), (0.85, 0.97), (0.30, 0.60), 0.10)
PENCIL = Ink("pencil", (75, 75, 82), (0.60, 0.85), (0.25, 0.45), 0.35)
INKS = (BLUE_PEN, BLACK_PEN, PENCIL)
#: Most students fill the forms in ballpoint; some in pencil.
INK_WEIGHTS = (0.45, 0.40, 0.15)

#: Mark styles and how often students use them in a tick box / rating box.
TICK_STYLES = ("cross", "check", "scribble", "dot")
TICK_WEIGHTS = (0.70, 0.20, 0.07, 0.03)
#: Timeline bins are marked quickly: crosses or short horizontal strokes.
TIMELINE_STYLES = ("cross", "stroke", "check")
TIMELINE_WEIGHTS = (0.45, 0.45, 0.10)
CANCELLED = "filled"
#: A pencil tick rubbed out: a faint grey smudge left in a box whose truth is 0.
ERASED = "erased"

#: About 1 % of ticks end up cancelled by filling the box: most replaced by a tick in the
#: neighbouring box (share of ticks), a few with no replacement (share of empty boxes, which
#: outnumber ticks about 9 to 1, so this adds ~0.4 % of ticks).
CANCEL_WITH_NEW_TICK = 0.007
CANCEL_ALONE = 0.0005
#: In pencil, this share of ticks replaces an erased one in the neighbouring box; what the
#: eraser leaves is this strong (share of full ink) and smeared this wide (mm).
ERASED_WITH_NEW_TICK = 0.02
ERASED_STRENGTH = (0.10, 0.28)
ERASED_SMEAR_MM = 0.25
#: Share of marks that overshoot the box edge, and by how much.
OVERSHOOT_SHARE = 0.25
OVERSHOOT_MM = (0.5, 2.0)
#: Timeline strokes run sideways, towards the neighbouring bin only 1 mm away: they overshoot less.
STROKE_OVERSHOOT_MAX_MM = 1.0
#: Hand placement: the mark's centre wanders this far (sd, mm) from the box centre.
OFFSET_SD_MM = 0.35
OFFSET_MAX_MM = 0.9
#: Radius of a dot mark (a pen rested on the box).
DOT_RADIUS_MM = (0.35, 0.75)
#: Marks are drawn at this many times the page resolution and averaged down: true stroke widths at any dpi.
MARK_SUPERSAMPLE = 4
TEXT_SUPERSAMPLE = 2
#: cv2's anti-aliased lines come out about this much wider than their nominal thickness.
AA_WIDEN_PX = 0.8
#: Margin around a box that a mark may reach (overshoot plus stroke width).
PATCH_MARGIN_MM = 3.5

#: Handwriting: letter height, line pitch, inset from the region border, room for the printed label.
TEXT_HEIGHT_MM = (2.8, 3.6)
TEXT_LINE_MM = 6.5
TEXT_INSET_MM = 3.0
TEXT_LABEL_MM = 7.0
#: Height of FONT_HERSHEY_SCRIPT_SIMPLEX capitals at font scale 1, in pixels.
_HERSHEY_CAP_PX = 22.0
#: Handwriting wobble: per letter (baseline, mm) and per word (size share).
LETTER_JITTER_MM = 0.12
WORD_SCALE_JITTER = 0.05


def _mm(value: float, px_per_pt: float) -> float:
    return value * POINTS_PER_MM * px_per_pt


def _wobbly(points: np.ndarray, width_px: float, rng: np.random.Generator) -> np.ndarray:
    """Resample a polyline into a hand-drawn stroke: a slight bow plus small tremor."""
    out: list[np.ndarray] = []
    for a, b in itertools.pairwise(points):
        length = float(np.hypot(*(b - a)))
        steps = max(3, int(length / max(width_px * 1.5, 2.0)))
        t = np.linspace(0.0, 1.0, steps + 1)[:, None]
        seg = a + (b - a) * t
        normal = np.array([-(b - a)[1], (b - a)[0]]) / max(length, 1e-6)
        bow = rng.normal(0.0, 0.04) * length * np.sin(np.pi * t)
        tremor = rng.normal(0.0, 0.12 * width_px, size=(steps + 1, 1))
        seg = seg + normal * (bow + tremor)
        out.append(seg if not out else seg[1:])
    return np.concatenate(out)


def _polyline(mask: np.ndarray, points: np.ndarray, width_px: float, rng: np.random.Generator) -> None:
    stroke = _wobbly(np.asarray(points, dtype=np.float64), width_px, rng)
    pts = np.round(stroke * _ONE).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(mask, [pts], False, 255, max(1, round(width_px - AA_WIDEN_PX)), cv2.LINE_AA, _SHIFT)


def _v(x: float, y: float) -> np.ndarray:
    return np.array([x, y], dtype=np.float64)


def _extend(p_from: np.ndarray, p_to: np.ndarray, extra: float) -> np.ndarray:
    d = p_to - p_from
    return p_to + d / max(float(np.hypot(*d)), 1e-6) * extra


def draw_mark(mask: np.ndarray, style: str, rect: tuple[float, float, float, float], px_per_pt: float,
              width_px: float, rng: np.random.Generator) -> None:
    """Draw one mark of ``style`` for a box whose rectangle is ``rect`` (pixels in ``mask``)."""
    x0, y0, x1, y1 = rect
    size = min(x1 - x0, y1 - y0)
    off = np.clip(rng.normal(0.0, _mm(OFFSET_SD_MM, px_per_pt), 2), -_mm(OFFSET_MAX_MM, px_per_pt),
                  _mm(OFFSET_MAX_MM, px_per_pt))
    c = np.array([(x0 + x1) / 2, (y0 + y1) / 2]) + off
    overshoot = _mm(rng.uniform(*OVERSHOOT_MM), px_per_pt) if rng.random() < OVERSHOOT_SHARE else 0.0

    def jit(scale: float = 0.08) -> np.ndarray:
        return rng.normal(0.0, scale * size, 2)

    if style == "cross":
        h = size * rng.uniform(0.28, 0.50)
        a1, b1 = c + _v(-h, -h) + jit(), c + _v(h, h) + jit()
        a2, b2 = c + _v(h, -h) + jit(), c + _v(-h, h) + jit()
        if overshoot:
            # Extend the chosen end to beyond the box edge by the overshoot.
            end = int(rng.integers(4))
            if end == 0:
                b1 = _extend(a1, b1, overshoot + size / 2 - h)
            elif end == 1:
                a1 = _extend(b1, a1, overshoot + size / 2 - h)
            elif end == 2:
                b2 = _extend(a2, b2, overshoot + size / 2 - h)
            else:
                a2 = _extend(b2, a2, overshoot + size / 2 - h)
        _polyline(mask, np.array([a1, b1]), width_px, rng)
        _polyline(mask, np.array([a2, b2]), width_px, rng)
    elif style == "check":
        s = size * rng.uniform(0.8, 1.1)
        p0 = c + _v(-0.35 * s, 0.0) + jit()
        p1 = c + _v(-0.08 * s, 0.32 * s) + jit(0.05)
        p2 = c + _v(0.40 * s, -0.42 * s) + jit()
        if overshoot:
            p2 = _extend(p1, p2, overshoot)
        _polyline(mask, np.array([p0, p1, p2]), width_px, rng)
    elif style == "dot":
        r = _mm(rng.uniform(*DOT_RADIUS_MM), px_per_pt)
        cv2.circle(mask, tuple(int(v) for v in np.round(c * _ONE)), int(r * _ONE), 255, -1, cv2.LINE_AA, _SHIFT)
    elif style == "scribble":
        if rng.random() < 0.5:
            turns = int(rng.integers(2, 5))
            h = size * rng.uniform(0.25, 0.40)
            ys = np.linspace(-h, h, turns + 1)
            xs = np.where(np.arange(turns + 1) % 2 == 0, -h, h)
            pts = c + np.stack([xs, ys], axis=1) + rng.normal(0.0, 0.06 * size, (turns + 1, 2))
        else:
            t = np.linspace(0, 2 * np.pi * rng.uniform(1.0, 1.6), 24)
            r = size * rng.uniform(0.22, 0.38)
            pts = c + np.stack([np.cos(t) * r, np.sin(t) * r * rng.uniform(0.7, 1.0)], axis=1)
        _polyline(mask, pts, width_px, rng)
    elif style == "stroke":
        # Sideways strokes stay nearer the bin's centre: its neighbours are only 1 mm away.
        c[0] = (x0 + x1) / 2 + off[0] * 0.4
        half = size * rng.uniform(0.32, 0.55) + min(overshoot, _mm(STROKE_OVERSHOOT_MAX_MM, px_per_pt)) / 2
        slope = rng.normal(0.0, 0.08) * half
        _polyline(mask, np.array([c + _v(-half, slope), c + _v(half, -slope)]), width_px, rng)
    elif style == CANCELLED:
        inset = [_mm(rng.uniform(-0.2, 0.3), px_per_pt) for _ in range(4)]
        quad = np.array([[x0 + inset[0], y0 + inset[1]], [x1 - inset[2], y0 + inset[1]],
                         [x1 - inset[2], y1 - inset[3]], [x0 + inset[0], y1 - inset[3]]])
        cv2.fillPoly(mask, [np.round(quad * _ONE).astype(np.int32)], 255, cv2.LINE_AA, _SHIFT)
        # The scribbling that filled it: dense zigzag strokes reaching a little past the edges.
        rows = max(4, int(size / max(width_px, 1.0) / 1.5))
        ys = np.linspace(y0, y1, rows)
        xs = np.where(np.arange(rows) % 2 == 0, x0, x1)
        pts = np.stack([xs, ys], axis=1) + rng.normal(0.0, 0.04 * size, (rows, 2))
        _polyline(mask, pts, width_px * 1.2, rng)
    else:
        raise ValueError(f"unknown mark style {style!r}")


def blend_ink(image: np.ndarray, mask: np.ndarray, origin: tuple[int, int], ink: Ink, strength: float,
              rng: np.random.Generator) -> None:
    """Blend a coverage mask into ``image`` at ``origin`` (x, y) like ink: multiply, never lighten."""
    ox, oy = origin
    h, w = mask.shape
    region = image[oy:oy + h, ox:ox + w]
    cov = mask[: region.shape[0], : region.shape[1]].astype(np.float32) * (strength / 255.0)
    if ink.grain:
        cov *= 1.0 - ink.grain * rng.random(cov.shape, dtype=np.float32)
    if region.ndim == 2:
        lum = (0.299 * ink.rgb[0] + 0.587 * ink.rgb[1] + 0.114 * ink.rgb[2]) / 255.0
        region[...] = (region * (1.0 - cov * (1.0 - lum))).astype(np.uint8)
    else:
        keep = 1.0 - cov[..., None] * (1.0 - np.asarray(ink.rgb, dtype=np.float32) / 255.0)
        region[...] = (region * keep).astype(np.uint8)


def _box_px(box: Box, px_per_pt: float) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = box.rect_pt
    return (x0 * px_per_pt, y0 * px_per_pt, x1 * px_per_pt, y1 * px_per_pt)


def mark_box(image: np.ndarray, box: Box, style: str, ink: Ink, px_per_pt: float, rng: np.random.Generator) -> None:
    """Draw one mark in one box of the page image (pixel space = layout points x px_per_pt)."""
    x0, y0, x1, y1 = _box_px(box, px_per_pt)
    margin = _mm(PATCH_MARGIN_MM, px_per_pt)
    px0, py0 = max(0, int(x0 - margin)), max(0, int(y0 - margin))
    px1, py1 = min(image.shape[1], int(np.ceil(x1 + margin))), min(image.shape[0], int(np.ceil(y1 + margin)))
    if px1 <= px0 or py1 <= py0:
        return
    ss = MARK_SUPERSAMPLE
    fine = np.zeros(((py1 - py0) * ss, (px1 - px0) * ss), dtype=np.uint8)
    width = _mm(rng.uniform(*ink.width_mm), px_per_pt) * ss
    # Continuous pixel coordinates -> supersampled ones; cv2 puts integer coordinates at pixel centres.
    rect = ((x0 - px0) * ss - 0.5, (y0 - py0) * ss - 0.5, (x1 - px0) * ss - 0.5, (y1 - py0) * ss - 0.5)
    drawn = str(rng.choice(("cross", "check"))) if style == ERASED else style
    draw_mark(fine, drawn, rect, px_per_pt * ss, width, rng)
    mask = cv2.resize(fine, (px1 - px0, py1 - py0), interpolation=cv2.INTER_AREA)
    if style == ERASED:
        mask = cv2.GaussianBlur(mask, (0, 0), _mm(ERASED_SMEAR_MM, px_per_pt))
        strength = rng.uniform(*ERASED_STRENGTH)
    else:
        strength = rng.uniform(*ink.opacity) * (1.0 if style == CANCELLED else rng.uniform(0.85, 1.0))
    blend_ink(image, mask, (px0, py0), ink, strength, rng)


def plan_marks(page: PageLayout, boxes: dict[str, int], rng: np.random.Generator, *,
               erasable: bool = False) -> dict[str, str]:
    """Choose a style for every ticked box, the cancelled (filled) boxes and, in pencil, erased ones.

    Returns {box_id: style}; styles ``filled`` and ``erased`` sit in boxes whose truth is 0.
    """
    styles: dict[str, str] = {}
    by_group: dict[str, list[Box]] = {}
    for box in page.boxes:
        by_group.setdefault(box.group, []).append(box)
    for box in page.boxes:
        if not boxes.get(box.id, 0):
            continue
        if box.kind == "timeline":
            styles[box.id] = str(rng.choice(TIMELINE_STYLES, p=TIMELINE_WEIGHTS))
        else:
            styles[box.id] = str(rng.choice(TICK_STYLES, p=TICK_WEIGHTS))
        if box.kind != "timeline" and rng.random() < CANCEL_WITH_NEW_TICK:
            row = by_group[box.group]
            at = row.index(box)
            free = [b for b in (row[at - 1] if at else None, row[at + 1] if at + 1 < len(row) else None)
                    if b is not None and not boxes.get(b.id, 0) and b.id not in styles]
            if free:
                styles[free[int(rng.integers(len(free)))].id] = CANCELLED
        if erasable and box.kind != "timeline" and rng.random() < ERASED_WITH_NEW_TICK:
            row = by_group[box.group]
            at = row.index(box)
            free = [b for b in (row[at - 1] if at else None, row[at + 1] if at + 1 < len(row) else None)
                    if b is not None and not boxes.get(b.id, 0) and b.id not in styles]
            if free:
                styles[free[int(rng.integers(len(free)))].id] = ERASED
    for box in page.boxes:
        if box.kind != "timeline" and box.id not in styles and not boxes.get(box.id, 0) \
                and rng.random() < CANCEL_ALONE:
            styles[box.id] = CANCELLED
    return styles


def ascii_text(text: str) -> str:
    """Hershey fonts draw ASCII only: drop accents (ë -> e) and other marks."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def write_text(image: np.ndarray, region: Region, text: str, ink: Ink, px_per_pt: float,
               rng: np.random.Generator) -> None:
    """Handwrite ``text`` into a free-text region: script font, wrapped, letters jittered."""
    words = ascii_text(text).split()
    if not words:
        return
    font = cv2.FONT_HERSHEY_SCRIPT_SIMPLEX
    x0, y0, x1, y1 = (v * px_per_pt for v in region.rect_pt)
    ox, oy = max(0, int(x0)), max(0, int(y0))
    out_w, out_h = min(image.shape[1], int(x1)) - ox, min(image.shape[0], int(y1)) - oy
    if out_w <= 0 or out_h <= 0:
        return
    ss = TEXT_SUPERSAMPLE
    mask = np.zeros((out_h * ss, out_w * ss), dtype=np.uint8)
    px_per_pt *= ss
    height = _mm(rng.uniform(*TEXT_HEIGHT_MM), px_per_pt)
    scale = height / _HERSHEY_CAP_PX
    thick = max(1, round(_mm(rng.uniform(*ink.width_mm), px_per_pt) - AA_WIDEN_PX))
    inset, pitch = _mm(TEXT_INSET_MM, px_per_pt), _mm(TEXT_LINE_MM, px_per_pt)
    jitter = _mm(LETTER_JITTER_MM, px_per_pt)
    space = cv2.getTextSize(" ", font, scale, thick)[0][0]
    margin = inset * rng.uniform(0.8, 1.6)
    x, y = margin, _mm(TEXT_LABEL_MM, px_per_pt) + height
    slope = rng.normal(0.0, 0.01)
    for word in words:
        wscale = scale * (1.0 + rng.normal(0.0, WORD_SCALE_JITTER))
        width = cv2.getTextSize(word, font, wscale, thick)[0][0]
        if x + width > mask.shape[1] - inset and x > margin:
            x, y = margin + rng.normal(0.0, jitter * 3), y + pitch * rng.uniform(0.96, 1.04)
            slope = rng.normal(0.0, 0.01)
        if y > mask.shape[0] - inset:
            break
        for letter in word:
            base = y + slope * x + rng.normal(0.0, jitter)
            cv2.putText(mask, letter, (int(x), int(base)), font, wscale * rng.uniform(0.96, 1.04), 255, thick,
                        cv2.LINE_AA)
            x += cv2.getTextSize(letter, font, wscale, thick)[0][0] * rng.uniform(0.92, 1.0)
        x += space * rng.uniform(0.7, 1.3)
    mask = cv2.resize(mask, (out_w, out_h), interpolation=cv2.INTER_AREA)
    blend_ink(image, mask, (ox, oy), ink, rng.uniform(*ink.opacity), rng)
