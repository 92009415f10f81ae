"""Named real-world scan scenarios: the paper, pens, devices and files that offices actually produce.

Each ``Scenario`` stands for one situation users meet (its ``description``, Dutch, says
which), with its own seed. ``generate`` fills pages of the form packs with the
simulator's pen marks (``samples.simulate.fill_page``), adds what the paper went
through (``samples.realworld_paper``), scans it with a device profile
(``samples.simulate_degrade``), and writes the files the way that device does
(``samples.realworld_files``), plus ``truth.json`` (schema ``softa-real-truth/1``):

* per page: source file, page number, kind (form/blank), QR payload, case, and
  ``identity_legible`` (at least one QR code on the page is not hidden);
* per box: the value a person reads from the paper, and ``ambiguous`` (a person
  could not say: circles, partial cancellations, an erased tick a 1-bit scan kept
  black) or ``covered`` (its printed border is hidden: sticky note, fold): a reader
  must flag those, and must read every other box right; ``invisible`` marks the
  ticks the file itself lost (pencil in a 1-bit scan), which no reader can see.

Run: ``python -m samples.realworld --out DIR [--pages N] [--only NAME ...]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from samples.realworld_files import (
    DrumStreak,
    LayeredPdfWriter,
    Output,
    Page,
    PostEffect,
    ShadowBand,
    add_compact_page,
    add_jpx_page,
    add_matrix_page,
    add_ocr_page,
    add_strips_page,
    bitonal,
    resample_rows,
    to_gray,
    write_jpeg_exif,
    write_pdf_bitonal,
    write_pdf_jpeg,
    write_tiff16,
    write_tiff_bitonal,
    write_tiff_colour,
)
from samples.realworld_marks import CircledBox, CircledLabel, CorrectionFluid, FeltTip, PartialCancel
from samples.realworld_paper import (
    BleedThrough,
    BoxTruth,
    CoffeeRing,
    DogEar,
    Highlighter,
    PagePlan,
    PunchHoles,
    StickyNote,
    TornCorner,
    qr_rects,
)
from samples.simulate import fill_page, render_page
from samples.simulate_degrade import OFFICE, PHONE, ScanProfile, blank_page, degrade_page
from samples.simulate_marks import CANCELLED, ERASED, INK_WEIGHTS, INKS, PENCIL, Ink
from samples.truth import CodingTruth
from softa.layout import POINTS_PER_INCH, BoxKind, CaseLayout, PageLayout
from softa.manifest import Manifest

TRUTH_SCHEMA = "softa-real-truth/1"
Category = Literal["scanner", "copier", "fax", "phone"]
MANIFEST = Path(__file__).resolve().parent / "case_2024-017.toml"
#: Independent random streams per scenario: page choice, each page, the file writer.
_PLAN_STREAM, _PAGE_STREAM, _FILE_STREAM, _BACK_STREAM = 0, 1, 2, 3
#: Fax: 204 dpi across; standard resolution 98 lines per inch down, fine 196.
FAX_DPI = 204
FAX_STANDARD_LPI = 98
FAX_FINE_LPI = 196
#: Bitonal pages: a ticked box whose inner part (INNER_SHARE of its side) keeps less than LOST_MAX black
#: pixels lost its mark (invisible: a person sees an empty box); an erased tick keeping more than ERASED_SEEN
#: is seen (ambiguous).
INNER_SHARE = 0.6
LOST_MAX = 0.03
ERASED_SEEN = 0.08
#: Faded print varies across the page by up to this share (toner banding).
FADE_BANDING = 0.25


@dataclass(frozen=True)
class Device:
    """How the paper becomes a file: scanner/phone profile, colour, resolution, conversion and file type."""

    profile: ScanProfile
    output: Output
    colour: bool = False
    dpi: tuple[int, ...] = (200, 300)
    #: Share of rows kept (fax standard resolution: 98/204); the dpi down is dpi x share.
    rows_share: float = 1.0
    #: Black-and-white mode: the fixed threshold (share of white) is drawn from this range per page.
    threshold: tuple[float, float] | None = None
    post: tuple[PostEffect, ...] = ()
    jpeg_quality: tuple[int, int] = (70, 92)


@dataclass(frozen=True)
class Scenario:
    """One real-world situation: its name, what it stands for, its seed, and how its pages are made."""

    name: str
    description: str
    seed: int
    category: Category
    device: Device
    paper: tuple[Artefact, ...] = ()
    #: Only pages that have boxes of this kind (the artefact needs them).
    wants: BoxKind | None = None
    #: One writing instrument for every page (default: drawn per page like the simulator).
    ink: Ink | None = None
    blank_pages: int = 0
    #: The printer's toner ran low: printed content keeps this share of its darkness (range, per page).
    print_fade: tuple[float, float] | None = None


#: Everything paper can go through or students can do besides the expected tick.
Artefact = Highlighter | CoffeeRing | StickyNote | DogEar | TornCorner | BleedThrough | PunchHoles | FeltTip \
    | CircledBox | CircledLabel | PartialCancel | CorrectionFluid

OFFICE_GREY = dataclasses.replace(OFFICE, name="office-grey", streak_share=0.0)
#: A copier's scan-to-file: straight feed, a little more contrast.
COPIER = dataclasses.replace(OFFICE, name="copier", streak_share=0.0, gamma=(1.0, 1.3), skew_deg=1.5)
FAX = dataclasses.replace(OFFICE, name="fax", skew_deg=1.5, large_skew_share=0.0, upside_down_share=0.1,
                          sideways_share=0.0, noise_sigma=(1.0, 3.0), streak_share=0.0, feed_stretch=0.01)
#: Dark table tops (RGB) a phone photo of a sheet is often taken on.
DARK_TABLES = ((60, 45, 35), (45, 45, 48), (70, 68, 66), (90, 60, 40))
PHONE_CURL = dataclasses.replace(PHONE, name="phone-curl", curl_min_mm=2.5, curl_mm=3.5, shadow_share=0.0,
                                 table_tints=DARK_TABLES, table_level=(0.45, 0.8))
PHONE_FLAT_EXIF = dataclasses.replace(PHONE, name="phone-flat", curl_mm=0.0)

_SCANNER_PDF = Device(OFFICE_GREY, "pdf-jpeg", colour=False)
_COLOUR_PDF = Device(OFFICE_GREY, "pdf-jpeg", colour=True)

SCENARIOS: tuple[Scenario, ...] = (
    Scenario("kantoor-referentie", "Kantoorscanner 200-300 dpi, JPEG in PDF, grijs (referentie zonder bijzonderheden)",
             101, "scanner", _SCANNER_PDF),
    Scenario("tiff16-archief", "Kantoorscanner, 16-bit grijs TIFF archiefinstelling, alle pagina's in één bestand",
             102, "scanner", Device(OFFICE_GREY, "tiff16", dpi=(300,)), blank_pages=1),
    Scenario("kleuren-tiff", "Multifunctional scant naar TIFF: per pagina RGB, CMYK, palet of grijs",
             103, "scanner", Device(OFFICE_GREY, "tiff-colour", colour=True, dpi=(200,))),
    Scenario("fax-standaard", "fax standaardresolutie 204x98 dpi (CCITT G3/G4 TIFF)",
             104, "fax", Device(FAX, "tiff-fax", dpi=(FAX_DPI,), rows_share=FAX_STANDARD_LPI / FAX_DPI,
                                threshold=(0.5, 0.62))),
    Scenario("fax-fijn", "fax fijne resolutie 204x196 dpi (CCITT TIFF)",
             105, "fax", Device(FAX, "tiff-fax", dpi=(FAX_DPI,), rows_share=FAX_FINE_LPI / FAX_DPI,
                                threshold=(0.5, 0.62))),
    Scenario("bitonaal-150", "150 dpi bitonaal (zwart-wit) PDF met CCITT G4, de kleinste scaninstelling",
             106, "scanner", Device(OFFICE_GREY, "pdf-bitonal", dpi=(150,), threshold=(0.45, 0.6))),
    Scenario("potlood-1bit", "potlood op 1-bit scan (300 dpi zwart-wit TIFF G4)",
             107, "scanner", Device(OFFICE_GREY, "tiff-g4", dpi=(300,), threshold=(0.45, 0.6)), ink=PENCIL),
    Scenario("compacte-pdf", "compacte PDF (voorgrondbeeld + 1-bit masker, achtergrond op lage resolutie)",
             108, "scanner", Device(OFFICE_GREY, "pdf-compact", colour=True, dpi=(300,)), blank_pages=1),
    Scenario("pdf-beeldmatrix", "PDF met gespiegelde/geroteerde beeldmatrix of /Rotate op de pagina",
             109, "scanner", Device(OFFICE_GREY, "pdf-matrix", dpi=(200, 300))),
    Scenario("pdf-beeldstroken", "PDF waarin de scannerdriver elke pagina als horizontale beeldstroken opslaat",
             110, "scanner", Device(OFFICE_GREY, "pdf-strips", dpi=(200, 300))),
    Scenario("telefoon-krul-schaduw", "telefoonfoto met 3 mm krul en schaduwband op donkere tafel",
             111, "phone", Device(PHONE_CURL, "jpeg-exif", colour=True, dpi=(200, 300), post=(ShadowBand(),),
                                  jpeg_quality=(75, 92))),
    Scenario("telefoon-krul", "telefoonfoto met 3 mm krul op donkere tafel, zonder schaduw (om krul en schaduw apart te zien)",
             130, "phone", Device(PHONE_CURL, "jpeg-exif", colour=True, dpi=(200, 300), jpeg_quality=(75, 92))),
    Scenario("telefoon-schaduwband", "telefoonfoto van een vlak vel met een schaduwband (arm of telefoon) erover",
             131, "phone", Device(PHONE_FLAT_EXIF, "jpeg-exif", colour=True, dpi=(200, 300), post=(ShadowBand(),),
                                  jpeg_quality=(75, 92))),
    Scenario("telefoon-exif", "telefoonfoto van een vlak vel, pixels liggend opgeslagen met EXIF-oriëntatie, 72 dpi",
             112, "phone", Device(PHONE_FLAT_EXIF, "jpeg-exif", colour=True, dpi=(200, 300), jpeg_quality=(75, 92))),
    Scenario("markeerstift", "roze (en gele, groene, oranje, blauwe) markeerstift over lege vakjes, kleurenscan",
             113, "scanner", _COLOUR_PDF, (Highlighter(),)),
    Scenario("koffiekring", "koffiekring over het formulier, kleurenscan",
             114, "scanner", _COLOUR_PDF, (CoffeeRing(),)),
    Scenario("kopieer-trommelstreep", "kopieerapparaat-trommelstreep langs de invoerrichting, vaak door een kolom vakjes",
             115, "copier", Device(COPIER, "pdf-jpeg", dpi=(200, 300), post=(DrumStreak(),))),
    Scenario("geeltje-vakjes", "geeltje (sticky note) met aantekening over vakjes",
             116, "scanner", _COLOUR_PDF, (StickyNote("boxes"),)),
    Scenario("geeltje-qr", "geeltje (sticky note) over de QR-code",
             117, "scanner", _COLOUR_PDF, (StickyNote("qr"),)),
    Scenario("ezelsoor-qr", "ezelsoor (omgevouwen hoek) over de QR-hoek",
             118, "scanner", _SCANNER_PDF, (DogEar(),)),
    Scenario("viltstift-tijdlijn", "viltstift-kruis of -krabbel in 4 mm tijdlijnvakje (hoeken blijven wit)",
             119, "scanner", _SCANNER_PDF, (FeltTip(),), wants="timeline"),
    Scenario("omcirkeld-vakje", "omcirkeld vakje in plaats van een kruisje",
             120, "scanner", _SCANNER_PDF, (CircledBox(),), wants="tick"),
    Scenario("cirkel-label", "cirkel om het +3-label (of een ander waardelabel) in plaats van een kruisje",
             121, "scanner", _SCANNER_PDF, (CircledLabel(),), wants="rating"),
    Scenario("gedeeltelijke-doorhaling", "gedeeltelijke doorhaling: zigzag over 55-80 % van een vakje",
             122, "scanner", _SCANNER_PDF, (PartialCancel(),), wants="tick"),
    Scenario("doorschijnen", "dun papier, dubbelzijdig gedrukt en ingevuld: de achterkant schijnt door",
             123, "scanner", _SCANNER_PDF, (BleedThrough(),)),
    Scenario("pdf-ocr-laag", "doorzoekbare PDF: scan met een onzichtbare OCR-tekstlaag",
             125, "scanner", Device(OFFICE_GREY, "pdf-ocr", dpi=(200, 300))),
    Scenario("pdf-jpeg2000", "PDF met het paginabeeld in JPEG 2000 (hoge-compressie-instelling van de scanner)",
             126, "scanner", Device(OFFICE_GREY, "pdf-jpx", colour=True, dpi=(200, 300))),
    Scenario("vage-print", "formulier geprint met bijna lege toner: tekst en vakjesranden licht, in banen",
             127, "scanner", _SCANNER_PDF, print_fade=(0.3, 0.6)),
    Scenario("gescheurde-hoek", "gescheurde hoek: een stuk papier met een registratiemerk (soms vakjes of de QR) ontbreekt",
             128, "scanner", _SCANNER_PDF, (TornCorner(),)),
    Scenario("tippex", "fout kruisje weggewerkt met correctievloeistof (Tipp-Ex): de vakjesrand is weg",
             129, "scanner", _SCANNER_PDF, (CorrectionFluid(),), wants="tick"),
    Scenario("perforatie", "geperforeerd ringbandpapier: gaatjes in de linkermarge",
             124, "scanner", _SCANNER_PDF, (PunchHoles(),)),
)
BY_NAME = {s.name: s for s in SCENARIOS}


@dataclass(frozen=True)
class PackSource:
    """One case's printed pack and its coding truth: the paper the scenarios fill."""

    pack_pdf: Path
    layout: CaseLayout
    truth: CodingTruth
    manifest: Manifest


