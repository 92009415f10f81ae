"""What the screen shows for one queue item, read fresh from the database per request."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from review import describe as d
from review.decisions import rating_rows, rating_token
from review.display import source_label
from review.pages import own_identity
from review.queue import FindingCache, split_key
from review.rows import RowPart, row_parts
from softa.instrument import SPREEKTIJD_BALANS, TAALGEBRUIK, load_instrument
from softa.manifest import Manifest, parse_manifest

#: Suffix of a form page in the assign list that already has a scan.
ALREADY_SCANNED = " (al gescand)"
#: Page reasons for which setting the page aside is the likely decision.
SET_ASIDE_REASONS = frozenset({"blank"})
#: Manifests rarely change during a review session; keep a few decoded.
MANIFEST_CACHE_SIZE = 32


@lru_cache(maxsize=MANIFEST_CACHE_SIZE)
def _manifest_from_json(text: str) -> Manifest:
    return parse_manifest(json.loads(text), source="database", check_roles=False)


def manifest_of(conn: sqlite3.Connection, case_id: str | None) -> Manifest | None:
    if case_id is None:
        return None
    row = conn.execute("SELECT manifest_json FROM cases WHERE case_id = ?", (case_id,)).fetchone()
    return None if row is None else _manifest_from_json(row[0])


def page_label(conn: sqlite3.Connection, case_id: str | None, page_index: int | None) -> str:
    """E.g. ``Cliënt C2 · Observator 1 · pagina 1/2``."""
    if case_id is None or page_index is None:
        return ""
    row = conn.execute("SELECT * FROM layout_pages WHERE case_id = ? AND page_index = ?",
                       (case_id, page_index)).fetchone()
    if row is None:
        return f"pagina {page_index}"
    parts = [d.FORM_NAMES.get(row["form"], row["form"]) + (f" {row['participant']}" if row["participant"] else "")]
    if row["slot"] is not None:
        parts.append(d.slot_text(row["slot"]))
    parts.append(f"pagina {row['page']}/{row['pages']}")
    return " · ".join(parts)


@dataclass(frozen=True)
class Context:
    """Who and where: shown above every box, row and text."""

    case_id: str
    participant: str
    slot: str
    dimension: str
    page: str


def _context(conn: sqlite3.Connection, case_id: str, participant: str | None, slot: str | None,
             dimension: str | None, page_index: int | None) -> Context:
    return Context(case_id=case_id, participant=d.participant_text(manifest_of(conn, case_id), participant),
                   slot=d.slot_text(slot), dimension=d.dimension_text(dimension),
                   page=page_label(conn, case_id, page_index))


@dataclass(frozen=True)
class BoxDetail:
    case_id: str
    box_id: str
    kind: str
    group: str
    context: Context
    what: str
    when: str
    checked: bool
    status: str
    reason: str
    confidence: float | None
    version: int
    page_id: int | None
    reviewer: str | None
    read: dict[str, Any] | None
    #: The printed parts of the box's row (two when it continues on another page).
    parts: tuple[RowPart, ...] = ()
    reviewed_at: str | None = None


def box_detail(conn: sqlite3.Connection, case_id: str, box_id: str) -> BoxDetail | None:
    row = conn.execute(
        "SELECT lb.*, bv.checked, bv.status, bv.reason, bv.confidence, bv.version, bv.page_id, bv.reviewer, "
        "bv.reviewed_at "
        "FROM layout_boxes lb JOIN box_values bv ON bv.case_id = lb.case_id AND bv.box_id = lb.box_id "
        "WHERE lb.case_id = ? AND lb.box_id = ?", (case_id, box_id)).fetchone()
    if row is None:
        return None
    read = None
    if row["page_id"] is not None:
        r = conn.execute("SELECT decision, confidence, reason, dark_ratio FROM box_reads WHERE page_id = ? AND box_id = ?",
                         (row["page_id"], box_id)).fetchone()
        if r is not None:
            read = {"decision": d.DECISIONS.get(r["decision"], r["decision"]), "confidence": r["confidence"],
                    "reason": d.reason_text(r["reason"]) if r["reason"] else "", "dark_ratio": r["dark_ratio"]}
    if row["kind"] == "timeline":
        what, when = f"Spreektijd van {d.participant_text(manifest_of(conn, case_id), row['participant'])}", \
            d.bin_text(row["bin"])
    else:
        what, when = d.item_text(row["participant"], row["dimension"], row["item"]), d.window_text(row["window"])
    return BoxDetail(case_id=case_id, box_id=box_id, kind=row["kind"], group=row["grp"],
                     context=_context(conn, case_id, row["participant"], row["slot"], row["dimension"],
                                      row["page_index"]),
                     what=what, when=when, checked=bool(row["checked"]), status=row["status"],
                     reason=d.reason_text(row["reason"]), confidence=row["confidence"], version=row["version"],
                     page_id=row["page_id"], reviewer=row["reviewer"], read=read,
                     parts=row_parts(conn, case_id, row["grp"]) if row["kind"] != "timeline" else (),
                     reviewed_at=row["reviewed_at"])


def _display(value: int, dimension: str) -> str:
    return str(value) if value == 0 or dimension == SPREEKTIJD_BALANS else f"{value:+d}"


@dataclass(frozen=True)
class RatingValue:
    value: int
    display: str
    label: str
    checked: bool
    shortcut: str


@dataclass(frozen=True)
class RatingDetail:
    case_id: str
    group: str
    context: Context
    question: str
    values: tuple[RatingValue, ...]
    status: str
    reason: str
    token: str
    page_id: int | None
    reviewer: str | None

    @property
    def ticked(self) -> str:
        chosen = [f"{v.display} ({v.label})" if v.label else v.display for v in self.values if v.checked]
        return ", ".join(chosen) if chosen else "geen waarde"


def _question(participant: str, slot: str | None, dimension: str) -> str:
    inst = load_instrument()
    if dimension == TAALGEBRUIK:
        return str(inst.extra["taalgebruik"]["question"])
    if dimension == SPREEKTIJD_BALANS:
        return str(inst.extra["self_assessment"]["balance_question"])
    try:
        dim = inst.dimension(dimension)
    except KeyError:
        return dimension
    return dim.rating_question("therapist" if participant.startswith("H") else "client")


def rating_detail(conn: sqlite3.Connection, case_id: str, group: str) -> RatingDetail | None:
    rows = rating_rows(conn, case_id, group)
    if not rows:
        return None
    meta = conn.execute("SELECT participant, slot, dimension, page_index FROM layout_boxes "
                        "WHERE case_id = ? AND grp = ? LIMIT 1", (case_id, group)).fetchone()
    inst = load_instrument()
    values = tuple(RatingValue(value=r["value"], display=_display(r["value"], r["dimension"]),
                               label=inst.scale_label(r["value"]) if r["dimension"] != SPREEKTIJD_BALANS
                               and r["value"] in inst.scale_values else "",
                               checked=bool(r["checked"]), shortcut=str(r["value"]))
                   for r in rows)
    statuses = {r["status"] for r in rows}
    status = "flagged" if "flagged" in statuses else ("reviewed" if statuses == {"reviewed"} else "auto")
    reasons = sorted({r["reason"] for r in rows if r["reason"]})
    reviewer = next((r["reviewer"] for r in rows if r["reviewer"]), None)
    return RatingDetail(case_id=case_id, group=group,
                        context=_context(conn, case_id, meta["participant"], meta["slot"], meta["dimension"],
                                         meta["page_index"]),
                        question=_question(meta["participant"], meta["slot"], meta["dimension"]),
                        values=values, status=status, reason=d.reason_text(",".join(reasons)) if reasons else "",
                        token=rating_token(rows), page_id=next((r["page_id"] for r in rows if r["page_id"]), None),
                        reviewer=reviewer)


@dataclass(frozen=True)
class PageOption:
    case_id: str
    value: str
    label: str


@dataclass(frozen=True)
class PageDetail:
    page_id: int
    status: str
    reason: str
    source: str
    page_number: int
    version: int
    note: str | None
    has_image: bool
    options: tuple[PageOption, ...]
    #: The first page of the list that has no scan yet: the likeliest answer.
    suggested: str | None
    #: Dutch words for the page's state once decided (``apart gelegd``, ``toegewezen``).
    status_text: str = ""
    #: A note to start from when setting the page aside (e.g. ``lege pagina`` for a blank back).
    suggested_note: str = ""
    #: The scanner's reason code (``blank``, ``no_qr``, ...).
    reason_code: str | None = None
    #: When the page's own QR code was read: what it says and what may be done (Dutch), else "".
    own_message: str = ""
    own_identity: str = ""

    @property
    def set_aside_likely(self) -> bool:
        """Blank pages, and pages when every form page already has a scan, are most likely no form."""
        if self.reason_code == "damaged":  # a damaged page may well be a form page: never pushed aside
            return False
        return self.reason_code in SET_ASIDE_REASONS or self.suggested is None


def page_detail(conn: sqlite3.Connection, page_id: int, case_filter: str | None) -> PageDetail | None:
    row = conn.execute("SELECT sp.*, sf.path AS source_path FROM scanned_pages sp "
                       "JOIN source_files sf ON sf.id = sp.source_id WHERE sp.id = ?", (page_id,)).fetchone()
    if row is None:
        return None
    own = own_identity(conn, row["qr"])
    args: tuple[Any, ...]
    if own is not None:
        # A page whose QR code was read is offered its own page only (none when its case is not registered).
        where, args = " WHERE lp.qr = ?", (row["qr"],)
    else:
        where, args = ("", ()) if not case_filter else (" WHERE lp.case_id = ?", (case_filter,))
    options = []
    for lp in conn.execute(
            "SELECT lp.case_id, lp.page_index, (SELECT COUNT(*) FROM scanned_pages sp WHERE sp.case_id = lp.case_id "
            "AND sp.page_index = lp.page_index AND sp.status IN ('identified', 'assigned')) AS scans "
            f"FROM layout_pages lp{where} ORDER BY lp.case_id, lp.page_index", args):
        label = page_label(conn, lp["case_id"], lp["page_index"])
        if lp["scans"]:
            label += ALREADY_SCANNED
        options.append(PageOption(case_id=lp["case_id"], value=f"{lp['case_id']}|{lp['page_index']}", label=label))
    source = source_label(row["source_path"])
    return PageDetail(page_id=page_id, status=row["status"], reason=d.reason_text(row["reason"]), source=source,
                      page_number=row["page_number"], version=row["version"], note=row["note"],
                      has_image=bool(row["image_path"]), options=tuple(options),
                      suggested=(own.target if own is not None else
                                 next((o.value for o in options if not o.label.endswith(ALREADY_SCANNED)), None)),
                      status_text=d.PAGE_STATUS.get(row["status"], row["status"]),
                      suggested_note=d.SET_ASIDE_NOTES.get(row["reason"] or "", ""), reason_code=row["reason"],
                      own_message=own.message if own is not None else "",
                      own_identity=own.identity.label if own is not None else "")


@dataclass(frozen=True)
class ScanInfo:
    page_id: int
    source: str
    page_number: int
    scanned_at: str
    quality: float | None
    registration_error_mm: float | None


@dataclass(frozen=True)
class DuplicateDetail:
    duplicate_id: int
    case_id: str
    page: str
    status: str
    version: int
    kept: ScanInfo
    other: ScanInfo
    chosen_page_id: int | None
    reviewer: str | None
    #: Boxes the two scans read differently (0: they read the same; only the images differ).
    differences: int = 0


def _scan_info(conn: sqlite3.Connection, page_id: int) -> ScanInfo:
    row = conn.execute("SELECT sp.*, sf.path AS source_path FROM scanned_pages sp "
                       "JOIN source_files sf ON sf.id = sp.source_id WHERE sp.id = ?", (page_id,)).fetchone()
    return ScanInfo(page_id=page_id, source=source_label(row["source_path"]),
                    page_number=row["page_number"], scanned_at=row["scanned_at"], quality=row["quality"],
                    registration_error_mm=row["registration_error_mm"])


def duplicate_detail(conn: sqlite3.Connection, duplicate_id: int) -> DuplicateDetail | None:
    row = conn.execute("SELECT * FROM duplicates WHERE id = ?", (duplicate_id,)).fetchone()
    if row is None:
        return None
    return DuplicateDetail(duplicate_id=duplicate_id, case_id=row["case_id"],
                           page=page_label(conn, row["case_id"], row["page_index"]), status=row["status"],
                           version=row["version"], kept=_scan_info(conn, row["kept_page_id"]),
                           other=_scan_info(conn, row["other_page_id"]), chosen_page_id=row["chosen_page_id"],
                           reviewer=row["reviewer"],
                           differences=conn.execute(
                               "SELECT COUNT(*) FROM box_reads a JOIN box_reads b ON b.box_id = a.box_id "
                               "AND b.page_id = ? WHERE a.page_id = ? AND a.decision != b.decision",
                               (row["other_page_id"], row["kept_page_id"])).fetchone()[0])


@dataclass(frozen=True)
class TextDetail:
    case_id: str
    region_id: str
    label: str
    context: Context
    transcription: str
    status: str
    version: int
    reviewer: str | None


def text_detail(conn: sqlite3.Connection, case_id: str, region_id: str) -> TextDetail | None:
    row = conn.execute(
        "SELECT rv.*, lr.label, lr.participant, lr.slot, lr.dimension, lr.page_index FROM region_values rv "
        "LEFT JOIN layout_regions lr ON lr.case_id = rv.case_id AND lr.region_id = rv.region_id "
        "WHERE rv.case_id = ? AND rv.region_id = ?", (case_id, region_id)).fetchone()
    if row is None:
        return None
    return TextDetail(case_id=case_id, region_id=region_id, label=row["label"] or region_id,
                      context=_context(conn, case_id, row["participant"], row["slot"], row["dimension"],
                                       row["page_index"]),
                      transcription=row["transcription"] or "", status=row["status"], version=row["version"],
                      reviewer=row["reviewer"])


@dataclass(frozen=True)
class TickLine:
    box_id: str
    what: str
    when: str
    checked: bool | None
    status: str


@dataclass(frozen=True)
class FindingDetail:
    case_id: str
    finding: Any
    context: Context
    ticks: tuple[TickLine, ...]
    ratings: tuple[RatingDetail, ...] = field(default_factory=tuple)
    accepted_by: str | None = None


def finding_detail(conn: sqlite3.Connection, findings: FindingCache, case_id: str,
                   finding_key: str) -> FindingDetail | None:
    finding = findings.finding(conn, case_id, finding_key)
    if finding is None:
        return None
    ticks: list[TickLine] = []
    groups: list[str] = []
    for box_id in finding.box_ids:
        row = conn.execute("SELECT lb.*, bv.checked, bv.status FROM layout_boxes lb LEFT JOIN box_values bv "
                           "ON bv.case_id = lb.case_id AND bv.box_id = lb.box_id WHERE lb.case_id = ? AND lb.box_id = ?",
                           (case_id, box_id)).fetchone()
        if row is None:
            continue
        if row["kind"] == "rating":
            if row["grp"] not in groups:
                groups.append(row["grp"])
            continue
        ticks.append(TickLine(box_id=box_id, what=d.item_text(row["participant"], row["dimension"], row["item"])
                              or d.bin_text(row["bin"]), when=d.window_text(row["window"]),
                              checked=None if row["checked"] is None else bool(row["checked"]),
                              status=row["status"] or "missing"))
    if not groups and finding.dimension:
        row = conn.execute("SELECT grp FROM layout_boxes WHERE case_id = ? AND kind = 'rating' AND participant IS ? "
                           "AND slot IS ? AND dimension = ? LIMIT 1",
                           (case_id, finding.participant, finding.slot, finding.dimension)).fetchone()
        if row is not None:
            groups.append(row["grp"])
    ratings = tuple(r for r in (rating_detail(conn, case_id, g) for g in groups) if r is not None)
    accepted = conn.execute("SELECT reviewer FROM finding_acceptances WHERE case_id = ? AND finding_key = ?",
                            (case_id, finding_key)).fetchone()
    return FindingDetail(case_id=case_id, finding=finding,
                         context=_context(conn, case_id, finding.participant, finding.slot, finding.dimension, None),
                         ticks=tuple(ticks), ratings=ratings, accepted_by=accepted["reviewer"] if accepted else None)


def load_detail(conn: sqlite3.Connection, findings: FindingCache, key: str, case_filter: str | None) -> Any | None:
    """The detail of any queue key, or None when it does not exist."""
    kind, first, rest = split_key(key)
    try:
        if kind == "box":
            return box_detail(conn, first, rest)
        if kind == "rating":
            return rating_detail(conn, first, rest)
        if kind == "text":
            return text_detail(conn, first, rest)
        if kind == "finding":
            return finding_detail(conn, findings, first, rest)
        if kind == "page":
            return page_detail(conn, int(first), case_filter)
        if kind == "duplicate":
            return duplicate_detail(conn, int(first))
    except ValueError:
        return None
    return None


def short_label(detail: Any) -> str:
    """A few words naming an item, for messages such as 'Ongedaan gemaakt: …'."""
    if isinstance(detail, BoxDetail):
        who = f"{detail.context.participant}, {detail.context.dimension}"
        return f"vakje {who}, {detail.when}" if detail.kind != "timeline" else f"spreektijd {who}, {detail.when}"
    if isinstance(detail, RatingDetail):
        return f"score {detail.context.participant}, {detail.context.dimension}"
    if isinstance(detail, TextDetail):
        return f"tekst {detail.context.slot.lower()}, {detail.context.dimension}"
    if isinstance(detail, PageDetail):
        return f"pagina {detail.source} p. {detail.page_number}"
    if isinstance(detail, DuplicateDetail):
        return f"dubbele scan {detail.page}"
    if isinstance(detail, FindingDetail):
        return f"waarschuwing {detail.context.participant}, {detail.context.dimension}"
    return "item"
