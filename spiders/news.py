"""The ``news`` spider: crawl news sites from their start pages, feeds and sitemaps, and yield their articles.

Feed and sitemap entries are requested with what they say of the article (``hints``). Every HTML page is
followed (home, sections, pagination, articles with their related links). Each HTML page is parsed once, in
the page pool (``crawler.extraction.workers``): its links, and its article when it has one, come back
together; the spider schedules the one and yields the other. Trap guards keep the crawl finite: session ids
are stripped from URLs before scheduling, repeated-segment and out-of-range calendar paths are refused, and
Scrapy's depth and URL length limits apply.

A copy of an article (AMP, print, another address) follows its canonical page: the spider requests that
page, and the copy waits for its outcome (``crawler.dedupe.copies``), or is stored as it is once the crawl
has nothing left to do.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.sitemap import sitemap_urls_from_robots

from crawler.dedupe import CopyBook
from crawler.discovery import NotAFeed, NotASitemap, parse_feed, parse_sitemap, select_sources
from crawler.distributed.leases import LEASE, frontier_lost, release
from crawler.downloadermiddlewares.copy_links import HeldBack
from crawler.downloadermiddlewares.site_slots import slot_settings
from crawler.extensions.site_counts import count_error, count_site, paywalled
from crawler.extraction.analysis import (
    LinkRules,
    PageAnalysis,
    SiteRules,
    checked_patterns,
    outside,
    site_rules,
)
from crawler.extraction.charset import looks_binary
from crawler.extraction.dates import cutoff, parse_date
from crawler.extraction.workers import PagePool
from crawler.items import ArticleItem
from crawler.signals import page_parsed
from crawler.urls import (
    address_key,
    clean_url,
    host_of,
    is_http_url,
    on_site,
    site_hosts,
    split_arguments,
)
from crawler.validation import check_crawl_settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response, TextResponse
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector
    from twisted.python.failure import Failure

# Faults that Scrapy reports as IgnoreRequest, told apart by its message.
_IGNORED_FAULTS = {"max redirections reached": "TooManyRedirects", "DOWNLOAD_MAXSIZE": "DecompressedTooLarge"}
# Links remembered by ``follow``: about 10 MB.
FOLLOWED_MEMORY = 50_000


class NewsSpider(scrapy.Spider):
    name = "news"
    # Whether the spider crawls from URLs of its own (the archive spider reads files instead).
    starts_from_urls = True

    def __init__(
        self,
        urls: str | list[str] | None = None,
        allowed_domains: str | list[str] | None = None,
        source: str | None = None,
        feeds: str | list[str] | None = None,
        sitemaps: str | list[str] | None = None,
        allow: str | list[str] | None = None,
        deny: str | list[str] | None = None,
        sites: dict[str, dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.start_urls = split_arguments(urls)
        self.feeds = split_arguments(feeds)
        self.sitemaps = split_arguments(sitemaps)
        inputs = [*self.start_urls, *self.feeds, *self.sitemaps]
        if not inputs and not allowed_domains and self.starts_from_urls:
            raise ValueError("no start URLs: pass -a urls=https://example.org/,https://example.com/")
        for url in inputs:
            if not is_http_url(url):
                raise ValueError(f"not an http(s) URL: {url!r}")
        self.hosts = site_hosts(inputs, split_arguments(allowed_domains))
        # Scrapy's OffsiteMiddleware reads this too; it ignores ports, as we do.
        self.allowed_domains = list(self.hosts)
        self.source = source.strip() if source and source.strip() else None
        # Link filters of the sources file: follow only links, feed and sitemap entries matching
        # an allow pattern (when there are any) and none of the deny patterns. Start URLs (and
        # sitemaps an index names) are always fetched. NEWS_SINCE and NEWS_LANGUAGES join them
        # once the settings are known (``from_crawler``).
        self.link_rules = LinkRules(tuple(self.hosts), crawl=SiteRules(self.source, checked_patterns(allow), checked_patterns(deny)))
        # A worker of a shared crawl (crawler.distributed.frontier) starts from no URL of its own and crawls
        # the sites of several sources, each with its source's rules (``Frontier.worker_arguments``).
        self.site_arguments = dict(sites or {})
        self.arguments = {
            "urls": self.start_urls, "feeds": self.feeds, "sitemaps": self.sitemaps,
            "allowed_domains": self.hosts, "source": self.source,
        }
        self.pages: PagePool | None = None
        # The links most recently requested, with their depth: a bounded memory in front of the
        # scheduler's dupefilter (see ``follow``).
        self.followed: OrderedDict[str, int] = OrderedDict()
        self.copies = CopyBook(FOLLOWED_MEMORY)
        # Copies handed to the item pipelines when the crawl ran dry, until they are through.
        self._storing: set[asyncio.Task[None]] = set()
        self.session_params: list[str] = []
        # The URL parameters dropped from canonical URLs (tracking, session ids).
        self.drop_params: list[str] = []
        self.max_pagination = 0
        # Whether the spider requests its start sites' robots.txt for their Sitemap: lines: only
        # when robots.txt is not obeyed (see ``from_crawler``); a shared crawl's queue never
        # holds such requests, its workers read the copies fetched for the rules.
        self.requests_robots_txt = False

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        # Rebuild the user agent from NEWS_CONTACT_URL unless the operator set one of their own.
        # At the spider's priority: a runner given a built crawler merges its own settings into
        # it, and its project-level user agent, naming the project's page, would win otherwise.
        if (settings.getpriority("USER_AGENT") or 0) <= SETTINGS_PRIORITIES["project"]:
            user_agent = f"newscrawl/0.1 (+{settings.get('NEWS_CONTACT_URL')})"
            settings.set("USER_AGENT", user_agent, priority="spider")

    @classmethod
    def source_arguments(cls, settings: BaseSettings, given: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The settings a crawl's arguments bring, and the arguments in full.

        ``-a source=NAME`` alone (as Scrapyd's schedule.json passes it) names a source of NEWS_SOURCES_FILE:
        the crawl takes its URLs and patterns, and its ``since``, ``language``, ``max_pages`` and
        ``settings`` below ``-s``. Raises ValueError (``SourcesError``) for an unusable sources file or an unknown source.
        """
        if not (cls.starts_from_urls and given.get("source")) or any(
            given.get(k) for k in ("urls", "feeds", "sitemaps", "allowed_domains")
        ):
            return {}, given
        source = select_sources(Path(settings.get("NEWS_SOURCES_FILE")), [given["source"]])[0]
        return source.overrides(), {**source.arguments(), **given}

    @classmethod
    def check_arguments(cls, settings: BaseSettings, given: dict[str, Any]) -> None:
        """Raise ValueError, with a message for the operator, for arguments no crawl can start
        from (``scrapy crawl`` checks them before it starts: ``crawler.commands.crawl``)."""
        overrides, arguments = cls.source_arguments(settings, given)
        check_crawl_settings(settings, overrides)
        cls(**arguments)  # __init__ refuses missing and malformed start URLs and patterns

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        overrides, kwargs = cls.source_arguments(crawler.settings, kwargs)
        if overrides:  # not frozen yet: Scrapy applies the settings once the spider is made
            crawler.settings.setdict(overrides, priority="spider")
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.session_params = crawler.settings.getlist("NEWS_SESSION_PARAMS")
        spider.drop_params = [*crawler.settings.getlist("NEWS_TRACKING_PARAMS"), *spider.session_params]
        spider.max_pagination = crawler.settings.getint("NEWS_MAX_PAGINATION")
        since, now = crawler.settings.get("NEWS_SINCE"), dt.datetime.now(dt.UTC)
        languages = frozenset(lang.lower() for lang in crawler.settings.getlist("NEWS_LANGUAGES"))
        crawl = dataclasses.replace(spider.link_rules.crawl, since=cutoff(since, now) if since else None, languages=languages)
        spider.link_rules = LinkRules(
            tuple(spider.hosts), tuple(spider.session_params), crawl,
            {host: site_rules(given, crawl, now) for host, given in spider.site_arguments.items()},
            frozenset("." + extension for extension in IGNORED_EXTENSIONS),
        )
        if slots := {host: own for host, rules in spider.link_rules.sites.items() if (own := slot_settings(rules))}:
            crawler.settings.set("DOWNLOAD_SLOTS", {**crawler.settings.getdict("DOWNLOAD_SLOTS"), **slots}, priority="spider")
        spider.pages = PagePool.from_settings(crawler.settings, spider.link_rules)
        crawler.signals.connect(spider.pages.close, signal=signals.spider_closed)
        if crawler.settings.getbool("ROBOTSTXT_OBEY"):
            # Scrapy's robots.txt middleware fetches each site's robots.txt for its rules; the
            # Sitemap: lines are read from that copy, so a site sees one request for it.
            crawler.signals.connect(spider.robots_fetched, signal=signals.response_received)
        else:
            spider.requests_robots_txt = True
        crawler.signals.connect(spider.store_waiting_copies, signal=signals.spider_idle)
        crawler.signals.connect(spider.forget_followed, signal=frontier_lost)
        return spider

    def forget_followed(self) -> None:
        """The shared crawl's dupefilter was lost (Redis restarted): what stood in front of it goes too."""
        self.followed.clear()

    @property
    def stats(self) -> StatsCollector:
        assert self.crawler.stats is not None
        return self.crawler.stats

    async def start(self) -> AsyncIterator[scrapy.Request]:
        # Marked, so that a crawl none of whose start requests got an answer says so
        # (``news/start/reached``, ``news/start/failed``) instead of looking like a quiet site.
        start = {"start": True}
        for url in self.start_urls:
            yield scrapy.Request(clean_url(url, self.session_params), meta=start, errback=self.on_error)
        for url in self.feeds:
            yield scrapy.Request(url, callback=self.parse_feed, meta=start, errback=self.on_error)
        for url in self.sitemaps:
            yield scrapy.Request(url, callback=self.parse_sitemap, meta=start, errback=self.on_error)
        if self.requests_robots_txt:
            for root in dict.fromkeys(urljoin(url, "/robots.txt") for url in self.start_urls):
                yield scrapy.Request(root, callback=self.parse_robots)  # a missing robots.txt is no error

    def filtered(self, url: str) -> bool:
        """Whether a feed or sitemap entry is outside its site's ``allow``/``deny`` patterns, as
        the links the pages give are judged (then it is never fetched)."""
        return not self.link_rules.of(url).admits(url) and self._left_out(url, "news/link/filtered")

    def too_old(self, date: str | None, url: str) -> bool:
        """Whether a feed or sitemap date puts an entry before its site's NEWS_SINCE window (then
        it is never fetched); an entry without a readable date is fetched and judged by its page."""
        since = self.link_rules.of(url).since
        parsed = parse_date(date) if date and since else None
        return parsed is not None and since is not None and parsed[0] < since and self._left_out(url, "news/since/skipped")

    def wrong_language(self, code: str | None, url: str) -> bool:
        """Whether a sitemap or link says its page is in a language outside its site's
        NEWS_LANGUAGES (then it is never fetched); pages of unknown language are fetched and
        judged by their text."""
        return outside(code, self.link_rules.of(url).languages) and self._left_out(url, "news/language/skipped")

    def _left_out(self, url: str, key: str) -> bool:
        """Count a URL not fetched under ``key`` and as its site's ``filtered``; True."""
        self.stats.inc_value(key)
        count_site(self.stats, host_of(url), "filtered")
        return True

    def robots_fetched(self, response: Response, request: scrapy.Request) -> None:
        """Schedule the sitemaps listed by a robots.txt that Scrapy's robots.txt middleware
        fetched for its rules (its requests, alone, carry ``dont_obey_robotstxt``)."""
        if response.status != 200 or not request.meta.get("dont_obey_robotstxt"):
            return
        if urlparse_cached(request).path != "/robots.txt":
            return
        engine = self.crawler.engine
        assert engine is not None
        for sitemap in self.parse_robots(response):
            engine.crawl(sitemap)

    def parse_robots(self, response: Any) -> Iterator[scrapy.Request]:
        """Sitemap requests for the ``Sitemap:`` lines of a site's robots.txt (sites list their
        sitemaps there)."""
        for url in sitemap_urls_from_robots(response.body, base_url=response.url):
            if on_site(url, self.hosts):
                yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error)

    def parse_sitemap(self, response: Any) -> Iterator[scrapy.Request]:
        """Article requests for a sitemap's URLs (with news sitemap metadata), sitemaps for an index."""
        self.reached(response)
        try:
            kind, entries, problems = parse_sitemap(response.body, self.settings.getint("DOWNLOAD_MAXSIZE"))
        except NotASitemap as exc:
            self.stats.inc_value("news/sitemap/invalid")
            self.logger.warning("not a sitemap, skipped: %(url)s (%(reason)s)", {"url": response.url, "reason": exc})
            return
        self.stats.inc_value("news/sitemap/parsed")
        for problem in problems[:5]:
            self.logger.warning("sitemap %(url)s: %(problem)s", {"url": response.url, "problem": problem})
        for entry in entries:
            url = clean_url(response.urljoin(entry.loc), self.session_params)
            if not on_site(url, self.hosts):
                continue
            if kind == "index":
                yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error)
            elif not (self.filtered(url) or self.wrong_language(entry.language, url)
                      or self.too_old(entry.published or entry.lastmod, url)):
                self.stats.inc_value("news/sitemap/entries")
                yield scrapy.Request(url, meta={"hints": entry.hints()}, errback=self.on_error)

    def parse_feed(self, response: Any) -> Iterator[scrapy.Request]:
        """Article requests for a feed's entries, carrying what the feed says of each."""
        self.reached(response)
        try:
            entries = parse_feed(response.body)
        except NotAFeed as exc:
            self.stats.inc_value("news/feed/invalid")
            self.logger.warning("not a feed, skipped: %(url)s (%(reason)s)", {"url": response.url, "reason": exc})
            return
        self.stats.inc_value("news/feed/parsed")
        for entry in entries:
            url = clean_url(response.urljoin(entry.link), self.session_params)
            if on_site(url, self.hosts) and not (self.filtered(url) or self.too_old(entry.published, url)):
                self.stats.inc_value("news/feed/entries")
                yield scrapy.Request(url, meta={"hints": entry.hints()}, errback=self.on_error)

    async def analyse(self, response: Any, fetched_at: dt.datetime) -> PageAnalysis | None:
        """A fetched page parsed and extracted in the page pool, counted; its article kept only
        when wanted. None for what is no HTML page (skipped with the reason in the log)."""
        if not isinstance(response, HtmlResponse):
            self.stats.inc_value("news/page/not_html")
            return None
        empty = not response.body.strip()
        if empty or looks_binary(response.body):
            kind = "empty" if empty else "binary"
            self.stats.inc_value(f"news/page/{kind}")
            self.logger.info("skipped %(url)s: %(kind)s body served as HTML", {"url": response.url, "kind": kind})
            return None
        assert self.pages is not None
        content_type = response.headers.get(b"Content-Type")
        analysis = await self.pages.analyse(
            response.body, response.url,
            content_type=content_type.decode("latin-1") if content_type else None,
            fetched_at=fetched_at, hints=response.meta.get("hints", {}),
        )
        if analysis.counts["news/page/charset_mismatch"]:
            self.logger.info("%(url)s: declared character encoding does not fit the bytes, set aside",
                             {"url": response.url})
        site = host_of(response.url)
        for key, count in analysis.counts.items():
            self.stats.inc_value(key, count)
            if key.startswith("news/extract/dropped/"):
                count_site(self.stats, site, "empty", count)
            elif key in ("news/link/filtered", "news/language/skipped"):
                count_site(self.stats, site, "filtered", count)
        if analysis.skipped:
            self.logger.info("skipped %(url)s: %(reason)s", {"url": response.url, "reason": analysis.skipped})
        elif analysis.article is None and analysis.kind is not None and not analysis.kind.is_listing:
            self.logger.info("not stored, no usable body on a page declaring an article: %(url)s", {"url": response.url})
        if analysis.article is not None:
            analysis.article.source = self.link_rules.of(analysis.article.url).source
            analysis.article.redirected_from = list(response.meta.get("redirect_urls", []))
        return analysis

    def reached(self, response: Any) -> None:
        if response.meta.get("start"):
            self.stats.inc_value("news/start/reached")

    def emit(self, article: ArticleItem) -> ArticleItem:
        """An article on its way to the store, counted."""
        self.stats.inc_value("news/extract/articles")
        count_site(self.stats, article.site, "extracted")
        if paywalled(article):
            count_site(self.stats, article.site, "paywalled")
        return article

    async def parse(self, response: Any, **kwargs: Any) -> AsyncIterator[scrapy.Request | ArticleItem]:
        self.reached(response)
        analysis = await self.analyse(response, dt.datetime.now(dt.UTC))
        article = analysis.article if analysis is not None else None
        self.crawler.signals.send_catch_log(page_parsed, response=response, article=article)
        dropped = self.unwanted(article) if article is not None else None
        if analysis is not None and analysis.kind is not None and analysis.kind.is_listing:
            dropped = "not_article"
        for copy in self.copies.settle(self._addresses(response.request), dropped):
            if (kept := self._copy_kept(copy, dropped)) is not None:
                yield kept
        if article is not None and dropped is None:
            for output in self._article_or_wait(article, response.meta):
                yield output
        if analysis is None:
            return
        if response.meta.get("depth", 0) == 0:
            for url in analysis.feeds:
                if on_site(url, self.hosts):
                    self.stats.inc_value("news/feed/discovered")
                    yield scrapy.Request(url, callback=self.parse_feed, errback=self.on_error)
        for request in self.follow(response, analysis):
            yield request

    def unwanted(self, article: ArticleItem) -> str | None:
        """Why an extracted article is outside its site's NEWS_SINCE or NEWS_LANGUAGES (unknown
        languages are kept), counted: ``too_old`` or ``wrong_language``; None when it is wanted."""
        reason = None
        rules = self.link_rules.of(article.url)
        if rules.since and article.published_at and article.published_at < rules.since:
            reason = "too_old"
        elif rules.languages and article.language and article.language not in rules.languages:
            reason = "wrong_language"
        if reason is None:
            return None
        self.stats.inc_value(f"news/extract/dropped/{reason}")
        count_site(self.stats, article.site, "filtered")
        self.logger.debug("not stored, %(reason)s: %(url)s", {"reason": reason, "url": article.url})
        return reason

    def _article_or_wait(self, article: ArticleItem, meta: dict[str, Any]) -> Iterator[scrapy.Request | ArticleItem]:
        """A wanted article, unless it is a copy whose canonical page's outcome is not known yet:
        then the copy waits (with its page's lease, in a shared crawl) and the page is requested.
        A request Scrapy's dupefilter drops was made before: its outcome is on its way."""
        key = article.canonical_url
        if address_key(article.url, self.drop_params) == key or self.copies.known(key):
            if (kept := self._copy_kept(article, self.copies.dropped(key))) is not None:
                yield kept
            return
        article.lease = meta.pop(LEASE, None)
        if self.copies.wait(article):
            yield scrapy.Request(key, errback=self.on_error)

    def _copy_kept(self, copy: ArticleItem, dropped: str | None) -> ArticleItem | None:
        """The copy to store, or None when its canonical page was dropped (counted)."""
        if dropped is None:
            return self.emit(copy)
        self.stats.inc_value("news/extract/dropped/copy_of_dropped")
        count_site(self.stats, copy.site, "filtered")
        self.logger.debug("not stored, copy of a page dropped (%(reason)s): %(url)s",
                          {"reason": dropped, "url": copy.url})
        release(self.crawler, [copy.lease])
        return None

    def _addresses(self, request: scrapy.Request) -> list[str]:
        """The address keys a page was requested under, redirects included."""
        urls = [*request.meta.get("redirect_urls", []), request.url]
        return list(dict.fromkeys(address_key(url, self.drop_params) for url in urls))

    def store_waiting_copies(self) -> None:
        """When the crawl runs dry: the copies whose canonical page never came (filtered before
        it was requested, stored by an earlier crawl, fetched by another worker) are stored as
        they are, through the item pipelines."""
        copies = self.copies.drain()
        if not copies:
            return
        assert self.crawler.engine is not None
        for copy in copies:
            task = asyncio.ensure_future(
                self.crawler.engine.scraper.start_itemproc_async(self.emit(copy), response=None)
            )
            self._storing.add(task)
            task.add_done_callback(self._storing.discard)
        raise DontCloseSpider  # the engine looks again once the pipelines have them

    def follow(self, response: TextResponse, analysis: PageAnalysis) -> Iterator[scrapy.Request]:
        """Requests for the page's links; "next page" chains are bounded by NEWS_MAX_PAGINATION.

        A link requested before from as near the start (the site's menu, on every page) is not
        requested again: the scheduler's dupefilter would drop it, after every spider middleware
        and the scheduler had handled it. Nearer than before, it is, since DEPTH_LIMIT may have
        dropped the earlier request.
        """
        pagination_depth = response.meta.get("pagination_depth", 0) + 1
        depth = response.meta.get("depth", 0) + 1
        for link in analysis.links:
            meta = {}
            if link.pagination:
                if pagination_depth > self.max_pagination:
                    self.stats.inc_value("news/trap/pagination")
                    continue
                # Page 40 of a section is as close to its articles as page 1: DEPTH_LIMIT bounds
                # chains of other links, NEWS_MAX_PAGINATION bounds "next page" chains.
                meta = {"depth_reset": True, "pagination_depth": pagination_depth}
            link_depth = 0 if link.pagination else depth
            known = self.followed.get(link.url)
            if known is not None:
                self.followed.move_to_end(link.url)
                if known <= link_depth:
                    continue
            self.followed[link.url] = link_depth
            if len(self.followed) > FOLLOWED_MEMORY:
                self.followed.popitem(last=False)
            yield scrapy.Request(link.url, meta=meta, errback=self.on_error)

    def on_error(self, failure: Failure) -> list[ArticleItem]:
        """Count and log a request failed for good; the copies that waited for its page, kept."""
        request = getattr(failure, "request", None)
        copies = []
        if request is not None:
            held = isinstance(failure.value, HeldBack)  # to be sent again; else failed for good, done with
            release(self.crawler, [None if held else request.meta.get(LEASE)])
            copies = [self.emit(copy) for copy in self.copies.settle(self._addresses(request), None)]
        message = failure.getErrorMessage() or (failure.type.__name__ if failure.type else "unknown")
        if isinstance(failure.value, HttpError):
            message = f"HTTP status {failure.value.response.status}"
        if request is not None and request.meta.get("start"):
            self.stats.inc_value("news/start/failed")
            self.stats.set_value("news/start/error", f"{request.url}: {message}")
        if isinstance(failure.value, HttpError) and failure.value.response.status >= 500:
            kind = "HttpError"  # a server error past its retries (4xx: Scrapy's httperror stats)
        elif isinstance(failure.value, IgnoreRequest):
            fault = next((k for text, k in _IGNORED_FAULTS.items() if text in message), None)
            if fault is None:
                return copies  # refused on purpose (robots.txt, offsite, private network): counted by the refuser
            kind = fault
        else:
            kind = failure.type.__name__ if failure.type else "unknown"
        self.stats.inc_value(f"news/request_error/{kind}")
        count_error(self.stats, host_of(request.url) if request else "", kind)
        self.logger.info("request failed: %(url)s: %(error)s", {"url": request.url if request else "?", "error": message})
        return copies
