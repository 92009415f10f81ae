"""The built wheel works on its own: only production packages inside, and `softa forms` and
`softa scan` run from a fresh virtual environment outside the repository.

The fresh environment gets the wheel installed by pip; its third-party dependencies are lent
from the project's own environment through a path file (a full download of numpy, OpenCV and
the rest would make this test depend on the network). The lent folder is appended after the
fresh site-packages, so the project is imported from the wheel, never from this checkout.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from samples.simulate import OFFICE, simulate_batch
from samples.truth import simulate_coding
from softa.layout import load_layout
from softa.manifest import load_manifest

REPO = Path(__file__).resolve().parents[1]
SAMPLE_MANIFEST = REPO / "samples" / "case_2024-017.toml"
PRODUCTION_PACKAGES = {"softa", "formgen", "scan", "validate", "export", "review"}
#: A handful of pack pages keeps the scan short; the round trip of whole packs is tested elsewhere.
SCANNED_PAGES = (0, 1)


def _run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload, no-any-return]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    built = _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                  "--wheel-dir", str(out), str(REPO)])
    assert built.returncode == 0, built.stderr
    (path,) = out.glob("softa_forms-*.whl")
    return path


def test_wheel_holds_only_production_packages(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith((".dist-info", ".data"))}
    assert top == PRODUCTION_PACKAGES
    assert "softa/instrument.toml" in names
    assert any(name.startswith("review/templates/") for name in names)


def test_installed_wheel_makes_forms_and_reads_a_scan(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "fresh-venv"
    assert _run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)]).returncode == 0
    fresh_python = env_dir / "bin" / "python"
    installed = _run([sys.executable, "-m", "pip", "--python", str(fresh_python), "install", "--quiet",
                      "--no-deps", str(wheel)])
    assert installed.returncode == 0, installed.stderr
    fresh_site = _run([str(fresh_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    (Path(fresh_site.stdout.strip()) / "lent_dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")

    work = tmp_path / "elsewhere"
    work.mkdir()
    manifest_copy = work / SAMPLE_MANIFEST.name
    manifest_copy.write_text(SAMPLE_MANIFEST.read_text(encoding="utf-8"), encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "SOFTA_DB")}
    env["LANG"] = "nl_NL.UTF-8"
    where = _run([str(fresh_python), "-c", "import scan, softa; print(softa.__file__, scan.__file__)"],
                 cwd=work, env=env)
    assert str(env_dir) in where.stdout and str(REPO) not in where.stdout, where.stdout + where.stderr

    softa = str(env_dir / "bin" / "softa")
    db = work / "softa.sqlite"
    forms = _run([softa, "forms", manifest_copy.name, "--out", "forms", "--db", str(db)], cwd=work, env=env)
    assert forms.returncode == 0, forms.stdout + forms.stderr
    (layout_file,) = (work / "forms").glob("*_layout.json")
    (pack_pdf,) = (work / "forms").glob("*_forms.pdf")

    layout = load_layout(layout_file)
    truth = simulate_coding(load_manifest(SAMPLE_MANIFEST), layout, seed=7)
    simulate_batch(pack_pdf, layout, truth, work / "scans", seed=7, profile=OFFICE,
                   page_indices=SCANNED_PAGES, blank_pages=0, foreign_pages=0)
    scanned = _run([softa, "scan", "scans", "--db", str(db), "--quiet"], cwd=work, env=env)
    assert scanned.returncode == 0, scanned.stdout + scanned.stderr

    with sqlite3.connect(db) as conn:
        statuses = [row[0] for row in conn.execute("SELECT status FROM scanned_pages")]
    assert len(statuses) == len(SCANNED_PAGES) and set(statuses) == {"identified"}
