"""Charts of the feedback report (matplotlib, Agg backend), returned as PNG bytes.

PNG output carries no timestamp; the software tag is removed so the bytes do
not change with the matplotlib version either.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

#: Resolution of embedded charts: sharp in print, small enough to keep the PDF light.
DPI = 200
#: Figure width in inches; the report's text column is about 6.7 in wide (A4 minus margins).
WIDTH_IN = 6.7
SCALE = (-3, -2, -1, 0, 1, 2, 3)
POSITIVE = "#2E7D32"
NEGATIVE = "#C62828"
NEUTRAL = "#5F6B7A"
OBSERVER = "#9AA5B1"
WORKER = "#1F4E79"
SPEAK_COLOURS = ("#1F4E79", "#C55A11", "#548235", "#7030A0", "#BF8F00", "#2F5597", "#A5A5A5")
FONT_SIZE = 8
#: Height per heat-map row and per dot-chart row, in inches.
HEAT_ROW_IN = 0.17
DOT_ROW_IN = 0.32
BAR_ROW_IN = 0.3
#: Scale labels under the dot chart wrap at this width so the seven of them do not overlap.
SCALE_LABEL_CHARS = 13
#: Vertical offset of the observers' rings from the consensus dot, in row units.
OBSERVER_OFFSET = 0.27


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None}, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _style() -> None:
    plt.rcParams.update({"font.size": FONT_SIZE, "axes.spines.top": False, "axes.spines.right": False,
                         "svg.hashsalt": "softa"})


def _value_colour(value: int) -> str:
    return POSITIVE if value > 0 else NEGATIVE if value < 0 else NEUTRAL


@dataclass(frozen=True)
class DotRow:
    """One participant on one dimension: consensus and the two observers (None = missing)."""

    label: str
    consensus: int | None
    observer_1: int | None
    observer_2: int | None


def rating_dots(panels: Sequence[tuple[str, Sequence[DotRow]]], scale_labels: Sequence[str]) -> bytes:
    """Per dimension a dot chart on the -3..+3 scale: consensus as a big dot, observers as small rings."""
    _style()
    rows = sum(len(r) for _t, r in panels) + len(panels) * 1.6
    fig, axes = plt.subplots(len(panels), 1, figsize=(WIDTH_IN, DOT_ROW_IN * rows + 0.6), squeeze=False,
                             gridspec_kw={"height_ratios": [max(len(r), 1) for _t, r in panels]})
    for ax, (title, dot_rows) in zip(axes[:, 0], panels, strict=True):
        ys = list(range(len(dot_rows)))[::-1]
        ax.axvspan(-3.5, -0.5, color=NEGATIVE, alpha=0.05, lw=0)
        ax.axvspan(0.5, 3.5, color=POSITIVE, alpha=0.05, lw=0)
        ax.axvline(0, color="#BBBBBB", lw=0.8, zorder=0)
        for y, row in zip(ys, dot_rows, strict=True):
            ax.axhline(y, color="#EEEEEE", lw=0.6, zorder=0)
            for value, dy in ((row.observer_1, OBSERVER_OFFSET), (row.observer_2, -OBSERVER_OFFSET)):
                if value is not None:
                    ax.scatter([value], [y + dy], s=22, facecolors="none", edgecolors=OBSERVER, lw=1, zorder=2)
            if row.consensus is None:
                ax.text(0, y, "ontbreekt", ha="center", va="center", color=NEGATIVE, fontsize=FONT_SIZE - 1,
                        bbox={"facecolor": "white", "edgecolor": NEGATIVE, "lw": 0.6, "boxstyle": "round,pad=0.25"},
                        zorder=4)
            else:
                ax.scatter([row.consensus], [y], s=110, color=_value_colour(row.consensus), zorder=3)
                ax.text(row.consensus, y, f"{row.consensus:+d}" if row.consensus else "0", ha="center",
                        va="center", color="white", fontsize=FONT_SIZE - 1.5, fontweight="bold", zorder=4)
        ax.set_yticks(ys, [r.label for r in dot_rows])
        ax.set_xlim(-3.5, 3.5)
        ax.set_ylim(-0.6, len(dot_rows) - 0.4)
        ax.set_xticks(SCALE, [f"{v:+d}" if v else "0" for v in SCALE])
        ax.set_title(title, loc="left", fontsize=FONT_SIZE + 1, fontweight="bold")
        ax.tick_params(axis="y", length=0)
    bottom = axes[-1, 0]
    bottom.set_xticks(SCALE, [(f"{v:+d}" if v else "0") + "\n" + textwrap.fill(label, SCALE_LABEL_CHARS)
                              for v, label in zip(SCALE, scale_labels, strict=True)], fontsize=FONT_SIZE - 1.5)
    handles = [plt.Line2D([], [], marker="o", ls="", color=NEUTRAL, markersize=8, label="consensus"),
               plt.Line2D([], [], marker="o", ls="", markerfacecolor="none", markeredgecolor=OBSERVER,
                          markersize=5, label="observator 1 (boven) en 2 (onder)")]
    axes[0, 0].legend(handles=handles, loc="lower right", bbox_to_anchor=(1, 1.0), ncol=2, frameon=False,
                      fontsize=FONT_SIZE - 1)
    fig.tight_layout(h_pad=1.2)
    return _png(fig)


def self_vs_consensus(labels: Sequence[str], self_values: Sequence[int | None],
                      consensus: Sequence[int | None]) -> bytes:
    """The worker's self-assessment beside the observers' consensus, per dimension."""
    _style()
    fig, ax = plt.subplots(figsize=(WIDTH_IN, DOT_ROW_IN * len(labels) + 0.9))
    ys = list(range(len(labels)))[::-1]
    ax.axvline(0, color="#BBBBBB", lw=0.8, zorder=0)
    for y, own, seen in zip(ys, self_values, consensus, strict=True):
        ax.axhline(y, color="#EEEEEE", lw=0.6, zorder=0)
        if own is not None and seen is not None and own != seen:
            ax.annotate("", xy=(seen, y), xytext=(own, y),
                        arrowprops={"arrowstyle": "-", "color": "#BBBBBB", "lw": 2}, zorder=1)
        if own is not None:
            ax.scatter([own], [y], marker="D", s=60, color="#F4B183", edgecolors="#C55A11", zorder=3)
        if seen is not None:
            ax.scatter([seen], [y], s=90, color=WORKER, zorder=2)
    ax.set_yticks(ys, list(labels))
    ax.set_xticks(SCALE, [f"{v:+d}" if v else "0" for v in SCALE])
    ax.set_xlim(-3.5, 3.5)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.tick_params(axis="y", length=0)
    handles = [plt.Line2D([], [], marker="D", ls="", markerfacecolor="#F4B183", markeredgecolor="#C55A11",
                          markersize=7, label="zelfbeoordeling"),
               plt.Line2D([], [], marker="o", ls="", color=WORKER, markersize=8, label="consensus observatoren")]
    ax.legend(handles=handles, loc="lower right", bbox_to_anchor=(1, 1.0), ncol=2, frameon=False,
              fontsize=FONT_SIZE - 1)
    fig.tight_layout()
    return _png(fig)


@dataclass(frozen=True)
class HeatRow:
    label: str
    positive: bool
    cells: tuple[int | None, ...]


def behaviour_heatmap(title: str, rows: Sequence[HeatRow], window_labels: Sequence[str]) -> bytes:
    """Items x 5-minute windows: filled where the behaviour was seen (green positive, red negative)."""
    _style()
    windows = len(window_labels)
    height = HEAT_ROW_IN * max(len(rows), 1) + 0.9
    fig, ax = plt.subplots(figsize=(WIDTH_IN, height))
    # Codes: 0 not seen, 1 positive seen, 2 negative seen, 3 missing.
    grid = [[3 if c is None else (0 if c == 0 else (1 if r.positive else 2)) for c in r.cells] for r in rows]
    cmap = ListedColormap(["#F5F5F5", POSITIVE, NEGATIVE, "#FFC7CE"])
    if rows:
        ax.imshow(grid, cmap=cmap, vmin=0, vmax=3, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(windows), list(window_labels), fontsize=FONT_SIZE - 1)
    ax.set_yticks(range(len(rows)), [r.label for r in rows], fontsize=FONT_SIZE - 1)
    ax.set_xticks([x - 0.5 for x in range(1, windows)], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, len(rows))], minor=True)
    ax.grid(which="minor", color="white", lw=1.2)
    ax.tick_params(which="both", length=0)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    for y, row in enumerate(rows):
        total = sum(c or 0 for c in row.cells)
        unsure = sum(c is None for c in row.cells)  # missing cells: the count lies between total and total+unsure
        count = f" {total}-{total + unsure}×" if unsure else f" {total}×"
        ax.text(windows - 0.3, y, count, va="center", ha="left", fontsize=FONT_SIZE - 1, color="#333333")
    ax.set_xlabel("minuut (einde van het tijdvak van 5 minuten)", fontsize=FONT_SIZE - 1)
    ax.set_title(title, loc="left", fontsize=FONT_SIZE + 1, fontweight="bold")
    fig.tight_layout()
    return _png(fig)


@dataclass(frozen=True)
class SpeakRow:
    label: str
    bins: tuple[int | None, ...]
    seconds: int | None
    share: float | None


def speaking_timeline(rows: Sequence[SpeakRow], bin_seconds: int, minutes: int) -> bytes:
    """Who spoke when (30-second bins) and each participant's share of the session."""
    _style()
    fig, (ax, bars) = plt.subplots(1, 2, figsize=(WIDTH_IN, BAR_ROW_IN * len(rows) + 1.1),
                                   gridspec_kw={"width_ratios": [3.2, 1]}, sharey=True)
    ys = list(range(len(rows)))[::-1]
    bin_minutes = bin_seconds / 60
    for n, (y, row) in enumerate(zip(ys, rows, strict=True)):
        colour = SPEAK_COLOURS[n % len(SPEAK_COLOURS)]
        spans = [(b * bin_minutes, bin_minutes) for b, v in enumerate(row.bins) if v == 1]
        gaps = [(b * bin_minutes, bin_minutes) for b, v in enumerate(row.bins) if v is None]
        ax.broken_barh(spans, (y - 0.35, 0.7), facecolors=colour, lw=0)
        if gaps:
            ax.broken_barh(gaps, (y - 0.35, 0.7), facecolors="#FFC7CE", lw=0)
        bars.barh([y], [row.share or 0], color=colour, height=0.6)
        text = "ontbreekt" if row.seconds is None else \
            f"{row.seconds // 60}:{row.seconds % 60:02d}  ({row.share:.0f}%)"
        bars.text((row.share or 0) + 1, y, text, va="center", fontsize=FONT_SIZE - 1)
    ax.set_yticks(ys, [r.label for r in rows])
    ax.set_xlim(0, minutes)
    ax.set_xticks(range(0, minutes + 1, 5))
    ax.set_xlabel("minuut")
    ax.grid(axis="x", color="#EEEEEE", lw=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", length=0)
    ax.set_title("Wie sprak wanneer (vakjes van 30 seconden)", loc="left", fontsize=FONT_SIZE + 0.5)
    top = max([r.share or 0 for r in rows] + [10])
    bars.set_xlim(0, top * 1.9)
    bars.set_xlabel("% van de sessie")
    bars.set_title("Totale spreektijd", loc="left", fontsize=FONT_SIZE + 0.5)
    bars.tick_params(axis="y", length=0)
    fig.tight_layout()
    return _png(fig)
