"""The embedded SQLite database: schema, connections and the case registry.

Design: raw machine readings (``box_reads``) are kept per scanned page and never
change; the current value of every box (``box_values``) points at the reading
it came from and carries a status (auto, flagged, reviewed). Reviewed values
are never overwritten by a rescan. Every human decision lands in
``audit_log``. Images live in a data folder beside the database file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from softa.errors import DatabaseError, LayoutError, SoftaError
from softa.layout import CaseLayout, layout_from_json
from softa.layout_check import check_layout_text
from softa.manifest import Manifest, parse_manifest
from softa.storage import CORRUPT_HINT, sqlite_error, storage_error, warn_shared_storage

SCHEMA_VERSION = 1
DEFAULT_DB = "softa.sqlite"
DB_ENV = "SOFTA_DB"
#: How long a writer waits for another process's transaction before failing.
BUSY_TIMEOUT_MS = 15_000

#: Indexes added after schema version 1 was released, created on open when missing (same schema version).
LATER_INDEXES = {
    # known_image looks every stored page up by its image hash.
    "scanned_pages_image": "CREATE INDEX IF NOT EXISTS scanned_pages_image ON scanned_pages(image_sha256)",
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS cases (
    case_id        TEXT PRIMARY KEY,
    manifest_json  TEXT NOT NULL,
    layout_json    TEXT NOT NULL,
    layout_sha256  TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
-- One row per layout page, so a QR payload finds its case and page quickly.
CREATE TABLE IF NOT EXISTS layout_pages (
    case_id     TEXT NOT NULL REFERENCES cases(case_id) ON DELETE CASCADE,
    page_index  INTEGER NOT NULL,
    qr          TEXT NOT NULL UNIQUE,
    form        TEXT NOT NULL,
    participant TEXT,
    slot        TEXT,
    page        INTEGER NOT NULL,
    pages       INTEGER NOT NULL,
    PRIMARY KEY (case_id, page_index)
);
-- Every mark box of every case, with its meaning, for SQL by validate/export.
CREATE TABLE IF NOT EXISTS layout_boxes (
    case_id     TEXT NOT NULL REFERENCES cases(case_id) ON DELETE CASCADE,
    box_id      TEXT NOT NULL,
    page_index  INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('tick', 'rating', 'timeline')),
    grp         TEXT NOT NULL,
    participant TEXT NOT NULL,
    slot        TEXT,
    dimension   TEXT NOT NULL,
    item        INTEGER,
    window      INTEGER,
    value       INTEGER,
    bin         INTEGER,
    PRIMARY KEY (case_id, box_id)
);
CREATE INDEX IF NOT EXISTS layout_boxes_group ON layout_boxes(case_id, grp);
CREATE TABLE IF NOT EXISTS layout_regions (
    case_id     TEXT NOT NULL REFERENCES cases(case_id) ON DELETE CASCADE,
    region_id   TEXT NOT NULL,
    page_index  INTEGER NOT NULL,
    participant TEXT NOT NULL,
    slot        TEXT,
    dimension   TEXT NOT NULL,
    label       TEXT NOT NULL,
    PRIMARY KEY (case_id, region_id)
);
-- Every input file, by content. status: pending (being read or interrupted),
-- complete, failed (error says why).
CREATE TABLE IF NOT EXISTS source_files (
    id           INTEGER PRIMARY KEY,
    sha256       TEXT NOT NULL UNIQUE,
    path         TEXT NOT NULL,
    size_bytes   INTEGER NOT NULL,
    media_type   TEXT,
    page_count   INTEGER,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'complete', 'failed')),
    error        TEXT,
    added_at     TEXT NOT NULL,
    completed_at TEXT
);
-- Every input page. identified: its boxes are read; unidentified: waits for a
-- person (reason says why); duplicate: a second, different scan of a layout
-- page already stored; set_aside: a person said it is not a form; assigned: a
-- person said which layout page it is.
CREATE TABLE IF NOT EXISTS scanned_pages (
    id                    INTEGER PRIMARY KEY,
    source_id             INTEGER NOT NULL REFERENCES source_files(id),
    page_number           INTEGER NOT NULL,
    image_path            TEXT,
    image_sha256          TEXT,
    dpi                   REAL,
    status                TEXT NOT NULL CHECK (status IN
                            ('identified', 'unidentified', 'duplicate', 'set_aside', 'assigned')),
    reason                TEXT,
    qr                    TEXT,
    case_id               TEXT,
    page_index            INTEGER,
    rotation              INTEGER,
    registration_error_mm REAL,
    homography_json       TEXT,
    quality               REAL,
    note                  TEXT,
    version               INTEGER NOT NULL DEFAULT 1,
    scanned_at            TEXT NOT NULL,
    UNIQUE (source_id, page_number)
);
CREATE INDEX IF NOT EXISTS scanned_pages_layout ON scanned_pages(case_id, page_index);
-- Raw machine readings, one per (scanned page, box); never updated.
CREATE TABLE IF NOT EXISTS box_reads (
    page_id           INTEGER NOT NULL REFERENCES scanned_pages(id),
    case_id           TEXT NOT NULL,
    box_id            TEXT NOT NULL,
    dark_ratio        REAL NOT NULL,
    measurements_json TEXT NOT NULL,
    image_rect_json   TEXT NOT NULL,
    decision          TEXT NOT NULL CHECK (decision IN ('checked', 'empty', 'uncertain')),
    confidence        REAL NOT NULL,
    reason            TEXT,
    PRIMARY KEY (page_id, box_id)
);
-- The current value of every box read so far. checked is the best guess while
-- status is 'flagged'; 'reviewed' values are a person's and never overwritten.
CREATE TABLE IF NOT EXISTS box_values (
    case_id     TEXT NOT NULL,
    box_id      TEXT NOT NULL,
    page_id     INTEGER REFERENCES scanned_pages(id),
    checked     INTEGER NOT NULL CHECK (checked IN (0, 1)),
    status      TEXT NOT NULL CHECK (status IN ('auto', 'flagged', 'reviewed')),
    reason      TEXT,
    confidence  REAL,
    reviewer    TEXT,
    reviewed_at TEXT,
    version     INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (case_id, box_id)
);
CREATE INDEX IF NOT EXISTS box_values_status ON box_values(status);
CREATE TABLE IF NOT EXISTS region_values (
    case_id       TEXT NOT NULL,
    region_id     TEXT NOT NULL,
    page_id       INTEGER REFERENCES scanned_pages(id),
    image_path    TEXT,
    ink_ratio     REAL,
    transcription TEXT,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'transcribed')),
    reviewer      TEXT,
    reviewed_at   TEXT,
    version       INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (case_id, region_id)
);
-- Two different scans of one layout page: a person chooses which counts.
CREATE TABLE IF NOT EXISTS duplicates (
    id             INTEGER PRIMARY KEY,
    case_id        TEXT NOT NULL,
    page_index     INTEGER NOT NULL,
    kept_page_id   INTEGER NOT NULL REFERENCES scanned_pages(id),
    other_page_id  INTEGER NOT NULL UNIQUE REFERENCES scanned_pages(id),
    status         TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    chosen_page_id INTEGER REFERENCES scanned_pages(id),
    reviewer       TEXT,
    resolved_at    TEXT,
    note           TEXT,
    version        INTEGER NOT NULL DEFAULT 1
);
-- A reviewer's acceptance of a validation warning (the guidelines leave room).
CREATE TABLE IF NOT EXISTS finding_acceptances (
    case_id     TEXT NOT NULL,
    finding_key TEXT NOT NULL,
    rule        TEXT NOT NULL,
    note        TEXT NOT NULL,
    reviewer    TEXT NOT NULL,
    accepted_at TEXT NOT NULL,
    PRIMARY KEY (case_id, finding_key)
);
-- Every change a person made: who, when, what, from and to.
CREATE TABLE IF NOT EXISTS audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    case_id   TEXT,
    target    TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    note      TEXT
);
"""


