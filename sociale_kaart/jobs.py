"""Background jobs in the database, so any number of web nodes can share the work.

Why a table: with several ``serve`` processes on several hosts, work that outlives a request
(reminder e-mails, embeddings, digests, analytics roll-ups) must be done once, by whichever node
is free, and survive a node that dies. A row in ``job`` is that unit of work:

* :func:`enqueue` stores it; a ``dedupe_key`` (unique) makes "the reminders of 2 December"
  one row even when two nodes enqueue it at the same moment.
* :func:`claim` takes the oldest due job. On PostgreSQL it selects with
  ``FOR UPDATE SKIP LOCKED``: two workers never get the same row and never wait for each
  other. On SQLite (one machine, writes serialised) the same conditional ``UPDATE ... WHERE
  status = 'queued'`` guards the claim.
* :func:`run_one` runs the handler registered under the job's name and marks the job done, or
  queues it again with a back-off, or marks it failed after ``max_attempts``.
* A job whose worker died is taken over after ``job_lease_seconds`` (at-least-once: a handler
  must itself be safe to repeat, as ``send_reminders`` is: it records each sent e-mail).

With SQLite the jobs run in a thread of the ``serve`` process (:class:`InProcessWorker`); with
PostgreSQL each node runs ``sociale-kaart jobs work``. Handlers are registered by name
(:func:`register`); other modules add theirs (digests, roll-ups) the same way.

Payloads and stored errors hold no personal data: ids and dates only, and e-mail addresses in
error messages are masked.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from .config import Settings
from .db import Database
from .models import Job
from .models.base import utcnow

log = logging.getLogger(__name__)

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


@dataclass
class JobContext:
    """What a handler gets: the job's payload and the installation it runs for."""

    db: Database
    settings: Settings
    payload: dict
    job_id: int
    name: str


Handler = Callable[[JobContext], object]


@dataclass
class Registered:
    name: str
    handler: Handler
    #: Enqueue automatically once per period (e.g. daily reminders); None: only on demand.
    every: timedelta | None = None
    description: str = ""
    #: At most one job of this name runs at a time, on all nodes together (the reminders:
    #: two runs at once would both see "not yet sent" and send twice).
    exclusive: bool = False
    #: Whether a periodic job has anything to do in this installation (None: always), so
    #: e.g. warming PostgreSQL's search tables adds no hourly rows to a SQLite installation.
    applies: Callable[[Settings, Database], bool] | None = None


registry: dict[str, Registered] = {}


def register(name: str, handler: Handler, *, every: timedelta | None = None,
             description: str = "", exclusive: bool = False,
             applies: Callable[[Settings, Database], bool] | None = None) -> None:
    """Make ``handler`` the code that runs jobs called ``name`` (last registration wins)."""
    registry[name] = Registered(name, handler, every, description, exclusive, applies)


def job(name: str, *, every: timedelta | None = None, description: str = "",
        exclusive: bool = False):
    """Decorator form of :func:`register`."""
    def decorate(handler: Handler) -> Handler:
        register(name, handler, every=every, description=description, exclusive=exclusive)
        return handler
    return decorate


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def mask(text: str, limit: int = 500) -> str:
    """An error message fit to store: e-mail addresses hidden, length bounded."""
    return EMAIL.sub("<e-mail>", text)[:limit]


# -- queue operations ----------------------------------------------------------------------------
def enqueue(db: Database, name: str, payload: dict | None = None, *,
            dedupe_key: str | None = None, run_after: datetime | None = None,
            max_attempts: int = 3) -> int | None:
    """Store a job; returns its id, or None when a job with ``dedupe_key`` already exists."""
    if name not in registry:
        raise KeyError(f"unknown job {name!r}; known: {', '.join(sorted(registry))}")
    try:
        with db.session() as session:
            row = Job(name=name, payload=payload or {}, status="queued", dedupe_key=dedupe_key,
                      run_after=run_after or utcnow(), attempts=0, max_attempts=max_attempts)
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        return None