@dataclass(frozen=True)
class ScenarioSet:
    """A generated scenario: its files, its truth.json and the truth itself."""

    scenario: Scenario
    files: tuple[Path, ...]
    truth_json: Path
    truth: dict[str, object]


def make_packs(out: Path, count: int, *, seed: int = 0) -> list[PackSource]:
    """``count`` cases (the sample case under case numbers 2024-017, -018, ...) with packs and codings."""
    from formgen.pack import generate_pack
    from samples.truth import simulate_coding
    from softa.manifest import load_manifest

    base = load_manifest(MANIFEST)
    packs = []
    for n in range(count):
        manifest = dataclasses.replace(base, case=f"2024-{17 + n:03d}")
        pack = generate_pack(manifest, out / manifest.case)
        packs.append(PackSource(pack.pack_pdf, pack.layout, simulate_coding(manifest, pack.layout, seed=seed + n),
                                manifest))
    return packs


def prepare_packs(out: Path, pages: int, scenarios: Sequence[Scenario] = SCENARIOS, *, seed: int = 0) -> list[PackSource]:
    """As many cases as give every scenario ``pages`` distinct form pages (each layout page scanned once)."""
    first = make_packs(out, 1, seed=seed)
    fewest = min(_fitting(s, first[0].layout) for s in scenarios)
    needed = max(1, -(-pages // max(fewest, 1)))
    return first if needed == 1 else make_packs(out, needed, seed=seed)


def _fitting(scenario: Scenario, layout: CaseLayout) -> int:
    return sum(1 for p in layout.pages if p.boxes and (scenario.wants is None or any(b.kind == scenario.wants
                                                                                       for b in p.boxes)))


def _choose_pages(scenario: Scenario, sources: Sequence[PackSource], pages: int,
                  rng: np.random.Generator) -> list[tuple[int, int]]:
    candidates = [(s, p.index) for s, src in enumerate(sources) for p in src.layout.pages
                  if p.boxes and (scenario.wants is None or any(b.kind == scenario.wants for b in p.boxes))]
    if pages > len(candidates):
        raise ValueError(f"scenario {scenario.name}: {pages} pages wanted, the packs have {len(candidates)} "
                         "fitting pages (use more packs)")
    order = rng.permutation(len(candidates))[:pages]
    return [candidates[i] for i in sorted(order)]


@dataclass
class _Made:
    page: Page
    entry: dict[str, object]


def _check_bitonal(binary: np.ndarray, homography: np.ndarray, layout: PageLayout, truth: dict[str, BoxTruth]) -> None:
    """Marks the 1-bit image lost (or erased ticks it kept) are ambiguous: a person sees the scan, not the paper."""
    h, w = binary.shape
    for box in layout.boxes:
        t = truth[box.id]
        if t.ambiguous or t.covered or not t.mark:
            continue
        x0, y0, x1, y1 = box.rect_pt
        dx, dy = (x1 - x0) * (1 - INNER_SHARE) / 2, (y1 - y0) * (1 - INNER_SHARE) / 2
        pts = np.array([[x0 + dx, y0 + dy, 1], [x1 - dx, y0 + dy, 1], [x1 - dx, y1 - dy, 1], [x0 + dx, y1 - dy, 1]])
        proj = pts @ homography.T
        proj = proj[:, :2] / proj[:, 2:3]
        lo, hi = np.floor(proj.min(axis=0)).astype(int).clip(0), np.ceil(proj.max(axis=0)).astype(int)
        inner = binary[lo[1]:min(h, hi[1]), lo[0]:min(w, hi[0])]
        if not inner.size:
            continue
        black = 1.0 - float(inner.mean())
        if t.value and black < LOST_MAX:
            t.invisible, t.why = True, "bitonal_lost"
        elif not t.value and t.mark == ERASED and black > ERASED_SEEN:
            t.ambiguous, t.why = True, "bitonal_erased_seen"


def _make_form_page(scenario: Scenario, src: PackSource, index: int, sources: Sequence[PackSource],
                    rng: np.random.Generator, back_rng: np.random.Generator) -> tuple[_Made, np.ndarray, dict[str, BoxTruth]]:
    device = scenario.device
    layout = src.layout.pages[index]
    dpi = int(rng.choice(device.dpi))
    k = dpi / POINTS_PER_INCH
    image = render_page(src.pack_pdf, index, dpi)
    if scenario.print_fade is not None:
        image = _fade(image, scenario.print_fade, rng)
    if device.colour:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    ink = scenario.ink or INKS[int(rng.choice(len(INKS), p=INK_WEIGHTS))]

    def render_back() -> np.ndarray:
        s = int(back_rng.integers(len(sources)))
        other = sources[s].layout.pages[int(back_rng.integers(len(sources[s].layout.pages)))]
        back = render_page(sources[s].pack_pdf, other.index, dpi)
        fill_page(back, other, sources[s].truth, k, back_rng)
        return back

    truth = {b.id: BoxTruth(int(src.truth.boxes.get(b.id, 0))) for b in layout.boxes}
    plan = PagePlan(page=layout, px_per_pt=k, rng=rng, ink=ink, truth=truth, qr_hidden=[False] * len(qr_rects(layout)),
                    render_back=render_back)
    for slot, artefact in enumerate(scenario.paper):
        artefact.plan(plan, slot)
    drawn = CodingTruth(boxes={i: (0 if i in plan.skip else v) for i, v in src.truth.boxes.items()},
                        texts=src.truth.texts)
    plan.styles = fill_page(image, layout, drawn, k, rng, ink=ink)
    for box_id, style in plan.styles.items():
        t = truth[box_id]
        if box_id in plan.skip:  # the regular marking cancelled a box an artefact meant to draw: it stays cancelled
            for chosen in plan.targets.values():
                if box_id in chosen:
                    chosen.remove(box_id)
            t.value, t.ambiguous, t.why = (0 if style == CANCELLED else t.value), False, None
        t.mark = style
    for slot, artefact in enumerate(scenario.paper):
        artefact.draw(image, plan, slot)
    result = degrade_page(image, device.profile, rng, dpi)
    out = result.image
    homography = result.homography @ np.diag([k, k, 1.0])
    centres = np.array([[(b.rect_pt[0] + b.rect_pt[2]) / 2, (b.rect_pt[1] + b.rect_pt[3]) / 2] for b in layout.boxes])
    for effect in device.post:
        out = effect.apply(out, homography, centres, rng)
    out, homography, dpi_y = _convert(out, homography, device, dpi, rng)
    if out.dtype == bool:
        _check_bitonal(out, homography, layout, truth)
    entry: dict[str, object] = {
        "kind": "form", "qr": layout.qr, "case": src.layout.case, "page_index": layout.index,
        "identity_legible": not all(plan.qr_hidden), "dpi": [dpi, dpi_y], "rotation": result.rotation,
        "ink": ink.name, "homography": [float(f"{v:.7g}") for v in (homography / homography[2, 2]).ravel()],
    }
    return _Made(Page(out, (dpi, dpi_y)), entry), image, truth


def _fade(image: np.ndarray, keep: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    """Print from a nearly empty toner cartridge: everything lighter, in soft bands across the page width."""
    w = image.shape[1]
    bands = rng.uniform(*keep) * (1 + FADE_BANDING * np.sin(np.linspace(0, rng.uniform(2, 8) * np.pi, w)
                                                            + rng.uniform(0, 2 * np.pi)))
    darkness = (255.0 - image) * np.clip(bands, 0, 1)[None, :]
    return (255.0 - darkness).astype(np.uint8)


def _convert(image: np.ndarray, homography: np.ndarray, device: Device, dpi: int,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, float]:
    """Fax row resampling and black-and-white conversion; the homography follows the pixels."""
    dpi_y = float(dpi)
    if device.rows_share != 1.0:
        image, rows = resample_rows(image, device.rows_share)
        homography = rows @ homography
        dpi_y = dpi * device.rows_share
    if device.threshold is not None:
        image = bitonal(image, rng.uniform(*device.threshold))
    return image, homography, dpi_y


def _make_blank(scenario: Scenario, behind: np.ndarray | None, rng: np.random.Generator) -> _Made:
    device = scenario.device
    dpi = int(rng.choice(device.dpi))
    behind = None if behind is None else to_gray(behind)
    result = degrade_page(blank_page(dpi, device.colour, behind, rng), device.profile, rng, dpi)
    out, _, dpi_y = _convert(result.image, np.eye(3), device, dpi, rng)
    return _Made(Page(out, (dpi, dpi_y)), {"kind": "blank", "qr": None, "case": None, "identity_legible": False,
                                           "dpi": [dpi, dpi_y]})


def _write(scenario: Scenario, out_dir: Path, made: list[_Made], rng: np.random.Generator) -> list[Path]:
    """Write the pages as the device does; fill in each entry's source and page number."""
    device = scenario.device
    kind = device.output
    quality = int(rng.integers(device.jpeg_quality[0], device.jpeg_quality[1] + 1))
    pages = [m.page for m in made]
    if kind == "jpeg-exif":
        paths = []
        for n, m in enumerate(made, start=1):
            path = out_dir / f"IMG_{n:04d}.jpg"
            m.entry["exif_orientation"], moved = write_jpeg_exif(path, m.page, quality, rng)
            if m.entry.get("homography"):
                mapped = moved @ np.asarray(m.entry["homography"], dtype=np.float64).reshape(3, 3)
                m.entry["homography"] = [float(f"{v:.7g}") for v in (mapped / mapped[2, 2]).ravel()]
            m.entry["source"], m.entry["page_number"] = path.name, 1
            paths.append(path)
        return paths
    suffix = ".tif" if kind.startswith("tiff") else ".pdf"
    path = out_dir / f"scan_{scenario.name}{suffix}"
    if kind == "tiff16":
        write_tiff16(path, pages, rng)
    elif kind == "tiff-colour":
        write_tiff_colour(path, pages, rng)
    elif kind in ("tiff-fax", "tiff-g4"):
        write_tiff_bitonal(path, pages, rng, fax=kind == "tiff-fax")
    elif kind == "pdf-bitonal":
        write_pdf_bitonal(path, pages)
    elif kind == "pdf-jpeg":
        write_pdf_jpeg(path, pages, quality)
    else:
        add = {"pdf-compact": add_compact_page, "pdf-matrix": add_matrix_page, "pdf-strips": add_strips_page,
               "pdf-ocr": add_ocr_page, "pdf-jpx": add_jpx_page}[kind]
        writer = LayeredPdfWriter(path)
        try:
            for m in made:
                m.entry["pdf_variant"] = add(writer, m.page, quality, rng)
        finally:
            writer.close()
    for n, m in enumerate(made, start=1):
        m.entry["source"], m.entry["page_number"] = path.name, n
    return [path]


def generate(scenario: Scenario, sources: Sequence[PackSource], out_dir: Path, *, pages: int) -> ScenarioSet:
    """Make ``pages`` form pages (plus the scenario's blank backs) and write them and truth.json into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    plan_rng = np.random.default_rng([scenario.seed, _PLAN_STREAM])
    chosen = _choose_pages(scenario, sources, pages, plan_rng)
    made: list[_Made] = []
    boxes: dict[str, dict[str, dict[str, object]]] = {}
    last: np.ndarray | None = None
    for n, (s, index) in enumerate(chosen):
        rng = np.random.default_rng([scenario.seed, _PAGE_STREAM, n])
        back_rng = np.random.default_rng([scenario.seed, _BACK_STREAM, n])
        page, last, truth = _make_form_page(scenario, sources[s], index, sources, rng, back_rng)
        made.append(page)
        boxes.setdefault(sources[s].layout.case, {}).update({i: t.to_json() for i, t in truth.items()})
    for n in range(scenario.blank_pages):
        made.insert(int(plan_rng.integers(len(made) + 1)),
                    _make_blank(scenario, last, np.random.default_rng([scenario.seed, _PAGE_STREAM, 1000 + n])))
    files = _write(scenario, out_dir, made, np.random.default_rng([scenario.seed, _FILE_STREAM]))
    truth_path = out_dir / "truth.json"
    data: dict[str, object] = {
        "schema": TRUTH_SCHEMA, "scenario": scenario.name, "description": scenario.description,
        "category": scenario.category, "seed": scenario.seed, "pages": [m.entry for m in made], "boxes": boxes,
    }
    truth_path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return ScenarioSet(scenario, tuple(files), truth_path, data)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: generate the scenarios (all or some) into one folder each."""
    parser = argparse.ArgumentParser(prog="python -m samples.realworld", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--pages", type=int, default=4, help="form pages per scenario")
    parser.add_argument("--only", nargs="*", default=None, choices=sorted(BY_NAME), metavar="NAME")
    parser.add_argument("--list", action="store_true", help="list the scenarios and stop")
    args = parser.parse_args(argv)
    chosen = [BY_NAME[n] for n in args.only] if args.only else list(SCENARIOS)
    if args.list:
        for s in chosen:
            print(f"{s.name:26} {s.category:8} {s.description}")
        return 0
    sources = prepare_packs(args.out / "forms", args.pages, chosen)
    for s in chosen:
        made = generate(s, sources, args.out / s.name, pages=args.pages)
        print(f"{s.name}: {len(made.truth['pages'])} pages in {', '.join(f.name for f in made.files)}")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
