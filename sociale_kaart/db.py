"""Database engine and session lifecycle, shared by the web app, the CLI and the tests.

The database is the source of truth; the search index follows it. A session records which
services it touched (``session.info``), and after a successful commit those ids are handed to
the listeners registered with :meth:`Database.on_commit` (the indexer), so the index only ever
sees committed data and a failed transaction leaves it alone (Warehouse's after-commit pattern).

The same code runs on SQLite (the embedded default) and PostgreSQL. With PostgreSQL, read
replicas may be configured: sessions route their reads to a healthy replica only while
:func:`replica_reads` is switched on (the web layer does so for anonymous GET requests to
public pages); flushes, writes and everything else go to the primary. A replica that is down or
lags more than the allowed seconds is skipped, so reads fall back to the primary.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from .json_text import json_str
from .models import Service

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
CHANGED_KEY = "changed_service_ids"

CommitListener = Callable[[set[str]], None]

log = logging.getLogger(__name__)

#: Whether reads in this context (thread / request) may go to a replica; see replica_reads().
_REPLICA_READS: ContextVar[bool] = ContextVar("sociale_kaart_replica_reads", default=False)
#: The replica that served a read in this context, if any (the error handler looks at it).
_REPLICA_USED: ContextVar[Replica | None] = ContextVar("sociale_kaart_replica_used",
                                                       default=None)

#: Seconds a replica lags behind the primary: 0 when it has replayed all it received and is
#: streaming; else the age of the last replayed transaction. 0 on a server that is no standby.
REPLICA_LAG_SQL = text("""
SELECT CASE
  WHEN NOT pg_is_in_recovery() THEN 0
  WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
       AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN 0
  ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1e9)
