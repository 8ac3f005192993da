"""Accounts, their organisations and one-time tokens for invitations and password resets.

Roles, from most to least rights: ``beheerder`` (the municipality's administrator),
``moderator``, ``consultant`` (a professional who refers clients), ``provider`` (a member of
one or more organisations who keeps their listings current), ``coordinator`` (runs the
volunteer platform), ``analist`` (reads the insight dashboard) and ``deelnemer`` (a resident who
volunteers or asks for help on the volunteer platform; their private data lives in the
volunteer tables, never on the sociale kaart itself). Tokens are stored as hashes, so a
database leak does not leak usable links.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow

ROLES = ("beheerder", "moderator", "consultant", "provider", "coordinator", "analist",
         "deelnemer")
ROLE_LABELS = {"beheerder": "Beheerder", "moderator": "Moderator", "consultant": "Consulent",
               "provider": "Aanbieder", "coordinator": "Coördinator vrijwilligerswerk",
               "analist": "Analist (alleen lezen)", "deelnemer": "Deelnemer vrijwilligerswerk"}
TOKEN_PURPOSES = ("invite", "reset")


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    #: argon2 hash; None until the invitation is accepted.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: A trusted provider's changes publish at once, without moderation.
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()

    memberships: Mapped[list[Membership]] = relationship(cascade="all, delete-orphan",
                                                         lazy="selectin")

    @property
    def organization_ids(self) -> set[str]:
        return {m.organization_id for m in self.memberships}

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    # Flask-Login's user interface.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active and self.password_hash is not None

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class Membership(Base):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id",
                                                            ondelete="CASCADE"), index=True)


class AuthToken(Base):
    __tablename__ = "auth_token"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
