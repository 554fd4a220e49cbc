"""The database goes away mid-crawl: nothing is lost, whether it comes back or not, and the run
is recorded as ended once it is back."""

import contextlib
import datetime as dt
import sqlite3
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from crawler.cli.schedule import due, last_runs
from crawler.demo.site import load_articles
from crawler.discovery.sources import load_sources
from crawler.storage import (
    CrawlRun,
    DatabaseError,
    init_db,
    make_engine,
    make_sessionmaker,
    run_sites,
    spill,
)
from crawler.storage.pending_ends import PATTERN, record_pending_ends
from tests.conftest import FAST, ROOT, newscrawl
from tests.proxy import TcpProxy

pytestmark = pytest.mark.e2e
ARTICLES = {a.path: a for a in load_articles()}
# Slow enough that the outage falls in the middle of the crawl; small batches write often.
STEADY = [*FAST, "-s", "DOWNLOAD_DELAY=0.1", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
          "-s", "NEWS_DB_BATCH_SIZE=3", "-s", "NEWS_DB_FLUSH_INTERVAL=0.5"]


@pytest.fixture
def proxy(postgres_url):
    url = make_url(postgres_url)
    proxy = TcpProxy(url.port or 5432, url.host or "127.0.0.1")
    proxy.start()
    yield proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    proxy.stop()


def stored_count(postgres_url):
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM articles")).scalar_one()
    finally:
        engine.dispose()


def stored_bodies(postgres_url):
    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT canonical_url, body FROM articles")).all()
    engine.dispose()
    return {urlsplit(url).path: body for url, body in rows}


def outage(proxy, postgres_url, length):
    """Cut the crawl off its database once it has stored its first rows (mid-crawl however long
    the crawl takes to start), for ``length`` seconds or for good."""
    def run():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):  # the schema may not be there yet
                if stored_count(postgres_url) >= 3:
                    break
            time.sleep(0.1)
        proxy.stop()
        if length is not None:
            time.sleep(length)
            proxy.start()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def crawl(demo_site, db, *extra):
    return subprocess.run(
        [sys.executable, "-m", "crawler", "crawl", demo_site, "--db", db, *STEADY, *extra],
        capture_output=True, text=True, timeout=300, cwd=ROOT, stdin=subprocess.DEVNULL, check=False,
    )


def test_database_restart_mid_crawl_loses_nothing(demo_site, proxy, postgres_url):
    tcp, via_proxy = proxy
    thread = outage(tcp, postgres_url, length=4)
    result = crawl(demo_site, via_proxy, "-s", "NEWS_DB_RETRY_TIMEOUT=60")
    thread.join()
    assert result.returncode == 0, result.stderr[-3000:]
    assert "database unavailable" in result.stderr  # it did go away, and was waited for
    assert stored_bodies(postgres_url) == {path: a.body for path, a in ARTICLES.items()}


def test_database_that_never_returns_stops_the_crawl_and_spills(demo_site, proxy, postgres_url, tmp_path):
    tcp, via_proxy = proxy
    thread = outage(tcp, postgres_url, length=None)
    result = crawl(demo_site, via_proxy, "-s", "NEWS_DB_RETRY_TIMEOUT=3", "-s", f"NEWS_DB_SPILL_DIR={tmp_path}")
    thread.join()
    assert result.returncode == 1, result.stderr[-3000:]
    assert "NOT STORED:" in result.stdout
    assert "finish reason:      database_unavailable" in result.stdout
    (spill_file,) = tmp_path.glob("newscrawl-spill-*.jsonl")
    assert f"newscrawl import {spill_file}" in result.stdout
    before = stored_bodies(postgres_url)
    spilled = len(spill_file.read_text().splitlines())
    assert spilled > 0

    loaded = newscrawl("import", str(spill_file), "--db", postgres_url)
    assert loaded.returncode == 0, loaded.stderr
    after = stored_bodies(postgres_url)
    # Everything fetched is now stored, each article once, each with the story's text (chrome
    # learned too late to be removed is still there: `newscrawl reclean` takes it out later).
    spilled_paths = {urlsplit(item.canonical_url).path for item in spill.read(spill_file)}
    assert set(after) == set(before) | spilled_paths
    assert len(after) > len(before)
    for path, body in after.items():
        story = ARTICLES[path.replace("/print", "", 1)]
        assert body.startswith(story.body), path


