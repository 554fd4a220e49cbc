"""Data functions over a caller-owned ``Session``: store articles and their URLs, read them back."""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from w3lib.url import canonicalize_url

from crawler.storage.models import Article, ArticleUrl

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from crawler.items import ArticleItem

logger = logging.getLogger(__name__)

ARTICLE_COLUMNS = frozenset(c.key for c in Article.__table__.columns) - {
    "id", "created_at", "updated_at", "crawl_run_id",
}


def _insert(session: Session, model: type[Any]) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT; the unique constraints decide."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(model)
    if name == "sqlite":
        return sqlite.insert(model)
    raise NotImplementedError(f"unsupported database dialect {name!r}: use SQLite or PostgreSQL")


def store_articles(
    session: Session, items: Sequence[ArticleItem], run_id: int | None = None
) -> Counter[str]:
    """Store a batch: new articles once, every other URL as an alias row of its article.

    The unique constraints on ``canonical_url``, ``content_fingerprint`` and ``url`` are the truth,
    so two processes storing the same article at once still store it once. When a copy (AMP,
    print, tracking URL) was stored first and the article's own page arrives later, the page's
    extraction replaces the copy's: it is the better source for dates and authors.

    Returns:
        Counts of outcomes: ``stored``, ``alias``, ``duplicate_body``, ``unresolved``.
    """
    new = [item for item in items if item.duplicate_of is None]
    inserted: set[str] = set()
    if new:
        rows = [_article_values(item) | {"crawl_run_id": run_id} for item in new]
        statement = (
            _insert(session, Article).values(rows).on_conflict_do_nothing()
            .returning(Article.canonical_url)
        )
        inserted = set(session.scalars(statement))

    found = session.execute(
        select(
            Article.id, Article.url, Article.canonical_url, Article.canonical_from_page,
            Article.content_fingerprint,
        ).where(
            or_(
                Article.canonical_url.in_({item.canonical_url for item in items}),
                Article.content_fingerprint.in_({item.content_fingerprint for item in items}),
            )
        )
    ).all()
    stored = {row.id: row._asdict() for row in found}
    by_canonical = {row.canonical_url: row.id for row in found}
    by_fingerprint = {row.content_fingerprint: row.id for row in found}

    outcomes: Counter[str] = Counter()
    # Every URL of the batch -> (its article, the canonical URL its page named).
    links: dict[str, tuple[int, str]] = {}
    for item in items:
        if item.duplicate_of is None and item.canonical_url in inserted:
            inserted.discard(item.canonical_url)
            outcome, article_id = "stored", by_canonical[item.canonical_url]
        elif item.canonical_url in by_canonical:
            outcome, article_id = "alias", by_canonical[item.canonical_url]
            current = stored[article_id]
            if _is_own_page(item.url, item.canonical_url) and not _is_own_page(current["url"], current["canonical_url"]):
                _replace(session, current, item)
        elif item.content_fingerprint in by_fingerprint:
            outcome, article_id = "duplicate_body", by_fingerprint[item.content_fingerprint]
            current = stored[article_id]
            if item.canonical_from_page and not current["canonical_from_page"]:
                # This page names its canonical URL; the stored copy only had its own address.
                old_canonical = current["canonical_url"]
                if _replace(session, current, item):
                    by_canonical[item.canonical_url] = article_id
                    session.execute(
                        update(ArticleUrl)
                        .where(ArticleUrl.url == old_canonical)
                        .values(reason="duplicate_body")
                    )
        else:
            outcomes["unresolved"] += 1
            continue
        outcomes[outcome] += 1
        links.setdefault(item.canonical_url, (article_id, item.canonical_url))
        links.setdefault(item.url, (article_id, item.canonical_url))

    url_rows = []
    for url, (article_id, named) in links.items():
        canonical = stored[article_id]["canonical_url"]
        reason = "canonical" if url == canonical else "alias" if named == canonical else "duplicate_body"
        url_rows.append({"url": url, "article_id": article_id, "reason": reason, "crawl_run_id": run_id})
    if url_rows:
        session.execute(_insert(session, ArticleUrl).values(url_rows).on_conflict_do_nothing())
    return outcomes


def _article_values(item: ArticleItem) -> dict[str, Any]:
    return {k: v for k, v in dataclasses.asdict(item).items() if k in ARTICLE_COLUMNS}


def _is_own_page(url: str, canonical_url: str) -> bool:
    return canonicalize_url(url) == canonical_url


def _replace(session: Session, current: dict[str, Any], item: ArticleItem) -> bool:
    """Overwrite a stored article with a better source of the same story; False if refused."""
    values = _article_values(item)
    try:
        with session.begin_nested():
            session.execute(update(Article).where(Article.id == current["id"]).values(values))
    except IntegrityError:
        # The better page's canonical URL or body belongs to another stored article: keep both apart.
        logger.info("kept the stored copy of %(url)s: its page is stored elsewhere", {"url": item.url})
        return False
    current.update(values)
    return True


def iter_articles(session: Session, batch_size: int = 500) -> Iterator[Article]:
    """All articles by id, streamed in batches so exports never hold the table in memory."""
    statement = select(Article).order_by(Article.id).execution_options(yield_per=batch_size)
    yield from session.scalars(statement)


def latest_articles(session: Session, limit: int = 20) -> Sequence[Article]:
    """The most recently published articles, undated ones last."""
    statement = select(Article).order_by(Article.published_at.desc().nulls_last(), Article.id).limit(limit)
    return session.scalars(statement).all()


def counts(session: Session) -> dict[str, Any]:
    """Totals a reader wants first: articles, URLs by reason, articles per site."""
    return {
        "articles": session.scalar(select(func.count(Article.id))) or 0,
        "urls": dict(session.execute(select(ArticleUrl.reason, func.count()).group_by(ArticleUrl.reason)).tuples().all()),
        "sites": dict(
            session.execute(
                select(Article.site, func.count()).group_by(Article.site).order_by(func.count().desc())
            ).tuples().all()
        ),
    }
