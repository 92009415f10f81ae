"""Run a scan batch: files in, pages read by worker processes, results stored by the main process."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from tqdm import tqdm

from scan.inputs import SourceReader, discover, passed_over, sha256_file, sniff
from scan.paths import clean_leftovers, write_atomic
from scan.pipeline import PageResult, close_reader, init_worker, read_page
from scan.store import begin_source, finish_source, missing_images, rereadable_pages, set_page_count, store_page
from scan.summary import FileSummary, ScanSummary
from softa.db import connect, data_dir, register_case
from softa.errors import InputFileError, LayoutError, ManifestError
from softa.layout import CaseLayout, layout_from_json
from softa.layout_check import load_checked_layout
from softa.manifest import Manifest, Participant, load_manifest
from softa.storage import check_unchanged, database_faults, file_identity

#: Pages handed to a worker at a time: enough to hide the queue round trip.
CHUNK_PAGES = 2
#: How often a worker looks whether its parent is still there; it ends within this time after the parent.
PARENT_POLL_S = 0.5
#: Exit status of a worker that ended because its parent was gone.
WORKER_ORPHAN_EXIT = 3
#: Minutes per timeline bin (manual: speaking time in 30-second bins).
BIN_MINUTES = 0.5


def _manifest_beside(layout: CaseLayout, layout_file: Path) -> Manifest | None:
    for folder in (layout_file.parent, layout_file.parent.parent):
        for candidate in sorted(folder.glob("*.toml")):
            try:
                manifest = load_manifest(candidate)
            except ManifestError:
                continue
            if manifest.case == layout.case:
                return manifest
    return None


def _manifest_from_layout(layout: CaseLayout) -> Manifest:
    """A minimal manifest rebuilt from a layout alone (roles and names unknown)."""
    codes = sorted({b.participant for b in layout.boxes() if b.participant[:1] in ("H", "C")},
                   key=lambda c: (c[0] != "H", int(c[1:]) if c[1:].isdigit() else 0))
    bins = max((b.bin or 0 for b in layout.boxes()), default=0)
    windows = max((b.window or 0 for b in layout.boxes()), default=1)
    minutes = int(bins * BIN_MINUTES) or windows * 5
    return Manifest(case=layout.case, date=dt.date.today(), minutes=minutes,
                    observers=("observator 1", "observator 2"),
                    participants=tuple(Participant(code=c, role="hulpverlener" if c.startswith("H") else "cliënt")
                                       for c in codes))


def register_layout_file(conn: sqlite3.Connection, layout_file: Path, layout: CaseLayout | None = None) -> str:
    """Make a ``<case>_layout.json`` known to the database; return a line for the summary.

    ``layout``: the file's layout, already read and checked (else it is read and checked here).
    """
    if layout is None:
        layout = load_checked_layout(layout_file)
    row = conn.execute("SELECT layout_json FROM cases WHERE case_id = ?", (layout.case,)).fetchone()
    if row is not None:
        if layout_from_json(json.loads(row["layout_json"])).to_json() == layout.to_json():
            return f"layout {layout_file}: case {layout.case} already known"
        raise LayoutError(f"{layout_file}: case {layout.case} is already in the database with a different layout",
                          hint="use the layout written by the `softa forms` run that printed these pages")
    manifest = _manifest_beside(layout, layout_file)
    note = "with its manifest"
    if manifest is None:
        manifest = _manifest_from_layout(layout)
        note = "without a manifest (roles, names and date unknown: run `softa forms` with the manifest to add them)"
    register_case(conn, manifest, layout)
    return f"layout {layout_file}: case {layout.case} registered {note}"


class PageReader:
    """Maps (path, page, source sha) tasks to results, in order: in this process, or in worker processes.

    A worker process that dies (a decoder crashing on a damaged file, or killed for memory) breaks the
    pool: ``map`` then raises BrokenProcessPool instead of waiting forever, and ``restart`` starts a
    fresh pool for the rest of the batch.
    """

    def __init__(self, db_path: Path, data: Path, workers: int) -> None:
        self._args = (str(db_path), str(data))
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> PageReader:
        if self._workers <= 1:
            init_worker(*self._args)
        else:
            self.restart()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        close_reader()

    def restart(self) -> None:
        """Start a fresh pool of workers (after one died)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = ProcessPoolExecutor(self._workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=init_scan_worker, initargs=self._args)

    def map(self, tasks: Iterable[tuple[str, int, str]]) -> Iterator[PageResult]:
        """The results of the tasks, in their order."""
        if self._pool is None:
            return map(read_page, tasks)
        return self._pool.map(read_page, tasks, chunksize=CHUNK_PAGES)


