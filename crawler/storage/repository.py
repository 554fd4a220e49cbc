"""Data functions over a caller-owned ``Session``: store articles and their URLs, read them back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import column, func, literal_column, or_, select, table, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from w3lib.url import canonicalize_url

from crawler.items import ArticleItem
from crawler.storage.models import Article, ArticleUrl, Site, SiteBlock

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)
_WORD = re.compile(r"\w+", re.UNICODE)

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
) -> tuple[Counter[str], list[ArticleItem]]:
    """Store a batch: new articles once, every other URL as an alias row of its article.

    The unique constraints on ``canonical_url``, ``content_fingerprint`` and ``url`` are the truth,
    so two processes storing the same article at once still store it once. When a copy (AMP,
    print, tracking URL) was stored first and the article's own page arrives later, the page's
    extraction replaces the copy's: it is the better source for dates and authors.

    Returns:
        Counts of outcomes (``stored``, ``alias``, ``duplicate_body``, ``unresolved``) and the
        items whose text was written: new articles, and pages that replaced a copy.
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
    stored_items: list[ArticleItem] = []
    unresolved: list[ArticleItem] = []
    # Every URL of the batch -> (its article, the canonical URL its page named).
    links: dict[str, tuple[int, str]] = {}
    for item in items:
        if item.duplicate_of is None and item.canonical_url in inserted:
            inserted.discard(item.canonical_url)
            outcome, article_id = "stored", by_canonical[item.canonical_url]
            stored_items.append(item)
        elif item.canonical_url in by_canonical:
            outcome, article_id = "alias", by_canonical[item.canonical_url]
            current = stored[article_id]
            if (
                _is_own_page(item.url, item.canonical_url)
                and not _is_own_page(current["url"], current["canonical_url"])
                and _replace(session, current, item)
            ):
                stored_items.append(item)
        elif item.content_fingerprint in by_fingerprint:
            outcome, article_id = "duplicate_body", by_fingerprint[item.content_fingerprint]
            current = stored[article_id]
            if item.canonical_from_page and not current["canonical_from_page"]:
                # This page names its canonical URL; the stored copy only had its own address.
                old_canonical = current["canonical_url"]
                if _replace(session, current, item):
                    stored_items.append(item)
                    by_canonical[item.canonical_url] = article_id
                    session.execute(
                        update(ArticleUrl)
                        .where(ArticleUrl.url == old_canonical)
                        .values(reason="duplicate_body")
                    )
        else:
            unresolved.append(item)
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
    hinted = [dataclasses.replace(item, duplicate_of=None) for item in unresolved if item.duplicate_of]
    if hinted:
        # The article an in-run duplicate pointed at has since taken another page's text (the
        # canonical page replaced its AMP copy, say): the duplicate is a story of its own.
        more, more_stored = store_articles(session, hinted, run_id)
        outcomes.update(more)
        stored_items += more_stored
    if len(unresolved) > len(hinted):
        outcomes["unresolved"] += len(unresolved) - len(hinted)
    return outcomes, stored_items


def load_site_blocks(session: Session, site: str, min_pages: int = 2) -> tuple[int, list[tuple[str, int]]]:
    """A site's stored-article count and the blocks seen on at least ``min_pages`` of them.

    Blocks seen once are every story's own paragraphs; leaving them out keeps this small.
    """
    articles = session.scalar(select(Site.articles).where(Site.site == site)) or 0
    blocks = session.execute(
        select(SiteBlock.block_hash, SiteBlock.pages).where(
            SiteBlock.site == site, SiteBlock.pages >= min_pages
        )
    ).all()
    return articles, [(block, pages) for block, pages in blocks]


def add_site_blocks(session: Session, site_blocks: Sequence[tuple[str, dict[str, str]]]) -> None:
    """Count one more article per entry on its site, and each of its blocks once."""
    articles: Counter[str] = Counter(site for site, _ in site_blocks)
    pages: Counter[tuple[str, str]] = Counter()
    texts: dict[tuple[str, str], str] = {}
    for site, blocks in site_blocks:
        for block, sample in blocks.items():
            pages[site, block] += 1
            texts.setdefault((site, block), sample[:500])
    if articles:
        statement = _insert(session, Site).values([{"site": s, "articles": n} for s, n in articles.items()])
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[Site.site], set_={"articles": Site.articles + statement.excluded.articles}
            )
        )
    if pages:
        rows = [{"site": s, "block_hash": b, "pages": n, "text": texts[s, b]} for (s, b), n in pages.items()]
        for start in range(0, len(rows), 500):
            statement = _insert(session, SiteBlock).values(rows[start : start + 500])
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=[SiteBlock.site, SiteBlock.block_hash],
                    set_={"pages": SiteBlock.pages + statement.excluded.pages},
                )
            )


