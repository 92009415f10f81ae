"""Closed to other sites: access token, Host and port, Origin with scheme, redirect targets, body limits."""

from __future__ import annotations

import http.client
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask

from review import access
from review.access import host_allowed, safe_next, same_origin, split_host
from review.app import create_app
from tests.review_fixtures import CASE, SERVE_TOKEN, ReviewBatch, build_batch, copy_batch, entry_url, serve

ACCESS_TOKEN = "secret-of-this-run"
#: A body well over the 1 MB limit, sent in chunks without Content-Length.
CHUNKED_BYTES = 5_000_000
CHUNK_BYTES = 64 * 1024


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> ReviewBatch:
    return build_batch(tmp_path_factory.mktemp("access-template"))


@pytest.fixture
def batch(template: ReviewBatch, tmp_path: Path) -> ReviewBatch:
    return copy_batch(template, tmp_path / "batch")


@pytest.fixture
def app(batch: ReviewBatch) -> Flask:
    return create_app(batch.db, secret="test-secret", token=ACCESS_TOKEN, finding_source=lambda conn, case: [])


def box_status(batch: ReviewBatch, box_id: str) -> str:
    import sqlite3

    conn = sqlite3.connect(batch.db)
    try:
        return str(conn.execute("SELECT status FROM box_values WHERE case_id = ? AND box_id = ?",
                                (CASE, box_id)).fetchone()[0])
    finally:
        conn.close()


# ---------------------------------------------------------------- the access token


@pytest.mark.parametrize("path", ["/", "/naam", "/item?key=x", "/static/review.css", "/favicon.ico",
                                  "/beeld/pagina/1", "/klaar"])
