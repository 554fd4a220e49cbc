"""What crawls learn of each site's links, kept for later runs and other workers: the rewrite
rules of copies' addresses (``copy_rules``) with the aliases they give, and which shapes of link
lead to articles (``link_templates``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select

from crawler.dedupe.copyrules import Rewrite
from crawler.storage.models import ArticleUrl, CopyRule, LinkTemplate, utcnow
from crawler.storage.repository import dialect_insert

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from crawler.items import CopyUrls

# Bound parameters per IN list: far below SQLite's and PostgreSQL's limits.
_CHUNK = 500


def load_copy_rules(session: Session, sites: Sequence[str]) -> list[tuple[str, Rewrite, int, bool]]:
    """The rules kept for ``sites``: site, rewrite, confirmations, refuted."""
    rows = session.execute(select(CopyRule).where(CopyRule.site.in_(sites))).scalars()
    return [(row.site, Rewrite(row.kind, row.pattern), row.confirmations, row.refuted) for row in rows]


def save_copy_rules(session: Session, changes: Iterable[tuple[str, Rewrite, int, bool]]) -> None:
    """Keep what a crawl learned: the larger count of confirmations wins, and a rule refuted by
    any worker stays refuted."""
    rows = [
        {"site": site, "kind": rewrite.kind, "pattern": rewrite.pattern, "confirmations": confirmations,
         "refuted": refuted, "updated_at": utcnow()}
        for site, rewrite, confirmations, refuted in changes
    ]
    _merge(session, CopyRule, ["site", "kind", "pattern"], "confirmations", "refuted", rows)


def load_link_templates(session: Session, sites: Sequence[str]) -> list[tuple[str, str, int, bool]]:
    """The shapes of link kept for ``sites``: site, template, pages fetched, whether any led to an article."""
    rows = session.execute(select(LinkTemplate).where(LinkTemplate.site.in_(sites))).scalars()
    return [(row.site, row.template, row.fetched, row.yielding) for row in rows]


def save_link_templates(session: Session, changes: Iterable[tuple[str, str, int, bool]]) -> None:
    """Keep what a crawl saw of its links' shapes: the larger count of pages fetched wins, and a
    shape any worker saw lead to an article stays so."""
    rows = [
        {"site": site, "template": template, "fetched": fetched, "yielding": yielding, "updated_at": utcnow()}
        for site, template, fetched, yielding in changes
    ]
    _merge(session, LinkTemplate, ["site", "template"], "fetched", "yielding", rows)


def _merge(session: Session, model: type[Any], key: list[str], count: str, flag: str, rows: list[dict[str, Any]]) -> None:
    """Upsert ``rows``: ``count`` takes the larger value, ``flag`` once true stays true."""
    if not rows:
        return
    statement = dialect_insert(session, model)
    table = model.__table__
    larger = func.max if session.get_bind().dialect.name == "sqlite" else func.greatest
    session.execute(
        statement.on_conflict_do_update(
            index_elements=key,
            set_={
                count: larger(table.c[count], statement.excluded[count]),
                flag: or_(table.c[flag], statement.excluded[flag]),
                "updated_at": statement.excluded.updated_at,
            },
        ),
        rows,
    )


def record_copy_urls(session: Session, items: Sequence[CopyUrls], run_id: int | None) -> tuple[int, list[CopyUrls]]:
    """Record the addresses of copies known by a rule as aliases of their article, found by its
    canonical URL; returns the rows added and the items whose article is not stored."""
    wanted = list({item.canonical_url for item in items})
    articles: dict[str, int] = {}
    for start in range(0, len(wanted), _CHUNK):
        found = session.execute(
            select(ArticleUrl.url, ArticleUrl.article_id).where(ArticleUrl.url.in_(wanted[start:start + _CHUNK]))
        )
        articles.update((url, article_id) for url, article_id in found)
    rows = [
        {"url": url, "article_id": articles[item.canonical_url], "reason": "alias", "crawl_run_id": run_id}
        for item in items if item.canonical_url in articles for url in item.urls
    ]
    unmatched = [item for item in items if item.canonical_url not in articles]
    if not rows:
        return 0, unmatched
    added = session.scalars(dialect_insert(session, ArticleUrl).on_conflict_do_nothing().returning(ArticleUrl.id), rows)
    return len(added.all()), unmatched
