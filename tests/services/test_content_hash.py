"""Content hashes of imported records are stored: a new version must compute the very same
digest, or every listing would look changed at its next import."""

from __future__ import annotations

import hashlib

from sociale_kaart.services.bulk_rows import record_hashes

RECORD = {
    "name": "Voedselbank Altena",
    # over 2,000 bytes, with multi-byte characters across the hashing chunks
    "description": "Pakketten voor gezinnen – één keer per week. " * 60,
    "organization": {"name": "Stichting €"},
    "n": [1, 2.5, None],
}


def test_the_content_hash_is_the_sha256_of_the_sorted_json():
    service, organization, locations = record_hashes(RECORD)
    assert service == "66fa3c7bc8de3dc1338faec66a3e2aeea52582b33fb3cc90da1e7aaa25c604f3"
    assert organization == hashlib.sha256('{"name": "Stichting €"}'.encode()).hexdigest()
    assert locations == []
