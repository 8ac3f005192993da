"""Load and soak in small: 200 users from distinct loopback addresses against two web processes
on PostgreSQL for about a minute, with the mix of ``benchmarks/load.py``.

Asserted: no request fails (no status >= 400, no dropped connection; the rate limiter, which
counts per address, lets every user through), both processes stay up, and their memory after a
short warm-up stays within 10 %. Latency is measured by the benchmark, never asserted here; the
20-minute soak and the figures are in ``docs/load-and-faults.md``.
"""

from __future__ import annotations

import sys

import pytest
from kit_cluster_app import REPO, AppCluster
from kit_fault import FAULT_ENV

sys.path.insert(0, str(REPO / "benchmarks"))
import load  # noqa: E402

pytestmark = pytest.mark.fault

USERS = 200
DURATION_S = 60.0
WARMUP_S = 20.0


def test_two_hundred_users_two_processes_no_errors_flat_memory(fault_site):
    with AppCluster(fault_site.url, fault_site.instance, processes=2, env=FAULT_ENV) as cluster:
        catalogue = load.Catalogue.discover(cluster.urls[0])
        result = load.run_load(cluster.urls, users=USERS, duration=DURATION_S, think=2.0,
                               catalogue=catalogue, nodes=cluster.nodes, sample_every=2.0,
                               ramp=5.0)
        alive = [node.alive() for node in cluster.nodes]
    print(load.report(result, users=USERS, processes=2, think=2.0))
    print(load.rss_report(result, WARMUP_S, window=10.0))

    kinds = {sample.kind for sample in result.samples}
    assert kinds == set(load.MIX)
    assert len(result.samples) > USERS * 5
    assert result.error_count == 0, dict(result.errors)
    assert alive == [True, True]
    assert len(result.rss) == 2
    for samples in result.rss.values():
        _base, _end, growth = load.rss_growth(samples, WARMUP_S, window=10.0)
        assert growth <= 10.0
