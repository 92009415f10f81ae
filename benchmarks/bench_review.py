"""Review screen speed with many cases: time per decision (POST + the next page), p50/p95.

Builds the review test batch, registers ``--cases`` cases in all (every box
read, all settled except a few flagged per case), and decides flagged boxes
and rating rows through the real app (Flask test client, real SQLite, real
validation). Run: ``.venv/bin/python benchmarks/bench_review.py --cases 32``.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from formgen import build_layout  # noqa: E402
from review.app import create_app  # noqa: E402
from samples.truth import simulate_coding  # noqa: E402
from softa.db import connect, now, register_case, transaction  # noqa: E402
from softa.manifest import load_manifest  # noqa: E402
from tests.review_fixtures import CASE, MANIFEST, build_batch  # noqa: E402
from tests.test_review_http import ORIGIN, TOKEN, login  # noqa: E402

#: Flagged boxes per extra case (the queue the timed decisions come from).
FLAGS_PER_CASE = 6
PERCENTILE_95 = 0.95


def add_case(conn: object, case_id: str, seed: int) -> None:
    manifest = dataclasses.replace(load_manifest(MANIFEST), case=case_id)
    layout = build_layout(manifest)
    register_case(conn, manifest, layout)  # type: ignore[arg-type]
    truth = simulate_coding(manifest, layout, seed=seed).boxes
    with transaction(conn):  # type: ignore[arg-type]
        source = conn.execute("INSERT INTO source_files(sha256, path, size_bytes, status, added_at) "  # type: ignore[attr-defined]
                              "VALUES (?, ?, 1, 'complete', ?)", (f"s{case_id}", f"{case_id}.pdf", now())).lastrowid
        for page in layout.pages:
            page_id = conn.execute(  # type: ignore[attr-defined]
                "INSERT INTO scanned_pages(source_id, page_number, status, case_id, page_index, scanned_at) "
                "VALUES (?, ?, 'identified', ?, ?, ?)", (source, page.index + 1, case_id, page.index, now())).lastrowid
            rows = [(case_id, b.id, page_id, int(bool(truth[b.id])), "auto", None, 0.99) for b in page.boxes]
            conn.executemany("INSERT INTO box_values(case_id, box_id, page_id, checked, status, reason, confidence) "  # type: ignore[attr-defined]
                             "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("UPDATE box_values SET status = 'flagged', reason = 'faint', confidence = 0.4 WHERE rowid IN "  # type: ignore[attr-defined]
                     "(SELECT bv.rowid FROM box_values bv JOIN layout_boxes lb USING (case_id, box_id) "
                     "WHERE bv.case_id = ? AND lb.kind = 'tick' LIMIT ?)", (case_id, FLAGS_PER_CASE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=32)
    parser.add_argument("--decisions", type=int, default=120)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-review-"))
    batch = build_batch(root)
    conn = connect(batch.db, create=False)
    started = time.perf_counter()
    for n in range(1, args.cases):
        add_case(conn, f"2030-{n:03d}", seed=n)
    print(f"{args.cases} cases registered in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    app = create_app(batch.db, secret="bench", warm=True)
    app.config["SOFTA_WARM_THREAD"].join()
    print(f"every case read ahead (in the background at server start): {time.perf_counter() - started:.1f} s")
    client = app.test_client()
    login(client)
    started = time.perf_counter()
    client.get("/")
    print(f"first overview: {time.perf_counter() - started:.1f} s")
    timings: list[float] = []
    flagged = conn.execute("SELECT case_id, box_id, version FROM box_values WHERE status = 'flagged' "
                           "AND case_id != ? ORDER BY case_id, box_id LIMIT ?", (CASE, args.decisions)).fetchall()
    for row in flagged:
        started = time.perf_counter()
        response = client.post("/beslis/vakje", data={"case_id": row["case_id"], "box": row["box_id"], "checked": "1",
                                                      "version": row["version"], "pos": 0, "csrf_token": TOKEN},
                               headers=ORIGIN)
        assert response.status_code == 302, response.status_code
        client.get(response.location)
        timings.append(time.perf_counter() - started)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(PERCENTILE_95 * (len(timings) - 1)))]
    print(f"box decision + next page, {len(timings)} decisions: median {statistics.median(timings) * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms, max {timings[-1] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
