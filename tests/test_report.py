"""The feedback report: content in Dutch, cropped images when not transcribed, determinism, refusal."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw
from pypdf import PdfReader

from export.report import write_report
from softa.cli import main
from softa.db import data_dir, transaction
from softa.errors import UnresolvedDataError
from softa.instrument import load_instrument
from tests.stored_case import StoredCase, stored_case

MOMENT = "consensus:sessie:opvallende_momenten:moment_2"


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> StoredCase:
    stored = stored_case(tmp_path_factory.mktemp("db") / "softa.sqlite", seed=4)
    crops = data_dir(stored.db_path) / "crops"
    crops.mkdir(parents=True)
    img = Image.new("L", (900, 220), 255)
    ImageDraw.Draw(img).line([(40, 120), (300, 90), (600, 140), (860, 100)], fill=20, width=6)
    img.save(crops / "moment_2.png")
    with transaction(stored.conn):
        stored.conn.execute("UPDATE region_values SET status = 'pending', transcription = NULL, image_path = ?"
                            " WHERE region_id = ?", ("crops/moment_2.png", MOMENT))
    return stored


@pytest.fixture(scope="module")
def report(case: StoredCase, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "feedback.pdf"
    result = write_report(case.conn, case.manifest.case, out)
    assert result.pages >= 4
    return out


def _text(path: Path) -> str:
    return " ".join(page.extract_text() or "" for page in PdfReader(path).pages)


def test_report_content_in_dutch(case: StoredCase, report: Path) -> None:
    text = " ".join(_text(report).split())
    assert "Feedback op de werkalliantie" in text and "casus 2024-017" in text
    for heading in ("De alliantie per dimensie", "Zelfbeoordeling", "Gedrag per tijdvak", "Verdeling van de spreektijd",
                    "opvallende momenten", "Hoe goed kwamen de observatoren overeen"):
        assert heading in text, heading
    taal = next(b.value for b in case.layout.boxes() if b.id.startswith("consensus:sessie:taalgebruik:v")
                and case.truth.boxes[b.id])
    assert f"{taal:+d} ({load_instrument().scale_label(taal)})".replace("+0", "0") in text
    moment_1 = case.truth.texts["consensus:sessie:opvallende_momenten:moment_1"]
    assert " ".join(moment_1.split()[:4]) in text
    assert "Handgeschreven" in text  # moment 2 is not transcribed: its crop is shown
    balance = next(b.value for b in case.layout.boxes() if b.dimension == "spreektijd_balans"
                   and case.truth.boxes[b.id])
    assert f"als een {balance} op een schaal" in text
    for name in ("Anna", "Bram"):
        assert name not in text  # student names only in export file names
    # the heat maps' abbreviations are explained for the reader
    assert "Band = Emotionele band" in text and "Doel = Gezamenlijke doelperceptie" in text


def test_report_embeds_charts_and_crop(report: Path) -> None:
    images = sum(len(page.images) for page in PdfReader(report).pages)
    # dot chart, self-assessment, one heat map per participant (4), speaking time, the crop
    assert images >= 8


def test_report_is_deterministic(case: StoredCase, report: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.pdf"
    write_report(case.conn, case.manifest.case, again)
    assert again.read_bytes() == report.read_bytes()
    assert b"/CreationDate (D:20000101000000" in again.read_bytes()  # invariant mode: no clock time inside


def test_report_refuses_unresolved_unless_allowed(tmp_path: Path) -> None:
    case = stored_case(tmp_path / "softa.sqlite", seed=7)
    with transaction(case.conn):
        case.conn.execute("UPDATE box_values SET status = 'flagged' WHERE box_id = 'consensus:H1:veiligheid:v+1'")
    with pytest.raises(UnresolvedDataError):
        write_report(case.conn, case.manifest.case, tmp_path / "r.pdf")
    out = tmp_path / "allowed.pdf"
    result = CliRunner().invoke(main, ["report", "--case", case.manifest.case, "--out", str(out),
                                       "--db", str(case.db_path), "--allow-unresolved"])
    assert result.exit_code == 0, result.output
    text = " ".join(_text(out).split())
    assert "Let op" in text and "ontbreekt" in text
    assert "Lichtroze vakken" not in text  # only a rating is missing, no tick in the heat maps
    with transaction(case.conn):
        case.conn.execute("UPDATE box_values SET status = 'flagged' WHERE box_id = 'consensus:C1:veiligheid:i03:w02'")
    write_report(case.conn, case.manifest.case, out, allow_unresolved=True)
    assert "Lichtroze vakken ontbreken" in " ".join(_text(out).split())


def test_trim_crop_cuts_empty_space_below_the_writing() -> None:
    import io

    from export.report import trim_crop

    img = Image.new("L", (600, 300), 240)
    draw = ImageDraw.Draw(img)
    draw.rectangle([2, 2, 597, 297], outline=0, width=2)  # printed frame
    for x in range(40, 500, 60):  # one written line near the top
        draw.line([(x, 70), (x + 25, 52)], fill=20, width=4)
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    trimmed = Image.open(io.BytesIO(trim_crop(buffer.getvalue())))
    assert 70 < trimmed.height < 120 and trimmed.width == 600
    for x in range(40, 500, 60):  # handwriting down to the bottom: nothing to cut
        draw.line([(x, 288), (x + 25, 270)], fill=20, width=4)
    full = io.BytesIO()
    img.save(full, format="PNG")
    assert trim_crop(full.getvalue()) == full.getvalue()


def test_speaking_summary_compares_only_known_totals() -> None:
    from export.report import speaking_summary

    known = speaking_summary([(1950, True), (600, False), (540, False), (1050, False)])
    assert "De cliënten spraken samen 36:30, de hulpverlener 32:30." in known
    assert "De cliënten waren samen meer aan het woord dan de hulpverlener." in known
    assert "De hulpverlener was meer aan het woord dan de cliënten samen." in speaking_summary(
        [(1950, True), (60, False), (60, False)])
    assert "De hulpverlener was meer aan het woord dan de cliënt." in speaking_summary([(1950, True), (540, False)])
    assert "De hulpverleners waren meer aan het woord dan de cliënt." in speaking_summary(
        [(900, True), (900, True), (60, False)])
    assert "even lang" in speaking_summary([(300, True), (300, False)])
    # one client's total is missing: counting it as zero would make the worker look the bigger talker
    unknown = speaking_summary([(1950, True), (None, False), (540, False), (1050, False)])
    assert "niet te zeggen" in unknown and "meer aan het woord dan" not in unknown


def test_speaking_row_gives_a_range_for_unsure_bins() -> None:
    """One unsure 30-second box does not make the total 'ontbreekt': it widens it to a range."""
    from export.report import speaking_row

    session = 60 * 60
    assert speaking_row("C1 moeder", (1, 1, 0, 1), session) == ["C1 moeder", "1:30", "90", "2,5%"]
    assert speaking_row("C1 moeder", (1, None, 0, 1), session) == [
        "C1 moeder", "1:00 tot 1:30 (1 vakje onzeker)", "60-90", "1,7% tot 2,5%"]
    assert speaking_row("C1 moeder", (), session)[1] == "ontbreekt"


def test_kappa_words_read_in_order_and_cite_the_scale() -> None:
    """Landis & Koch's bands in Dutch words that rise with kappa; 0.00 is a value like any other."""
    from export.plainwords import KAPPA_SCALE_TEXT, KAPPA_WORDS, kappa_word

    words = [kappa_word(v) for v in (-0.1, 0.0, 0.1, 0.3, 0.5, 0.7, 0.9)]
    assert words == ["niet beter dan toeval", "gering", "gering", "zwak", "middelmatig", "sterk", "bijna volledig"]
    assert "Landis & Koch (1977)" in KAPPA_SCALE_TEXT
    assert all(word in KAPPA_SCALE_TEXT for _, word in KAPPA_WORDS)


