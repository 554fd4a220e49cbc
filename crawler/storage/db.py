"""Engines and sessions: the one place that knows database URLs and dialect settings."""

from __future__ import annotations

import functools
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from scrapy.settings import SETTINGS_PRIORITIES
from sqlalchemy import create_engine, event, make_url, text
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
    engine = _engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", functools.partial(_sqlite_pragmas, sqlite_busy_timeout))
    return engine


def make_reader(url: str) -> Engine:
    """A read-only engine on the newscrawl database at ``url``, with this version's schema.

    Raises:
        DatabaseError: no such database, a database that is not newscrawl's, or one whose schema
            is not this version's.
    """
    engine = read_only_engine(url)
    where = _where(url)
    try:
        with engine.connect() as connection:
            found = migrate.current(connection)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise unusable(engine, exc) from exc
    wanted = migrate.head()
    if found != wanted:
        engine.dispose()
        if found is None:
            raise DatabaseError(f"no newscrawl database at {where}")
        raise schema_mismatch(where, found, wanted, "reads")
    return engine


def read_only_engine(url: str) -> Engine:
    """An engine that cannot change the database at ``url``, for commands that only read: they
    never create, migrate or write a database, whatever it is.

    SQLite is opened without creating a missing file and with writes refused (``query_only``);
    unlike a ``mode=ro`` connection, it still removes the write-ahead log files it finds unused
    on closing. PostgreSQL sessions are read-only transactions.

    Raises:
        DatabaseError: no such SQLite file, or a URL that names no database.
    """
    if not url.split(":", 1)[0].startswith("sqlite"):
        return _engine(url, options="-c default_transaction_read_only=on")
    path = _engine(url).url.database
    if not path or path == ":memory:" or not Path(path).is_file():
        raise DatabaseError(f"no newscrawl database at {_where(url)}")
    uri = f"file:{quote(str(Path(path).resolve()))}?mode=rw"

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        connection.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT * 1000)}")
        connection.execute("PRAGMA query_only=1")
        return connection

    return create_engine(url, creator=connect)


def _engine(url: str, options: str | None = None) -> Engine:
    connect_args: dict[str, Any] = {}
    if url.startswith("postgresql+psycopg"):
        # psycopg prepares a statement after a few runs, and PostgreSQL then keeps a generic
        # plan made when the table was small: the article lookups degrade into scans as it grows.
        connect_args["prepare_threshold"] = None
        if options:
            connect_args["options"] = options
    elif url.split(":", 1)[0] in ("postgres", "postgresql"):
        raise DatabaseError(f"invalid database URL {_where(url)!r}: write postgresql+psycopg://USER@HOST/DATABASE "
                            "(the PostgreSQL driver newscrawl installs)")
    try:
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    except (ArgumentError, ImportError, ValueError) as exc:
        raise DatabaseError(f"invalid database URL {_where(url)!r}: {exc}") from exc


def _where(url: str) -> str:
    """``url`` as messages name it: its password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


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
                raise schema_mismatch(where, found, wanted, "writes")
            if found != wanted and engine.dialect.name == "postgresql":
                # Workers starting together on a new database: one migrates, the others wait for
                # it (the lock ends with the transaction) and find the schema done.
                connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('newscrawl schema'))"))
                found = migrate.current(connection)
            if found != wanted:
                if not upgrade:
                    raise schema_mismatch(where, found, wanted, "writes")
                migrate.upgrade(connection)
    except SQLAlchemyError as exc:
        raise unusable(engine, exc) from exc


def schema_mismatch(where: str, found: str | None, wanted: str, verb: str) -> DatabaseError:
    """The database at ``where`` holds schema ``found``, not the ``wanted`` one this newscrawl
    ``verb`` (reads, writes): what to do about it."""
    if not migrate.is_known(found):
        return DatabaseError(f"database {where} has schema {found}, newer than this newscrawl's {wanted}: "
                             "upgrade newscrawl")
    return DatabaseError(f"database {where} has schema {found or 'none'}, this newscrawl {verb} {wanted}: "
                         f"run `newscrawl db upgrade --db {where}`")


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
