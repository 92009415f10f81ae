"""The review web app (Flask): one queue, keyboard-first, every decision audited.

``create_app(db_path)`` builds the app; ``softa review`` serves it on
127.0.0.1. Pages are rendered on the server (Jinja, autoescape on); one small
script adds the keyboard shortcuts.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, abort, flash, g, redirect, render_template, request, session, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from review import access, claims, dbutil, decisions, display, images
from review.incremental import IncrementalSource
from review.items import load_detail, short_label
from review.queue import KIND_LABELS, FindingCache, FindingSource, Queue, build_queue, default_finding_source
from review.security import CSRF_FIELD, SECURITY_HEADERS, check_csrf, csrf_token, new_secret
from softa.db import case_ids, data_dir
from softa.errors import ConflictError, SoftaError
from softa.layout import CaseLayout, layout_from_json

#: Decisions a reviewer can take back with `u`, most recent first.
UNDO_DEPTH = 50
#: Longest reviewer name and note kept (characters): names are short, notes a sentence or two.
MAX_NAME_CHARS = 60
MAX_NOTE_CHARS = 2000
MAX_TEXT_CHARS = 20_000
OPEN_PATHS = ("/naam", "/static/", "/favicon.ico")
#: Dutch words for the HTTP errors a reviewer can meet (Flask's own pages are in English).
HTTP_ERRORS = {
    400: ("Ongeldig verzoek", "Het formulier was niet compleet. Herlaad de pagina en probeer het opnieuw."),
    403: ("Geweigerd", "Dit mag niet vanuit deze pagina. Herlaad de pagina en probeer het opnieuw."),
    404: ("Niet gevonden", "Deze pagina of dit beeld bestaat niet (meer)."),
    405: ("Niet toegestaan", "Beslissingen gaan alleen via de knoppen op het scherm."),
    413: ("Te groot", "De tekst is te lang om op te slaan."),
    503: ("Niet beschikbaar", "Dit onderdeel van softa is niet geïnstalleerd."),
}


def _default_assign() -> decisions.AssignFn | None:
    try:
        from scan.assign import read_assigned_page
    except ImportError:  # pragma: no cover - the scan stage is part of the package
        return None
    return read_assigned_page


def _default_apply() -> decisions.ApplyFn | None:
    try:
        from scan.store import apply_page_reads
    except ImportError:  # pragma: no cover
        return None
    return apply_page_reads


def _default_accept() -> decisions.AcceptFn | None:
    try:
        import validate
    except ImportError:  # pragma: no cover
        return None
    return getattr(validate, "accept_finding", None)


class LayoutCache:
    """Case layouts decoded once per layout version (snippet routes need box rectangles)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._layouts: dict[str, tuple[str, CaseLayout]] = {}

    def get(self, conn: sqlite3.Connection, case_id: str) -> CaseLayout | None:
        row = conn.execute("SELECT layout_sha256 FROM cases WHERE case_id = ?", (case_id,)).fetchone()
        if row is None:
            return None
        with self._lock:
            cached = self._layouts.get(case_id)
        if cached is not None and cached[0] == row["layout_sha256"]:
            return cached[1]
        text = conn.execute("SELECT layout_json FROM cases WHERE case_id = ?", (case_id,)).fetchone()[0]
        layout = layout_from_json(json.loads(text))
        with self._lock:
            self._layouts[case_id] = (row["layout_sha256"], layout)
        return layout


