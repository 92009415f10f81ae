"""In-process HTTP tests of the review app: every route, the decisions and the security rules."""

from __future__ import annotations

import dataclasses
import html
import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from formgen import build_layout
from review import access
from review.app import create_app
from review.queue import FindingCache, build_queue
from softa.cli import main as softa
from softa.db import connect, data_dir, register_case, transaction
from softa.manifest import load_manifest, parse_manifest
from tests.review_fixtures import CASE, MANIFEST, ReviewBatch, build_batch, copy_batch
from validate.model import Finding

ORIGIN = {"Origin": "http://localhost"}
TOKEN = "test-csrf-token"
XSS = '<script>alert("x")</script>'


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> ReviewBatch:
    return build_batch(tmp_path_factory.mktemp("review-template"))


@pytest.fixture
def batch(template: ReviewBatch, tmp_path: Path) -> ReviewBatch:
    return copy_batch(template, tmp_path / "batch")


def finding_source(batch: ReviewBatch) -> Callable[[sqlite3.Connection, str], list[Finding]]:
    """Validation stand-in: the batch's one warning, accepted once a reviewer accepted it."""

    def findings(conn: sqlite3.Connection, case_id: str) -> list[Finding]:
        if case_id != CASE:
            return []
        finding = batch.finding()
        row = conn.execute("SELECT note FROM finding_acceptances WHERE case_id = ? AND finding_key = ?",
                           (case_id, finding.key)).fetchone()
        return [dataclasses.replace(finding, accepted=row is not None, accepted_note=row[0] if row else None)]

    return findings


@pytest.fixture
def app(batch: ReviewBatch) -> Flask:
    # The real scanner reads assigned pages and applies a duplicate's reads; validation is a stand-in.
    return create_app(batch.db, secret="test-secret", finding_source=finding_source(batch))


def grant(client: FlaskClient) -> None:
    """Give the client's session the access token, as opening the printed address does."""
    with client.session_transaction() as session:
        session[access.SESSION_KEY] = access.token_digest(client.application.config["SOFTA_ACCESS_TOKEN"])


def login(client: FlaskClient, name: str = "Tester") -> None:
    grant(client)
    with client.session_transaction() as session:
        session["csrf"] = TOKEN
        session["reviewer"] = name


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    client = app.test_client()
    login(client)
    return client


def post(client: FlaskClient, url: str, data: dict[str, Any], *, token: str | None = TOKEN,
         headers: dict[str, str] | None = None) -> Any:
    form = dict(data)
    if token is not None:
        form["csrf_token"] = token
    return client.post(url, data=form, headers=ORIGIN if headers is None else headers)


def db(batch: ReviewBatch) -> sqlite3.Connection:
    return connect(batch.db, create=False)


def box_row(batch: ReviewBatch, box_id: str) -> sqlite3.Row:
    with db(batch) as conn:
        return conn.execute("SELECT * FROM box_values WHERE case_id = ? AND box_id = ?", (CASE, box_id)).fetchone()


def box_form(batch: ReviewBatch, box_id: str, checked: str) -> dict[str, Any]:
    return {"case_id": CASE, "box": box_id, "checked": checked, "version": box_row(batch, box_id)["version"], "pos": 0}


def audit_rows(batch: ReviewBatch) -> list[sqlite3.Row]:
    with db(batch) as conn:
        return conn.execute("SELECT * FROM audit_log ORDER BY id").fetchall()


def queue_keys(batch: ReviewBatch, case: str | None = None) -> list[str]:
    conn = db(batch)
    try:
        return [i.key for i in build_queue(conn, FindingCache(finding_source(batch)), case).items]
    finally:
        conn.close()


# ---------------------------------------------------------------- the queue


def settle_flags(batch: ReviewBatch) -> None:
    """Mark every flagged box reviewed, as if a person had gone through them."""
    with db(batch) as conn:
        conn.execute("UPDATE box_values SET status = 'reviewed', reviewer = 'x', version = version + 1 "
                     "WHERE status = 'flagged'")


