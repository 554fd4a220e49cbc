"""Sitemaps: indexes, plain and Google News sitemaps, gzipped or not, read with the safe options
Scrapy uses (no entity expansion, no network), keeping what news sitemaps say of each article.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import lxml.etree
from scrapy.utils.gz import gunzip

from crawler.extraction.dates import parse_date

_GZIP_MAGIC = b"\x1f\x8b"


class NotASitemap(ValueError):
    """The document is no sitemap or sitemap index; the message says why."""


@dataclass(frozen=True)
class SitemapEntry:
    loc: str
    lastmod: str | None = None
    published: str | None = None
    title: str | None = None
    language: str | None = None

    def hints(self) -> dict[str, Any]:
        hints: dict[str, Any] = {"via": "sitemap"}
        if self.published:
            hints["published"] = self.published
        if self.title:
            hints["title"] = self.title
        return hints


def _name(element: Any) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def _child(element: Any, *path: str) -> str | None:
    for step in path:
        element = next((c for c in element if _name(c) == step), None)
        if element is None:
            return None
    text = (element.text or "").strip()
    return text or None


def _hreflangs(root: Any) -> dict[str, str]:
    """``href -> hreflang`` of every ``<xhtml:link rel="alternate" hreflang>`` in the sitemap.

    A ``<url>`` lists its language versions, itself included, and each version's language holds
    wherever in the file that version is listed.
    """
    languages = {}
    for element in root:
        for link in element:
            lang, href = (link.get("hreflang") or "").strip(), (link.get("href") or "").strip()
            if _name(link) == "link" and link.get("rel") == "alternate" and href and lang.lower() not in {"", "x-default"}:
                languages[href] = lang
    return languages


def parse_sitemap(body: bytes, max_size: int = 0) -> tuple[str, list[SitemapEntry], list[str]]:
    """``("index" | "urlset", entries, problems)`` of a sitemap, gunzipping it when needed.

    An entry's language is its ``news:language``, else the ``hreflang`` the sitemap gives its URL.
    ``problems`` names entries whose dates do not parse (their dates are dropped, the entries
    kept). Raises NotASitemap when the root is neither ``urlset`` nor ``sitemapindex``.
    """
    if body.startswith(_GZIP_MAGIC):
        try:
            body = gunzip(body, max_size=max_size)
        except (OSError, EOFError, ValueError, zlib.error) as exc:
            raise NotASitemap(f"bad gzip data: {exc}") from exc
    parser = lxml.etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = lxml.etree.parse(BytesIO(body), parser).getroot()
    except lxml.etree.XMLSyntaxError as exc:
        raise NotASitemap(f"not XML: {exc}") from exc
    if root is None or _name(root) not in {"urlset", "sitemapindex"}:
        raise NotASitemap(f"root element is {_name(root) if root is not None else 'missing'}, not urlset or sitemapindex")
    kind = "index" if _name(root) == "sitemapindex" else "urlset"
    entries, problems = [], []
    hreflangs = _hreflangs(root)
    for element in root:
        loc = _child(element, "loc")
        if _name(element) not in {"url", "sitemap"} or not loc:
            continue
        lastmod = _child(element, "lastmod")
        published = _child(element, "news", "publication_date")
        for label, value in (("lastmod", lastmod), ("publication_date", published)):
            if value and parse_date(value) is None:
                problems.append(f"{loc}: {label} {value!r} is not a date")
        entries.append(SitemapEntry(
            loc=loc,
            lastmod=lastmod if lastmod and parse_date(lastmod) else None,
            published=published if published and parse_date(published) else None,
            title=_child(element, "news", "title"),
            language=_child(element, "news", "publication", "language") or hreflangs.get(loc),
        ))
    return kind, entries, problems
