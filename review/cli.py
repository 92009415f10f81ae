"""`softa review`: serve the review screen on this computer."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click

from review.security import ANY_HOST, WILDCARD_HOSTS
from softa.cli import db_option, reports_errors
from softa.db import SCHEMA_VERSION, connect, resolve_db_path
from softa.errors import DatabaseError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
LOCAL_NAMES = ("127.0.0.1", "localhost", "::1")
SQLITE_MAGIC = b"SQLite format 3\x00"


def check_database(db_path: Path) -> None:
    """Refuse a path that is not an existing softa database, saying why (never creates or migrates one)."""
    if not db_path.exists():
        raise DatabaseError(f"{db_path}: no such database",
                            hint="run `softa forms` and `softa scan` first, or give --db / SOFTA_DB")
    if db_path.is_dir():
        raise DatabaseError(f"{db_path}: is a folder, not a database file", hint="give the .sqlite file with --db")
    try:
        with db_path.open("rb") as fh:
            magic = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise DatabaseError(f"{db_path}: cannot be read ({exc.strerror})",
                            hint="check the file's permissions") from exc
    if magic != SQLITE_MAGIC:
        raise DatabaseError(f"{db_path}: not an SQLite database", hint="give the softa.sqlite written by `softa scan`")
    try:
        raw = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            version = raw.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            raw.close()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{db_path}: cannot open as a softa database ({exc})",
                            hint="check the path; a damaged file cannot be used") from exc
    if version < SCHEMA_VERSION or "box_values" not in tables:
        raise DatabaseError(f"{db_path}: an SQLite file, but not a softa database",
                            hint="give the softa.sqlite written by `softa forms` / `softa scan`")
    connect(db_path, create=False).close()


@click.command(name="review")
@db_option
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="Address to listen on. Anything but 127.0.0.1/localhost needs --allow-remote.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port).")
@click.option("--allow-remote", is_flag=True,
              help="Allow --host to be reachable from other computers (the data is then visible on the network).")
@reports_errors
def review_command(db: Path | None, host: str, port: int, allow_remote: bool) -> None:
    """Serve the review screen where a person resolves every flagged uncertainty.

    Open the printed address in a browser; the queue holds unidentified
    pages, duplicate scans, rating rows, uncertain boxes, validation warnings
    and free texts, worst first. Stop with Ctrl+C.
    """
    from werkzeug.serving import make_server

    from review.app import create_app

    db_path = resolve_db_path(db)
    check_database(db_path)
    remote = host not in LOCAL_NAMES
    if remote and not allow_remote:
        raise click.UsageError(f"--host {host} would make the review screen reachable from other computers; "
                               "use the default 127.0.0.1, or add --allow-remote if that is really meant")
    # On every interface the browser's Host header is this computer's name or address, unknown here.
    allowed = (ANY_HOST,) if host in WILDCARD_HOSTS else (host,)
    app = create_app(db_path, allowed_hosts=allowed if remote else ())
    try:
        server = make_server(host, port, app, threaded=True)
    except OSError as exc:
        raise DatabaseError(f"cannot listen on {host}:{port} ({exc.strerror or exc})",
                            hint="choose another --port, or stop the other program using it") from exc
    if remote:
        click.echo(f"WAARSCHUWING: het beoordelingsscherm is bereikbaar via {host}: iedereen op het netwerk "
                   "kan de gegevens zien en wijzigen.", err=True)
        if host in WILDCARD_HOSTS:
            click.echo("Op een andere computer: gebruik de naam of het IP-adres van deze computer in plaats van "
                       f"{host}.", err=True)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Beoordelingsscherm: http://{shown}:{server.server_port}/  (database {db_path})")
    click.echo("Open dit adres in je browser. Stoppen: Ctrl+C.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Gestopt.")
    finally:
        server.server_close()