def resolve_db_path(db: Path | str | None) -> Path:
    """The database path: the --db option, else $SOFTA_DB, else ./softa.sqlite."""
    if db:
        return Path(db)
    env = os.environ.get(DB_ENV)
    return Path(env) if env else Path(DEFAULT_DB)


def data_dir(db_path: Path) -> Path:
    """Folder beside the database where page images and crops are kept."""
    return db_path.with_name(db_path.stem + "_files")


def now() -> str:
    """UTC timestamp in ISO 8601, second precision."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def connect(db_path: Path, *, create: bool = True) -> sqlite3.Connection:
    """Open (and create or migrate) the database, safe for several processes.

    Every fault of the place it lives (read-only, locked, full, corrupt: SQLite's quick_check runs
    once per database per process) is a DatabaseError with a message and a hint.
    """
    if not create and not db_path.exists():
        raise DatabaseError(f"{db_path}: no such database",
                            hint="run `softa forms` and `softa scan` first, or give --db / SOFTA_DB")
    if db_path.is_dir():
        raise DatabaseError(f"{db_path}: is een map, geen databasebestand", hint="geef het .sqlite-bestand met --db")
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(exc, db_path) from exc
    warn_shared_storage(db_path)
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(db_path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        _check_integrity_once(conn, db_path)
        # WAL lets reviewers read while the scanner or another reviewer writes.
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise DatabaseError(f"{db_path}: schema version {version} is newer than this softa ({SCHEMA_VERSION})",
                                hint="upgrade softa-forms")
        if version < SCHEMA_VERSION:
            # executescript commits on its own; the schema is idempotent (IF NOT EXISTS).
            conn.executescript(SCHEMA)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        for name, statement in LATER_INDEXES.items():
            if name not in present:
                conn.execute(statement)
    except sqlite3.Error as exc:
        if conn is not None:
            conn.close()
        raise sqlite_error(exc, db_path) from exc
    except DatabaseError:
        if conn is not None:
            conn.close()
        raise
    return conn


#: Problems of quick_check quoted in the message (the rest are more of the same).
QUICK_CHECK_SHOWN = 2
#: Databases (path, inode) whose integrity this process checked already.
_CHECKED: set[tuple[str, int]] = set()


def _check_integrity_once(conn: sqlite3.Connection, db_path: Path) -> None:
    """SQLite's own quick_check, once per database file per process; DatabaseError when it finds damage."""
    try:
        key = (str(db_path.resolve()), db_path.stat().st_ino)
    except OSError:
        return  # a new database: nothing to check yet
    if key in _CHECKED:
        return
    problems = [str(r[0]) for r in conn.execute("PRAGMA quick_check").fetchall()]
    if problems != ["ok"]:
        found = "; ".join(problems[:QUICK_CHECK_SHOWN]).replace("\n", "; ")
        raise DatabaseError(f"{db_path}: de database is beschadigd (SQLite quick_check: {found})", hint=CORRUPT_HINT)
    _CHECKED.add(key)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT: all or nothing, writers serialised across processes."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        with suppress(sqlite3.Error):  # the error that stopped the transaction is the one to report
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def register_case(conn: sqlite3.Connection, manifest: Manifest, layout: CaseLayout) -> None:
    """Store (or replace) a case's manifest and layout so the scanner knows its pages.

    Replacing a layout is refused once pages of the case were scanned with a
    different layout: the stored readings refer to the old box positions.
    """
    layout_text = layout.dumps()
    check_layout_text(layout_text, f"casus {manifest.case}")
    if layout.case != manifest.case:
        raise LayoutError(f"de opmaak van casus {layout.case} hoort niet bij het manifest van casus {manifest.case}",
                          hint="geef de opmaak en het manifest van dezelfde casus")
    sha = layout_sha256(layout, layout_text)
    with transaction(conn):
        check_layout_replaceable(conn, manifest.case, sha)
        stamp = now()
        conn.execute(
            "INSERT INTO cases(case_id, manifest_json, layout_json, layout_sha256, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(case_id) DO UPDATE SET manifest_json = excluded.manifest_json, "
            "layout_json = excluded.layout_json, layout_sha256 = excluded.layout_sha256, updated_at = excluded.updated_at",
            (manifest.case, json.dumps(manifest.to_dict(), ensure_ascii=False), layout_text, sha, stamp, stamp))
        for table in ("layout_pages", "layout_boxes", "layout_regions"):
            conn.execute(f"DELETE FROM {table} WHERE case_id = ?", (manifest.case,))
        conn.executemany(
            "INSERT INTO layout_pages VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(manifest.case, p.index, p.qr, p.form, p.participant, p.slot, p.page, p.pages) for p in layout.pages])
        conn.executemany(
            "INSERT INTO layout_boxes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(manifest.case, b.id, p.index, b.kind, b.group, b.participant, b.slot, b.dimension,
              b.item, b.window, b.value, b.bin) for p in layout.pages for b in p.boxes])
        conn.executemany(
            "INSERT INTO layout_regions VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(manifest.case, r.id, p.index, r.participant, r.slot, r.dimension, r.label)
             for p in layout.pages for r in p.regions])


