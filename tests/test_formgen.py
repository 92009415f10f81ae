"""The form pack: layout invariants, QR round trips, item texts, determinism."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
import zxingcpp
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth

from formgen import build_layout, generate_pack, plan_pages
from formgen import geometry as g
from formgen.plan import INSTRUCTION
from softa.errors import LayoutError
from softa.instrument import SLOTS, SOFTA_DIMENSIONS, load_instrument
from softa.layout import LAYOUT_SCHEMA, LAYOUT_VERSION, PageLayout, layout_from_json, load_layout, parse_qr_payload
from softa.manifest import Manifest, Participant

#: Print needs boxes a pen can hit: at least this side length.
MIN_BOX_MM = 4.0
QR_RENDER_DPI = 150


def big_case() -> Manifest:
    """The issue's stress case: 2 workers, 5 family members, 90 minutes."""
    people = [Participant("H1", "hulpverlener"), Participant("H2", "tweede hulpverlener")]
    people += [Participant(f"C{n}", role) for n, role in
               enumerate(["moeder", "vader", "zoon (14)", "dochter (11)", "oma"], start=1)]
    return Manifest(case="2025-101", date=dt.date(2026, 11, 21), minutes=90,
                    observers=("Anna de Vries", "Bram Jansen"), participants=tuple(people))


@pytest.fixture(scope="module")
def big_pack(tmp_path_factory: pytest.TempPathFactory):
    return generate_pack(big_case(), tmp_path_factory.mktemp("pack"))


def test_every_box_inside_its_page_and_no_overlaps(big_pack) -> None:
    min_pt = MIN_BOX_MM * 72 / 25.4
    for page in big_pack.layout.pages:
        w, h = page.size_pt
        rects = [b.rect_pt for b in page.boxes] + [r.rect_pt for r in page.regions]
        for x0, y0, x1, y1 in rects:
            assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        for b in page.boxes:
            assert b.rect_pt[2] - b.rect_pt[0] >= min_pt - 0.01  # rects are rounded to 1/1000 pt
        arr = np.array(rects)
        # Sort by x0 and compare only neighbours that could overlap: O(n log n) per page.
        order = np.argsort(arr[:, 0])
        for i, a in enumerate(order):
            for b in order[i + 1:]:
                if arr[b, 0] >= arr[a, 2]:
                    break
                overlap = arr[a, 1] < arr[b, 3] and arr[b, 1] < arr[a, 3]
                assert not overlap, (page.index, rects[a], rects[b])
        # Nothing sits on the marks or the QR code.
        half = page.mark_size_pt / 2
        keepout = [(cx - half, cy - half, cx + half, cy + half) for cx, cy in page.marks_pt] + list(page.qr_rects_pt)
        for kx0, ky0, kx1, ky1 in keepout:
            assert not np.any((arr[:, 0] < kx1) & (kx0 < arr[:, 2]) & (arr[:, 1] < ky1) & (ky0 < arr[:, 3]))


def test_box_ids_unique_and_counts_match_the_instrument(big_pack) -> None:
    manifest, layout, inst = big_case(), big_pack.layout, load_instrument()
    boxes = layout.boxes()
    assert len({b.id for b in boxes}) == len(boxes)
    ticks = Counter((b.participant, b.slot, b.dimension) for b in boxes if b.kind == "tick")
    ratings = Counter((b.participant, b.slot, b.dimension) for b in boxes if b.kind == "rating")
    for who in manifest.participants:
        version = "therapist" if who.is_worker else "client"
        for slot in SLOTS:
            for dim in SOFTA_DIMENSIONS:
                n_items = len(inst.items_of(version, dim))
                assert ticks[(who.code, slot.value, dim)] == n_items * manifest.windows == n_items * 18
                family_level = version == "client" and dim == "gezamenlijke_doelperceptie"
                assert ratings[(who.code, slot.value, dim)] == (0 if family_level else 7)
            bins = [b.bin for b in boxes if b.kind == "timeline" and b.participant == who.code and b.slot == slot.value]
            assert sorted(bins) == list(range(1, 181))
        if who.is_worker:
            assert ratings[(who.code, None, "spreektijd_balans")] == 11
            assert ratings[(who.code, None, "taalgebruik")] == 7
    for slot in SLOTS:
        assert ratings[("gezin", slot.value, "gezamenlijke_doelperceptie")] == 7
        assert ratings[("sessie", slot.value, "taalgebruik")] == 7
        assert {r.dimension for r in layout.regions() if r.slot == slot.value} == {
            "taalgebruik", "spreektijd", "opvallende_momenten"}
        assert len([r for r in layout.regions() if r.slot == slot.value]) == 4


