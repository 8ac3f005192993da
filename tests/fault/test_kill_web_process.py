"""``kill -9`` of one of two web processes while residents read pages and send reports.

What a client was told is what counts: every report answered with a redirect (the form's
"Bedankt!" acknowledgement) must be in the database afterwards, and the other process keeps
serving. Clients behave like a simple load balancer: a request whose connection fails is sent
to the other process once.
"""

from __future__ import annotations

import random
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from kit_cluster_app import AppCluster, Response, fetch, loopback_source
from kit_fault import FAULT_ENV

pytestmark = pytest.mark.fault

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
WRITERS = 40
REPORTS_PER_WRITER = 4  # the form allows 5 per minute per address and process
READERS = 10


@dataclass
class Ledger:
    """What the clients saw, written by many threads."""

    acknowledged: set[str] = field(default_factory=set)
    unacknowledged: list[str] = field(default_factory=list)
    reads: list[tuple[float, int, int]] = field(default_factory=list)  # (time, node, status)
    failed_reads: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _cookie(response: Response) -> str:
    return response.headers.get("set-cookie", "").split(";", 1)[0]


def _send_report(cluster: AppCluster, number: int, service_id: str, token: str,
                 ledger: Ledger) -> None:
    """GET the form from one process, POST it to the next; on a failed connection, once more
    to the other process (the CSRF token is valid on both: they share the secret key)."""
    source = loopback_source(number)
    path = f"/aanbod/{service_id}/klopt-niet"
    for attempt in range(2):
        node = (number + attempt) % 2
        try:
            form = fetch(cluster.urls[node] + path, source=source)
            csrf = CSRF_RE.search(form.text)
            if form.status != 200 or csrf is None:
                continue
            body = urlencode({"csrf_token": csrf.group(1), "reason": "anders",
                              "comment": token}).encode()
            answer = fetch(cluster.urls[(node + 1) % 2] + path, method="POST", source=source,
                           body=body,
                           headers={"Content-Type": "application/x-www-form-urlencoded",
                                    "Cookie": _cookie(form)})
        except OSError:
            continue
        if answer.status in (302, 303) and f"/aanbod/{service_id}" in answer.headers.get(
                "location", ""):
            with ledger.lock:
                ledger.acknowledged.add(token)
            return
    with ledger.lock:
        ledger.unacknowledged.append(token)


def _writer(cluster: AppCluster, number: int, service_ids: list[str], ledger: Ledger) -> None:
    rng = random.Random(number)
    for _ in range(REPORTS_PER_WRITER):
        _send_report(cluster, number, rng.choice(service_ids), f"fault-{uuid.uuid4().hex}",
                     ledger)
        time.sleep(rng.uniform(0.2, 0.8))


def _reader(cluster: AppCluster, number: int, service_ids: list[str], ledger: Ledger,
            stop: threading.Event, started: float) -> None:
    rng = random.Random(1000 + number)
    source = loopback_source(WRITERS + number)
    turn = number
    while not stop.is_set():
        path = rng.choice(["/", "/zoeken?q=taal", "/aanbod/" + rng.choice(service_ids)])
        for attempt in range(2):
            node = (turn + attempt) % 2
            try:
                status = fetch(cluster.urls[node] + path, source=source).status
            except OSError:
                status = 0
            with ledger.lock:
                ledger.reads.append((time.monotonic() - started, node, status))
            if status == 200:
                break
        else:
            with ledger.lock:
                ledger.failed_reads.append(path)
        turn += 1
        time.sleep(rng.uniform(0.0, 0.1))


def test_kill9_of_one_web_process_loses_no_acknowledged_write(fault_site):
    service_ids = [row[0] for row in fault_site.rows(
        "SELECT id FROM service WHERE status = 'active' ORDER BY id")]
    before = fault_site.count("report")
    ledger = Ledger()
    stop = threading.Event()
    with AppCluster(fault_site.url, fault_site.instance, processes=2, env=FAULT_ENV) as cluster:
        started = time.monotonic()
        writers = [threading.Thread(target=_writer, args=(cluster, i, service_ids, ledger))
                   for i in range(WRITERS)]
        readers = [threading.Thread(target=_reader,
                                    args=(cluster, i, service_ids, ledger, stop, started))
                   for i in range(READERS)]
        for thread in writers + readers:
            thread.start()
        deadline = time.monotonic() + 30
        while len(ledger.acknowledged) < WRITERS // 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        killed_at = time.monotonic() - started
        cluster.kill9(0)
        for thread in writers:
            thread.join(60)
        time.sleep(1.0)  # the survivor keeps serving readers for a moment after the writes
        stop.set()
        for thread in readers:
            thread.join(30)
        survivor_alive = cluster.nodes[1].alive()
        after_kill = [status for t, node, status in ledger.reads
                      if node == 1 and t > killed_at + 0.5]

    stored = {row[0] for row in fault_site.rows("SELECT comment FROM report "
                                          "WHERE comment LIKE 'fault-%'")}
    assert survivor_alive
    assert after_kill and set(after_kill) == {200}, "the surviving process stopped serving"
    assert ledger.failed_reads == [], "a read failed on both processes"
    assert len(ledger.acknowledged) > WRITERS // 2
    assert ledger.acknowledged <= stored, "acknowledged reports are missing"
    assert fault_site.count("report") == before + len(stored)
