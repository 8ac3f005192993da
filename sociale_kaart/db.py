"""Database engine and session lifecycle, shared by the web app, the CLI and the tests.

The database is the source of truth; the search index follows it. A session records which
services it touched (``session.info``), and after a successful commit those ids are handed to
the listeners registered with :meth:`Database.on_commit` (the indexer), so the index only ever
sees committed data and a failed transaction leaves it alone (Warehouse's after-commit pattern).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from .models import Service

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
CHANGED_KEY = "changed_service_ids"

CommitListener = Callable[[set[str]], None]


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

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._listeners: list[CommitListener] = []
        self.Session = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self.Session, "before_flush", self._collect_changes)
        event.listen(self.Session, "after_commit", self._after_commit)
        event.listen(self.Session, "after_rollback", self._after_rollback)

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
