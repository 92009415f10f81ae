"""Faults of the place the database lives: disk full, read-only, locked, corrupt, moved away, shared.

Every such fault reaches the user as a DatabaseError with a Dutch message that
names the file and a hint what to do; never as a traceback. SQLite reports
them as sqlite3 errors with a result code, the data folder as OSError with an
errno; both are translated here.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from softa.errors import DatabaseError

#: SQLite primary result codes (https://sqlite.org/rescode.html); the extended code's low byte.
SQLITE_PERM, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY = 3, 5, 6, 8
SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 10, 11, 13, 14, 26
#: Extended code: the database file was moved or deleted while open.
SQLITE_READONLY_DBMOVED = 1032
PRIMARY_CODE_MASK = 0xFF
#: Folder names of sync clients: SQLite's locking does not hold across their copies.
SYNCED_FOLDER_NAMES = ("onedrive", "dropbox", "google drive", "googledrive", "icloud", "icloud drive",
                       "mobile documents", "sharepoint", "nextcloud", "owncloud", "box sync")
#: File system types of network shares (from /proc/mounts), where SQLite's locking is unreliable.
NETWORK_FS_TYPES = ("nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "fuse.sshfs", "sshfs", "afs", "ceph",
                    "glusterfs", "fuse.glusterfs", "davfs", "fuse.davfs2", "fuse.rclone", "9p", "lustre", "gpfs")
MOUNTS = Path("/proc/mounts")

FULL_HINT = ("maak ruimte vrij op de schijf en start de opdracht opnieuw; wat al is opgeslagen blijft bewaard "
             "en een nieuwe scan gaat verder waar deze stopte")
READONLY_HINT = ("geef schrijfrechten op het bestand én op de map (SQLite schrijft er -wal- en -shm-bestanden "
                 "naast), of kopieer de database naar een map waarin u mag schrijven en geef --db")
CORRUPT_HINT = ("zet een reservekopie van de database terug; kopieer of synchroniseer een database nooit terwijl "
                "softa ermee werkt")


def process_alive(pid: int) -> bool:
    """True while process ``pid`` exists (one owned by another user counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_only_place(db_path: Path) -> bool:
    """Whether the database file or its folder cannot be written (read-only disk, or no permission)."""
    folder = db_path.parent if str(db_path.parent) else Path(".")
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        return False
    if db_path.exists() and not os.access(db_path, os.W_OK):
        return True
    return not os.access(folder, os.W_OK)


def sqlite_error(exc: sqlite3.Error, db_path: Path | None) -> DatabaseError:
    """The DatabaseError (Dutch, with a hint) for an error SQLite raised on ``db_path``."""
    where = str(db_path) if db_path is not None else "database"
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & PRIMARY_CODE_MASK if isinstance(code, int) else None
    text = str(exc)
    if primary == SQLITE_FULL or "disk is full" in text:
        return DatabaseError(f"{where}: de schijf is vol, de database kan niet verder groeien", hint=FULL_HINT)
    if code == SQLITE_READONLY_DBMOVED:
        return moved_error(db_path)
    if primary in (SQLITE_BUSY, SQLITE_LOCKED) or "locked" in text:
        return DatabaseError(f"{where}: de database is bezet door een ander programma ({text})",
                             hint="wacht tot de andere scan, export of review-opdracht klaar is, of sluit het "
                                  "programma dat de database open heeft, en probeer het opnieuw")
    if primary in (SQLITE_CORRUPT, SQLITE_NOTADB) or "malformed" in text or "not a database" in text:
        return DatabaseError(f"{where}: de database is beschadigd of geen SQLite-bestand ({text})", hint=CORRUPT_HINT)
    if primary in (SQLITE_READONLY, SQLITE_PERM, SQLITE_CANTOPEN, SQLITE_IOERR) or "readonly" in text:
        if db_path is not None and _read_only_place(db_path):
            return DatabaseError(f"{where}: de database of haar map is alleen-lezen ({text})", hint=READONLY_HINT)
        if primary == SQLITE_IOERR:
            return DatabaseError(f"{where}: lees- of schrijffout op de schijf ({text})",
                                 hint="controleer de schijf of de netwerkverbinding en probeer het opnieuw")
        return DatabaseError(f"{where}: de database kan niet worden geopend of geschreven ({text})",
                             hint="controleer het pad en de rechten van het bestand en de map")
    return DatabaseError(f"{where}: databasefout ({text})",
                         hint="probeer het opnieuw; blijft de fout, zet dan een reservekopie terug")


def storage_error(exc: OSError, db_path: Path | None = None) -> DatabaseError:
    """The DatabaseError (Dutch, with a hint) for a file operation that failed beside the database."""
    where = exc.filename or (str(db_path) if db_path is not None else "bestand")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DatabaseError(f"{where}: de schijf is vol", hint=FULL_HINT)
    if exc.errno == errno.EROFS:
        return DatabaseError(f"{where}: de schijf is alleen-lezen", hint=READONLY_HINT)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return DatabaseError(f"{where}: geen toestemming om te schrijven", hint=READONLY_HINT)
    return DatabaseError(f"{where}: {exc.strerror or exc}",
                         hint="controleer de schijf, het pad en de rechten en probeer het opnieuw")


def moved_error(db_path: Path | None) -> DatabaseError:
    where = str(db_path) if db_path is not None else "de database"
    return DatabaseError(f"{where}: de database is tijdens het werk verwijderd, verplaatst of vervangen",
                         hint="zet de database terug op haar plek (of geef --db met de nieuwe plek) en start de "
                              "opdracht opnieuw; wat na het verwijderen werd gelezen, is niet opgeslagen")


@contextmanager
def database_faults(db_path: Path) -> Iterator[None]:
    """Turn SQLite and file-system errors inside the block into DatabaseError naming ``db_path``."""
    try:
        yield
    except sqlite3.Error as exc:
        raise sqlite_error(exc, db_path) from exc
    except OSError as exc:
        raise storage_error(exc, db_path) from exc


FileIdentity = tuple[int, int]


def file_identity(path: Path) -> FileIdentity | None:
    """Device and inode of a file: changes when the file is deleted or replaced by another."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def check_unchanged(db_path: Path, identity: FileIdentity | None) -> None:
    """Raise DatabaseError when the database file is no longer the one that was opened."""
    if identity is not None and file_identity(db_path) != identity:
        raise moved_error(db_path)


def _mount_type(path: Path, mounts: Path) -> str | None:
    """File system type of the mount holding ``path`` (longest mount point that is a prefix)."""
    try:
        lines = mounts.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    best, best_type = "", None
    text = str(path)
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        inside = text == point or text.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, best_type = point, parts[2]
    return best_type


def shared_storage_warning(db_path: Path, mounts: Path = MOUNTS) -> str | None:
    """A warning when the database sits in a synced folder or on a network share; else None."""
    path = db_path.resolve()
    for part in path.parts:
        lowered = part.lower()
        if any(lowered == name or lowered.startswith(name + " ") or lowered.startswith(name + "-")
               for name in SYNCED_FOLDER_NAMES):
            return (f"let op: de database {db_path} staat in een gesynchroniseerde map ({part}); daar werkt de "
                    "vergrendeling van SQLite niet en kunnen gegevens verloren gaan of beschadigen. Zet de database "
                    "op een lokale schijf en maak reservekopieën als de opdracht klaar is.")
    fs_type = _mount_type(path, mounts)
    if fs_type is not None and fs_type.lower() in NETWORK_FS_TYPES:
        return (f"let op: de database {db_path} staat op een netwerkschijf ({fs_type}); daar werkt de vergrendeling "
                "van SQLite niet betrouwbaar. Zet de database op een lokale schijf.")
    return None


_WARNED: set[str] = set()


def warn_shared_storage(db_path: Path) -> None:
    """Print the shared-storage warning on stderr, once per database per process."""
    key = str(db_path.resolve())
    if key in _WARNED:
        return
    _WARNED.add(key)
    warning = shared_storage_warning(db_path)
    if warning:
        print(f"softa: {warning}", file=sys.stderr)
