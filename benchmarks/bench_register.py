"""Registration benchmark: error at box centres (mm) against the truth, flag rate and time per page.

Run: ``python benchmarks/bench_register.py [--pages N] [--seed N] [--scenario NAME ...]``

Each scenario degrades the marked pages of the sample pack (phone photos with
3 mm curl, perspective and a shadow band; the same photos flat; a fax at
standard resolution; a covered mark) and reports, over all pages: registration
error at the probed box centres (median, 95th percentile, max, in mm), the
share of boxes flagged by ``read_layout_page`` (rating-rule flags left out),
boxes read wrong without a flag, pages flagged misregistered, and the time
``register_page`` takes per page (CPU time, best of --repeat runs), each beside the
same figures for the homography alone (``local=False``, the registration before
local refinement).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from samples.simulate_degrade import PHONE_FLAT  # noqa: E402
from scan.identify import find_qr, symbol_corners_pt  # noqa: E402
from scan.omr.register import register_page  # noqa: E402
from scan.pipeline import BoxRead, read_layout_page  # noqa: E402
from tests.omr_fixtures import DPI, marked_page, sample_pack  # noqa: E402
from tests.register_fixtures import PHONE_CURLED, Photo, degrade_with_truth, fax, fold_corner  # noqa: E402

#: Pages of the sample pack used: client, hulpverlener, gedragsdimensies (timeline), zelfbeoordeling.
PAGES = (4, 0, 10, 11, 36, 5)


def _scenarios() -> dict[str, Callable[[np.ndarray, object, int], Photo]]:
    flat = dataclasses.replace(PHONE_FLAT, shadow_share=1.0)
    return {
        "phone-curled": lambda img, page, seed: degrade_with_truth(img, page, PHONE_CURLED, seed, DPI),
        "phone-flat": lambda img, page, seed: degrade_with_truth(img, page, flat, seed, DPI),
        "phone-curled-3marks": lambda img, page, seed: degrade_with_truth(
            fold_corner(img, seed % 4, DPI), page, PHONE_CURLED, seed, DPI),
        "phone-band-dark-desk": lambda img, page, seed: degrade_with_truth(
            img, page, PHONE_CURLED, seed, DPI, band=0.55, dark_table=True),
        "fax-standard": lambda img, page, seed: fax(img, page, DPI),
        "bitonal-150dpi": lambda img, page, seed: fax(img, page, DPI, (150.0, 150.0)),
    }


def _flagged(reads: tuple[BoxRead, ...]) -> int:
    """Boxes flagged for another reason than the rating rule (one rating per row)."""
    return sum(1 for r in reads if r.decision == "uncertain" and not (r.reason or "").startswith("rating"))


def _wrong(reads: tuple[BoxRead, ...], truth: dict[str, int]) -> int:
    """Boxes read wrong without a flag."""
    return sum(1 for r in reads if r.decision != "uncertain" and int(r.checked) != truth[r.box_id])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenario", action="append")
    parser.add_argument("--repeat", type=int, default=3, help="timing runs per page (the best counts)")
    args = parser.parse_args()
    pack = sample_pack(tempfile.mkdtemp(prefix="bench-register-"))
    scenarios = _scenarios()
    names = args.scenario or list(scenarios)
    print(f"{'scenario':22} {'pages':>5} {'err p50':>8} {'p95':>6} {'max':>6} {'misreg':>6} {'boxes':>6} "
          f"{'flag%':>6} {'wrong':>5} {'ms/page':>7}")
    for name in names:
        make = scenarios[name]
        errors: list[float] = []
        errors_global: list[float] = []
        seconds_global = 0.0
        flagged_global = wrong_global = 0
        boxes = flagged = wrong = misregistered = 0
        seconds = 0.0
        marks: dict[int, int] = {}
        for n in range(args.pages):
            index = PAGES[n % len(PAGES)]
            seed = args.seed * 1000 + n
            page = pack.layout.pages[index]
            image, truth = marked_page(pack, index, seed=seed)
            photo = make(image, page, seed)
            qr = find_qr(photo.gray)
            if qr is None:
                print(f"  {name} page {n}: no QR")
                continue
            qr_pt = symbol_corners_pt(page.qr_rect_pt, qr.version)
            # CPU time, best of a few runs: the figure of one page on an idle core.
            runs = []
            for local in (False, True):
                best = float("inf")
                for _ in range(args.repeat):
                    start = time.process_time()
                    registration = register_page(photo.gray, page, qr_pt, qr.corners_px, local=local)
                    best = min(best, time.process_time() - start)
                runs.append(best)
            seconds_global += runs[0]
            seconds += runs[1]
            flat = register_page(photo.gray, page, qr_pt, qr.corners_px, local=False)
            misregistered += not registration.ok
            marks[registration.marks_found] = marks.get(registration.marks_found, 0) + 1
            chosen = sorted(photo.truth_px)
            centres = np.array([[(page.boxes[i].rect_pt[0] + page.boxes[i].rect_pt[2]) / 2,
                                 (page.boxes[i].rect_pt[1] + page.boxes[i].rect_pt[3]) / 2] for i in chosen])
            true = np.array([photo.truth_px[i] for i in chosen])
            errors.extend((np.hypot(*(registration.to_image(centres) - true).T) / photo.px_per_mm).tolist())
            errors_global.extend((np.hypot(*(flat.to_image(centres) - true).T) / photo.px_per_mm).tolist())
            reads, _, _ = read_layout_page(photo.gray, page, registration)
            boxes += len(reads)
            flagged += _flagged(reads)
            wrong += _wrong(reads, truth)
            reads, _, _ = read_layout_page(photo.gray, page, flat)
            flagged_global += _flagged(reads)
            wrong_global += _wrong(reads, truth)
        err = np.array(errors) if errors else np.array([np.nan])
        err0 = np.array(errors_global) if errors_global else np.array([np.nan])
        print(f"{name:22} {args.pages:5d} {np.median(err):8.3f} {np.percentile(err, 95):6.3f} {err.max():6.3f} "
              f"{misregistered:6d} {boxes:6d} {100 * flagged / max(1, boxes):6.2f} {wrong:5d} "
              f"{1000 * seconds / args.pages:7.2f}  marks found {dict(sorted(marks.items()))}")
        print(f"{'  homography only':22} {'':5} {np.median(err0):8.3f} {np.percentile(err0, 95):6.3f} {err0.max():6.3f} "
              f"{'':6} {'':6} {100 * flagged_global / max(1, boxes):6.2f} {wrong_global:5d} "
              f"{1000 * seconds_global / args.pages:7.2f}")


if __name__ == "__main__":
    cv2.setNumThreads(1)
    main()
