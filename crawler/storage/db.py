"""Engines and sessions: the one place that knows database URLs and dialect settings."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from scrapy.settings import SETTINGS_PRIORITIES
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from crawler.storage import migrate
from crawler.storage.models import Base

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings
    from sqlalchemy.engine import Engine

ENV_VAR = "NEWSCRAWL_DATABASE_URL"
DEFAULT_URL = "sqlite:///news.db"
SQLITE_BUSY_TIMEOUT = 30.0


class DatabaseError(Exception):
    """The database cannot be used; the message says which URL and what to do."""


def resolve_url(settings: BaseSettings, cli_value: str | None = None) -> str:
    """``--db``, then ``-s DATABASE_URL``, then ``NEWSCRAWL_DATABASE_URL``, then the setting."""
    setting = settings.get("DATABASE_URL")
    if (settings.getpriority("DATABASE_URL") or 0) >= SETTINGS_PRIORITIES["cmdline"]:
        cli_value = cli_value or setting
    return cli_value or os.environ.get(ENV_VAR) or setting or DEFAULT_URL


def _sqlite_pragmas(busy_timeout: float, dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers work during a crawl; the busy timeout lets several writers take turns.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str, sqlite_busy_timeout: float = SQLITE_BUSY_TIMEOUT) -> Engine:
    """An engine for ``url``, with SQLite set up for concurrent use: a statement waits up to
    ``sqlite_busy_timeout`` seconds for another writer's lock before failing as "database is
    locked"."""
    # psycopg prepares a statement after a few runs, and PostgreSQL then keeps a generic plan
    # made when the table was small: the article lookups degrade into scans as it grows.
    connect_args = {"prepare_threshold": None} if url.startswith("postgresql+psycopg") else {}
    try:
        engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    except (ArgumentError, ImportError, ValueError) as exc:
        raise DatabaseError(f"invalid database URL {url!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", functools.partial(_sqlite_pragmas, sqlite_busy_timeout))
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def init_db(engine: Engine, *, upgrade: bool = True) -> None:
    """Check the database answers and holds this version's schema, migrating it when allowed.

    Raises:
        DatabaseError: the database is unreachable or refuses the schema, or its schema is older
            and ``upgrade`` is off, or newer than this version of newscrawl.
    """
    where = engine.url.render_as_string(hide_password=True)
    wanted = migrate.head()
    try:
        with engine.begin() as connection:
            connection.execute(text("SELECT 1"))
            found = migrate.current(connection)
            if found != wanted and not migrate.is_known(found):
                raise DatabaseError(
                    f"database {where} has schema {found}, newer than this newscrawl's {wanted}: "
                    "upgrade newscrawl"
                )
            if found != wanted and engine.dialect.name == "postgresql":
                # Workers starting together on a new database: one migrates, the others wait for
                # it (the lock ends with the transaction) and find the schema done.
                connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('newscrawl schema'))"))
                found = migrate.current(connection)
            if found != wanted:
                if not upgrade:
                    raise DatabaseError(
                        f"database {where} has schema {found or 'none'}, this newscrawl writes {wanted}: "
                        f"run `newscrawl db upgrade --db {where}`"
                    )
                migrate.upgrade(connection)
    except SQLAlchemyError as exc:
        raise unusable(engine, exc) from exc


def unusable(engine: Engine, exc: SQLAlchemyError) -> DatabaseError:
    """One line for the operator: which database, and the driver's own first line."""
    return DatabaseError(f"cannot use database {engine.url.render_as_string(hide_password=True)}: {driver_message(exc)}")


def driver_message(exc: SQLAlchemyError) -> str:
    """The database driver's first line ("database is locked", "connection refused"), not
    SQLAlchemy's wrapping of it (a failed autoflush names only the flush)."""
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def drop_schema(engine: Engine) -> None:
    """Remove everything newscrawl creates: the models' tables, what migrations add beside them
    (the ``stories`` view, SQLite's ``articles_fts``) and the version stamp. For scratch
    databases: tests and benchmarks start from nothing with it."""
    with engine.begin() as connection:
        connection.execute(text("DROP VIEW IF EXISTS stories"))
    Base.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        if engine.dialect.name == "sqlite":
            connection.execute(text("DROP TABLE IF EXISTS articles_fts"))
