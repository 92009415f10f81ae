"""Plan every page of a case's form pack: boxes, regions and printed text.

A plan is pure geometry (no drawing), so the same plan yields both the PDF and
the layout the scanner reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from reportlab.pdfbase.pdfmetrics import stringWidth

from formgen import geometry as g
from formgen.geometry import mm
from softa.instrument import (
    FAMILY,
    SESSION,
    SLOTS,
    SOFTA_DIMENSIONS,
    SPREEKTIJD,
    SPREEKTIJD_BALANS,
    TAALGEBRUIK,
    Instrument,
    Slot,
    Version,
    load_instrument,
)
from softa.layout import LAYOUT_VERSION, Box, CaseLayout, PageLayout, QrIdentity, Rect, Region
from softa.manifest import BIN_SECONDS, WINDOW_MINUTES, Manifest, Participant

BINS_PER_MINUTE = 60 // BIN_SECONDS

#: Meaning of a box or region while a page is planned (kind, participant, slot, ...).
Meta = dict[str, Any]


@dataclass(frozen=True)
class TextRun:
    """One line of text; ``y_mm`` is the baseline measured from the page top."""

    x_mm: float
    y_mm: float
    text: str
    font: str = g.FONT
    size: float = g.TEXT_PT
    align: str = "left"


@dataclass(frozen=True)
class Shade:
    rect_mm: Rect
    gray: float


@dataclass
class Block:
    """A horizontal strip of a form; contents are relative to the strip's top."""

    height_mm: float
    texts: list[TextRun] = field(default_factory=list)
    shades: list[Shade] = field(default_factory=list)
    boxes: list[tuple[Rect, Meta]] = field(default_factory=list)
    regions: list[tuple[Rect, Meta]] = field(default_factory=list)


@dataclass
class Section:
    """Blocks that belong together; the header is repeated after a page break."""

    header: Block
    rows: list[Block]

    @property
    def height_mm(self) -> float:
        return self.header.height_mm + sum(r.height_mm for r in self.rows) + g.SECTION_GAP_MM


@dataclass(frozen=True)
class PagePlan:
    layout: PageLayout
    identity: QrIdentity
    title: str
    subtitle: str
    texts: tuple[TextRun, ...]
    shades: tuple[Shade, ...]


FORM_TITLES = {
    "hulpverlener": "SOFTA-NL codeerformulier · versie hulpverlener",
    "client": "SOFTA-NL codeerformulier · versie cliënt",
    "gedragsdimensies": "Codeerformulier gedragsdimensies",
    "zelfbeoordeling": "Zelfbeoordeling hulpverlener",
}
#: Phrases a line break must not split (the scale of every rating question).
KEEP_TOGETHER = ("(-3 tot +3)", "(0 = geen balans, 10 = goede balans)")
NBSP = "\u00a0"
#: The manual's footnote to the * of the therapist version (Bijlage 1, version hulpverlener).
STAR_NOTE = "* = er is een corresponderend item in de cliëntversie"
LEGEND_SEPARATOR = "  ·  "
#: Space between a right-aligned item number and its text.
NUMBER_GAP_MM = 0.7
INSTRUCTION = ("Kruis een vakje duidelijk aan (x of ✓). Vergist? Kleur het vakje helemaal zwart: "
               "een volledig gevuld vakje telt als níet aangekruist.")


def _wrap(text: str, width_mm: float, size: float = g.TEXT_PT, font: str = g.FONT) -> list[str]:
    """Break text into lines that fit; never inside a KEEP_TOGETHER phrase."""
    for phrase in KEEP_TOGETHER:
        text = text.replace(phrase, phrase.replace(" ", NBSP))
    space, limit = stringWidth(" ", font, size), mm(width_mm)
    lines: list[list[str]] = []
    used = 0.0
    for word in (w.replace(NBSP, " ") for w in text.split(" ") if w):
        width = stringWidth(word, font, size)
        if lines and used + space + width <= limit:
            lines[-1].append(word)
            used += space + width
        else:
            lines.append([word])
            used = width
    return [" ".join(words) for words in lines]