def test_queue_is_worst_first_and_complete(batch: ReviewBatch) -> None:
    keys = queue_keys(batch)
    kinds = [k.split(":")[0] for k in keys]
    assert kinds == ["page", "duplicate", "rating", "rating", "box", "box", "box", "text"]
    boxes = [k.split(":", 2)[2] for k in keys if k.startswith("box:")]
    # Lowest confidence first: the faint tick (0.21), the stray mark (0.44), the speaking-time bin (0.55).
    assert boxes == [*batch.flagged_ticks, batch.flagged_timeline]
    assert f"rating:{CASE}:{batch.rating_multiple}" in keys
    assert f"rating:{CASE}:{batch.rating_none}" in keys
    # Validation warnings wait until the case's flags are settled, then come before the texts.
    settle_flags(batch)
    assert [k.split(":")[0] for k in queue_keys(batch)] == ["page", "duplicate", "finding", "text"]


def test_overview_counts_and_case_filter(batch: ReviewBatch, client: FlaskClient) -> None:
    manifest = load_manifest(MANIFEST)
    other = parse_manifest({**manifest.to_dict(), "case": "2024-018"})
    conn = db(batch)
    register_case(conn, other, build_layout(other))
    region = build_layout(other).regions()[0].id
    with transaction(conn):
        conn.execute("INSERT INTO region_values(case_id, region_id, status) VALUES ('2024-018', ?, 'pending')",
                     (region,))
    conn.close()
    page = client.get("/")
    assert page.status_code == 200
    assert "Nog <strong>9</strong> te doen" in page.text
    filtered = client.get("/", query_string={"case": "2024-018"})
    assert "Nog <strong>1</strong> te doen" in filtered.text
    assert queue_keys(batch, "2024-018") == [f"text:2024-018:{region}"]
    assert len(queue_keys(batch, CASE)) == 7  # the unidentified page belongs to no case yet


def test_every_item_and_its_images_render(batch: ReviewBatch, client: FlaskClient) -> None:
    keys = queue_keys(batch)
    for key in [*keys, f"finding:{CASE}:{batch.finding().key}"]:
        page = client.get("/item", query_string={"key": key})
        assert page.status_code == 200, key
        sources = re.findall(r'<img src="([^"]+)"', page.text)
        assert sources, key
        for src in sources:
            image = client.get(html.unescape(src))
            assert image.status_code == 200, src
            assert image.mimetype in ("image/png", "image/jpeg")
            assert len(image.data) > 1000
    box_page = client.get("/item", query_string={"key": f"box:{CASE}:{batch.flagged_ticks[0]}"}).text
    assert "C1 · moeder" in box_page and "Betrokkenheid" in box_page and "venster 2" in box_page
    assert "zwakke of lichte markering" in box_page and "niet aangekruist" in box_page
    assert "Cliënt geeft aan het eens te zijn met de doelen" in box_page


def test_unknown_item_is_404(client: FlaskClient) -> None:
    assert client.get("/item", query_string={"key": "box:2024-017:nope"}).status_code == 404
    assert client.get("/item", query_string={"key": "page:abc"}).status_code == 404
    assert client.get("/beeld/pagina/999").status_code == 404


def settle_everything(batch: ReviewBatch) -> None:
    """Close every kind of queue item directly in the database."""
    settle_flags(batch)
    with db(batch) as conn:
        conn.execute("UPDATE scanned_pages SET status = 'set_aside', version = version + 1 "
                     "WHERE status = 'unidentified'")
        conn.execute("UPDATE duplicates SET status = 'resolved', version = version + 1 WHERE status = 'open'")
        conn.execute("UPDATE region_values SET status = 'transcribed', transcription = '', version = version + 1 "
                     "WHERE status = 'pending'")
        conn.execute("INSERT INTO finding_acceptances VALUES (?, ?, ?, 'ok', 'x', '2026-01-01T00:00:00Z')",
                     (CASE, batch.finding().key, batch.finding().rule))


def test_done_page_and_favicon(batch: ReviewBatch, client: FlaskClient) -> None:
    # `j` on the last item leads here while earlier items may still be open: the page says so.
    still_open = client.get("/klaar").text
    assert "Klaar" not in still_open and f"nog {len(queue_keys(batch))} item(s) open" in still_open
    settle_everything(batch)
    assert queue_keys(batch) == []
    assert "Klaar" in client.get("/klaar").text
    assert client.get("/favicon.ico").status_code == 204


# ---------------------------------------------------------------- decisions


