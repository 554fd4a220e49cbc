"""A worker of a shared crawl stops once no worker has found work for it a while.

Left to Scrapy, a worker would stop the moment the shared queue is empty, while other workers may
still be finding links; scrapy-redis's own spiders wait on an empty queue forever instead.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


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
        scheduler = getattr(self.crawler, "leases", None)
        if scheduler is not None and (scheduler.away or scheduler.held or scheduler.recover()):
            self.idle_since = None  # Redis away is no empty queue: wait for it
            raise DontCloseSpider
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.timeout:
            raise DontCloseSpider
        logger.info("shared queue empty for %(seconds).0f s: stopping", {"seconds": self.timeout})
