"""The demo: run the whole pipeline on the bundled sample case.

Run through `make demo`; writes everything under --out (default demo-output/).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from click.testing import CliRunner

from softa.cli import main as softa

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "case_2024-017.toml"


def run(*args: str) -> int:
    """Run one softa command as a user would, echoing it and its output."""
    print(f"\n$ softa {' '.join(args)}", flush=True)
    result = CliRunner().invoke(softa, list(args), catch_exceptions=False)
    print(result.output, end="", flush=True)
    return result.exit_code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("demo-output"))
    out: Path = parser.parse_args().out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    db = out / "softa.sqlite"
    if run("forms", str(MANIFEST), "--out", str(out / "forms"), "--db", str(db)) != 0:
        return 1
    print(f"\nDemo done. Print the forms from {out / 'forms'}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
