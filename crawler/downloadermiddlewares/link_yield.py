"""Downloader middleware: links of a shape that never leads to an article are sampled, not
exhausted.

Article pages carry many on-site links that hold no news (help pages, downloads, old paths that
answer 404). Each request is filed under its link's shape (``crawler.urls.path_template``:
``/help/{w}``, ``/old/{n}``) and under the shape of the page that linked it. A shape leads to an
article when one of its pages is an article or links, at any depth, a page that is: the article's
shape and every shape above it are credited when the spider parses it (``page_parsed``), and a
page's shape when links to stored articles are dropped from it (``stored_links_skipped``). A shape
fetched ``NEWS_LINK_YIELD_MIN_PAGES`` times without credit is barren: its further requests are
parked, but for a sample (``NEWS_LINK_YIELD_SAMPLE``, the same links in every run) that keeps
checking it. A credit that comes late (a listing's articles parsed after its shape was judged)
sends the parked requests of the shape on their way: recall holds while the budget goes to news.
What the shapes showed is kept in the database (``link_templates``) for later runs and workers;
the parked requests of a shape still barren when the crawl ends are left (``news/link/barren_skipped``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import zlib
from collections import deque
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.downloadermiddlewares.copy_links import HeldBack
from crawler.signals import page_parsed, stored_links_skipped
from crawler.storage.best_effort import BestEffortDatabase
from crawler.storage.learned import load_link_templates, save_link_templates
from crawler.urls import host_of, path_template

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from crawler.items import ArticleItem

# In a request's meta: its link's shape and the shape of the page that linked it.
TEMPLATE, PARENT = "link_template", "link_parent"
# A request sent as it is: one that was parked, sent again when its shape was credited.
_RELEASED = "link_released"
# Requests parked per shape: the oldest are let go past this many.
PARKED_MEMORY = 2_000
# Seconds between writes of what the shapes showed.
SAVE_INTERVAL = 30.0


@dataclasses.dataclass
class _Shape:
    fetched: int = 0
    yielding: bool = False
    # The shapes of the pages that linked pages of this one: credited with it.
    parents: set[str] = dataclasses.field(default_factory=set)
    parked: deque[Request] = dataclasses.field(default_factory=lambda: deque(maxlen=PARKED_MEMORY))


class LinkYieldMiddleware:
    def __init__(self, crawler: Crawler, min_pages: int, sample: float) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.min_pages = max(1, min_pages)
        self.sample = sample
        self.db = BestEffortDatabase(crawler, "news/link/db_error", "shapes of links learned anew")
        self.shapes: dict[tuple[str, str], _Shape] = {}
        self.loaded: set[str] = set()
        self.changed: set[tuple[str, str]] = set()
        self._saved = time.monotonic()
        self._tasks: set[asyncio.Future[Any]] = set()
        crawler.signals.connect(self.page_parsed, signal=page_parsed)
        crawler.signals.connect(self.stored_links_skipped, signal=stored_links_skipped)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("NEWS_LINK_YIELD"):
            raise NotConfigured("NEWS_LINK_YIELD is off")
        return cls(crawler, settings.getint("NEWS_LINK_YIELD_MIN_PAGES"), settings.getfloat("NEWS_LINK_YIELD_SAMPLE"))

    async def process_request(self, request: Request) -> None:
        if request.callback is not None or request.meta.get("start"):
            return
        site, template = host_of(request.url), path_template(request.url)
        await self._load(site)
        shape = self.shapes.setdefault((site, template), _Shape())
        barren = shape.fetched >= self.min_pages and not shape.yielding
        if barren and not request.meta.get(_RELEASED) and not self._sampled(request.url):
            if len(shape.parked) == PARKED_MEMORY:
                self.stats.inc_value("news/link/barren_skipped")
            shape.parked.append(request)
            raise HeldBack(f"links shaped {template} have led to no article: parked")
        request.meta[TEMPLATE] = template
        if (referrer := request.headers.get("Referer")) and host_of(referrer.decode("latin-1")) == site:
            request.meta[PARENT] = path_template(referrer.decode("latin-1"))

    def process_response(self, request: Request, response: Response) -> Response:
        self._fetched(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._fetched(request)

    def _sampled(self, url: str) -> bool:
        return zlib.crc32(url.encode("utf-8", "replace")) % 10_000 < self.sample * 10_000

    async def _load(self, site: str) -> None:
        """The shapes the database keeps for ``site``, read when the site is first met."""
        if site in self.loaded:
            return
        self.loaded.add(site)
        none: list[tuple[str, str, int, bool]] = []
        for _, template, fetched, yielding in await self.db.run(lambda s: load_link_templates(s, [site]), none):
            shape = self.shapes.setdefault((site, template), _Shape())
            shape.fetched, shape.yielding = max(shape.fetched, fetched), shape.yielding or yielding

    def _fetched(self, request: Request) -> None:
        template = request.meta.get(TEMPLATE)
        if template is None:
            return
        site = host_of(request.url)
        shape = self.shapes.setdefault((site, template), _Shape())
        shape.fetched += 1
        self.changed.add((site, template))
        if (parent := request.meta.get(PARENT)) is not None and parent != template:
            shape.parents.add(parent)
            if shape.yielding:  # a shape that leads to articles credits each shape found leading to it
                self._credit(site, parent)
        if time.monotonic() - self._saved >= SAVE_INTERVAL:
            self._save_soon()

    def page_parsed(self, response: Response, article: ArticleItem | None) -> None:
        """An article: its shape leads to articles, and so does every shape above it."""
        if article is not None and (template := response.meta.get(TEMPLATE)) is not None:
            self._credit(host_of(response.url), template)

    def stored_links_skipped(self, response: Response) -> None:
        """A page linking articles already stored leads to articles: a crawl that meets its pages
        again (a later run, a shared crawl Redis lost) must not find their shape barren."""
        if (template := response.meta.get(TEMPLATE)) is not None:
            self._credit(host_of(response.url), template)

    def _credit(self, site: str, template: str) -> None:
        """``template`` and every shape above it lead to articles: their parked requests go on."""
        engine = self.crawler.engine
        assert engine is not None
        pending = [template]
        while pending:
            credited = pending.pop()
            shape = self.shapes.setdefault((site, credited), _Shape())
            if shape.yielding:
                continue
            shape.yielding = True
            self.changed.add((site, credited))
            pending += shape.parents
            self.stats.inc_value("news/link/released", len(shape.parked))
            while shape.parked:
                request = shape.parked.popleft()
                engine.crawl(request.replace(dont_filter=True, meta={**request.meta, _RELEASED: True}))

    def _save_soon(self) -> None:
        self._saved = time.monotonic()
        changes = self._take_changes()
        task = asyncio.ensure_future(self.db.run(lambda s: save_link_templates(s, changes), None))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _take_changes(self) -> list[tuple[str, str, int, bool]]:
        changes = [(site, template, self.shapes[site, template].fetched, self.shapes[site, template].yielding)
                   for site, template in sorted(self.changed)]
        self.changed.clear()
        return changes

    async def spider_closed(self) -> None:
        left = sum(len(shape.parked) for shape in self.shapes.values())
        if left:
            self.stats.inc_value("news/link/barren_skipped", left)
        changes = self._take_changes()
        await asyncio.gather(*self._tasks)
        await self.db.run(lambda s: save_link_templates(s, changes), None)
        self.db.engine.dispose()  # after the last write: a connection left open keeps SQLite's WAL file
