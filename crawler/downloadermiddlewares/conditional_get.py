"""Conditional GET for listing pages: home, sections, feeds, sitemaps.

The spider middleware ``crawler.spidermiddlewares.listing_pages`` keeps every page that yielded
no article and came with an ``ETag`` or ``Last-Modified``, body included, in ``listing_pages``.
This downloader middleware sends those validators back on the next crawl; a 304 Not Modified is
answered with the kept body, so the spider crawls the page's links again without downloading
it, and stored articles among them are skipped before scheduling.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes

from crawler.storage.best_effort import BestEffortDatabase
from crawler.storage.pages import NOT_MODIFIED, kept_page, listing_validators

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

# The URL whose validators a request carries (a retry keeps them, a redirect gets its own).
_META = "news_conditional"
_HEADERS = ("If-None-Match", "If-Modified-Since")
Validators = dict[str, tuple[str | None, str | None]]


class ConditionalGetMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("NEWS_CONDITIONAL_GET"):
            raise NotConfigured("NEWS_CONDITIONAL_GET is off")
        self.crawler = crawler
        self.db = BestEffortDatabase(crawler, "news/conditional/db_error", "conditional GET off: downloading pages in full")
        self.stats = self.db.stats
        self._validators: Validators | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        if request.method != "GET" or request.meta.get(_META) == request.url:
            return  # a retry keeps what was decided for it
        # A redirect copies the headers of the request it follows: those validators are not this URL's.
        for header in _HEADERS:
            request.headers.pop(header, None)
        request.meta[_META] = request.url
        if self._validators is None:
            # Listing pages are few: load them all once, not one query per request.
            hosts = list(getattr(self.crawler.spider, "hosts", []))
            loaded: Validators = await self.db.run(lambda s: listing_validators(s, hosts), {})
            self._validators = loaded
        etag, last_modified = self._validators.get(request.url, (None, None))
        if etag:
            request.headers["If-None-Match"] = etag
        if last_modified:
            request.headers["If-Modified-Since"] = last_modified

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status != 304 or not any(header in request.headers for header in _HEADERS):
            return response
        page = await self.db.run(lambda s: kept_page(s, request.url), None)
        if page is None:
            # The kept copy is gone (or unreadable): ask for the page in full.
            self.stats.inc_value("news/conditional/refetched")
            retry = request.replace(dont_filter=True)
            for header in _HEADERS:
                retry.headers.pop(header, None)
            return retry
        self.stats.inc_value("news/conditional/not_modified")
        headers = Headers({"Content-Type": page.content_type} if page.content_type else {})
        cls = responsetypes.from_args(headers=headers, url=page.url, body=page.body)
        return cls(url=response.url, status=200, headers=headers, body=page.body, request=request,
                   flags=[*response.flags, NOT_MODIFIED])