def test_every_request_needs_the_token(app: Flask, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == 403
    assert "Toegangscode nodig" in response.text and "softa review" in response.text
    assert "`" not in response.text


def test_wrong_token_is_refused(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/?token=guess").status_code == 403
    assert client.get("/").status_code == 403


def test_token_is_exchanged_for_a_session_and_taken_out_of_the_address(app: Flask) -> None:
    client = app.test_client()
    first = client.get(f"/item?key=abc&token={ACCESS_TOKEN}")
    assert first.status_code == 302 and first.location == "/item?key=abc"
    assert ACCESS_TOKEN not in (first.headers.get("Set-Cookie") or "")
    # From now on the session cookie is enough: the name form is next.
    assert client.get("/").status_code == 302
    assert client.get("/naam").status_code == 200
    # Another browser (another local user) without the token still gets nothing.
    assert app.test_client().get("/naam").status_code == 403


def test_post_without_the_session_is_refused_before_anything_else(batch: ReviewBatch, app: Flask) -> None:
    client = app.test_client()
    response = client.post("/beslis/vakje", data={"case_id": CASE, "box": batch.flagged_ticks[0], "checked": "1",
                                                  "version": 1}, headers={"Origin": "http://localhost"})
    assert response.status_code == 403 and "Toegangscode" in response.text
    assert box_status(batch, batch.flagged_ticks[0]) == "flagged"


def test_each_run_has_its_own_token(batch: ReviewBatch) -> None:
    first, second = create_app(batch.db), create_app(batch.db)
    assert first.config["SOFTA_ACCESS_TOKEN"] != second.config["SOFTA_ACCESS_TOKEN"]
    assert len(first.config["SOFTA_ACCESS_TOKEN"]) >= 40


# ---------------------------------------------------------------- Host and Origin


@pytest.mark.parametrize(("host", "port", "ok"), [
    ("127.0.0.1:8765", 8765, True),
    ("localhost:8765", 8765, True),
    ("[::1]:8765", 8765, True),
    ("LOCALHOST:8765", 8765, True),
    ("localhost:8766", 8765, False),
    ("localhost", 8765, False),
    ("localhost", 80, True),
    ("evil.example:8765", 8765, False),
    ("127.0.0.1.evil.example:8765", 8765, False),
    ("localhost:8765@evil.example", 8765, False),
    ("localhost:abc", 8765, False),
    ("", 8765, False),
    ("pc-lotte.local:8765", 8765, True),
    ("PC-Lotte.local:8765", 8765, True),
    ("pc-lotte.local.evil:8765", 8765, False),
])
def test_host_header_must_name_this_server_and_port(host: str, port: int, ok: bool) -> None:
    names = (*tuple(access.LOOPBACK_NAMES), "pc-lotte.local")
    assert host_allowed(host, names, port) is ok


def test_host_checked_on_every_request(app: Flask) -> None:
    app.config[access.PORT_CONFIG] = 8765
    client = app.test_client()
    assert client.get(f"/?token={ACCESS_TOKEN}", headers={"Host": "localhost:8765"}).status_code == 302
    refused = client.get(f"/?token={ACCESS_TOKEN}", headers={"Host": "evil.example:8765"})
    assert refused.status_code == 400 and "--allow-host" in refused.text
    assert client.get(f"/?token={ACCESS_TOKEN}", headers={"Host": "localhost:1234"}).status_code == 400


@pytest.mark.parametrize(("origin", "ok"), [
    ("http://localhost:8765", True),
    ("https://localhost:8765", False),
    ("http://localhost:8766", False),
    ("http://localhost", False),
    ("http://evil.example:8765", False),
    ("http://localhost:8765@evil.example", False),
    ("ftp://localhost:8765", False),
    ("null", False),
    ("", False),
])
def test_origin_must_match_scheme_host_and_port(origin: str, ok: bool) -> None:
    assert same_origin(origin, None, "localhost:8765", "http") is ok


def test_referer_counts_when_there_is_no_origin() -> None:
    assert same_origin(None, "http://localhost:8765/item?key=x", "localhost:8765", "http")
    assert not same_origin(None, "https://localhost:8765/item?key=x", "localhost:8765", "http")
    assert same_origin("http://localhost", None, "localhost:80", "http")


def test_split_host() -> None:
    assert split_host("[::1]:8765") == ("::1", 8765)
    assert split_host("Localhost") == ("localhost", None)
    assert split_host("a b:1") is None


# ---------------------------------------------------------------- redirect targets


@pytest.mark.parametrize("target", [
    "//evil.example/",
    "/\\evil.example/",
    "/%09/evil.example/",
    "/\t/evil.example/",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/%5Cevil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "evil.example",
    "/\x00/evil.example",
    "/\r\nLocation: http://evil.example",
    "/%0d%0aSet-Cookie:x=1",
    " //evil.example",
    "/%252F/evil.example",
    "\\\\evil.example",
    "",
])
def test_redirect_targets_stay_on_this_server(target: str) -> None:
    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", ["/", "/item?key=box%3A2025-001%3Ax", "/klaar?case=2025-001"])
def test_local_redirect_targets_are_kept(target: str) -> None:
    assert safe_next(target) == target


def test_name_form_never_redirects_elsewhere(app: Flask) -> None:
    client = app.test_client()
    client.get(f"/?token={ACCESS_TOKEN}")
    form = client.get("/naam?next=/%09/evil.example/").text
    assert "evil.example" not in form
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    for target in ("/%09/evil.example/", "/\\evil.example", "//evil.example"):
        response = client.post("/naam", data={"name": "Lotte", "csrf_token": csrf, "next": target},
                               headers={"Origin": "http://localhost"})
        assert response.status_code == 302 and response.location == "/", target


# ---------------------------------------------------------------- body limits


def test_declared_large_body_is_413(app: Flask) -> None:
    client = app.test_client()
    client.get(f"/?token={ACCESS_TOKEN}")
    response = client.post("/naam", data={"name": "x" * (access.MAX_BODY_BYTES + 10)},
                           headers={"Origin": "http://localhost"})
    assert response.status_code == 413 and "Te groot" in response.text


def _chunked_post(base: str, path: str, total: int, cookie: str | None) -> tuple[int | None, str]:
    """POST ``total`` bytes in chunks (no Content-Length) with http.client; the status, or None if cut off."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest("POST", path)
        conn.putheader("Transfer-Encoding", "chunked")
        conn.putheader("Content-Type", "application/x-www-form-urlencoded")
        conn.putheader("Origin", base)
        if cookie:
            conn.putheader("Cookie", cookie)
        conn.endheaders()
        chunk = b"name=" + b"x" * (CHUNK_BYTES - len(b"name="))
        sent = 0
        try:
            while sent < total:
                conn.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += len(chunk)
                chunk = b"x" * CHUNK_BYTES
            conn.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: what matters is what it answered
        try:
            response = conn.getresponse()
        except (ConnectionResetError, http.client.RemoteDisconnected):
            return None, ""
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def test_chunked_body_over_the_limit_is_refused_by_the_running_server(batch: ReviewBatch) -> None:
    with serve(batch.db) as base:
        parts = urlsplit(base)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        conn.request("GET", urlsplit(entry_url(base)).path + f"?token={SERVE_TOKEN}")
        granted = conn.getresponse()
        granted.read()
        cookie = (granted.getheader("Set-Cookie") or "").split(";", 1)[0]
        conn.close()
        assert granted.status == 302 and cookie
        status, text = _chunked_post(base, "/naam", CHUNKED_BYTES, cookie)
        assert status == 413 and "Te groot" in text, text
        # A small chunked body still works (the form is refused for its missing CSRF token, not its size).
        small, _ = _chunked_post(base, "/naam", CHUNK_BYTES, cookie)
        assert small in (400, 403)


def test_body_limit_reads_one_byte_past_the_limit_only() -> None:
    import io

    stream = io.BytesIO(b"a" * 100)
    assert access._read_at_most(stream, 50) == b"a" * 51
    assert access._read_at_most(io.BytesIO(b"a" * 50), 50) == b"a" * 50


def test_chunked_body_under_the_limit_arrives_whole(batch: ReviewBatch, app: Flask) -> None:
    """The in-process equivalent: a chunked body is buffered and parsed in full, never cut short."""
    import io

    client = app.test_client()
    client.get(f"/?token={ACCESS_TOKEN}")
    form = client.get("/naam").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    body = f"csrf_token={csrf}&name=Lotte&next=/klaar".encode()
    response = client.post("/naam", input_stream=io.BytesIO(body), content_type="application/x-www-form-urlencoded",
                           headers={"Origin": "http://localhost", "Transfer-Encoding": "chunked"})
    assert response.status_code == 302 and response.location == "/klaar"


def test_client_without_token_sees_nothing_on_the_running_server(batch: ReviewBatch) -> None:
    with serve(batch.db) as base:
        parts = urlsplit(base)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        conn.request("GET", "/")
        response = conn.getresponse()
        assert response.status == 403 and "Toegangscode nodig" in response.read().decode()
        conn.request("GET", "/", headers={"Host": f"evil.example:{parts.port}"})
        response = conn.getresponse()
        assert response.status == 400
        response.read()
        conn.close()
