"""Two reviewers on one queue work apart: short visible claims, "next" skips the other's item."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient

from review import claims
from softa.db import connect
from tests.review_fixtures import CASE, ReviewBatch
from tests.test_review_http import ORIGIN, TOKEN, app, audit_rows, batch, client, db, login, template

__all__ = ["app", "batch", "client", "template"]  # fixtures used by name

#: Extra boxes flagged so the two reviewers have a queue worth sharing.
EXTRA_FLAGS = 30


def only_boxes(batch: ReviewBatch, extra: int = EXTRA_FLAGS) -> int:
    """Leave a queue of flagged boxes only (pages, duplicates, ratings and texts settled); return its length."""
    with db(batch) as conn:
        conn.execute("UPDATE scanned_pages SET status = 'set_aside' WHERE status = 'unidentified'")
        conn.execute("UPDATE duplicates SET status = 'resolved', chosen_page_id = kept_page_id")
        conn.execute("UPDATE box_values SET status = 'reviewed', reviewer = 'x' WHERE status = 'flagged' AND box_id IN "
                     "(SELECT box_id FROM layout_boxes WHERE kind = 'rating')")
        conn.execute("UPDATE region_values SET status = 'transcribed', transcription = ''")
        conn.execute("UPDATE box_values SET status = 'flagged', reason = 'faint', confidence = 0.4 WHERE rowid IN "
                     "(SELECT bv.rowid FROM box_values bv JOIN layout_boxes lb USING (case_id, box_id) "
                     "WHERE lb.kind = 'tick' AND bv.status = 'auto' ORDER BY bv.box_id LIMIT ?)", (extra,))
        return int(conn.execute("SELECT COUNT(*) FROM box_values WHERE status = 'flagged'").fetchone()[0])


def open_item(client: FlaskClient, url: str | None) -> tuple[str, str] | None:
    """GET a box item; its key and page (None when the queue has no boxes left)."""
    if not url or "/item" not in url:
        return None
    key = parse_qs(urlsplit(url).query)["key"][0]
    if not key.startswith("box:"):
        return None  # the validation warning that follows once the boxes are settled
    return key, client.get(url).text


def first_url(client: FlaskClient) -> str | None:
    found = re.search(r'href="(/item\?[^"]+)"', client.get("/").text)
    return found.group(1).replace("&amp;", "&") if found else None


def decide(client: FlaskClient, page: str) -> tuple[int, str | None]:
    """Press `x` on a box item page; the status and where it sends the reviewer."""
    form = {name: value for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)}
    form.update({"checked": "1", "csrf_token": TOKEN})
    response = client.post("/beslis/vakje", data=form, headers=ORIGIN)
    return response.status_code, response.location


def test_opened_item_is_claimed_and_the_other_reviewer_is_told(batch: ReviewBatch, app: Flask) -> None:
    only_boxes(batch)
    anna, bram = app.test_client(), app.test_client()
    login(anna, "Anna")
    login(bram, "Bram")
    url = first_url(anna)
    assert url is not None
    assert open_item(anna, url) is not None
    # Bram's overview starts him on another item; opening Anna's says she has it open.
    assert first_url(bram) != url
    page = bram.get(url).text
    assert "Anna heeft dit item open" in page and 'id="claim"' in page
    assert 'id="claim"' not in anna.get(url).text  # her own claim is not shown to her


def test_two_reviewers_clear_one_queue_without_colliding(batch: ReviewBatch, app: Flask) -> None:
    total = only_boxes(batch)
    reviewers = {"Anna": app.test_client(), "Bram": app.test_client()}
    for name, c in reviewers.items():
        login(c, name)
    current: dict[str, tuple[str, str] | None] = {}
    for name, c in reviewers.items():
        current[name] = open_item(c, first_url(c))
    conflicts = decided = 0
    for _ in range(total * 2):
        for name, c in reviewers.items():
            if current[name] is None:
                continue
            status, location = decide(c, current[name][1])  # type: ignore[index]
            if status == 409:
                conflicts += 1
            elif status == 302:
                decided += 1
            else:
                raise AssertionError(f"{name}: {status} on {current[name][0]}")  # type: ignore[index]
            # After a decision the app sends the reviewer on; to the done page when the rest is someone else's.
            current[name] = open_item(c, location if status == 302 else first_url(c))
        if all(v is None for v in current.values()):
            break
    assert decided == total and conflicts == 0
    conn = connect(batch.db, create=False)
    try:
        assert conn.execute("SELECT COUNT(*) FROM box_values WHERE status = 'flagged'").fetchone()[0] == 0
        by = dict(conn.execute("SELECT reviewer, COUNT(*) FROM box_values WHERE status = 'reviewed' "
                               "AND reviewer IN ('Anna', 'Bram') GROUP BY reviewer").fetchall())
    finally:
        conn.close()
    assert set(by) == {"Anna", "Bram"} and sum(by.values()) == total
    assert len([r for r in audit_rows(batch) if r["action"] == "review_box"]) == total


def test_claims_run_out(batch: ReviewBatch) -> None:
    conn = connect(batch.db, create=False)
    try:
        assert claims.claim(conn, "box:x", "Anna", "s1", now=1000.0) is None
        held = claims.claim(conn, "box:x", "Bram", "s2", now=1000.0 + claims.CLAIM_SECONDS / 2)
        assert held is not None and held.reviewer == "Anna"
        assert claims.claim(conn, "box:x", "Bram", "s2", now=1000.0 + claims.CLAIM_SECONDS + 1) is None
        assert set(claims.claimed_by_others(conn, "s1", now=1000.0 + claims.CLAIM_SECONDS + 2)) == {"box:x"}
        claims.release(conn, "box:x", "s2")
        assert claims.claimed_by_others(conn, "s1", now=1000.0) == {}
    finally:
        conn.close()
    assert claims.forward(["a", "b", "c"], 0, {"a"}) == "b"
    assert claims.forward(["a", "b"], 0, {"a", "b"}) == "a"
    assert claims.forward(["a"], 1, set()) is None
    assert claims.pick(["a", "b", "c"], 2, {"c"}) == "a"
    assert CASE  # the batch's case