def test_box_decision_is_stored_audited_and_moves_on(batch: ReviewBatch, client: FlaskClient) -> None:
    box_id = batch.flagged_ticks[0]
    before = box_row(batch, box_id)
    response = post(client, "/beslis/vakje", box_form(batch, box_id, "1"))
    assert response.status_code == 302
    after = box_row(batch, box_id)
    assert (after["checked"], after["status"], after["reviewer"]) == (1, "reviewed", "Tester")
    assert after["version"] == before["version"] + 1 and after["reviewed_at"]
    entry = audit_rows(batch)[-1]
    assert (entry["actor"], entry["action"], entry["target"]) == ("Tester", "review_box", box_id)
    assert json.loads(entry["old_value"]) == {"checked": False, "status": "flagged"}
    assert json.loads(entry["new_value"]) == {"checked": True, "status": "reviewed"}
    # The redirect lands on the first item still open (position 0).
    assert "key=page" in response.location
    assert f"box:{CASE}:{box_id}" not in queue_keys(batch)


def test_undo_restores_the_old_value_and_is_audited(batch: ReviewBatch, client: FlaskClient) -> None:
    box_id = batch.flagged_ticks[1]
    before = box_row(batch, box_id)
    post(client, "/beslis/vakje", box_form(batch, box_id, "0"))
    assert box_row(batch, box_id)["checked"] == 0
    response = post(client, "/ongedaan", {})
    assert response.status_code == 302 and "box" in response.location
    after = box_row(batch, box_id)
    assert (after["checked"], after["status"], after["reviewer"]) == (before["checked"], "flagged", None)
    assert after["version"] == before["version"] + 2
    assert [r["action"] for r in audit_rows(batch)] == ["review_box", "undo"]
    assert f"box:{CASE}:{box_id}" in queue_keys(batch)
    again = post(client, "/ongedaan", {})
    assert again.status_code == 302 and len(audit_rows(batch)) == 2


def test_stale_version_is_refused_with_409(batch: ReviewBatch, client: FlaskClient) -> None:
    box_id = batch.flagged_ticks[0]
    form = box_form(batch, box_id, "1")
    with db(batch) as conn:
        conn.execute("UPDATE box_values SET version = version + 1 WHERE case_id = ? AND box_id = ?", (CASE, box_id))
    response = post(client, "/beslis/vakje", form)
    assert response.status_code == 409
    assert "intussen gewijzigd" in response.text
    assert f'name="version" value="{form["version"] + 1}"' in response.text  # the new state is shown
    assert box_row(batch, box_id)["status"] == "flagged"
    assert audit_rows(batch) == []


def test_two_reviewers_do_not_overwrite_each_other(batch: ReviewBatch, app: Flask) -> None:
    first, second = app.test_client(), app.test_client()
    login(first, "Anna")
    login(second, "Bram")
    box_id = batch.flagged_ticks[0]
    form = box_form(batch, box_id, "1")  # both saw this version
    assert post(first, "/beslis/vakje", form).status_code == 302
    assert post(second, "/beslis/vakje", {**form, "checked": "0"}).status_code == 409
    row = box_row(batch, box_id)
    assert (row["checked"], row["reviewer"]) == (1, "Anna")


def test_two_review_servers_on_one_database(batch: ReviewBatch, app: Flask) -> None:
    """Two `softa review` processes (separate apps, connections, secrets) do not lose each other's work."""
    other = create_app(batch.db, finding_source=finding_source(batch)).test_client()
    mine = app.test_client()
    login(mine, "Anna")
    login(other, "Bram")
    box_id = batch.flagged_ticks[1]
    form = box_form(batch, box_id, "0")
    assert post(other, "/beslis/vakje", form).status_code == 302
    refused = post(mine, "/beslis/vakje", {**form, "checked": "1"})
    assert refused.status_code == 409 and "Bram heeft hier intussen over beslist" in refused.text
    assert (box_row(batch, box_id)["checked"], box_row(batch, box_id)["reviewer"]) == (0, "Bram")


