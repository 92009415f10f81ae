"""Issue 9's defects, checked in Debian's chromium against the review app served on 127.0.0.1.

Each test drives the real server (a thread, real HTTP, real cookies) with the
small review batch of ``tests.review_fixtures``: the access token, decision
buttons above the fold at 1366 x 768, `j` on a text item, two reviewers
(claims, a conflict that names the other and gives back the losing text), a
page whose QR names an unregistered case, and undoing a duplicate choice.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from review.queue import FindingCache, build_queue, default_finding_source
from softa.db import connect
from tests.review_fixtures import CASE, CHROMIUM, ReviewBatch, build_batch, chromium_browser, copy_batch, entry_url, serve

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium (/usr/bin/chromium) is not installed")]

#: The laptop screen the issue names: every decision button must be visible without scrolling.
SMALL_SCREEN = {"width": 1366, "height": 768}
#: Buttons that decide an item, per kind (the first of each is enough to reach by eye; all must be visible).
DECISION_BUTTONS = {
    "box": "form.decide button",
    "rating": "form.decide button",
    "text": "form.stack button.primary",
    "page": "#set-aside-form button",
    "duplicate": ".sidebyside button",
    "finding": "section.item form button",
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> ReviewBatch:
    return build_batch(tmp_path_factory.mktemp("browser9-template"))


@pytest.fixture
def batch(template: ReviewBatch, tmp_path: Path) -> ReviewBatch:
    return copy_batch(template, tmp_path / "batch")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_browser() as chromium:
        yield chromium


def signed_in(browser: Any, base: str, name: str, viewport: dict[str, int] | None = None) -> Any:
    """A fresh browser context (own cookies) that opened the printed address and gave a name."""
    context = browser.new_context(viewport=viewport or SMALL_SCREEN)
    page = context.new_page()
    page.goto(entry_url(base))
    assert "token=" not in page.url  # the token is taken out of the address bar
    page.fill("#name", name)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    return page


def queue_keys(batch: ReviewBatch) -> list[str]:
    conn = connect(batch.db, create=False)
    try:
        return [i.key for i in build_queue(conn, FindingCache(default_finding_source())).items]
    finally:
        conn.close()


def test_without_the_token_nothing_is_shown(batch: ReviewBatch, browser: Any) -> None:
    with serve(batch.db) as base:
        context = browser.new_context()
        page = context.new_page()
        response = page.goto(base + "/")
        assert response is not None and response.status == 403
        assert "Toegangscode nodig" in page.inner_text("h1")
        assert "softa review" in page.inner_text("main")
        response = page.goto(base + "/static/review.css")
        assert response is not None and response.status == 403
        context.close()


def test_decision_buttons_are_above_the_fold_at_1366x768(batch: ReviewBatch, browser: Any) -> None:
    keys = queue_keys(batch)
    kinds_seen: set[str] = set()
    with serve(batch.db) as base:
        page = signed_in(browser, base, "Lotte")
        for key in keys:
            kind = key.partition(":")[0]
            if kind in kinds_seen:
                continue
            kinds_seen.add(kind)
            page.goto(f"{base}/item?key={key}")
            page.wait_for_load_state("load")
            buttons = page.query_selector_all(DECISION_BUTTONS[kind])
            assert buttons, key
            for button in buttons:
                box = button.bounding_box()
                assert box is not None and box["y"] + box["height"] <= SMALL_SCREEN["height"], \
                    f"{key}: '{button.inner_text()}' ends at {box and box['y'] + box['height']:.0f} px"
        page.context.close()
    assert kinds_seen >= {"page", "duplicate", "rating", "box", "text"}


def test_j_on_a_text_item_moves_on_and_enter_starts_typing(batch: ReviewBatch, browser: Any) -> None:
    with serve(batch.db) as base:
        page = signed_in(browser, base, "Lotte")
        page.goto(f"{base}/item?key=text:{CASE}:{batch.region}")
        assert page.input_value("#text") == ""
        page.keyboard.press("Enter")
        page.keyboard.type("Moeder")
        assert page.input_value("#text") == "Moeder"
        page.keyboard.press("Escape")
        with page.expect_navigation():
            page.keyboard.press("j")
        assert "text:" not in page.url or batch.region not in page.url
        page.context.close()


def test_two_reviewers_claims_and_a_conflict_that_keeps_the_losing_text(batch: ReviewBatch, browser: Any) -> None:
    with serve(batch.db) as base:
        anna = signed_in(browser, base, "Anna")
        bram = signed_in(browser, base, "Bram")
        url = f"{base}/item?key=text:{CASE}:{batch.region}"
        anna.goto(url)
        bram.goto(url)
        assert "Anna heeft dit item open" in bram.inner_text("#claim")
        anna.fill("#text", "Moeder praat veel.")
        anna.focus("#text")
        with anna.expect_navigation():
            anna.keyboard.press("Control+Enter")
        bram.fill("#text", "Vader zegt weinig.")
        bram.focus("#text")
        with bram.expect_navigation():
            bram.keyboard.press("Control+Enter")
        assert "Anna heeft hier intussen over beslist" in bram.inner_text(".conflict")
        assert bram.input_value("#text") == "Vader zegt weinig."
        assert "Moeder praat veel." in bram.inner_text("#stored-text")
        # Bram's overview now starts him on an item Anna does not have open.
        anna.goto(f"{base}/item?key=box:{CASE}:{batch.flagged_ticks[0]}")
        bram.goto(base + "/")
        begin = bram.get_attribute("a[href^='/item']", "href") or ""
        assert batch.flagged_ticks[0] not in begin
        anna.context.close()
        bram.context.close()


def test_page_of_an_unregistered_case_cannot_be_assigned(batch: ReviewBatch, browser: Any) -> None:
    conn = connect(batch.db, create=False)
    conn.execute("UPDATE scanned_pages SET qr = 'SOFTA2|2025-099|C|C1|1|1/2', reason = 'unknown_case' WHERE id = ?",
                 (batch.unknown_page_id,))
    conn.close()
    with serve(batch.db) as base:
        page = signed_in(browser, base, "Lotte")
        page.goto(f"{base}/item?key=page:{batch.unknown_page_id}")
        assert "Registreer eerst casus 2025-099" in page.inner_text("#own-identity")
        assert page.query_selector("#target") is None
        assert page.query_selector("button[value=assign]") is None
        page.context.close()


def test_duplicate_choice_is_undone_with_u(batch: ReviewBatch, browser: Any) -> None:
    with serve(batch.db) as base:
        page = signed_in(browser, base, "Lotte")
        page.goto(f"{base}/item?key=duplicate:{batch.duplicate_id}")
        assert "1 vakje verschillend" in page.inner_text("#duplicate-summary")
        with page.expect_navigation():
            page.keyboard.press("b")
        with page.expect_navigation():
            page.keyboard.press("u")
        assert "Ongedaan gemaakt" in page.inner_text(".flash")
        page.context.close()
    conn = connect(batch.db, create=False)
    try:
        assert conn.execute("SELECT status FROM duplicates WHERE id = ?", (batch.duplicate_id,)).fetchone()[0] == "open"
    finally:
        conn.close()
