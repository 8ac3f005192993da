"""Content hashes of imported records: an import writes an organization, a location or a
listing only when the hash of its record differs from the one stored with it.

The hash is the sha256 of the record as JSON with sorted keys, encoded by orjson. An import
computes three or more of them per listing, and the standard library's sorted JSON, which
installations stored until December 2026, took about a third of the bulk import's Python time
(some 70 µs per listing against 13 µs). Those stored hashes stay valid: ``same_content`` also
tries their form when the new one differs, so an upgrade does not make every listing look
changed at its next import (which would write a new version and an audit record for each).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson

#: Bytes per ``sha256.update``: below hashlib's 2,048, where it keeps the GIL. Letting go of it
#: for a few microseconds of hashing cost the bulk import far more: getting it back waits for
#: the thread that COPYs the previous batch (the digest is the same either way).
_HASH_CHUNK = 2000


def canonical_json(data: Any) -> bytes:
    """The bytes a content hash is computed from: JSON with sorted keys, no spaces."""
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS, default=str)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits, a key that is not a string
        return _legacy_json(data)


def content_hash(data: Any) -> str:
    return _sha256(canonical_json(data))


def legacy_content_hash(data: Any) -> str:
    """The hash stored until December 2026: the standard library's sorted JSON."""
    return _sha256(_legacy_json(data))


def same_content(stored: str | None, data: Any, digest: str) -> bool:
    """Whether a stored hash says ``data`` (whose hash is ``digest``) is unchanged."""
    if stored is None:
        return False
    return stored == digest or stored == legacy_content_hash(data)


def _legacy_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()


def _sha256(encoded: bytes) -> str:
    digest = hashlib.sha256()
    for start in range(0, len(encoded), _HASH_CHUNK):
        digest.update(encoded[start:start + _HASH_CHUNK])
    return digest.hexdigest()