def test_rating_decision_sets_exactly_one_value(batch: ReviewBatch, client: FlaskClient) -> None:
    group = batch.rating_multiple
    page = client.get("/item", query_string={"key": f"rating:{CASE}:{group}"}).text
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    stale = post(client, "/beslis/rij", {"case_id": CASE, "group": group, "value": "2", "token": token + "9"})
    assert stale.status_code == 409
    assert post(client, "/beslis/rij", {"case_id": CASE, "group": group, "value": "7",
                                        "token": token}).status_code == 409
    assert post(client, "/beslis/rij", {"case_id": CASE, "group": group, "value": "-2",
                                        "token": token}).status_code == 302
    with db(batch) as conn:
        rows = conn.execute("SELECT lb.value, bv.checked, bv.status FROM layout_boxes lb JOIN box_values bv "
                            "USING (case_id, box_id) WHERE lb.case_id = ? AND lb.grp = ?", (CASE, group)).fetchall()
    assert {r["value"] for r in rows if r["checked"]} == {-2}
    assert {r["status"] for r in rows} == {"reviewed"}
    entry = audit_rows(batch)[-1]
    assert entry["action"] == "review_rating" and json.loads(entry["new_value"])["value"] == -2
    assert len(json.loads(entry["old_value"])["values"]) == 2
    post(client, "/ongedaan", {})
    with db(batch) as conn:
        statuses = {r[0] for r in conn.execute(
            "SELECT bv.status FROM layout_boxes lb JOIN box_values bv USING (case_id, box_id) "
            "WHERE lb.case_id = ? AND lb.grp = ?", (CASE, group))}
    assert statuses == {"flagged"}


def test_rating_none_can_be_recorded(batch: ReviewBatch, client: FlaskClient) -> None:
    group = batch.rating_none
    page = client.get("/item", query_string={"key": f"rating:{CASE}:{group}"}).text
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert post(client, "/beslis/rij", {"case_id": CASE, "group": group, "value": "geen",
                                        "token": token}).status_code == 302
    assert f"rating:{CASE}:{group}" not in queue_keys(batch)


def test_transcription_is_stored_and_rendered_escaped(batch: ReviewBatch, client: FlaskClient) -> None:
    key = f"text:{CASE}:{batch.region}"
    response = post(client, "/beslis/tekst", {"case_id": CASE, "region": batch.region, "version": 1,
                                              "text": f"Minuut 12 {XSS}"})
    assert response.status_code == 302
    with db(batch) as conn:
        row = conn.execute("SELECT * FROM region_values WHERE region_id = ?", (batch.region,)).fetchone()
    assert (row["status"], row["reviewer"], row["transcription"]) == ("transcribed", "Tester", f"Minuut 12 {XSS}")
    page = client.get("/item", query_string={"key": key}).text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert key not in queue_keys(batch)


def test_participant_role_is_rendered_escaped(batch: ReviewBatch, client: FlaskClient) -> None:
    with db(batch) as conn:
        data = json.loads(conn.execute("SELECT manifest_json FROM cases").fetchone()[0])
        data["participants"][1]["role"] = XSS
        conn.execute("UPDATE cases SET manifest_json = ?", (json.dumps(data),))
    page = client.get("/item", query_string={"key": f"box:{CASE}:{batch.flagged_ticks[0]}"}).text
    assert "<script>alert" not in page
    assert "C1 · &lt;script&gt;" in page


def test_unidentified_page_assigned(batch: ReviewBatch, client: FlaskClient) -> None:
    page_id = batch.unknown_page_id
    page = client.get("/item", query_string={"key": f"page:{page_id}"}).text
    assert "geen QR-code gevonden" in page and "stapel_1.pdf, pagina 5" in page
    assert 'value="2024-017|6" selected' not in page  # suggestion is the first page without a scan
    response = post(client, "/beslis/pagina", {"page_id": page_id, "version": 1, "action": "assign",
                                               "target": f"{CASE}|6"})
    assert response.status_code == 302
    with db(batch) as conn:
        row = conn.execute("SELECT * FROM scanned_pages WHERE id = ?", (page_id,)).fetchone()
        read = conn.execute("SELECT COUNT(*) FROM box_values WHERE page_id = ?", (page_id,)).fetchone()[0]
    assert (row["status"], row["case_id"], row["page_index"]) == ("assigned", CASE, 6)
    assert read == len(batch.layout.pages[6].boxes)
    entry = audit_rows(batch)[-1]
    assert entry["action"] == "assign_page" and json.loads(entry["new_value"])["page_index"] == 6
    again = post(client, "/beslis/pagina", {"page_id": page_id, "version": 1, "action": "assign",
                                            "target": f"{CASE}|6"})
    assert again.status_code == 409


def test_assignment_to_a_page_that_does_not_exist_is_refused(batch: ReviewBatch, client: FlaskClient) -> None:
    response = post(client, "/beslis/pagina", {"page_id": batch.unknown_page_id, "version": 1, "action": "assign",
                                               "target": f"{CASE}|999"})
    assert response.status_code == 409
    with db(batch) as conn:
        assert conn.execute("SELECT status FROM scanned_pages WHERE id = ?",
                            (batch.unknown_page_id,)).fetchone()[0] == "unidentified"


