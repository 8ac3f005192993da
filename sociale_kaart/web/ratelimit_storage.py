"""Rate-limit counters in the database, so several web nodes count together.

Why: Flask-Limiter's default ``memory://`` storage counts per process; behind a load balancer
with two nodes, an attacker gets twice the login attempts. ``ratelimit_storage_url = database``
keeps the fixed-window counters in the ``ratelimit_counter`` table of the installation's own
database (one upsert per limited request; limited routes are few: login, reports, HSDS API).
Operators who run memcached or redis can give their URL instead.

The counter keys hold the client address for the length of one window (security, AVG art. 6
lid 1 f); expired rows are removed as new ones come in.
"""

from __future__ import annotations

import time

from limits.storage import Storage
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from ..db import Database
from ..models import RateLimitCounter

SCHEME = "sociale-kaart-db"
#: Databases the storage may use, by name (``sociale-kaart-db://<name>``).
_databases: dict[str, Database] = {}


def storage_uri(setting: str, db: Database) -> str:
    """The Flask-Limiter storage URI for the ``ratelimit_storage_url`` setting."""
    if setting.strip().lower() != "database":
        return setting
    name = str(id(db))
    _databases[name] = db
    return f"{SCHEME}://{name}"


class DatabaseStorage(Storage):
    """Fixed-window counters in ``ratelimit_counter`` (SQLite and PostgreSQL upserts)."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **_options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        name = (uri or "").split("://", 1)[-1]
        if name not in _databases:
            raise ValueError(f"no database registered for rate-limit storage {uri!r}")
        self.db = _databases[name]
        self._last_cleanup = 0.0

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        table = RateLimitCounter.__table__
        insert = pg_insert if self.db.dialect == "postgresql" else sqlite_insert
        fresh = table.c.expires_at <= now
        statement = insert(table).values(key=key, count=amount, expires_at=now + expiry)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "count": _case(fresh, amount, table.c.count + amount),
                "expires_at": _case(fresh, now + expiry, table.c.expires_at),
            },
        ).returning(table.c.count)
        with self.db.engine.begin() as connection:
            count = connection.execute(statement).scalar_one()
            if now - self._last_cleanup > 60:
                self._last_cleanup = now
                connection.execute(delete(table).where(table.c.expires_at < now))
        return int(count)

    def _row(self, key: str):
        table = RateLimitCounter.__table__
        with self.db.engine.connect() as connection:
            return connection.execute(select(table.c.count, table.c.expires_at)
                                      .where(table.c.key == key)).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        if row is None or row.expires_at <= time.time():
            return 0
        return int(row.count)

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return float(row.expires_at) if row is not None else time.time()

    def check(self) -> bool:
        try:
            with self.db.engine.connect() as connection:
                connection.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self.db.engine.begin() as connection:
            return connection.execute(delete(RateLimitCounter.__table__)).rowcount

    def clear(self, key: str) -> None:
        with self.db.engine.begin() as connection:
            connection.execute(delete(RateLimitCounter.__table__)
                               .where(RateLimitCounter.__table__.c.key == key))


def _case(condition, when_true, otherwise):
    from sqlalchemy import case

    return case((condition, when_true), else_=otherwise)
