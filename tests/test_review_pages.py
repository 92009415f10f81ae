"""Page assignment that cannot mix cases: own QR first, printed structure checked, undoable, audited."""

from __future__ import annotations

import json

from flask.testing import FlaskClient

from tests.review_fixtures import CASE, PAGE_SESSION, PAGE_UNKNOWN, ReviewBatch
from tests.test_review_http import app, audit_rows, batch, client, db, post, queue_keys, template

__all__ = ["app", "batch", "client", "template"]  # fixtures used by name

#: A QR payload of a case that is not in the database (the issue's 2025-099).
FOREIGN_QR = "SOFTA2|2025-099|C|C1|1|1/2"


def page_qr(batch: ReviewBatch, index: int) -> str:
    return batch.layout.pages[index].qr


def set_page_qr(batch: ReviewBatch, qr: str, reason: str) -> None:
    with db(batch) as conn:
        conn.execute("UPDATE scanned_pages SET qr = ?, reason = ? WHERE id = ?", (qr, reason, batch.unknown_page_id))


def page_state(batch: ReviewBatch) -> tuple[str, str | None, int | None, int]:
    with db(batch) as conn:
        row = conn.execute("SELECT status, case_id, page_index FROM scanned_pages WHERE id = ?",
                           (batch.unknown_page_id,)).fetchone()
        read = conn.execute("SELECT COUNT(*) FROM box_values WHERE page_id = ?", (batch.unknown_page_id,)).fetchone()[0]
    return row["status"], row["case_id"], row["page_index"], read


def assign(client: FlaskClient, batch: ReviewBatch, index: int) -> object:
    return post(client, "/beslis/pagina", {"page_id": batch.unknown_page_id, "version": 1, "action": "assign",
                                           "target": f"{CASE}|{index}"})


def test_page_of_an_unregistered_case_is_offered_nothing_and_cannot_be_assigned(batch: ReviewBatch,
                                                                                client: FlaskClient) -> None:
    set_page_qr(batch, FOREIGN_QR, "unknown_case")
    page = client.get("/item", query_string={"key": f"page:{batch.unknown_page_id}"}).text
    assert "2025-099" in page and "Registreer" in page
    assert 'name="target"' not in page and 'value="assign"' not in page
    before = queue_keys(batch)
    for index in (PAGE_UNKNOWN, 0, 4):
        response = assign(client, batch, index)
        assert response.status_code == 409 and "2025-099" in response.text  # type: ignore[attr-defined]
    assert page_state(batch) == ("unidentified", None, None, 0)
    assert audit_rows(batch) == [] and queue_keys(batch) == before


def test_page_with_a_readable_qr_is_offered_only_its_own_page(batch: ReviewBatch, client: FlaskClient) -> None:
    set_page_qr(batch, page_qr(batch, PAGE_UNKNOWN), "registration")
    page = client.get("/item", query_string={"key": f"page:{batch.unknown_page_id}"}).text
    choices = page.split('id="target"', 1)[1].split("</select>", 1)[0]
    assert choices.count("<option ") == 1 and f'value="{CASE}|{PAGE_UNKNOWN}" selected' in choices
    wrong = assign(client, batch, PAGE_UNKNOWN - 1)
    assert wrong.status_code == 409 and page_state(batch)[0] == "unidentified"  # type: ignore[attr-defined]
    assert assign(client, batch, PAGE_UNKNOWN).status_code == 302  # type: ignore[attr-defined]
    assert page_state(batch)[:3] == ("assigned", CASE, PAGE_UNKNOWN)


def test_target_whose_printed_boxes_are_not_on_the_page_is_refused(batch: ReviewBatch, client: FlaskClient) -> None:
    # The page is a participant's tick form; the session form prints its boxes elsewhere.
    response = assign(client, batch, PAGE_SESSION)
    assert response.status_code == 409 and "past niet" in response.text  # type: ignore[attr-defined]
    assert page_state(batch) == ("unidentified", None, None, 0)
    assert audit_rows(batch) == []


def test_assignment_is_audited_with_both_identities_and_can_be_undone(batch: ReviewBatch,
                                                                      client: FlaskClient) -> None:
    with db(batch) as conn:
        values_before = conn.execute("SELECT box_id, checked, status, page_id FROM box_values WHERE case_id = ? "
                                     "ORDER BY box_id", (CASE,)).fetchall()
    assert assign(client, batch, PAGE_UNKNOWN).status_code == 302  # type: ignore[attr-defined]
    assert page_state(batch)[3] == len(batch.layout.pages[PAGE_UNKNOWN].boxes)
    entry = audit_rows(batch)[-1]
    old, new = json.loads(entry["old_value"]), json.loads(entry["new_value"])
    assert old["page_identity"].startswith("onbekend") and old["page_qr"] is None
    assert new["qr"] == page_qr(batch, PAGE_UNKNOWN) and new["page_index"] == PAGE_UNKNOWN
    assert CASE in new["target"] and new["structure_found"] >= 0.6
    undo = post(client, "/ongedaan", {})
    assert undo.status_code == 302
    assert page_state(batch) == ("unidentified", None, None, 0)
    with db(batch) as conn:
        values_after = conn.execute("SELECT box_id, checked, status, page_id FROM box_values WHERE case_id = ? "
                                    "ORDER BY box_id", (CASE,)).fetchall()
        reads = conn.execute("SELECT COUNT(*) FROM box_reads WHERE page_id = ?", (batch.unknown_page_id,)).fetchone()
    assert [tuple(r) for r in values_after] == [tuple(r) for r in values_before] and reads[0] == 0
    assert audit_rows(batch)[-1]["action"] == "undo"
    assert f"page:{batch.unknown_page_id}" in queue_keys(batch)
    # Assigned again after the undo: it reads the same way.
    assert post(client, "/beslis/pagina", {"page_id": batch.unknown_page_id, "version": 3, "action": "assign",
                                           "target": f"{CASE}|{PAGE_UNKNOWN}"}).status_code in (302, 409)


def test_undo_of_an_assignment_is_refused_once_a_value_was_decided_since(batch: ReviewBatch,
                                                                         client: FlaskClient) -> None:
    assert assign(client, batch, PAGE_UNKNOWN).status_code == 302  # type: ignore[attr-defined]
    with db(batch) as conn:
        conn.execute("UPDATE box_values SET status = 'reviewed', reviewer = 'Anne', version = version + 1 "
                     "WHERE page_id = ? AND box_id = (SELECT MIN(box_id) FROM box_values WHERE page_id = ?)",
                     (batch.unknown_page_id, batch.unknown_page_id))
    undo = post(client, "/ongedaan", {})
    assert undo.status_code == 409 and "gewijzigd" in undo.text
    assert page_state(batch)[0] == "assigned"