def test_assignment_that_cannot_be_read_keeps_the_page(batch: ReviewBatch, client: FlaskClient) -> None:
    with db(batch) as conn:
        rel = conn.execute("SELECT image_path FROM scanned_pages WHERE id = ?", (batch.unknown_page_id,)).fetchone()[0]
    path = data_dir(batch.db) / rel
    cv2.imwrite(str(path), np.full((1754, 1240), 255, np.uint8))  # a white sheet: no marks to register on
    response = post(client, "/beslis/pagina", {"page_id": batch.unknown_page_id, "version": 1, "action": "assign",
                                               "target": f"{CASE}|6"})
    assert response.status_code == 422 and "Toewijzen lukte niet" in response.text
    with db(batch) as conn:
        assert conn.execute("SELECT status FROM scanned_pages WHERE id = ?",
                            (batch.unknown_page_id,)).fetchone()[0] == "unidentified"
    assert audit_rows(batch) == []


def test_unidentified_page_set_aside_and_undone(batch: ReviewBatch, client: FlaskClient) -> None:
    page_id = batch.unknown_page_id
    post(client, "/beslis/pagina", {"page_id": page_id, "version": 1, "action": "set_aside",
                                    "note": "lege achterkant"})
    with db(batch) as conn:
        row = conn.execute("SELECT status, note FROM scanned_pages WHERE id = ?", (page_id,)).fetchone()
    assert tuple(row) == ("set_aside", "lege achterkant")
    assert audit_rows(batch)[-1]["note"] == "lege achterkant"
    post(client, "/ongedaan", {})
    assert f"page:{page_id}" in queue_keys(batch)


@pytest.mark.parametrize("choose_other", [False, True])
def test_duplicate_resolved(batch: ReviewBatch, client: FlaskClient, choose_other: bool) -> None:
    chosen = batch.other_page_id if choose_other else batch.kept_page_id
    response = post(client, "/beslis/dubbel", {"duplicate_id": batch.duplicate_id, "version": 1, "chosen": chosen})
    assert response.status_code == 302
    with db(batch) as conn:
        dup = conn.execute("SELECT * FROM duplicates WHERE id = ?", (batch.duplicate_id,)).fetchone()
        statuses = dict(conn.execute("SELECT id, status FROM scanned_pages WHERE id IN (?, ?)",
                                     (batch.kept_page_id, batch.other_page_id)).fetchall())
        from_other = conn.execute("SELECT COUNT(*) FROM box_values WHERE page_id = ?",
                                  (batch.other_page_id,)).fetchone()[0]
    assert (dup["status"], dup["chosen_page_id"], dup["reviewer"]) == ("resolved", chosen, "Tester")
    if choose_other:
        assert statuses == {batch.kept_page_id: "duplicate", batch.other_page_id: "identified"}
        assert from_other == len(batch.layout.pages[0].boxes)
    else:
        assert statuses == {batch.kept_page_id: "identified", batch.other_page_id: "duplicate"}
        assert from_other == 0
    assert audit_rows(batch)[-1]["action"] == "resolve_duplicate"
    # The choice can be undone: the duplicate is open again, the pages and values as they were.
    undo = post(client, "/ongedaan", {})
    assert undo.status_code == 302 and [r["action"] for r in audit_rows(batch)] == ["resolve_duplicate", "undo"]
    with db(batch) as conn:
        dup = conn.execute("SELECT * FROM duplicates WHERE id = ?", (batch.duplicate_id,)).fetchone()
        statuses = dict(conn.execute("SELECT id, status FROM scanned_pages WHERE id IN (?, ?)",
                                     (batch.kept_page_id, batch.other_page_id)).fetchall())
        assert conn.execute("SELECT COUNT(*) FROM box_values WHERE page_id = ?",
                            (batch.other_page_id,)).fetchone()[0] == 0
    assert dup["status"] == "open" and dup["chosen_page_id"] is None
    assert statuses == {batch.kept_page_id: "identified", batch.other_page_id: "duplicate"}
    assert f"duplicate:{batch.duplicate_id}" in queue_keys(batch)


