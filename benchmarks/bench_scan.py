"""Scan benchmark: speed against the floor, and accuracy against the simulator's truth.

Run: ``python benchmarks/bench_scan.py [--cases N] [--profile office|phone] [--out DIR]``

Generates N cases (the sample case under different case numbers), fills and
"scans" them with the simulator (pages of all cases mixed, blank backs, a
foreign page), then scans the set with 1 worker and with 2 workers into fresh
databases, and measures the floor side by side: take each page's image out of
the file, decode it to grayscale, find the QR code on the full page. Prints
pages/s, silent errors (boxes read wrong and not flagged), flagged share,
pages identified and pages lost.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import zxingcpp  # noqa: E402

from formgen import generate_pack  # noqa: E402
from samples.simulate import PROFILES, simulate_cases  # noqa: E402
from samples.truth import simulate_coding  # noqa: E402
from scan.batch import run_scan  # noqa: E402
from scan.identify import QR_ONLY  # noqa: E402
from scan.inputs import SourceReader, discover  # noqa: E402
from softa.db import connect, register_case  # noqa: E402
from softa.manifest import load_manifest  # noqa: E402

MANIFEST = ROOT / "samples" / "case_2024-017.toml"
#: Targets from issue 3.
TARGET_SILENT = {"office": 1 / 20_000, "phone": 1 / 5_000, "clean": 1 / 20_000}
TARGET_FLAGGED = 0.01
TARGET_PAGES_PER_S = 40.0


def make_set(out: Path, cases: int, profile: str, seed: int, files: int) -> tuple[list, Path, dict]:
    base = load_manifest(MANIFEST)
    made = []
    for n in range(cases):
        manifest = dataclasses.replace(base, case=f"2024-{17 + n:03d}")
        pack = generate_pack(manifest, out / "forms" / manifest.case)
        truth = simulate_coding(manifest, pack.layout, seed=seed + n)
        made.append((manifest, pack, truth))
    batch = simulate_cases([(p.pack_pdf, p.layout, t) for _, p, t in made], out / "scans", seed=seed,
                           profile=PROFILES[profile], files=files)
    return made, out / "scans", json.loads(batch.truth_json.read_text(encoding="utf-8"))


def reuse_set(out: Path) -> tuple[list, Path, dict]:
    from softa.layout import load_layout

    base = load_manifest(MANIFEST)
    made = []
    for folder in sorted((out / "forms").iterdir()):
        layout = load_layout(folder / f"{folder.name}_layout.json")
        made.append((dataclasses.replace(base, case=folder.name), _Pack(layout), None))
    return made, out / "scans", json.loads((out / "scans" / "truth.json").read_text(encoding="utf-8"))


@dataclasses.dataclass(frozen=True)
class _Pack:
    layout: object


def floor(scans: Path) -> tuple[int, float]:
    """Least work per page: image out of the file, decoded to gray, QR found on the full page."""
    pages = 0
    start = time.perf_counter()
    for path in discover([scans]):
        with SourceReader(path) as reader:
            for number in range(1, reader.page_count + 1):
                image = reader.load(number)
                zxingcpp.read_barcodes(image.gray, formats=QR_ONLY)
                pages += 1
    return pages, time.perf_counter() - start


def floor_parallel(scans: Path, workers: int) -> tuple[int, float]:
    import multiprocessing

    files = [str(p) for p in discover([scans])]
    start = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        ready_at = time.perf_counter()
        counts = pool.map(_floor_file_pages, [(f, i, workers) for f in files for i in range(workers)])
    return sum(counts), time.perf_counter() - ready_at if ready_at > start else time.perf_counter() - start


def _floor_file_pages(task: tuple[str, int, int]) -> int:
    path, part, parts = task
    done = 0
    with SourceReader(Path(path)) as reader:
        for number in range(1 + part, reader.page_count + 1, parts):
            image = reader.load(number)
            zxingcpp.read_barcodes(image.gray, formats=QR_ONLY)
            done += 1
    return done


def scan_into(db: Path, made: list, scans: Path, workers: int) -> float:
    conn = connect(db)
    for manifest, pack, _ in made:
        register_case(conn, manifest, pack.layout)
    conn.close()
    start = time.perf_counter()
    run_scan(db, [scans], workers=workers, progress=False)
    return time.perf_counter() - start


def evaluate(db: Path, truth: dict) -> dict[str, object]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    total = silent = flagged = wrong_flagged = 0
    silent_examples = []
    reasons: Counter[str] = Counter()
    for case, boxes in truth["boxes"].items():
        marks = truth["marks"].get(case, {})
        rows = {r["box_id"]: r for r in conn.execute(
            "SELECT bv.box_id, bv.checked, bv.status, bv.reason, br.measurements_json FROM box_values bv "
            "LEFT JOIN box_reads br ON br.page_id = bv.page_id AND br.box_id = bv.box_id WHERE bv.case_id = ?",
            (case,))}
        for box_id, value in boxes.items():
            row = rows.get(box_id)
            if row is None:
                continue
            total += 1
            if row["status"] == "flagged":
                flagged += 1
                reasons[row["reason"]] += 1
                wrong_flagged += int(row["checked"] != value)
            elif row["checked"] != value:
                silent += 1
                silent_examples.append((case, box_id, value, marks.get(box_id), row["measurements_json"]))
    pages = conn.execute("SELECT sp.page_number, sf.path, sp.status, sp.reason, sp.qr FROM scanned_pages sp "
                         "JOIN source_files sf ON sf.id = sp.source_id").fetchall()
    stored = {(Path(r["path"]).name, r["page_number"]): r for r in pages}
    lost = identified = misidentified = forms = 0
    for page in truth["pages"]:
        row = stored.get((page["source"], page["page_number"]))
        if row is None:
            lost += 1
            continue
        if page["kind"] == "form":
            forms += 1
            if row["status"] in ("identified", "duplicate"):
                identified += 1
                misidentified += int(row["qr"] != page["qr"])
        elif row["status"] != "unidentified":
            misidentified += 1
    return {"boxes": total, "silent": silent, "flagged": flagged, "flag_reasons": dict(reasons.most_common()),
            "forms": forms, "identified": identified, "misidentified": misidentified, "lost": lost,
            "pages": len(truth["pages"]), "silent_examples": silent_examples[:8]}


def _peak_memory() -> str:
    try:
        import resource
    except ImportError:  # Windows
        return ""
    return f"; peak memory of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=3)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="office")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--files", type=int, default=2, help="PDF files the set is split into (office)")
    parser.add_argument("--out", type=Path, default=None, help="keep the set and databases here")
    parser.add_argument("--reuse", action="store_true", help="reuse the set already in --out")
    parser.add_argument("--skip-speed", action="store_true", help="accuracy only (one 2-worker scan)")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="softa-bench-"))
    t0 = time.perf_counter()
    if args.reuse and (out / "scans" / "truth.json").exists():
        made, scans, truth = reuse_set(out)
    else:
        if out.exists() and args.out:
            shutil.rmtree(out)
        out.mkdir(parents=True, exist_ok=True)
        made, scans, truth = make_set(out, args.cases, args.profile, args.seed, args.files)
    for db in out.glob("w*.sqlite*"):
        db.unlink()
    for files in out.glob("w*_files"):
        shutil.rmtree(files)
    args.profile = truth.get("profile", args.profile)
    print(f"set: {len(made)} case(s), {len(truth['pages'])} pages, profile {args.profile} "
          f"({time.perf_counter() - t0:.0f} s to simulate) in {scans}")
    n_pages = len(truth["pages"])
    if not args.skip_speed:
        pages, seconds = floor(scans)
        print(f"floor, 1 process:  {pages / seconds:6.1f} pages/s ({1000 * seconds / pages:.1f} ms/page)")
        pages2, seconds2 = floor_parallel(scans, 2)
        print(f"floor, 2 processes: {pages2 / seconds2:6.1f} pages/s")
        s1 = scan_into(out / "w1.sqlite", made, scans, 1)
        print(f"scan --workers 1:   {n_pages / s1:6.1f} pages/s ({1000 * s1 / n_pages:.1f} ms/page, DB writes included)"
              f"{_peak_memory()}")
    s2 = scan_into(out / "w2.sqlite", made, scans, 2)
    print(f"scan --workers 2:   {n_pages / s2:6.1f} pages/s (pool start-up included; target >= {TARGET_PAGES_PER_S:.0f})")
    result = evaluate(out / "w2.sqlite", truth)
    boxes = int(result["boxes"])  # type: ignore[call-overload]
    silent, flagged = int(result["silent"]), int(result["flagged"])  # type: ignore[call-overload]
    print(f"boxes read: {boxes}; silent errors: {silent} (1 in {boxes // max(silent, 1)}; "
          f"target <= 1 in {round(1 / TARGET_SILENT[args.profile])}); "
          f"flagged: {flagged} ({100 * flagged / max(boxes, 1):.2f} %, target <= {100 * TARGET_FLAGGED:.0f} %)")
    print(f"flag reasons: {result['flag_reasons']}")
    print(f"pages: {result['pages']} in the set, {result['forms']} form pages, {result['identified']} identified, "
          f"{result['misidentified']} misidentified, {result['lost']} lost")
    for example in result["silent_examples"]:  # type: ignore[attr-defined]
        print("  silent:", example)
    return 0


if __name__ == "__main__":
    sys.exit(main())
