"""The job queue: enqueue, claim, retry, lease take-over, and no job (e-mail) run twice by two
workers on PostgreSQL (FOR UPDATE SKIP LOCKED) or on SQLite (conditional claim)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import date, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from kit_accounts import add_organization, add_service, add_user, db_of, make_app
from kit_postgres import free_port
from sqlalchemy import event, select

from sociale_kaart import jobs
from sociale_kaart.config import load_settings
from sociale_kaart.db import Database
from sociale_kaart.models import Job, utcnow
from sociale_kaart.services.mail import send_mail

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 22)


class Inbox:
    def __init__(self) -> None:
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def _settings(instance: Path, url: str | None = None, **overrides):
    if url:
        overrides["database_url"] = url
    return load_settings(instance, today=TODAY, **overrides)


def _database(settings) -> Database:
    db = Database(settings.database_url)
    db.upgrade()
    return db


@pytest.fixture
def test_mail_job():
    """A job that e-mails "job <id>" (the address is test data, not in the payload)."""
    def handler(context: jobs.JobContext) -> None:
        send_mail(context.settings, "ontvanger@example.org", f"job {context.job_id}", "hallo")

    jobs.register("test-mail", handler)
    yield "test-mail"
    jobs.registry.pop("test-mail", None)


def test_enqueue_claim_and_run_on_sqlite(tmp_path, test_mail_job, smtp):
    inbox, port = smtp
    settings = _settings(tmp_path / "i", smtp_host="127.0.0.1", smtp_port=port)
    db = _database(settings)
    first = jobs.enqueue(db, test_mail_job)
    assert jobs.enqueue(db, test_mail_job, dedupe_key="eens") is not None
    assert jobs.enqueue(db, test_mail_job, dedupe_key="eens") is None  # stored once
    assert jobs.counts(db)["queued"] == 2
    ran = jobs.run_one(db, settings)
    assert ran.id == first and ran.status == "done"
    assert jobs.work(db, settings, once=True, periodic=False) == 1
    assert jobs.run_one(db, settings) is None
    assert jobs.counts(db) == {"queued": 0, "running": 0, "done": 2, "failed": 0}
    assert sorted(m["Subject"] for m in inbox.messages) == [f"job {first}", f"job {first + 1}"]
    db.dispose()


def test_unknown_job_name_is_refused(tmp_path):
    db = _database(_settings(tmp_path / "i"))
    with pytest.raises(KeyError, match="onbekend|unknown job 'bestaat-niet'"):
        jobs.enqueue(db, "bestaat-niet")
    db.dispose()


def test_failing_job_is_retried_later_then_failed_without_personal_data(tmp_path):
    calls = []

    def broken(context):
        calls.append(context.job_id)
        raise RuntimeError("SMTP weigert anna@example.org")

    jobs.register("test-broken", broken)
    try:
        settings = _settings(tmp_path / "i")
        db = _database(settings)
        job_id = jobs.enqueue(db, "test-broken", max_attempts=2)
        assert jobs.run_one(db, settings).status == "queued"
        assert jobs.run_one(db, settings) is None  # back-off: not due yet
        with db.session() as session:
            row = session.get(Job, job_id)
            assert "anna@example.org" not in row.last_error and "<e-mail>" in row.last_error
            row.run_after = utcnow()
        assert jobs.run_one(db, settings).status == "failed"
        assert calls == [job_id, job_id]
        assert jobs.counts(db)["failed"] == 1
        db.dispose()
    finally:
        jobs.registry.pop("test-broken", None)


def test_a_job_whose_worker_died_is_taken_over_after_the_lease(tmp_path, test_mail_job):
    settings = _settings(tmp_path / "i", job_lease_seconds=60)
    db = _database(settings)
    job_id = jobs.enqueue(db, test_mail_job)
    claimed = jobs.claim(db, 60, owner="node-a:1:1")  # node a claims, then dies
    assert claimed.id == job_id
    assert jobs.claim(db, 60, owner="node-b:2:2") is None  # lease still valid
    with db.session() as session:
        session.get(Job, job_id).locked_at = utcnow() - timedelta(seconds=61)
    again = jobs.claim(db, 60, owner="node-b:2:2")
    assert again.id == job_id and again.attempts == 2 and again.locked_by == "node-b:2:2"
    db.dispose()


def test_periodic_jobs_are_enqueued_once_per_period(tmp_path):
    db = _database(_settings(tmp_path / "i"))
    first = jobs.enqueue_periodic(db)
    assert len(first) == len([r for r in jobs.registry.values() if r.every])
    assert jobs.enqueue_periodic(db) == []  # a second node (or run) adds nothing
    with db.session() as session:
        names = sorted(session.scalars(select(Job.name)))
    assert "reminders" in names
    db.dispose()


def _race(db_urls: list[str], settings, count: int) -> list[int]:
    """Two workers, each with its own engine (like two nodes), empty the queue together."""
    barrier = threading.Barrier(len(db_urls))
    done: list[int] = []

    def worker(url: str) -> None:
        db = Database(url)
        barrier.wait()
        done.append(jobs.work(db, settings, once=True, periodic=False, idle_sleep=0))
        db.dispose()

    threads = [threading.Thread(target=worker, args=(url,)) for url in db_urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return done


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_two_workers_never_send_the_same_mail_twice(database, tmp_path, test_mail_job, smtp,
                                                    request):
    inbox, port = smtp
    url = None
    if database == "postgresql":
        postgres_cluster = request.getfixturevalue("postgres_cluster")
        url = postgres_cluster.create_database(f"jobs_{os.getpid()}_{port}")
    settings = _settings(tmp_path / "i", url, smtp_host="127.0.0.1", smtp_port=port)
    db = _database(settings)
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_: statements.append(statement))
    ids = [jobs.enqueue(db, test_mail_job) for _ in range(60)]
    done = _race([settings.database_url, settings.database_url], settings, len(ids))
    assert sum(done) == 60
    subjects = sorted(m["Subject"] for m in inbox.messages)
    assert subjects == sorted(f"job {i}" for i in ids)  # every job once, none twice
    assert jobs.counts(db)["done"] == 60
    if database == "postgresql":
        jobs.claim(db)  # the claim on PostgreSQL skips rows another worker holds
        assert any("FOR UPDATE SKIP LOCKED" in s for s in statements)
    db.dispose()
    if url:
        postgres_cluster.drop_database(url.rsplit("/", 1)[-1])


def test_two_worker_processes_send_each_reminder_once_on_postgresql(tmp_path, smtp,
                                                                    postgres_cluster):
    """Two `sociale-kaart jobs work` processes (two nodes) and one reminders job: each
    provider gets one e-mail."""
    inbox, port = smtp
    name = f"remind_{os.getpid()}_{port}"
    url = postgres_cluster.create_database(name)
    instance = tmp_path / "i"
    app = make_app(instance, TODAY, database_url=url)
    with db_of(app).session() as session:
        org = add_organization(session, "Buurtwerk Altena")
        add_service(session, org, "Koffieochtend", assured=date(2026, 3, 1))
        org_id = org.id
    for email in ("anna@buurtwerk.example", "bram@buurtwerk.example",
                  "cor@buurtwerk.example"):
        add_user(app, email, "provider", [org_id])
    db = db_of(app)
    jobs.enqueue(db, "reminders", {}, dedupe_key="reminders:test")
    env = {**os.environ, "SOCIALE_KAART_DATABASE_URL": url,
           "SOCIALE_KAART_SMTP_HOST": "127.0.0.1", "SOCIALE_KAART_SMTP_PORT": str(port),
           "SOCIALE_KAART_TODAY": TODAY.isoformat(),
           "SOCIALE_KAART_INSTANCE": str(instance)}
    command = [str(Path(sys.executable).with_name("sociale-kaart")), "jobs", "work", "--once",
               "--idle-sleep", "0"]
    workers = [subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [w.communicate(timeout=120) for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    recipients = sorted(m["To"] for m in inbox.messages)
    assert recipients == ["anna@buurtwerk.example", "bram@buurtwerk.example",
                          "cor@buurtwerk.example"]
    with db.session() as session:
        statuses = {row.name: row.status for row in session.scalars(select(Job))}
    assert statuses["reminders"] == "done"
    db.dispose()
    postgres_cluster.drop_database(name)


def test_sqlite_runs_the_jobs_in_the_web_process(tmp_path, test_mail_job, smtp):
    inbox, port = smtp
    settings = _settings(tmp_path / "i", smtp_host="127.0.0.1", smtp_port=port)
    db = _database(settings)
    assert jobs.runs_in_process(settings, db) == (db.dialect == "sqlite")
    worker = jobs.InProcessWorker(db, settings, idle_sleep=0.05)
    worker.start()
    try:
        job_id = jobs.enqueue(db, test_mail_job)
        # Until this job's mail arrives: the worker also runs its periodic jobs when it
        # starts, so "a job is done" may be one of those.
        for _ in range(400):
            if inbox.messages:
                break
            worker.stop_event.wait(0.05)
    finally:
        worker.stop()
    assert [m["Subject"] for m in inbox.messages] == [f"job {job_id}"]
    assert not worker.thread.is_alive()
    db.dispose()


def test_an_exclusive_job_never_runs_twice_at_once(tmp_path, test_mail_job):
    settings = _settings(tmp_path / "i")
    db = _database(settings)
    first = jobs.enqueue(db, "reminders", dedupe_key="reminders:a")
    second = jobs.enqueue(db, "reminders", dedupe_key="reminders:b")
    other = jobs.enqueue(db, test_mail_job)
    assert jobs.claim(db, owner="node-a:1:1").id == first
    taken = jobs.claim(db, owner="node-b:2:2")
    assert taken.id == other  # the second reminders job waits; other work goes on
    assert jobs.claim(db, owner="node-b:2:2") is None
    with db.session() as session:
        assert session.get(Job, second).status == "queued"
    db.dispose()
