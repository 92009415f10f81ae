"""Safety rules of the review app: CSRF tokens, origin and host checks, safe file paths.

The review screen is a local app, but a browser visits other sites at the same
time: a foreign page must not be able to post decisions (CSRF, Origin check),
nor reach it through a hostname of its own (DNS rebinding, Host check), and no
route may read a file outside the data folder.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

#: Bytes of randomness in the per-run secret key and the per-session CSRF token.
SECRET_BYTES = 32
CSRF_SESSION_KEY = "csrf"
CSRF_FIELD = "csrf_token"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
#: Addresses that listen on every network interface: the Host header then cannot be known in advance.
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})
#: In the allowed hosts: any Host header (only with ``--allow-remote`` on a wildcard address).
ANY_HOST = "*"

#: Sent with every response: only our own scripts, styles and images; no framing.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self'; script-src 'self'; style-src 'self'; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def new_secret() -> bytes:
    """A fresh secret key for one run of the server (sessions end when it stops)."""
    return secrets.token_bytes(SECRET_BYTES)


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's CSRF token, created on first use."""
    token = session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(SECRET_BYTES)
        session[CSRF_SESSION_KEY] = token
    return token


def check_csrf(session: MutableMapping[str, Any], submitted: str | None) -> int | None:
    """None when the submitted token matches the session's; else the HTTP status to refuse with."""
    if not submitted:
        return 400
    expected = session.get(CSRF_SESSION_KEY)
    if not isinstance(expected, str) or not hmac.compare_digest(expected.encode(), submitted.encode()):
        return 403
    return None


def _host_only(netloc: str) -> str:
    """Hostname of a Host header or URL netloc, without port, lower case."""
    host = netloc.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_allowed(host_header: str, allowed: Iterable[str]) -> bool:
    """Whether a request's Host header names this server (guards against DNS rebinding)."""
    names = {a.lower() for a in allowed}
    return ANY_HOST in names or _host_only(host_header) in names


def same_origin(origin: str | None, referer: str | None, host_header: str) -> bool:
    """Whether a state-changing request comes from a page of this server.

    The Origin header decides when the browser sends it; else the Referer;
    a request with neither is refused.
    """
    source = origin if origin else referer
    if not source or source == "null":
        return False
    parts = urlsplit(source)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    return parts.netloc.lower() == host_header.strip().lower()


def safe_path(base: Path, relative: str | None) -> Path | None:
    """``base / relative`` when it stays inside ``base`` and is a file; None otherwise."""
    if not relative:
        return None
    root = base.resolve()
    try:
        candidate = (root / relative).resolve()
    except (OSError, ValueError):
        return None
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate
