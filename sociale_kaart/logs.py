"""Logging for servers: readable text or one JSON object per line, never personal data.

Why JSON: with several web nodes the logs go to a collector (journald, Loki, ELK), which wants
fields, not prose. Why no personal data (AVG): request lines carry method, path (without the
query string, which may hold a resident's search text), status and duration; never the client
address, cookies, e-mail addresses or form fields.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import UTC, datetime

from .config import Settings

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
#: Extra attributes a record may carry that the JSON line includes as fields.
FIELDS = ("method", "path", "status", "duration_ms", "endpoint", "job", "node")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and known extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": EMAIL.sub("<e-mail>", record.getMessage()),
            "pid": os.getpid(),
        }
        for name in FIELDS:
            if hasattr(record, name):
                data[name] = getattr(record, name)
        if record.exc_info:
            data["error"] = record.exc_info[0].__name__ if record.exc_info[0] else None
        return json.dumps(data, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return EMAIL.sub("<e-mail>", super().format(record))


def configure_logging(settings: Settings, stream=None, level: int = logging.INFO) -> None:
    """Send the app's logs (``sociale_kaart.*`` and the WSGI server) to ``stream`` (stderr)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    for name in ("sociale_kaart", "waitress"):
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            if getattr(old, "_sociale_kaart", False):
                logger.removeHandler(old)
        handler._sociale_kaart = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False
