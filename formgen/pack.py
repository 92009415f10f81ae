"""Write a case's whole form pack: the pack PDF, one PDF per observer slot, the layout."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from formgen.plan import plan_pages
from formgen.render import draw_page, open_canvas
from softa.errors import SoftaError
from softa.i18n import _
from softa.layout import LAYOUT_VERSION, CaseLayout
from softa.manifest import Manifest

SUBSET_NAMES = {"1": "observator1", "2": "observator2", "consensus": "consensus", None: "zelfbeoordeling"}


@dataclass(frozen=True)
class FormPack:
    """What `generate_pack` wrote: the pack PDF, one PDF per slot (key "None": self-assessment), the layout."""

    pack_pdf: Path
    slot_pdfs: dict[str, Path]
    layout_json: Path
    layout: CaseLayout
    pages: int


def generate_pack(manifest: Manifest, out_dir: Path) -> FormPack:
    """Render the pack in one streaming pass; files appear only when all are complete.

    Raises SoftaError naming the folder when it cannot be created or written.
    """
    try:
        return _generate(manifest, out_dir)
    except OSError as exc:
        raise SoftaError(_("cannot write the forms to {path} ({error})").format(path=out_dir, error=exc.strerror or exc),
                         hint=_("give --out a folder you may write to, on a disk with free space")) from exc


def _generate(manifest: Manifest, out_dir: Path) -> FormPack:
    out_dir.mkdir(parents=True, exist_ok=True)
    case = manifest.case
    targets = {"pack": out_dir / f"{case}_forms.pdf"}
    targets.update({str(k): out_dir / f"{case}_forms_{name}.pdf" for k, name in SUBSET_NAMES.items()})
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".softa-") as tmp:
        tmp_dir = Path(tmp)
        canvases = {key: open_canvas(tmp_dir / path.name, f"SOFTA-NL formulieren casus {case}")
                    for key, path in targets.items()}
        layouts = []
        for plan in plan_pages(manifest):
            draw_page(canvases["pack"], plan)
            draw_page(canvases[str(plan.layout.slot)], plan)
            layouts.append(plan.layout)
        for canvas in canvases.values():
            canvas.save()
        layout = CaseLayout(case=case, layout_version=LAYOUT_VERSION, pages=tuple(layouts))
        layout_path = out_dir / f"{case}_layout.json"
        (tmp_dir / layout_path.name).write_text(layout.dumps(), encoding="utf-8")
        for path in [*targets.values(), layout_path]:
            os.replace(tmp_dir / path.name, path)
    return FormPack(pack_pdf=targets["pack"],
                    slot_pdfs={k: v for k, v in targets.items() if k != "pack"},
                    layout_json=layout_path, layout=layout, pages=len(layouts))