def test_behaviour_labels_are_never_cut(case: StoredCase) -> None:
    """Under each heat map every seen behaviour's full description is printed, no '…'."""
    from export.report import DIM_SHORT, heat_legend
    from export.values import case_values

    values = case_values(case.conn, case.manifest.case)
    inst = load_instrument()
    seen = 0
    for who in case.manifest.participants:
        version = "therapist" if who.is_worker else "client"
        for label, text in heat_legend(values, who.code, version):
            short, number, _sign = label.split()
            dim = next(d for d, s in DIM_SHORT.items() if s == short)
            full = inst.item(version, dim, int(number)).text
            assert "…" not in text and full.lower().endswith(text.lower())
            assert len(text) >= len(full) - len("Hulpverlener ")  # only the subject is left out
            seen += 1
    assert seen > 0


def test_self_assessment_missing_is_said_as_missing(case: StoredCase) -> None:
    """Without the self-assessment the report must not say that it agrees with the observers."""
    from export.report import _self_section, _styles
    from export.values import SELF, case_values

    values = case_values(case.conn, case.manifest.case)
    for key in [k for k in values.ratings if k[1] == SELF]:
        values.ratings[key] = None
    story = _self_section(values, _styles())
    text = " ".join(getattr(f, "text", "") for f in story)
    assert "komt je zelfbeoordeling overeen" not in text
    assert "Niet te vergelijken" in text and "zelfbeoordeling ontbreekt" in text


def test_speaking_summary_with_unsure_bins_compares_when_the_ranges_allow() -> None:
    from export.report import speaking_range, speaking_summary_range

    assert speaking_range((1, None, 0)) == (30, 60) and speaking_range(()) == (None, None)
    clear = speaking_summary_range([(1200, 1230, True), (300, 300, False), (200, 260, False)])
    assert clear is not None and "Hoe die vakjes ook uitvallen: de hulpverlener meer aan het woord" in clear
    assert "tussen 8:20 en 9:20" in clear
    close = speaking_summary_range([(500, 560, True), (520, 530, False)])
    assert close is not None and "niet te zeggen" in close
    assert speaking_summary_range([(None, None, True), (300, 300, False)]) is None
