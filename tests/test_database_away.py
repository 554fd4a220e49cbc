"""The database goes away mid-crawl: nothing is lost, whether it comes back or not."""

import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from crawler import spill
from crawler.demo.site import load_articles
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


def stored_bodies(postgres_url):
    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT canonical_url, body FROM articles")).all()
    engine.dispose()
    return {urlsplit(url).path: body for url, body in rows}


def outage(proxy, start, length):
    def run():
        time.sleep(start)
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
    thread = outage(tcp, start=3, length=4)
    result = crawl(demo_site, via_proxy, "-s", "NEWS_DB_RETRY_TIMEOUT=60")
    thread.join()
    assert result.returncode == 0, result.stderr[-3000:]
    assert "database unavailable" in result.stderr  # it did go away, and was waited for
    assert stored_bodies(postgres_url) == {path: a.body for path, a in ARTICLES.items()}


def test_database_that_never_returns_stops_the_crawl_and_spills(demo_site, proxy, postgres_url, tmp_path):
    tcp, via_proxy = proxy
    thread = outage(tcp, start=3, length=None)
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