def layout_sha256(layout: CaseLayout, text: str | None = None) -> str:
    """Fingerprint of a layout as stored (``text``: its ``dumps()`` when already made)."""
    return hashlib.sha256((text or layout.dumps()).encode("utf-8")).hexdigest()


def check_layout_replaceable(conn: sqlite3.Connection, case_id: str, sha: str) -> None:
    """Refuse a changed layout for a case whose pages were already scanned with the old one."""
    row = conn.execute("SELECT layout_sha256 FROM cases WHERE case_id = ?", (case_id,)).fetchone()
    if row is None or row["layout_sha256"] == sha:
        return
    scanned = conn.execute("SELECT COUNT(*) FROM scanned_pages WHERE case_id = ?", (case_id,)).fetchone()[0]
    if scanned:
        raise LayoutError(f"case {case_id} already has {scanned} scanned pages printed with a different layout",
                          hint="keep the manifest as it was printed, or use a new case number or database")


def case_ids(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT case_id FROM cases ORDER BY case_id")]


def load_case_manifest(conn: sqlite3.Connection, case_id: str) -> Manifest:
    row = conn.execute("SELECT manifest_json FROM cases WHERE case_id = ?", (case_id,)).fetchone()
    if row is None:
        raise LayoutError(f"case {case_id} is not in the database",
                          hint=f"run `softa forms <manifest for {case_id}>` with the same --db first")
    return parse_manifest(json.loads(row[0]), source=f"database case {case_id}", check_roles=False)


def load_case_layout(conn: sqlite3.Connection, case_id: str) -> CaseLayout:
    row = conn.execute("SELECT layout_json FROM cases WHERE case_id = ?", (case_id,)).fetchone()
    if row is None:
        raise LayoutError(f"case {case_id} has no layout in the database",
                          hint=f"run `softa forms <manifest for {case_id}>` with the same --db first")
    return layout_from_json(json.loads(row[0]))


def audit(conn: sqlite3.Connection, *, actor: str, action: str, case_id: str | None, target: str,
          old: object, new: object, note: str | None = None) -> None:
    """Record one human change (call inside the same transaction as the change)."""
    conn.execute(
        "INSERT INTO audit_log(at, actor, action, case_id, target, old_value, new_value, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (now(), actor, action, case_id, target, json.dumps(old, ensure_ascii=False),
         json.dumps(new, ensure_ascii=False), note))


