"""End-to-end: a new user runs the demo, then clears its whole review queue in Debian's chromium.

`python -m samples.demo` (what `make demo` runs) prints the forms, simulates the
handed-in paper, scans it with the real scanner and leaves blank backs, a
foreign page, uncertain boxes and texts to transcribe; once those are settled,
validation warnings appear. The reviewer clears all of it by keyboard, as the
user guide describes; then `softa validate` reports no errors and `softa export`
succeeds without --allow-unresolved. Set SOFTA_REVIEW_SCREENSHOTS=docs/img to
refresh the user guide's screenshots.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from softa.cli import main as softa
from softa.db import connect
from tests.review_fixtures import CASE, CHROMIUM, ROOT, chromium_browser, entry_url, serve

REVIEWER = "Sanne (demo)"
#: Far more steps than the demo's queue holds (about 30 items), so a stuck screen fails instead of looping.
MAX_STEPS = 120
#: The demo runs four `softa` commands and simulates ~40 pages (about 30 s on one core).
DEMO_TIMEOUT_S = 600
SCREENSHOT_NAMES = {"overview": "overzicht.png", "name": "naam.png", "page": "onbekende-pagina.png",
                    "box": "vakje.png", "text": "tekst.png", "finding": "waarschuwing.png", "done": "klaar.png"}
FOREIGN_NOTE = "geen SOFTA-formulier (verslag teamoverleg)"
ACCEPT_NOTE = "besproken in het consensusoverleg; de score klopt"

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium (/usr/bin/chromium) is not installed")]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "demo-output"
    run = subprocess.run([sys.executable, "-m", "samples.demo", "--out", str(out)], cwd=ROOT, capture_output=True,
                         text=True, timeout=DEMO_TIMEOUT_S, check=False)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return out


@pytest.fixture(scope="module")
def truth(demo: Path) -> tuple[dict[str, int], dict[str, str]]:
    """What the simulated students really marked and wrote (the reviewer reads it off the snippets)."""
    boxes: dict[str, int] = {}
    texts: dict[str, str] = {}
    for path in sorted((demo / "scans").glob("*/truth.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        boxes.update(data["boxes"].get(CASE, {}))
        texts.update(data["texts"].get(CASE, {}))
    return boxes, texts


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_browser() as chromium:
        yield chromium


def press(page: Any, *keys: str) -> None:
    """Press keys; the last one submits or follows a link, so wait for the next page."""
    for key in keys[:-1]:
        page.keyboard.press(key)
    with page.expect_navigation():
        page.keyboard.press(keys[-1])


def counter(page: Any) -> int:
    return int(page.inner_text("#counter strong"))


def test_new_user_clears_the_demo_queue(demo: Path, truth: tuple[dict[str, int], dict[str, str]], browser: Any,
                                        tmp_path: Path) -> None:
    boxes, texts = truth
    db = demo / "softa.sqlite"
    folder = Path(os.environ.get("SOFTA_REVIEW_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()

    def shoot(kind: str) -> None:
        if kind not in taken:
            taken.add(kind)
            page.screenshot(path=str(folder / SCREENSHOT_NAMES[kind]), full_page=True)

    seen: dict[str, int] = {}
    corrected = ""
    with serve(db) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(entry_url(url))
        page.fill("#name", REVIEWER)
        shoot("name")
        press(page, "Enter")
        shoot("overview")
        left = counter(page)
        assert left > 0
        press(page, "j")
        for _ in range(MAX_STEPS):
            if "/klaar" in page.url:
                break
            kind = str(page.get_attribute("section.item", "data-kind"))
            seen[kind] = seen.get(kind, 0) + 1
            shoot(kind)
            if kind == "page":
                reason = page.inner_text("dl.context")
                if "lege pagina" in reason:
                    # The note is filled in already; one key sets the blank back aside.
                    assert page.input_value("#note") == "lege pagina"
                    press(page, "s")
                else:
                    # Nothing is chosen in the list of form pages: setting aside must still work.
                    assert page.eval_on_selector("#target", "s => s.selectedIndex") == -1
                    page.fill("#note", FOREIGN_NOTE)
                    press(page, "Control+Enter")
            elif kind == "box":
                box_id = str(page.get_attribute("input[name=box]", "value"))
                press(page, "x" if boxes[box_id] else "o")
            elif kind == "rating":
                group = str(page.get_attribute("input[name=group]", "value")).removesuffix(":rating")
                value = next(int(b.rsplit(":v", 1)[1]) for b, v in boxes.items() if v and b.startswith(group + ":v"))
                press(page, *(("-", str(-value)) if value < 0 else (str(value),)))
            elif kind == "text":
                region = str(page.get_attribute("input[name=region]", "value"))
                page.fill("#text", texts.get(region, ""))
                press(page, "Control+Enter")
            elif kind == "finding":
                if seen[kind] == 1:
                    # An empty note is not sent (the browser asks for it); the keys must keep working.
                    here = page.url
                    page.focus("#note")
                    page.keyboard.press("Control+Enter")
                    page.keyboard.press("Escape")
                    assert page.url == here
                    press(page, "j")
                    press(page, "k")
                    assert page.url.split("&")[0] == here.split("&")[0]
                rows = page.locator("form.rating").count()
                if not corrected and rows == 1 and "score -3" in page.inner_text("blockquote.rule"):
                    # Correct the value instead: the manual asks -3 for open disagreement.
                    corrected = str(page.get_attribute("form.rating input[name=group]", "value"))
                    press(page, "-", "3")
                else:
                    page.fill("#note", ACCEPT_NOTE)
                    press(page, "Control+Enter")
            else:
                pytest.fail(f"unexpected item kind {kind!r} at {page.url}")
            assert not page.locator(".conflict").count(), page.inner_text(".conflict")
        assert "/klaar" in page.url, f"the queue was not cleared: {page.url}"
        assert "Er staat niets meer open" in page.inner_text("main")
        shoot("done")
    # The demo has blank backs and a foreign page, uncertain boxes, texts and, once those are settled, warnings.
    assert seen.get("page", 0) >= 2 and seen.get("box", 0) >= 1 and seen.get("text", 0) >= 1
    assert seen.get("finding", 0) >= 1
    assert corrected, "no warning was corrected by keyboard (the demo has gd.open_disagreement_minus3 ones)"

    conn = connect(db, create=False)
    try:
        assert conn.execute("SELECT COUNT(*) FROM box_values WHERE status = 'flagged'").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM region_values WHERE status = 'pending'").fetchone()[0] == 0
        pages = dict(conn.execute("SELECT id, note FROM scanned_pages WHERE status = 'set_aside'").fetchall())
        assert len(pages) == seen["page"] and FOREIGN_NOTE in pages.values()
        assert conn.execute("SELECT COUNT(*) FROM scanned_pages WHERE status = 'unidentified'").fetchone()[0] == 0
        reviewed = conn.execute("SELECT box_id, checked FROM box_values WHERE reviewer = ?", (REVIEWER,)).fetchall()
        # Every box decided by the reviewer matches what was marked, but for the row corrected to -3.
        assert reviewed and all(checked == boxes[box_id] for box_id, checked in reviewed
                                if not (corrected and box_id.startswith(corrected.removesuffix("rating"))))
        if corrected:
            ticked = conn.execute("SELECT lb.value FROM box_values bv JOIN layout_boxes lb USING (case_id, box_id) "
                                  "WHERE lb.grp = ? AND bv.checked = 1", (corrected,)).fetchall()
            assert [r[0] for r in ticked] == [-3]
        accepted = conn.execute("SELECT COUNT(*) FROM finding_acceptances WHERE reviewer = ? AND note = ?",
                                (REVIEWER, ACCEPT_NOTE)).fetchone()[0]
        assert accepted >= 1
    finally:
        conn.close()

    runner = CliRunner()
    validated = runner.invoke(softa, ["validate", "--db", str(db), "--case", CASE])
    assert validated.exit_code == 0, validated.output
    assert "0 fout(en), 0 open waarschuwing(en)" in validated.output
    exported = runner.invoke(softa, ["export", "--case", CASE, "--out", str(tmp_path / "export"), "--db", str(db)])
    assert exported.exit_code == 0, exported.output
    assert len(list((tmp_path / "export").glob(f"*_SWAG_{CASE}_*.xlsx"))) == 3
    dataset = runner.invoke(softa, ["export", "--dataset", str(tmp_path / "dataset"), "--db", str(db)])
    assert dataset.exit_code == 0, dataset.output
    with (tmp_path / "dataset" / "audit.csv").open(encoding="utf-8") as fh:
        audit = list(csv.DictReader(fh))
    assert sum(REVIEWER in row.values() for row in audit) >= len(reviewed)
