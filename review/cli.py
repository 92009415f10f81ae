"""`softa review`: serve the review screen on this computer."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click

from review.access import LOOPBACK_NAMES, PORT_CONFIG, access_url, new_token, normalise_host_name
from review.security import WILDCARD_HOSTS
from softa.cli import db_option, reports_errors
from softa.db import SCHEMA_VERSION, connect, resolve_db_path
from softa.errors import DatabaseError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
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
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="A name or address other computers use to reach this one (repeatable); on 0.0.0.0 at least "
                   "one is needed. Requests naming any other host are refused.")
@reports_errors
def review_command(db: Path | None, host: str, port: int, allow_remote: bool, allow_hosts: tuple[str, ...]) -> None:
    """Serve the review screen where a person resolves every flagged uncertainty.

    Open the printed address in a browser: it carries a secret access token
    (?token=...), and the screen answers no one without it. The queue holds
    unidentified pages, duplicate scans, rating rows, uncertain boxes,
    validation warnings and free texts, worst first. Stop with Ctrl+C.
    """
    from werkzeug.serving import make_server

    from review.app import create_app

    db_path = resolve_db_path(db)
    check_database(db_path)
    remote = normalise_host_name(host) not in LOOPBACK_NAMES
    if (remote or allow_hosts) and not allow_remote:
        raise click.UsageError(f"--host {host} / --allow-host would make the review screen reachable from other "
                               "computers; use the default 127.0.0.1, or add --allow-remote if that is really meant")
    names = [normalise_host_name(h) for h in allow_hosts]
    if remote and host not in WILDCARD_HOSTS:
        names.insert(0, normalise_host_name(host))
    if remote and not names:
        raise click.UsageError(f"--host {host} listens on every network interface: name the host other computers "
                               "use with --allow-host NAME (e.g. this computer's name or IP address)")
    token = new_token()
    app = create_app(db_path, allowed_hosts=tuple(names), token=token, warm=True)
    try:
        server = make_server(host, port, app, threaded=True)
    except OSError as exc:
        raise DatabaseError(f"cannot listen on {host}:{port} ({exc.strerror or exc})",
                            hint="choose another --port, or stop the other program using it") from exc
    app.config[PORT_CONFIG] = server.server_port
    if remote:
        click.echo(f"WAARSCHUWING: het beoordelingsscherm is bereikbaar via {host}: iedereen op het netwerk "
                   "met het adres hieronder kan de gegevens zien en wijzigen.", err=True)
    shown = names[0] if remote else host
    click.echo(f"Beoordelingsscherm: {access_url(shown, server.server_port, token)}")
    click.echo(f"(database {db_path})")
    if remote and len(names) > 1:
        click.echo("Ook bereikbaar als: " + ", ".join(names[1:]) + " (zelfde poort en toegangscode).")
    click.echo("Open dit adres in je browser; het bevat de toegangscode. Stoppen: Ctrl+C.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Gestopt.")
    finally:
        server.server_close()
