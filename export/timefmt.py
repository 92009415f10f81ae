"""Speaking-time arithmetic shared by the xlsx files, the dataset and the report."""

from __future__ import annotations

from collections.abc import Sequence

#: Shares are shown with one decimal.
SHARE_DECIMALS = 1


def mmss(seconds: int | None) -> str:
    """Seconds as ``m:ss`` (minutes may exceed 59): 90 -> "1:30"."""
    if seconds is None:
        return ""
    return f"{seconds // 60}:{seconds % 60:02d}"


def speaking_seconds(bins: Sequence[int | None], bin_seconds: int) -> int | None:
    """Derived speaking time: marked bins x bin length; None when any bin is missing or there are none."""
    if not bins or any(v is None for v in bins):
        return None
    return sum(int(v or 0) for v in bins) * bin_seconds


def share_percent(seconds: int | None, total_seconds: int) -> float | None:
    """``seconds`` as a percentage of ``total_seconds``, one decimal; None when unknown."""
    if seconds is None or total_seconds <= 0:
        return None
    return round(100 * seconds / total_seconds, SHARE_DECIMALS)
