"""Safety rules of the review app: CSRF tokens, security headers, safe file paths.

The review screen is a local app, but a browser visits other sites at the same
time: a foreign page must not be able to post decisions (CSRF token; the Origin,
Host and access-token checks are in ``review.access``), and no route may read a
file outside the data folder.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

#: Bytes of randomness in the per-run secret key and the per-session CSRF token.
SECRET_BYTES = 32
CSRF_SESSION_KEY = "csrf"
CSRF_FIELD = "csrf_token"
#: Addresses that listen on every network interface: the Host header then cannot be known in advance.
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})

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