#: Page statuses that hold readings of a case's layout (an unidentified page only names the case).
READ_STATUSES = ("identified", "assigned", "duplicate")


def case_scan_count(conn: sqlite3.Connection, case_id: str) -> int:
    """Scanned pages read against the case's layout (identified, assigned or duplicate)."""
    return int(conn.execute(
        f"SELECT COUNT(*) FROM scanned_pages WHERE case_id = ? AND status IN {READ_STATUSES}", (case_id,)
    ).fetchone()[0])


def remove_case(conn: sqlite3.Connection, case_id: str, *, with_scans: bool, actor: str) -> int:
    """Remove a case: its manifest, layout and values; with ``with_scans`` also its scanned pages.

    A case with scanned pages is refused unless ``with_scans``. The files those pages came from are
    marked pending again, so a later `softa scan` of them reads the pages anew (against the layout
    registered by then). Page images stay in the data folder (named by content, other rows may
    share them). Returns the number of scanned pages removed. One transaction; audited.
    """
    with transaction(conn):
        if conn.execute("SELECT 1 FROM cases WHERE case_id = ?", (case_id,)).fetchone() is None:
            known = case_ids(conn)
            raise LayoutError(f"casus {case_id!r} staat niet in de database",
                              hint=f"bekende casussen: {', '.join(known)}" if known else "de database heeft geen casussen")
        scans = case_scan_count(conn, case_id)
        if scans and not with_scans:
            raise SoftaError(f"casus {case_id!r} heeft {scans} gescande pagina('s) en is niet verwijderd",
                             hint="geef --with-scans om de casus met de metingen en beslissingen van die pagina's "
                                  "te verwijderen")
        pages = [int(r[0]) for r in conn.execute(
            f"SELECT id FROM scanned_pages WHERE case_id = ? AND status IN {READ_STATUSES}", (case_id,))]
        sources = {int(r[0]) for r in conn.execute(
            f"SELECT DISTINCT source_id FROM scanned_pages WHERE case_id = ? AND status IN {READ_STATUSES}", (case_id,))}
        conn.execute("DELETE FROM duplicates WHERE case_id = ?", (case_id,))
        for table in ("box_values", "region_values", "finding_acceptances"):
            conn.execute(f"DELETE FROM {table} WHERE case_id = ?", (case_id,))
        conn.executemany("DELETE FROM box_reads WHERE page_id = ?", [(p,) for p in pages])
        conn.executemany("DELETE FROM scanned_pages WHERE id = ?", [(p,) for p in pages])
        conn.executemany("UPDATE source_files SET status = 'pending', completed_at = NULL WHERE id = ?",
                         [(s,) for s in sources])
        conn.execute("DELETE FROM cases WHERE case_id = ?", (case_id,))  # layout rows go with it (ON DELETE CASCADE)
        audit(conn, actor=actor, action="remove_case", case_id=case_id, target=f"case:{case_id}",
              old={"scanned_pages": len(pages)}, new=None)
    return len(pages)
