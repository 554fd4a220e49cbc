"""One parse per fetched HTML page: the links to follow, whether the page is an article, and the
article itself.

Parsing a news page (150 kB of HTML, hundreds of links) costs more than everything else the crawl
does with it, and the extractor parses it anyway: so the links come from the extractor's own tree,
in the same worker process, and the reactor process only schedules requests and stores. Pure and
Scrapy-free, like the rest of ``crawler.extraction``: importing Scrapy would cost each page worker 20 MB.
"""

from __future__ import annotations

import datetime as dt
import functools
import posixpath
import re
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from lxml.html import HtmlElement
from trafilatura.utils import HTML_PARSER, load_html

from crawler.dedupe import signature
from crawler.extraction.charset import page_text
from crawler.extraction.dates import cutoff
from crawler.extraction.extractor import ArticleExtractor, NotAnArticle
from crawler.extraction.pagekind import PageKind
from crawler.items import ArticleItem
from crawler.urls import (
    NOT_PAGE_HREFS,
    absolute,
    clean_url,
    is_pagination,
    is_trap,
    on_site,
    site_of,
    split_arguments,
)

# The types of the feeds a page announces with <link rel="alternate">.
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")


@dataclass(frozen=True)
class SiteRules:
    """What a source asks of its sites: the links to follow (allow/deny patterns), the languages
    and the oldest publication date wanted, and the source name its articles are stored under.

    A crawl of one source has one for all its sites; a shared crawl's worker, crawling every
    source enqueued at once, one per site, so that one source's rules never filter another's.
    """

    source: str | None = None
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    languages: frozenset[str] = frozenset()
    since: dt.datetime | None = None
    # Its DOWNLOAD_DELAY and CONCURRENT_REQUESTS_PER_DOMAIN, when a shared crawl's worker applies
    # them to its sites alone (``crawler.downloadermiddlewares.site_slots``).
    delay: float | None = None
    concurrency: int | None = None

    def admits(self, url: str) -> bool:
        """Whether ``url`` matches an ``allow`` pattern (when there are any) and no ``deny``
        pattern."""
        allow, deny = self._patterns
        return (not allow or any(p.search(url) for p in allow)) and not any(p.search(url) for p in deny)

    @functools.cached_property
    def _patterns(self) -> tuple[list[re.Pattern[str]], list[re.Pattern[str]]]:
        return [re.compile(p) for p in self.allow], [re.compile(p) for p in self.deny]


def checked_patterns(value: str | list[str] | None) -> tuple[str, ...]:
    """Regular expressions given as an argument, each checked here: a bad one is an error of the
    command, not of the worker process that would first use it."""
    patterns = tuple(split_arguments(value))
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"invalid regex {pattern!r}: {exc}") from None
    return patterns


def site_rules(given: dict[str, Any], crawl: SiteRules, now: dt.datetime) -> SiteRules:
    """A site's rules in a shared crawl, from what its job recorded (``Frontier.worker_arguments``):
    its source, patterns, ``NEWS_SINCE``, ``NEWS_LANGUAGES``, ``DOWNLOAD_DELAY`` and
    ``CONCURRENT_REQUESTS_PER_DOMAIN``; what it leaves out, the crawl's."""
    since = given.get("since")
    languages = split_arguments(given.get("languages"))
    return SiteRules(
        source=given.get("source") or crawl.source,
        allow=checked_patterns(given.get("allow")) or crawl.allow,
        deny=checked_patterns(given.get("deny")) or crawl.deny,
        languages=frozenset(lang.lower() for lang in languages) if languages else crawl.languages,
        since=cutoff(since, now) if since else crawl.since,
        delay=float(given["delay"]) if given.get("delay") is not None else None,
        concurrency=int(given["concurrency"]) if given.get("concurrency") is not None else None,
    )


@dataclass(frozen=True)
class LinkRules:
    """What the crawl follows: its sites (none: no link is followed), the rules of its source
    (``crawl``) and those of sites with rules of their own (``sites``), the parameters that are
    session ids, and the file extensions never fetched as pages (the spider passes Scrapy's list)."""

    hosts: tuple[str, ...]
    session_params: tuple[str, ...] = ()
    crawl: SiteRules = SiteRules()
    sites: Mapping[str, SiteRules] = field(default_factory=dict)
    file_extensions: frozenset[str] = frozenset()

    def of(self, url: str) -> SiteRules:
        """The rules for a page or link at ``url``: its site's own, else the crawl's."""
        site = site_of(url, self.sites) if self.sites else None
        return self.sites[site] if site is not None else self.crawl


@dataclass
class Link:
    url: str
    # A "next page" link (rel="next") or a numbered listing page: pagination rules apply.
    pagination: bool = False


@dataclass
class PageAnalysis:
    links: list[Link] = field(default_factory=list)
    # Feeds the page announces (<link rel="alternate" type="application/rss+xml">).
    feeds: list[str] = field(default_factory=list)
    article: ArticleItem | None = None
    # Stats keys and counts: page kind, extraction outcome, links refused and why.
    counts: Counter[str] = field(default_factory=Counter)
    # Why the page was not extracted at all, when the page itself is at fault.
    skipped: str | None = None
    # Article or listing, and why; None for a page not judged (unparsable, skipped).
    kind: PageKind | None = None


