"""The database goes away under a running web process, and comes back.

- PostgreSQL restarted while serving: during the outage every answer is a clean 503 with a
  Dutch message (an HTML page for people, JSON for the APIs), never a 500 or a dropped
  connection; within 10 s after PostgreSQL is back the same process serves again (no restart
  of the app: the connection pool tests and replaces dead connections).
- The read replica stopped: anonymous reads move to the primary, visitors see pages.

Both use the fault tests' shared cluster (restarting it harms no other test's data; it is
started again whatever happens) to save the minute a cluster of their own costs to set up.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from kit_cluster_app import AppCluster, fetch, loopback_source
from kit_fault import FAULT_ENV, Site
from kit_postgres import start_replica

pytestmark = pytest.mark.fault

RESUME_WITHIN_S = 10.0


def some_service(fault_site: Site) -> str:
    return fault_site.rows(
        "SELECT id FROM service WHERE status = 'active' ORDER BY id LIMIT 1")[0][0]


class Prober(threading.Thread):
    """Requests ``paths`` round and round until stopped; keeps (path, status) per answer
    (status 0: no answer at all)."""

    def __init__(self, base: str, paths: list[str], number: int) -> None:
        super().__init__(daemon=True)
        self.base, self.paths, self.source = base, paths, loopback_source(number)
        self.answers: list[tuple[str, int]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        turn = 0
        while not self.halt.is_set():
            path = self.paths[turn % len(self.paths)]
            turn += 1
            try:
                status = fetch(self.base + path, source=self.source, timeout=20).status
            except OSError:
                status = 0
            self.answers.append((path, status))
            time.sleep(0.05)

    def stop(self) -> list[tuple[str, int]]:
        self.halt.set()
        self.join(30)
        return self.answers


def test_postgres_restart_gives_dutch_503_then_service_resumes(fault_site):
    detail = f"/aanbod/{some_service(fault_site)}"
    paths = [detail, "/api/v1/search?q=taal", "/hsds/services", "/", "/plaatsen"]
    with AppCluster(fault_site.url, fault_site.instance, processes=1,
                    env=FAULT_ENV) as cluster:
        base = cluster.urls[0]
        pid = cluster.nodes[0].pid
        assert fetch(base + detail).status == 200
        probers = [Prober(base, paths, i) for i in range(3)]
        for prober in probers:
            prober.start()
        time.sleep(0.5)

        fault_site.cluster.stop(mode="fast")
        try:
            page = fetch(base + detail)
            api = fetch(base + "/hsds/services")
            ready = fetch(base + "/readyz")
            alive = fetch(base + "/healthz")
            time.sleep(1.0)
        finally:
            fault_site.cluster.start()
        back = time.monotonic()
        resumed_after = None
        while time.monotonic() - back < RESUME_WITHIN_S + 5:
            if fetch(base + detail).status == 200:
                resumed_after = time.monotonic() - back
                break
            time.sleep(0.1)
        time.sleep(0.5)
        answers = [a for prober in probers for a in prober.stop()]
        same_process = cluster.nodes[0].alive() and cluster.nodes[0].pid == pid

    assert page.status == 503
    assert page.headers["content-type"].startswith("text/html")
    assert 'lang="nl"' in page.text and "Even niet beschikbaar" in page.text
    assert "Probeer het over een halve minuut opnieuw" in page.text
    assert page.headers.get("retry-after") == "30"
    assert api.status == 503
    assert "niet bereikbaar" in json.loads(api.body)["error"]["message"]
    assert ready.status == 503 and alive.status == 200
    statuses = {status for _path, status in answers}
    assert statuses <= {200, 503}, f"unclean answers during the outage: {statuses}"
    assert 503 in statuses
    assert resumed_after is not None and resumed_after <= RESUME_WITHIN_S
    assert same_process


def test_stopped_replica_moves_reads_to_primary(fault_site):
    primary = fault_site.cluster
    replica = start_replica(primary)
    try:
        replica.wait_for_replay()
        env = dict(FAULT_ENV, SOCIALE_KAART_DATABASE_REPLICA_URLS=replica.url(
            fault_site.dbname), SOCIALE_KAART_REPLICA_CHECK_SECONDS="1")
        detail = f"/aanbod/{some_service(fault_site)}"
        with AppCluster(fault_site.url, fault_site.instance, processes=1,
                        env=env) as cluster:
            base = cluster.urls[0]

            def replica_reads() -> int:
                return replica.execute("SELECT xact_commit + xact_rollback FROM "
                                       "pg_stat_database WHERE datname = "
                                       f"'{fault_site.dbname}'")[0][0]

            served = replica_reads()
            assert all(fetch(base + detail).status == 200 for _ in range(5))
            assert replica_reads() > served, "the replica served no reads"

            prober = Prober(base, [detail, "/plaatsen", "/"], 1)
            prober.start()
            time.sleep(0.3)
            replica.stop(mode="fast")
            time.sleep(3.0)
            answers = prober.stop()
            after = [fetch(base + detail, source=loopback_source(2)).status
                     for _ in range(5)]
    finally:
        replica.stop(mode="immediate", remove=True)

    # A read that failed on the replica is sent to the same address again (307) and then
    # served by the primary; nothing else than that and 200 may be seen.
    statuses = {status for _path, status in answers}
    assert statuses <= {200, 307}, f"unclean answers while the replica went away: {statuses}"
    assert after == [200] * 5
