"""Data functions over a caller-owned ``Session``: store articles and their URLs, read them back."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import logging

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.dialects import postgresql, sqlite

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
    so two processes storing the same article at once still store it once.

    Returns:
        Counts of outcomes: ``stored``, ``alias``, ``duplicate_body``, ``unresolved``.
    """
    outcomes: Counter[str] = Counter()
    new = [item for item in items if item.duplicate_of is None]
    inserted: set[str] = set()
    if new:
        rows = [
            {k: v for k, v in dataclasses.asdict(item).items() if k in ARTICLE_COLUMNS}
            | {"crawl_run_id": run_id}
            for item in new
        ]
        statement = (
            _insert(session, Article).values(rows).on_conflict_do_nothing()
            .returning(Article.canonical_url)
        )
        inserted = set(session.scalars(statement))

    canonicals = {item.canonical_url for item in items}
    fingerprints = {item.content_fingerprint for item in items}
    found = session.execute(
        select(Article.id, Article.url, Article.canonical_url, Article.content_fingerprint).where(
            or_(Article.canonical_url.in_(canonicals), Article.content_fingerprint.in_(fingerprints))
        )
    ).all()
    by_canonical = {row.canonical_url: row.id for row in found}
    by_fingerprint = {row.content_fingerprint: row.id for row in found}
    # Articles first stored from a copy (AMP, tracking URL) whose canonical page is now here.
    from_copy = {row.canonical_url for row in found if row.url != row.canonical_url}

    url_rows: dict[str, dict[str, Any]] = {}
    for item in items:
        if item.duplicate_of is None and item.canonical_url in inserted:
            inserted.discard(item.canonical_url)
            outcome, article_id = "stored", by_canonical[item.canonical_url]
            url_rows.setdefault(item.canonical_url, _url_row(item.canonical_url, article_id, "canonical", run_id))
        elif item.canonical_url in by_canonical:
            outcome, article_id = "alias", by_canonical[item.canonical_url]
            if item.canonical_url in from_copy and canonicalize_url(item.url) == item.canonical_url:
                _replace_with_canonical_page(session, article_id, item)
                from_copy.discard(item.canonical_url)
        elif item.content_fingerprint in by_fingerprint:
            outcome, article_id = "duplicate_body", by_fingerprint[item.content_fingerprint]
            url_rows.setdefault(item.canonical_url, _url_row(item.canonical_url, article_id, outcome, run_id))
        else:
            outcomes["unresolved"] += 1
            continue
        outcomes[outcome] += 1
        reason = "alias" if outcome == "stored" else outcome
        url_rows.setdefault(item.url, _url_row(item.url, article_id, reason, run_id))
    if url_rows:
        session.execute(_insert(session, ArticleUrl).values(list(url_rows.values())).on_conflict_do_nothing())
    return outcomes


def _replace_with_canonical_page(session: Session, article_id: int, item: ArticleItem) -> None:
    """The canonical page is the better source than a copy of it (AMP pages lack dates, say)."""
    values = {k: v for k, v in dataclasses.asdict(item).items() if k in ARTICLE_COLUMNS}
    try:
        with session.begin_nested():
            session.execute(update(Article).where(Article.id == article_id).values(values))
    except IntegrityError:
        # Its body equals a third article's: keep the copy's text rather than merge stories.
        logger.info("kept the stored copy of %(url)s: its body is stored elsewhere", {"url": item.url})


def _url_row(url: str, article_id: int, reason: str, run_id: int | None) -> dict[str, Any]:
    return {"url": url, "article_id": article_id, "reason": reason, "crawl_run_id": run_id}


def iter_articles(session: Session, batch_size: int = 500) -> Iterator[Article]:
    """All articles by id, streamed in batches so exports never hold the table in memory."""
    statement = select(Article).order_by(Article.id).execution_options(yield_per=batch_size)
    yield from session.scalars(statement)


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