class PageAnalyser:
    """Built once per worker process: the extractor and the crawl's link rules."""

    def __init__(self, extractor: ArticleExtractor, rules: LinkRules) -> None:
        self.extractor = extractor
        self.rules = rules
        self._hreflang = bool(rules.crawl.languages or any(site.languages for site in rules.sites.values()))
        # Most links of a page are the site's chrome, the same on every page: resolved and judged
        # once per worker, not once per page.
        self._judge = functools.lru_cache(maxsize=20_000)(self._judge_uncached)

    def analyse(
        self,
        html: str | bytes,
        url: str,
        *,
        content_type: str | None = None,
        fetched_at: dt.datetime | None = None,
        hints: Mapping[str, Any] | None = None,
    ) -> PageAnalysis:
        """The page's links and article; ``html`` as served is decoded by ``crawler.extraction.charset``
        with its ``Content-Type`` header."""
        result = PageAnalysis()
        if isinstance(html, bytes):
            html, problem = page_text(html, content_type)
            if problem:
                result.counts[f"news/page/{problem}"] += 1
        tree = load_html(html)
        if tree is None:
            result.counts["news/extract/dropped/unparsable"] += 1
            return result
        if self.rules.hosts:
            result.links, result.feeds = self._links(tree, url, result.counts)
        if any(error.type_name == "ERR_RESOURCE_LIMIT" for error in HTML_PARSER.error_log):
            # libxml2 stops at 256 levels of nesting: the rest of the page is lost, and an
            # article cut there must not be stored as if whole.
            result.counts["news/extract/dropped/too_deep"] += 1
            result.skipped = "nested too deep to parse (over 256 levels)"
            return result
        try:  # last: extraction prunes the tree
            result.article = self.extractor.extract(tree, url, fetched_at=fetched_at, hints=hints)
        except NotAnArticle as exc:
            if exc.kind is not None:
                result.kind = exc.kind
                result.counts[f"news/page/{exc.kind.kind}/{exc.kind.reason}"] += 1
            if exc.kind is None or not exc.kind.is_listing:
                result.counts[f"news/extract/dropped/{exc.reason}"] += 1
        else:
            result.kind = PageKind("article", result.article.evidence or "running_text")
            result.counts[f"news/page/article/{result.kind.reason}"] += 1
            result.article.body_signature = signature(result.article.body)
        return result

    def _links(self, tree: HtmlElement, url: str, counts: Counter[str]) -> tuple[list[Link], list[str]]:
        """The links to follow and the feeds the page announces, from one walk over its
        ``<a>``, ``<area>``, ``<link>`` and ``<base>`` elements."""
        declared_base: str | None = None
        hrefs: list[str] = []
        next_pages: dict[str, None] = {}
        feeds: dict[str, None] = {}
        languages: dict[str, str] = {}
        for el in tree.iter("a", "area", "link", "base"):
            href = str(el.get("href") or "").strip()
            if not href:
                continue
            if el.tag == "base":
                declared_base = declared_base or href
                continue
            rel = str(el.get("rel") or "").lower().split()
            if "next" in rel and el.tag != "area":
                next_pages[href] = None
            if self._hreflang and el.tag != "area" and el.get("hreflang"):
                languages[href] = str(el.get("hreflang")).strip().lower()
            if el.tag != "link":
                hrefs.append(href)
            elif "alternate" in rel and str(el.get("type") or "").split(";")[0].strip().lower() in FEED_TYPES:
                feeds[href] = None
        base = (absolute(url, declared_base) if declared_base else None) or url
        hreflangs = {u: language for href, language in languages.items() if (u := absolute(base, href))}
        links: dict[str, Link] = {}
        for href in hrefs:
            self._add(links, href, base, False, hreflangs, counts)
        for href in next_pages:
            self._add(links, href, base, True, hreflangs, counts)
        return list(links.values()), [u for u in dict.fromkeys(absolute(base, href) for href in feeds) if u]

    def _add(
        self, links: dict[str, Link], href: str, base: str, next_page: bool,
        hreflangs: dict[str, str], counts: Counter[str],
    ) -> None:
        if not href or href.startswith(NOT_PAGE_HREFS):
            return
        url, refused = self._judge(_resolution_key(base, href), href)
        if refused:
            counts[refused] += 1
            return
        if url is None:
            return
        if hreflangs and outside(hreflangs.get(absolute(base, href) or ""), self.rules.of(url).languages):
            counts["news/language/skipped"] += 1
            return
        if url in links:
            links[url].pagination |= next_page
        else:
            links[url] = Link(url, next_page or is_pagination(url))

    def _judge_uncached(self, base: str, href: str) -> tuple[str | None, str | None]:
        """The URL to request for ``href`` on a page at ``base``, or why it is refused (a stats
        key); (None, None) for links that are simply not followed (other sites, files)."""
        joined = absolute(base, href)
        if joined is None:
            return None, "news/link/invalid"
        url = clean_url(joined, self.rules.session_params)
        if not url.startswith(("http://", "https://")) or not on_site(url, self.rules.hosts):
            return None, None
        if posixpath.splitext(urlsplit(url).path)[1].lower() in self.rules.file_extensions:
            return None, None
        if not self.rules.of(url).admits(url):
            return None, "news/link/filtered"
        trap = is_trap(url)
        if trap:
            return None, f"news/trap/{trap}"
        return url, None


def outside(code: str | None, languages: Collection[str]) -> bool:
    """Whether a declared language (``hreflang``, ``news:language``) is outside ``languages``;
    no declaration, no languages wanted, or "x-default": not outside."""
    code = (code or "").strip().lower()
    return bool(code and languages and code != "x-default" and code.split("-")[0] not in languages)


def _resolution_key(base: str, href: str) -> str:
    """The part of ``base`` that resolving ``href`` depends on: none for an absolute URL, the
    origin for a root-relative one, so that chrome links hit the cache on every page."""
    if "://" in href[:12] or href.startswith("//"):
        return urlsplit(base).scheme + ":"
    if href.startswith("/"):
        parts = urlsplit(base)
        return f"{parts.scheme}://{parts.netloc}/"
    return base
