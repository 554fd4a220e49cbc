"""Several workers share one crawl through Redis (scrapy-redis) and one PostgreSQL database:
every article stored once, and each worker doing a share of the work."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import FAST, ROOT, newscrawl
from tests.mockserver import running
from tests.newsroom import build, slug

pytestmark = pytest.mark.e2e
ARTICLES = 300


@pytest.fixture
def big_site(tmp_path):
    folder = tmp_path / "site"
    build(folder, ARTICLES)
    with running("static", str(folder)) as url:
        yield url


def worker(redis_url: str, db: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "crawler", "worker", "--redis", redis_url, "--db", db, "--idle-timeout", "3",
         *FAST, "-s", "NEWS_EXTRACT_WORKERS=1"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
    )


def test_two_workers_share_one_crawl_and_store_each_article_once(big_site, redis_url, postgres_url):
    enqueued = newscrawl("enqueue", big_site, "--feed", f"{big_site}rdf.xml", "--source", "courier",
                         "--redis", redis_url)
    assert enqueued.returncode == 0, enqueued.stderr
    assert "queued 3 start requests (sources: courier)" in enqueued.stdout  # home, feed, robots.txt
    workers = [worker(redis_url, postgres_url) for _ in range(2)]
    outputs = [w.communicate(timeout=300) for w in workers]
    for process, (out, err) in zip(workers, outputs, strict=True):
        assert process.returncode == 0, err[-3000:]
        assert "finish reason:      finished" in out

    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        urls = [row[0] for row in connection.execute(text("SELECT canonical_url FROM articles"))]
        sources = {row[0] for row in connection.execute(text("SELECT DISTINCT source FROM articles"))}
        runs = [json.loads(row[0]) if isinstance(row[0], str) else row[0]
                for row in connection.execute(text("SELECT stats FROM crawl_runs ORDER BY id"))]
    engine.dispose()
    assert sorted(urls) == sorted(big_site.rstrip("/") + slug(i) for i in range(ARTICLES))
    assert sources == {"courier"}
    shares = [run.get("news/store/stored", 0) for run in runs]
    assert len(shares) == 2 and sum(shares) == ARTICLES and min(shares) > 0, shares


def test_a_worker_without_anything_enqueued_says_so(redis_url, tmp_path):
    result = newscrawl("worker", "--redis", redis_url, "--db", f"sqlite:///{tmp_path / 'news.db'}")
    assert result.returncode == 2
    assert "nothing enqueued in this Redis: run `newscrawl enqueue` first" in result.stderr
    unreachable = newscrawl("enqueue", "https://news.example/", "--redis", "redis://127.0.0.1:1/0")
    assert unreachable.returncode == 2 and "cannot use Redis at redis://127.0.0.1:1/0" in unreachable.stderr
