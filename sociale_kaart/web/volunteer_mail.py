"""Pages behind the links in the volunteer platform's e-mails; no login needed.

* ``/vrijwilligers/e-mail/afmelden/<token>``: GET shows "Wilt u zich afmelden?", POST
  unsubscribes from the weekly digest. A mail client's one-click button (RFC 8058) POSTs
  ``List-Unsubscribe=One-Click`` to the same address without our CSRF token, so this one view
  is exempt from CSRF: the signed token in the address is the proof, and the only thing a POST
  can do is switch that one person's digest off.
* ``/vrijwilligers/e-mail/opvolging/<token>``: "is het een match geworden?" (ja/nee);
* ``/vrijwilligers/e-mail/duurzaam/<token>``: "loopt de match nog?" (ja/nee).

A GET never changes anything, so a virus scanner or link preview that opens the link does not
answer for the recipient. The pages show no names or contact details.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ..volunteer import VolunteerError
from ..volunteer import mailings as m
from ..volunteer.clock import now as clock_now
from . import get_db, get_settings

bp = Blueprint("volunteer_mail", __name__)


@bp.record_once
def _exempt_one_click(state) -> None:
    csrf = state.app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(f"{__name__}.unsubscribe")


def _bad_link(error: VolunteerError):
    return render_template("coordinator/mail_done.html", title_text=None,
                           message=error.message, bad=True), 404


@bp.route("/vrijwilligers/e-mail/afmelden/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    """Unsubscribe from the weekly digest (confirm page, then POST; or one-click POST)."""
    settings = get_settings()
    try:
        with get_db().session() as session:
            if request.method == "POST":
                m.unsubscribe(session, settings, token)
                return render_template("coordinator/mail_done.html", done="unsubscribed")
            person = m.digest_person(session, settings, token)
            subscribed = bool(person.digest_opt_in)
    except VolunteerError as error:
        return _bad_link(error)
    return render_template("coordinator/mail_unsubscribe.html", subscribed=subscribed)


@bp.route("/vrijwilligers/e-mail/opvolging/<token>", methods=["GET", "POST"])
def followup(token: str):
    """"Is het een match geworden?" Ja of nee."""
    return _yes_no_question(token, "followup", m.followup_response, m.answer_followup,
                            "followup_answered_at")


@bp.route("/vrijwilligers/e-mail/duurzaam/<token>", methods=["GET", "POST"])
def durable(token: str):
    """"Loopt de match nog?" Ja of nee (the 3-month check)."""
    return _yes_no_question(token, "durable", m.durable_match, m.answer_durable,
                            "durable_answered_at")


def _yes_no_question(token: str, kind: str, read, answer, answered_field: str):
    """GET shows the question (or that it was answered); POST records yes or no."""
    settings = get_settings()
    try:
        with get_db().session() as session:
            if request.method == "POST":
                choice = request.form.get("answer")
                if choice not in ("yes", "no"):
                    return render_template("coordinator/mail_question.html", kind=kind,
                                           error=True), 400
                answer(session, settings, token, choice == "yes", clock_now())
                return render_template("coordinator/mail_done.html", done="answered")
            answered = getattr(read(session, settings, token), answered_field) is not None
    except VolunteerError as error:
        return _bad_link(error)
    return render_template("coordinator/mail_question.html", kind=kind, answered=answered)
