"""The ``news`` spider: crawl news sites from their start pages, feeds and sitemaps, and hand
article pages to extraction.

Feed and sitemap entries are requested with what they say of the article (``hints``). Every
HTML page is followed (home, sections, pagination, articles with their related links);
pages with article evidence are yielded as ``PageItem`` for ``ExtractPipeline``, which keeps the
ones with a real body. Trap guards keep the crawl finite: session ids are stripped from URLs
before scheduling, repeated-segment and out-of-range calendar paths are refused, and Scrapy's
depth and URL length limits apply.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.utils.sitemap import sitemap_urls_from_robots

from crawler.dates import cutoff, parse_date
from crawler.feeds import FEED_TYPES, NotAFeed, parse_feed
from crawler.items import PageItem
from crawler.sitemaps import NotASitemap, parse_sitemap
from crawler.urls import (
    clean_url,
    host_of,
    is_pagination,
    is_trap,
    looks_like_article,
    looks_like_listing,
    on_site,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import TextResponse
    from scrapy.settings import BaseSettings
    from twisted.python.failure import Failure

_REL_NEXT = (
    "//a[contains(concat(' ', normalize-space(@rel), ' '), ' next ')]/@href"
    " | //link[contains(concat(' ', normalize-space(@rel), ' '), ' next ')]/@href"
)
_JSONLD_ARTICLE = re.compile(
    r'"@type"\s*:\s*\[?[^\]}]*"(?:\w*NewsArticle|Article|BlogPosting|Report)"'
)


def _split(value: str | list[str] | None) -> list[str]:
    if not value:
        return []
    items = value.split(",") if isinstance(value, str) else value
    return [item.strip() for item in items if item.strip()]


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(
        self,
        urls: str | list[str] | None = None,
        allowed_domains: str | list[str] | None = None,
        source: str | None = None,
        feeds: str | list[str] | None = None,
        sitemaps: str | list[str] | None = None,
        allow: str | list[str] | None = None,
        deny: str | list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.start_urls = _split(urls)
        self.feeds = _split(feeds)
        self.sitemaps = _split(sitemaps)
        inputs = [*self.start_urls, *self.feeds, *self.sitemaps]
        if not inputs:
            raise ValueError("no start URLs: pass -a urls=https://example.org/,https://example.com/")
        for url in inputs:
            if not url.startswith(("http://", "https://")) or not host_of(url):
                raise ValueError(f"not an http(s) URL: {url!r}")
        self.hosts = sorted({host_of(u) for u in inputs} | {
            d.lower().removeprefix("www.") for d in _split(allowed_domains)
        })
        # Scrapy's OffsiteMiddleware reads this too; it ignores ports, as we do.
        self.allowed_domains = list(self.hosts)
        self.source = source.strip() if source and source.strip() else None
        # Link filters of the sources file: follow only links matching an allow pattern (when
        # there are any) and none of the deny patterns. Start URLs are always fetched.
        self.allow = [re.compile(p) for p in _split(allow)]
        self.deny = [re.compile(p) for p in _split(deny)]
        self.arguments = {
            "urls": self.start_urls, "feeds": self.feeds, "sitemaps": self.sitemaps,
            "allowed_domains": self.hosts, "source": self.source,
        }
        self.link_extractor = LinkExtractor()
        self.session_params: list[str] = []
        self.max_pagination = 0
        self.since: dt.datetime | None = None
        self.languages: set[str] = set()

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        # Rebuild the user agent from NEWS_CONTACT_URL unless the operator set one of their own.
        if (settings.getpriority("USER_AGENT") or 0) <= SETTINGS_PRIORITIES["project"]:
            user_agent = f"newscrawl/0.1 (+{settings.get('NEWS_CONTACT_URL')})"
            settings.set("USER_AGENT", user_agent, priority="project")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.session_params = crawler.settings.getlist("NEWS_SESSION_PARAMS")
        spider.max_pagination = crawler.settings.getint("NEWS_MAX_PAGINATION")
        since = crawler.settings.get("NEWS_SINCE")
        spider.since = cutoff(since, dt.datetime.now(dt.UTC)) if since else None
        spider.languages = {lang.lower() for lang in crawler.settings.getlist("NEWS_LANGUAGES")}
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.start_urls:
            yield scrapy.Request(clean_url(url, self.session_params), errback=self.on_error)
        for url in self.feeds:
            yield scrapy.Request(url, callback=self.parse_feed, errback=self.on_error)
        for url in self.sitemaps:
            yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error)
        # Sites list their sitemaps in robots.txt.
        for root in dict.fromkeys(urljoin(url, "/robots.txt") for url in self.start_urls):
            yield scrapy.Request(root, callback=self.parse_robots)  # a missing robots.txt is no error

    def too_old(self, date: str | None) -> bool:
        """Whether a feed or sitemap date puts an entry before the NEWS_SINCE window (then it is
        never fetched); an entry without a readable date is fetched and judged by its page."""
        parsed = parse_date(date) if date and self.since else None
        if parsed is None or self.since is None or parsed[0] >= self.since:
            return False
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("news/since/skipped")
        return True

    def wrong_language(self, code: str | None) -> bool:
        """Whether a sitemap or link says its page is in a language outside NEWS_LANGUAGES
        (then it is never fetched); pages of unknown language are fetched and judged by their text."""
        if not code or not self.languages or code.split("-")[0].strip().lower() in self.languages:
            return False
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("news/language/skipped")
        return True

    def parse_robots(self, response: Any) -> Iterator[scrapy.Request]:
        for url in sitemap_urls_from_robots(response.body, base_url=response.url):
            if on_site(url, self.hosts):
                yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error)

    def parse_sitemap(self, response: Any) -> Iterator[scrapy.Request]:
        """Article requests for a sitemap's URLs (with news sitemap metadata), sitemaps for an index."""
        stats = self.crawler.stats
        assert stats is not None
        try:
            kind, entries, problems = parse_sitemap(response.body, self.settings.getint("DOWNLOAD_MAXSIZE"))
        except NotASitemap as exc:
            stats.inc_value("news/sitemap/invalid")
            self.logger.warning("not a sitemap, skipped: %(url)s (%(reason)s)", {"url": response.url, "reason": exc})
            return
        stats.inc_value("news/sitemap/parsed")
        for problem in problems[:5]:
            self.logger.warning("sitemap %(url)s: %(problem)s", {"url": response.url, "problem": problem})
        for entry in entries:
            url = clean_url(response.urljoin(entry.loc), self.session_params)
            if not on_site(url, self.hosts):
                continue
            if kind == "index":
                yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error)
            elif not self.wrong_language(entry.language) and not self.too_old(entry.published or entry.lastmod):
                stats.inc_value("news/sitemap/entries")
                yield scrapy.Request(url, meta={"hints": entry.hints()}, errback=self.on_error)

    def parse_feed(self, response: Any) -> Iterator[scrapy.Request]:
        """Article requests for a feed's entries, carrying what the feed says of each."""
        stats = self.crawler.stats
        assert stats is not None
        try:
            entries = parse_feed(response.body)
        except NotAFeed as exc:
            stats.inc_value("news/feed/invalid")
            self.logger.warning("not a feed, skipped: %(url)s (%(reason)s)", {"url": response.url, "reason": exc})
            return
        stats.inc_value("news/feed/parsed")
        for entry in entries:
            url = clean_url(response.urljoin(entry.link), self.session_params)
            if on_site(url, self.hosts) and not self.too_old(entry.published):
                stats.inc_value("news/feed/entries")
                yield scrapy.Request(url, meta={"hints": entry.hints()}, errback=self.on_error)

    def parse(self, response: Any, **kwargs: Any) -> Iterator[scrapy.Request | PageItem]:
        stats = self.crawler.stats
        assert stats is not None
        if not isinstance(response, HtmlResponse):
            stats.inc_value("news/page/not_html")
            return
        if self.is_article(response):
            stats.inc_value("news/page/article_candidate")
            yield PageItem(
                url=response.url,
                html=response.text,
                fetched_at=dt.datetime.now(dt.UTC),
                source=self.source,
                hints=response.meta.get("hints", {}),
                redirected_from=list(response.meta.get("redirect_urls", [])),
            )
        else:
            stats.inc_value("news/page/navigation")
        if response.meta.get("depth", 0) == 0:
            yield from self.discover_feeds(response)
        yield from self.follow_links(response)

    def discover_feeds(self, response: TextResponse) -> Iterator[scrapy.Request]:
        """Feeds a start page announces with ``<link rel="alternate" type="...rss+xml">``."""
        stats = self.crawler.stats
        assert stats is not None
        for link in response.xpath("//link[@href][contains(concat(' ', normalize-space(@rel), ' '), ' alternate ')]"):
            if (link.attrib.get("type") or "").split(";")[0].strip().lower() in FEED_TYPES:
                url = response.urljoin(link.attrib["href"])
                if on_site(url, self.hosts):
                    stats.inc_value("news/feed/discovered")
                    yield scrapy.Request(url, callback=self.parse_feed, errback=self.on_error)

    def is_article(self, response: TextResponse) -> bool:
        """Positive evidence wins; listing evidence rules a page out; else extraction decides.

        ``og:type`` "website" alone is weak evidence: many publishers put it on every page.
        """
        og_type = (response.xpath("//meta[@property='og:type']/@content").get() or "").strip().lower()
        jsonld = " ".join(response.xpath("//script[@type='application/ld+json']/text()").getall())
        if og_type == "article" or _JSONLD_ARTICLE.search(jsonld) or looks_like_article(response.url):
            return True
        return og_type not in {"website", "profile"} and not looks_like_listing(response.url)

    def follow_links(self, response: TextResponse) -> Iterator[scrapy.Request]:
        stats = self.crawler.stats
        assert stats is not None
        next_pages = {response.urljoin(href) for href in response.xpath(_REL_NEXT).getall()}
        hrefs = [link.url for link in self.link_extractor.extract_links(response)]
        # Language versions a page names: <a hreflang> and <link rel="alternate" hreflang>.
        hreflangs = {
            response.urljoin(link.attrib["href"]): link.attrib["hreflang"]
            for link in response.xpath("//a[@hreflang][@href] | //link[@hreflang][@href]")
            if link.attrib["hreflang"].strip().lower() != "x-default"
        } if self.languages else {}
        pagination_depth = response.meta.get("pagination_depth", 0) + 1
        for href in dict.fromkeys([*hrefs, *next_pages]):
            url = clean_url(href, self.session_params)
            if not on_site(url, self.hosts):
                continue
            if (self.allow and not any(p.search(url) for p in self.allow)) or any(
                p.search(url) for p in self.deny
            ):
                stats.inc_value("news/link/filtered")
                continue
            if self.wrong_language(hreflangs.get(href)):
                continue
            trap = is_trap(url)
            if trap:
                stats.inc_value(f"news/trap/{trap}")
                continue
            meta = {}
            if href in next_pages or is_pagination(url):
                if pagination_depth > self.max_pagination:
                    stats.inc_value("news/trap/pagination")
                    continue
                # Page 40 of a section is as close to its articles as page 1: DEPTH_LIMIT bounds
                # chains of other links, NEWS_MAX_PAGINATION bounds "next page" chains.
                meta = {"depth_reset": True, "pagination_depth": pagination_depth}
            yield scrapy.Request(url, meta=meta, errback=self.on_error)

    def on_error(self, failure: Failure) -> None:
        if isinstance(failure.value, IgnoreRequest):
            return  # refused on purpose (robots.txt, offsite): counted by the refusing component
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value(f"news/request_error/{failure.type.__name__ if failure.type else 'unknown'}")
        self.logger.info("request failed: %(error)s", {"error": failure.getErrorMessage()})
