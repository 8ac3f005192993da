"""Who may do what: role and ownership checks for views.

Roles are ordered: a beheerder may do what a moderator may, a moderator what a consultant may.
A provider is not above or below them: providers only touch their own organisations.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

STAFF_ORDER = {"consultant": 1, "moderator": 2, "beheerder": 3}


def has_at_least(role: str) -> bool:
    if not current_user.is_authenticated:
        return False
    return STAFF_ORDER.get(current_user.role, 0) >= STAFF_ORDER[role]


def role_required(*roles: str) -> Callable:
    """Allow the listed roles (staff roles include those above them)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            allowed = current_user.role in roles or any(
                r in STAFF_ORDER and has_at_least(r) for r in roles)
            if not allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def can_edit_organization(organization_id: str) -> bool:
    """Providers edit their own organisations; moderators and beheerders every one."""
    if not current_user.is_authenticated:
        return False
    if has_at_least("moderator"):
        return True
    return current_user.role == "provider" and organization_id in current_user.organization_ids
