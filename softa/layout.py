"""The form layout: where every mark box and free-text region sits on every page.

This is the contract between the form generator and the scanner. It is written
as ``<case>_layout.json`` (schema ``softa-layout/2``) and stored in the
database. Coordinates are PDF points, origin at the page's top-left, y down.

Version 2 prints the page's QR code twice, in opposite corners
(``qr_rects_pt``); version-1 layouts (one code, ``softa-layout/1``) and their
``SOFTA1`` payloads stay readable.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from softa.errors import LayoutError
from softa.i18n import _

LAYOUT_SCHEMA = "softa-layout/2"
#: Schemas this code reads: version 1 had a single QR code per page.
READABLE_SCHEMAS = {"softa-layout/1": 1, LAYOUT_SCHEMA: 2}
#: Version of the page geometry; bumped whenever box positions change.
LAYOUT_VERSION = 2
QR_PREFIX = "SOFTA"
FORM_CODES = {"hulpverlener": "H", "client": "C", "gedragsdimensies": "G", "zelfbeoordeling": "Z"}
FORM_NAMES = {code: name for name, code in FORM_CODES.items()}
#: Dutch names of the forms, as people read them in footers and messages.
FORM_LABELS = {"hulpverlener": "hulpverlener", "client": "cliënt", "gedragsdimensies": "gedragsdimensies",
               "zelfbeoordeling": "zelfbeoordeling"}
SLOT_CODES = {"1": "1", "2": "2", "consensus": "K", None: "-"}
SLOT_NAMES = {code: name for name, code in SLOT_CODES.items()}
NO_PARTICIPANT = "-"
#: PDF user space: 72 points per inch.
POINTS_PER_INCH = 72.0
MM_PER_INCH = 25.4
POINTS_PER_MM = POINTS_PER_INCH / MM_PER_INCH

BoxKind = Literal["tick", "rating", "timeline"]
Rect = tuple[float, float, float, float]


@dataclass(frozen=True)
class QrIdentity:
    """What a page is, as carried by its QR code."""

    case: str
    form: str
    participant: str | None
    slot: str | None
    page: int
    pages: int
    layout_version: int = LAYOUT_VERSION

    def payload(self) -> str:
        """Compact payload, e.g. ``SOFTA2|2024-017|C|C2|K|2/3`` (every QR code of the page carries the same)."""
        return "|".join([
            f"{QR_PREFIX}{self.layout_version}",
            self.case,
            FORM_CODES[self.form],
            self.participant or NO_PARTICIPANT,
            SLOT_CODES[self.slot],
            f"{self.page}/{self.pages}",
        ])

    @property
    def label(self) -> str:
        """Readable Dutch form of the identity for footers and messages."""
        who = f" {self.participant}" if self.participant else ""
        slot = f" obs. {self.slot}" if self.slot in ("1", "2") else (" consensus" if self.slot else "")
        form = FORM_LABELS.get(self.form, self.form)
        return f"casus {self.case} · {form}{who}{slot} · pagina {self.page}/{self.pages}"


def parse_qr_payload(payload: str) -> QrIdentity | None:
    """Decode a page QR payload; None when it is not a softa page code."""
    parts = payload.strip().split("|")
    if len(parts) != 6 or not parts[0].startswith(QR_PREFIX):
        return None
    version_text = parts[0][len(QR_PREFIX):]
    page_text = parts[5].split("/")
    if not version_text.isdigit() or len(page_text) != 2 or not all(p.isdigit() for p in page_text):
        return None
    if parts[2] not in FORM_NAMES or parts[4] not in SLOT_NAMES:
        return None
    page, pages = int(page_text[0]), int(page_text[1])
    if not 1 <= page <= pages:
        return None
    return QrIdentity(
        case=parts[1], form=FORM_NAMES[parts[2]],
        participant=None if parts[3] == NO_PARTICIPANT else parts[3],
        slot=SLOT_NAMES[parts[4]], page=page, pages=pages, layout_version=int(version_text),
    )


@dataclass(frozen=True)
class Box:
    """One mark box. ``group`` joins the boxes of one row (item, rating, timeline)."""

    id: str
    kind: BoxKind
    rect_pt: Rect
    group: str
    participant: str
    dimension: str
    slot: str | None = None
    item: int | None = None
    window: int | None = None
    value: int | None = None
    bin: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class Region:
    """A free-text area (explanation, notable moment) cropped for transcription."""

    id: str
    rect_pt: Rect
    label: str
    dimension: str
    participant: str
    slot: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class PageLayout:
    index: int
    qr: str
    size_pt: tuple[float, float]
    form: str
    participant: str | None
    slot: str | None
    page: int
    pages: int
    #: Centres of the four registration marks: top-left, top-right, bottom-right, bottom-left.
    marks_pt: tuple[tuple[float, float], ...]
    mark_size_pt: float
    qr_rect_pt: Rect
    boxes: tuple[Box, ...] = field(default_factory=tuple)
    regions: tuple[Region, ...] = field(default_factory=tuple)
    #: Every QR code printed on the page (same payload); the first is ``qr_rect_pt``.
    #: Left empty, it becomes ``(qr_rect_pt,)`` (a version-1 page).
    qr_rects_pt: tuple[Rect, ...] = ()

    def __post_init__(self) -> None:
        if not self.qr_rects_pt:
            object.__setattr__(self, "qr_rects_pt", (self.qr_rect_pt,))
        elif tuple(self.qr_rects_pt[0]) != tuple(self.qr_rect_pt):
            raise LayoutError(_("page {page}: the first of qr_rects_pt is not qr_rect_pt").format(page=self.index),
                              hint=_("regenerate the layout with `softa forms`"))

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index, "qr": self.qr, "size_pt": list(self.size_pt),
            "form": self.form, "participant": self.participant, "slot": self.slot,
            "page": self.page, "pages": self.pages,
            "marks_pt": [list(m) for m in self.marks_pt], "mark_size_pt": self.mark_size_pt,
            "qr_rect_pt": list(self.qr_rect_pt), "qr_rects_pt": [list(r) for r in self.qr_rects_pt],
            "boxes": [b.to_json() for b in self.boxes],
            "regions": [r.to_json() for r in self.regions],
        }


@dataclass(frozen=True)
class CaseLayout:
    case: str
    layout_version: int
    pages: tuple[PageLayout, ...]

    def page_by_qr(self, qr: str) -> PageLayout | None:
        for page in self.pages:
            if page.qr == qr:
                return page
        return None

    def boxes(self) -> list[Box]:
        return [b for p in self.pages for b in p.boxes]

    def regions(self) -> list[Region]:
        return [r for p in self.pages for r in p.regions]

    def to_json(self) -> dict[str, Any]:
        return {"schema": LAYOUT_SCHEMA, "case": self.case, "layout_version": self.layout_version,
                "pages": [p.to_json() for p in self.pages]}

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":"))


def _rect(value: Any) -> Rect:
    x0, y0, x1, y1 = (float(v) for v in value)
    return (x0, y0, x1, y1)


def layout_from_json(data: dict[str, Any]) -> CaseLayout:
    """Build a CaseLayout from its JSON form; raise LayoutError when it is not one."""
    schema_version = READABLE_SCHEMAS.get(str(data.get("schema")))
    if schema_version is None:
        raise LayoutError(_("not a softa layout (schema {schema!r})").format(schema=data.get("schema")),
                          hint=_("give the <case>_layout.json written by `softa forms` ({schema})").format(
                              schema=LAYOUT_SCHEMA))
    try:
        pages = tuple(
            PageLayout(
                index=p["index"], qr=p["qr"], size_pt=(p["size_pt"][0], p["size_pt"][1]),
                form=p["form"], participant=p["participant"], slot=p["slot"],
                page=p["page"], pages=p["pages"],
                marks_pt=tuple((m[0], m[1]) for m in p["marks_pt"]), mark_size_pt=p["mark_size_pt"],
                qr_rect_pt=_rect(p["qr_rect_pt"]),
                boxes=tuple(Box(**{**b, "rect_pt": _rect(b["rect_pt"])}) for b in p["boxes"]),
                regions=tuple(Region(**{**r, "rect_pt": _rect(r["rect_pt"])}) for r in p["regions"]),
                # Version 1 printed one code: its rect is the page's only one.
                qr_rects_pt=tuple(_rect(r) for r in p.get("qr_rects_pt") or [p["qr_rect_pt"]]),
            )
            for p in data["pages"]
        )
        return CaseLayout(case=data["case"], layout_version=data.get("layout_version", schema_version), pages=pages)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise LayoutError(_("layout for case {case!r} is malformed ({error!r})").format(case=data.get("case"), error=exc),
                          hint=_("regenerate it with `softa forms CASE.toml --out DIR`")) from exc


def load_layout(path: Path) -> CaseLayout:
    """Read a ``<case>_layout.json`` file."""
    try:
        return layout_from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise LayoutError(_("{path}: no such layout file").format(path=path),
                          hint=_("run `softa forms CASE.toml --out DIR` first")) from exc
    except json.JSONDecodeError as exc:
        raise LayoutError(_("{path}: not JSON ({error})").format(path=path, error=exc),
                          hint=_("regenerate it with `softa forms`")) from exc
