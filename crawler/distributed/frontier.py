"""One crawl shared by several processes and machines: scrapy-redis's scheduler, request queue
and dupefilter on Redis.

``newscrawl enqueue`` records what to crawl (the spider arguments of each job) and puts its
start requests in the shared queue; ``newscrawl worker`` runs the ``news`` spider on every site
enqueued, pulling requests from the queue and pushing the links it finds back; ``newscrawl
crawl --redis URL`` is a crawl that seeds the queue itself and takes its share like a worker.
Articles are deduplicated by the database, so a page two workers fetched is still stored once.

A worker killed mid-crawl loses nothing: each request it takes from the queue is leased (moved
atomically into the worker's lease hash in Redis) and the lease is released only once the page
is done with: its links queued and its article committed to the database (or saved to the spill
file), or the request failed for good. Workers keep a heartbeat key alive; the leases of a worker
whose heartbeat stopped go back to the queue when another worker starts or runs out of work. A
link is marked seen by the dupefilter and queued in one step, never one without the other. So
every page is fetched at least once, and stored exactly once.

Chosen around scrapy-redis's weak spots: ``SCHEDULER_PERSIST`` is on (off, the first worker to
stop would wipe the shared queue and dupefilter); its dupefilter ignores Scrapy's request
fingerprinter, so URLs reach it cleaned (``crawler.urls.clean_url``: no fragment, tracking or
session parameters); its blocking pop is not used (it would stall the reactor); and an idle
worker waits ``NEWS_IDLE_TIMEOUT`` seconds for other workers to find more links, then stops
instead of idling forever (``crawler.distributed.idle_close``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import uuid
import warnings
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import redis
from scrapy import Request
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy_redis import picklecompat
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from crawler.distributed.leases import LEASE, frontier_lost
from crawler.urls import site_hosts, split_arguments

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings

logger = logging.getLogger(__name__)
# scrapy-redis 0.9 still calls APIs that Scrapy 2.19 deprecates (Spider.log, stats with a spider
# argument): nothing an operator can act on.
warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning, module="scrapy_redis")

QUEUE_KEY = "newscrawl:requests"
DUPEFILTER_KEY = "newscrawl:dupefilter"
JOBS_KEY = "newscrawl:jobs"
# The settings of a source that a shared crawl applies to that source's sites alone, and the job
# key each is recorded under. The others (depth and page limits, ...) would bind every site
# a worker crawls: workers take those from their own command line.
PER_SITE_SETTINGS = {
    "NEWS_SINCE": "since", "NEWS_LANGUAGES": "languages",
    "DOWNLOAD_DELAY": "delay", "CONCURRENT_REQUESTS_PER_DOMAIN": "concurrency",
}
LEASES_KEY = "newscrawl:leases:"  # + worker id: lease id -> encoded request
HEARTBEAT_KEY = "newscrawl:worker:"  # + worker id, expiring
RECOVERING_KEY = "newscrawl:recovering:"  # + worker id + ":" + claim: leases a worker is putting back
RESEED_KEY = "newscrawl:reseeding"  # the worker queuing a lost crawl's start requests again
# A round's mark, new with each round: a worker that finds another (or none) knows the queue and
# dupefilter it worked with are gone, and forgets the links it remembers requesting.
EPOCH_KEY = "newscrawl:epoch"
# Whether a fingerprint was seen, remembering it; past ``limit`` fingerprints, the oldest go.
_SEEN = """
local function seen(key, counter, fingerprint, limit)
  if redis.call('ZSCORE', key, fingerprint) then return true end
  local n = redis.call('INCR', counter)
  redis.call('ZADD', key, n, fingerprint)
  limit = tonumber(limit)
  if limit > 0 and redis.call('ZCARD', key) > limit then
    redis.call('ZREMRANGEBYRANK', key, 0, -limit - 1)
  end
  return false
