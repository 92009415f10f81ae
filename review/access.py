"""Who may reach the review screen at all: access token, Host check, request body limit, redirect targets.

The review screen runs on a computer where the reviewer also browses other
sites, and sometimes a computer other people use too. So, as notebook servers
do, ``softa review`` prints an address with a secret token; the first request
exchanges it for a session cookie and every later request needs that cookie
(other local users and other websites do not know the token). Each request's
Host header must name this server exactly (name and port), which stops DNS
rebinding; request bodies are counted as they are read, so a chunked body
cannot slip past the size limit.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import secrets
from collections.abc import Callable, Iterable
from typing import IO, Any
from urllib.parse import urlencode, urlsplit

from flask import Flask, redirect, render_template, request, session
from werkzeug.wrappers import Response as BaseResponse

#: Bytes of randomness in the access token printed in the address (as notebook servers use).
TOKEN_BYTES = 32
#: Query parameter that carries the token in the printed address.
TOKEN_PARAM = "token"
SESSION_KEY = "access"
#: The largest request body accepted (bytes): a decision with a long transcription is far smaller.
MAX_BODY_BYTES = 1_000_000
#: Piece size when reading a body without Content-Length (bytes).
READ_BYTES = 64 * 1024
#: Loopback names: always allowed (with the server's port).
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
#: Config key of the port the server listens on (None: not known, e.g. Flask's test client).
PORT_CONFIG = "SOFTA_PORT"
DEFAULT_PORTS = {"http": 80, "https": 443}
#: Characters that never belong in a redirect target: control characters, backslash, whitespace.
_UNSAFE_TARGET = re.compile(r"[\x00-\x20\x7f\\]")
_HOST_NAME = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$|^[0-9a-f:.]+$")

ACCESS_TITLE = "Toegangscode nodig"
ACCESS_MESSAGE = ("Dit beoordelingsscherm is alleen te openen met het adres dat softa review bij het starten "
                  "toont, met de toegangscode erin (…/?token=…). Kopieer dat hele adres uit het venster waarin "
                  "softa review draait en open het in je browser.")
HOST_TITLE = "Onbekend adres"
HOST_MESSAGE = ("Dit beoordelingsscherm is niet via deze naam te bereiken. Open het adres dat softa review "
                "toont; voor een andere computer start je softa review met --allow-host NAAM.")

TOO_LARGE_PAGE = ('<!doctype html><html lang="nl"><meta charset="utf-8"><title>Te groot · SOFTA-beoordeling</title>'
                  "<h1>Te groot</h1><p>De tekst is te lang om op te slaan.</p></html>")


def new_token() -> str:
    """A fresh access token for one run of the server."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """What the session keeps of the token (never the token itself)."""
    return hashlib.sha256(token.encode()).hexdigest()


def split_host(value: str) -> tuple[str, int | None] | None:
    """``(name, port)`` of a Host header or URL netloc (lower case; port None when absent); None if malformed."""
    text = value.strip().lower()
    if not text:
        return None
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            return None
        name, rest = text[1:end], text[end + 1:]
        if rest and not rest.startswith(":"):
            return None
        port_text = rest[1:] if rest else None
    elif text.count(":") == 1:
        name, port_text = text.split(":")
    elif ":" in text:
        name, port_text = text, None  # a bare IPv6 address
    else:
        name, port_text = text, None
    if not name or not _HOST_NAME.match(name):
        return None
    if port_text is None:
        return name, None
    if not port_text.isdigit() or len(port_text) > len("65535"):
        return None
    return name, int(port_text)


def normalise_host_name(name: str) -> str:
    """A host name as given on the command line, as it is compared (lower case, no brackets)."""
    return name.strip().lower().strip("[]")


def host_allowed(host_header: str, names: Iterable[str], port: int | None, scheme: str = "http") -> bool:
    """Whether a Host header names this server: one of ``names``, and the server's port when it is known."""
    parsed = split_host(host_header)
    if parsed is None:
        return False
    name, given = parsed
    if name not in {normalise_host_name(n) for n in names}:
        return False
    if port is None:
        return True
    return (given if given is not None else DEFAULT_PORTS.get(scheme)) == port


def same_origin(origin: str | None, referer: str | None, host_header: str, scheme: str) -> bool:
    """Whether a state-changing request comes from a page of this server: scheme, host and port equal.

    The Origin header decides when the browser sends it; else the Referer;
    a request with neither is refused.
    """
    source = origin if origin else referer
    if not source or source == "null":
        return False
    parts = urlsplit(source)
    if parts.scheme != scheme or not parts.netloc or "@" in parts.netloc:
        return False
    theirs, ours = split_host(parts.netloc), split_host(host_header)
    if theirs is None or ours is None:
        return False
    default = DEFAULT_PORTS.get(scheme)
    return (theirs[0], theirs[1] or default) == (ours[0], ours[1] or default)


