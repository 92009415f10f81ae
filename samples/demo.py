"""The demo: the whole pipeline on the bundled sample case, as a user would run it.

Run through `make demo`. Writes everything under --out (default demo-output/):
forms/ (print), scans/ (simulated handed-in paper: an office scanner's PDFs and
a late phone photo), softa.sqlite (after scanning), the validation report and
consensus worksheet, export/ (the manual's step-13 files), dataset/ (CSV,
SPSS), scan_record.json and the feedback report.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

from samples.simulate import OFFICE, PHONE, simulate_batch
from samples.truth import simulate_coding
from softa.db import connect, load_case_layout, load_case_manifest

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "case_2024-017.toml"
SEED = 2024
#: Pack pages handed in late and photographed with a phone (the consensus behaviour form).
PHONE_PAGES = 2


def softa(*args: str) -> int:
    """Run one `softa` command as a user would, showing the command and its output."""
    print(f"\n$ softa {' '.join(args)}", flush=True)
    exe = Path(sys.executable).with_name("softa")
    return subprocess.run([str(exe), *args], check=False).returncode


def compare_with_truth(db: Path, truth_files: list[Path]) -> None:
    """Print how the scanner did against the simulator's truth (what a benchmark measures)."""
    from export.machine_json import machine_json

    truth: dict[str, dict[str, int]] = {}
    for path in truth_files:
        for case, boxes in json.loads(path.read_text(encoding="utf-8"))["boxes"].items():
            truth.setdefault(case, {}).update(boxes)
    record = machine_json(connect(db, create=False))
    read = {(b["case"], b["id"]): b for b in record["boxes"]}
    expected = [(case, box_id, value) for case, boxes in truth.items() for box_id, value in boxes.items()]
    missing = [e for e in expected if (e[0], e[1]) not in read]
    flagged = sum(1 for b in read.values() if b["flagged"])
    silent = sum(1 for case, box_id, value in expected if (case, box_id) in read
                 and not read[(case, box_id)]["flagged"] and read[(case, box_id)]["checked"] != bool(value))
    print(f"\nAgainst the simulator's truth: {len(read)} of {len(expected)} boxes read, "
          f"{flagged} flagged for review ({flagged / max(1, len(read)):.2%}), "
          f"{silent} read wrong without a flag, {len(missing)} not read.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("demo-output"))
    out: Path = parser.parse_args().out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    db = out / "softa.sqlite"
    dbarg = ("--db", str(db))

    if softa("forms", str(MANIFEST), "--out", str(out / "forms"), *dbarg) != 0:
        return 1

    print("\nSimulating the handed-in paper: two students and their consensus fill the forms;"
          " an office scanner reads most pages, one page comes in as a phone photo.", flush=True)
    conn = connect(db, create=False)
    manifest = load_case_manifest(conn, "2024-017")
    layout = load_case_layout(conn, "2024-017")
    truth = simulate_coding(manifest, layout, seed=SEED)
    pack = out / "forms" / f"{manifest.case}_forms.pdf"
    pages = list(range(len(layout.pages)))
    late = [p.index for p in layout.pages if p.form == "gedragsdimensies" and p.slot == "consensus"][:PHONE_PAGES]
    office = simulate_batch(pack, layout, truth, out / "scans" / "office", seed=SEED, profile=OFFICE,
                            page_indices=[p for p in pages if p not in late], files=2, blank_pages=3, foreign_pages=1)
    phone = simulate_batch(pack, layout, truth, out / "scans" / "phone", seed=SEED + 1, profile=PHONE,
                           page_indices=late, shuffle=False, blank_pages=0, foreign_pages=0)
    for batch in (office, phone):
        for path in batch.files:
            print(f"  {path}")

    softa("scan", str(out / "scans" / "office"), str(out / "scans" / "phone"), *dbarg, "--workers", "2")
    print("(The blank duplex backs and the foreign page end up unidentified on purpose: nothing is dropped"
          " silently; a person sets them aside in `softa review`.)")
    compare_with_truth(db, [office.truth_json, phone.truth_json])
    softa("validate", *dbarg, "--worksheet", str(out / "consensuswerkblad.pdf"))
    softa("export", "--format", "json", "--out", str(out / "scan_record.json"), *dbarg)
    # The demo has nobody to review its flags, so it exports with them marked as missing.
    softa("export", "--case", manifest.case, "--out", str(out / "export"), *dbarg, "--allow-unresolved")
    softa("export", "--dataset", str(out / "dataset"), *dbarg, "--allow-unresolved")
    softa("report", "--case", manifest.case, "--out", str(out / f"feedback_{manifest.case}.pdf"), *dbarg,
          "--allow-unresolved")
    print(f"\nDemo done: everything is in {out}/. Resolve the flagged marks in the browser with\n"
          f"  .venv/bin/softa review --db {db}\n"
          f"then validate and export again without --allow-unresolved.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
