"""Several workers share one crawl through Redis (scrapy-redis) and one PostgreSQL database:
every article stored once, and each worker doing a share of the work."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import redis
from sqlalchemy import create_engine, text

from crawler.distributed.frontier import Frontier
from tests.conftest import FAST, ROOT, newscrawl
from tests.mockserver import running, served_at
from tests.newsroom import build, published, slug

pytestmark = pytest.mark.e2e
ARTICLES = 300


@pytest.fixture
def big_site(tmp_path):
    folder = tmp_path / "site"
    build(folder, ARTICLES)
    with running("static", str(folder)) as url:
        yield url


def worker(redis_url: str, db: str) -> subprocess.Popen[str]:
    """A worker in a process group of its own (its page workers with it), so it can be killed whole."""
    return subprocess.Popen(
        [sys.executable, "-m", "crawler", "worker", "--redis", redis_url, "--db", db, "--idle-timeout", "3",
         *FAST, "-s", "NEWS_EXTRACT_WORKERS=1", "-s", "NEWS_WORKER_HEARTBEAT=0.5"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        start_new_session=True,
    )


def stored_urls(db: str) -> list[str]:
    engine = create_engine(db)
    with engine.connect() as connection:
        urls = [row[0] for row in connection.execute(text("SELECT canonical_url FROM articles"))]
    engine.dispose()
    return urls


def run_stats(db: str) -> list[dict]:
    engine = create_engine(db)
    with engine.connect() as connection:
        runs = [row[0] for row in connection.execute(text("SELECT stats FROM crawl_runs ORDER BY id"))]
    engine.dispose()
    return [json.loads(run) if isinstance(run, str) else run for run in runs]


def test_two_workers_share_one_crawl_and_store_each_article_once(big_site, redis_url, postgres_url):
    enqueued = newscrawl("enqueue", big_site, "--feed", f"{big_site}rdf.xml", "--source", "courier",
                         "--redis", redis_url)
    assert enqueued.returncode == 0, enqueued.stderr
    # Home and feed; each worker reads robots.txt, fetched for its rules, for the Sitemap: lines.
    assert "queued 2 start requests (sources: courier)" in enqueued.stdout
    workers = [worker(redis_url, postgres_url) for _ in range(2)]
    outputs = [w.communicate(timeout=300) for w in workers]
    for process, (out, err) in zip(workers, outputs, strict=True):
        assert process.returncode == 0, err[-3000:]
        assert "finish reason:      finished" in out

    assert sorted(stored_urls(postgres_url)) == sorted(big_site.rstrip("/") + slug(i) for i in range(ARTICLES))
    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        assert {row[0] for row in connection.execute(text("SELECT DISTINCT source FROM articles"))} == {"courier"}
    engine.dispose()
    shares = [run.get("news/store/stored", 0) for run in run_stats(postgres_url)]
    assert len(shares) == 2 and sum(shares) == ARTICLES and min(shares) > 0, shares


def test_each_source_of_a_shared_crawl_keeps_its_own_rules(redis_url, tmp_path):
    """Two sources, one site each (the same server as 127.0.0.1 and as localhost): the second's
    deny pattern, date window and download delay hold for its own site only, and a setting
    workers cannot apply to one site alone is named when enqueued."""
    build(tmp_path / "site", ARTICLES)
    log = tmp_path / "requests.log"
    with running("static", str(tmp_path / "site"), str(log)) as url:
        port = url.rstrip("/").rsplit(":", 1)[1]
        north, south = f"http://127.0.0.1:{port}", f"http://localhost:{port}"
        urls, stored = _crawl_two_sources(north, south, redis_url, tmp_path)
    cutoff = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    # South's articles listed only on its section page (i % 6 == 0) are behind its deny pattern.
    assert {url for url in urls if url.startswith(south)} == {
        south + slug(i) for i in range(ARTICLES) if i % 6 and published(i) >= cutoff
    }
    assert {url for url in urls if url.startswith(north)} == {north + slug(i) for i in range(ARTICLES)}
    # The same story under both names is stored once, under the source of the site it came from.
    assert len(stored) == ARTICLES
    assert all(source == ("north" if url.startswith(north) else "south") for url, source in stored)
    # South's DOWNLOAD_DELAY (0.1 s, randomised by Scrapy to 0.05-0.15) spaced its requests (run
    # without it, 111 of 134 came within 0.03 s of the one before); the worker's own (none)
    # holds for north (test_components: only south's requests take its download slot).
    times = served_at(log, f"localhost:{port}")
    close = [b - a for a, b in itertools.pairwise(times) if b - a < 0.03]
    assert len(times) > 100 and len(close) < len(times) / 10, close


def _crawl_two_sources(north: str, south: str, redis_url: str, tmp_path) -> tuple[set[str], list]:
    sources = tmp_path / "sources.toml"
    sources.write_text(f"""
