"""The beheerder's page for accounts: who has one, inviting someone, switching one off.

``/beheer/gebruikers`` is for beheerders only: an account decides what someone may change on
the map. An invitation makes the account without a password plus a one-time link. With an
SMTP server the link is e-mailed; without one (a laptop, a test installation) the page shows
the link once, so the beheerder can pass it on. The link is shown in the response only, never
in a flash message: flash messages live in the (signed, not encrypted) session cookie.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import BooleanField, EmailField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from ..models import Organization, User
from ..services.accounts import AccountError, disable_user
from ..services.invitations import Invitation, invite_user, issue_invitation, send_invitation
from ..services.mail import MailError, mail_configured
from . import get_db, get_settings
from .access import role_required

bp = Blueprint("users", __name__, url_prefix="/beheer/gebruikers")

#: Role labels, translatable (``ROLE_LABELS`` in the model is for the command line).
ROLE_CHOICES = {
    "provider": lazy_gettext("Aanbieder"),
    "consultant": lazy_gettext("Consulent"),
    "moderator": lazy_gettext("Moderator"),
    "beheerder": lazy_gettext("Beheerder"),
}


class InviteForm(FlaskForm):
    email = EmailField(lazy_gettext("E-mailadres"),
                       validators=[DataRequired(lazy_gettext("Vul een e-mailadres in.")),
                                   Length(max=320)])
    name = StringField(lazy_gettext("Naam (niet verplicht)"),
                       validators=[Optional(), Length(max=200)])
    role = SelectField(lazy_gettext("Rol"),
                       choices=[SelectChoice(value, label)
                                for value, label in ROLE_CHOICES.items()],
                       validators=[DataRequired(lazy_gettext("Kies een rol."))])
    organizations = SelectMultipleField(lazy_gettext("Organisaties"), choices=[],
                                        validate_choice=True)
    trusted = BooleanField(lazy_gettext("Vertrouwde aanbieder: wijzigingen zijn meteen "
                                        "zichtbaar, zonder controle door een moderator"))


def _organizations(session: Session) -> list[Organization]:
    return list(session.scalars(select(Organization).order_by(Organization.name)))


def _render(session: Session, form: InviteForm, *, invitation: Invitation | None = None,
            mail_problem: str | None = None, status: int = 200):
    users = list(session.scalars(select(User).order_by(User.email)))
    names = {o.id: o.name for o in _organizations(session)}
    return render_template(
        "users/list.html", form=form, users=users, organization_names=names,
        role_labels=ROLE_CHOICES, invitation=invitation, mail_problem=mail_problem,
        mail_on=mail_configured(get_settings())), status


def _form(session: Session) -> InviteForm:
    form = InviteForm()
    form.organizations.choices = [SelectChoice(o.id, o.name) for o in _organizations(session)]
    return form


@bp.get("")
@role_required("beheerder")
def index():
    """All accounts, and the invitation form."""
    db_session = get_db().Session()
    try:
        return _render(db_session, _form(db_session))
    finally:
        db_session.close()


def _send(invitation: Invitation) -> tuple[bool, str | None]:
    """(mailed, problem). Not mailed without SMTP, or when the server refused."""
    try:
        return send_invitation(get_settings(), invitation), None
    except MailError:
        return False, gettext("De e-mail kon niet worden verstuurd. Geef de link hieronder "
                              "zelf door.")


@bp.post("")
@role_required("beheerder")
def invite():
    """Make an account and its invitation; e-mail the link, or show it."""
    db_session = get_db().Session()
    try:
        form = _form(db_session)
        if not form.validate_on_submit():
            return _render(db_session, form, status=400)
        try:
            invitation = invite_user(db_session, get_settings(), form.email.data,
                                     form.role.data, organization_ids=form.organizations.data,
                                     trusted=form.trusted.data, name=form.name.data or None)
            db_session.commit()
        except AccountError as error:
            db_session.rollback()
            target = {"email": form.email, "role": form.role,
                      "organization": form.organizations}.get(error.field, form.email)
            target.errors = [gettext(error.message)]
            return _render(db_session, form, status=400)
        mailed, problem = _send(invitation)
        if mailed:
            flash(gettext("De uitnodiging is gemaild naar %(email)s.",
                          email=invitation.user.email))
            return redirect(url_for("users.index"))
        return _render(db_session, _form(db_session), invitation=invitation,
                       mail_problem=problem)
    finally:
        db_session.close()


@bp.post("/<int:user_id>/uitnodigen")
@role_required("beheerder")
def reinvite(user_id: int):
    """A new invitation link for someone who has not chosen a password yet (the old link
    stops working): links expire, and e-mails get lost."""
    db_session = get_db().Session()
    try:
        user = db_session.get(User, user_id)
        if user is None or not user.active or user.password_hash is not None:
            flash(gettext("Dit account kan geen nieuwe uitnodiging krijgen."))
            return redirect(url_for("users.index"))
        invitation = issue_invitation(db_session, get_settings(), user)
        db_session.commit()
        mailed, problem = _send(invitation)
        if mailed:
            flash(gettext("De uitnodiging is gemaild naar %(email)s.", email=user.email))
            return redirect(url_for("users.index"))
        return _render(db_session, _form(db_session), invitation=invitation,
                       mail_problem=problem)
    finally:
        db_session.close()


@bp.post("/<int:user_id>/uitschakelen")
@role_required("beheerder")
def disable(user_id: int):
    """Switch an account off. Not your own: the last beheerder would lock everyone out."""
    db_session = get_db().Session()
    try:
        user = db_session.get(User, user_id)
        if user is None:
            flash(gettext("Dit account bestaat niet."))
        elif user.id == current_user.id:
            flash(gettext("U kunt uw eigen account niet uitschakelen."))
        else:
            disable_user(db_session, user.email)
            db_session.commit()
            flash(gettext("Het account van %(email)s is uitgeschakeld.", email=user.email))
        return redirect(url_for("users.index"))
    finally:
        db_session.close()