def _fit(text: str, width_mm: float, font: str, size: float) -> str:
    """The text, shortened at a word boundary with an ellipsis when it is wider than width_mm."""
    if stringWidth(text, font, size) <= mm(width_mm):
        return text
    words = text.split(" ")
    while len(words) > 1 and stringWidth(" ".join(words) + "…", font, size) > mm(width_mm):
        words.pop()
    short = " ".join(words)
    while len(short) > 1 and stringWidth(short + "…", font, size) > mm(width_mm):
        short = short[:-1]
    return short + "…"


def _box_rect(cx_mm: float, cy_mm: float, side_mm: float) -> Rect:
    half = side_mm / 2
    return (mm(cx_mm - half), mm(cy_mm - half), mm(cx_mm + half), mm(cy_mm + half))


def _window_cx(col: int) -> float:
    return g.GRID_LEFT_MM + (col + 0.5) * g.WINDOW_CELL_MM


def _section_header(title: str, windows: range | None, minutes_label: str = "", session_minutes: int = 0) -> Block:
    """A shaded header naming the dimension; over a grid also the window numbers (end minutes)."""
    width = g.CONTENT_RIGHT_MM - g.CONTENT_LEFT_MM - 2
    title_lines = _wrap(title + (f" · {minutes_label}" if minutes_label else ""), width, g.SUBTITLE_PT, g.FONT_BOLD)
    title_mm = g.SECTION_TITLE_LEADING_MM * len(title_lines) + g.SECTION_TITLE_PAD_MM
    height = title_mm + (g.WINDOW_LABEL_MM if windows is not None else 0.0) + 0.8
    block = Block(height)
    block.shades.append(Shade((g.CONTENT_LEFT_MM, 0.5, g.CONTENT_RIGHT_MM, height - 0.3), g.HEADER_GRAY))
    for k, line in enumerate(title_lines):
        baseline = g.SECTION_TITLE_LEADING_MM * (k + 1)
        block.texts.append(TextRun(g.CONTENT_LEFT_MM + 1, baseline, line, g.FONT_BOLD, g.SUBTITLE_PT))
    if windows is not None:
        baseline = title_mm + g.WINDOW_LABEL_BASELINE_MM
        block.texts.append(TextRun(g.GRID_LEFT_MM - 1.5, baseline, "minuut:", g.FONT, g.SMALL_PT, "right"))
        for col, window in enumerate(windows):
            # The manual's forms label each window with its end minute (5, 10, ... 60); a
            # session of 92 minutes ends its last window at 92, not 95.
            end = min(window * WINDOW_MINUTES, session_minutes or window * WINDOW_MINUTES)
            block.texts.append(TextRun(_window_cx(col), baseline, str(end), g.FONT_BOLD, g.TEXT_PT, "center"))
    return block


def _item_row(number: int, text: str, meta: Meta, windows: range, shaded: bool, star: bool = False) -> Block:
    lines = _wrap(text, g.ITEM_TEXT_WIDTH_MM)
    if star:
        # The * of Bijlage 2 hangs after the last line, into the gap before the grid, so
        # it never adds a line (and never moves a box).
        lines[-1] += " *"
    line_mm = g.LEADING_PT / g.mm(1)
    height = max(g.ROW_MIN_MM, len(lines) * line_mm + g.ROW_PAD_MM)
    block = Block(height)
    if shaded:
        block.shades.append(Shade((g.CONTENT_LEFT_MM, 0, g.CONTENT_RIGHT_MM, height), g.ALTERNATE_ROW_GRAY))
    first_baseline = (height - len(lines) * line_mm) / 2 + line_mm * g.BASELINE_SHARE
    # Right-aligned numbers keep "10." clear of its text, as in a typeset list.
    block.texts.append(TextRun(g.CONTENT_LEFT_MM + g.ITEM_NUMBER_MM - NUMBER_GAP_MM, first_baseline, f"{number}.",
                               align="right"))
    for k, line in enumerate(lines):
        block.texts.append(TextRun(g.CONTENT_LEFT_MM + g.ITEM_NUMBER_MM, first_baseline + k * line_mm, line))
    for col, window in enumerate(windows):
        box_meta = dict(meta, window=window)
        block.boxes.append((_box_rect(_window_cx(col), height / 2, g.BOX_MM), box_meta))
    return block


