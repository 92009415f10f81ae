"""Decisions never doubled, never lost, never cut short; every one in audit.csv; read-only said in Dutch."""

from __future__ import annotations

import csv
import sqlite3
import threading
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from export.audit import write_audit
from review import decisions
from review.app import MAX_NOTE_CHARS, MAX_TEXT_CHARS, create_app
from review.queue import FindingCache, build_queue, default_finding_source
from softa.db import connect
from softa.errors import ConflictError
from tests.review_fixtures import CASE, ReviewBatch
from tests.test_review_http import (
    app,
    audit_rows,
    batch,
    box_form,
    box_row,
    client,
    db,
    finding_source,
    login,
    post,
    settle_flags,
    template,
)

__all__ = ["app", "batch", "client", "template"]  # fixtures used by name

#: Rounds of two reviewers deciding the same box at the same moment.
RACE_ROUNDS = 20


def test_two_decisions_on_one_version_never_both_succeed(batch: ReviewBatch) -> None:
    box_id = batch.flagged_ticks[0]
    for _ in range(RACE_ROUNDS):
        version = box_row(batch, box_id)["version"]
        start = threading.Barrier(2)
        outcome: dict[str, str] = {}

        def decide(name: str, checked: bool, version: int = version, start: threading.Barrier = start,
                   outcome: dict[str, str] = outcome) -> None:
            conn = connect(batch.db, create=False)
            try:
                start.wait()
                decisions.decide_box(conn, CASE, box_id, checked, version, name)
                outcome[name] = "won"
            except ConflictError as exc:
                outcome[name] = exc.message
            finally:
                conn.close()

        threads = [threading.Thread(target=decide, args=("Anna", True)), threading.Thread(target=decide,
                                                                                         args=("Bram", False))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [n for n, o in outcome.items() if o == "won"]
        assert len(winners) == 1, outcome
        loser = "Bram" if winners == ["Anna"] else "Anna"
        assert f"{winners[0]} heeft hier intussen over beslist" in outcome[loser]
        assert box_row(batch, box_id)["reviewer"] == winners[0]
    decided = [r for r in audit_rows(batch) if r["action"] == "review_box"]
    assert len(decided) == RACE_ROUNDS


def test_losing_reviewers_text_is_shown_back(batch: ReviewBatch, app: object) -> None:
    anna, bram = app.test_client(), app.test_client()  # type: ignore[attr-defined]
    login(anna, "Anna")
    login(bram, "Bram")
    with db(batch) as conn:
        version = conn.execute("SELECT version FROM region_values WHERE region_id = ?", (batch.region,)).fetchone()[0]
    form = {"case_id": CASE, "region": batch.region, "version": version, "pos": 0}
    assert post(anna, "/beslis/tekst", {**form, "text": "Moeder praat veel."}).status_code == 302
    lost = post(bram, "/beslis/tekst", {**form, "text": "Vader zegt weinig <b>echt</b>."})
    assert lost.status_code == 409 and "Anna heeft hier intussen over beslist" in lost.text
    assert "Vader zegt weinig &lt;b&gt;echt&lt;/b&gt;." in lost.text  # kept, escaped, in the field
    assert "Moeder praat veel." in lost.text and 'id="stored-text"' in lost.text
    with db(batch) as conn:
        assert conn.execute("SELECT transcription FROM region_values WHERE region_id = ?",
                            (batch.region,)).fetchone()[0] == "Moeder praat veel."


def test_text_over_the_limit_is_refused_whole_not_cut(batch: ReviewBatch, client: FlaskClient) -> None:
    with db(batch) as conn:
        version = conn.execute("SELECT version FROM region_values WHERE region_id = ?", (batch.region,)).fetchone()[0]
    text = "a" * MAX_TEXT_CHARS + "EINDE"
    response = post(client, "/beslis/tekst", {"case_id": CASE, "region": batch.region, "version": version,
                                              "text": text})
    assert response.status_code == 422 and "Er is niets opgeslagen" in response.text and "EINDE" in response.text
    with db(batch) as conn:
        assert conn.execute("SELECT status FROM region_values WHERE region_id = ?",
                            (batch.region,)).fetchone()[0] == "pending"
    note = "n" * (MAX_NOTE_CHARS + 1)
    refused = post(client, "/beslis/pagina", {"page_id": batch.unknown_page_id, "version": 1, "action": "set_aside",
                                              "note": note})
    assert refused.status_code == 422 and "2.001 tekens" in refused.text
    assert audit_rows(batch) == []


def test_rating_left_without_a_value_stays_in_the_queue_as_a_blocking_error(batch: ReviewBatch) -> None:
    source = default_finding_source()
    assert source is not None
    app = create_app(batch.db, secret="test-secret")
    client = app.test_client()
    login(client)
    settle_flags(batch)
    rows = decisions.rating_rows(connect(batch.db, create=False), CASE, batch.rating_none)
    decided = post(client, "/beslis/rij", {"case_id": CASE, "group": batch.rating_none, "value": "geen",
                                           "token": decisions.rating_token(rows), "pos": 0})
    assert decided.status_code == 302
    conn = connect(batch.db, create=False)
    try:
        queue = build_queue(conn, FindingCache(source))
        errors = [i for i in queue.items if i.kind == "finding" and "rating.none" in i.key]
        assert errors, [i.key for i in queue.items]
        # Pages never scanned block the export too: said above the queue.
        assert any("nog niet gescand" in p for p in queue.problems)
    finally:
        conn.close()
    page = client.get("/item", query_string={"key": errors[0].key}).text
    assert "blokkeert de export" in page and 'action="/beslis/waarschuwing"' not in page
    assert 'action="/beslis/rij"' in page


def test_every_decision_is_in_audit_csv_including_a_page_of_no_case(batch: ReviewBatch, client: FlaskClient,
                                                                     tmp_path: Path) -> None:
    with db(batch) as conn:
        conn.execute("UPDATE scanned_pages SET qr = 'SOFTA2|2025-099|C|C1|1|1/2', reason = 'unknown_case', "
                     "case_id = '2025-099' WHERE id = ?", (batch.unknown_page_id,))
    assert post(client, "/beslis/pagina", {"page_id": batch.unknown_page_id, "version": 1, "action": "set_aside",
                                           "note": "=ander gezin"}).status_code == 302
    assert post(client, "/beslis/vakje", box_form(batch, batch.flagged_ticks[0], "1")).status_code == 302
    conn = connect(batch.db, create=False)
    try:
        path = write_audit(conn, tmp_path / "audit.csv", [CASE])
    finally:
        conn.close()
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    actions = {r["action"]: r for r in rows}
    assert set(actions) >= {"set_aside", "review_box"}
    assert actions["set_aside"]["note"] == "'=ander gezin" and actions["set_aside"]["case"] == "2025-099"


def test_read_only_database_is_looked_at_never_written(batch: ReviewBatch) -> None:
    app = create_app(batch.db, secret="test-secret", read_only=True, finding_source=finding_source(batch))
    client = app.test_client()
    login(client)
    overview = client.get("/")
    assert overview.status_code == 200 and "Alleen lezen" in overview.text
    item = client.get("/item", query_string={"key": f"box:{CASE}:{batch.flagged_ticks[0]}"})
    assert item.status_code == 200 and "Alleen lezen" in item.text
    refused = post(client, "/beslis/vakje", box_form(batch, batch.flagged_ticks[0], "1"))
    assert refused.status_code == 403 and "niet worden gewijzigd" in refused.text
    assert "Internal Server Error" not in refused.text
    assert box_row(batch, batch.flagged_ticks[0])["status"] == "flagged"


def test_database_turning_read_only_is_explained_in_dutch(batch: ReviewBatch, client: FlaskClient,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(decisions, "decide_box", refuse)
    response = post(client, "/beslis/vakje", box_form(batch, batch.flagged_ticks[0], "1"))
    assert response.status_code == 503 and "Alleen lezen" in response.text
    assert "Alleen lezen" in client.get("/").text
