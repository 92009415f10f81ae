"""Check a layout file before anything of it is stored.

A ``<case>_layout.json`` given to ``softa scan --layout`` may come from anywhere:
another version, a hand edit, a damaged copy. Every field is checked here for
its type, syntax and range (schema ``softa-layout/1`` and ``/2``; version 2 adds
``qr_rects_pt``, every QR code of a page), so that a bad layout is refused by
name, with the field that is wrong, before it can reach the database.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from softa.errors import LayoutError
from softa.layout import FORM_CODES, SLOT_CODES, CaseLayout, layout_from_json, parse_qr_payload
from softa.manifest import CASE_PATTERN

#: Schemas this version reads; version 2 lists every QR code of a page in ``qr_rects_pt``.
SCHEMAS = {"softa-layout/1": 1, "softa-layout/2": 2}
#: A layout file larger than this is not one `softa forms` writes (630 pages of 18 participants are ~30 MB).
MAX_LAYOUT_BYTES = 64 * 1024 * 1024
#: Pages of one case: 240 minutes with 18 participants gives 630.
MAX_PAGES = 1000
#: Mark boxes on one page (a timeline page has 720) and in one case (630 pages give 140,451).
MAX_BOXES_PER_PAGE = 2000
MAX_BOXES = 200_000
MAX_REGIONS_PER_PAGE = 50
#: Page sides in PDF points: from A6 (298 pt) to A3 (1191 pt), the sizes a printer and scanner take.
MIN_PAGE_SIDE_PT = 250.0
MAX_PAGE_SIDE_PT = 1191.0
#: A mark box side: printed boxes are ~13 pt (4.6 mm); a larger one is not a tick box.
MAX_BOX_SIDE_PT = 72.0
#: Smallest box or region side, so that a box is something a pen can mark.
MIN_RECT_SIDE_PT = 1.0
#: Item, window, value and bin numbers (a 240-minute session has 480 bins; ratings run -3..+3).
MIN_NUMBER, MAX_NUMBER = -100, 10_000
MAX_TEXT = 300
MAX_LAYOUT_VERSION = 99
#: Ids become parts of file names and URLs: keep them to safe characters, no path separators.
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_:.+-]{0,127}$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Four registration marks per page.
MARKS = 4
BOX_KINDS = ("tick", "rating", "timeline")
BOX_FIELDS = {"id", "kind", "rect_pt", "group", "participant", "dimension", "slot", "item", "window", "value", "bin"}
REGION_FIELDS = {"id", "rect_pt", "label", "dimension", "participant", "slot"}
#: Box and region fields are passed to their dataclasses: any other field is refused.
PAGE_FIELDS = {"index", "qr", "size_pt", "form", "participant", "slot", "page", "pages", "marks_pt", "mark_size_pt",
               "qr_rect_pt", "qr_rects_pt", "boxes", "regions"}
HINT = "gebruik de <casus>_layout.json die `softa forms` schreef (niet met de hand bewerken)"


class _Refused(Exception):
    """One field is wrong: where it is and what is wrong with it (in Dutch)."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where, self.problem = where, problem


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Refused(where, f"is {_shown(value)}, geen getal")
    try:
        number = float(value)
    except OverflowError as exc:
        raise _Refused(where, "is een getal dat te groot is") from exc
    if not math.isfinite(number):
        raise _Refused(where, f"is {value!r}, geen eindig getal")
    return number


