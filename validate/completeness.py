"""Completeness and structural checks: is everything scanned, resolved and well-formed?

Rule ids (stable):

- ``completeness.page_missing`` (error): an expected form page has no scan.
- ``completeness.duplicate_open`` (error): two different scans of one page wait for a choice.
- ``completeness.box_flagged`` (error): boxes in a row still flagged for review.
- ``completeness.region_untranscribed`` (warning): a scanned text region without transcription.
- ``rating.none`` / ``rating.multiple`` (error): a rating row with no value / several values.
- ``self_assessment.none`` / ``self_assessment.multiple`` (error): the same for the
  worker's self-assessment scales (-3..+3 and the 0..10 speaking-time balance).
- ``ticks.beyond_session`` (error): ticks or speaking-time marks after the session's end.
"""

from __future__ import annotations

from collections import defaultdict

from softa.instrument import SESSION, SPREEKTIJD
from softa.layout import FORM_CODES
from softa.manifest import WINDOW_MINUTES
from validate.casedata import CaseData
from validate.model import Finding
from validate.wording import FORM_LABELS, dimension_label, slot_label


def _page_participant(participant: str | None, form: str) -> str | None:
    """Findings about the gedragsdimensies form belong to the session."""
    return participant if participant else (SESSION if form == "gedragsdimensies" else None)


def completeness_findings(data: CaseData) -> list[Finding]:
    """Missing pages, open duplicates, flagged boxes and untranscribed regions."""
    case = data.case
    out: list[Finding] = []
    scanned_pages = set()
    for page in data.record.pages:
        who = _page_participant(page.participant, page.form)
        where = (f"formulier {FORM_LABELS.get(page.form, page.form)}"
                 f"{' ' + page.participant if page.participant else ''}, {slot_label(page.slot)}, "
                 f"pagina {page.page} van {page.pages}")
        detail = f"{FORM_CODES.get(page.form, page.form)}:p{page.page}"
        if page.scans == 0:
            out.append(Finding(case, who, page.slot, None, "completeness.page_missing", "error",
                               f"Casus {case}: {where} is niet gescand. Scan deze pagina in (softa scan).",
                               detail=detail))
        else:
            scanned_pages.add(page.page_index)
        if page.open_duplicates:
            out.append(Finding(case, who, page.slot, None, "completeness.duplicate_open", "error",
                               f"Casus {case}: van {where} zijn {page.open_duplicates + 1} verschillende scans; "
                               "kies in softa review welke telt.", detail=detail))
    pages = {p.page_index: p for p in data.record.pages}

    def on_page(page_index: int) -> str:
        page = pages[page_index]
        who = f" {page.participant}" if page.participant else ""
        return f"formulier {FORM_LABELS.get(page.form, page.form)}{who}, pagina {page.page} van {page.pages}"

    flagged: dict[str, list[str]] = defaultdict(list)
    group_meta = {}
    for box in data.record.boxes:
        if box.status == "flagged":
            flagged[box.group].append(box.box_id)
            group_meta[box.group] = box
    for group, ids in flagged.items():
        box = group_meta[group]
        what = (f"item {box.item}" if box.kind == "tick" else
                "beoordeling" if box.kind == "rating" else "tijdlijn spreektijd")
        out.append(Finding(case, box.participant, box.slot, box.dimension, "completeness.box_flagged", "error",
                           f"Casus {case}: {dimension_label(box.dimension)}, {what} ({slot_label(box.slot)}, "
                           f"{data.row_label(box.participant)}; {on_page(box.page_index)}): "
                           f"{len(ids)} vakje(s) onzeker gelezen; "
                           "beoordeel ze in softa review.",
                           detail=group, box_ids=tuple(ids)))
    region_pages = {r.id: p.index for p in data.record.layout.pages for r in p.regions}
    region_page_text = {rid: on_page(index) for rid, index in region_pages.items() if index in pages}
    for region in data.record.regions:
        if region.status == "pending" or (region.status == "missing"
                                          and region_pages.get(region.region_id) in scanned_pages):
            out.append(Finding(case, region.participant, region.slot, region.dimension,
                               "completeness.region_untranscribed", "warning",
                               f"Casus {case}: tekstvak '{region.label}' ({slot_label(region.slot)}; "
                               f"{region_page_text.get(region.region_id, '')}) is nog niet "
                               "overgetypt; typ de tekst over in softa review.", detail=region.region_id))
    return out


def structural_findings(data: CaseData) -> list[Finding]:
    """Rating rows with no or several values, self-assessment scales, marks after the session's end."""
    case = data.case
    out: list[Finding] = []
    for participant, slot, dimension in data.rating_rows():
        read = data.rating(participant, slot, dimension)
        if read is None:
            continue  # never scanned: completeness reports the page
        self_assessment = slot is None
        prefix = "self_assessment" if self_assessment else "rating"
        form = ("zelfbeoordeling hulpverlener" if self_assessment
                else f"{slot_label(slot)}, {data.row_label(participant)}")
        row_ids = tuple(b.box_id for b in data.boxes(participant, slot, dimension, "rating"))
        if not read.values:
            out.append(Finding(case, participant, slot, dimension, f"{prefix}.none", "error",
                               f"Casus {case}: {dimension_label(dimension)} ({form}): geen score aangekruist. "
                               "Per beoordeling hoort precies één score (handleiding, Werkwijze stap 7); "
                               "vul de score aan in softa review.",
                               detail=dimension, box_ids=row_ids))
        elif len(read.values) > 1:
            shown = ", ".join(f"{v:+d}" if not dimension.endswith("balans") else str(v) for v in read.values)
            out.append(Finding(case, participant, slot, dimension, f"{prefix}.multiple", "error",
                               f"Casus {case}: {dimension_label(dimension)} ({form}): meerdere scores aangekruist "
                               f"({shown}). Per beoordeling hoort precies één score; kies de juiste in softa review.",
                               detail=dimension, box_ids=data.rating_box_ids(participant, slot, dimension)))
    manifest = data.record.manifest
    late: dict[tuple[str, str | None, str], list[str]] = defaultdict(list)
    for box in data.record.boxes:
        if not box.checked:
            continue
        if (box.kind == "tick" and box.window is not None and box.window > manifest.windows) or \
                (box.kind == "timeline" and box.bin is not None and box.bin > manifest.bins):
            late[(box.participant, box.slot, box.dimension)].append(box.box_id)
    for (participant, slot, dimension), ids in late.items():
        unit = ("tijdvakken van 30 seconden" if dimension == SPREEKTIJD
                else f"vakjes in blokken van {WINDOW_MINUTES} minuten")
        out.append(Finding(case, participant, slot, dimension, "ticks.beyond_session", "error",
                           f"Casus {case}: {dimension_label(dimension)} ({slot_label(slot)}, "
                           f"{data.row_label(participant)}): {len(ids)} {unit} aangekruist na het einde van de "
                           f"sessie ({manifest.minutes} minuten). Controleer de sessieduur in het casusbestand "
                           "of corrigeer de markeringen in softa review.",
                           detail="beyond_session", box_ids=tuple(ids)))
    return out
