"""The volunteer platform (issue 9): plain service functions over the volunteer models.

Views, the CLI, the demo loader and tests all call these functions the same way; none of them
knows about Flask. Time is always a parameter (``now``), so rules that depend on the clock
(expired listings, the retention period) are testable without waiting.

Modules: ``people`` (participants and their profile), ``listings`` (posting, review,
visibility), ``responses`` (the response state machine, matches, contact release), ``privacy``
(free-text check, export, erasure, anonymisation), ``search`` (finding listings with the
kaart's Dutch analysis), ``api`` (the public JSON shape) and ``demo`` (demo data).
"""

from __future__ import annotations


class VolunteerError(ValueError):
    """A request the platform refuses, with the field it concerns and a message in Dutch.

    :ivar field: the form field or parameter at fault (``"state"`` for an illegal transition).
    :ivar message: what went wrong and what to do, for the person who asked.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class NotAllowed(VolunteerError):
    """The account may not do this (the web layer answers 403)."""

    def __init__(self, message: str) -> None:
        super().__init__("access", message)
