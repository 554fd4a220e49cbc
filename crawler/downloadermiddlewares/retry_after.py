"""Wait as long as a server asks before retrying it.

Scrapy's RetryMiddleware retries a 429 or 503 at once, and a rate-limited site answers the
retries with 429 again until they run out. This middleware sits just before it on the way back
from the download: a response that carries ``Retry-After`` (seconds or an HTTP date) is held
that long, capped by ``NEWS_RETRY_AFTER_MAX``, then handed on to be retried.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)


def retry_after(value: str, now: float) -> float | None:
    """Seconds a Retry-After header asks for; None when it is unreadable."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


class RetryAfterMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("RETRY_ENABLED"):
            raise NotConfigured
        self.codes = {int(code) for code in settings.getlist("RETRY_HTTP_CODES")} & {429, 503}
        self.ceiling = settings.getfloat("NEWS_RETRY_AFTER_MAX")
        self.retries = settings.getint("RETRY_TIMES")
        assert crawler.stats is not None
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Response:
        header = response.headers.get(b"Retry-After")
        if response.status not in self.codes or not header or request.meta.get("dont_retry"):
            return response
        if request.meta.get("retry_times", 0) >= request.meta.get("max_retry_times", self.retries):
            return response  # no retry left to wait for
        asked = retry_after(header.decode("latin-1"), time.time())
        if asked is None:
            return response
        wait = min(asked, self.ceiling)
        self.stats.inc_value("news/retry_after/waited")
        logger.info("%(url)s answered %(status)d, Retry-After %(asked).0f s: retrying in %(wait).0f s",
                    {"url": request.url, "status": response.status, "asked": asked, "wait": wait})
        await asyncio.sleep(wait)
        return response
