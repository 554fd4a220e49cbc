"""Downloader middleware: requests for copies of articles (AMP, print) that a learned rule names
are recorded as aliases of their article instead of being sent.

Every parsed page naming another page of its site as canonical (the spider sends
``page_parsed``) teaches the site a rewrite (``crawler.dedupe.copyrules``); confirmed by
``NEWS_COPY_RULE_CONFIRMATIONS`` articles and kept in the database for later runs and other
workers, the rewrite is a rule. A request a rule fits, as it leaves the scheduler, is:

- recorded as an alias of its article (a ``CopyUrls`` item) when that article's page was parsed
  in this crawl or is stored by an earlier one;
- else held until the article's page comes, and that page requested in its place: the page is
  the better source, and a copy fetched first would only wait for it;
- sent all the same when it falls in the sample (``NEWS_COPY_RULE_SAMPLE``) that keeps the rule
  checked: a sampled page that is not a copy of the page the rule names drops the rule for good.

While a rewrite is being learned, as many of its requests are sent as it lacks confirmations;
the others wait for the verdict. The check is made as requests leave the scheduler, not as links
are found, so that copies queued before their rule was learned are spared too. Whatever still
waits when the crawl runs dry (a rule never confirmed, an article that never came) is sent then:
no link is lost to a rule.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest, NotConfigured

from crawler.dedupe.copyrules import CopyRules, Rewrite, rewrite_of
from crawler.items import ArticleItem, CopyUrls
from crawler.signals import page_parsed
from crawler.storage.best_effort import BestEffortDatabase
from crawler.storage.learned import load_copy_rules, save_copy_rules
from crawler.storage.pages import stored_article_urls
from crawler.urls import address_key, canonicalize, host_of

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response


class HeldBack(IgnoreRequest):
    """A request a middleware keeps in memory, to send again later: not done with, so that in a
    shared crawl its lease is kept, and a worker killed meanwhile gives it back to the queue."""


# In a request's meta: the rule it was sent to check and the page it should be a copy of, or
# None for a request sent as it is (one that waited, sent when the crawl ran dry).
_CHECK = "copy_rule_check"
# Canonical URLs of the articles whose own page was parsed: about 5 MB.
PARSED_MEMORY = 50_000


@dataclasses.dataclass
class _Learning:
    """A rewrite not confirmed yet: requests sent to confirm it, requests waiting for the verdict."""

    probes: int = 0
    held: list[Request] = dataclasses.field(default_factory=list)


class CopyLinksMiddleware:
    def __init__(self, crawler: Crawler, rules: CopyRules, drop_params: list[str]) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.rules = rules
        self.drop_params = drop_params
        self.db = BestEffortDatabase(crawler, "news/copies/db_error", "copy rules learned anew")
        self.loaded: set[str] = set()
        self.parsed: OrderedDict[str, None] = OrderedDict()
        # Requests a confirmed rule names, by the canonical URL of their article, until it comes.
        self.waiting: dict[str, list[Request]] = {}
        self.learning: dict[tuple[str, Rewrite], _Learning] = {}
        self._tasks: set[asyncio.Future[Any]] = set()
        crawler.signals.connect(self.page_parsed, signal=page_parsed)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("NEWS_COPY_RULES"):
            raise NotConfigured("NEWS_COPY_RULES is off")
        rules = CopyRules(settings.getint("NEWS_COPY_RULE_CONFIRMATIONS"), settings.getfloat("NEWS_COPY_RULE_SAMPLE"))
        return cls(crawler, rules, [*settings.getlist("NEWS_TRACKING_PARAMS"), *settings.getlist("NEWS_SESSION_PARAMS")])

    async def process_request(self, request: Request) -> None:
        if _CHECK in request.meta or request.callback is not None or request.method != "GET":
            return
        site = host_of(request.url)
        await self._load(site)
        hit = self.rules.match(site, request.url)
        if hit is None and (suspected := self._suspected(request)) is not None:
            self.rules.suspect(site, suspected)
            hit = self.rules.match(site, request.url)
        if hit is None:
            return
        rewrite, target, confirmed = hit
        key = canonicalize(target, self.drop_params)
        if not confirmed:
            learning = self.learning.setdefault((site, rewrite), _Learning())
            if self.rules.sites[site][rewrite].confirmations + learning.probes < self.rules.confirmations:
                learning.probes += 1
                request.meta[_CHECK] = (rewrite, key)
                return
            learning.held.append(request)
            raise HeldBack("a copy, waiting for its rule to be confirmed")
        if self.rules.sampled(request.url):
            self.stats.inc_value("news/copies/sampled")
            request.meta[_CHECK] = (rewrite, key)
            return
        empty: dict[str, dt.datetime] = {}
        stored = key in self.parsed or bool(await self.db.run(lambda s: stored_article_urls(s, [key]), empty))
        if not stored and key not in self.parsed:  # its page may have come while the database answered
            queue = self.waiting.setdefault(key, [])
            queue.append(request)
            if len(queue) == 1:  # the article's own page, in the copy's place (the dupefilter drops a repeat)
                self._crawl(request.replace(url=target, dont_filter=False))
            raise HeldBack("a copy, waiting for its article")
        self._record(key, [request.url], site)
        raise IgnoreRequest("a copy of a known article, recorded as its alias")

    def _suspected(self, request: Request) -> Rewrite | None:
        """The rewrite a request looks like a copy by, before any page has shown it: the shape of
        an AMP or print address that canonical URLs fold (``crawler.urls.canonicalize``), or a
        variant of the address of the article page that links it (``/story/amp`` on ``/story``).
        Known this early, it bounds how many copies are fetched while the rule is learned."""
        own = address_key(request.url, self.drop_params)
        if (folded := canonicalize(request.url, self.drop_params)) != own:
            return rewrite_of(own, folded)
        referrer = request.headers.get("Referer")
        if not referrer:
            return None
        page = address_key(referrer.decode("latin-1"), self.drop_params)
        return rewrite_of(own, page) if page in self.parsed else None

    async def _load(self, site: str) -> None:
        """The rules the database keeps for ``site``, read when the site is first met."""
        if site in self.loaded:
            return
        self.loaded.add(site)
        none: list[tuple[str, Rewrite, int, bool]] = []
        for loaded_site, rewrite, confirmations, refuted in await self.db.run(lambda s: load_copy_rules(s, [site]), none):
            self.rules.load(loaded_site, rewrite, confirmations, refuted)

    def _record(self, canonical_url: str, urls: list[str], site: str) -> None:
        """Links to copies of an article, to the store as its aliases."""
        self.stats.inc_value("news/copies/not_fetched", len(urls))
        engine = self.crawler.engine
        assert engine is not None
        task = asyncio.ensure_future(engine.scraper.start_itemproc_async(CopyUrls(canonical_url, urls, site), response=None))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _crawl(self, request: Request) -> None:
        engine = self.crawler.engine
        assert engine is not None
        engine.crawl(request)

    def page_parsed(self, response: Response, article: ArticleItem | None) -> None:
        """What a parsed page teaches: a rewrite seen once more, or a rule its check contradicts;
        the requests that waited for its article, or for a rule now confirmed or dropped."""
        site = host_of(response.url)
        own = address_key(response.url, self.drop_params)
        check = response.meta.get(_CHECK)
        rewrite = None
        if article is not None and own == article.canonical_url:
            self.parsed[own] = None
            self.parsed.move_to_end(own)
            if len(self.parsed) > PARSED_MEMORY:
                self.parsed.popitem(last=False)
            if waiting := self.waiting.pop(own, None):
                self._record(own, [request.url for request in waiting], site)
        elif article is not None and (article.canonical_from_page or (check and article.canonical_url == check[1])):
            # A copy naming its article teaches the rewrite; one fetched to check a rule confirms
            # it as a copy of the page the rule names, named or folded (``canonicalize``).
            rewrite = self.rules.learn(site, own, article.canonical_url)
        if check:
            checked, expected = check
            if learning := self.learning.get((site, checked)):
                learning.probes = max(0, learning.probes - 1)
            if article is None or article.canonical_url != expected:
                self.rules.refute(site, checked)
                self.stats.inc_value("news/copies/rules_dropped")
            rewrite = checked
        if rewrite is not None:
            self._settle(site, rewrite)
        if changes := self.rules.take_changes():
            self._tasks.add(task := asyncio.ensure_future(self.db.run(lambda s: save_copy_rules(s, changes), None)))
            task.add_done_callback(self._tasks.discard)

    def _settle(self, site: str, rewrite: Rewrite) -> None:
        """A rewrite confirmed or dropped: the requests that waited for the verdict go their way."""
        confirmed, refuted = self.rules.confirmed(site, rewrite), self.rules.sites[site][rewrite].refuted
        if not (confirmed or refuted):
            return
        if confirmed and self.rules.sites[site][rewrite].confirmations == self.rules.confirmations:
            self.stats.inc_value("news/copies/rules_learned")
        learning = self.learning.pop((site, rewrite), None)
        for request in learning.held if learning else []:
            # Through the scheduler again (its dupefilter saw them once): routed by the verdict.
            self._crawl(request.replace(dont_filter=True))

    def spider_idle(self) -> None:
        """The crawl ran dry: every request still waiting is sent, its rule or its article aside."""
        waiting = [request for queue in self.waiting.values() for request in queue]
        waiting += [request for learning in self.learning.values() for request in learning.held]
        self.waiting.clear()
        self.learning.clear()
        if waiting:
            self.stats.inc_value("news/copies/released", len(waiting))
            for request in waiting:
                self._crawl(request.replace(dont_filter=True, meta={**request.meta, _CHECK: None}))
        if waiting or self._tasks:
            raise DontCloseSpider

    async def spider_closed(self) -> None:
        await asyncio.gather(*self._tasks)
        self.db.engine.dispose()  # after the last write: a connection left open keeps SQLite's WAL file
