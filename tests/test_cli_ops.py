"""``sociale-kaart backup`` and ``restore`` on SQLite and PostgreSQL, and ``jobs``.

After a restore, ``index rebuild`` gives the same search results as before; the embedding
cache and the secret key come back too. Bad input is refused with a clear message and nothing
changes.
"""

from __future__ import annotations

import os
import tarfile
import uuid

import pytest
from click.testing import CliRunner
from conftest import REFERENCE_DATE, SAMPLE_JSON
from sqlalchemy import delete, func, select

from sociale_kaart import create_app
from sociale_kaart.cli import main
from sociale_kaart.config import load_settings
from sociale_kaart.db import Database
from sociale_kaart.models import Embedding, Service

QUERIES = ["taalcafé", "schuldhulp", "zwemmen", "koken", "computer", "rolstoel"]


@pytest.fixture(params=["sqlite", "postgresql"])
def installation(request, tmp_path, monkeypatch):
    """An instance with the sample data, on the parametrised database."""
    instance = tmp_path / "instance"
    monkeypatch.setenv("SOCIALE_KAART_TODAY", REFERENCE_DATE.isoformat())
    monkeypatch.setenv("SOCIALE_KAART_SEMANTIC", "off")  # lexical search: fast and exact
    monkeypatch.delenv("SOCIALE_KAART_DATABASE_URL", raising=False)
    name = None
    if request.param == "sqlite":  # explicitly, also when the suite runs on PostgreSQL
        monkeypatch.setenv("SOCIALE_KAART_DATABASE_URL",
                           f"sqlite:///{instance / 'sociale-kaart.db'}")
    if request.param == "postgresql":
        cluster = request.getfixturevalue("postgres_cluster")
        name = f"ops_{uuid.uuid4().hex[:10]}"
        monkeypatch.setenv("SOCIALE_KAART_DATABASE_URL", cluster.create_database(name))
    runner = CliRunner()
    result = runner.invoke(main, ["--instance", str(instance), "import", str(SAMPLE_JSON)])
    assert result.exit_code == 0, result.output
    yield instance, runner
    if name:
        request.getfixturevalue("postgres_cluster").drop_database(name)


def _search_ids(instance) -> dict[str, list[str]]:
    settings = load_settings(instance, flask={"TESTING": True})
    app = create_app(settings)
    client = app.test_client()
    results = {}
    for query in QUERIES:
        data = client.get("/api/v1/search", query_string={"q": query}).json
        results[query] = [item["id"] for item in data["results"]]
    app.extensions["sociale_kaart.db"].dispose()
    return results


def _db(instance) -> Database:
    return Database(load_settings(instance).database_url)


def test_backup_restore_and_rebuild_give_the_same_search_results(installation, tmp_path):
    instance, runner = installation
    db = _db(instance)
    with db.session() as session:
        session.add(Embedding(text_hash="a" * 64, model="test-model", dim=2,
                              vector=b"\x00\x3c\x00\x40"))
        services = session.scalar(select(func.count()).select_from(Service))
    db.dispose()
    before = _search_ids(instance)
    assert any(before.values())
    secret = (instance / "secret_key").read_text()

    target = tmp_path / "backups" / "kaart.tar.gz"
    result = runner.invoke(main, ["--instance", str(instance), "backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "Back-up geschreven" in result.output
    assert oct(target.stat().st_mode & 0o777) == "0o600"  # it holds accounts
    with tarfile.open(target) as archive:
        assert {"manifest.json", "instance/secret_key"} <= set(archive.getnames())

    # Disaster: listings and cache gone, secret key lost, index gone.
    db = _db(instance)
    with db.session() as session:
        session.execute(delete(Embedding))
        for service in session.scalars(select(Service).limit(20)):
            session.delete(service)
    db.dispose()
    (instance / "secret_key").unlink()

    result = runner.invoke(main, ["--instance", str(instance), "restore", str(target),
                                  "--yes", "--no-index"])
    assert result.exit_code == 0, result.output
    assert "Back-up teruggezet" in result.output
    result = runner.invoke(main, ["--instance", str(instance), "index", "rebuild"])
    assert result.exit_code == 0, result.output

    db = _db(instance)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Service)) == services
        cached = session.get(Embedding, "a" * 64)
        assert cached is not None and cached.vector == b"\x00\x3c\x00\x40"
    assert db.current_revision() == db.head_revision()
    db.dispose()
    assert (instance / "secret_key").read_text() == secret
    assert _search_ids(instance) == before

    # Without --no-index the restore rebuilds the index itself (after a confirmation).
    result = runner.invoke(main, ["--instance", str(instance), "restore", str(target)],
                           input="y\n")
    assert result.exit_code == 0, result.output
    assert "Zoekindex opnieuw opgebouwd" in result.output


