"""Page identity: either of the two QR codes identifies and registers a page; without both, the
printed structure proposes the page for a reviewer to confirm."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest

from formgen import generate_pack
from formgen.pack import FormPack
from scan.identify import find_qr, qr_symbol_pt, symbol_corners_pt
from scan.inputs import PageImage
from scan.pipeline import KnownPage, identify_and_read
from scan.structure import Proposal, load_proposal, propose, save_proposal
from softa.layout import PageLayout, QrIdentity, parse_qr_payload
from softa.manifest import Manifest, Participant

#: The resolution the codes are promised to decode at, 1-bit.
SCAN_DPI = 150
BITONAL_LEVEL = 128


def _manifest(case: str) -> Manifest:
    return Manifest(case=case, date=dt.date(2026, 11, 21), minutes=10, observers=("A", "B"),
                    participants=(Participant("H1", "hulpverlener"), Participant("C1", "moeder")))


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> FormPack:
    return generate_pack(_manifest("2026-031"), tmp_path_factory.mktemp("identify"))


@pytest.fixture(scope="module")
def other_pack(tmp_path_factory: pytest.TempPathFactory) -> FormPack:
    """A second case printed exactly alike (same length and people): only the text tells them apart."""
    return generate_pack(_manifest("2026-032"), tmp_path_factory.mktemp("identify_other"))


def _bitonal(pack: FormPack, index: int, dpi: float = SCAN_DPI) -> np.ndarray:
    doc = pdfium.PdfDocument(str(pack.pack_pdf))
    try:
        gray = doc[index].render(scale=dpi / 72, grayscale=True).to_numpy().squeeze().copy()
    finally:
        doc.close()
    return np.where(gray < BITONAL_LEVEL, 0, 255).astype(np.uint8)


def _cover(image: np.ndarray, rect: tuple[float, float, float, float], dpi: float = SCAN_DPI,
           level: int = 255) -> np.ndarray:
    """A sticky note (white) or a stain (grey) over a layout rect, a little larger than it."""
    s = dpi / 72
    x0, y0, x1, y1 = (round(v * s) for v in rect)
    out = image.copy()
    out[max(0, y0 - 6):y1 + 6, max(0, x0 - 6):x1 + 6] = level
    return out


def _turn(image: np.ndarray, degrees: int) -> np.ndarray:
    return {0: image, 90: cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE), 180: cv2.rotate(image, cv2.ROTATE_180),
            270: cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)}[degrees]


def _known(*packs: FormPack) -> dict[str, KnownPage]:
    return {p.qr: KnownPage(case_id=pk.layout.case, layout=p) for pk in packs for p in pk.layout.pages}


def _page(gray: np.ndarray) -> PageImage:
    return PageImage(gray=gray, stored_bytes=b"", stored_ext=".png", image_sha256="0" * 64, dpi=SCAN_DPI,
                     vector_only=False)


@pytest.mark.parametrize("hidden", [0, 1])
@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_either_code_alone_identifies_and_registers_a_150_dpi_bitonal_page(pack, hidden, turn) -> None:
    page = pack.layout.pages[0]
    image = _turn(_cover(_bitonal(pack, page.index), page.qr_rects_pt[hidden]), turn)
    qr = find_qr(image)
    assert qr is not None and qr.text == page.qr
    # The corners of the code that was read are the visible code's, not the hidden one's.
    shown = 1 - hidden
    assert np.allclose(qr_symbol_pt(image, qr, page), symbol_corners_pt(page.qr_rects_pt[shown], qr.version))
    result = identify_and_read(_page(image), 1, _known(pack), {pack.layout.case})
    assert result.status == "identified" and result.page_index == page.index
    assert result.rotation == turn and result.registration_error_mm is not None
    assert result.reason is None, result.reason


def test_a_version_1_payload_still_names_its_page() -> None:
    identity = parse_qr_payload("SOFTA1|2024-017|C|C2|K|2/3")
    assert identity is not None and identity.layout_version == 1 and identity.slot == "consensus"
    assert QrIdentity(case="2024-017", form="client", participant="C2", slot="consensus", page=2, pages=3,
                      layout_version=1).payload() == "SOFTA1|2024-017|C|C2|K|2/3"
    # Version-1 codes had a 4-module quiet zone, version 2 has 2: the symbol insets differ.
    rect = (0.0, 0.0, 74.0, 74.0)
    assert symbol_corners_pt(rect, 3, 1)[0][0] == pytest.approx(74.0 * 4 / 37)
    assert symbol_corners_pt(rect, 3, 2)[0][0] == pytest.approx(74.0 * 2 / 33)


def _hide_both(pack: FormPack, page: PageLayout, dpi: float = SCAN_DPI) -> np.ndarray:
    image = _bitonal(pack, page.index, dpi)
    for rect in page.qr_rects_pt:
        image = _cover(image, rect, dpi, level=140)  # a grey stain over each code
    return image


def _pages(*packs: FormPack) -> list[tuple[str, PageLayout]]:
    return [(pk.layout.case, p) for pk in packs for p in pk.layout.pages]


@pytest.mark.parametrize("turn", [0, 180])
def test_without_both_codes_the_printed_structure_proposes_the_page(pack, other_pack, turn) -> None:
    # Observer 2's client form, page 1: printed like observer 1's, consensus's and the other case's.
    page = next(p for p in pack.layout.pages if p.form == "client" and p.slot == "2" and p.page == 1)
    image = _turn(_hide_both(pack, page), turn)
    assert find_qr(image) is None
    proposal = propose(image, _pages(pack, other_pack))
    assert proposal is not None
    assert (proposal.case_id, proposal.page_index, proposal.qr) == (pack.layout.case, page.index, page.qr)
    assert proposal.rotation == turn
    alike = {p.qr for _, p in _pages(pack, other_pack) if [b.rect_pt for b in p.boxes] == [b.rect_pt for b in page.boxes]}
    assert len(alike) >= 4 and {c[2] for c in proposal.candidates} == alike
    assert proposal.structure_score > proposal.runner_up_score


def test_the_pipeline_stores_the_proposal_on_the_unidentified_page(pack) -> None:
    page = next(p for p in pack.layout.pages if p.form == "gedragsdimensies" and p.page == 1)
    result = identify_and_read(_page(_hide_both(pack, page)), 1, _known(pack), {pack.layout.case})
    assert result.status == "unidentified" and result.reason == "no_qr" and result.case_id is None
    assert result.proposal_json is not None
    proposal = Proposal.from_json(result.proposal_json)
    assert (proposal.case_id, proposal.page_index) == (pack.layout.case, page.index)
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE scanned_pages (id INTEGER PRIMARY KEY)")
    conn.execute("INSERT INTO scanned_pages(id) VALUES (7)")
    assert load_proposal(conn, 7) is None  # no table yet
    save_proposal(conn, 7, result.proposal_json)
    assert load_proposal(conn, 7) == proposal
    save_proposal(conn, 7, None)
    assert load_proposal(conn, 7) is None


def test_no_proposal_for_a_sheet_that_is_no_form(pack, tmp_path: Path) -> None:
    sheet = np.full((1754, 1240), 255, np.uint8)
    cv2.putText(sheet, "Verslag van het gesprek", (120, 300), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 0, 4)
    for y in range(400, 1600, 60):
        cv2.line(sheet, (120, y), (1100, y), 0, 2)
    assert propose(sheet, _pages(pack)) is None
    assert propose(np.full((1754, 1240), 255, np.uint8), _pages(pack)) is None