def test_every_qr_decodes_with_zxing_to_its_layout_payload(big_pack) -> None:
    pdf = pdfium.PdfDocument(str(big_pack.pack_pdf))
    assert len(pdf) == len(big_pack.layout.pages)
    for page_layout in big_pack.layout.pages:
        image = pdf[page_layout.index].render(scale=QR_RENDER_DPI / 72, grayscale=True).to_pil()
        codes = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        # Both codes carry the payload, each where its rect says (top-right first, bottom-left second).
        assert [c.text for c in codes] == [page_layout.qr] * 2
        scale = QR_RENDER_DPI / 72
        for rect in page_layout.qr_rects_pt:
            assert any(rect[0] * scale < _centre(c)[0] < rect[2] * scale and rect[1] * scale < _centre(c)[1] < rect[3] * scale
                       for c in codes), rect
        identity = parse_qr_payload(page_layout.qr)
        assert identity is not None and identity.case == "2025-101"
        assert (identity.participant, identity.slot, identity.page) == (
            page_layout.participant, page_layout.slot, page_layout.page)
    pdf.close()


def _centre(code: zxingcpp.Barcode) -> tuple[float, float]:
    p = code.position
    corners = (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
    return (sum(c.x for c in corners) / 4, sum(c.y for c in corners) / 4)


def test_the_two_codes_sit_in_opposite_corners_clear_of_everything(big_pack) -> None:
    """A folded corner or a sticky note cannot hide both: they are a page diagonal apart."""
    for page in big_pack.layout.pages:
        assert len(page.qr_rects_pt) == 2 and page.qr_rects_pt[0] == page.qr_rect_pt
        (ax0, _, _, ay1), (_, by0, bx1, _) = page.qr_rects_pt
        assert bx1 < ax0 and ay1 < by0  # second left of and below the first
        assert (ax0 - bx1) / PT_PER_MM > 100 and (by0 - ay1) / PT_PER_MM > 200
        for x0, y0, x1, y1 in page.qr_rects_pt:
            assert (x1 - x0) / PT_PER_MM >= g.QR_SIZE_MM - 0.01
            assert 0 < x0 < x1 < page.size_pt[0] and 0 < y0 < y1 < page.size_pt[1]


def test_qr_symbol_edges_stay_off_the_registration_marks_lines(big_pack) -> None:
    """Registration fits QR corners and marks together: corners in line with two marks make it ill-conditioned."""
    page = big_pack.layout.pages[0]
    mark_rows = {round(y, 3) for _, y in page.marks_pt}
    for x0, y0, x1, y1 in page.qr_rects_pt:
        inset = (x1 - x0) * g.QR_QUIET_MODULES / (g.QR_ROOM_MODULES + 2 * g.QR_QUIET_MODULES)
        for edge in (y0 + inset, y1 - inset):
            assert min(abs(edge - row) for row in mark_rows) / PT_PER_MM >= 2.5


def test_the_footer_fits_beside_the_second_code() -> None:
    assert g.FOOTER_LEFT_MM > g.QR2_LEFT_MM + g.QR_SIZE_MM
    width_mm = stringWidth(INSTRUCTION, g.FONT, g.SMALL_PT + 0.5) / PT_PER_MM
    assert g.FOOTER_LEFT_MM + width_mm < g.CONTENT_RIGHT_MM
    assert g.CONTENT_BOTTOM_MM < g.QR2_BOTTOM_MM - g.QR_SIZE_MM
    assert g.CONTENT_TOP_MM > g.QR_TOP_MM + g.QR_SIZE_MM


def test_item_texts_and_footer_payloads_are_in_the_pdf_text(big_pack) -> None:
    reader = PdfReader(big_pack.pack_pdf)
    pages_text = [p.extract_text() for p in reader.pages]
    folded = re.sub(r"\s+", " ", " ".join(pages_text))
    for item in load_instrument().items:
        assert item.text in folded, item.text
    for page_layout, text in zip(big_pack.layout.pages, pages_text, strict=True):
        assert page_layout.qr in text


def test_slot_pdfs_split_the_pack(big_pack) -> None:
    total = 0
    for key, path in big_pack.slot_pdfs.items():
        n = len(PdfReader(path).pages)
        expected = sum(1 for p in big_pack.layout.pages if str(p.slot) == key)
        assert n == expected > 0
        total += n
    assert total == len(big_pack.layout.pages)


def test_layout_json_contract(big_pack) -> None:
    data = json.loads(big_pack.layout_json.read_text(encoding="utf-8"))
    assert data["schema"] == LAYOUT_SCHEMA == "softa-layout/2" and data["case"] == "2025-101"
    assert data["layout_version"] == LAYOUT_VERSION == 2
    page = data["pages"][0]
    assert {"index", "qr", "size_pt", "boxes", "regions", "qr_rect_pt", "qr_rects_pt"} <= set(page)
    assert page["qr"].startswith("SOFTA2|") and page["qr_rects_pt"][0] == page["qr_rect_pt"]
    assert len(page["qr_rects_pt"]) == 2
    box = page["boxes"][0]
    assert {"id", "kind", "rect_pt", "group", "participant", "slot", "dimension", "item", "window"} <= set(box)
    assert load_layout(big_pack.layout_json) == big_pack.layout


def test_same_manifest_gives_byte_identical_output(big_pack, tmp_path: Path) -> None:
    first = big_pack
    second = generate_pack(big_case(), tmp_path / "b")
    assert first.pack_pdf.read_bytes() == second.pack_pdf.read_bytes()
    assert first.layout_json.read_bytes() == second.layout_json.read_bytes()
    for key in first.slot_pdfs:
        assert first.slot_pdfs[key].read_bytes() == second.slot_pdfs[key].read_bytes()


def test_build_layout_equals_the_written_layout(big_pack) -> None:
    assert build_layout(big_case()) == big_pack.layout


def test_windows_cover_the_session_in_blocks_of_an_hour(big_pack) -> None:
    windows = {b.window for b in big_pack.layout.boxes() if b.kind == "tick"}
    assert windows == set(range(1, 19))


#: Glyph extent around the baseline as a share of the font size (Helvetica: ascender
#: 0.72, descender 0.21), for the boxes that printed text occupies.
ASCENT, DESCENT = 0.72, 0.21
#: Overlaps smaller than this are rounding, not collisions.
TOLERANCE_MM = 0.05
PT_PER_MM = 72 / 25.4


def _text_rects_mm(plan) -> np.ndarray:
    rects = []
    for run in plan.texts:
        width = stringWidth(run.text, run.font, run.size) / PT_PER_MM
        x0 = {"left": run.x_mm, "center": run.x_mm - width / 2, "right": run.x_mm - width}[run.align]
        size_mm = run.size / PT_PER_MM
        rects.append((x0, run.y_mm - ASCENT * size_mm, x0 + width, run.y_mm + DESCENT * size_mm))
    return np.array(rects)


def _overlaps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise overlap matrix of two sets of rectangles (x0, y0, x1, y1)."""
    return ((a[:, None, 0] < b[None, :, 2] - TOLERANCE_MM) & (b[None, :, 0] < a[:, None, 2] - TOLERANCE_MM)
            & (a[:, None, 1] < b[None, :, 3] - TOLERANCE_MM) & (b[None, :, 1] < a[:, None, 3] - TOLERANCE_MM))


def test_printed_text_never_collides_with_a_box_or_other_text() -> None:
    """Labels beside boxes ("10", "+3"), item numbers ("10.") and wrapped lines all keep clear."""
    for plan in plan_pages(big_case()):
        texts = _text_rects_mm(plan)
        boxes = np.array([b.rect_pt for b in plan.layout.boxes]) / PT_PER_MM
        assert texts[:, 0].min() >= g.CONTENT_LEFT_MM - TOLERANCE_MM, plan.layout.qr
        assert texts[:, 2].max() <= g.CONTENT_RIGHT_MM + TOLERANCE_MM, plan.layout.qr
        clash = _overlaps(texts, boxes)
        assert not clash.any(), (plan.layout.qr, [plan.texts[i].text for i in np.nonzero(clash)[0]])
        same = _overlaps(texts, texts)
        np.fill_diagonal(same, False)
        pairs = [(plan.texts[i].text, plan.texts[j].text) for i, j in zip(*np.nonzero(same), strict=True)]
        assert not pairs, (plan.layout.qr, pairs[:4])


def test_every_box_lies_in_the_content_area(big_pack) -> None:
    """Boxes stay between the margins, where the row shading and the scanner's alignment expect them."""
    for page in big_pack.layout.pages:
        arr = np.array([b.rect_pt for b in page.boxes]) / PT_PER_MM
        assert arr[:, 0].min() >= g.CONTENT_LEFT_MM and arr[:, 2].max() <= g.CONTENT_RIGHT_MM, page.qr
        assert arr[:, 1].min() >= g.CONTENT_TOP_MM and arr[:, 3].max() <= g.CONTENT_BOTTOM_MM, page.qr


def test_rating_scales_and_legend_are_never_broken_across_lines() -> None:
    inst = load_instrument()
    legend_entries = [f"{'+' if v > 0 else ''}{v} = {label}" for v, label in
                      zip(inst.scale_values, inst.scale_labels, strict=True)]
    for plan in plan_pages(big_case()):
        lines = [t.text for t in plan.texts]
        for line in lines:
            if "(-3" in line or "+3)" in line:
                assert "(-3 tot +3)" in line, (plan.layout.qr, line)
        if plan.layout.page == 1:
            legend = " ".join(line for line in lines if "=" in line)
            for entry in legend_entries:
                assert entry in legend, (plan.layout.qr, entry)


def test_starred_items_carry_their_star_and_the_legend_explains_it(big_pack) -> None:
    """Bijlage 2 prints * after a therapist item that has a client counterpart."""
    inst = load_instrument()
    reader = PdfReader(big_pack.pack_pdf)
    first = big_pack.layout.pages[0]
    assert first.form == "hulpverlener"
    pages = [p.index for p in big_pack.layout.pages if p.form == "hulpverlener" and p.participant == "H1"
             and p.slot == "1"]
    folded = re.sub(r"\s+", " ", " ".join(reader.pages[i].extract_text() for i in pages))
    assert "* = er is een corresponderend item in de cliëntversie" in folded
    for item in inst.items:
        if item.version == "therapist":
            assert (f"{item.text} *" in folded) == item.corresponding, item.text


def test_footer_names_the_form_in_dutch(big_pack) -> None:
    reader = PdfReader(big_pack.pack_pdf)
    client_page = next(p for p in big_pack.layout.pages if p.form == "client")
    assert f"cliënt {client_page.participant} obs. 1" in reader.pages[client_page.index].extract_text()


def test_long_roles_are_shortened_to_fit_beside_the_timeline() -> None:
    people = (Participant("H1", "hulpverlener"),
              Participant("C1", "stiefvader van de jongste twee kinderen"))
    manifest = Manifest(case="2025-102", date=dt.date(2026, 11, 21), minutes=15,
                        observers=("Anna de Vries", "Bram Jansen"), participants=people)
    plan = next(p for p in plan_pages(manifest) if p.layout.form == "gedragsdimensies")
    labels = [t.text for t in plan.texts if t.text.startswith("C1 ")]
    assert labels and all(label.endswith("…") for label in labels)
    boxes = np.array([b.rect_pt for b in plan.layout.boxes]) / PT_PER_MM
    assert not _overlaps(_text_rects_mm(plan), boxes).any()


def test_window_labels_end_at_the_session_end() -> None:
    """Windows are labelled by their end minute as on the manual's forms; the last one by the session's end."""
    people = (Participant("H1", "hulpverlener"), Participant("C1", "moeder"))
    manifest = Manifest(case="2025-103", date=dt.date(2026, 11, 21), minutes=92,
                        observers=("Anna de Vries", "Bram Jansen"), participants=people)
    plans = [p for p in plan_pages(manifest) if p.layout.form == "client"]
    labels = [t.text for p in plans for t in p.texts if t.text.isdigit() and t.font == g.FONT_BOLD]
    assert "92" in labels and "95" not in labels and "60" in labels
    assert any(t.text.endswith("minuut 60–92") for p in plans for t in p.texts)


def test_the_header_never_runs_into_the_qr_code() -> None:
    """The longest case number and role the manifest allows still end before the QR code."""
    people = (Participant("H1", "hulpverlener"), Participant("C12", "stiefvader van de jongste twee kinderen"))
    manifest = Manifest(case="A" * 32, date=dt.date(2026, 11, 21), minutes=5,
                        observers=("Anna de Vries", "Bram Jansen"), participants=people)
    for plan in plan_pages(manifest):
        qr_left_mm = plan.layout.qr_rect_pt[0] / PT_PER_MM
        for text, font, size in ((plan.title, g.FONT_BOLD, g.TITLE_PT), (plan.subtitle, g.FONT, g.SUBTITLE_PT)):
            assert g.CONTENT_LEFT_MM + stringWidth(text, font, size) / PT_PER_MM < qr_left_mm, text
        if plan.layout.participant == "C12":
            assert "C12 (stief" in plan.subtitle and "…)" in plan.subtitle


V1_LAYOUT = Path(__file__).parent / "fixtures" / "layout_v1_2023-001.json"


def test_a_version_1_layout_still_loads_with_its_single_code() -> None:
    """Packs printed before layout version 2 (one QR code) stay readable."""
    layout = load_layout(V1_LAYOUT)
    assert layout.layout_version == 1 and len(layout.pages) == 2
    for page in layout.pages:
        assert page.qr.startswith("SOFTA1|") and page.qr_rects_pt == (page.qr_rect_pt,)
        identity = parse_qr_payload(page.qr)
        assert identity is not None and identity.layout_version == 1 and identity.case == "2023-001"
    # Written again, it is a version-2 file with the one code listed, and reads back equal.
    again = layout_from_json(json.loads(layout.dumps()))
    assert again.pages == layout.pages and again.layout_version == 1


def test_a_layout_whose_first_code_is_not_qr_rect_is_refused() -> None:
    page = build_layout(Manifest(case="2023-002", date=dt.date(2026, 1, 5), minutes=5, observers=("A", "B"),
                                 participants=(Participant("H1", "hulpverlener"), Participant("C1", "moeder")))).pages[0]
    data = page.to_json()
    with pytest.raises(LayoutError):
        PageLayout(**{**{k: v for k, v in vars(page).items()}, "qr_rects_pt": (page.qr_rects_pt[1], page.qr_rect_pt)})
    assert data["qr_rects_pt"][0] == data["qr_rect_pt"]
    with pytest.raises(LayoutError):
        layout_from_json({"schema": "softa-layout/9", "case": "x", "pages": []})