def test_restore_refuses_bad_input_and_changes_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("SOCIALE_KAART_DATABASE_URL", raising=False)
    instance = tmp_path / "instance"
    runner = CliRunner()
    assert runner.invoke(main, ["--instance", str(instance), "init"]).exit_code == 0
    missing = runner.invoke(main, ["--instance", str(instance), "restore",
                                   str(tmp_path / "weg.tar"), "--yes"])
    assert missing.exit_code != 0 and "bestaat niet" in missing.output
    garbage = tmp_path / "rommel.tar"
    garbage.write_bytes(b"dit is geen tar-bestand" * 50)
    bad = runner.invoke(main, ["--instance", str(instance), "restore", str(garbage), "--yes"])
    assert bad.exit_code != 0 and "geen leesbare back-up" in bad.output
    other = tmp_path / "ander.tar"
    with tarfile.open(other, "w") as archive:
        archive.add(garbage, arcname="iets.txt")
    wrong = runner.invoke(main, ["--instance", str(instance), "restore", str(other), "--yes"])
    assert wrong.exit_code != 0 and "geen back-up van Sociale Kaart" in wrong.output
    declined = runner.invoke(main, ["--instance", str(instance), "restore", str(other)],
                             input="n\n")
    assert declined.exit_code != 0


def test_a_backup_of_one_kind_is_not_restored_into_the_other(tmp_path, monkeypatch,
                                                             postgres_cluster):
    monkeypatch.delenv("SOCIALE_KAART_DATABASE_URL", raising=False)
    runner = CliRunner()
    lite = tmp_path / "lite"
    monkeypatch.setenv("SOCIALE_KAART_DATABASE_URL", f"sqlite:///{lite / 'sociale-kaart.db'}")
    assert runner.invoke(main, ["--instance", str(lite), "init"]).exit_code == 0
    target = tmp_path / "lite.tar"
    assert runner.invoke(main, ["--instance", str(lite), "backup", str(target)]).exit_code == 0
    monkeypatch.delenv("SOCIALE_KAART_DATABASE_URL")
    name = f"ops_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("SOCIALE_KAART_DATABASE_URL", postgres_cluster.create_database(name))
    pg = tmp_path / "pg"
    assert runner.invoke(main, ["--instance", str(pg), "init"]).exit_code == 0
    result = runner.invoke(main, ["--instance", str(pg), "restore", str(target), "--yes"])
    assert result.exit_code != 0
    assert "sqlite-database" in result.output and "postgresql" in result.output
    postgres_cluster.drop_database(name)


def test_jobs_commands(tmp_path, monkeypatch):
    monkeypatch.delenv("SOCIALE_KAART_DATABASE_URL", raising=False)
    instance = tmp_path / "instance"
    runner = CliRunner()
    args = ["--instance", str(instance), "jobs"]
    queued = runner.invoke(main, [*args, "enqueue", "embeddings", "--key", "eenmalig"])
    assert queued.exit_code == 0 and "in de wachtrij gezet" in queued.output
    twice = runner.invoke(main, [*args, "enqueue", "embeddings", "--key", "eenmalig"])
    assert twice.exit_code == 0 and "staat al in de wachtrij" in twice.output
    unknown = runner.invoke(main, [*args, "enqueue", "bestaat-niet"])
    assert unknown.exit_code == 2 and "onbekende taak" in unknown.output
    bad = runner.invoke(main, [*args, "enqueue", "embeddings", "--payload", "[1"])
    assert bad.exit_code == 2 and "geen geldige JSON" in bad.output
    status = runner.invoke(main, [*args, "status"])
    assert "queued: 1" in status.output
    worked = runner.invoke(main, [*args, "work", "--once", "--idle-sleep", "0"])
    assert worked.exit_code == 0, worked.output
    assert "Taken uitgevoerd" in worked.output
    status = runner.invoke(main, [*args, "status"])
    assert "queued: 0" in status.output and "failed: 0" in status.output
    assert os.environ.get("SOCIALE_KAART_DATABASE_URL") is None