def _integer(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Refused(where, f"is {_shown(value)}, geen geheel getal")
    if not low <= value <= high:
        raise _Refused(where, f"is {_shown(value)}, buiten {low}..{high}")
    return value


def _text(value: Any, where: str, *, pattern: re.Pattern[str] | None = None, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise _Refused(where, f"is {_shown(value)}, geen tekst")
    if pattern is not None:
        if not pattern.match(value):
            raise _Refused(where, f"is {_shown(value)}: alleen letters, cijfers en - _ : . + zijn toegestaan")
    elif not value.strip() or len(value) > MAX_TEXT or CONTROL.search(value):
        raise _Refused(where, f"is {_shown(value)}: leeg, te lang of met stuurtekens")
    return value


def _list(value: Any, where: str, *, length: int | None = None, most: int | None = None) -> list[Any]:
    if not isinstance(value, list):
        raise _Refused(where, f"is {_shown(value)}, geen lijst")
    if length is not None and len(value) != length:
        raise _Refused(where, f"heeft {len(value)} element(en), niet {length}")
    if most is not None and len(value) > most:
        raise _Refused(where, f"heeft {len(value)} elementen, meer dan de grens van {most}")
    return value


def _object(value: Any, where: str, fields: set[str] | None, required: set[str]) -> dict[str, Any]:
    """A JSON object with the required fields; ``fields``: all it may have (None: others are ignored)."""
    if not isinstance(value, dict):
        raise _Refused(where, f"is {_shown(value)}, geen object")
    for name in sorted(required - set(value)):
        raise _Refused(f"{where}.{name}", "ontbreekt")
    for name in sorted(set(value) - fields if fields is not None else (), key=str):
        raise _Refused(f"{where}.{name}", "is geen veld van de opmaak")
    return value


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str | int | float | bool) or value is None else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _rect(value: Any, where: str, size: tuple[float, float], *, most: float | None = None) -> None:
    x0, y0, x1, y1 = (_number(v, f"{where}[{i}]") for i, v in enumerate(_list(value, where, length=4)))
    if x1 - x0 < MIN_RECT_SIDE_PT or y1 - y0 < MIN_RECT_SIDE_PT:
        raise _Refused(where, f"is geen rechthoek van minstens {MIN_RECT_SIDE_PT:g} pt (x0 < x1, y0 < y1)")
    if x0 < 0 or y0 < 0 or x1 > size[0] or y1 > size[1]:
        raise _Refused(where, f"ligt (deels) buiten de pagina van {size[0]:g} x {size[1]:g} pt")
    if most is not None and max(x1 - x0, y1 - y0) > most:
        raise _Refused(where, f"is groter dan {most:g} pt, de grootste zijde van een vakje")


def _point(value: Any, where: str, size: tuple[float, float]) -> None:
    x, y = (_number(v, f"{where}[{i}]") for i, v in enumerate(_list(value, where, length=2)))
    if not (0 <= x <= size[0] and 0 <= y <= size[1]):
        raise _Refused(where, f"ligt buiten de pagina van {size[0]:g} x {size[1]:g} pt")


def _choice(value: Any, where: str, choices: Any) -> None:
    if isinstance(value, list | dict) or value not in choices:
        shown = ", ".join("null" if c is None else str(c) for c in choices)
        raise _Refused(where, f"is {_shown(value)}, niet een van: {shown}")


def _check_box(box: Any, where: str, size: tuple[float, float]) -> str:
    _object(box, where, BOX_FIELDS, {"id", "kind", "rect_pt", "group", "participant", "dimension"})
    box_id = _text(box["id"], f"{where}.id", pattern=ID_PATTERN)
    _choice(box["kind"], f"{where}.kind", BOX_KINDS)
    _rect(box["rect_pt"], f"{where}.rect_pt", size, most=MAX_BOX_SIDE_PT)
    for name in ("group", "participant", "dimension"):
        _text(box[name], f"{where}.{name}", pattern=ID_PATTERN)
    _choice(box.get("slot"), f"{where}.slot", SLOT_CODES)
    for name in ("item", "window", "value", "bin"):
        if box.get(name) is not None:
            _integer(box[name], f"{where}.{name}", MIN_NUMBER, MAX_NUMBER)
    assert box_id is not None
    return box_id


def _check_region(region: Any, where: str, size: tuple[float, float]) -> str:
    _object(region, where, REGION_FIELDS, {"id", "rect_pt", "label", "dimension", "participant"})
    region_id = _text(region["id"], f"{where}.id", pattern=ID_PATTERN)
    _rect(region["rect_pt"], f"{where}.rect_pt", size)
    _text(region["label"], f"{where}.label")
    for name in ("dimension", "participant"):
        _text(region[name], f"{where}.{name}", pattern=ID_PATTERN)
    _choice(region.get("slot"), f"{where}.slot", SLOT_CODES)
    assert region_id is not None
    return region_id


def _check_page(page: Any, where: str, n: int, case: str, version: int, seen: dict[str, set[str]]) -> int:
    """Check one page; return its number of boxes."""
    required = PAGE_FIELDS - {"qr_rects_pt"} | ({"qr_rects_pt"} if version >= 2 else set())
    _object(page, where, None, required)  # a later version may add page fields: the reader ignores them
    _integer(page["index"], f"{where}.index", n, n)
    width, height = (_number(v, f"{where}.size_pt[{i}]") for i, v in enumerate(_list(page["size_pt"],
                                                                                      f"{where}.size_pt", length=2)))
    for side, name in ((width, "breedte"), (height, "hoogte")):
        if not MIN_PAGE_SIDE_PT <= side <= MAX_PAGE_SIDE_PT:
            raise _Refused(f"{where}.size_pt", f"{name} {side:g} pt ligt buiten {MIN_PAGE_SIDE_PT:g}..{MAX_PAGE_SIDE_PT:g}"
                                               " pt (A6 tot A3)")
    size = (width, height)
    _choice(page["form"], f"{where}.form", FORM_CODES)
    _text(page["participant"], f"{where}.participant", pattern=ID_PATTERN, optional=True)
    _choice(page["slot"], f"{where}.slot", SLOT_CODES)
    pages = _integer(page["pages"], f"{where}.pages", 1, MAX_PAGES)
    number = _integer(page["page"], f"{where}.page", 1, pages)
    qr = _text(page["qr"], f"{where}.qr")
    assert qr is not None
    identity = parse_qr_payload(qr)
    if identity is None:
        raise _Refused(f"{where}.qr", f"is {_shown(qr)}, geen QR-code van softa")
    if identity.case != case or (identity.page, identity.pages) != (number, pages):
        raise _Refused(f"{where}.qr", f"{_shown(qr)} past niet bij casus {case}, pagina {number}/{pages}")
    if qr in seen["qr"]:
        raise _Refused(f"{where}.qr", f"{_shown(qr)} staat al op een eerdere pagina")
    seen["qr"].add(qr)
    for i, mark in enumerate(_list(page["marks_pt"], f"{where}.marks_pt", length=MARKS)):
        _point(mark, f"{where}.marks_pt[{i}]", size)
    mark_size = _number(page["mark_size_pt"], f"{where}.mark_size_pt")
    if not 0 < mark_size <= min(size) / MARKS:
        raise _Refused(f"{where}.mark_size_pt", f"is {mark_size:g} pt, geen maat voor een registratieteken")
    _rect(page["qr_rect_pt"], f"{where}.qr_rect_pt", size)
    if "qr_rects_pt" in page:
        rects = _list(page["qr_rects_pt"], f"{where}.qr_rects_pt", most=MARKS)
        if not rects or rects[0] != page["qr_rect_pt"]:
            raise _Refused(f"{where}.qr_rects_pt", "moet beginnen met qr_rect_pt")
        for i, rect in enumerate(rects):
            _rect(rect, f"{where}.qr_rects_pt[{i}]", size)
    boxes = _list(page["boxes"], f"{where}.boxes", most=MAX_BOXES_PER_PAGE)
    for i, box in enumerate(boxes):
        box_id = _check_box(box, f"{where}.boxes[{i}]", size)
        if box_id in seen["box"]:
            raise _Refused(f"{where}.boxes[{i}].id", f"{box_id!r} komt twee keer voor")
        seen["box"].add(box_id)
    for i, region in enumerate(_list(page["regions"], f"{where}.regions", most=MAX_REGIONS_PER_PAGE)):
        region_id = _check_region(region, f"{where}.regions[{i}]", size)
        if region_id in seen["region"]:
            raise _Refused(f"{where}.regions[{i}].id", f"{region_id!r} komt twee keer voor")
        seen["region"].add(region_id)
    return len(boxes)


def _check(data: Any) -> None:
    _object(data, "opmaak", None, {"schema", "case", "pages"})
    schema = data["schema"]
    if isinstance(schema, list | dict) or schema not in SCHEMAS:
        raise _Refused("schema", f"is {_shown(schema)}, niet een van: {', '.join(SCHEMAS)}")
    version = SCHEMAS[schema]
    case = data["case"]
    if not isinstance(case, str) or not CASE_PATTERN.match(case):
        raise _Refused("case", f"is {_shown(case)}, geen casusnummer (letters, cijfers en -, bijv. 2024-017)")
    if "layout_version" in data:
        _integer(data["layout_version"], "layout_version", 1, MAX_LAYOUT_VERSION)
    pages = _list(data["pages"], "pages", most=MAX_PAGES)
    if not pages:
        raise _Refused("pages", "is leeg: een opmaak heeft minstens één pagina")
    seen: dict[str, set[str]] = {"qr": set(), "box": set(), "region": set()}
    boxes = 0
    for n, page in enumerate(pages):
        boxes += _check_page(page, f"pages[{n}]", n, case, version, seen)
        if boxes > MAX_BOXES:
            raise _Refused("pages", f"hebben samen meer dan {MAX_BOXES} vakjes, de grens voor één casus")


def check_layout_data(data: Any, source: str) -> None:
    """Raise LayoutError naming the first wrong field unless ``data`` is a valid layout (schema 1 or 2)."""
    try:
        _check(data)
    except _Refused as exc:
        raise LayoutError(f"{source}: ongeldige opmaak: veld '{exc.where}' {exc.problem}", hint=HINT) from None
    except RecursionError:
        raise LayoutError(f"{source}: ongeldige opmaak: te diep genest", hint=HINT) from None


def read_layout_data(path: Path) -> Any:
    """The decoded JSON of a layout file: refused by name when missing, too large, not UTF-8 or not JSON."""
    try:
        size = path.stat().st_size
        if size > MAX_LAYOUT_BYTES:
            raise LayoutError(f"{path}: opmaakbestand van {size} bytes is groter dan de grens van {MAX_LAYOUT_BYTES}",
                              hint=HINT)
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise LayoutError(f"{path}: opmaakbestand bestaat niet",
                          hint="maak het met `softa forms CASE.toml --out MAP`") from exc
    except OSError as exc:
        raise LayoutError(f"{path}: opmaakbestand niet te lezen ({exc.strerror or exc})",
                          hint="controleer het pad en de rechten") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LayoutError(f"{path}: geen opmaak: byte {exc.start} is geen UTF-8-tekst", hint=HINT) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise LayoutError(f"{path}: geen opmaak: geen geldige JSON (regel {exc.lineno}, kolom {exc.colno})",
                          hint=HINT) from None
    except RecursionError:
        raise LayoutError(f"{path}: geen opmaak: te diep genest", hint=HINT) from None
    except ValueError as exc:  # e.g. an integer with too many digits
        raise LayoutError(f"{path}: geen opmaak: {exc}", hint=HINT) from None


def load_checked_layout(path: Path) -> CaseLayout:
    """Read, check and build a layout file; raise LayoutError naming what is wrong."""
    data = read_layout_data(path)
    check_layout_data(data, str(path))
    return layout_from_json(data)


def check_layout_text(text: str, source: str) -> None:
    """Check a layout in its stored JSON form (``CaseLayout.dumps()``) the same way as a file."""
    check_layout_data(json.loads(text), source)
