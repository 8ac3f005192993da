"""The referral list ('verwijslijst' for consultants, 'Mijn lijstje' for residents) and the
referral sheet made from it.

Privacy by design: the list lives only in the visitor's own session cookie, as service ids and,
for consultants, a short note per service for the client. Nothing of it is written to the
database or the logs, and signing out clears the session (``auth.logout``). Residents keep the
same list without an account, without notes. The short link (``/lijst/<token>``) holds only the
service ids, so it can be sent by text message: it shows the same services, never the notes.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from sqlalchemy import select

from ..config import STATIC_DIR
from ..i18n import safe_next
from ..models import Service
from ..services.referral_sheet import (
    MAX_ITEMS,
    MAX_NOTE_CHARS,
    ONE_PAGE_ITEMS,
    build_entries,
    decode_ids,
    encode_ids,
    render_pdf,
)
from . import get_db, get_settings
from .access import has_at_least

bp = Blueprint("shortlist", __name__)

SESSION_KEY = "verwijslijst"
#: Browsers drop cookies above 4096 bytes; keep the whole session cookie below this.
COOKIE_BUDGET = 3800


def may_write_notes() -> bool:
    """Notes are for consultants (and the roles above them); residents get a plain list."""
    return has_at_least("consultant")


def current_items() -> list[tuple[str, str]]:
    """The list as (service id, note) pairs, in the chosen order."""
    raw = session.get(SESSION_KEY) or []
    items = []
    for entry in raw[:MAX_ITEMS]:
        if isinstance(entry, list | tuple) and len(entry) == 2 and isinstance(entry[0], str):
            items.append((entry[0][:64], str(entry[1] or "")[:MAX_NOTE_CHARS]
                          if may_write_notes() else ""))
    return items


def current_ids() -> list[str]:
    return [service_id for service_id, _ in current_items()]


def _store(items: list[tuple[str, str]]) -> bool:
    """Keep ``items`` in the session when the cookie stays small enough; False when not."""
    before = session.get(SESSION_KEY)
    session[SESSION_KEY] = [[service_id, note] for service_id, note in items]
    serializer = current_app.session_interface.get_signing_serializer(current_app)
    if serializer is not None and len(serializer.dumps(dict(session))) > COOKIE_BUDGET:
        if before is None:
            session.pop(SESSION_KEY, None)
        else:
            session[SESSION_KEY] = before
        return False
    return True


def list_name() -> str:
    return gettext("Verwijslijst") if may_write_notes() else gettext("Mijn lijstje")


def register_template_helpers(app) -> None:
    @app.context_processor
    def inject() -> dict:
        return {"shortlist_ids": current_ids, "shortlist_name": list_name}


def _back(default: str) -> str:
    return safe_next(request.form.get("next") or default)


def _service_id() -> str:
    service_id = (request.form.get("service_id") or "").strip()
    if not service_id or len(service_id) > 64:
        abort(400)
    return service_id


# -- the list ---------------------------------------------------------------------------------

@bp.get("/mijn-lijstje")
def show():
    """The list: reorder, remove, notes (consultants), and the ways to hand it over."""
    items = current_items()
    db_session = get_db().Session()
    try:
        services = {s.id: s for s in db_session.scalars(
            select(Service).where(Service.id.in_([i for i, _ in items])))} if items else {}
        rows = [(services[i], note) for i, note in items if i in services]
    finally:
        db_session.close()
    token = encode_ids([s.id for s, _ in rows]) if rows else None
    return render_template("shortlist/list.html", rows=rows, token=token,
                           notes=may_write_notes(), max_items=MAX_ITEMS,
                           max_note=MAX_NOTE_CHARS, title=list_name())


@bp.post("/mijn-lijstje/toevoegen")
def add():
    service_id = _service_id()
    back = _back(url_for("shortlist.show"))
    db_session = get_db().Session()
    try:
        service = db_session.get(Service, service_id)
        if service is None:
            abort(404)
        name = service.name
    finally:
        db_session.close()
    items = current_items()
    if service_id in {i for i, _ in items}:
        flash(gettext("%(name)s staat al op uw lijst.", name=name))
    elif len(items) >= MAX_ITEMS:
        flash(gettext("Uw lijst is vol: er passen %(max)s diensten op. Haal er eerst een af.",
                      max=MAX_ITEMS))
    elif not _store(items + [(service_id, "")]):
        flash(gettext("Uw lijst is vol. Maak de notities korter of haal een dienst af."))
    else:
        flash(gettext("%(name)s staat nu op uw lijst.", name=name))
    return redirect(back)


@bp.post("/mijn-lijstje/weghalen")
def remove():
    service_id = _service_id()
    _store([(i, note) for i, note in current_items() if i != service_id])
    flash(gettext("De dienst is van uw lijst gehaald."))
    return redirect(_back(url_for("shortlist.show")))


@bp.post("/mijn-lijstje/verplaatsen")
def move():
    """One place up or down ('omhoog' / 'omlaag')."""
    service_id = _service_id()
    items = current_items()
    ids = [i for i, _ in items]
    if service_id not in ids:
        return redirect(url_for("shortlist.show"))
    index = ids.index(service_id)
    other = index - 1 if request.form.get("richting") == "omhoog" else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
        _store(items)
    return redirect(url_for("shortlist.show") + f"#item-{service_id}")


@bp.post("/mijn-lijstje/notities")
def save_notes():
    """Consultants: the notes for the client, one per service. Kept in the session only."""
    if not may_write_notes():
        abort(403)
    items = current_items()
    updated = []
    too_long = False
    for service_id, _old in items:
        note = " ".join((request.form.get(f"note-{service_id}") or "").split())
        if len(note) > MAX_NOTE_CHARS:
            note = note[:MAX_NOTE_CHARS]
            too_long = True
        updated.append((service_id, note))
    if not _store(updated):
        flash(gettext("De notities zijn samen te lang om te bewaren. Maak ze korter."))
    elif too_long:
        flash(gettext("Een notitie mag %(max)s tekens lang zijn. De rest is weggelaten.",
                      max=MAX_NOTE_CHARS))
    else:
        flash(gettext("De notities zijn bewaard, alleen voor deze sessie."))
    return redirect(url_for("shortlist.show"))


@bp.post("/mijn-lijstje/leegmaken")
def clear():
    session.pop(SESSION_KEY, None)
    flash(gettext("Uw lijst is leeg."))
    return redirect(url_for("shortlist.show"))


# -- the sheet --------------------------------------------------------------------------------

def _sheet_html(items: list[tuple[str, str]], *, pdf: bool, shared: bool,
                fit: int = 0) -> str:
    db_session = get_db().Session()
    try:
        entries = build_entries(
            db_session, items,
            lambda i: url_for("public.service_detail", service_id=i, _external=True),
            lambda name: gettext("Kaartje: %(place)s en de plaatsen eromheen", place=name))
        if not entries:
            abort(404)
        large = request.args.get("groot") == "1"
        token = encode_ids([e.service.id for e in entries])
        stylesheet = (STATIC_DIR / "css" / "sheet.css").as_uri() if pdf else \
            url_for("static", filename="css/sheet.css")
        return render_template("shortlist/sheet.html", entries=entries, large=large, pdf=pdf,
                               shared=shared, token=token, stylesheet=stylesheet, fit=fit,
                               today=get_settings().today_or_now(),
                               short_url=url_for("shortlist.shared", token=token,
                                                 _external=True))
    finally:
        db_session.close()


@bp.get("/verwijslijst")
def sheet():
    """The referral sheet as a page to print (``?groot=1``: large print; ``?lang=en``)."""
    items = current_items()
    if not items:
        flash(gettext("Uw lijst is nog leeg. Voeg eerst diensten toe."))
        return redirect(url_for("shortlist.show"))
    return _sheet_html(items, pdf=False, shared=False)


@bp.get("/verwijslijst.pdf")
def sheet_pdf():
    """The same sheet as a PDF, made on the server (nothing is stored)."""
    items = current_items()
    if not items:
        flash(gettext("Uw lijst is nog leeg. Voeg eerst diensten toe."))
        return redirect(url_for("shortlist.show"))
    large = request.args.get("groot") == "1"
    data = render_pdf(lambda level: _sheet_html(items, pdf=True, shared=False, fit=level),
                      base_url=STATIC_DIR.as_uri() + "/",
                      one_page=not large and len(items) <= ONE_PAGE_ITEMS)
    response = current_app.response_class(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = 'attachment; filename="verwijslijst.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/lijst/<token>")
def shared(token: str):
    """The short link: the same services, publicly, without notes."""
    try:
        ids = decode_ids(token)
    except ValueError:
        abort(404)
    return _sheet_html([(i, "") for i in ids], pdf=False, shared=True)
