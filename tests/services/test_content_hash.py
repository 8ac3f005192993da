"""Content hashes of imported records are stored: a new version must compute the very same
digest, and a hash stored in the former form (the standard library's sorted JSON) must still
count as the same content, or every listing would look changed at its next import."""

from __future__ import annotations

import hashlib
import json

import pytest

from sociale_kaart.services.bulk_rows import record_hashes
from sociale_kaart.services.content_hash import (
    canonical_json,
    content_hash,
    legacy_content_hash,
    same_content,
)

RECORD = {
    "name": "Voedselbank Altena",
    # over 2,000 bytes, with multi-byte characters across the hashing chunks
    "description": "Pakketten voor gezinnen – één keer per week. " * 60,
    "organization": {"name": "Stichting €"},
    "n": [1, 2.5, None],
}


def test_the_content_hash_is_the_sha256_of_the_sorted_compact_json():
    service, organization, locations = record_hashes(RECORD)
    assert service == "0138f789724a31d0e368fcd7d9657dcfe70fb7a563ad156667a31cc4c6c2125a"
    compact = json.dumps(RECORD, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert service == hashlib.sha256(compact.encode()).hexdigest()
    assert organization == hashlib.sha256('{"name":"Stichting €"}'.encode()).hexdigest()
    assert locations == []


def test_keys_are_sorted_at_every_depth():
    assert canonical_json({"b": 1, "a": {"d": [2, {"f": 0, "e": 1}], "c": None}}) == \
        b'{"a":{"c":null,"d":[2,{"e":1,"f":0}]},"b":1}'


def test_the_former_hash_is_the_sha256_of_the_standard_librarys_sorted_json():
    """Byte for byte what installations stored until December 2026."""
    assert legacy_content_hash(RECORD) == \
        "66fa3c7bc8de3dc1338faec66a3e2aeea52582b33fb3cc90da1e7aaa25c604f3"


@pytest.mark.parametrize("stored, same", [
    (None, False),
    ("new", True),
    ("legacy", True),
    ("0" * 64, False),
])
def test_a_stored_hash_in_either_form_means_the_same_content(stored, same):
    digest = content_hash(RECORD)
    stored = {"new": digest, "legacy": legacy_content_hash(RECORD)}.get(stored, stored)
    assert same_content(stored, RECORD, digest) is same


@pytest.mark.parametrize("value", [{"big": 2 ** 70}, {1: "a key that is not a string"}])
def test_values_orjson_refuses_are_hashed_in_the_former_form(value):
    former = json.dumps(value, sort_keys=True, ensure_ascii=False).encode()
    assert canonical_json(value) == former
    assert content_hash(value) == legacy_content_hash(value)
