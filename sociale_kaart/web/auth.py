"""Signing in and out, accepting an invitation, resetting a forgotten password."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from ..services.accounts import (
    MIN_PASSWORD_LENGTH,
    AccountError,
    authenticate,
    check_token,
    find_user,
    issue_token,
    use_token,
)
from ..services.mail import MailError, send_mail
from . import get_db, get_settings
from .security import limiter

bp = Blueprint("auth", __name__, url_prefix="/account")


class LoginForm(FlaskForm):
    email = EmailField(lazy_gettext("E-mailadres"),
                       validators=[DataRequired(lazy_gettext("Vul uw e-mailadres in.")),
                                   Length(max=320)])
    password = PasswordField(lazy_gettext("Wachtwoord"),
                             validators=[DataRequired(lazy_gettext("Vul uw wachtwoord in.")),
                                         Length(max=1000)])


class PasswordForm(FlaskForm):
    password = PasswordField(
        lazy_gettext("Nieuw wachtwoord (minstens %(min)s tekens)", min=MIN_PASSWORD_LENGTH),
        validators=[DataRequired(lazy_gettext("Kies een wachtwoord.")),
                    # wtforms fills in %(min)d itself
                    Length(min=MIN_PASSWORD_LENGTH,
                           message=lazy_gettext("Kies minstens %(min)d tekens.")),
                    Length(max=1000)])
    confirm = PasswordField(lazy_gettext("Herhaal het wachtwoord"),
                            validators=[EqualTo("password", lazy_gettext(
                                "De wachtwoorden zijn niet gelijk."))])


class ResetRequestForm(FlaskForm):
    email = EmailField(lazy_gettext("E-mailadres"),
                       validators=[DataRequired(lazy_gettext("Vul uw e-mailadres in.")),
                                   Length(max=320)])


#: Failed sign-ins per client address, over all account names: guessing one password for many
#: accounts ("password spraying") is limited too. Only failures count, so an office whose staff
#: all sign in from one address is never locked out by successful logins.
LOGIN_FAILURES_PER_ADDRESS = "20 per minute;100 per hour"


def _login_key() -> str:
    """Rate-limit login attempts per address and account name (see also
    :data:`LOGIN_FAILURES_PER_ADDRESS`)."""
    email = (request.form.get("email") or "").strip().lower()[:320]
    return f"{request.remote_addr}|{email}"


def _login_address_key() -> str:
    return f"login-failures|{request.remote_addr}"


def _login_failed(response) -> bool:
    return response.status_code == 400


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths; anything else goes to ``default`` (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    return default if parts.scheme or parts.netloc else target


def home_for(user) -> str:
    if user.role == "provider":
        return url_for("provider.dashboard")
    if user.role in ("moderator", "beheerder"):
        return url_for("beheer.dashboard")
    if user.role == "coordinator":  # issue 9: the volunteer platform's coordinator
        return url_for("coordinator.dashboard")
    if user.role == "deelnemer":  # issue 9: residents on the volunteer platform
        return url_for("volunteer.mine")
    if user.role == "analist":  # issue 10: reads the insight dashboard only
        return url_for("insight.dashboard")
    return url_for("professional.dashboard")


@bp.route("/inloggen", methods=["GET", "POST"])
@limiter.limit(lambda: get_settings().login_rate_limit, methods=["POST"], key_func=_login_key)
@limiter.limit(LOGIN_FAILURES_PER_ADDRESS, methods=["POST"], key_func=_login_address_key,
               deduct_when=_login_failed)
def login():
    """Sign in with e-mail and password."""
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        db_session = get_db().Session()
        try:
            user = authenticate(db_session, form.email.data, form.password.data)
            if user is not None:
                db_session.commit()
                db_session.refresh(user)
                user.memberships  # noqa: B018
                db_session.expunge(user)
                session.clear()  # a fresh session: no fixation
                login_user(user)
                return redirect(safe_next(request.args.get("next"), home_for(user)))
        finally:
            db_session.close()
        form.password.errors = [gettext("Dit e-mailadres en wachtwoord horen niet bij elkaar, "
                                        "of het account is niet actief.")]
        status = 400
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.post("/uitloggen")
def logout():
    """Sign out; the session (and anything in it, like a referral list) is gone."""
    logout_user()
    session.clear()
    flash(gettext("U bent uitgelogd."))
    return redirect(url_for("public.home"))


@bp.route("/uitnodiging/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    """Choose a password with the link from an invitation."""
    return _set_password(token, "invite", "auth/invitation.html")


@bp.route("/wachtwoord/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password with the link from a reset e-mail."""
    return _set_password(token, "reset", "auth/reset.html")


def _set_password(token: str, purpose: str, template: str):
    if len(token) > 200:
        abort(404)
    db_session = get_db().Session()
    try:
        checked = check_token(db_session, token, purpose)
        if checked.user is None:
            return render_template("auth/bad_link.html", problem=checked.problem), 400
        form = PasswordForm()
        status = 200
        if form.validate_on_submit():
            try:
                use_token(db_session, token, purpose, form.password.data)
                db_session.commit()
            except AccountError as error:
                db_session.rollback()
                form.password.errors = [error.message]
                status = 400
            else:
                flash(gettext("Uw wachtwoord is ingesteld. U kunt nu inloggen."))
                return redirect(url_for("auth.login"))
        elif request.method == "POST":
            status = 400
        return render_template(template, form=form, user=checked.user), status
    finally:
        db_session.close()


@bp.route("/wachtwoord-vergeten", methods=["GET", "POST"])
@limiter.limit("5 per minute;20 per hour", methods=["POST"])
def forgot_password():
    """Ask for a reset link. The answer is the same whether or not the account exists."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        settings = get_settings()
        db_session = get_db().Session()
        try:
            user = find_user(db_session, form.email.data)
            if user is not None and user.active:
                token = issue_token(db_session, user, "reset",
                                    timedelta(minutes=settings.reset_valid_minutes))
                db_session.commit()
                link = settings.base_url + url_for("auth.reset_password", token=token)
                try:
                    send_mail(settings, user.email,
                              gettext("Nieuw wachtwoord voor de sociale kaart"),
                              gettext("Via deze link kiest u een nieuw wachtwoord:\n\n"
                                      "%(link)s\n\nDe link werkt %(minutes)s minuten en één "
                                      "keer. Heeft u dit niet gevraagd? Dan kunt u deze e-mail "
                                      "negeren.", link=link,
                                      minutes=settings.reset_valid_minutes))
                except MailError:
                    pass  # logged; the answer must not reveal whether the account exists
        finally:
            db_session.close()
        flash(gettext("Als dit e-mailadres bij ons bekend is, krijgt u een e-mail met een "
                      "link."))
        return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/forgot.html", form=form), status


@bp.get("/")
def account_home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(home_for(current_user))
