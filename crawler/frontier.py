"""One crawl shared by several processes and machines: scrapy-redis's scheduler, request queue
and dupefilter on Redis.

``newscrawl enqueue`` records what to crawl (the spider arguments of each job) and puts its
start requests in the shared queue; ``newscrawl worker`` runs the ``news`` spider on every site
enqueued, pulling requests from the queue and pushing the links it finds back; ``newscrawl
crawl --redis URL`` is a crawl that seeds the queue itself and takes its share like a worker.
Articles are deduplicated by the database, so a page two workers fetched is still stored once.

Chosen around scrapy-redis's weak spots: ``SCHEDULER_PERSIST`` is on (off, the first worker to
stop would wipe the shared queue and dupefilter); its dupefilter ignores Scrapy's request
fingerprinter, so URLs reach it cleaned (``crawler.urls.clean_url``: no fragment, tracking or
session parameters); its blocking pop is not used (it would stall the reactor); and an idle
worker waits ``NEWS_IDLE_TIMEOUT`` seconds for other workers to find more links, then stops
instead of idling forever.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import redis
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured, ScrapyDeprecationWarning
from scrapy_redis import picklecompat
from scrapy_redis.queue import PriorityQueue

from crawler.urls import host_of

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.settings import Settings

logger = logging.getLogger(__name__)
# scrapy-redis 0.9 still calls APIs that Scrapy 2.19 deprecates (Spider.log, stats with a spider
# argument): nothing an operator can act on.
warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning, module="scrapy_redis")

QUEUE_KEY = "newscrawl:requests"
DUPEFILTER_KEY = "newscrawl:dupefilter"
JOBS_KEY = "newscrawl:jobs"


class FrontierError(Exception):
    """Redis is unreachable or refuses: the message says which and how."""


def use_redis(settings: Settings, url: str) -> None:
    """Make the crawl of ``settings`` take its requests from, and give its links to, Redis."""
    shared = {
        "REDIS_URL": url,
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_QUEUE_KEY": QUEUE_KEY,
        "SCHEDULER_DUPEFILTER_KEY": DUPEFILTER_KEY,
    }
    for name, value in shared.items():
        settings.set(name, value, priority="cmdline")
    settings.set("EXTENSIONS", {**settings.getdict("EXTENSIONS"), "crawler.frontier.IdleClose": 500},
                 priority="cmdline")


class Frontier:
    """The shared crawl's state in Redis: the jobs enqueued, the request queue, the dupefilter."""

    def __init__(self, url: str) -> None:
        try:
            self.server = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30)
            self.server.ping()
        except (redis.RedisError, ValueError) as exc:
            raise FrontierError(f"cannot use Redis at {url}: {exc}") from None

    def enqueue(self, jobs: Iterable[dict[str, Any]]) -> int:
        """Record the jobs and queue their start requests; the number queued. With the queue
        empty, a new round begins: the dupefilter is cleared, so every page may be fetched again
        (stored articles are still skipped by the database)."""
        from spiders.news import NewsSpider

        if not self.server.exists(QUEUE_KEY):
            self.server.delete(DUPEFILTER_KEY)
        queued = 0
        for arguments in jobs:
            self.server.sadd(JOBS_KEY, json.dumps(arguments, sort_keys=True))
            spider = NewsSpider(**arguments)
            queue = PriorityQueue(self.server, spider, QUEUE_KEY, picklecompat)
            for request in asyncio.run(_collect(spider)):
                queue.push(request.replace(dont_filter=True))  # start pages are fetched every round
                queued += 1
        return queued

    def jobs(self) -> list[dict[str, Any]]:
        return [json.loads(job) for job in sorted(self.server.smembers(JOBS_KEY))]

    def queued(self) -> int:
        return int(self.server.zcard(QUEUE_KEY))

    def worker_arguments(self) -> dict[str, Any]:
        """The spider arguments of a worker: every site enqueued, each with its source name."""
        jobs = self.jobs()
        if not jobs:
            raise FrontierError("nothing enqueued in this Redis: run `newscrawl enqueue` first")
        site_sources: dict[str, str] = {}
        domains: set[str] = set()
        allow: list[str] = []
        deny: list[str] = []
        for job in jobs:
            hosts = {host_of(u) for key in ("urls", "feeds", "sitemaps") for u in job.get(key) or []}
            hosts |= set(job.get("allowed_domains") or [])
            domains |= hosts
            if job.get("source"):
                site_sources.update(dict.fromkeys(hosts, job["source"]))
            allow += job.get("allow") or []
            deny += job.get("deny") or []
        return {"allowed_domains": sorted(domains), "site_sources": site_sources, "allow": allow, "deny": deny}


async def _collect(spider: Any) -> list[Any]:
    return [request async for request in spider.start()]


class IdleClose:
    """Stop a worker once the shared queue has stayed empty for ``NEWS_IDLE_TIMEOUT`` seconds
    while it had nothing in hand; other workers may still be finding links until then."""

    def __init__(self, crawler: Crawler, timeout: float) -> None:
        self.crawler = crawler
        self.timeout = timeout
        self.idle_since: float | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        timeout = crawler.settings.getfloat("NEWS_IDLE_TIMEOUT")
        if timeout <= 0:
            raise NotConfigured
        extension = cls(crawler, timeout)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.busy, signal=signals.request_reached_downloader)
        return extension

    def busy(self) -> None:
        self.idle_since = None

    def spider_idle(self) -> None:
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.timeout:
            raise DontCloseSpider
        logger.info("shared queue empty for %(seconds).0f s: stopping", {"seconds": self.timeout})