def test_finding_accepted_with_a_note(batch: ReviewBatch, client: FlaskClient) -> None:
    settle_flags(batch)
    finding = batch.finding()
    key = f"finding:{CASE}:{finding.key}"
    page = client.get("/item", query_string={"key": key}).text
    assert "variatie in soorten positief gedrag" in page and "De kruisjes erachter" in page
    assert post(client, "/beslis/waarschuwing", {"case_id": CASE, "finding": finding.key, "note": ""}).status_code \
        == 302
    assert key in queue_keys(batch)
    post(client, "/beslis/waarschuwing", {"case_id": CASE, "finding": finding.key, "note": "non-verbaal telt mee"})
    with db(batch) as conn:
        row = conn.execute("SELECT * FROM finding_acceptances").fetchone()
    assert (row["finding_key"], row["note"], row["reviewer"]) == (finding.key, "non-verbaal telt mee", "Tester")
    assert key not in queue_keys(batch)
    assert audit_rows(batch)[-1]["action"] == "accept_finding"
    undone = post(client, "/ongedaan", {})
    assert undone.status_code == 302, undone.text
    assert key in queue_keys(batch)


def form_with(page: str, marker: str) -> str:
    """The HTML of the one <form> on ``page`` that contains ``marker``."""
    forms = [f for f in re.findall(r"<form\b.*?</form>", page, flags=re.S) if marker in f]
    assert len(forms) == 1, marker
    return forms[0]


def test_setting_a_page_aside_needs_no_choice_of_form_page(batch: ReviewBatch, client: FlaskClient) -> None:
    key = f"page:{batch.unknown_page_id}"
    page = client.get("/item", query_string={"key": key}).text
    # A browser does not submit a form whose required list has no choice: setting aside has a form of its own.
    aside = form_with(page, 'value="set_aside"')
    assert "required" not in aside and "<select" not in aside and 'data-keys="s"' in aside
    assert "required" in form_with(page, 'value="assign"')
    assert 'value="assign" class="primary"' in page  # pages without a scan are left: assigning is likelier
    with db(batch) as conn:
        conn.execute("UPDATE scanned_pages SET reason = 'blank' WHERE id = ?", (batch.unknown_page_id,))
    blank = client.get("/item", query_string={"key": key}).text
    aside = form_with(blank, 'value="set_aside"')
    assert 'value="set_aside" data-keys="s" class="primary"' in aside and ">lege pagina</textarea>" in aside
    response = post(client, "/beslis/pagina", {"page_id": batch.unknown_page_id, "version": 1,
                                               "action": "set_aside", "note": "lege pagina"})
    assert response.status_code == 302
    with db(batch) as conn:
        assert conn.execute("SELECT status FROM scanned_pages WHERE id = ?",
                            (batch.unknown_page_id,)).fetchone()[0] == "set_aside"
    decided = client.get("/item", query_string={"key": key}).text
    assert "apart gelegd · lege pagina" in decided and "set_aside ·" not in decided


def test_finding_with_several_rating_rows_names_each_and_leaves_digits_off(batch: ReviewBatch) -> None:
    rows = tuple(b.id for p in batch.layout.pages for b in p.boxes
                 if b.kind == "rating" and b.participant == "C1" and b.dimension == "betrokkenheid")
    slots = {b.slot for p in batch.layout.pages for b in p.boxes if b.id in rows}
    assert slots == {"1", "2", "consensus"}
    finding = Finding(case=CASE, participant="C1", slot="consensus", dimension="betrokkenheid",
                      rule="consensus.between_observers", severity="warning",
                      message="consensusscore ligt niet tussen de scores van de observatoren in", box_ids=rows)
    app = create_app(batch.db, secret="test-secret", finding_source=lambda conn, case: [finding] if case == CASE
                     else [])
    client = app.test_client()
    login(client)
    settle_flags(batch)
    page = client.get("/item", query_string={"key": f"finding:{CASE}:{finding.key}"}).text
    assert page.count('action="/beslis/rij"') == 3
    assert all(f"<h3>{label}: nu" in page for label in ("Observator 1", "Observator 2", "Consensus"))
    # A digit or `n` would silently set one of three rows: with several, the reviewer clicks.
    assert "data-value=" not in page and 'data-keys="n"' not in page
    single = create_app(batch.db, secret="test-secret", finding_source=finding_source(batch)).test_client()
    login(single)
    one = single.get("/item", query_string={"key": f"finding:{CASE}:{batch.finding().key}"}).text
    assert one.count('action="/beslis/rij"') == 1 and "data-value=" in one and 'data-keys="n"' in one


