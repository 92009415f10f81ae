"""How often does a page whose QR codes are both covered get the right identity proposed?

Simulated office scans and phone photos (samples.simulate) of the sample case, every QR code of
each form page painted over with a grey stain; scan.structure.propose matches the rest against
the case's layout. Prints per profile: form pages, proposed right, proposed wrong, no proposal,
non-form sheets given a proposal, seconds per page.

    .venv/bin/python -m benchmarks.bench_structure_proposal
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from formgen import generate_pack
from samples.simulate import OFFICE, PHONE, ScanProfile, simulate_batch
from samples.truth import simulate_coding
from scan.identify import find_qr
from scan.inputs import SourceReader
from scan.structure import propose
from softa.manifest import load_manifest

MANIFEST = Path(__file__).resolve().parents[1] / "samples" / "case_2024-017.toml"
#: Pack pages: therapist, client, timeline, self-assessment and two alike pages of other observers.
PAGES = (0, 4, 10, 36, 13, 21)
RUNS: tuple[tuple[str, ScanProfile, int], ...] = (("office", OFFICE, 5), ("office", OFFICE, 11), ("phone", PHONE, 6),
                                                  ("phone", PHONE, 7))
STAIN_GREY = 150


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        manifest = load_manifest(MANIFEST)
        pack = generate_pack(manifest, tmp / "pack")
        pages = [(pack.layout.case, p) for p in pack.layout.pages]
        print("profile seed  forms  right  wrong  none  non-form-proposed  s/page")
        for name, profile, seed in RUNS:
            truth = simulate_coding(manifest, pack.layout, seed=seed)
            out = tmp / f"scans_{name}_{seed}"
            batch = simulate_batch(pack.pack_pdf, pack.layout, truth, out, seed=seed, profile=profile,
                                   page_indices=PAGES, blank_pages=1, foreign_pages=1)
            counts = {"forms": 0, "right": 0, "wrong": 0, "none": 0, "other": 0}
            seconds = 0.0
            for page in json.loads(batch.truth_json.read_text(encoding="utf-8"))["pages"]:
                gray = SourceReader(out / page["source"]).load(page["page_number"]).gray.copy()
                if page["kind"] == "form":
                    homography = np.array(page["homography"], dtype=np.float64).reshape(3, 3)
                    layout_page = pack.layout.page_by_qr(page["qr"])
                    assert layout_page is not None
                    for x0, y0, x1, y1 in layout_page.qr_rects_pt:
                        quad = np.array([[[x0, y0]], [[x1, y0]], [[x1, y1]], [[x0, y1]]], dtype=np.float64)
                        quad_px = cv2.perspectiveTransform(quad, homography).reshape(-1, 2).astype(np.int32)
                        cv2.fillConvexPoly(gray, quad_px, STAIN_GREY)
                    if find_qr(gray) is not None:
                        continue  # the stain missed: not this benchmark's case
                start = time.perf_counter()
                proposal = propose(gray, pages)
                seconds += time.perf_counter() - start
                if page["kind"] != "form":
                    counts["other"] += int(proposal is not None)
                    continue
                counts["forms"] += 1
                if proposal is None or proposal.qr is None:
                    counts["none"] += 1
                else:
                    counts["right" if proposal.qr == page["qr"] else "wrong"] += 1
            total = len(PAGES) + 2
            print(f"{name:7s} {seed:4d}  {counts['forms']:5d}  {counts['right']:5d}  {counts['wrong']:5d}"
                  f"  {counts['none']:4d}  {counts['other']:17d}  {seconds / total:6.2f}")


if __name__ == "__main__":
    main()
