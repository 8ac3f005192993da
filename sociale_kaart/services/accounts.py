"""Accounts: creating, inviting, signing in, password resets, disabling.

Passwords are hashed with argon2 (argon2-cffi's defaults, re-hashed when those change). Links
in invitations and resets carry a random token; only its SHA-256 is stored, and it works once,
before it expires.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import ROLES, AuthToken, Membership, Organization, User, utcnow

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()
# A hash to verify against when the account does not exist, so timing does not tell.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AccountError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 320:
        raise AccountError("email", "Vul een geldig e-mailadres in.")
    return email


def hash_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError("password", f"Kies een wachtwoord van minstens "
                                       f"{MIN_PASSWORD_LENGTH} tekens.")
    if len(password) > 1000:
        raise AccountError("password", "Dit wachtwoord is te lang.")
    return _hasher.hash(password)


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(session: Session, email: str, role: str, *, password: str | None = None,
                organization_ids: list[str] | None = None, name: str | None = None,
                trusted: bool = False) -> User:
    """Create an account. Without a password it can only be used after an invitation."""
    email = normalise_email(email)
    if role not in ROLES:
        raise AccountError("role", f"Onbekende rol {role!r}; kies uit: {', '.join(ROLES)}.")
    if find_user(session, email) is not None:
        raise AccountError("email", "Er is al een account met dit e-mailadres.")
    organization_ids = organization_ids or []
    if role == "provider" and not organization_ids:
        raise AccountError("organization", "Een aanbieder hoort bij minstens één organisatie.")
    for organization_id in organization_ids:
        if session.get(Organization, organization_id) is None:
            raise AccountError("organization", f"Organisatie {organization_id} bestaat niet.")
    user = User(email=email, role=role, name=name, trusted=trusted,
                password_hash=hash_password(password) if password else None)
    user.memberships = [Membership(organization_id=o) for o in organization_ids]
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The account for these credentials, or None (also for disabled accounts)."""
    user = find_user(session, email or "")
    if user is None or user.password_hash is None:
        try:
            _hasher.verify(_DUMMY_HASH, password or "")
        except VerificationError:
            pass
        return None
    try:
        _hasher.verify(user.password_hash, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    return user


def disable_user(session: Session, email: str) -> User:
    user = find_user(session, email)
    if user is None:
        raise AccountError("email", "Dit account bestaat niet.")
    user.active = False
    for token in session.scalars(select(AuthToken).where(AuthToken.user_id == user.id,
                                                         AuthToken.used_at.is_(None))):
        token.used_at = utcnow()
    return user


# -- one-time tokens ------------------------------------------------------------------------

def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, purpose: str, valid_for: timedelta) -> str:
    """A new one-time token; earlier unused tokens of the same purpose stop working."""
    for old in session.scalars(select(AuthToken).where(
            AuthToken.user_id == user.id, AuthToken.purpose == purpose,
            AuthToken.used_at.is_(None))):
        old.used_at = utcnow()
    token = secrets.token_urlsafe(32)
    session.add(AuthToken(user_id=user.id, purpose=purpose, token_hash=_digest(token),
                          expires_at=utcnow() + valid_for))
    session.flush()
    return token


@dataclass
class TokenCheck:
    user: User | None
    problem: str | None


def check_token(session: Session, token: str, purpose: str) -> TokenCheck:
    row = session.scalar(select(AuthToken).where(AuthToken.token_hash == _digest(token or ""),
                                                 AuthToken.purpose == purpose))
    if row is None:
        return TokenCheck(None, "Deze link is niet geldig.")
    if row.used_at is not None:
        return TokenCheck(None, "Deze link is al gebruikt.")
    if row.expires_at < utcnow():
        return TokenCheck(None, "Deze link is verlopen. Vraag een nieuwe aan.")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return TokenCheck(None, "Dit account is niet actief.")
    return TokenCheck(user, None)


def use_token(session: Session, token: str, purpose: str, new_password: str) -> User:
    """Set a password with an invitation or reset token, which then stops working."""
    checked = check_token(session, token, purpose)
    if checked.user is None:
        raise AccountError("token", checked.problem or "Deze link is niet geldig.")
    checked.user.password_hash = hash_password(new_password)
    row = session.scalar(select(AuthToken).where(AuthToken.token_hash == _digest(token)))
    row.used_at = utcnow()
    return checked.user