def test_http_errors_are_explained_in_dutch(client: FlaskClient) -> None:
    not_allowed = client.get("/beslis/vakje")
    assert not_allowed.status_code == 405 and "alleen via de knoppen" in not_allowed.text
    incomplete = post(client, "/beslis/vakje", {"checked": "1"})
    assert incomplete.status_code == 400 and "niet compleet" in incomplete.text
    assert "bestaat niet" in client.get("/beeld/pagina/999").text


# ---------------------------------------------------------------- security


def test_get_pages_need_a_name_and_name_is_asked_once(app: Flask) -> None:
    client = app.test_client()
    grant(client)
    response = client.get("/")
    assert response.status_code == 302 and "/naam" in response.location
    form = client.get("/naam").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    assert client.post("/naam", data={"name": "  ", "csrf_token": token}, headers=ORIGIN).status_code == 400
    response = client.post("/naam", data={"name": "Lotte", "csrf_token": token, "next": "//evil.example/"},
                           headers=ORIGIN)
    assert response.status_code == 302 and response.location == "/"
    assert "Lotte" in client.get("/").text


def test_decision_without_a_name_is_refused(batch: ReviewBatch, app: Flask) -> None:
    client = app.test_client()
    grant(client)
    with client.session_transaction() as session:
        session["csrf"] = TOKEN
    response = post(client, "/beslis/vakje", box_form(batch, batch.flagged_ticks[0], "1"))
    assert response.status_code == 403 and "naam" in response.text
    assert box_row(batch, batch.flagged_ticks[0])["status"] == "flagged"


@pytest.mark.parametrize(("token", "status"), [(None, 400), ("wrong", 403)])
def test_csrf_token_required(batch: ReviewBatch, client: FlaskClient, token: str | None, status: int) -> None:
    response = post(client, "/beslis/vakje", box_form(batch, batch.flagged_ticks[0], "1"), token=token)
    assert response.status_code == status
    assert box_row(batch, batch.flagged_ticks[0])["status"] == "flagged"
    assert post(client, "/ongedaan", {}, token=token).status_code == status


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"},
    {"Origin": "null"},
    {"Referer": "http://evil.example/page"},
    {},
])
def test_foreign_or_missing_origin_refused(batch: ReviewBatch, client: FlaskClient, headers: dict[str, str]) -> None:
    response = post(client, "/beslis/vakje", box_form(batch, batch.flagged_ticks[0], "1"), headers=headers)
    assert response.status_code == 403
    assert box_row(batch, batch.flagged_ticks[0])["status"] == "flagged"


def test_same_host_referer_is_accepted(batch: ReviewBatch, client: FlaskClient) -> None:
    response = post(client, "/beslis/vakje", box_form(batch, batch.flagged_ticks[0], "1"),
                    headers={"Referer": "http://localhost/item?key=x"})
    assert response.status_code == 302


def test_get_cannot_change_state(batch: ReviewBatch, client: FlaskClient) -> None:
    form = {**box_form(batch, batch.flagged_ticks[0], "1"), "csrf_token": TOKEN}
    for url in ("/beslis/vakje", "/beslis/rij", "/beslis/tekst", "/beslis/pagina", "/beslis/dubbel",
                "/beslis/waarschuwing", "/ongedaan", "/naam/wissen"):
        assert client.get(url, query_string=form).status_code == 405, url
    assert box_row(batch, batch.flagged_ticks[0])["status"] == "flagged"


def test_foreign_host_header_refused(client: FlaskClient) -> None:
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    # Another local name is served, but the session cookie belongs to "localhost": the token is asked again.
    local = client.get("/", headers={"Host": "127.0.0.1:8765"})
    assert local.status_code == 403 and "Toegangscode nodig" in local.text


