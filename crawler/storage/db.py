"""Engines and sessions: the one place that knows database URLs and dialect settings."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from crawler.storage.models import Base

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

ENV_VAR = "NEWSCRAWL_DATABASE_URL"
DEFAULT_URL = "sqlite:///news.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000


class DatabaseError(Exception):
    """The database cannot be used; the message says which URL and what to do."""


def resolve_url(cli_value: str | None = None, setting: str | None = None) -> str:
    """``--db``, then ``NEWSCRAWL_DATABASE_URL``, then the ``DATABASE_URL`` setting."""
    return cli_value or os.environ.get(ENV_VAR) or setting or DEFAULT_URL


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers work during a crawl; the busy timeout lets several writers take turns.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``, with SQLite set up for concurrent use."""
    try:
        engine = create_engine(url, pool_pre_ping=True)
    except (ArgumentError, ImportError, ValueError) as exc:
        raise DatabaseError(f"invalid database URL {url!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def init_db(engine: Engine) -> None:
    """Check the database answers, create missing tables and check the existing ones.

    Raises:
        DatabaseError: the database is unreachable, refuses the schema, or holds tables of an
            older schema (missing columns) that this version cannot write.
    """
    where = engine.url.render_as_string(hide_password=True)
    try:
        with engine.begin() as connection:
            connection.execute(text("SELECT 1"))
            Base.metadata.create_all(connection)
            inspector = inspect(connection)
            missing = [
                f"{table.name}.{column.name}"
                for table in Base.metadata.sorted_tables
                for column in table.columns
                if column.name not in {c["name"] for c in inspector.get_columns(table.name)}
            ]
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise DatabaseError(f"cannot use database {where}: {reason}") from exc
    if missing:
        raise DatabaseError(
            f"database {where} has an older schema (missing {', '.join(missing[:5])}); "
            "crawl into a new database (newscrawl export copies the old articles out)"
        )