def _rating_row(question: str, values: tuple[int, ...], meta: Meta) -> Block:
    """A question with one box per scale value; a long scale (0-10) puts its labels above the boxes."""
    labels_above = len(values) > g.SIDE_LABEL_MAX_VALUES
    lines = _wrap(question, g.GRID_LEFT_MM - g.CONTENT_LEFT_MM - 2, g.TEXT_PT, g.FONT_BOLD)
    line_mm = g.LEADING_PT / g.mm(1)
    height = max(g.LABELS_ABOVE_ROW_MM if labels_above else g.RATING_ROW_MM, len(lines) * line_mm + g.ROW_PAD_MM)
    block = Block(height)
    block.shades.append(Shade((g.CONTENT_LEFT_MM, 0, g.CONTENT_RIGHT_MM, height), g.RATING_GRAY))
    first = (height - len(lines) * line_mm) / 2 + line_mm * g.BASELINE_SHARE
    for k, line in enumerate(lines):
        block.texts.append(TextRun(g.CONTENT_LEFT_MM + 1, first + k * line_mm, line, g.FONT_BOLD))
    cell = (g.CONTENT_RIGHT_MM - g.GRID_LEFT_MM) / len(values)
    for col, value in enumerate(values):
        label = f"+{value}" if value > 0 and min(values) < 0 else str(value)
        if labels_above:
            cx, cy = g.GRID_LEFT_MM + (col + 0.5) * cell, height / 2 + g.LABELS_ABOVE_DROP_MM
            baseline = cy - g.BOX_MM / 2 - g.LABEL_GAP_MM
            block.texts.append(TextRun(cx, baseline, label, g.FONT_BOLD, g.TEXT_PT, "center"))
        else:
            cx, cy = g.GRID_LEFT_MM + (col + 0.5) * cell + g.RATING_SHIFT_MM, height / 2
            block.texts.append(TextRun(cx - g.BOX_MM / 2 - g.LABEL_GAP_MM, cy + 1.1, label, g.FONT_BOLD, g.TEXT_PT,
                                       "right"))
        block.boxes.append((_box_rect(cx, cy, g.BOX_MM), dict(meta, value=value)))
    return block


def _scale_legend(instrument: Instrument, star_note: bool) -> Block:
    """The -3..+3 labels (and the meaning of *), broken only between entries, never inside one."""
    pairs = zip(instrument.scale_values, instrument.scale_labels, strict=True)
    parts = [f"{'+' if v > 0 else ''}{v} = {label}" for v, label in pairs]
    parts[0] = "Beoordelingsschaal: " + parts[0]
    if star_note:
        parts.append(STAR_NOTE)
    width = mm(g.CONTENT_RIGHT_MM - g.CONTENT_LEFT_MM)
    lines = [parts[0]]
    for part in parts[1:]:
        joined = f"{lines[-1]}{LEGEND_SEPARATOR}{part}"
        if stringWidth(joined, g.FONT, g.SMALL_PT) <= width:
            lines[-1] = joined
        else:
            lines.append(part)
    block = Block(len(lines) * 3.0 + 1.5)
    for k, line in enumerate(lines):
        block.texts.append(TextRun(g.CONTENT_LEFT_MM, 2.6 + k * 3.0, line, g.FONT, g.SMALL_PT))
    return block


