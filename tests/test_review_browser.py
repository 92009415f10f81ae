"""End-to-end: a reviewer clears a really scanned batch's queue in Debian's chromium, by keyboard.

The batch is simulated (samples.simulate plus three awkward sheets) and read by
the real scanner (`softa scan`); the app runs in a thread on 127.0.0.1. It holds
the two kinds of item the demo batch lacks (a duplicate scan, a rating row with
two values); `test_review_demo.py` clears the demo's own queue. Set
SOFTA_REVIEW_SCREENSHOTS=docs/img to refresh the user guide's screenshots of
those two kinds (the other screenshots come from the demo test).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from softa.db import connect, transaction
from tests.review_fixtures import CASE, CHROMIUM, PAGE_C1, ScannedBatch, build_scanned_batch, chromium_browser, entry_url, serve

REVIEWER = "Lotte (test)"
#: Enough steps for every item of the batch, with room for items that appear on the way.
MAX_STEPS = 80
#: Boxes the test flags by hand the way the scanner flags a faint mark (the simulated pile reads cleanly).
HAND_FLAGGED = 2
#: The user guide's screenshots this test takes (the demo test takes the others).
SCREENSHOT_NAMES = {"duplicate": "dubbele-scan.png", "rating": "beoordelingsrij.png"}

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium (/usr/bin/chromium) is not installed")]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> ScannedBatch:
    batch = build_scanned_batch(tmp_path_factory.mktemp("scanned"), seed=6)
    conn = connect(batch.db, create=False)
    with transaction(conn):
        rows = conn.execute("SELECT box_id FROM box_values bv JOIN layout_boxes lb USING (case_id, box_id) "
                            "WHERE lb.kind = 'tick' AND lb.page_index = ? AND bv.status = 'auto' ORDER BY box_id "
                            "LIMIT ?", (PAGE_C1, HAND_FLAGGED)).fetchall()
        conn.executemany("UPDATE box_values SET status = 'flagged', reason = 'faint', confidence = 0.3, "
                         "checked = 1 - checked WHERE case_id = ? AND box_id = ?", [(CASE, r[0]) for r in rows])
    conn.close()
    return batch


@pytest.fixture(scope="module")
def server(scanned: ScannedBatch) -> Iterator[str]:
    with serve(scanned.db) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_browser() as chromium:
        yield chromium


def shoot(page: Any, kind: str, taken: set[str], folder: Path) -> None:
    if kind in taken:
        return
    taken.add(kind)
    if kind in SCREENSHOT_NAMES:
        page.screenshot(path=str(folder / SCREENSHOT_NAMES[kind]), full_page=True)


def press_and_wait(page: Any, *keys: str) -> None:
    """Press keys; the last one submits or follows a link, so wait for the next page."""
    for key in keys[:-1]:
        page.keyboard.press(key)
    with page.expect_navigation():
        page.keyboard.press(keys[-1])


def rating_keys(value: int) -> tuple[str, ...]:
    return ("-", str(-value)) if value < 0 else (str(value),)


@pytest.mark.xfail(reason="merge of issue 9.3 and 14.2: assignment now checks the printed structure; the script's "
                          "unknown page (both codes stained) is refused for its suggested target (open)", strict=False)
def test_reviewer_clears_the_scanned_batch(scanned: ScannedBatch, server: str, browser: Any,
                                           tmp_path: Path) -> None:
    folder = Path(os.environ.get("SOFTA_REVIEW_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(entry_url(server))
    assert "/naam" in page.url
    page.fill("#name", REVIEWER)
    shoot(page, "name", taken, folder)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "te doen" in page.inner_text("#counter")
    shoot(page, "overview", taken, folder)
    press_and_wait(page, "j")

    decided: dict[str, Any] = {}
    undo_checked = False
    for _ in range(MAX_STEPS):
        if "/klaar" in page.url:
            break
        kind = page.get_attribute("section.item", "data-kind")
        shoot(page, kind, taken, folder)
        if kind == "page":
            if "los_2.png" in page.inner_text("section.item"):
                page.select_option("#target", f"{CASE}|{scanned.unknown_form_index}")
                with page.expect_navigation():
                    page.click("button[value=assign]")
                decided["assigned"] = True
            else:
                page.fill("#note", "geen formulier")
                with page.expect_navigation():
                    page.click("button[value=set_aside]")
        elif kind == "duplicate":
            press_and_wait(page, "a")
        elif kind == "rating":
            group = page.get_attribute("input[name=group]", "value")
            value = next(int(b.split(":v")[1]) for b, v in scanned.truth.items()
                         if v and b.startswith(group.removesuffix(":rating") + ":v"))
            press_and_wait(page, *rating_keys(value))
            decided[group] = value
        elif kind == "box":
            box_id = page.get_attribute("input[name=box]", "value")
            truth = scanned.truth[box_id]
            if not undo_checked:  # first a wrong key, then take it back with `u`
                press_and_wait(page, "o" if truth else "x")
                press_and_wait(page, "u")
                assert page.get_attribute("input[name=box]", "value") == box_id
                assert "Ongedaan gemaakt" in page.inner_text(".flash")
                undo_checked = True
            press_and_wait(page, "x" if truth else "o")
            decided[box_id] = truth
        elif kind == "text":
            region = page.get_attribute("input[name=region]", "value")
            text = scanned.texts.get(region) or ""
            page.fill("#text", text)
            with page.expect_navigation():
                page.keyboard.press("Control+Enter")
            decided[region] = text
        elif kind == "finding":
            page.fill("#note", "besproken in het consensusoverleg")
            with page.expect_navigation():
                page.keyboard.press("Control+Enter")
        else:
            pytest.fail(f"unexpected item kind {kind!r} at {page.url}")
    assert "/klaar" in page.url, "the queue was not cleared"
    shoot(page, "done", taken, folder)
    assert {"page", "duplicate", "rating", "box", "text"} <= taken
    assert undo_checked and decided.get("assigned")

    conn = connect(scanned.db, create=False)
    conn.row_factory = sqlite3.Row
    try:
        assert conn.execute("SELECT COUNT(*) FROM box_values WHERE status = 'flagged'").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM region_values WHERE status = 'pending'").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM scanned_pages WHERE status = 'unidentified'").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM duplicates WHERE status = 'open'").fetchone()[0] == 0
        assigned = conn.execute("SELECT case_id, page_index FROM scanned_pages WHERE status = 'assigned'").fetchall()
        assert [tuple(r) for r in assigned] == [(CASE, scanned.unknown_form_index)]
        for key, value in decided.items():
            if key.endswith(":rating"):
                ticked = conn.execute("SELECT lb.value FROM box_values bv JOIN layout_boxes lb USING (case_id, box_id)"
                                      " WHERE lb.grp = ? AND bv.checked = 1", (key,)).fetchall()
                assert [r[0] for r in ticked] == [value]
            elif key.count(":") >= 3 and key in scanned.truth:
                row = conn.execute("SELECT checked, status, reviewer FROM box_values WHERE box_id = ?",
                                   (key,)).fetchone()
                assert tuple(row) == (value, "reviewed", REVIEWER)
            elif key != "assigned":
                row = conn.execute("SELECT transcription, reviewer FROM region_values WHERE region_id = ?",
                                   (key,)).fetchone()
                assert tuple(row) == (value, REVIEWER)
        actions = {r[0] for r in conn.execute("SELECT action FROM audit_log WHERE actor = ?", (REVIEWER,))}
        assert {"review_box", "undo", "review_rating", "assign_page", "set_aside", "resolve_duplicate",
                "transcribe"} <= actions
        from export.machine_json import machine_json

        exported = {(b["case"], b["id"]): b for b in machine_json(conn)["boxes"]}
        assert not any(b["flagged"] for b in exported.values())
        for key, value in decided.items():
            if (CASE, key) in exported:
                assert exported[(CASE, key)]["checked"] is bool(value)
                assert exported[(CASE, key)]["status"] == "reviewed"
    finally:
        conn.close()
