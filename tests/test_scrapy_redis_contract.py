"""The behaviours of scrapy-redis that newscrawl's shared crawl relies on, pinned: an upgrade (or a
fork, docs/operations.md) that changes one of them fails here, not in a crawl.

newscrawl uses its request queue, its dupefilter's fingerprint and its scheduler's persistence;
it replaces the scheduler's enqueue and dequeue (``LeasingScheduler``) and bounds the dupefilter
(``BoundedDupeFilter``) with Redis scripts of its own, which read and write those same keys.
"""

from __future__ import annotations

import pytest
import redis
import scrapy_redis
from scrapy import Request, Spider
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from scrapy_redis import picklecompat
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from crawler.distributed.frontier import DUPEFILTER_KEY, QUEUE_KEY, LeasingScheduler, use_redis

# scrapy-redis 0.9 logs through Spider.log, which Scrapy 2.19 deprecates (the frontier module
# silences it for crawls; pytest's own filters are set anew for each test).
pytestmark = pytest.mark.filterwarnings("ignore:Spider.log:scrapy.exceptions.ScrapyDeprecationWarning")


class _Spider(Spider):
    name = "pinned"

    def parse(self, response):  # type: ignore[no-untyped-def]
        return None

    def on_error(self, failure):  # type: ignore[no-untyped-def]
        return None


def test_the_pinned_release_is_the_one_installed():
    # The behaviours below were read off 0.9.1; a new release is to be read again before use.
    assert scrapy_redis.__version__ == "0.9.1"


def test_the_queue_is_a_sorted_set_popped_lowest_score_first(redis_url):
    server = redis.Redis.from_url(redis_url)
    spider = _Spider()
    queue = PriorityQueue(server, spider, QUEUE_KEY, picklecompat)
    for url, priority in (("http://s/low", -5), ("http://s/high", 10), ("http://s/mid", 0)):
        queue.push(Request(url, priority=priority))
    # newscrawl's enqueue script writes the same score (-priority) into the same key.
    assert [(int(score)) for _, score in server.zrange(QUEUE_KEY, 0, -1, withscores=True)] == [-10, 0, 5]
    assert [queue.pop().url for _ in range(3)] == ["http://s/high", "http://s/mid", "http://s/low"]
    assert queue.pop() is None and len(queue) == 0


def test_a_queued_request_comes_back_whole(redis_url):
    server = redis.Redis.from_url(redis_url)
    spider = _Spider()
    queue = PriorityQueue(server, spider, QUEUE_KEY, picklecompat)
    request = Request("http://s/a?x=1", callback=spider.parse, errback=spider.on_error, priority=3,
                      meta={"hints": {"title": "T"}, "depth": 2}, dont_filter=True)
    # What newscrawl's scripts store and read back: the queue's own encoding.
    back = queue._decode_request(queue._encode_request(request))
    assert (back.url, back.priority, back.dont_filter, back.meta) == (request.url, 3, True, request.meta)
    assert back.callback == spider.parse and back.errback == spider.on_error


def test_the_fingerprint_is_the_canonical_url_method_and_body_not_scrapys():
    fingerprint = RFPDupeFilter.request_fingerprint
    dupefilter = RFPDupeFilter.__new__(RFPDupeFilter)
    same = [Request("http://s/a?b=2&a=1"), Request("http://s/a?a=1&b=2"), Request("http://s/a?a=1&b=2#part")]
    assert len({fingerprint(dupefilter, request) for request in same}) == 1
    # Tracking parameters are not its business: newscrawl cleans URLs before they are queued.
    assert fingerprint(dupefilter, Request("http://s/a?utm_source=x")) != fingerprint(dupefilter, Request("http://s/a"))
    assert fingerprint(dupefilter, Request("http://s/a", method="POST")) != fingerprint(dupefilter, Request("http://s/a"))


def test_a_worker_that_stops_leaves_the_queue_and_dupefilter_for_the_others(redis_url):
    server = redis.Redis.from_url(redis_url)
    shared = Settings()
    use_redis(shared, redis_url)
    crawler = get_crawler(_Spider, {
        "NEWS_DUPEFILTER_MEMORY": 0, "NEWS_WORKER_HEARTBEAT": 10,
        **{name: value for name, value in shared.copy_to_dict().items() if name.startswith(("REDIS_", "SCHEDULER", "DUPEFILTER"))},
    })
    assert crawler.settings.getbool("SCHEDULER_PERSIST") and not crawler.settings.getbool("SCHEDULER_FLUSH_ON_START")
    spider = _Spider.from_crawler(crawler)
    scheduler = LeasingScheduler.from_crawler(crawler)
    # scrapy-redis's part of opening and closing: its queue and dupefilter, without the heartbeat.
    Scheduler.open(scheduler, spider)
    assert scheduler.enqueue_request(Request("http://s/one"))
    assert scheduler.has_pending_requests()
    Scheduler.close(scheduler, "finished")
    assert server.zcard(QUEUE_KEY) == 1 and server.zcard(DUPEFILTER_KEY) == 1
    Scheduler.open(scheduler, spider)  # the next worker to open finds both as they were
    assert len(scheduler) == 1 and not scheduler.enqueue_request(Request("http://s/one"))
