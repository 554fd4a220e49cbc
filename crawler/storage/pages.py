"""What incremental crawls ask the database before fetching: stored article URLs, kept listing pages."""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select

from crawler.storage.models import Article, ArticleUrl, ListingPage
from crawler.storage.repository import dialect_insert, is_own_page

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# Bound parameters per IN list: far below SQLite's and PostgreSQL's limits.
_CHUNK = 500
# The flag of a response answered from its kept copy after a 304: such a page is not kept again.
NOT_MODIFIED = "not modified"


@dataclass(frozen=True)
class KeptPage:
    url: str
    etag: str | None
    last_modified: str | None
    content_type: str | None
    body: bytes


def stored_article_urls(session: Session, urls: Iterable[str]) -> dict[str, dt.datetime]:
    """Which of ``urls`` (any URL an article was seen under) are stored, with the article's date.

    The date is the publication date, or the first fetch when the page gave none: what a revisit
    window is measured against. An article's canonical URL is not reported while its text came
    from a copy (an AMP or print page naming it): the page itself is still to be fetched, and its
    text, the better source, replaces the copy's.
    """
    wanted = list(dict.fromkeys(urls))
    found: dict[str, dt.datetime] = {}
    for start in range(0, len(wanted), _CHUNK):
        rows = session.execute(
            select(
                ArticleUrl.url, func.coalesce(Article.published_at, Article.fetched_at),
                Article.url, Article.canonical_url,
            )
            .join(Article, Article.id == ArticleUrl.article_id)
            .where(ArticleUrl.url.in_(wanted[start:start + _CHUNK]))
        )
        found.update(
            (url, date) for url, date, fetched, canonical in rows
            if url != canonical or is_own_page(fetched, canonical)
        )
    return found


def listing_validators(session: Session, hosts: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
    """``url -> (etag, last_modified)`` of the kept listing pages of ``hosts`` and their subdomains."""
    if not hosts:
        return {}
    on_hosts = or_(*(or_(ListingPage.site == h, ListingPage.site.endswith("." + h)) for h in hosts))
    rows = session.execute(select(ListingPage.url, ListingPage.etag, ListingPage.last_modified).where(on_hosts))
    return {url: (etag, last_modified) for url, etag, last_modified in rows}


def kept_page(session: Session, url: str) -> KeptPage | None:
    page = session.get(ListingPage, url)
    if page is None:
        return None
    return KeptPage(page.url, page.etag, page.last_modified, page.content_type, zlib.decompress(page.body))


def keep_pages(session: Session, pages: Sequence[tuple[str, KeptPage]]) -> None:
    """Insert or replace ``(site, page)`` pairs."""
    if not pages:
        return
    now = dt.datetime.now(dt.UTC)
    rows = {
        page.url: {
            "url": page.url, "site": site, "etag": page.etag, "last_modified": page.last_modified,
            "content_type": page.content_type, "body": zlib.compress(page.body, 6), "fetched_at": now,
        }
        for site, page in pages
    }
    statement = dialect_insert(session, ListingPage)
    session.execute(statement.on_conflict_do_update(
        index_elements=[ListingPage.url],
        set_={key: statement.excluded[key] for key in ("site", "etag", "last_modified", "content_type",
                                                        "body", "fetched_at")},
    ), list(rows.values()))
