"""Turn one fetched HTML page into an ``ArticleItem``: trafilatura for the body, structured data first
for metadata.

Pure and Scrapy-free so it runs in worker processes and in benchmarks unchanged. Expected failures
(not an article, no body) raise ``NotAnArticle`` with a short reason that becomes a stats key.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import warnings
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urljoin

from dateutil import parser as dateparser
from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.settings import Document, Extractor
from trafilatura.utils import load_html

from crawler.fingerprints import body_fingerprint
from crawler.items import ArticleItem
from crawler.urls import canonicalize, host_of

logger = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset(
    {"article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "blogposting",
     "opinionnewsarticle", "backgroundnewsarticle", "reviewnewsarticle", "report"}
)
EARLIEST = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
# Pages and servers disagree about clocks; a date this far ahead is still accepted as "now".
FUTURE_LEEWAY = dt.timedelta(hours=2)

# Class/id tokens that name page furniture on any site. trafilatura drops most chrome itself;
# these are the boxes it tends to keep when a publisher nests them inside the article element.
_CHROME_TOKENS = (
    "newsletter", "signup", "sign-up", "promo", "blurb", "cookie", "consent", "related",
    "social", "skip-link", "byline", "more-from",
)
PRUNE_XPATH = "//*[" + " or ".join(
    f"contains(concat(' ', translate(@class, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
    f"'abcdefghijklmnopqrstuvwxyz'), ' '), '{token}')"
    f" or contains(translate(@id, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), '{token}')"
    for token in _CHROME_TOKENS
) + "][not(self::body or self::html or self::main or self::article)][count(.//p) < 4]"

# Phrases of newsletter boxes, republishing notices, copyright lines and navigation aids.
_BOILERPLATE = re.compile(
    r"\b(?:sign up (?:for|to)|subscribe (?:to|now)|newsletters?\b|all rights reserved|"
    r"republish(?:ing)?\b|(?:fill out|complete) (?:this|the|our) form|can be found here|"
    r"skip to (?:main )?content|follow us on|click here to|support our journalism|"
    r"become a (?:member|subscriber)|copyright \d{4}|\u00a9 ?\d{4})",
    re.IGNORECASE,
)
BOILERPLATE_MAX_WORDS = 70

_PUBLISHED_META = (
    "article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate",
    "publish-date", "dc.date.issued", "dcterms.issued", "dc.date", "date", "sailthru.date",
    "parsely-pub-date", "article.published",
)
_MODIFIED_META = (
    "article:modified_time", "og:updated_time", "datemodified", "dcterms.modified",
    "last-modified", "article.updated",
)
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])(?:/|$|-)")


class NotAnArticle(Exception):
    """The page is not an article or has no usable body; ``reason`` is a short stats key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ArticleExtractor:
    """Extraction options built once and applied to every page."""

    def __init__(
        self,
        *,
        favor_precision: bool = False,
        min_body_chars: int = 250,
        drop_params: Iterable[str] = (),
    ) -> None:
        # Comments are not part of an article; tables and formatting stay as trafilatura sees fit.
        self.options = Extractor(
            output_format="python", precision=favor_precision, comments=False, with_metadata=True
        )
        self.min_body_chars = min_body_chars
        self.drop_params = tuple(drop_params)

    def extract(
        self,
        html: str | bytes,
        url: str,
        *,
        fetched_at: dt.datetime | None = None,
    ) -> ArticleItem:
        """Extract the article on ``html`` fetched from ``url``.

        Raises:
            NotAnArticle: the page holds no article body long enough to keep.
        """
        tree = load_html(html)
        if tree is None:
            raise NotAnArticle("unparsable")
        now = fetched_at or dt.datetime.now(dt.UTC)
        structured = StructuredData(tree)
        self.options.url = url
        self.options.source = url
        document = bare_extraction(tree, options=self.options, prune_xpath=PRUNE_XPATH)
        if not isinstance(document, Document) or not document.text:
            raise NotAnArticle("no_body")
        title = structured.title() or document.title
        body = _paragraphs(document.text, title)
        if len(body) < self.min_body_chars:
            raise NotAnArticle("short_body")

        published, published_raw, date_source = _first_date(
            structured.published_candidates(url, document.date), now
        )
        modified, modified_raw, _ = _first_date(structured.modified_candidates(), now)
        if modified and published and modified < published:
            modified = modified_raw = None

        declared = structured.canonical()
        declared = urljoin(url, declared.strip()) if declared else None
        if declared and host_of(declared) != host_of(url):
            declared = None  # a canonical on another site is syndication, not this page's URL
        authors = structured.authors() or _split_authors(document.author)
        return ArticleItem(
            url=url,
            canonical_url=canonicalize(declared or url, self.drop_params),
            canonical_from_page=declared is not None,
            site=host_of(url),
            body=body,
            title=title,
            authors=authors,
            published_at=published,
            published_at_raw=published_raw,
            modified_at=modified,
            modified_at_raw=modified_raw,
            date_source=date_source,
            description=structured.meta("og:description", "description") or document.description,
            language=structured.language() or document.language,
            site_name=structured.site_name() or document.sitename,
            image=structured.meta("og:image", "twitter:image") or document.image,
            tags=_unique([*structured.tags(), *(document.tags or [])]),
            fetched_at=now,
            content_fingerprint=body_fingerprint(body),
        )


