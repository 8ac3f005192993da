"""Test kit of the fault tests (a kit module, not a conftest: a second ``conftest`` module
would shadow ``tests/conftest.py`` for ``from conftest import ...``).

Fixtures: a private PostgreSQL cluster on loopback, a database with the
sample listings (made once, copied per test as a PostgreSQL template), and the instance folder
that goes with it (the search index of those listings).

The fault tests start real ``sociale-kaart serve`` processes (``kit_cluster_app``) and break
things under them: kill a process, restart the database, fill the disk. Tests that stop or
restart PostgreSQL get a cluster of their own (the shared one is started again whatever happens).
``tests/conftest.py`` imports the fixtures, so the session ones exist once for all fault tests
(fixtures imported into each test module would be set up once per module).
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
from kit_cluster_app import REFERENCE_DAY, REPO, SERVE_COMMAND
from kit_postgres import Cluster, start_cluster

SAMPLE_JSON = REPO.parent / "shared" / "sample-data" / "hsds" / "services.json"
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
    """The sample listings, imported once; tests get copies (``fault_site``)."""
    return prepare(fault_cluster, "sample_template", tmp_path_factory.mktemp("fault") / "inst")


@pytest.fixture(name="fault_site")
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
