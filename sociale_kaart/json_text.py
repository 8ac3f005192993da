"""The JSON text stored in the database's JSON columns, by the ORM and by the bulk import's COPY
alike (a test compares their rows byte for byte).

orjson rather than the standard library: the audit trail stores every imported record whole
(some KB per listing), and encoding it with ``json.dumps`` was about a fifth of the bulk
import's Python time. Where orjson refuses a value the standard library takes it (an integer
beyond 64 bits, a key that is not a string), so nothing that could be stored before fails now.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def json_bytes(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return json.dumps(value).encode()


def json_str(value: Any) -> str:
    """For SQLAlchemy's ``json_serializer``, which wants text."""
    return json_bytes(value).decode()