def safe_next(target: str | None, fallback: str = "/") -> str:
    """``target`` when it is a path on this server ("/..."), else ``fallback``.

    Refused: other schemes and hosts, protocol-relative ``//host``, ``/\\host``
    (browsers read the backslash as a slash), control characters, tabs and
    spaces (browsers strip them, so ``/\\t/host`` becomes ``//host``), and their
    percent-encoded forms.
    """
    if not target or not target.startswith("/"):
        return fallback
    from urllib.parse import unquote

    for form in (target, unquote(target), unquote(unquote(target))):
        if _UNSAFE_TARGET.search(form) or form.startswith("//"):
            return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target


def _read_at_most(stream: IO[bytes], limit: int) -> bytes:
    """Up to ``limit + 1`` bytes of ``stream`` (one more than allowed tells that the body is too long)."""
    pieces, total = [], 0
    while total <= limit:
        piece = stream.read(min(READ_BYTES, limit + 1 - total))
        if not piece:
            break
        pieces.append(piece)
        total += len(piece)
    return b"".join(pieces)


class BodyLimit:
    """WSGI middleware: a body over ``limit`` bytes is answered 413, however it is sent.

    A declared Content-Length is checked at once. A body without one (chunked
    transfer encoding) is read here up to one byte past the limit: longer is
    refused, shorter is handed on with its length, so nothing further down can
    silently cut it short.
    """

    def __init__(self, app: Callable[..., Any], limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    def _too_large(self, start_response: Callable[..., Any]) -> list[bytes]:
        body = TOO_LARGE_PAGE.encode()
        start_response("413 Request Entity Too Large", [("Content-Type", "text/html; charset=utf-8"),
                                                        ("Content-Length", str(len(body))),
                                                        ("Connection", "close")])
        return [body]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        length = (environ.get("CONTENT_LENGTH") or "").strip()
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked or (environ.get("wsgi.input_terminated") and not length):
            body = _read_at_most(environ["wsgi.input"], self.limit)
            if len(body) > self.limit:
                return self._too_large(start_response)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("wsgi.input_terminated", None)
            environ.pop("HTTP_TRANSFER_ENCODING", None)
        elif length and (not length.isdigit() or int(length) > self.limit):
            return self._too_large(start_response)
        return self.app(environ, start_response)


def _refuse(title: str, message: str, status: int) -> tuple[str, int]:
    return render_template("access.html", title=title, message=message), status


def install(app: Flask, *, token: str, host_names: Iterable[str]) -> None:
    """Guard every request of ``app``: Host first, then the access token or the session that holds it."""
    names = tuple(LOOPBACK_NAMES) + tuple(normalise_host_name(n) for n in host_names)
    expected = token_digest(token)
    app.config["SOFTA_ACCESS_TOKEN"] = token
    app.config.setdefault(PORT_CONFIG, None)
    app.wsgi_app = BodyLimit(app.wsgi_app, app.config.get("MAX_CONTENT_LENGTH") or MAX_BODY_BYTES)  # type: ignore[method-assign]

    @app.before_request
    def _access() -> BaseResponse | tuple[str, int] | None:
        if not host_allowed(request.host, names, app.config.get(PORT_CONFIG), request.scheme):
            return _refuse(HOST_TITLE, HOST_MESSAGE, 400)
        given = request.args.get(TOKEN_PARAM)
        if given is not None:
            if not hmac.compare_digest(token_digest(given), expected):
                return _refuse(ACCESS_TITLE, ACCESS_MESSAGE, 403)
            session[SESSION_KEY] = expected
            session.permanent = False
            if request.method in ("GET", "HEAD"):
                # Take the token out of the address bar (and out of history and Referer headers).
                rest = [(k, v) for k, v in request.args.items(multi=True) if k != TOKEN_PARAM]
                return redirect(request.path + (f"?{urlencode(rest)}" if rest else ""))
            return None
        held = session.get(SESSION_KEY)
        if not isinstance(held, str) or not hmac.compare_digest(held, expected):
            return _refuse(ACCESS_TITLE, ACCESS_MESSAGE, 403)
        return None


def access_url(host: str, port: int, token: str) -> str:
    """The address ``softa review`` prints: ``http://host:port/?token=...``."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/?{urlencode({TOKEN_PARAM: token})}"
