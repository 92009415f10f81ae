"""Incremental validation, what the screen says: local time, Dutch values, source folders, duplicate reads."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from review import decisions
from review.display import local_time, source_label, value_text
from review.incremental import IncrementalSource
from review.queue import build_queue
from softa.db import connect
from tests.review_fixtures import CASE, ReviewBatch
from tests.test_review_http import app, batch, client, db, post, template
from validate.engine import validate_case

__all__ = ["app", "batch", "client", "template"]  # fixtures used by name


def test_incremental_findings_equal_full_validation_and_reread_only_changed_boxes(batch: ReviewBatch) -> None:
    conn = connect(batch.db, create=False)
    try:
        source = IncrementalSource()
        assert source(conn, CASE) == list(validate_case(conn, CASE).findings)
        box = batch.flagged_ticks[0]
        version = conn.execute("SELECT version FROM box_values WHERE box_id = ?", (box,)).fetchone()[0]
        decisions.decide_box(conn, CASE, box, True, version, "Anna")
        rows = decisions.rating_rows(conn, CASE, batch.rating_none)
        decisions.decide_rating(conn, CASE, batch.rating_none, None, decisions.rating_token(rows), "Anna")
        found = source(conn, CASE)
        assert source.last_changed == 1 + len(rows)
        assert found == list(validate_case(conn, CASE).findings)
        assert any(f.rule == "rating.none" for f in found)
        rows = decisions.rating_rows(conn, CASE, batch.rating_none)
        decisions.decide_rating(conn, CASE, batch.rating_none, 2, decisions.rating_token(rows), "Anna")
        assert source(conn, CASE) == list(validate_case(conn, CASE).findings)
    finally:
        conn.close()


def test_local_time_is_amsterdam_winter_and_summer() -> None:
    assert local_time("2026-12-02T16:03:00+00:00") == "2 december 2026, 17:03"
    assert local_time("2026-07-01T12:00:00Z") == "1 juli 2026, 14:00"
    assert local_time(None) == ""


def test_values_are_written_as_on_the_form() -> None:
    assert (value_text(0), value_text(2), value_text(-1), value_text(None)) == ("0", "+2", "-1", "geen waarde")
    assert value_text(7, "spreektijd_balans") == "7"


def test_rating_zero_is_confirmed_without_a_sign(batch: ReviewBatch, client: FlaskClient) -> None:
    with db(batch) as conn:
        rows = decisions.rating_rows(conn, CASE, batch.rating_multiple)
    response = post(client, "/beslis/rij", {"case_id": CASE, "group": batch.rating_multiple, "value": "0",
                                            "token": decisions.rating_token(rows), "pos": 0})
    page = client.get(response.location).text
    assert "waarde 0." in page and "+0" not in page


def test_same_named_source_files_are_told_apart(batch: ReviewBatch, client: FlaskClient) -> None:
    assert source_label("/home/lotte/scans/stapel_2/scan_001.pdf") == "stapel_2/scan_001.pdf"
    assert source_label("C:\\scans\\maandag\\scan_001.pdf") == "maandag/scan_001.pdf"
    with db(batch) as conn:
        conn.execute("UPDATE source_files SET path = 'scans/maandag/scan_001.pdf'")
    page = client.get("/item", query_string={"key": f"page:{batch.unknown_page_id}"}).text
    assert "maandag/scan_001.pdf, pagina 5" in page


def test_duplicate_says_whether_the_scans_read_differently(batch: ReviewBatch, client: FlaskClient) -> None:
    key = f"duplicate:{batch.duplicate_id}"
    page = client.get("/item", query_string={"key": key}).text
    assert "1 vakje verschillend" in page and re.search(r"ingelezen \d+ \w+ 20\d\d, \d\d:\d\d", page)
    with db(batch) as conn:
        conn.execute("UPDATE box_reads SET decision = (SELECT k.decision FROM box_reads k WHERE k.page_id = ? "
                     "AND k.box_id = box_reads.box_id) WHERE page_id = ?", (batch.kept_page_id, batch.other_page_id))
    same = client.get("/item", query_string={"key": key}).text
    assert "lezen alle vakjes hetzelfde" in same and "verschillen." not in same


def test_box_shows_one_reading_consistently(batch: ReviewBatch, client: FlaskClient) -> None:
    box = batch.flagged_ticks[1]
    with db(batch) as conn:
        read = conn.execute("SELECT decision, confidence, dark_ratio FROM box_reads WHERE box_id = ? AND page_id = "
                            "(SELECT page_id FROM box_values WHERE box_id = ?)", (box, box)).fetchone()
    page = client.get("/item", query_string={"key": f"box:{CASE}:{box}"}).text
    assert f"zekerheid {round(read['confidence'] * 100)} %" in page
    assert f"{round(read['dark_ratio'] * 100)} % van het vakje donker" in page


def test_no_page_shows_backticks_or_english(batch: ReviewBatch, client: FlaskClient) -> None:
    conn = connect(batch.db, create=False)
    try:
        from review.queue import FindingCache
        from tests.test_review_http import finding_source

        keys = [i.key for i in build_queue(conn, FindingCache(finding_source(batch))).items]
    finally:
        conn.close()
    for url in ["/", "/klaar", *(f"/item?key={k}" for k in keys)]:
        text = client.get(url).text
        visible = re.sub(r"<[^>]+>", " ", text)
        assert "`" not in visible, url
        assert "Internal Server Error" not in text, url