def _watch_parent(parent: int) -> None:
    """End this worker as soon as its parent is gone (killed, even by SIGKILL): it is re-parented then."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(WORKER_ORPHAN_EXIT)


def init_scan_worker(db_path: str, data: str | None) -> None:
    """Pool initializer: end with the parent, leave Ctrl-C to the parent, then the pipeline's own set-up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the pool; a worker must not print a traceback
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True, name="parent-watch").start()
    init_worker(db_path, data)


def _stop_on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM ends a scan like Ctrl-C: the page being stored is rolled back, the workers are stopped."""
    raise KeyboardInterrupt


def run_scan(db_path: Path, inputs: list[Path], *, layout_files: Iterable[Path] = (), workers: int = 1,
             progress: bool = True, notes: list[str] | None = None) -> ScanSummary:
    """Scan the inputs into the database; every page ends stored and accounted for in the summary.

    Faults of the database or its data folder (disk full, read-only, locked, the file deleted or
    replaced during the run) end the run with a DatabaseError; what was stored stays, and a rerun
    goes on where this one stopped.
    """
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm) if in_main else None
    try:
        with database_faults(db_path):
            return _run_scan(db_path, inputs, layout_files=layout_files, workers=workers, progress=progress,
                             notes=notes)
    finally:
        if in_main and previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _run_scan(db_path: Path, inputs: list[Path], *, layout_files: Iterable[Path], workers: int,
              progress: bool, notes: list[str] | None) -> ScanSummary:
    conn = connect(db_path)
    identity = file_identity(db_path)

    def guard() -> None:
        check_unchanged(db_path, identity)
    data = data_dir(db_path)
    clean_leftovers(data)  # temporary files of writes an earlier run could not finish
    # Every layout is read and checked before any is registered: a bad one leaves the database as it was.
    checked = [(layout_file, load_checked_layout(layout_file)) for layout_file in layout_files]
    for layout_file, layout in checked:
        line = register_layout_file(conn, layout_file, layout)
        if notes is not None:
            notes.append(line)
    summary = ScanSummary()
    files = discover(inputs, exclude=[data])
    summary.passed_over = passed_over(inputs, exclude=[data])
    if not files:
        conn.close()
        others = f" (only images of other types: {', '.join(map(str, summary.passed_over))})" \
            if summary.passed_over else ""
        raise InputFileError(f"no PDF, TIFF, PNG or JPEG file in {', '.join(map(str, inputs))}{others}",
                             hint="give the scanner's files, or the folder they are in")
    # A live bar only on a terminal: piped into a log, its redraws would fill the log; there each file
    # gets one line instead.
    live = progress and sys.stderr.isatty()
    bar = tqdm(total=0, unit="page", disable=not live, dynamic_ncols=True)
    try:
        with PageReader(db_path, data, workers) as reader:
            for path in files:
                guard()
                summary.files.append(_scan_file(conn, data, path, reader, bar, guard))
                if progress and not live:
                    print(f"[{len(summary.files)}/{len(files)}] {summary.files[-1].progress_line()}",
                          file=sys.stderr, flush=True)
    finally:
        bar.close()
        conn.close()
    return summary


def _scan_file(conn: sqlite3.Connection, data: Path, path: Path,
               pages: PageReader, bar: tqdm, guard: Callable[[], None] = lambda: None) -> FileSummary:
    """Scan one file; ``guard`` runs after every page stored (it raises when the database was replaced)."""
    fs = FileSummary(path=path)
    try:
        sha, size = sha256_file(path), path.stat().st_size
    except OSError as exc:
        fs.error = f"cannot read the file ({exc.strerror or exc})"
        return fs
    try:
        media = sniff(path)
    except OSError:
        media = None
    state = begin_source(conn, path, sha, size, media)
    fs.repaired = repair_images(conn, data, state.id, path)
    retry = rereadable_pages(conn, state.id)
    if state.status == "complete" and not retry:
        fs.skipped = "already scanned (same content), nothing changed"
        if fs.repaired:
            fs.skipped = f"already scanned (same content); {fs.repaired} missing page image(s) written again"
        _count_waiting(conn, state.id, set(), fs)
        if fs.waiting:
            fs.skipped += f"; {fs.waiting} of its page(s) still wait in the unidentified queue"
        return fs
    try:
        reader = SourceReader(path)
    except InputFileError as exc:
        finish_source(conn, state.id, str(exc))
        fs.error = exc.message
        return fs
    with reader:
        count, media_type = reader.page_count, reader.media_type
    set_page_count(conn, state.id, media_type, count)
    todo = [n for n in range(1, count + 1) if n not in state.stored_pages or n in retry]
    fs.resumed = count - len(todo) if state.status == "pending" else 0
    fs.reread = len(retry)
    bar.total += len(todo)
    bar.refresh()
    try:
        for result in pages.map((str(path), n, sha) for n in todo):
            stored = store_page(conn, data, state.id, sha, result, replace_id=retry.get(result.page_number))
            guard()
            fs.add(result.page_number, stored.status, stored.reason, stored.boxes, stored.flagged, result.error)
            bar.update(1)
    except BrokenProcessPool:
        lost = todo[fs.pages:]  # results come in page order: the first ones are stored
        fs.error = (f"a worker process stopped while reading page(s) {lost[0]}-{lost[-1]} (the file may be damaged);"
                    f" {fs.pages} page(s) before were stored")
        finish_source(conn, state.id, f"{path}: {fs.error}")
        pages.restart()
        _count_waiting(conn, state.id, set(todo[:fs.pages]), fs)
        return fs
    finish_source(conn, state.id)
    _count_waiting(conn, state.id, set(todo), fs)
    return fs


def _count_waiting(conn: sqlite3.Connection, source_id: int, read_now: set[int], fs: FileSummary) -> None:
    """Add the file's pages an earlier run stored that still wait for a person: the summary covers every page."""
    rows = conn.execute("SELECT page_number, reason FROM scanned_pages WHERE source_id = ? AND status = 'unidentified'"
                        " ORDER BY page_number", (source_id,)).fetchall()
    for row in rows:
        if int(row[0]) not in read_now:
            fs.add_waiting(int(row[0]), row[1])


def repair_images(conn: sqlite3.Connection, data: Path, source_id: int, path: Path) -> int:
    """Write again the stored images of this file's pages that are missing from the data folder.

    Only the exact bytes stored before are written (checked by their SHA-256); returns how many.
    """
    missing = missing_images(conn, data, source_id)
    if not missing:
        return 0
    repaired = 0
    try:
        with SourceReader(path) as reader:
            for number, (image_path, image_sha) in sorted(missing.items()):
                if number > reader.page_count:
                    continue
                try:
                    image = reader.load(number)
                except InputFileError:
                    continue
                if image.image_sha256 == image_sha:
                    write_atomic(data / image_path, image.stored_bytes)
                    repaired += 1
    except InputFileError:
        return repaired
    return repaired