def _region(label: str, height_mm: float, meta: Meta) -> Block:
    block = Block(height_mm + 2)
    rect = (mm(g.CONTENT_LEFT_MM), mm(1), mm(g.CONTENT_RIGHT_MM), mm(height_mm + 1))
    block.regions.append((rect, dict(meta, label=label)))
    block.texts.append(TextRun(g.CONTENT_LEFT_MM + 1.5, 4.6, label, g.FONT_BOLD, g.TEXT_PT))
    return block


def _window_blocks(windows: int) -> list[range]:
    return [range(start, min(start + g.WINDOWS_PER_BLOCK, windows + 1))
            for start in range(1, windows + 1, g.WINDOWS_PER_BLOCK)]


def _softa_sections(version: Version, who: Participant, slot: Slot, manifest: Manifest,
                    instrument: Instrument) -> list[Section]:
    sections: list[Section] = []
    chunks = _window_blocks(manifest.windows)
    for key in SOFTA_DIMENSIONS:
        dim = instrument.dimension(key)
        for n, windows in enumerate(chunks):
            last_minute = min((windows.stop - 1) * WINDOW_MINUTES, manifest.minutes)
            label = f"minuut {(windows.start - 1) * WINDOW_MINUTES}–{last_minute}" if len(chunks) > 1 else ""
            header = _section_header(dim.title(version), windows, label, manifest.minutes)
            rows: list[Block] = []
            for item in instrument.items_of(version, key):
                meta = {"kind": "tick", "participant": who.code, "slot": slot.value, "dimension": key, "item": item.number}
                rows.append(_item_row(item.number, item.text, meta, windows, item.number % 2 == 0,
                                      star=item.corresponding))
            last_chunk = n == len(chunks) - 1
            family_level = version == "client" and key == "gezamenlijke_doelperceptie"
            if last_chunk and not family_level:
                meta = {"kind": "rating", "participant": who.code, "slot": slot.value, "dimension": key}
                rows.append(_rating_row(dim.rating_question(version) + ":", instrument.scale_values, meta))
            sections.append(Section(header, rows))
    if version == "client":
        note = Block(7.0)
        note.texts.append(TextRun(g.CONTENT_LEFT_MM, 4.0, "De beoordeling van Gezamenlijke doelperceptie geldt voor het "
                                  "gezin als geheel: die staat op het formulier gedragsdimensies.", g.FONT, g.SMALL_PT))
        sections[-1].rows.append(note)
    return sections