def claim(db: Database, lease_seconds: int = 600, owner: str | None = None,
          names: list[str] | None = None) -> Job | None:
    """Take the oldest due job (or one whose worker's lease ran out) for this worker."""
    owner = owner or worker_id()
    now = utcnow()
    expired = now - timedelta(seconds=lease_seconds)
    due = ((Job.status == "queued") & (Job.run_after <= now)) | \
          ((Job.status == "running") & (Job.locked_at < expired))
    with db.session() as session:
        if db.dialect == "sqlite":
            _write_lock(session)  # SQLite: claims one at a time (writes are serialised anyway)
        blocked: set[str] = set()
        while True:
            query = select(Job).where(due).order_by(Job.run_after, Job.id).limit(1)
            if names:
                query = query.where(Job.name.in_(names))
            if blocked:
                query = query.where(Job.name.not_in(sorted(blocked)))
            row = session.scalars(query.with_for_update(skip_locked=True)).first()
            if row is None:
                return None
            entry = registry.get(row.name)
            if entry is None or not entry.exclusive or \
                    not _other_running(session, db, row, expired):
                break
            blocked.add(row.name)  # its twin runs elsewhere: leave it queued, take another
        claimed = session.execute(
            update(Job).where(Job.id == row.id, Job.status == row.status,
                              Job.attempts == row.attempts)
            .values(status="running", locked_by=owner, locked_at=now,
                    attempts=Job.attempts + 1)
            .execution_options(synchronize_session=False))
        if claimed.rowcount != 1:  # SQLite: another worker won the race
            return None
        session.flush()
        session.refresh(row)
        return row


#: First key of the PostgreSQL advisory lock that serialises claims of an exclusive job.
CLAIM_LOCK = 712_012


def _write_lock(session) -> None:
    """SQLite: a write that matches no row takes the database's write lock until commit."""
    session.execute(update(Job).where(Job.id == -1).values(status=Job.status)
                    .execution_options(synchronize_session=False))


def _other_running(session, db: Database, row: Job, expired: datetime) -> bool:
    """For an exclusive job: is another job of that name running (lease not expired)?

    On PostgreSQL the question is asked under a transaction-scoped advisory lock per job name,
    so two workers cannot both answer "no" for two different rows of the same name.
    """
    if db.dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key, hashtext(:name))"),
                        {"key": CLAIM_LOCK, "name": row.name})
    running = session.scalar(select(func.count()).select_from(Job).where(
        Job.name == row.name, Job.id != row.id, Job.status == "running",
        Job.locked_at >= expired))
    return bool(running)


def _finish(db: Database, job_id: int, **values) -> None:
    with db.session() as session:
        session.execute(update(Job).where(Job.id == job_id).values(**values)
                        .execution_options(synchronize_session=False))


def run_one(db: Database, settings: Settings, owner: str | None = None,
            names: list[str] | None = None) -> Job | None:
    """Claim and run one job; returns it (with its new status), or None when none is due."""
    row = claim(db, settings.job_lease_seconds, owner, names)
    if row is None:
        return None
    entry = registry.get(row.name)
    started = time.monotonic()
    try:
        if entry is None:
            raise LookupError(f"no handler registered for job {row.name!r}")
        entry.handler(JobContext(db, settings, dict(row.payload or {}), row.id, row.name))
    except Exception as error:  # a failing handler must never stop the worker
        message = mask(f"{type(error).__name__}: {error}")
        if row.attempts >= row.max_attempts:
            row.status = "failed"
            _finish(db, row.id, status="failed", finished_at=utcnow(), last_error=message,
                    locked_by=None, locked_at=None)
        else:
            row.status = "queued"
            backoff = timedelta(seconds=30 * 2 ** (row.attempts - 1))
            _finish(db, row.id, status="queued", run_after=utcnow() + backoff,
                    last_error=message, locked_by=None, locked_at=None)
        log.warning("job %s #%s failed (attempt %s): %s", row.name, row.id, row.attempts,
                    type(error).__name__)
        return row
    row.status = "done"
    _finish(db, row.id, status="done", finished_at=utcnow(), locked_by=None, locked_at=None)
    log.info("job %s #%s done in %.2f s", row.name, row.id, time.monotonic() - started)
    return row