[sources.north]
start_urls = ["{north}/"]
feeds = ["{north}/rdf.xml"]

[sources.south]
start_urls = ["{south}/"]
feeds = ["{south}/rdf.xml"]
deny = ["/section/"]
since = "2025-06-01"
max_pages = 400
settings = {{ DOWNLOAD_DELAY = 0.1, DEPTH_LIMIT = 8 }}
""")
    enqueued = newscrawl("enqueue", "--all", "--sources", str(sources), "--redis", redis_url)
    assert enqueued.returncode == 0, enqueued.stderr
    assert ("note: source south: max_pages, DEPTH_LIMIT not applied by workers, which crawl every source at once: "
            "give such settings to the workers with -s") in enqueued.stderr
    db = f"sqlite:///{tmp_path / 'news.db'}"
    _, err = (process := worker(redis_url, db)).communicate(timeout=300)
    assert process.returncode == 0, err[-3000:]

    engine = create_engine(db)
    with engine.connect() as connection:
        urls = {row[0] for row in connection.execute(text("SELECT url FROM article_urls"))}
        stored = connection.execute(text("SELECT url, source FROM articles")).all()
    engine.dispose()
    return urls, stored


def test_a_source_naming_its_domain_as_written_keeps_its_rules(redis_url):
    """A job's sites are named as the spider names hosts (lower case, no ``www.``), whatever the
    sources file wrote: else a worker would never find their rules."""
    from scrapy.utils.test import get_crawler

    from spiders.news import NewsSpider

    Frontier(redis_url).record({"NEWS_SINCE": "2025-06-01"}, {
        "urls": ["https://WWW.Courier.example/"], "allowed_domains": ["WWW.Wire.Example"], "source": "east",
        "deny": ["/opinion/"],
    })
    arguments = Frontier(redis_url).worker_arguments()
    assert arguments["allowed_domains"] == ["courier.example", "wire.example"]
    spider = NewsSpider.from_crawler(get_crawler(NewsSpider, {"NEWS_EXTRACT_TIMEOUT": 60}), **arguments)
    for url in ("https://www.wire.example/a", "https://courier.example/b"):
        rules = spider.link_rules.of(url)
        assert (rules.source, rules.deny) == ("east", ("/opinion/",))
        assert rules.since == dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    assert spider.link_rules.of("https://elsewhere.example/").source is None


def test_a_worker_killed_halfway_loses_nothing(big_site, redis_url, postgres_url):
    """SIGKILL: no goodbye, no flush. What it had taken from the queue goes back to it once its
    heartbeat stops, and the survivor crawls it."""
    enqueued = newscrawl("enqueue", big_site, "--feed", f"{big_site}rdf.xml", "--redis", redis_url)
    assert enqueued.returncode == 0, enqueued.stderr
    assert newscrawl("db", "upgrade", "--db", postgres_url).returncode == 0  # so it can be watched at once
    workers = [worker(redis_url, postgres_url), worker(redis_url, postgres_url)]
    server = redis.Redis.from_url(redis_url)

    def holding_requests() -> list[subprocess.Popen[str]]:
        """The workers with requests taken from the queue and not done with yet."""
        return [process for process in workers
                if any(server.hlen(key) for key in server.scan_iter(match=f"newscrawl:leases:*-{process.pid}-*"))]

    deadline = time.monotonic() + 120
    # Whichever worker holds requests once a third of the site is stored is the one killed.
    while time.monotonic() < deadline and not (len(stored_urls(postgres_url)) >= ARTICLES // 3 and holding_requests()):
        time.sleep(0.1)
    doomed = (holding_requests() or workers)[0]
    survivor = next(process for process in workers if process is not doomed)
    os.killpg(doomed.pid, signal.SIGKILL)
    doomed.communicate()
    out, err = survivor.communicate(timeout=300)
    assert survivor.returncode == 0, err[-3000:]
    assert "finish reason:      finished" in out

    urls = stored_urls(postgres_url)
    assert sorted(urls) == sorted(big_site.rstrip("/") + slug(i) for i in range(ARTICLES))  # none missing, none twice
    # The killed worker never got to write its end; the survivor put back what it held.
    finished = [run for run in run_stats(postgres_url) if run is not None]
    assert len(finished) == 1 and finished[0]["news/frontier/recovered"] > 0
    assert "a worker stopped without finishing" in err


def test_a_worker_without_anything_enqueued_says_so(redis_url, tmp_path):
    result = newscrawl("worker", "--redis", redis_url, "--db", f"sqlite:///{tmp_path / 'news.db'}")
    assert result.returncode == 2
    assert "nothing enqueued in this Redis: run `newscrawl enqueue` first" in result.stderr
    unreachable = newscrawl("enqueue", "https://news.example/", "--redis", "redis://127.0.0.1:1/0")
    assert unreachable.returncode == 2 and "cannot use Redis at redis://127.0.0.1:1/0" in unreachable.stderr


def test_a_crawl_on_redis_seeds_the_shared_queue_itself(fixture_site, redis_url, tmp_path):
    """`crawl --redis`: the spider's own start requests go through scrapy-redis's scheduler (it
    knows nothing of Scrapy's `async def start()`), and the crawl stores what a local one does."""
    local = newscrawl("crawl", fixture_site, "--db", f"sqlite:///{tmp_path / 'local.db'}", *FAST)
    shared = newscrawl("crawl", fixture_site, "--redis", redis_url, "--db", f"sqlite:///{tmp_path / 'shared.db'}",
                       *FAST, "-s", "NEWS_IDLE_TIMEOUT=1")
    assert local.returncode == shared.returncode == 0, shared.stderr[-2000:]

    def stored(name: str) -> list[str]:
        engine = create_engine(f"sqlite:///{tmp_path / name}")
        with engine.connect() as connection:
            urls = sorted(row[0] for row in connection.execute(text("SELECT canonical_url FROM articles")))
            stats = json.loads(connection.execute(text("SELECT stats FROM crawl_runs")).scalar_one())
        engine.dispose()
        return urls, stats

    local_urls, _ = stored("local.db")
    shared_urls, stats = stored("shared.db")
    assert shared_urls == local_urls and len(local_urls) == 2
    assert stats["scheduler/enqueued/redis"] >= len(local_urls) and "scheduler/enqueued/memory" not in stats
    # The crawl recorded its job: a worker may join it (here, once it is over: nothing left to do).
    joined = newscrawl("worker", "--redis", redis_url, "--db", f"sqlite:///{tmp_path / 'shared.db'}", *FAST,
                       "--idle-timeout", "1")
    assert joined.returncode == 0, joined.stderr[-2000:]
    assert "finish reason:      finished" in joined.stdout
    assert Frontier(redis_url).worker_arguments()["allowed_domains"] == ["127.0.0.1"]


def test_the_bounded_dupefilter_forgets_only_the_oldest(redis_url):
    """NEWS_DUPEFILTER_MEMORY: the newest N fingerprints kept, exactly; older URLs may be fetched again."""
    import scrapy
    from scrapy.utils.test import get_crawler

    from crawler.distributed.frontier import BoundedDupeFilter

    crawler = get_crawler(scrapy.Spider, {"REDIS_URL": redis_url, "NEWS_DUPEFILTER_MEMORY": 3,
                                          "SCHEDULER_DUPEFILTER_KEY": "newscrawl:dupefilter"})
    dupefilter = BoundedDupeFilter.from_spider(scrapy.Spider.from_crawler(crawler, name="news"))
    requests = [scrapy.Request(f"https://news.example/story-{n}") for n in range(5)]
    assert [dupefilter.request_seen(r) for r in requests] == [False] * 5
    assert [dupefilter.request_seen(r) for r in requests[2:]] == [True] * 3
    assert dupefilter.request_seen(requests[0]) is False  # forgotten: may be fetched again
    assert dupefilter.request_seen(requests[0]) is True
    assert dupefilter.server.zcard("newscrawl:dupefilter") == 3


@pytest.fixture
def scheduler(redis_url):
    """A worker's scheduler on the test Redis, opened without the heartbeat's reactor."""
    import scrapy
    from scrapy.settings import Settings
    from scrapy.utils.test import get_crawler
    from scrapy_redis.scheduler import Scheduler

    from crawler.distributed.frontier import LeasingScheduler, use_redis

    shared = Settings()
    use_redis(shared, redis_url)
    crawler = get_crawler(scrapy.Spider, {
        "NEWS_DUPEFILTER_MEMORY": 0, "NEWS_WORKER_HEARTBEAT": 10,
        **{name: value for name, value in shared.copy_to_dict().items() if name.startswith(("REDIS_", "SCHEDULER", "DUPEFILTER"))},
    })
    scheduler = LeasingScheduler.from_crawler(crawler)
    # scrapy-redis's part of opening: its queue and dupefilter.
    Scheduler.open(scheduler, scrapy.Spider.from_crawler(crawler, name="news"))
    return scheduler


def test_a_link_is_marked_seen_and_queued_together(scheduler, redis_url):
    """The dupefilter's check and the push are one Redis script: a worker killed between two
    separate calls would leave a URL seen and never queued, lost to the crawl."""
    import scrapy

    from crawler.distributed.frontier import DUPEFILTER_KEY, QUEUE_KEY
    from crawler.distributed.leases import LEASE

    story = scrapy.Request("https://news.example/story-1", priority=3)
    assert scheduler.enqueue_request(story) is True
    assert scheduler.enqueue_request(story.replace()) is False  # seen
    assert scheduler.enqueue_request(story.replace(dont_filter=True)) is True
    server = redis.Redis.from_url(redis_url)
    assert server.zcard(QUEUE_KEY) == 2 and server.zcard(DUPEFILTER_KEY) == 1
    assert [score for _, score in server.zrange(QUEUE_KEY, 0, -1, withscores=True)] == [-3, -3]
    assert scheduler.next_request().url == story.url
    # A request carrying the lease of one taken (a redirect, a request a middleware held back and
    # sends again) gives the lease back once it is queued, not before: a worker killed between
    # the two has the page fetched again, never lost.
    taken = scheduler.next_request()
    assert server.hlen(scheduler.leases_key) == 2
    again = taken.replace(url="https://news.example/story-1?page=2")
    assert scheduler.enqueue_request(again) is True
    assert server.hlen(scheduler.leases_key) == 1 and server.zcard(QUEUE_KEY) == 1
    assert not server.hexists(scheduler.leases_key, taken.meta[LEASE])
    assert scheduler.next_request().meta[LEASE] != taken.meta[LEASE]


def test_leases_a_recovering_worker_was_killed_with_are_recovered_too(scheduler, redis_url):
    """A worker putting a dead worker's leases back holds them under a claim of its own; killed
    then, its claim is taken over like leases, once its heartbeat is gone."""
    import scrapy

    from crawler.distributed.frontier import HEARTBEAT_KEY, LEASES_KEY, QUEUE_KEY, RECOVERING_KEY

    server = redis.Redis.from_url(redis_url)
    encode = scheduler.queue._encode_request
    server.hset(RECOVERING_KEY + "killed-1:aa", "lease-1", encode(scrapy.Request("https://news.example/a")))
    server.hset(RECOVERING_KEY + "alive-2:bb", "lease-2", encode(scrapy.Request("https://news.example/b")))
    server.set(HEARTBEAT_KEY + "alive-2", 1)
    server.hset(LEASES_KEY + "dead-3", "lease-3", encode(scrapy.Request("https://news.example/c")))
    assert scheduler.recover() == 2
    queued = sorted(scheduler.queue._decode_request(data).url for data in server.zrange(QUEUE_KEY, 0, -1))
    assert queued == ["https://news.example/a", "https://news.example/c"]
    assert [key.decode() for key in server.scan_iter(match=RECOVERING_KEY + "*")] == [RECOVERING_KEY + "alive-2:bb"]


def test_a_crawl_that_shares_nothing_loads_no_redis():
    """The Redis client and scrapy-redis are for shared crawls; every other run is 6 MB lighter."""
    script = "import sys, crawler.cli, spiders.news, pipelines.store; print(sorted({'redis', 'scrapy_redis'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_a_worker_rides_out_redis_going_away_and_coming_back_empty(big_site, redis_url, tmp_path):
    """Redis cut off mid-crawl, then back without its data (a restart without persistence): the
    worker keeps what it found meanwhile, queues the lost crawl's start requests again, and every
    article is stored exactly once."""
    from tests.proxy import TcpProxy

    host, _, rest = redis_url.removeprefix("redis://").partition(":")
    port, _, database = rest.partition("/")
    proxy = TcpProxy(int(port), host)
    proxy.start()
    through = f"redis://127.0.0.1:{proxy.port}/{database or 0}"
    db = f"sqlite:///{tmp_path / 'news.db'}"
    try:
        enqueued = newscrawl("enqueue", big_site, "--feed", f"{big_site}rdf.xml", "--redis", through)
        assert enqueued.returncode == 0, enqueued.stderr
        assert newscrawl("db", "upgrade", "--db", db).returncode == 0
        process = subprocess.Popen(
            [sys.executable, "-m", "crawler", "worker", "--redis", through, "--db", db, "--idle-timeout", "5",
             *FAST, "-s", "NEWS_EXTRACT_WORKERS=1", "-s", "NEWS_WORKER_HEARTBEAT=0.5", "-s", "DOWNLOAD_DELAY=0.02"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(stored_urls(db)) < ARTICLES // 3:
            time.sleep(0.1)
        proxy.stop()
        redis.Redis.from_url(redis_url).flushdb()  # what a restart without persistence leaves
        time.sleep(2)
        proxy.start()
        _, err = process.communicate(timeout=300)
    finally:
        proxy.stop()
    assert process.returncode == 0, err[-3000:]
    urls = stored_urls(db)
    assert sorted(urls) == sorted(big_site.rstrip("/") + slug(i) for i in range(ARTICLES))
    (stats,) = run_stats(db)
    assert stats["news/frontier/redis_away"] >= 1 and stats["news/frontier/reseeded"] == 1
    assert "Redis lost the shared crawl" in err and "Redis answers again" in err
