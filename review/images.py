"""The image routes of the review screen: box, row, text and page snippets, found by database ids."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, Response, abort, request

from review import rows
from review.snippets import SnippetError, box_snippet, page_preview, region_snippet, row_snippet
from softa.layout import POINTS_PER_MM, CaseLayout

#: Snippets never change for a stored page; let the browser keep them for a while (seconds).
IMAGE_MAX_AGE_S = 3600
#: Row snippets of ticks and speaking time start at the page's left text margin (13 mm) to show
#: the item's number and text; rating rows widen 5 mm to show the "-3" label left of the first box.
ROW_TEXT_LEFT_PT = 13 * POINTS_PER_MM
RATING_LABEL_PT = 5 * POINTS_PER_MM


class Layouts(Protocol):
    def get(self, conn: sqlite3.Connection, case_id: str) -> CaseLayout | None: ...


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def register(app: Flask, db: Callable[[], sqlite3.Connection], files: Path, layouts: Layouts) -> None:
    """Add the /beeld/... routes to ``app`` (endpoint names as templates use them)."""

    def _image(data: bytes, mimetype: str) -> Response:
        response = Response(data, mimetype=mimetype)
        response.headers["Cache-Control"] = f"private, max-age={IMAGE_MAX_AGE_S}"
        return response

    def _layout_rects(case_id: str, column: str, value: str) -> list[tuple[Any, ...]]:
        layout = layouts.get(db(), case_id)
        if layout is None:
            abort(404)
        return [(b.id, b.rect_pt, b.kind) for b in layout.boxes() if getattr(b, column) == value]

    @app.get("/beeld/vakje")
    def image_box() -> Response:
        case_id, box_id = request.args.get("case_id", ""), request.args.get("box", "")
        row = db().execute("SELECT page_id FROM box_values WHERE case_id = ? AND box_id = ?",
                           (case_id, box_id)).fetchone()
        boxes = _layout_rects(case_id, "id", box_id)
        if row is None or row["page_id"] is None or not boxes:
            abort(404)
        try:
            return _image(box_snippet(db(), files, row["page_id"], boxes[0][1]), "image/png")
        except SnippetError:
            abort(404)

    @app.get("/beeld/rij")
    def image_row() -> Response:
        case_id, group = request.args.get("case_id", ""), request.args.get("group", "")
        mark = request.args.get("box", "")
        part = _int(request.args.get("part"))
        if part is None:
            part = rows.box_page_index(db(), case_id, mark) if mark else None
        if part is None:
            parts = rows.row_parts(db(), case_id, group)
            part = parts[0].page_index if parts else -1
        # Only the boxes printed on this part's page, cut from the scanned page they were read from.
        in_part, page_id = rows.part_boxes(db(), case_id, group, part)
        boxes = [b for b in _layout_rects(case_id, "group", group) if b[0] in in_part]
        if page_id is None or not boxes:
            abort(404)
        target = next((rect for box_id, rect, _ in boxes if box_id == mark), None)
        if boxes[0][2] == "timeline" and target is not None:
            # Speaking time runs over several printed lines: show the marked box's line only.
            boxes = [b for b in boxes if abs(b[1][1] - target[1]) < (target[3] - target[1]) / 2]
        rects = [b[1] for b in boxes]
        left = ROW_TEXT_LEFT_PT if boxes[0][2] != "rating" else min(r[0] for r in rects) - RATING_LABEL_PT
        highlight = [rect for box_id, rect, _ in boxes if box_id == mark]
        try:
            return _image(row_snippet(db(), files, page_id, rects, highlight, left_pt=left), "image/png")
        except SnippetError:
            abort(404)

    @app.get("/beeld/tekst")
    def image_text() -> Response:
        case_id, region_id = request.args.get("case_id", ""), request.args.get("region", "")
        row = db().execute("SELECT image_path, page_id FROM region_values WHERE case_id = ? AND region_id = ?",
                           (case_id, region_id)).fetchone()
        if row is None:
            abort(404)
        rect = None
        layout = layouts.get(db(), case_id) if not row["image_path"] else None
        if layout is not None:
            rect = next((r.rect_pt for r in layout.regions() if r.id == region_id), None)
        try:
            return _image(region_snippet(db(), files, row["image_path"], row["page_id"], rect), "image/png")
        except SnippetError:
            abort(404)

    @app.get("/beeld/pagina/<int:page_id>")
    def image_page(page_id: int) -> Response:
        row = db().execute("SELECT case_id, page_index FROM scanned_pages WHERE id = ?", (page_id,)).fetchone()
        size = None
        if row is not None and row["case_id"] is not None and row["page_index"] is not None:
            layout = layouts.get(db(), row["case_id"])
            if layout is not None:
                size = next((p.size_pt for p in layout.pages if p.index == row["page_index"]), None)
        try:
            return _image(page_preview(db(), files, page_id, size), "image/jpeg")
        except SnippetError:
            abort(404)