end
"""
_SEEN_BOUNDED = _SEEN + "return seen(KEYS[1], KEYS[2], ARGV[1], ARGV[2]) and 1 or 0"
# Queue a request (score, data) unless its fingerprint was seen ('': never filtered), in one
# step: a worker killed between the two would leave a URL marked seen and never queued.
_ENQUEUE_UNSEEN = _SEEN + """
if ARGV[1] ~= '' and seen(KEYS[1], KEYS[2], ARGV[1], ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
return 1
"""
# Take the first request of the queue into the worker's lease hash, atomically.
_POP_LEASED = """
local first = redis.call('ZRANGE', KEYS[1], 0, 0)
if #first == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HSET', KEYS[2], ARGV[1], first[1])
return first[1]
"""


def unshared(overrides: dict[str, Any]) -> list[str]:
    """The settings of a job that workers do not apply: they crawl every job at once, and such
    a setting would bind all of them."""
    return sorted(set(overrides) - set(PER_SITE_SETTINGS))


class FrontierError(Exception):
    """Redis is unreachable or refuses: the message says which and how."""


def use_redis(settings: Settings, url: str) -> None:
    """Make the crawl of ``settings`` take its requests from, and give its links to, Redis."""
    shared = {
        "REDIS_URL": url,
        "SCHEDULER": "crawler.distributed.frontier.LeasingScheduler",
        "DUPEFILTER_CLASS": "crawler.distributed.frontier.BoundedDupeFilter",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_QUEUE_KEY": QUEUE_KEY,
        "SCHEDULER_DUPEFILTER_KEY": DUPEFILTER_KEY,
    }
    for name, value in shared.items():
        settings.set(name, value, priority="cmdline")
    settings.set("EXTENSIONS", {**settings.getdict("EXTENSIONS"), "crawler.distributed.idle_close.IdleClose": 500},
                 priority="cmdline")
    # Outermost, so that a page's lease is released once its last link has reached the queue: inner
    # middlewares hold links back (the stored-article check gathers a page's links first).
    settings.set("SPIDER_MIDDLEWARES", {**settings.getdict("SPIDER_MIDDLEWARES"), "crawler.distributed.leases.LeaseMiddleware": 1},
                 priority="cmdline")
    # Each site's limits held for all workers (crawler.downloadermiddlewares.shared_politeness): robots.txt fetched
    # once for all; a request takes its place at its site's gate last, once past robots.txt (whose
    # own request takes one first) and just before it is counted against --max-pages and sent.
    settings.set("DOWNLOADER_MIDDLEWARES", {
        **settings.getdict("DOWNLOADER_MIDDLEWARES"),
        "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
        "crawler.downloadermiddlewares.shared_politeness.SharedRobotsTxtMiddleware": 100,
        "crawler.downloadermiddlewares.shared_politeness.SharedPolitenessMiddleware": 920,
    }, priority="cmdline")


class Frontier:
    """The shared crawl's state in Redis: the jobs enqueued, the request queue, the dupefilter."""

    def __init__(self, url: str) -> None:
        try:
            self.server = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30)
            self.server.ping()
        except (redis.RedisError, ValueError) as exc:
            raise FrontierError(f"cannot use Redis at {url}: {exc}") from None

    @classmethod
    def from_server(cls, server: redis.Redis) -> Self:
        frontier = cls.__new__(cls)
        frontier.server = server
        return frontier

    def enqueue(self, jobs: Iterable[tuple[dict[str, Any], dict[str, Any]]], spider_class: type[Spider]) -> int:
        """Record the jobs ``(setting overrides, spider arguments)`` and queue the start
        requests a spider of ``spider_class`` makes of each; the number queued. With the queue
        empty, a new round begins: the dupefilter is cleared, so every page may be fetched again
        (stored articles are still skipped by the database)."""
        if not self.server.exists(QUEUE_KEY):
            self.server.delete(DUPEFILTER_KEY, DUPEFILTER_KEY + ":counter")
            self.server.set(EPOCH_KEY, uuid.uuid4().hex)
        else:
            self.server.set(EPOCH_KEY, uuid.uuid4().hex, nx=True)
        queued = 0
        for overrides, arguments in jobs:
            self.record(overrides, arguments)
            spider = spider_class(**arguments)
            queue = PriorityQueue(self.server, spider, QUEUE_KEY, picklecompat)
            for request in _start_requests(spider):
                queue.push(request.replace(dont_filter=True))  # start pages are fetched every round
                queued += 1
        return queued

    def record(self, overrides: dict[str, Any], arguments: dict[str, Any]) -> None:
        """Record a job for the workers that join: its sites and their rules
        (``worker_arguments``), with those of its overrides in ``PER_SITE_SETTINGS`` (the others
        are the ``unshared`` ones)."""
        per_site = {key: overrides[name] for name, key in PER_SITE_SETTINGS.items() if name in overrides}
        self.server.sadd(JOBS_KEY, json.dumps(arguments | per_site, sort_keys=True))

    def jobs(self) -> list[dict[str, Any]]:
        return [json.loads(job) for job in sorted(self.server.smembers(JOBS_KEY))]

    def queued(self) -> int:
        return int(self.server.zcard(QUEUE_KEY))

    def worker_arguments(self) -> dict[str, Any]:
        """The spider arguments of a worker: every site enqueued, each with its job's rules (its
        source name, ``allow``/``deny`` patterns, ``since``, ``languages``, download ``delay``
        and ``concurrency``)."""
        jobs = self.jobs()
        if not jobs:
            raise FrontierError("nothing enqueued in this Redis: run `newscrawl enqueue` first")
        sites: dict[str, dict[str, Any]] = {}
        for job in jobs:
            urls = [url for key in ("urls", "feeds", "sitemaps") for url in split_arguments(job.get(key))]
            hosts = site_hosts(urls, split_arguments(job.get("allowed_domains")))
            rules = {key: job[key] for key in ("source", "allow", "deny", *PER_SITE_SETTINGS.values())
                     if job.get(key) not in (None, "", [])}
            sites.update(dict.fromkeys(hosts, rules))
        return {"allowed_domains": sorted(sites), "sites": sites}


