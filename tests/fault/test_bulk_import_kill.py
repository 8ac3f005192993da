"""``kill -9`` of ``sociale-kaart import --bulk`` on PostgreSQL, in the middle of its COPYs.

The bulk path (``services/bulk_import.py``) writes every record in one transaction too, with
COPY batches sent from a thread of their own; a killed run must leave the database exactly as
before, and the same run afterwards imports everything (the same check as
``test_import_kill.py`` for the ordinary import).
"""

from __future__ import annotations

import re

import pytest
from kit_fault import cli
from test_import_kill import kill_import_while_writing, many_listings, snapshot

pytestmark = pytest.mark.fault

LISTINGS = 8000  # several COPY rounds: long enough to be killed while writing


def test_kill9_during_bulk_import_leaves_database_as_before(fault_site, tmp_path):
    data = tmp_path / "many.json"
    many_listings(data, LISTINGS)
    before = snapshot(fault_site)
    after_kill = kill_import_while_writing(fault_site, "--bulk", str(data),
                                           delay=0.3)  # into the first COPYs

    result = cli(fault_site.url, fault_site.instance, "import", "--bulk", str(data))
    complete = snapshot(fault_site)
    created = int(re.search(r"(\d+) nieuw", result.stdout).group(1))
    assert created == LISTINGS
    assert complete["service"] == before["service"] + created
    assert after_kill in (before, complete), "the killed import left part of its records"
    assert after_kill == before  # killed while writing: nothing of it was committed
