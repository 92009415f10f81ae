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

from formgen import build_layout, generate_pack
from softa.instrument import SLOTS, SOFTA_DIMENSIONS, load_instrument
from softa.layout import LAYOUT_SCHEMA, load_layout, parse_qr_payload
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
        keepout = [(cx - half, cy - half, cx + half, cy + half) for cx, cy in page.marks_pt] + [page.qr_rect_pt]
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
        assert [c.text for c in codes] == [page_layout.qr]
        identity = parse_qr_payload(page_layout.qr)
        assert identity is not None and identity.case == "2025-101"
        assert (identity.participant, identity.slot, identity.page) == (
            page_layout.participant, page_layout.slot, page_layout.page)
    pdf.close()


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
    assert data["schema"] == LAYOUT_SCHEMA and data["case"] == "2025-101"
    page = data["pages"][0]
    assert {"index", "qr", "size_pt", "boxes", "regions"} <= set(page)
    box = page["boxes"][0]
    assert {"id", "kind", "rect_pt", "group", "participant", "slot", "dimension", "item", "window"} <= set(box)
    assert load_layout(big_pack.layout_json) == big_pack.layout


def test_same_manifest_gives_byte_identical_output(tmp_path: Path) -> None:
    first = generate_pack(big_case(), tmp_path / "a")
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
