"""Downloader middlewares of a shared crawl (``crawler.distributed.frontier.use_redis`` adds
them): it is polite as one crawler, its per-site limits held in Redis for all its workers.

Each worker's Scrapy downloader applies ``DOWNLOAD_DELAY`` and ``CONCURRENT_REQUESTS_PER_DOMAIN``
(or a source's own values, ``DOWNLOAD_SLOTS``) to its own requests only: N workers would put N
times the load on a site. Here, before a request leaves a worker (just ahead of the download),
it takes a place at its site's gate in Redis: one script, run atomically, admits it only while
fewer than the site's concurrency are in flight across all workers and the site's delay
(randomised 0.5-1.5x as Scrapy does) has passed since the last request started anywhere, on
Redis's clock. A request turned away waits in its worker, without holding up other sites. Its
place is given back with its response or failure; a worker killed mid-request leaves places
that expire three heartbeats (``NEWS_WORKER_HEARTBEAT``) after it stopped keeping them alive.
While Redis does not answer, requests wait for it: no worker can know what the others send a site.

The gate carries the site's back-off too: a ``429`` or ``503`` with ``Retry-After`` pauses the
site for every worker for the time asked (capped by ``NEWS_RETRY_AFTER_MAX``); repeated failed
connections pause it for a time that doubles with each further failure; AutoThrottle's delay for
the site, as any worker computed it last, is the delay for all. And robots.txt is fetched once
per site per round (``NEWS_SHARED_ROBOTS_TTL``) by one worker, the others reading its copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from typing import TYPE_CHECKING, Any

import redis
from scrapy import signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.utils.httpobj import urlparse_cached
from scrapy_redis.connection import get_redis_from_settings
from twisted.internet import task
from twisted.internet.error import (
    ConnectError,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
)

from crawler.downloadermiddlewares.retry_after import retry_after

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.robotstxt import RobotParser

logger = logging.getLogger(__name__)

GATE_KEY = "newscrawl:site:"  # + site: hash of next_start, paused_until, throttle, failures
IN_FLIGHT_KEY = "newscrawl:inflight:"  # + site: sorted set of places, scored by their expiry
ROBOTS_KEY = "newscrawl:robots:"  # + netloc: status and body of its robots.txt, for a round
# Admit a request (ARGV: place, concurrency, delay, place lifetime, key lifetime): "0" when
# admitted, else the seconds to wait ("-1": full, ask again shortly). Redis's clock for all.
_ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local state = redis.call('HMGET', KEYS[1], 'next_start', 'paused_until', 'throttle')
local delay = math.max(tonumber(ARGV[3]), tonumber(state[3] or '0'))
local wait = math.max(tonumber(state[1] or '0') - now, tonumber(state[2] or '0') - now)
if wait > 0 then return tostring(wait) end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return '-1' end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[1])
redis.call('HSET', KEYS[1], 'next_start', now + delay)
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[5])
return '0'
"""
# Keep places alive (KEYS: in-flight sets; ARGV: lifetime, then one place per key), on Redis's clock.
_REFRESH = """
local t = redis.call('TIME')
local expiry = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[1])
for i, key in ipairs(KEYS) do redis.call('ZADD', key, 'XX', expiry, ARGV[i + 1]) end
return #KEYS
"""
# Pause a site (ARGV: seconds) unless it is paused for longer already.
_PAUSE = """
local t = redis.call('TIME')
local until_ = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[1])
if until_ > tonumber(redis.call('HGET', KEYS[1], 'paused_until') or '0') then
  redis.call('HSET', KEYS[1], 'paused_until', until_)
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""
# How long to wait before asking again when a site is full, and when Redis does not answer.
_FULL_WAIT, _REDIS_WAIT = 0.05, 0.5
# Failed connections in a row before a site counts as down, and its first pause (seconds).
DOWN_AFTER, DOWN_PAUSE, DOWN_PAUSE_MAX = 3, 5.0, 300.0
_CONNECTION_FAILURES = (ConnectError, ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError)
_PLACE = "news_site_place"  # request meta key
# Seconds a worker waits for another's copy of a robots.txt before fetching it itself.
ROBOTS_WAIT = 60.0


class SharedPolitenessMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.get("REDIS_URL"):
            raise NotConfigured("not a shared crawl")
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.server = get_redis_from_settings(settings)
        self.admit = self.server.register_script(_ADMIT)
        self.pause_script = self.server.register_script(_PAUSE)
        self.delay = settings.getfloat("DOWNLOAD_DELAY")
        self.concurrency = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        self.slots = settings.getdict("DOWNLOAD_SLOTS")
        self.randomize = settings.getbool("RANDOMIZE_DOWNLOAD_DELAY")
        self.autothrottle = settings.getbool("AUTOTHROTTLE_ENABLED")
        self.retry_after_max = settings.getfloat("NEWS_RETRY_AFTER_MAX")
        # A worker keeps its places alive at each heartbeat; a killed worker's expire after three.
        self.heartbeat = max(0.5, settings.getfloat("NEWS_WORKER_HEARTBEAT"))
        self.place_lifetime = 3 * self.heartbeat
        self.key_lifetime = 24 * 3600
        self.refresh = self.server.register_script(_REFRESH)
        self.places: dict[str, str] = {}
        self.keeper: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def spider_opened(self) -> None:
        self.keeper = task.LoopingCall(self._keep_places)  # made here: a LoopingCall installs a reactor
        self.keeper.start(self.heartbeat, now=False)

    def spider_closed(self) -> None:
        if self.keeper is not None and self.keeper.running:
            self.keeper.stop()

    def _keep_places(self) -> None:
        places = list(self.places.items())
        if places:
            with contextlib.suppress(redis.RedisError):  # Redis away: they expire, and the sites wait
                self.refresh(keys=[IN_FLIGHT_KEY + site for _, site in places],
                             args=[self.place_lifetime, *(place for place, _ in places)])

    def _site(self, request: Request) -> str:
        """The site as Scrapy's downloader names its slot: a source's slot, else the host."""
        return str(request.meta.get("download_slot") or urlparse_cached(request).hostname or "")

    def _limits(self, site: str) -> tuple[int, float]:
        own = self.slots.get(site, {})
        concurrency = int(own.get("concurrency", self.concurrency))
        delay = float(own.get("delay", self.delay))
        if self.randomize and delay:
            delay *= random.uniform(0.5, 1.5)
        return max(1, concurrency), delay

    async def process_request(self, request: Request) -> None:
        site = self._site(request)
        place = uuid.uuid4().hex
        concurrency, delay = self._limits(site)
        waited = 0.0
        while True:
            try:
                answer = float(await asyncio.to_thread(
                    self.admit, keys=[GATE_KEY + site, IN_FLIGHT_KEY + site],
                    args=[place, concurrency, delay, self.place_lifetime, self.key_lifetime],
                ))
            except redis.RedisError:
                # Redis away: no site knows what the other workers send it; wait for Redis.
                answer = _REDIS_WAIT
            if answer == 0:
                break
            pause = _FULL_WAIT if answer < 0 else min(answer, 1.0)
            waited += pause
            await asyncio.sleep(pause)
        if waited:
            self.stats.inc_value("news/politeness/waited")
        request.meta[_PLACE] = (site, place)
        self.places[place] = site

    async def process_response(self, request: Request, response: Response) -> Response:
        with contextlib.suppress(redis.RedisError):  # Redis away: the site's state waits for the next answer
            await self._report(request, response)
        return response

    async def _report(self, request: Request, response: Response) -> None:
        site = await self._leave(request)
        if site is None:
            return
        state = GATE_KEY + site
        if response.status in (429, 503) and (header := response.headers.get(b"Retry-After")):
            asked = retry_after(header.decode("latin-1"), time.time())
            if asked:
                await self._pause(site, min(asked, self.retry_after_max), f"{response.status} Retry-After")
        updates: dict[str, Any] = {"failures": 0}
        slot = self.crawler.engine.downloader.slots.get(site) if self.crawler.engine else None
        if self.autothrottle and slot is not None and not request.meta.get("autothrottle_dont_adjust_delay"):
            updates["throttle"] = slot.delay
        await asyncio.to_thread(self.server.hset, state, mapping=updates)

    async def process_exception(self, request: Request, exception: Exception) -> None:
        with contextlib.suppress(redis.RedisError):
            await self._failed(request, exception)

    async def _failed(self, request: Request, exception: Exception) -> None:
        site = await self._leave(request)
        if site is None or not isinstance(exception, _CONNECTION_FAILURES):
            return
        failures = int(await asyncio.to_thread(self.server.hincrby, GATE_KEY + site, "failures", 1))
        if failures >= DOWN_AFTER:
            await self._pause(site, min(DOWN_PAUSE * 2 ** (failures - DOWN_AFTER), DOWN_PAUSE_MAX),
                              f"{failures} failed connections in a row")

    async def _leave(self, request: Request) -> str | None:
        """Give back the request's place at its site's gate; the site, or None if it had none."""
        taken = request.meta.pop(_PLACE, None)
        if taken is None:
            return None
        site, place = taken
        self.places.pop(place, None)
        await asyncio.to_thread(self.server.zrem, IN_FLIGHT_KEY + site, place)
        return str(site)

    async def _pause(self, site: str, seconds: float, why: str) -> None:
        await asyncio.to_thread(self.pause_script, keys=[GATE_KEY + site], args=[seconds, self.key_lifetime])
        self.stats.inc_value("news/politeness/paused")
        logger.info("%(site)s paused for every worker for %(seconds).1f s: %(why)s",
                    {"site": site, "seconds": seconds, "why": why})


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, fetching each site's robots.txt once per round for all
    workers: the first to need it takes a lock in Redis and fetches it, the others wait for its
    copy. Each still honours the rules."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        if not settings.get("REDIS_URL"):
            raise NotConfigured("not a shared crawl")
        self.server = get_redis_from_settings(settings)
        self.ttl = settings.getint("NEWS_SHARED_ROBOTS_TTL")

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        if netloc not in self._parsers:
            try:
                if (copy := await self._shared_copy(netloc)) is not None:
                    return copy
            except redis.RedisError:
                pass  # Redis away: this worker fetches it
        return await super().robot_parser(request)

    async def _shared_copy(self, netloc: str) -> RobotParser | None:
        """Another worker's copy of the site's robots.txt; None when this worker is to fetch it."""
        key = ROBOTS_KEY + netloc
        deadline = time.monotonic() + ROBOTS_WAIT
        while True:
            if cached := await asyncio.to_thread(self.server.hgetall, key):
                return self._from_copy(netloc, cached)
            if await asyncio.to_thread(self.server.set, key + ":lock", "1", nx=True, ex=int(ROBOTS_WAIT)):
                return None  # this worker fetches it
            if time.monotonic() > deadline:
                return None  # the worker that took the lock is gone: fetch it here
            await asyncio.sleep(0.1)

    def _from_copy(self, netloc: str, cached: dict[bytes, bytes]) -> RobotParser:
        self._stats.inc_value("news/robotstxt/shared_copy")
        parser = self._parserimpl.from_crawler(self.crawler, cached.get(b"body", b""))
        self._parsers[netloc] = parser
        return parser

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        key = ROBOTS_KEY + netloc
        with contextlib.suppress(redis.RedisError):
            await asyncio.to_thread(self.server.hset, key, mapping={"status": response.status, "body": response.body})
            await asyncio.to_thread(self.server.expire, key, self.ttl)
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        # Unreadable for this worker, which then obeys no rule (Scrapy's way); another may try.
        with contextlib.suppress(redis.RedisError):
            self.server.delete(ROBOTS_KEY + netloc + ":lock")
        super()._robots_error(exc, netloc)
