"""Persistence of learned site chrome: per-site block counts, and re-cleaning stored bodies."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, delete, func, select, update

from crawler.items import ArticleItem
from crawler.storage.models import Article, ArticleUrl, ArticleVersion, Site, SiteBlock
from crawler.storage.repository import dialect_insert
from crawler.storage.stories import forget_article

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)


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
    """Count one more article per entry on its site, and each of its blocks once; a block's
    text is kept from its second article on (``SiteBlock.text``)."""
    articles: Counter[str] = Counter(site for site, _ in site_blocks)
    pages: Counter[tuple[str, str]] = Counter()
    texts: dict[tuple[str, str], str] = {}
    for site, blocks in site_blocks:
        for block, sample in blocks.items():
            pages[site, block] += 1
            texts.setdefault((site, block), sample[:500])
    if articles:
        statement = dialect_insert(session, Site)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[Site.site], set_={"articles": Site.articles + statement.excluded.articles}
            ),
            [{"site": s, "articles": n} for s, n in articles.items()],
        )
    if pages:
        # The text goes in with a block that recurs within the batch; else by the conflict
        # clause, from the block's second article on. No RETURNING: the archive reader's memory
        # grew by 30 MB with a version reading back every block of each batch.
        statement = dialect_insert(session, SiteBlock)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[SiteBlock.site, SiteBlock.block_hash],
                set_={"pages": SiteBlock.pages + statement.excluded.pages,
                      "text": func.coalesce(SiteBlock.text, bindparam("sample"))},
            ),
            [{"site": s, "block_hash": b, "pages": n, "text": texts[s, b] if n > 1 else None, "sample": texts[s, b]}
             for (s, b), n in pages.items()],
        )


def reclean_articles(
    session: Session, site: str, clean: Callable[[ArticleItem], ArticleItem], run_id: int | None = None
) -> Counter[str]:
    """Apply ``clean`` to every stored article of ``site``.

    Chrome can hide a duplicate: a print copy without the corrections notice and the article
    with it were stored apart. When a cleaned body equals another stored article's, the two are
    one story: they are merged, keeping the page that named its canonical URL, and every URL
    of the other becomes a ``duplicate_body`` row of the kept one.

    Returns:
        Counts: ``recleaned`` (bodies changed), ``merged`` (articles merged into a twin); and
        what the merges took from the figures of run ``run_id`` (negative or positive counts of
        the keys ``store_articles`` returns): its articles merged away, their stories, its URL
        rows relabelled and version rows deleted.
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
                dropped = _set_body(session, row.id, cleaned.body, cleaned.content_fingerprint, run_id, counts)
                if dropped is not None:
                    counts["merged"] += 1
                    merged_away.add(dropped)
    return counts


def _set_body(
    session: Session, article_id: int, body: str, fingerprint: str, run_id: int | None, counts: Counter[str]
) -> int | None:
    """Give an article a cleaned body; returns the id of the twin merged away, if any."""
    twin = session.scalar(
        select(Article).where(Article.content_fingerprint == fingerprint, Article.id != article_id)
    )
    if twin is not None:
        this = session.get_one(Article, article_id)
        keep, drop = sorted((this, twin), key=lambda a: (not a.canonical_from_page, a.id))
        if run_id is not None:
            counts.update(_merge_effects(session, keep, drop, run_id))
        session.execute(
            update(ArticleUrl).where(ArticleUrl.article_id == drop.id).values(article_id=keep.id, reason="duplicate_body")
        )
        forget_article(session, drop.id, keep.id)
        session.execute(delete(ArticleVersion).where(ArticleVersion.article_id == drop.id))
        session.delete(drop)
        session.flush()
        if keep is twin:
            return drop.id
    session.execute(update(Article).where(Article.id == article_id).values(body=body, content_fingerprint=fingerprint))
    return None if twin is None else twin.id


def _merge_effects(session: Session, keep: Article, drop: Article, run_id: int) -> Counter[str]:
    """What merging ``drop`` into ``keep`` changes in the rows run ``run_id`` added: ``drop``
    itself (an article no more, so a duplicate), ``keep`` heading the story ``drop`` headed,
    ``drop``'s URL rows becoming ``duplicate_body`` rows, its version rows deleted."""
    effects: Counter[str] = Counter()
    if drop.crawl_run_id == run_id:
        effects["stored"] -= 1
        effects["new_story" if drop.cluster_id is None else "near_duplicate"] -= 1
        effects["duplicates"] += 1
    if keep.crawl_run_id == run_id and keep.cluster_id == drop.id:  # see stories.forget_article
        effects["near_duplicate"] -= 1
        effects["new_story"] += 1
    urls = session.execute(
        select(ArticleUrl.reason, func.count())
        .where(ArticleUrl.article_id == drop.id, ArticleUrl.crawl_run_id == run_id, ArticleUrl.reason != "duplicate_body")
        .group_by(ArticleUrl.reason)
    ).all()
    for reason, n in urls:
        effects["duplicate_body"] += n
        if reason == "alias":
            effects["alias"] -= n
    versions = session.scalar(
        select(func.count()).select_from(ArticleVersion)
        .where(ArticleVersion.article_id == drop.id, ArticleVersion.crawl_run_id == run_id)
    )
    if versions:
        effects["updated"] -= versions
    return effects