@pytest.mark.parametrize("path", ["../../../../../etc/passwd", "/etc/passwd", "../softa.sqlite", "pages"])
def test_images_cannot_leave_the_data_folder(batch: ReviewBatch, client: FlaskClient, path: str) -> None:
    with db(batch) as conn:
        conn.execute("UPDATE scanned_pages SET image_path = ? WHERE id = ?", (path, batch.unknown_page_id))
        conn.execute("UPDATE region_values SET image_path = ? WHERE region_id = ?", (path, batch.region))
    assert client.get(f"/beeld/pagina/{batch.unknown_page_id}").status_code == 404
    assert client.get("/beeld/tekst", query_string={"case_id": CASE, "region": batch.region}).status_code == 404
    assert client.get("/beeld/pagina/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert client.get("/static/..%2F..%2Fsofta%2Fdb.py").status_code == 404


def test_security_headers_and_cookie(client: FlaskClient, app: Flask) -> None:
    response = client.get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Strict" and not app.debug
    assert app.jinja_env.autoescape


def test_secret_key_is_generated_per_run(batch: ReviewBatch) -> None:
    first, second = create_app(batch.db), create_app(batch.db)
    assert first.secret_key != second.secret_key and len(first.secret_key) >= 32  # type: ignore[arg-type]
    assert create_app(batch.db, secret="given").secret_key == "given"


# ---------------------------------------------------------------- command line


def test_cli_refuses_a_database_it_cannot_open(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(softa, ["review", "--db", str(tmp_path / "nope.sqlite")])
    assert missing.exit_code == 4 and "no such database" in missing.output
    text = tmp_path / "notes.sqlite"
    text.write_text("hello")
    result = runner.invoke(softa, ["review", "--db", str(text)])
    assert result.exit_code == 4 and "not an SQLite database" in result.output
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    result = runner.invoke(softa, ["review", "--db", str(other)])
    assert result.exit_code == 4 and "not a softa database" in result.output
    assert not data_dir(other).exists()


def test_cli_binds_locally_and_needs_a_flag_for_remote(batch: ReviewBatch, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[tuple[str, int]] = []
    apps: list[Flask] = []

    class FakeServer:
        server_port = 8765

        def serve_forever(self) -> None:
            raise KeyboardInterrupt

        def server_close(self) -> None:
            pass

    def fake_make_server(host: str, port: int, app: Any, threaded: bool) -> FakeServer:
        started.append((host, port))
        apps.append(app)
        return FakeServer()

    monkeypatch.setattr("werkzeug.serving.make_server", fake_make_server)
    runner = CliRunner()
    result = runner.invoke(softa, ["review", "--db", str(batch.db)])
    assert result.exit_code == 0, result.output
    token = apps[-1].config["SOFTA_ACCESS_TOKEN"]
    assert f"http://127.0.0.1:8765/?token={token}" in result.output and started == [("127.0.0.1", 8765)]
    assert len(token) >= 40 and token != create_app(batch.db).config["SOFTA_ACCESS_TOKEN"]
    refused = runner.invoke(softa, ["review", "--db", str(batch.db), "--host", "0.0.0.0"])
    assert refused.exit_code != 0 and "--allow-remote" in refused.output and len(started) == 1
    unnamed = runner.invoke(softa, ["review", "--db", str(batch.db), "--host", "0.0.0.0", "--allow-remote"])
    assert unnamed.exit_code != 0 and "--allow-host" in unnamed.output and len(started) == 1
    remote = runner.invoke(softa, ["review", "--db", str(batch.db), "--host", "0.0.0.0", "--allow-remote",
                                   "--allow-host", "pc-lotte.local", "--allow-host", "192.168.1.20"])
    assert remote.exit_code == 0 and "WAARSCHUWING" in remote.output and started[-1] == ("0.0.0.0", 8765)
    assert "http://pc-lotte.local:8765/?token=" in remote.output and "192.168.1.20" in remote.output
    # Only the named hosts, on the server's own port, pass; any other name (DNS rebinding) is refused.
    wildcard = apps[-1].test_client()
    token = apps[-1].config["SOFTA_ACCESS_TOKEN"]
    assert wildcard.get(f"/?token={token}", headers={"Host": "192.168.1.20:8765"}).status_code == 302
    assert wildcard.get(f"/?token={token}", headers={"Host": "pc-lotte.local:8765"}).status_code == 302
    assert wildcard.get(f"/?token={token}", headers={"Host": "pc-lotte.local:9999"}).status_code == 400
    assert wildcard.get(f"/?token={token}", headers={"Host": "evil.example:8765"}).status_code == 400
    named = runner.invoke(softa, ["review", "--db", str(batch.db), "--host", "192.168.1.20", "--allow-remote"])
    assert named.exit_code == 0
    token = apps[-1].config["SOFTA_ACCESS_TOKEN"]
    assert apps[-1].test_client().get(f"/?token={token}", headers={"Host": "192.168.1.20:8765"}).status_code == 302
    assert apps[-1].test_client().get(f"/?token={token}", headers={"Host": "evil.example"}).status_code == 400
