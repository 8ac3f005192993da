"""/healthz, /readyz, the clean 503 when the database is away, the beheerder's status page and
the JSON logs (issue 12)."""

from __future__ import annotations

import io
import json
import logging
import shutil
import time
from datetime import date

import pytest
from kit_accounts import add_user, db_of, login, make_app
from kit_postgres import start_cluster

from sociale_kaart import __version__, jobs
from sociale_kaart.config import load_settings
from sociale_kaart.logs import configure_logging

TODAY = date(2026, 11, 22)


def test_healthz_and_readyz_answer_ok(client):
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json == {"status": "ok"}
    assert health.headers["Cache-Control"] == "no-store"
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json == {"status": "ok", "checks": {"database": "ok", "index": "ok"}}
    assert "Set-Cookie" not in ready.headers


def test_readyz_is_503_when_the_index_is_gone(app, client):
    settings = app.extensions["sociale_kaart.settings"]
    search = app.extensions["sociale_kaart.search"]
    index = settings.resolved_index_path
    target = index.resolve()
    assert search is not None
    shutil.rmtree(target)
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"] == {"database": "ok", "index": "unavailable"}
    assert client.get("/healthz").status_code == 200  # the process itself is fine


@pytest.fixture
def own_cluster(tmp_path):
    """A cluster of this test alone: it gets stopped and started."""
    cluster = start_cluster(tmp_path / "pg")
    try:
        yield cluster
    finally:
        cluster.stop(remove=True)


def test_database_away_gives_a_clean_dutch_503_and_recovers_without_restart(tmp_path,
                                                                           own_cluster):
    url = own_cluster.create_database("kaart")
    app = make_app(tmp_path / "instance", TODAY, database_url=url)
    client = app.test_client()
    assert client.get("/aanbod/onbekend").status_code == 404  # the database answers
    own_cluster.stop()
    try:
        page = client.get("/aanbod/onbekend")
        assert page.status_code == 503
        text = page.get_data(as_text=True)
        assert "niet bereikbaar" in text and "Traceback" not in text
        assert page.headers["Retry-After"] == "30"
        api = client.get("/hsds/services/onbekend")
        assert api.status_code == 503 and "niet bereikbaar" in api.json["error"]["message"]
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json["checks"]["database"] == "unavailable"
        assert client.get("/healthz").status_code == 200
    finally:
        own_cluster.start()
    deadline = time.monotonic() + 10
    status = None
    while time.monotonic() < deadline:
        status = client.get("/aanbod/onbekend").status_code
        if status == 404:
            break
        time.sleep(0.2)
    assert status == 404  # served again, same app object, within 10 s
    assert client.get("/readyz").status_code == 200
    db_of(app).dispose()


def test_status_page_for_beheerders_only(tmp_path):
    app = make_app(tmp_path / "instance", TODAY)
    jobs.enqueue(db_of(app), "embeddings")
    add_user(app, "beheer@gemeente.example", "beheerder")
    add_user(app, "mod@gemeente.example", "moderator")
    assert app.test_client().get("/beheer/status").status_code == 302  # to the login page
    moderator = app.test_client()
    login(moderator, "mod@gemeente.example")
    assert moderator.get("/beheer/status").status_code == 403
    beheerder = app.test_client()
    login(beheerder, "beheer@gemeente.example")
    page = beheerder.get("/beheer/status")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    db = db_of(app)
    assert __version__ in text
    assert db.head_revision() in text and "bijgewerkt" in text
    assert db.dialect in text
    assert "whoosh" in text or "postgres" in text
    assert "Takenwachtrij" in text and "<caption>" in text


def test_json_logs_have_fields_and_no_personal_data(tmp_path):
    stream = io.StringIO()
    settings = load_settings(tmp_path / "instance", today=TODAY, log_format="json",
                             flask={"TESTING": True})
    configure_logging(settings, stream=stream)
    try:
        from sociale_kaart import create_app

        app = create_app(settings)
        client = app.test_client()
        client.get("/zoeken?q=schuldhulp+anna%40example.org",
                   environ_base={"REMOTE_ADDR": "192.0.2.44"})
        logging.getLogger("sociale_kaart.test").warning("mail to anna@example.org failed")
    finally:
        for name in ("sociale_kaart", "waitress"):
            logger = logging.getLogger(name)
            logger.handlers = [h for h in logger.handlers
                               if not getattr(h, "_sociale_kaart", False)]
            logger.propagate = True
            logger.setLevel(logging.NOTSET)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    request = next(line for line in lines if line.get("path") == "/zoeken")
    assert request["method"] == "GET" and request["status"] == 200
    assert isinstance(request["duration_ms"], float)
    everything = stream.getvalue()
    assert "192.0.2.44" not in everything and "schuldhulp" not in everything
    assert "anna@example.org" not in everything and "<e-mail>" in everything


def test_log_format_must_be_text_or_json(tmp_path):
    with pytest.raises(ValueError, match="text or json"):
        load_settings(tmp_path / "instance", log_format="xml")