class UndoStore:
    """Undo steps per browser session, kept in memory for the life of the server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._steps: dict[str, deque[dict[str, Any]]] = {}

    def push(self, sid: str, step: dict[str, Any]) -> None:
        with self._lock:
            self._steps.setdefault(sid, deque(maxlen=UNDO_DEPTH)).append(step)

    def pop(self, sid: str) -> dict[str, Any] | None:
        with self._lock:
            steps = self._steps.get(sid)
            return steps.pop() if steps else None

    def peek(self, sid: str) -> dict[str, Any] | None:
        with self._lock:
            steps = self._steps.get(sid)
            return steps[-1] if steps else None


def create_app(db_path: Path, *, secret: bytes | str | None = None, allowed_hosts: tuple[str, ...] = (),
               token: str | None = None, read_only: bool | None = None, warm: bool = False,
               finding_source: FindingSource | None = None,
               read_assigned_page: decisions.AssignFn | None = None,
               apply_page_reads: decisions.ApplyFn | None = None,
               accept_finding: decisions.AcceptFn | None = None) -> Flask:
    """The review app for one database. The hooks default to the scan and validate stages.

    ``token`` is the access token of the printed address (a fresh one when None,
    in ``app.config["SOFTA_ACCESS_TOKEN"]``); ``allowed_hosts`` are the names
    besides the loopback ones that the Host header may carry. ``read_only``
    (default: whether this process can write the file) opens the database
    read-only: everything can be looked at, no decision is taken. ``warm``
    reads every case in the background at start, so that validating a case
    the first time is as quick as every later time.
    """
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret or new_secret(),
        # Cookies ignore ports: a name of its own keeps two review servers on one computer apart.
        SESSION_COOKIE_NAME=f"softa_review_{secrets.token_hex(4)}",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        MAX_CONTENT_LENGTH=access.MAX_BODY_BYTES,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.debug = False
    db_path = Path(db_path)
    files = data_dir(db_path)
    findings = FindingCache(finding_source if finding_source is not None else default_finding_source())
    if warm and isinstance(findings.source, IncrementalSource):
        app.config["SOFTA_WARM_THREAD"] = findings.source.warm(db_path)
    undo_store = UndoStore()
    layouts = LayoutCache()
    hooks: dict[str, Callable[[], Any]] = {
        "assign": lambda: read_assigned_page or _default_assign(),
        "apply": lambda: apply_page_reads or _default_apply(),
        "accept": lambda: accept_finding or _default_accept(),
    }

    def db() -> sqlite3.Connection:
        if "conn" not in g:
            g.conn = dbutil.open_db(db_path, read_only=app.config[dbutil.READ_ONLY_CONFIG])
        conn: sqlite3.Connection = g.conn
        return conn

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        conn = g.pop("conn", None)
        if conn is not None:
            conn.close()

    def reviewer() -> str | None:
        name = session.get("reviewer")
        return name if isinstance(name, str) and name else None

    def sid() -> str:
        if "sid" not in session:
            session["sid"] = secrets.token_urlsafe(16)
        return str(session["sid"])

    access.install(app, token=token or access.new_token(), host_names=allowed_hosts)
    display.install(app)
    dbutil.install_read_only(app, dbutil.is_read_only(db_path) if read_only is None else read_only)

    @app.before_request
    def _guard() -> BaseResponse | tuple[str, int] | None:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            if not access.same_origin(request.headers.get("Origin"), request.headers.get("Referer"), request.host,
                                      request.scheme):
                return render_template("error.html", title="Geweigerd",
                                       message="Dit verzoek komt niet van het beoordelingsscherm zelf."), 403
            status = check_csrf(session, request.form.get(CSRF_FIELD))
            if status is not None:
                return render_template("error.html", title="Geweigerd",
                                       message="Het formulier is verlopen of ongeldig. Herlaad de pagina."), status
            if reviewer() is None and request.path != "/naam":
                return render_template("error.html", title="Naam nodig",
                                       message="Vul eerst je naam in; elke beslissing wordt met je naam bewaard."), 403
        elif reviewer() is None and not request.path.startswith(OPEN_PATHS):
            return redirect(url_for("name_form", next=request.full_path if request.query_string else request.path))
        return None

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[str, int] | HTTPException:
        if exc.code not in HTTP_ERRORS:
            return exc
        title, message = HTTP_ERRORS[exc.code]
        return render_template("error.html", title=title, message=message), exc.code

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.update(SECURITY_HEADERS)
        if "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"csrf_token": lambda: csrf_token(session), "csrf_field": CSRF_FIELD, "reviewer": reviewer(),
                "kind_labels": KIND_LABELS}

    def case_filter() -> str | None:
        value = (request.values.get("case") or "").strip()
        return value or None

    def queue() -> Queue:
        return build_queue(db(), findings, case_filter())

    def item_url(key: str | None, **extra: Any) -> str:
        if key is None:
            return url_for("done", case=case_filter())
        return url_for("item", key=key, case=case_filter(), **extra)

    def others() -> dict[str, claims.Claim]:
        """Items other reviewers have open now (skipped by "next")."""
        return claims.claimed_by_others(db(), sid())

    def next_after_decision(pos: int) -> BaseResponse:
        keys = [i.key for i in queue().items]
        if not keys:
            return redirect(url_for("done", case=case_filter()))
        taken = others()
        nxt = claims.pick(keys, pos, taken)
        if nxt in taken:
            # Everything left is open with someone else: do not walk into their item.
            flash(f"De overige {len(keys)} item(s) heeft een andere beoordelaar nu open; kijk over een paar minuten "
                  "nog eens.")
            return redirect(url_for("done", case=case_filter()))
        return redirect(item_url(nxt))

    @app.get("/favicon.ico")
    def favicon() -> tuple[str, int]:
        return "", 204

    @app.get("/naam")
    def name_form() -> str:
        return render_template("name.html", next=access.safe_next(request.args.get("next")))

    @app.post("/naam")
    def set_name() -> BaseResponse | tuple[str, int]:
        name = " ".join(request.form.get("name", "").split())
        if not name or len(name) > MAX_NAME_CHARS:
            error = "Vul je naam of initialen in." if not name else too_long("De naam", len(name), MAX_NAME_CHARS)
            return render_template("name.html", next=access.safe_next(request.form.get("next")), error=error), 400
        session["reviewer"] = name
        # Only local paths: never redirect to another site.
        return redirect(access.safe_next(request.form.get("next")))

    @app.post("/naam/wissen")
    def clear_name() -> BaseResponse:
        session.pop("reviewer", None)
        return redirect(url_for("name_form"))

    @app.get("/")
    def overview() -> str:
        q = queue()
        return render_template("overview.html", queue=q, counts=q.counts(), cases=case_ids(db()),
                               case=case_filter(), first=claims.pick([i.key for i in q.items], 0, others()))

    @app.get("/klaar")
    def done() -> str:
        # Reached by `j` on the last item too: say honestly what is still open before it.
        q = queue()
        return render_template("done.html", case=case_filter(), cases=case_ids(db()), queue=q, counts=q.counts(),
                               first=q.items[0].key if q.items else None)

    @app.get("/item")
    def item() -> BaseResponse | tuple[str, int] | str:
        key = request.args.get("key", "")
        held = None
        if not app.config[dbutil.READ_ONLY_CONFIG] and reviewer() is not None:
            held = claims.claim(db(), key, str(reviewer()), sid())
        return render_item(key, held=held)

    def render_item(key: str, *, conflict: str | None = None, problem: str | None = None,
                    kept: str | None = None, held: claims.Claim | None = None) -> Any:
        with dbutil.read_snapshot(db()):
            q = queue()
            detail = load_detail(db(), findings, key, case_filter())
            taken = others()
        if detail is None:
            return render_template("error.html", title="Niet gevonden",
                                   message="Dit item bestaat niet (meer)."), 404
        pos = q.index(key)
        anchor = pos if pos is not None else 0
        prev_key = q.items[anchor - 1].key if pos is not None and pos > 0 else None
        keys = [i.key for i in q.items if i.key != key]
        # "Next" skips what other reviewers have open (a short claim); with nothing else left, it goes there.
        next_key = claims.forward(keys, anchor if pos is not None else 0, taken)
        kind = key.partition(":")[0]
        page = render_template(
            f"item_{kind}.html", key=key, kind=kind, d=detail, queue=q, counts=q.counts(), pos=pos,
            position=(pos + 1) if pos is not None else None, prev_url=item_url(prev_key) if prev_key else None,
            next_url=item_url(next_key) if next_key else url_for("done", case=case_filter()),
            is_open=pos is not None, case=case_filter(), cases=case_ids(db()), conflict=conflict, kept=kept,
            held=held or taken.get(key),
            undo=undo_store.peek(sid()), hook_missing=problem or _missing_hooks(kind))
        if problem:
            return page
        return (page, 409) if conflict else page

    def _missing_hooks(kind: str) -> str | None:
        if kind == "page" and hooks["assign"]() is None:
            return "Toewijzen kan pas als de scanner (scan.assign) is geïnstalleerd; apart leggen kan wel."
        if kind == "duplicate" and hooks["apply"]() is None:
            return "De andere scan kiezen kan pas als de scanner (scan.store) is geïnstalleerd."
        return None

    def decided(key: str, step: dict[str, Any] | None, message: str) -> BaseResponse:
        label = short_label(load_detail(db(), findings, key, case_filter()))
        step = step if step is not None else {"kind": "final"}
        step["item"] = key
        step["label"] = label
        undo_store.push(sid(), step)
        claims.release(db(), key, sid())
        flash(f"{message} ({label})")
        return next_after_decision(_int(request.form.get("pos"), 0))

    def conflict_response(key: str, exc: ConflictError) -> tuple[str, int] | str:
        return render_item(key, conflict=exc.message)

    @app.post("/beslis/vakje")
    def decide_box() -> BaseResponse | tuple[str, int] | str:
        case_id, box_id = _field("case_id"), _field("box")
        choice = request.form.get("checked")
        if choice not in ("0", "1"):
            abort(400)
        key = f"box:{case_id}:{box_id}"
        try:
            step = decisions.decide_box(db(), case_id, box_id, choice == "1", _int_field("version"), _name())
        except ConflictError as exc:
            return conflict_response(key, exc)
        return decided(key, step, f"Opgeslagen: {'aangekruist' if choice == '1' else 'niet aangekruist'}.")

    @app.post("/beslis/rij")
    def decide_rating() -> BaseResponse | tuple[str, int] | str:
        case_id, group = _field("case_id"), _field("group")
        raw = request.form.get("value", "")
        value = None if raw == "geen" else _int(raw, None)
        if value is None and raw != "geen":
            abort(400)
        key = f"rating:{case_id}:{group}"
        try:
            step = decisions.decide_rating(db(), case_id, group, value, _field("token"), _name())
        except ConflictError as exc:
            return conflict_response(key, exc)
        dimension = db().execute("SELECT dimension FROM layout_boxes WHERE case_id = ? AND grp = ? LIMIT 1",
                                 (case_id, group)).fetchone()
        shown = display.value_text(value, dimension["dimension"] if dimension else None)
        return decided(key, step, f"Opgeslagen: {shown}." if value is None else f"Opgeslagen: waarde {shown}.")

    @app.post("/beslis/tekst")
    def decide_text() -> BaseResponse | tuple[str, int] | str:
        case_id, region_id = _field("case_id"), _field("region")
        text = request.form.get("text", "").replace("\r\n", "\n").strip()
        key = f"text:{case_id}:{region_id}"
        if len(text) > MAX_TEXT_CHARS:
            # Never cut a person's text short: refuse it whole and give it back to shorten.
            return render_item(key, problem=too_long("De tekst", len(text), MAX_TEXT_CHARS), kept=text), 422
        try:
            step = decisions.transcribe(db(), case_id, region_id, text, _int_field("version"), _name())
        except ConflictError as exc:
            # The other reviewer's text is stored; this reviewer's text is shown back, not thrown away.
            return render_item(key, conflict=exc.message, kept=text)
        return decided(key, step, "Tekst opgeslagen.")

    @app.post("/beslis/pagina")
    def decide_page() -> BaseResponse | tuple[str, int] | str:
        page_id = _int_field("page_id")
        key = f"page:{page_id}"
        action = request.form.get("action")
        note = request.form.get("note", "").strip()
        if len(note) > MAX_NOTE_CHARS:
            return render_item(key, problem=too_long("De notitie", len(note), MAX_NOTE_CHARS), kept=note), 422
        try:
            if action == "set_aside":
                step = decisions.set_aside(db(), page_id, note or "geen formulier", _int_field("version"), _name())
                return decided(key, step, "Pagina apart gelegd.")
            if action != "assign":
                abort(400)
            assign = hooks["assign"]()
            if assign is None:
                abort(503)
            target_case, _, index = _field("target").partition("|")
            step = decisions.assign_page(db(), files, page_id, target_case, _int(index, -1),
                                         _int_field("version"), _name(), assign)
        except ConflictError as exc:
            return conflict_response(key, exc)
        except SoftaError as exc:
            return render_item(key, problem=f"Toewijzen lukte niet: {exc.message}. Controleer de gekozen pagina, "
                                           "of leg de pagina apart en scan het vel opnieuw."), 422
        return decided(key, step, "Pagina toegewezen; de vakjes zijn gelezen.")

    @app.post("/beslis/dubbel")
    def decide_duplicate() -> BaseResponse | tuple[str, int] | str:
        duplicate_id = _int_field("duplicate_id")
        key = f"duplicate:{duplicate_id}"
        apply = hooks["apply"]()
        chosen = _int_field("chosen")
        note = request.form.get("note", "").strip()
        if len(note) > MAX_NOTE_CHARS:
            return render_item(key, problem=too_long("De notitie", len(note), MAX_NOTE_CHARS), kept=note), 422

        def unavailable(_conn: sqlite3.Connection, _page_id: int) -> None:
            abort(503)

        try:
            step = decisions.resolve_duplicate(db(), duplicate_id, chosen, _int_field("version"), _name(),
                                        note, apply or unavailable)
        except ConflictError as exc:
            return conflict_response(key, exc)
        return decided(key, step, "Keuze opgeslagen.")

    @app.post("/beslis/waarschuwing")
    def decide_finding() -> BaseResponse | tuple[str, int] | str:
        case_id, finding_key = _field("case_id"), _field("finding")
        key = f"finding:{case_id}:{finding_key}"
        note = request.form.get("note", "").strip()
        if len(note) > MAX_NOTE_CHARS:
            return render_item(key, problem=too_long("De notitie", len(note), MAX_NOTE_CHARS), kept=note), 422
        finding = findings.finding(db(), case_id, finding_key)
        if finding is None:
            return render_template("error.html", title="Niet gevonden",
                                   message="Deze waarschuwing geldt niet meer (de waarden zijn intussen gewijzigd)."), 409
        if not note:
            flash("Schrijf kort waarom je de waarschuwing accepteert.")
            return redirect(item_url(key))
        try:
            step = decisions.accept_finding(db(), case_id, finding_key, finding.rule, note, _name(), hooks["accept"]())
        except ConflictError as exc:
            return conflict_response(key, exc)
        except SoftaError as exc:
            return render_item(key, problem=exc.message), 422
        return decided(key, step, "Waarschuwing geaccepteerd.")

    def back() -> str:
        """The page the reviewer came from, when it is one of ours."""
        referrer = request.referrer or ""
        return referrer if referrer.startswith(request.host_url) else url_for("overview")

    @app.post("/ongedaan")
    def undo() -> BaseResponse | tuple[str, int] | str:
        step = undo_store.pop(sid())
        if step is None:
            flash("Er is niets om ongedaan te maken.")
            return redirect(back())
        try:
            decisions.undo(db(), step, _name())
        except ConflictError as exc:
            return render_template("error.html", title="Kan niet ongedaan maken", message=exc.message), 409
        flash(f"Ongedaan gemaakt: {step['label']}.")
        return redirect(item_url(step["item"]))

    images.register(app, db, files, layouts)

    app.jinja_env.globals["qs"] = urlencode
    return app


def too_long(what: str, length: int, limit: int) -> str:
    """Dutch: a text over its limit is not stored (never cut short)."""
    return (f"{what} is {length:,} tekens lang; er passen er hoogstens {limit:,} in. Er is niets opgeslagen: "
            "maak de tekst korter en sla opnieuw op.").replace(",", ".")


def _name() -> str:
    name = session.get("reviewer")
    if not isinstance(name, str) or not name:
        abort(403)
    return name


def _field(name: str) -> str:
    value = request.form.get(name)
    if value is None or value == "":
        abort(400)
    return value


def _int(value: str | None, default: Any) -> Any:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _int_field(name: str) -> int:
    value = _int(request.form.get(name), None)
    if value is None:
        abort(400)
    return int(value)
