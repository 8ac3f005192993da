"""The platform's clock: the real time, unless the app config pins it.

Views call :func:`now` instead of ``datetime.now`` so a test (or a demo) can set
``app.config["VOLUNTEER_NOW"]`` to a fixed ``datetime`` and see time-based rules (listings whose
``list_until`` has passed, retention) act as they would on that day.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, has_app_context

from ..models import utcnow


def now() -> datetime:
    """The current (naive UTC) time, or ``VOLUNTEER_NOW`` from the app config when set."""
    if has_app_context():
        pinned = current_app.config.get("VOLUNTEER_NOW")
        if isinstance(pinned, datetime):
            return pinned
    return utcnow()