def test_a_run_locked_out_of_sqlite_ends_when_the_lock_is_gone_and_its_source_is_due_again(demo_site, tmp_path):
    db_file = tmp_path / "news.db"
    db = f"sqlite:///{db_file}"
    sources_path = tmp_path / "sources.toml"
    sources_path.write_text(f'[sources.courier]\nstart_urls = ["{demo_site}"]\nschedule = "1h"\n')
    crawl = subprocess.Popen(
        [sys.executable, "-m", "crawler", "crawl", "--source", "courier", "--sources", str(sources_path),
         "--db", db, *STEADY, "-s", "NEWS_DB_RETRY_TIMEOUT=3", "-s", f"NEWS_DB_SPILL_DIR={tmp_path}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, stdin=subprocess.DEVNULL,
    )
    # Another program takes the database's write lock once the crawl has stored its first articles.
    locker = None
    deadline = time.monotonic() + 60
    while locker is None and time.monotonic() < deadline:
        time.sleep(0.1)
        if db_file.exists():
            connection = sqlite3.connect(db_file, isolation_level=None)
            try:
                if connection.execute("SELECT count(*) FROM articles").fetchone()[0]:
                    connection.execute("BEGIN EXCLUSIVE")
                    locker = connection
                    continue
            except sqlite3.OperationalError:  # no tables yet
                pass
            connection.close()
    assert locker is not None, "the crawl stored nothing"
    stdout, stderr = crawl.communicate(timeout=120)
    assert crawl.returncode == 1, stderr[-3000:]
    assert "finish reason:      database_unavailable" in stdout
    assert "could not record the end of crawl run 1 (database is locked): kept in" in stderr
    assert "autoflush" not in stderr

    (spill_file,) = tmp_path.glob("newscrawl-spill-*.jsonl")
    spilled = list(spill.read(spill_file))
    assert spilled, "nothing was spilled"
    for item in spilled:
        assert item.body.startswith(ARTICLES[urlsplit(item.canonical_url).path.replace("/print", "", 1)].body), item.url

    engine = make_engine(db, sqlite_busy_timeout=0.5)
    sources = load_sources(sources_path)
    with make_sessionmaker(engine)() as session:
        ready, held = due(sources, last_runs(session), dt.datetime.now(dt.UTC), dt.timedelta(hours=12))
    assert not ready and held, "the unfinished run holds its source back"
    with pytest.raises(DatabaseError, match="database is locked"):
        record_pending_ends(engine, tmp_path)  # still locked: the end stays kept
    assert len(list(tmp_path.glob(PATTERN))) == 1

    locker.execute("ROLLBACK")
    locker.close()
    assert record_pending_ends(engine, tmp_path) == [1]
    assert not list(tmp_path.glob(PATTERN))
    with make_sessionmaker(engine)() as session:
        run = session.get_one(CrawlRun, 1)
        assert run.finished_at is not None and run.finish_reason == "database_unavailable"
        assert run.stats is not None and run.stats["news/store/spilled"] == len(spilled)
        assert [site.site for site in run_sites(session, 1)] == [urlsplit(demo_site).hostname]
        ready, held = due(sources, last_runs(session), dt.datetime.now(dt.UTC), dt.timedelta(hours=12))
    assert [source.name for source in ready] == ["courier"] and not held
    assert record_pending_ends(engine, tmp_path) == []
    engine.dispose()


def test_a_database_locked_as_the_crawl_starts_ends_it_at_once_in_one_line(demo_site, tmp_path):
    db_file = tmp_path / "news.db"
    db = f"sqlite:///{db_file}"
    engine = make_engine(db)
    init_db(engine)
    engine.dispose()
    # Another program writes: the command's own check reads, the crawl's first write waits.
    locker = sqlite3.connect(db_file, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        result = newscrawl("crawl", demo_site, "--db", db, *STEADY, "-s", "NEWS_DB_RETRY_TIMEOUT=2",
                           "-s", f"NEWS_DB_SPILL_DIR={tmp_path}")
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert result.returncode == 1, result.stderr[-3000:]
    assert "finish reason:      database_unavailable" in result.stdout
    assert "sites:              0\n" in result.stdout  # no run to point at
    assert "database unavailable for 2 s (database is locked): the crawl stops before it starts" in result.stderr
    assert "Traceback" not in result.stderr and "Unhandled error" not in result.stderr
    # What it fetched before it stopped is kept for import, nothing half-written.
    for spill_file in tmp_path.glob("newscrawl-spill-*.jsonl"):
        for item in spill.read(spill_file):
            assert item.body.startswith(ARTICLES[urlsplit(item.canonical_url).path.replace("/print", "", 1)].body)
    with sqlite3.connect(db_file) as connection:
        assert connection.execute("SELECT count(*) FROM crawl_runs").fetchone() == (0,)

    again = newscrawl("crawl", demo_site, "--db", db, *FAST)
    assert again.returncode == 0, again.stderr[-3000:]
    with sqlite3.connect(db_file) as connection:
        assert connection.execute("SELECT count(*) FROM articles").fetchone() == (len(ARTICLES),)
