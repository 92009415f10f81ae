"""Registration benchmark: error at box centres (mm) against the truth, flag rate and time per page.

Run: ``python benchmarks/bench_register.py [--pages N] [--seed N] [--scenario NAME ...]``

Each scenario degrades the marked pages of the sample pack (phone photos with
3 mm curl, perspective and a shadow band; the same photos flat; a fax at
standard resolution; a covered mark) and reports, over all pages: registration
error at the probed box centres (median, 95th percentile, max, in mm), the
share of boxes flagged by ``read_layout_page`` (rating-rule flags left out),
boxes read wrong without a flag, pages flagged misregistered, and the time
``register_page`` takes per page.
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
from scan.pipeline import read_layout_page  # noqa: E402
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
        "fax-standard": lambda img, page, seed: fax(img, page, DPI),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenario", action="append")
    args = parser.parse_args()
    pack = sample_pack(tempfile.mkdtemp(prefix="bench-register-"))
    scenarios = _scenarios()
    names = args.scenario or list(scenarios)
    print(f"{'scenario':22} {'pages':>5} {'err p50':>8} {'p95':>6} {'max':>6} {'misreg':>6} {'boxes':>6} "
          f"{'flag%':>6} {'wrong':>5} {'ms/page':>7}")
    for name in names:
        make = scenarios[name]
        errors: list[float] = []
        boxes = flagged = wrong = misregistered = 0
        seconds = 0.0
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
            start = time.perf_counter()
            registration = register_page(photo.gray, page, qr_pt, qr.corners_px)
            seconds += time.perf_counter() - start
            misregistered += not registration.ok
            chosen = sorted(photo.truth_px)
            centres = np.array([[(page.boxes[i].rect_pt[0] + page.boxes[i].rect_pt[2]) / 2,
                                 (page.boxes[i].rect_pt[1] + page.boxes[i].rect_pt[3]) / 2] for i in chosen])
            predicted = registration.to_image(centres)
            true = np.array([photo.truth_px[i] for i in chosen])
            errors.extend((np.hypot(*(predicted - true).T) / photo.px_per_mm).tolist())
            reads, _, _ = read_layout_page(photo.gray, page, registration)
            boxes += len(reads)
            flagged += sum(1 for r in reads if r.decision == "uncertain" and not (r.reason or "").startswith("rating"))
            wrong += sum(1 for r in reads if r.decision != "uncertain" and int(r.checked) != truth[r.box_id])
        err = np.array(errors) if errors else np.array([np.nan])
        print(f"{name:22} {args.pages:5d} {np.median(err):8.3f} {np.percentile(err, 95):6.3f} {err.max():6.3f} "
              f"{misregistered:6d} {boxes:6d} {100 * flagged / max(1, boxes):6.2f} {wrong:5d} "
              f"{1000 * seconds / args.pages:7.2f}")


if __name__ == "__main__":
    cv2.setNumThreads(1)
    main()