def _paragraphs(text: str, title: str | None) -> str:
    """Body lines as paragraphs separated by blank lines, without a repeated headline and
    without the publisher's boilerplate that pages put before or after the story."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and title and lines[0].casefold() == title.strip().casefold():
        lines = lines[1:]
    while lines and _is_boilerplate(lines[-1]):
        lines.pop()
    while lines and _is_boilerplate(lines[0]):
        lines.pop(0)
    return "\n\n".join(lines)


def _is_boilerplate(line: str) -> bool:
    """A short line made of the phrases publishers use around every story, not in one."""
    return len(line.split()) <= BOILERPLATE_MAX_WORDS and len(_BOILERPLATE.findall(line)) >= 1


def _split_authors(value: str | None) -> list[str]:
    if not value:
        return []
    return _unique(part.strip() for part in re.split(r";|\band\b|&", value) if part.strip())


def _unique(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value and value.casefold() not in {k.casefold() for k in seen}:
            seen[value] = None
    return list(seen)


def parse_date(value: str) -> tuple[dt.datetime, str] | None:
    """A timezone-aware UTC datetime and the normalised original (offset kept) for ``value``.

    A date without a time stays a date in the raw form ("2024-03-01") and becomes midnight UTC.
    """
    value = value.strip()
    if not value:
        return None
    try:
        parsed = dateparser.isoparse(value)
    except (ValueError, OverflowError):
        try:
            with warnings.catch_warnings():
                # "EST"-style names are ambiguous; such a value is read as UTC.
                warnings.simplefilter("ignore", dateparser.UnknownTimezoneWarning)
                parsed = dateparser.parse(value, fuzzy=False)
        except (ValueError, OverflowError):
            return None
    date_only = re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None
    raw = parsed.date().isoformat() if date_only else parsed.isoformat()
    aware = parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC), raw


def _first_date(
    candidates: Iterable[tuple[str, str]], now: dt.datetime
) -> tuple[dt.datetime | None, str | None, str | None]:
    """The first candidate that parses and passes the sanity rules, with its source."""
    for source, value in candidates:
        parsed = parse_date(value)
        if parsed is None:
            continue
        when, raw = parsed
        if EARLIEST <= when <= now + FUTURE_LEEWAY:
            return when, raw, source
    return None, None, None


class StructuredData:
    """JSON-LD objects and ``<meta>`` tags of one page, read once."""

    def __init__(self, tree: HtmlElement) -> None:
        self.tree = tree
        self.metas: dict[str, str] = {}
        for meta in tree.iterfind(".//meta"):
            key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
            content = meta.get("content")
            if key and content and key not in self.metas:
                self.metas[key] = content.strip()
        self.objects = list(_jsonld_objects(tree))
        self.articles = [obj for obj in self.objects if _types(obj) & ARTICLE_TYPES]

    def meta(self, *keys: str) -> str | None:
        for key in keys:
            if self.metas.get(key):
                return self.metas[key]
        return None

    def _article_value(self, key: str) -> Any:
        for obj in self.articles:
            if obj.get(key):
                return obj[key]
        return None

    def title(self) -> str | None:
        headline = self._article_value("headline")
        return str(headline).strip() if isinstance(headline, str) and headline.strip() else None

    def authors(self) -> list[str]:
        value = self._article_value("author")
        names = []
        for entry in value if isinstance(value, list) else [value]:
            name = entry.get("name") if isinstance(entry, dict) else entry
            if isinstance(name, str) and name.strip():
                names.append(" ".join(name.split()))
        return _unique(names)

    def published_candidates(self, url: str, fallback: str | None) -> Iterator[tuple[str, str]]:
        value = self._article_value("datePublished")
        if isinstance(value, str):
            yield "jsonld", value
        for key in _PUBLISHED_META:
            if self.metas.get(key):
                yield "meta", self.metas[key]
        for time in self.tree.iterfind(".//time[@datetime]"):
            yield "time", time.get("datetime", "")
            break
        match = _URL_DATE.search(url)
        if match:
            year, month, day = (int(g) for g in match.groups())
            yield "url", f"{year:04d}-{month:02d}-{day:02d}"
        if fallback:
            yield "htmldate", fallback

    def modified_candidates(self) -> Iterator[tuple[str, str]]:
        value = self._article_value("dateModified")
        if isinstance(value, str):
            yield "jsonld", value
        for key in _MODIFIED_META:
            if self.metas.get(key):
                yield "meta", self.metas[key]

    def canonical(self) -> str | None:
        for link in self.tree.iterfind(".//link[@rel]"):
            href = str(link.get("href") or "")
            if str(link.get("rel")).lower() == "canonical" and href:
                return href
        return self.meta("og:url")

    def language(self) -> str | None:
        value = self._article_value("inLanguage") or self.tree.get("lang") or self.meta("og:locale")
        if not isinstance(value, str) or not value.strip():
            return None
        return value.strip().replace("_", "-").split("-")[0].lower()

    def site_name(self) -> str | None:
        publisher = self._article_value("publisher")
        if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
            return str(publisher["name"])
        return self.meta("og:site_name", "application-name")

    def tags(self) -> list[str]:
        keywords = self._article_value("keywords")
        if isinstance(keywords, str):
            keywords = keywords.split(",")
        tags = [k.strip() for k in keywords or [] if isinstance(k, str) and k.strip()]
        tags += [
            m.get("content", "").strip()
            for m in self.tree.iterfind(".//meta[@property='article:tag']")
            if m.get("content", "").strip()
        ]
        return tags


def _jsonld_objects(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    """Every JSON object in the page's JSON-LD scripts, ``@graph`` and lists flattened."""
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        stack = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(reversed(node))
            elif isinstance(node, dict):
                if "@graph" in node:
                    stack.append(node["@graph"])
                yield node


def _types(obj: dict[str, Any]) -> set[str]:
    value = obj.get("@type")
    values = value if isinstance(value, list) else [value]
    return {v.lower() for v in values if isinstance(v, str)}
