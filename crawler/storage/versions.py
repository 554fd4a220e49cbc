"""Article versions: the texts an article had, kept once a re-fetch finds it edited.

Unchanged articles have no version rows (their one version is the article row itself), so the
table costs nothing for the great majority of articles that are never edited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from crawler.storage.models import Article, ArticleVersion

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Version:
    version: int
    fetched_at: dt.datetime
    title: str | None
    body: str


def content_hash(title: str | None, body: str) -> str:
    return hashlib.sha256(f"{title or ''}\n\n{body}".encode()).hexdigest()


def current_version(session: Session, article_id: int) -> Version:
    row = session.execute(
        select(Article.title, Article.body, Article.fetched_at).where(Article.id == article_id)
    ).one()
    return Version(1, row.fetched_at, row.title, row.body)


def add_edit(session: Session, article_id: int, before: Version, after: Version, run_id: int | None) -> int:
    """Record ``after`` as the article's newest version (and ``before`` as its first, if it has
    no versions yet); returns the new version's number."""
    last = session.scalar(select(func.max(ArticleVersion.version)).where(ArticleVersion.article_id == article_id))
    rows = []
    if last is None:
        rows.append(before)
        last = 1
    rows.append(Version(last + 1, after.fetched_at, after.title, after.body))
    session.add_all([
        ArticleVersion(
            article_id=article_id, version=v.version, fetched_at=v.fetched_at,
            content_hash=content_hash(v.title, v.body), title=v.title, body=v.body,
            crawl_run_id=run_id if v is not before else None,
        )
        for v in rows
    ])
    session.flush()
    return last + 1


def versions(session: Session, article_id: int) -> list[Version]:
    """Every version of an article, oldest first: its version rows, or the article itself."""
    rows = session.scalars(
        select(ArticleVersion).where(ArticleVersion.article_id == article_id).order_by(ArticleVersion.version)
    ).all()
    if not rows:
        return [current_version(session, article_id)]
    return [Version(r.version, r.fetched_at, r.title, r.body) for r in rows]
