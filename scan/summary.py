"""What a scan run did, per file and in total, as the user reads it at the end."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from softa.errors import ScanIncomplete

REASON_TEXT = {
    "blank": "blank page",
    "no_qr": "no softa QR code found",
    "unknown_case": "case not in the database",
    "unknown_page": "page not in the case's layout",
    "unreadable": "image unreadable",
    "damaged": "page damaged (its image cannot be decoded)",
    "printed_form": "a page of the form PDF itself (drawn by `softa forms`, not a scan of paper)",
    "misregistered": "registration marks not found or off: all boxes flagged",
    "bitonal": "1-bit scan: light pencil marks may be lost (check the paper)",
    "duplicate": "second scan of a page already stored",
    "same_image": "same image already stored from another file",
}


@dataclass
class FileSummary:
    """Counts and problems of one input file."""

    path: Path
    pages: int = 0
    identified: int = 0
    boxes: int = 0
    flagged: int = 0
    resumed: int = 0
    reread: int = 0
    #: Stored page images that were missing from the data folder and were written again from the file.
    repaired: int = 0
    #: Pages stored by an earlier run that still wait unidentified (counted in ``statuses`` too).
    waiting: int = 0
    skipped: str | None = None
    error: str | None = None
    statuses: Counter[str] = field(default_factory=Counter)
    problems: list[tuple[int, str]] = field(default_factory=list)

    def add(self, page_number: int, status: str, reason: str | None, boxes: int, flagged: int,
            error: str | None = None) -> None:
        self.pages += 1
        self.statuses[status] += 1
        self.boxes += boxes
        self.flagged += flagged
        if status in ("identified", "assigned"):
            self.identified += 1
            if reason:  # e.g. "misregistered,bitonal"
                self.problems.append((page_number, "; ".join(REASON_TEXT.get(r, r) for r in reason.split(","))))
            return
        key = reason if status == "unidentified" else status
        text = REASON_TEXT.get(key or "", key or status)
        if error:
            text += f" ({error})"
        self.problems.append((page_number, text))

    def add_waiting(self, page_number: int, reason: str | None) -> None:
        """A page an earlier run stored that still waits unidentified (not read again by this run)."""
        self.waiting += 1
        self.statuses["unidentified"] += 1
        self.problems.append((page_number, f"{REASON_TEXT.get(reason or '', reason or 'unidentified')}"
                                           " (stored by an earlier run, still waiting)"))

    def progress_line(self) -> str:
        """One line for a log while the batch runs: the file and what became of it."""
        if self.error:
            return f"{self.path}: failed"
        if self.skipped:
            return f"{self.path}: already scanned"
        return f"{self.path}: {self.pages} page(s) read, {self.identified} identified"

    def problem_lines(self) -> list[str]:
        """Problems grouped by kind, with page ranges: 'pages 1-3, 7: blank page'."""
        grouped: dict[str, list[int]] = {}
        for page, text in self.problems:
            grouped.setdefault(text, []).append(page)
        return [f"{_pages(pages)}: {text}" for text, pages in grouped.items()]


def _pages(numbers: list[int]) -> str:
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    text = ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)
    return f"page{'s' if len(numbers) > 1 else ''} {text}"


#: At most this many passed-over file names are listed in the summary (the rest are counted).
PASSED_OVER_LISTED = 10


@dataclass
class ScanSummary:
    files: list[FileSummary] = field(default_factory=list)
    #: Images in the input folders of a type that is not read (listed so none goes unnoticed).
    passed_over: list[Path] = field(default_factory=list)

    def total(self, attribute: str) -> int:
        return sum(getattr(f, attribute) for f in self.files)

    def status_count(self, status: str) -> int:
        return sum(f.statuses[status] for f in self.files)

    @property
    def unidentified(self) -> int:
        return self.status_count("unidentified")

    @property
    def failed_files(self) -> list[FileSummary]:
        return [f for f in self.files if f.error]

    def lines(self) -> list[str]:
        """The summary as printed at the end of `softa scan`."""
        boxes, flagged = self.total("boxes"), self.total("flagged")
        share = f" ({100 * flagged / boxes:.2f} %)" if boxes else ""
        earlier = self.total("waiting")
        waiting = f" ({earlier} of them stored by an earlier run)" if earlier else ""
        out = [
            f"Scanned {len(self.files)} file(s), {self.total('pages')} page(s) read: "
            f"{self.total('identified')} identified, {self.status_count('duplicate')} duplicate(s), "
            f"{self.unidentified} unidentified{waiting}, {self.status_count('same_image')} already stored; "
            f"{flagged} of {boxes} boxes flagged{share}.",
        ]
        for f in self.files:
            if f.error:
                out.append(f"  {f.path}: FAILED: {f.error.removeprefix(f'{f.path}: ')}")
                continue
            if f.skipped:
                out.append(f"  {f.path}: {f.skipped}")
                continue
            head = f"  {f.path}: {f.pages} page(s), {f.identified} identified, {f.flagged} box(es) flagged"
            if f.resumed:
                head += f" (resumed: {f.resumed} page(s) stored by an earlier run)"
            if f.reread:
                head += f" ({f.reread} page(s) read again: their case is known now)"
            if f.repaired:
                head += f" ({f.repaired} missing page image(s) written again)"
            out.append(head + ("" if f.problems else ", no problems"))
            out.extend(f"    - {p}" for p in f.problem_lines())
        if self.passed_over:
            names = ", ".join(str(p) for p in self.passed_over[:PASSED_OVER_LISTED])
            more = len(self.passed_over) - PASSED_OVER_LISTED
            out.append(f"  Images not read (not PDF, TIFF, PNG or JPEG): {names}" + (f" and {more} more" if more > 0 else "")
                       + "; convert photos (e.g. .heic) to JPEG and scan them if they are form pages.")
        return out

    def check(self) -> None:
        """Raise ScanIncomplete unless every page was identified and no file failed."""
        failed = self.failed_files
        problems = []
        if self.unidentified:
            problems.append(f"{self.unidentified} page(s) not identified")
        if failed:
            problems.append(f"{len(failed)} file(s) could not be read: " + ", ".join(str(f.path) for f in failed))
        if problems:
            hint = "assign or set aside the pages with `softa review`; fix or rescan failed files"
            if any(text.startswith(REASON_TEXT["printed_form"]) for f in self.files for _, text in f.problems):
                hint = ("scan the filled-in paper, not the PDF `softa forms` wrote (keep those out of the scan "
                        "folders); " + hint)
            if any(text.startswith(REASON_TEXT["damaged"]) for f in self.files for _, text in f.problems):
                hint = "scan the damaged page(s) again (the file is damaged, e.g. cut off while copying); " + hint
            if any(text.startswith(REASON_TEXT["unknown_case"]) for f in self.files for _, text in f.problems):
                hint = ("for pages of an unknown case: run `softa forms CASE.toml` on this database, or give "
                        "--layout <case>_layout.json, and scan again; otherwise " + hint)
            raise ScanIncomplete("; ".join(problems), hint=hint)
