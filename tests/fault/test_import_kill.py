"""``kill -9`` of ``sociale-kaart import`` on PostgreSQL, in the middle of writing.

An import writes every valid record in one transaction (``services/imports.py``), so a killed
import must leave the database exactly as before (or, had the kill come after the commit,
complete), never half. The test waits until the import's transaction has written rows, kills
it, compares every table with the snapshot from before, and then runs the same import to the
end to show the data were fine all along.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kit_cluster_app import REFERENCE_DAY, REPO, SERVE_COMMAND
from kit_fault import FAULT_ENV, Site, cli

pytestmark = pytest.mark.fault

LISTINGS = 200  # synthetic listings: long enough to be killed while writing
TABLES = ("organization", "service", "location", "service_at_location", "address", "phone",
          "schedule", "attribute", "metadata", "merge_proposal")


def many_listings(path: Path, count: int) -> None:
    """``count`` deterministic synthetic listings (``benchmarks/synthetic.py``) as HSDS JSON."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from synthetic import Corpus

    path.write_text(json.dumps([r.service for r in Corpus(7).records(count)]),
                    encoding="utf-8")


def snapshot(fault_site: Site) -> dict[str, int]:
    present = {row[0] for row in fault_site.rows(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")}
    return {table: fault_site.count(table) for table in TABLES if table in present}


def wait_until_writing(fault_site: Site, timeout: float = 120) -> None:
    """Until another connection to our database holds a transaction that wrote something."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = fault_site.rows("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                         f"'{fault_site.dbname}' AND backend_xid IS NOT NULL "
                         "AND pid <> pg_backend_pid()")
        if rows[0][0]:
            return
        time.sleep(0.02)
    raise AssertionError("the import never started writing")


def kill_import_while_writing(fault_site, *import_args: str, delay: float) -> dict:
    """Start ``sociale-kaart import *import_args``, ``kill -9`` it ``delay`` seconds after it
    began writing, wait until PostgreSQL has rolled its transaction back, and return the
    database's snapshot then."""
    env = dict(os.environ, SOCIALE_KAART_DATABASE_URL=fault_site.url,
               SOCIALE_KAART_TODAY=REFERENCE_DAY, **FAULT_ENV)
    process = subprocess.Popen([*SERVE_COMMAND, "--instance", str(fault_site.instance), "import",
                                *import_args], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        wait_until_writing(fault_site)
        time.sleep(delay)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(30)
    assert process.returncode == -signal.SIGKILL
    # PostgreSQL ends the dead client's backend and rolls its transaction back.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and fault_site.rows(
            f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{fault_site.dbname}' "
            "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()")[0][0]:
        time.sleep(0.05)
    return snapshot(fault_site)


def test_kill9_during_import_leaves_database_as_before(fault_site, tmp_path):
    data = tmp_path / "many.json"
    many_listings(data, LISTINGS)
    before = snapshot(fault_site)
    after_kill = kill_import_while_writing(fault_site, str(data), delay=0.5)  # well into it

    result = cli(fault_site.url, fault_site.instance, "import", str(data))
    complete = snapshot(fault_site)
    created = int(re.match(r"(\d+) nieuw", result.stdout.strip().splitlines()[-1]).group(1))
    assert created > LISTINGS * 0.9
    assert complete["service"] == before["service"] + created
    assert after_kill in (before, complete), "the killed import left part of its records"
    assert after_kill == before  # killed while writing: nothing of it was committed
