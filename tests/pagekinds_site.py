"""The labelled page-kind set (``tests/pagekinds.py``) as one site, for crawls that must store its
articles and nothing else.

Sixteen publishers' pages share one host here: each is served at its own address's path and
query, and a start page (itself a listing) links to them all. Addresses are written the way a
client requests them (w3lib's ``safe_url_string``, as Scrapy does: ``[`` is sent as ``%5B``),
so a page is found under the address its request and its stored article carry.
"""

from __future__ import annotations

import html
from urllib.parse import urlsplit

from w3lib.url import canonicalize_url, safe_url_string

from tests.pagekinds import LabelledPage, load_pages

START = "/"
HEADERS = {"Content-Type": "text/html; charset=utf-8"}


def served_path(url: str) -> str:
    """The path and query a request for ``url`` asks for."""
    parts = urlsplit(safe_url_string(url))
    return parts.path + ("?" + parts.query if parts.query else "")


def _key(url: str) -> str:
    """One key for every spelling of an address (query order, percent-encoding) on any host:
    canonical URLs are stored with their query sorted."""
    return served_path(canonicalize_url(url))


class PageKindSite:
    """Every labelled page by the path it is served at, and the start page."""

    def __init__(self) -> None:
        pages = load_pages()
        keys = [_key(page.url) for page in pages]
        # Publishers on different hosts could share an address; on one host they must not.
        clashes = sorted({key for key in keys if keys.count(key) > 1 or key == START})
        if clashes:
            raise ValueError(f"pages that would share an address on one site: {clashes}")
        self.pages = {served_path(page.url): page for page in pages}
        self._by_key = dict(zip(keys, pages, strict=True))

    def of_kind(self, kind: str) -> list[LabelledPage]:
        return [page for page in self.pages.values() if page.kind == kind]

    def url(self, base: str, page: LabelledPage) -> str:
        """Where ``page`` is on the site at ``base`` (``http://127.0.0.1:8080``, no slash)."""
        return base + served_path(page.url)

    def page_at(self, url: str) -> LabelledPage | None:
        """The page at ``url``, however its query is ordered or encoded; None for the start page
        and addresses of no page."""
        return self._by_key.get(_key(url))

    def kind_at(self, url: str) -> str | None:
        """The kind of the page at ``url``: the start page is a listing; None for no page."""
        if served_path(url) == START:
            return "listing"
        page = self.page_at(url)
        return page.kind if page is not None else None

    def start_page(self) -> str:
        links = "".join(f'<li><a href="{html.escape(path)}">{html.escape(page.name)}</a></li>\n'
                        for path, page in self.pages.items())
        return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Every page kind</title>'
                f"</head>\n<body><h1>Every page kind</h1><ul>\n{links}</ul></body></html>\n")

    def responses(self) -> dict[str, tuple[int, dict[str, str], str]]:
        """Path to status, headers and body, as ``tests.mockserver.serving`` answers them."""
        return {START: (200, HEADERS, self.start_page())} | {
            path: (200, HEADERS, page.html) for path, page in self.pages.items()
        }
