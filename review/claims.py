"""Short claims on open items, so two reviewers on one queue work apart.

Opening an item claims it for ``CLAIM_SECONDS``; "next item" skips items
another reviewer has claimed, and the item screen says who has it open. Claims
live in the database (two `softa review` servers on one database see each
other's) and simply run out: a reviewer who walks away blocks nothing for long.
A decision releases the claim.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass

from softa.db import transaction

#: How long an opened item stays claimed (seconds): enough to decide, short enough not to block.
CLAIM_SECONDS = 120

_TABLE = ("CREATE TABLE IF NOT EXISTS review_claims (item_key TEXT PRIMARY KEY, reviewer TEXT NOT NULL, "
          "session TEXT NOT NULL, expires_at REAL NOT NULL)")


@dataclass(frozen=True)
class Claim:
    """Who has an item open, until when (seconds since the epoch)."""

    key: str
    reviewer: str
    session: str
    expires_at: float

    def seconds_left(self, now: float | None = None) -> int:
        return max(0, round(self.expires_at - (time.time() if now is None else now)))

    @property
    def text(self) -> str:
        """Dutch, for the item screen."""
        return (f"{self.reviewer} heeft dit item open (nog {self.seconds_left()} seconden). Beslis je toch, dan "
                "wint wie het eerst opslaat; de ander krijgt een melding.")


def _ensure(conn: sqlite3.Connection) -> None:
    conn.execute(_TABLE)


def claim(conn: sqlite3.Connection, key: str, reviewer: str, session: str, now: float | None = None) -> Claim | None:
    """Claim ``key`` for this session; return another session's live claim instead when there is one."""
    stamp = time.time() if now is None else now
    with transaction(conn):
        _ensure(conn)
        conn.execute(
            "INSERT INTO review_claims(item_key, reviewer, session, expires_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(item_key) DO UPDATE SET reviewer = excluded.reviewer, session = excluded.session, "
            "expires_at = excluded.expires_at WHERE review_claims.session = excluded.session "
            "OR review_claims.expires_at < ?", (key, reviewer, session, stamp + CLAIM_SECONDS, stamp))
        row = conn.execute("SELECT * FROM review_claims WHERE item_key = ?", (key,)).fetchone()
    if row is None or row["session"] == session:
        return None
    return Claim(key=row["item_key"], reviewer=row["reviewer"], session=row["session"], expires_at=row["expires_at"])


def release(conn: sqlite3.Connection, key: str, session: str) -> None:
    """Give up this session's claim on ``key`` (after a decision)."""
    with transaction(conn):
        _ensure(conn)
        conn.execute("DELETE FROM review_claims WHERE item_key = ? AND session = ?", (key, session))


def claimed_by_others(conn: sqlite3.Connection, session: str, now: float | None = None) -> dict[str, Claim]:
    """Every live claim of another session, by item key."""
    stamp = time.time() if now is None else now
    try:
        rows = conn.execute("SELECT * FROM review_claims WHERE expires_at >= ? AND session != ?",
                            (stamp, session)).fetchall()
    except sqlite3.OperationalError:  # no claim was ever made on this database
        return {}
    return {r["item_key"]: Claim(key=r["item_key"], reviewer=r["reviewer"], session=r["session"],
                                 expires_at=r["expires_at"]) for r in rows}


def pick(keys: Sequence[str], start: int, taken: dict[str, Claim] | set[str]) -> str | None:
    """The first key from ``start`` on (then from the top) that nobody else has open; else the one at ``start``."""
    if not keys:
        return None
    start = min(max(start, 0), len(keys) - 1)
    for key in (*keys[start:], *keys[:start]):
        if key not in taken:
            return key
    return keys[start]


def forward(keys: Sequence[str], start: int, taken: dict[str, Claim] | set[str]) -> str | None:
    """The first key from ``start`` on that nobody else has open; else the one at ``start``; None past the end."""
    if start >= len(keys):
        return None
    return next((k for k in keys[start:] if k not in taken), keys[start])
