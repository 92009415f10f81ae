"""Opening the review database: a consistent snapshot per page, and read-only when it cannot be written."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, render_template, request

from softa.db import BUSY_TIMEOUT_MS, connect

READ_ONLY_TITLE = "Alleen lezen"
READ_ONLY_MESSAGE = ("Deze database kan niet worden gewijzigd (het bestand of de map is alleen-lezen). Je kunt alles "
                     "bekijken, maar beslissingen worden niet opgeslagen. Vraag de beheerder om schrijfrechten, of "
                     "kopieer de database naar een map waarin je mag schrijven en start softa review opnieuw.")
#: Words of SQLite's errors when a write is refused by the file system or the connection mode.
READ_ONLY_ERRORS = ("readonly", "read-only", "unable to open database file")


def is_read_only(db_path: Path) -> bool:
    """Whether this process cannot write the database (file, or the folder its journal files go in)."""
    folder = db_path.resolve().parent
    return not os.access(db_path, os.W_OK) or not os.access(folder, os.W_OK)


def open_db(db_path: Path, *, read_only: bool) -> sqlite3.Connection:
    """A connection for one request: the normal one, or a read-only one that never creates files."""
    if not read_only:
        return connect(db_path, create=False)
    uri = db_path.resolve().as_uri()
    try:
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                               isolation_level=None)
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone()
    except sqlite3.OperationalError:
        # A WAL database in a folder we cannot write: read it as it is on disk.
        conn = sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def is_read_only_error(exc: BaseException) -> bool:
    """Whether an SQLite error says the database cannot be written."""
    return isinstance(exc, sqlite3.OperationalError) and any(w in str(exc).lower() for w in READ_ONLY_ERRORS)


@contextmanager
def read_snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One read transaction: the queue and the item on one page come from the same moment."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


#: Posts that only change the browser's session, allowed on a read-only database.
SESSION_ONLY_POSTS = ("/naam", "/naam/wissen")
READ_ONLY_CONFIG = "SOFTA_READ_ONLY"


def install_read_only(app: Flask, read_only: bool) -> None:
    """Refuse decisions on a read-only database in Dutch, and say so on every page."""
    app.config[READ_ONLY_CONFIG] = read_only

    @app.before_request
    def _refuse_writes() -> tuple[str, int] | None:
        if app.config[READ_ONLY_CONFIG] and request.method == "POST" and request.path not in SESSION_ONLY_POSTS:
            return render_template("error.html", title=READ_ONLY_TITLE, message=READ_ONLY_MESSAGE), 403
        return None

    @app.errorhandler(sqlite3.OperationalError)
    def _read_only_error(exc: sqlite3.OperationalError) -> tuple[str, int]:
        if not is_read_only_error(exc):
            raise exc
        # The file became read-only while the server ran: from now on the screen says so up front.
        app.config[READ_ONLY_CONFIG] = True
        return render_template("error.html", title=READ_ONLY_TITLE, message=READ_ONLY_MESSAGE), 503

    @app.context_processor
    def _read_only_banner() -> dict[str, Any]:
        return {"read_only": app.config[READ_ONLY_CONFIG], "read_only_message": READ_ONLY_MESSAGE}