def reclean_articles(
    session: Session, site: str, clean: Callable[[ArticleItem], ArticleItem]
) -> Counter[str]:
    """Apply ``clean`` to every stored article of ``site``.

    Chrome can hide a duplicate: a print copy without the corrections notice and the article
    with it were stored apart. When a cleaned body equals another stored article's, the two are
    one story: they are merged, keeping the page that named its canonical URL, and every URL
    of the other becomes a ``duplicate_body`` row of the kept one.

    Returns:
        Counts: ``recleaned`` (bodies changed), ``merged`` (articles merged into a twin).
    """
    counts: Counter[str] = Counter()
    merged_away: set[int] = set()
    last_id = 0
    while rows := session.execute(
        select(Article.id, Article.site, Article.url, Article.canonical_url, Article.body)
        .where(Article.site == site, Article.id > last_id)
        .order_by(Article.id)
        .limit(500)
    ).all():
        last_id = rows[-1].id
        for row in rows:
            if row.id in merged_away:
                continue
            probe = ArticleItem(url=row.url, canonical_url=row.canonical_url, site=row.site, body=row.body)
            cleaned = clean(probe)
            if cleaned.body != row.body:
                counts["recleaned"] += 1
                dropped = _set_body(session, row.id, cleaned.body, cleaned.content_fingerprint)
                if dropped is not None:
                    counts["merged"] += 1
                    merged_away.add(dropped)
    return counts


def _set_body(session: Session, article_id: int, body: str, fingerprint: str) -> int | None:
    """Give an article a cleaned body; returns the id of the twin merged away, if any."""
    twin = session.scalar(
        select(Article).where(Article.content_fingerprint == fingerprint, Article.id != article_id)
    )
    if twin is not None:
        this = session.get_one(Article, article_id)
        keep, drop = sorted((this, twin), key=lambda a: (not a.canonical_from_page, a.id))
        session.execute(
            update(ArticleUrl).where(ArticleUrl.article_id == drop.id).values(article_id=keep.id, reason="duplicate_body")
        )
        session.delete(drop)
        session.flush()
        if keep is twin:
            return drop.id
    session.execute(update(Article).where(Article.id == article_id).values(body=body, content_fingerprint=fingerprint))
    return None if twin is None else twin.id


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


def _filters(site: str | None, since: dt.datetime | None) -> list[Any]:
    conditions: list[Any] = []
    if site:
        conditions.append(Article.site == site)
    if since:
        conditions.append(Article.published_at >= since)
    return conditions


def iter_articles(
    session: Session,
    *,
    site: str | None = None,
    since: dt.datetime | None = None,
    batch_size: int = 500,
) -> Iterator[Article]:
    """Articles by id (of a site, published since a time), streamed in batches so that exports
    never hold the table in memory."""
    statement = (
        select(Article).where(*_filters(site, since)).order_by(Article.id).execution_options(yield_per=batch_size)
    )
    yield from session.scalars(statement)


def search_articles(
    session: Session,
    query: str,
    *,
    site: str | None = None,
    since: dt.datetime | None = None,
    limit: int = 20,
) -> Sequence[Article]:
    """Articles matching every word of ``query`` in title or body, best first (title weighs more)."""
    words = _WORD.findall(query)
    if not words:
        return []
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        fts = table("articles_fts", column("rowid"), column("rank"))
        # Each word quoted: user input never reaches FTS5's query syntax.
        match = " ".join('"' + w.replace('"', "") + '"' for w in words)
        statement = (
            select(Article)
            .join(fts, fts.c.rowid == Article.id)
            .where(text("articles_fts MATCH :match").bindparams(match=match))
            .order_by(text("bm25(articles_fts, 10.0, 1.0)"))
        )
    elif dialect == "postgresql":
        tsquery = func.plainto_tsquery("simple", " ".join(words))
        search: ColumnElement[Any] = literal_column("articles.search")
        statement = select(Article).where(search.op("@@")(tsquery)).order_by(func.ts_rank(search, tsquery).desc())
    else:
        raise NotImplementedError(f"no full-text search on {dialect!r}")
    return session.scalars(statement.where(*_filters(site, since)).limit(limit)).all()


def latest_articles(session: Session, limit: int = 20) -> Sequence[Article]:
    """The most recently published articles, undated ones last."""
    statement = select(Article).order_by(Article.published_at.desc().nulls_last(), Article.id).limit(limit)
    return session.scalars(statement).all()


def counts(session: Session) -> dict[str, Any]:
    """Totals a reader wants first: articles, URLs by reason, articles per site."""
    return {
        "articles": session.scalar(select(func.count(Article.id))) or 0,
        "urls": {reason: n for reason, n in session.execute(select(ArticleUrl.reason, func.count()).group_by(ArticleUrl.reason))},
        "sites": {
            site: n
            for site, n in session.execute(
                select(Article.site, func.count()).group_by(Article.site).order_by(func.count().desc())
            )
        },
    }
