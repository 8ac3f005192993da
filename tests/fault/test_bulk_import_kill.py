"""``kill -9`` of ``sociale-kaart import --bulk`` on PostgreSQL, in the middle of its COPYs.

The bulk path (``services/bulk_import.py``) writes every record in one transaction too, with
COPY batches sent from a thread of their own; a killed run must leave the database exactly as
before, and the same run afterwards imports everything (the same check as
``test_import_kill.py`` for the ordinary import).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

import pytest
from kit_cluster_app import REFERENCE_DAY, SERVE_COMMAND
from kit_fault import FAULT_ENV, cli
from test_import_kill import many_listings, snapshot, wait_until_writing

pytestmark = pytest.mark.fault

LISTINGS = 8000  # several COPY rounds: long enough to be killed while writing


def test_kill9_during_bulk_import_leaves_database_as_before(fault_site, tmp_path):
    data = tmp_path / "many.json"
    many_listings(data, LISTINGS)
    before = snapshot(fault_site)
    env = dict(os.environ, SOCIALE_KAART_DATABASE_URL=fault_site.url,
               SOCIALE_KAART_TODAY=REFERENCE_DAY, **FAULT_ENV)
    process = subprocess.Popen([*SERVE_COMMAND, "--instance", str(fault_site.instance), "import",
                                "--bulk", str(data)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        wait_until_writing(fault_site)
        time.sleep(0.3)  # into the first COPYs
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(30)
    assert process.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and fault_site.rows(
            f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{fault_site.dbname}' "
            "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()")[0][0]:
        time.sleep(0.05)
    after_kill = snapshot(fault_site)

    result = cli(fault_site.url, fault_site.instance, "import", "--bulk", str(data))
    complete = snapshot(fault_site)
    created = int(re.search(r"(\d+) nieuw", result.stdout).group(1))
    assert created == LISTINGS
    assert complete["service"] == before["service"] + created
    assert after_kill in (before, complete), "the killed import left part of its records"
    assert after_kill == before  # killed while writing: nothing of it was committed