END
""")


def dialect_of(url: str) -> str:
    """``sqlite`` or ``postgresql`` (or another SQLAlchemy dialect name) for a URL."""
    return url.split(":", 1)[0].split("+", 1)[0]


@contextmanager
def replica_reads(enabled: bool = True) -> Iterator[None]:
    """Let sessions send their reads to a replica within this block (anonymous public reads)."""
    token = _REPLICA_READS.set(enabled)
    used = _REPLICA_USED.set(None)
    try:
        yield
    finally:
        _REPLICA_USED.reset(used)
        _REPLICA_READS.reset(token)


def replica_used() -> Replica | None:
    """The replica that served reads in the current replica_reads() block, if any."""
    return _REPLICA_USED.get()


class Replica:
    """One read replica: its engine plus a cached verdict whether it is up and recent enough."""

    def __init__(self, url: str, max_lag_seconds: float, check_seconds: float) -> None:
        self.url = url
        self.engine: Engine = create_engine(url, pool_pre_ping=True, json_serializer=json_str,
                                            connect_args=_connect_args(url, timeout=2))
        self.max_lag_seconds = max_lag_seconds
        self.check_seconds = check_seconds
        self.lag: float | None = None
        self._ok = False
        self._checked_at = float("-inf")
        self._lock = threading.Lock()
        event.listen(self.engine, "handle_error", self._on_error)

    def _on_error(self, context) -> None:
        if context.is_disconnect or context.sqlalchemy_exception is not None:
            self.mark_down()

    def mark_down(self) -> None:
        """Skip this replica until the next check (a query on it just failed)."""
        self._ok = False
        self._checked_at = time.monotonic()

    def check(self) -> bool:
        """Ask the replica now how far it lags; True when it may serve reads."""
        try:
            with self.engine.connect() as connection:
                self.lag = float(connection.execute(REPLICA_LAG_SQL).scalar_one())
            self._ok = self.lag <= self.max_lag_seconds
        except SQLAlchemyError as error:
            self.lag = None
            self._ok = False
            log.warning("read replica unreachable: %s", type(error).__name__)
        self._checked_at = time.monotonic()
        return self._ok

    def usable(self) -> bool:
        """The cached verdict, refreshed at most every ``check_seconds``."""
        if time.monotonic() - self._checked_at >= self.check_seconds:
            with self._lock:
                if time.monotonic() - self._checked_at >= self.check_seconds:
                    self.check()
        return self._ok

    def dispose(self) -> None:
        self.engine.dispose()
        for replica in self.replicas:
            replica.dispose()


def _connect_args(url: str, timeout: int = 5) -> dict:
    """A short connect timeout on PostgreSQL, so an unreachable server fails fast (503)."""
    return {"connect_timeout": timeout} if dialect_of(url) == "postgresql" else {}


class RoutingSession(Session):
    """A session that reads from a replica while replica_reads() is on and one is usable.

    Flushes and every statement that is not a plain SELECT (INSERT, UPDATE, DELETE, raw SQL)
    go to the primary, so a replica is never written to.
    """

    def get_bind(self, mapper=None, clause=None, **kwargs):  # noqa: D102
        database: Database | None = self.info.get("database")
        if (database is None or not database.replicas or self._flushing
                or not _REPLICA_READS.get() or clause is None
                or not getattr(clause, "is_select", False)):
            return super().get_bind(mapper=mapper, clause=clause, **kwargs)
        replica = _REPLICA_USED.get() or database.usable_replica()
        if replica is None:
            return super().get_bind(mapper=mapper, clause=clause, **kwargs)
        _REPLICA_USED.set(replica)
        return replica.engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets several web workers read while one process writes; foreign keys are off by
    # default in SQLite and we want the same integrity as PostgreSQL gives.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def mark_changed(session: Session, service_ids: set[str] | list[str]) -> None:
    """Note services whose search document must be refreshed once this session commits."""
    session.info.setdefault(CHANGED_KEY, set()).update(service_ids)


class Database:
    """One engine plus a session factory, with after-commit notification of changed services."""

    def __init__(self, url: str, replica_urls: Sequence[str] = (), *,
                 replica_max_lag_seconds: float = 10.0,
                 replica_check_seconds: float = 5.0) -> None:
        self.url = url
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(url, future=True, json_serializer=json_str)
        else:
            # pre-ping: after a database restart, stale pooled connections are replaced
            # instead of failing the next request.
            self.engine = create_engine(url, future=True, pool_pre_ping=True,
                                        json_serializer=json_str,
                                        connect_args=_connect_args(url))
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.replicas = [Replica(u, replica_max_lag_seconds, replica_check_seconds)
                         for u in replica_urls]
        self._listeners: list[CommitListener] = []
        self.Session = sessionmaker(self.engine, class_=RoutingSession, expire_on_commit=False,
                                    info={"database": self})
        event.listen(self.Session, "before_flush", self._collect_changes)
        event.listen(self.Session, "after_commit", self._after_commit)
        event.listen(self.Session, "after_rollback", self._after_rollback)

    @classmethod
    def from_settings(cls, settings) -> Database:
        """The database of an installation, with its read replicas (if any)."""
        return cls(settings.database_url, settings.database_replica_urls,
                   replica_max_lag_seconds=settings.replica_max_lag_seconds,
                   replica_check_seconds=settings.replica_check_seconds)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def usable_replica(self) -> Replica | None:
        """The first replica that is up and recent enough, else None (read the primary)."""
        for replica in self.replicas:
            if replica.usable():
                return replica
        return None

    # -- change tracking -------------------------------------------------------------------
    @staticmethod
    def _collect_changes(session: Session, _flush_context, _instances) -> None:
        ids = {obj.id for obj in (*session.new, *session.dirty, *session.deleted)
               if isinstance(obj, Service)}
        if ids:
            mark_changed(session, ids)

    def _after_commit(self, session: Session) -> None:
        changed = session.info.pop(CHANGED_KEY, set())
        if changed:
            for listener in self._listeners:
                listener(set(changed))

    @staticmethod
    def _after_rollback(session: Session) -> None:
        session.info.pop(CHANGED_KEY, None)

    def on_commit(self, listener: CommitListener) -> None:
        self._listeners.append(listener)

    # -- sessions ---------------------------------------------------------------------------
    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        session = self.Session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    # -- schema -----------------------------------------------------------------------------
    def alembic_config(self) -> AlembicConfig:
        config = AlembicConfig()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        config.attributes["engine"] = self.engine
        return config

    def upgrade(self) -> None:
        """Create or upgrade the schema to the newest migration."""
        command.upgrade(self.alembic_config(), "head")

    def current_revision(self) -> str | None:
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def head_revision(self) -> str | None:
        return ScriptDirectory.from_config(self.alembic_config()).get_current_head()

    def is_initialised(self) -> bool:
        return inspect(self.engine).has_table("service")

    def dispose(self) -> None:
        self.engine.dispose()