def _behaviour_sections(slot: Slot, manifest: Manifest, instrument: Instrument) -> list[Section]:
    ex = instrument.extra
    gd = instrument.dimension("gezamenlijke_doelperceptie")
    sections = [Section(_section_header(f"{gd.client_title} · één score voor het gezin als geheel", None), [
        _rating_row(gd.client_rating + ":", instrument.scale_values,
                    {"kind": "rating", "participant": FAMILY, "slot": slot.value, "dimension": "gezamenlijke_doelperceptie"}),
    ])]
    sections.append(Section(_section_header(ex["taalgebruik"]["title"], None), [
        _rating_row(ex["taalgebruik"]["question"] + ":", instrument.scale_values,
                    {"kind": "rating", "participant": SESSION, "slot": slot.value, "dimension": TAALGEBRUIK}),
        _region(ex["taalgebruik"]["explanation"], g.REGION_EXPLANATION_MM,
                {"participant": SESSION, "slot": slot.value, "dimension": TAALGEBRUIK, "name": "toelichting"}),
    ]))
    bins = manifest.bins
    for start in range(1, bins + 1, g.BINS_PER_LINE):
        stop = min(start + g.BINS_PER_LINE, bins + 1)
        first_minute, last_minute = (start - 1) // BINS_PER_MINUTE, (stop - 1) / BINS_PER_MINUTE
        header = _section_header(f"{ex['spreektijd']['title']} · minuut {first_minute}–{last_minute:g}", None)
        scale = Block(g.TIMELINE_HEADER_MM)
        left = g.CONTENT_LEFT_MM + g.TIMELINE_LABEL_MM
        scale.texts.append(TextRun(left - 1.5, 4.2, "minuut:", g.FONT, g.SMALL_PT, "right"))
        for col, b in enumerate(range(start, stop)):
            if (b - 1) % BINS_PER_MINUTE == 0:
                # Centred over the minute's two 30-second boxes: "3" covers 3:00-4:00.
                minute = str((b - 1) // BINS_PER_MINUTE)
                scale.texts.append(TextRun(left + (col + 1) * g.BIN_CELL_MM, 4.2, minute, g.FONT_BOLD,
                                           g.SMALL_PT, "center"))
        rows = [scale]
        for who in manifest.participants:
            row = Block(g.TIMELINE_ROW_MM)
            label, label_width = f"{who.code} {who.role}", g.TIMELINE_LABEL_MM - 2.5
            size = g.TEXT_PT if stringWidth(label, g.FONT, g.TEXT_PT) <= mm(label_width) else g.SMALL_PT
            row.texts.append(TextRun(g.CONTENT_LEFT_MM + 0.8, 4.4, _fit(label, label_width, g.FONT, size), g.FONT, size))
            for col, b in enumerate(range(start, stop)):
                cx = left + (col + 0.5) * g.BIN_CELL_MM
                meta = {"kind": "timeline", "participant": who.code, "slot": slot.value, "dimension": SPREEKTIJD, "bin": b}
                row.boxes.append((_box_rect(cx, g.TIMELINE_ROW_MM / 2, g.TIMELINE_BOX_MM), meta))
            rows.append(row)
        sections.append(Section(header, rows))
    sections.append(Section(_section_header(ex["spreektijd"]["explanation"], None), [
        _region("Toelichting (bijv. wat doet de hulpverlener om stille gezinsleden te laten deelnemen?)",
                g.REGION_EXPLANATION_MM, {"participant": SESSION, "slot": slot.value, "dimension": SPREEKTIJD,
                                          "name": "toelichting"}),
    ]))
    moments = [_region(f"Opvallend moment {k}", g.REGION_MOMENT_MM,
                       {"participant": SESSION, "slot": slot.value, "dimension": "opvallende_momenten", "name": f"moment_{k}"})
               for k in range(1, int(ex["opvallende_momenten"]["count"]) + 1)]
    sections.append(Section(_section_header(ex["opvallende_momenten"]["title"], None), moments))
    return sections


def _self_sections(worker: Participant, instrument: Instrument) -> list[Section]:
    ex = instrument.extra
    rows: list[Block] = []
    for key in SOFTA_DIMENSIONS:
        dim = instrument.dimension(key)
        subject = dim.therapist_title.removeprefix("Bijdrage hulpverlener aan ")
        rows.append(_rating_row(f"Mijn bijdrage aan {subject} (-3 tot +3):",
                                instrument.scale_values, {"kind": "rating", "participant": worker.code, "dimension": key}))
    rows.append(_rating_row(ex["taalgebruik"]["title"] + " (-3 tot +3):", instrument.scale_values,
                            {"kind": "rating", "participant": worker.code, "dimension": TAALGEBRUIK}))
    rows.append(_rating_row(ex["self_assessment"]["balance_question"] + ":", instrument.balance_values,
                            {"kind": "rating", "participant": worker.code, "dimension": SPREEKTIJD_BALANS}))
    return [Section(_section_header("Beoordeel je eigen bijdrage aan de sessie", None), rows)]


def _paginate(sections: list[Section]) -> list[list[tuple[float, Block]]]:
    """Place blocks on pages; keep a section together when it fits on one page."""
    usable = g.CONTENT_BOTTOM_MM - g.CONTENT_TOP_MM
    pages: list[list[tuple[float, Block]]] = [[]]
    y = g.CONTENT_TOP_MM

    def new_page() -> None:
        nonlocal y
        pages.append([])
        y = g.CONTENT_TOP_MM

    for section in sections:
        if y + section.height_mm > g.CONTENT_BOTTOM_MM and section.height_mm <= usable and pages[-1]:
            new_page()
        pages[-1].append((y, section.header))
        y += section.header.height_mm
        for row in section.rows:
            if y + row.height_mm > g.CONTENT_BOTTOM_MM:
                new_page()
                pages[-1].append((y, section.header))
                y += section.header.height_mm
            pages[-1].append((y, row))
            y += row.height_mm
        y += g.SECTION_GAP_MM
    return [p for p in pages if p]


def _box_id(meta: Meta) -> tuple[str, str]:
    slot = meta.get("slot") or "self"
    base = f"{slot}:{meta['participant']}:{meta['dimension']}"
    if meta["kind"] == "tick":
        group = f"{base}:i{meta['item']:02d}"
        return f"{group}:w{meta['window']:02d}", group
    if meta["kind"] == "timeline":
        return f"{base}:b{meta['bin']:03d}", base
    return f"{base}:v{meta['value']:+d}", f"{base}:rating"


def _page_frame(size_pt: tuple[float, float]) -> tuple[tuple[tuple[float, float], ...], tuple[Rect, ...]]:
    """Registration mark centres and the QR rects: top-right first, then bottom-left."""
    inset = g.MARK_INSET_MM
    marks = tuple((mm(x), mm(y)) for x, y in (
        (inset, inset), (g.PAGE_W_MM - inset, inset),
        (g.PAGE_W_MM - inset, g.PAGE_H_MM - inset), (inset, g.PAGE_H_MM - inset)))
    first = (mm(g.QR_RIGHT_MM - g.QR_SIZE_MM), mm(g.QR_TOP_MM), mm(g.QR_RIGHT_MM), mm(g.QR_TOP_MM + g.QR_SIZE_MM))
    second = (mm(g.QR2_LEFT_MM), mm(g.QR2_BOTTOM_MM - g.QR_SIZE_MM), mm(g.QR2_LEFT_MM + g.QR_SIZE_MM),
              mm(g.QR2_BOTTOM_MM))
    return marks, (first, second)


@dataclass(frozen=True)
class FormSpec:
    form: str
    participant: Participant | None
    slot: Slot | None
    sections: list[Section]


def form_specs(manifest: Manifest, instrument: Instrument | None = None) -> Iterator[FormSpec]:
    """Every form of the pack in print order: per slot the workers, the clients, the behaviour form; then self-assessments."""
    inst = instrument or load_instrument()
    for slot in SLOTS:
        for worker in manifest.workers:
            yield FormSpec("hulpverlener", worker, slot, _softa_sections("therapist", worker, slot, manifest, inst))
        for client in manifest.clients:
            yield FormSpec("client", client, slot, _softa_sections("client", client, slot, manifest, inst))
        yield FormSpec("gedragsdimensies", None, slot, _behaviour_sections(slot, manifest, inst))
    for worker in manifest.workers:
        yield FormSpec("zelfbeoordeling", worker, None, _self_sections(worker, inst))


def plan_pages(manifest: Manifest, instrument: Instrument | None = None) -> Iterator[PagePlan]:
    """Yield the plan of every page of the pack, in order, one form at a time."""
    inst = instrument or load_instrument()
    index = 0
    marks, qr_rects = _page_frame(g.PAGE_SIZE_PT)
    for spec in form_specs(manifest, inst):
        pages = _paginate([Section(_scale_legend(inst, star_note=spec.form == "hulpverlener"), []), *spec.sections])
        for number, placed in enumerate(pages, start=1):
            identity = QrIdentity(case=manifest.case, form=spec.form,
                                  participant=spec.participant.code if spec.participant else None,
                                  slot=spec.slot.value if spec.slot else None, page=number, pages=len(pages),
                                  layout_version=LAYOUT_VERSION)
            texts: list[TextRun] = []
            shades: list[Shade] = []
            boxes: list[Box] = []
            regions: list[Region] = []
            for top, block in placed:
                texts.extend(TextRun(t.x_mm, t.y_mm + top, t.text, t.font, t.size, t.align) for t in block.texts)
                shades.extend(Shade((s.rect_mm[0], s.rect_mm[1] + top, s.rect_mm[2], s.rect_mm[3] + top), s.gray)
                              for s in block.shades)
                for rect, meta in block.boxes:
                    box_id, group = _box_id(meta)
                    shifted = (rect[0], rect[1] + mm(top), rect[2], rect[3] + mm(top))
                    boxes.append(Box(id=box_id, kind=meta["kind"], rect_pt=_round(shifted), group=group,
                                     participant=str(meta["participant"]), dimension=str(meta["dimension"]),
                                     slot=meta.get("slot"), item=meta.get("item"), window=meta.get("window"),
                                     value=meta.get("value"), bin=meta.get("bin")))
                for rect, meta in block.regions:
                    slot_name = meta.get("slot") or "self"
                    shifted = (rect[0], rect[1] + mm(top), rect[2], rect[3] + mm(top))
                    regions.append(Region(id=f"{slot_name}:{meta['participant']}:{meta['dimension']}:{meta['name']}",
                                          rect_pt=_round(shifted), label=str(meta["label"]),
                                          dimension=str(meta["dimension"]), participant=str(meta["participant"]),
                                          slot=meta.get("slot")))
            layout = PageLayout(index=index, qr=identity.payload(), size_pt=_round2(g.PAGE_SIZE_PT), form=spec.form,
                                participant=identity.participant, slot=identity.slot, page=number, pages=len(pages),
                                marks_pt=tuple(_round2(m) for m in marks), mark_size_pt=round(mm(g.MARK_SIZE_MM), 3),
                                qr_rect_pt=_round(qr_rects[0]), boxes=tuple(boxes), regions=tuple(regions),
                                qr_rects_pt=tuple(_round(r) for r in qr_rects))
            yield PagePlan(layout=layout, identity=identity, title=FORM_TITLES[spec.form],
                           subtitle=_subtitle(manifest.case, spec, number, len(pages)),
                           texts=tuple(texts), shades=tuple(shades))
            index += 1


def _subtitle(case: str, spec: FormSpec, page: int, pages: int) -> str:
    """"Casus 2024-017 · C1 (moeder) · Observator 1 · pagina 1 van 2"; a long role is shortened to end before the QR."""
    slot_label = f" · {spec.slot.label}" if spec.slot else ""
    tail = f"{slot_label} · pagina {page} van {pages}"
    if not spec.participant:
        return f"Casus {case}{tail}"
    head = f"Casus {case} · {spec.participant.code} ("
    room_pt = mm(g.SUBTITLE_WIDTH_MM) - stringWidth(head + ")" + tail, g.FONT, g.SUBTITLE_PT)
    role = _fit(spec.participant.role, room_pt / mm(1), g.FONT, g.SUBTITLE_PT)
    return f"{head}{role}){tail}"


def _round(rect: Rect) -> Rect:
    x0, y0, x1, y1 = (round(v, 3) for v in rect)
    return (x0, y0, x1, y1)


def _round2(point: tuple[float, float]) -> tuple[float, float]:
    return (round(point[0], 3), round(point[1], 3))


def build_layout(manifest: Manifest, instrument: Instrument | None = None) -> CaseLayout:
    """The case's layout without drawing anything (what the scanner needs)."""
    return CaseLayout(case=manifest.case, layout_version=LAYOUT_VERSION,
                      pages=tuple(p.layout for p in plan_pages(manifest, instrument)))
