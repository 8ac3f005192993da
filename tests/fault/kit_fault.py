"""Test kit of the fault tests (a kit module, not a conftest: a second ``conftest`` module
would shadow ``tests/conftest.py`` for ``from conftest import ...``).

Fixtures: a private PostgreSQL cluster on loopback, a database with the
sample listings (made once, copied per test as a PostgreSQL template), and the instance folder
that goes with it (the search index of those listings).

The fault tests start real ``sociale-kaart serve`` processes (``kit_cluster_app``) and break
things under them: kill a process, restart the database, fill the disk. Tests that stop or
restart PostgreSQL get a cluster of their own (``private_site``), so the shared one stays up.
Test modules import the fixtures they use, under the functions' own names (``from kit_fault
import site_fixture``); pytest knows them by their short name (``site``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import SAMPLE_JSON
from kit_cluster_app import REFERENCE_DAY, SERVE_COMMAND
from kit_postgres import Cluster, start_cluster

#: Settings of every process the fault tests start. The semantic signal (a language model
#: loaded at start) has nothing to do with these faults and only slows each start down.
FAULT_ENV = {"SOCIALE_KAART_SEMANTIC": "off"}


@dataclass
class Site:
    """A database URL and an instance folder that belong together."""

    url: str
    instance: Path
    cluster: Cluster
    dbname: str

    def rows(self, sql: str) -> list[tuple]:
        return self.cluster.execute(sql, self.dbname)

    def count(self, table: str) -> int:
        return self.rows(f'SELECT count(*) FROM "{table}"')[0][0]


def cli(url: str, instance: Path, *args: str, check: bool = True,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``sociale-kaart --instance INSTANCE ARGS`` against the database ``url``."""
    full_env = dict(os.environ, SOCIALE_KAART_DATABASE_URL=url,
                    SOCIALE_KAART_TODAY=REFERENCE_DAY, **FAULT_ENV)
    full_env.update(env or {})
    result = subprocess.run([*SERVE_COMMAND, "--instance", str(instance), *args],
                            env=full_env, capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"sociale-kaart {' '.join(args)} exited with {result.returncode}:"
                             f"\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    return result


def prepare(cluster: Cluster, dbname: str, instance: Path) -> Site:
    """A new database ``dbname`` with the schema and the sample listings, and its index."""
    url = cluster.create_database(dbname)
    cli(url, instance, "init")
    cli(url, instance, "import", str(SAMPLE_JSON))
    return Site(url, instance, cluster, dbname)


@pytest.fixture(name="fault_cluster", scope="session")
def fault_cluster_fixture() -> Iterator[Cluster]:
    """One PostgreSQL cluster for the fault tests that do not stop the database."""
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop(mode="immediate", remove=True)


@pytest.fixture(name="sample_site", scope="session")
def sample_site_fixture(fault_cluster: Cluster, tmp_path_factory) -> Site:
    """The sample listings, imported once; tests get copies (``site``)."""
    return prepare(fault_cluster, "sample_template", tmp_path_factory.mktemp("fault") / "inst")


@pytest.fixture(name="site")
def site_fixture(sample_site: Site, tmp_path: Path) -> Iterator[Site]:
    """A fresh copy of the sample database and its instance folder for one test."""
    name = f"f_{uuid.uuid4().hex[:10]}"
    cluster = sample_site.cluster
    url = cluster.create_database(name, template=sample_site.dbname)
    instance = tmp_path / "instance"
    shutil.copytree(sample_site.instance, instance, symlinks=True,
                    ignore=shutil.ignore_patterns("*.log"))
    yield Site(url, instance, cluster, name)
    cluster.drop_database(name)


@pytest.fixture(name="private_site")
def private_site_fixture(tmp_path: Path) -> Iterator[Site]:
    """The sample listings on a PostgreSQL cluster of this test alone (it may be stopped)."""
    cluster = start_cluster()
    try:
        yield prepare(cluster, "kaart", tmp_path / "instance")
    finally:
        cluster.stop(mode="immediate", remove=True)