def enqueue_periodic(db: Database, now: datetime | None = None,
                     settings: Settings | None = None) -> list[int]:
    """Enqueue each periodic job once for the current period (safe on every node at once);
    with ``settings``, only those that apply to this installation."""
    now = now or utcnow()
    made = []
    for entry in registry.values():
        if entry.every is None:
            continue
        if settings is not None and entry.applies is not None \
                and not entry.applies(settings, db):
            continue
        period = int(now.timestamp() // entry.every.total_seconds())
        job_id = enqueue(db, entry.name, {"period": period},
                         dedupe_key=f"{entry.name}:every:{period}")
        if job_id is not None:
            made.append(job_id)
    return made


def work(db: Database, settings: Settings, *, once: bool = False,
         max_seconds: float | None = None, idle_sleep: float = 2.0,
         stop: threading.Event | None = None, periodic: bool = True) -> int:
    """Run due jobs until none is left (``once``), the time is up or ``stop`` is set."""
    owner = worker_id()
    done = 0
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    next_periodic = 0.0
    while stop is None or not stop.is_set():
        if periodic and time.monotonic() >= next_periodic:
            enqueue_periodic(db, settings=settings)  # a write: once a minute is plenty
            next_periodic = time.monotonic() + 60
        ran = run_one(db, settings, owner)
        if ran is not None:
            done += 1
        elif once:
            break
        if deadline is not None and time.monotonic() >= deadline:
            break
        if ran is None:
            if stop is not None:
                stop.wait(idle_sleep)
            else:
                time.sleep(idle_sleep)
    return done


def counts(db: Database) -> dict[str, int]:
    """How many jobs per status (for the status page and ``jobs status``)."""
    with db.session() as session:
        rows = session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
    result = dict.fromkeys(("queued", "running", "done", "failed"), 0)
    result.update({status: count for status, count in rows})
    return result


def runs_in_process(settings: Settings, db: Database) -> bool:
    """Whether ``serve`` should run the jobs itself (SQLite by default)."""
    if settings.jobs_in_process == "auto":
        return db.dialect == "sqlite"
    return settings.jobs_in_process == "yes"


@dataclass
class InProcessWorker:
    """A daemon thread that runs the jobs inside the web process (the SQLite default)."""

    db: Database
    settings: Settings
    idle_sleep: float = 5.0
    stop_event: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="sociale-kaart-jobs", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop_event.is_set():
            try:
                work(self.db, self.settings, stop=self.stop_event, idle_sleep=self.idle_sleep)
            except Exception:  # the database may be briefly away; try again later
                log.exception("job worker stopped; restarting")
                self.stop_event.wait(self.idle_sleep)

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout=10)


# -- built-in jobs ------------------------------------------------------------------------------
def _reminders(context: JobContext) -> None:
    """The ``remind`` command as a job: e-mail providers about listings nobody confirmed."""
    from .services.freshness import REMIND_EVERY_DAYS, send_reminders
    from .services.mail import mail_configured

    if not mail_configured(context.settings):
        return
    every = int(context.payload.get("every_days", REMIND_EVERY_DAYS))
    with context.db.session() as session:
        run = send_reminders(session, context.settings, context.settings.today_or_now(),
                             every_days=every)
    if run.failed:
        raise RuntimeError(f"{len(run.failed)} reminder e-mail(s) could not be sent")


def _embeddings(context: JobContext) -> None:
    """Embed listings that wait for a vector (semantic search), if that feature is present."""
    from .search import SearchService

    service = SearchService(context.settings, context.db, follow_commits=False)
    embed = getattr(service, "embed_missing", None)
    if embed is not None:
        embed()


def _analytics_purge(context: JobContext) -> None:
    """Delete search analytics older than the retention period, if that feature is present."""
    try:
        from .insight.analytics import purge
    except ImportError:
        return
    purge(context.db, context.settings.today_or_now(),
          int(getattr(context.settings, "analytics_retention_months", 24)))


def _search_warm_applies(settings: Settings, db: Database) -> bool:
    return (settings.search_backend == "postgres" and settings.search_warm
            and db.dialect == "postgresql")


def _search_warm(context: JobContext) -> None:
    """Read the PostgreSQL search tables into memory once per start of the database server
    (``search/pg_warm.py``). ``serve`` queues it at start; it also comes round hourly, so a
    PostgreSQL restart under running web nodes is warmed too. Nothing to do for Whoosh, nor
    when a warm-up (or a check) already finished since the server started."""
    if not _search_warm_applies(context.settings, context.db):
        return
    from .search.pg_warm import postgres_started, warm_database

    started = postgres_started(context.db)
    with context.db.session() as session:
        done = session.scalar(select(func.count()).select_from(Job).where(
            Job.name == "search-warm", Job.status == "done", Job.finished_at >= started))
    if done:
        return
    log.info(warm_database(context.db).summary())


register("reminders", _reminders, every=timedelta(days=1), exclusive=True,
         description="herinneringen aan aanbieders (zoals sociale-kaart remind)")
register("embeddings", _embeddings, description="ontbrekende embeddings berekenen")
register("search-warm", _search_warm, every=timedelta(hours=1), exclusive=True,
         applies=_search_warm_applies,
         description="zoektabellen in het geheugen lezen na een start van PostgreSQL")
register("analytics-purge", _analytics_purge, every=timedelta(days=1),
         description="oude zoekstatistieken verwijderen")
