from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tests.mockserver import running

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Settings for crawls of our own loopback servers: no throttling, quiet logs (a contact of our own).
FAST = ["-s", "NEWS_ALLOW_PRIVATE_NETWORKS=True", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=WARNING",
        "-s", "NEWS_EXTRACT_WORKERS=2", "-s", "NEWS_CONTACT_URL=https://newscrawl.test/contact"]


@pytest.fixture(scope="session")
def demo_site() -> Iterator[str]:
    with running("demo") as url:
        yield url


def _static_site(folder: str) -> Any:
    """A session fixture serving ``tests/fixtures/<folder>`` on 127.0.0.1."""

    @pytest.fixture(scope="session")
    def server() -> Iterator[str]:
        with running("static", str(FIXTURES / folder)) as url:
            yield url

    return server


fixture_site = _static_site("site")
feed_site = _static_site("feedsite")
sitemap_site = _static_site("sitemapsite")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'news.db'}"


def _service(name: str, variable: str, example: str, probe: Callable[[str], object],
             errors: tuple[type[Exception], ...]) -> str:
    """The URL of a service the tests need: skipped with the reason when it is not set up here,
    failed where NEWSCRAWL_REQUIRE_SERVICES says it must be."""
    def unavailable(reason: str) -> NoReturn:
        if os.environ.get("NEWSCRAWL_REQUIRE_SERVICES"):
            pytest.fail(reason)
        pytest.skip(reason)

    url = os.environ.get(variable)
    if not url:
        unavailable(f"{name} tests need {variable} (e.g. {example})")
    try:
        probe(url)
    except errors as exc:
        unavailable(f"{name} at {url} is not usable: {exc}")
    return url


def _postgres_url() -> str:
    def probe(url: str) -> None:
        engine = create_engine(url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()

    return _service("PostgreSQL", "NEWSCRAWL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1/test",
                    probe, (OperationalError, ImportError))


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database emptied before and after the test."""
    import redis

    url = _service("Redis", "NEWSCRAWL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0",
                   lambda url: redis.Redis.from_url(url, socket_connect_timeout=5).flushdb(), (redis.RedisError,))
    yield url
    redis.Redis.from_url(url).flushdb()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database emptied of our tables before and after the test."""
    from crawler.storage import drop_schema

    url = _postgres_url()
    engine = create_engine(url)

    drop_schema(engine)
    engine.dispose()
    yield url
    drop_schema(engine)  # on fresh connections: the test may have restarted the server
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'news.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def sessions(db_url):
    """A session factory on a migrated database, SQLite and PostgreSQL in turn."""
    from crawler.storage import init_db, make_engine, make_sessionmaker

    engine = make_engine(db_url)
    init_db(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


def newscrawl(*args: str, timeout: float = 240, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "crawler", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        check=False,
    )