def _start_requests(spider: Any) -> list[Any]:
    """The spider's start requests, collected on an event loop of their own (in a thread: a
    worker reseeding a lost crawl calls this from the crawl's running loop)."""

    async def collect() -> list[Any]:
        return [request async for request in spider.start()]

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, collect()).result()


class LeasingScheduler(Scheduler):  # type: ignore[misc]
    """scrapy-redis's scheduler, leasing each request it hands out (see the module's docstring).

    Redis may go away (a restart, a network cut): the worker then keeps the links it finds, and
    the leases it would release, in memory, hands out nothing, and asks again at each heartbeat.
    When Redis answers again without the crawl's jobs (restarted without persistence: queue,
    dupefilter and leases gone), one worker records the jobs it read at start again and queues
    their start requests, and every worker forgets the links it remembers requesting (the
    spider's memory in front of the lost dupefilter, ``frontier_lost``): the crawl finds its pages
    anew from its start pages, stored articles are skipped by the database, and nothing is lost
    but time (``news/frontier/reseeded``).
    """

    away: bool
    held: list[Request]
    unreleased: list[str]
    jobs: list[bytes]
    epoch: bytes | None
    crawler: Crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        scheduler: Self = super().from_crawler(crawler)
        scheduler.worker = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        scheduler.leases_key = LEASES_KEY + scheduler.worker
        scheduler.heartbeat_interval = crawler.settings.getfloat("NEWS_WORKER_HEARTBEAT")
        scheduler.pop_leased = scheduler.server.register_script(_POP_LEASED)
        scheduler.enqueue_unseen = scheduler.server.register_script(_ENQUEUE_UNSEEN)
        scheduler.crawler = crawler
        scheduler.away = False
        scheduler.held = []
        scheduler.unreleased = []
        crawler.leases = scheduler  # type: ignore[attr-defined]
        return scheduler

    def open(self, spider: Spider) -> None:
        super().open(spider)
        self.jobs = sorted(self.server.smembers(JOBS_KEY))
        self.epoch = self.server.get(EPOCH_KEY)
        self.beat = task.LoopingCall(self.heartbeat)  # made here: a LoopingCall installs a reactor
        self.beat.start(self.heartbeat_interval)
        self.recover()

    def close(self, reason: str) -> None:
        if self.beat.running:
            self.beat.stop()
        # Every page handed out was done with (the store committed before the scheduler closes).
        with contextlib.suppress(redis.RedisError):
            self._back()
            self.server.delete(self.leases_key, HEARTBEAT_KEY + self.worker)
        if self.held:
            logger.error("Redis unreachable as the worker stops: %(n)d links it found are not queued",
                         {"n": len(self.held)})
        super().close(reason)

    def _gone(self, exc: redis.RedisError) -> None:
        if not self.away:
            logger.warning("Redis unreachable (%(error)s): links kept in memory until it answers", {"error": exc})
            if self.stats:
                self.stats.inc_value("news/frontier/redis_away")
        self.away = True

    def _back(self) -> None:
        """Redis answers: catch up with a crawl it lost, then queue the links and release the
        leases kept meanwhile."""
        self._catch_up()
        for n, request in enumerate(self.held):
            try:
                self._enqueue(request)
            except redis.RedisError:
                self.held = self.held[n:]  # gone again: the rest stay held
                raise
        self.held = []
        if self.unreleased:
            self.server.hdel(self.leases_key, *self.unreleased)
            self.unreleased = []
        if self.away:
            logger.warning("Redis answers again")
        self.away = False

    def _catch_up(self) -> None:
        """When the round's mark is not the one this worker began with, the queue and dupefilter it
        knew are gone: it forgets the links it requested, and the first worker to see the crawl's
        jobs gone too queues them again."""
        if self.server.get(EPOCH_KEY) == self.epoch:
            return
        if self.jobs and not self.server.exists(JOBS_KEY) and self.server.set(RESEED_KEY, self.worker, nx=True, ex=60):
            self._reseed([json.loads(job) for job in self.jobs])
        self.crawler.signals.send_catch_log(frontier_lost)
        self.epoch = self.server.get(EPOCH_KEY)

    def _reseed(self, jobs: list[dict[str, Any]]) -> None:
        queued = Frontier.from_server(self.server).enqueue(
            [({name: job[key] for name, key in PER_SITE_SETTINGS.items() if key in job},
              {key: value for key, value in job.items() if key not in PER_SITE_SETTINGS.values()}) for job in jobs],
            type(self.spider),
        )
        # The sitemaps robots.txt names: this worker read it before, and would not again.
        if (parse_robots := getattr(self.spider, "parse_robots", None)) is not None:
            starts = {url for job in jobs for url in split_arguments(job.get("urls"))}
            for robots in sorted({urljoin(url, "/robots.txt") for url in starts}):
                self.queue.push(Request(robots, callback=parse_robots, dont_filter=True,
                                        meta={"dont_obey_robotstxt": True}))
                queued += 1
        logger.warning("Redis lost the shared crawl (restarted without its data): %(n)d start requests queued again",
                       {"n": queued})
        if self.stats:
            self.stats.inc_value("news/frontier/reseeded")

    def heartbeat(self) -> None:
        try:
            if self.away:
                self._back()
            else:
                self._catch_up()
            self.server.set(HEARTBEAT_KEY + self.worker, 1, ex=max(1, int(3 * self.heartbeat_interval)))
            self._wake()
        except redis.RedisError as exc:
            self._gone(exc)

    def _wake(self) -> None:
        """Have the engine ask for requests now. Left alone, an engine that found the queue empty
        asks again only at its own heartbeat, every five seconds, while other workers fill the
        queue and take what they filled it with: a worker would sit out a crawl it could share."""
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None:
            slot.nextcall.schedule()

    def enqueue_request(self, request: Request) -> bool:
        """scrapy-redis's, with the dupefilter's check and the push to the (priority) queue in
        one Redis script; kept in memory while Redis is away."""
        if self.away:
            self.held.append(request)
            return True
        try:
            return self._enqueue(request)
        except redis.RedisError as exc:
            self._gone(exc)
            self.held.append(request)
            return True

    def _enqueue(self, request: Request) -> bool:
        """Queue ``request`` unless seen. One that carries a lease (a redirect or retry of a page
        this worker took, a request a middleware held back and sends again) is done with as a lease
        once queued: its lease is released then, and never before."""
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        lease = request.meta.pop(LEASE, None)
        try:
            queued = self.enqueue_unseen(
                keys=[self.df.key, self.df.key + ":counter", self.queue.key],
                args=[fingerprint, self.df.limit, -request.priority, self.queue._encode_request(request)],
            )
        except redis.RedisError:
            if lease is not None:
                request.meta[LEASE] = lease
            raise
        if lease is not None:
            self.release([lease])
        if not queued:
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        if self.away:
            return None
        lease = uuid.uuid4().hex
        try:
            data = self.pop_leased(keys=[self.queue.key, self.leases_key], args=[lease])
        except redis.RedisError as exc:
            self._gone(exc)
            return None
        if data is None:
            return None
        request: Request = self.queue._decode_request(data)
        request.meta[LEASE] = lease
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        """Links kept while Redis is away are pending: the worker does not stop for want of work."""
        if self.away or self.held:
            return True
        try:
            return bool(super().has_pending_requests())
        except redis.RedisError as exc:
            self._gone(exc)
            return True

    def release(self, leases: Iterable[str | None]) -> None:
        """The pages of these leases are done with."""
        done = [lease for lease in leases if lease]
        if not done:
            return
        if self.away:
            self.unreleased += done
            return
        try:
            self.server.hdel(self.leases_key, *done)
        except redis.RedisError as exc:
            self._gone(exc)
            self.unreleased += done

    def recover(self) -> int:
        """Put back in the queue what workers without a heartbeat had leased; how many."""
        try:
            return self._recover()
        except redis.RedisError as exc:
            self._gone(exc)
            return 0

    def _recover(self) -> int:
        """Claim each dead worker's leases by renaming its hash (one worker wins; the others find
        it gone), queue them, then drop the claim. A worker killed while it held a claim leaves
        the claim under its own name: the claims of workers without a heartbeat are taken over
        the same way, so a request is at worst queued twice, never lost."""
        recovered = 0
        keys = [*self.server.scan_iter(match=LEASES_KEY + "*"), *self.server.scan_iter(match=RECOVERING_KEY + "*")]
        for key in keys:
            name = key.decode()
            owner = name.removeprefix(LEASES_KEY) if name.startswith(LEASES_KEY) else name.removeprefix(RECOVERING_KEY).split(":", 1)[0]
            if owner == self.worker or self.server.exists(HEARTBEAT_KEY + owner):
                continue
            claimed = f"{RECOVERING_KEY}{self.worker}:{uuid.uuid4().hex[:8]}"
            try:
                self.server.rename(key, claimed)
            except redis.ResponseError:
                continue
            requests = self.server.hvals(claimed)
            for data in requests:
                self.queue.push(self.queue._decode_request(data))
            self.server.delete(claimed)
            recovered += len(requests)
            logger.warning("a worker stopped without finishing (%(worker)s): %(n)d of its requests queued again",
                           {"worker": owner, "n": len(requests)})
        if recovered and self.stats:
            self.stats.inc_value("news/frontier/recovered", recovered)
        return recovered


class BoundedDupeFilter(RFPDupeFilter):  # type: ignore[misc]
    """scrapy-redis's dupefilter holding at most ``NEWS_DUPEFILTER_MEMORY`` fingerprints, the
    most recent (0: all of a round). Exact: a URL it remembers is never fetched twice, and none
    is refused that was not seen (no false positives, unlike a Bloom filter); a URL seen longer ago
    than the last N may be fetched again, and a stored article is then still skipped by the
    database."""

    limit = 0

    @classmethod
    def from_spider(cls, spider: Spider) -> Self:
        dupefilter: Self = super().from_spider(spider)
        dupefilter.limit = spider.settings.getint("NEWS_DUPEFILTER_MEMORY")
        dupefilter.seen = dupefilter.server.register_script(_SEEN_BOUNDED)
        return dupefilter

    def request_seen(self, request: Request) -> bool:
        fingerprint = self.request_fingerprint(request)
        return bool(self.seen(keys=[self.key, self.key + ":counter"], args=[fingerprint, self.limit]))

    def clear(self) -> None:
        self.server.delete(self.key, self.key + ":counter")
