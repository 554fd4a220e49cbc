"""Crawl runs and what each did per site: recorded as a crawl ends (or, when the database could not
take it then, by the next command writing to it: ``crawler.storage.pending_ends``), read by
``newscrawl runs``.

A site that starts blocking the crawler (403, 429, challenge pages) or breaks its pages must
never look like a quiet news day. Each run's per-site figures are compared with the site's own
recent runs; a site whose stored articles or extraction success fall under a third of its
median, while the run met trouble there (blocked, failed or empty pages), is flagged.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.storage.models import CrawlRun, CrawlRunSite

KINDS = ("discovered", "fetched", "blocked", "errors", "paywalled", "empty", "filtered", "extracted", "duplicates",
         "stored")
# The per-site figures kept by kind in ``crawl_run_sites.error_kinds``.
ERROR_KINDS = ("http_", "error:")
HISTORY = 10  # the site's past runs its figures are compared with
FALL = 3  # "far below": under a third of the median
MIN_ATTEMPTS = 3  # article pages needed before an extraction success rate means anything
# The finish reason of a crawl the database went away under: what it could not store is in a
# spill file.
DATABASE_UNAVAILABLE = "database_unavailable"


@dataclass(frozen=True)
class RunEnd:
    """How a crawl ended: what ``crawl_runs`` and ``crawl_run_sites`` are to hold for it."""

    run_id: int
    started_at: dt.datetime
    finished_at: dt.datetime
    reason: str
    # Scrapy's final stats without the per-site figures, as JSON holds them.
    stats: dict[str, Any]
    sites: dict[str, dict[str, int]]


def record_end(session: Session, end: RunEnd) -> list[str]:
    """Finish the run and store its sites' figures; the warnings of the sites that fell far
    below their own recent runs (also in the stored stats, as ``news/warnings``)."""
    run = session.get_one(CrawlRun, end.run_id)
    warnings = record_sites(session, end.run_id, end.sites)
    run.finished_at = end.finished_at
    run.finish_reason = end.reason
    run.stats = {**end.stats, "news/warnings": warnings}
    return warnings


def record_sites(session: Session, run_id: int, counts: Mapping[str, Mapping[str, int]]) -> list[str]:
    """Store each site's figures for the run; the warnings of the sites that fell far below
    their own recent runs."""
    warnings = []
    for site, figures in sorted(counts.items()):
        history = session.scalars(
            select(CrawlRunSite)
            .join(CrawlRun, CrawlRun.id == CrawlRunSite.crawl_run_id)
            .where(CrawlRunSite.site == site, CrawlRunSite.crawl_run_id < run_id, CrawlRun.finished_at.is_not(None))
            .order_by(CrawlRunSite.crawl_run_id.desc())
            .limit(HISTORY)
        ).all()
        row = CrawlRunSite(crawl_run_id=run_id, site=site, **{kind: figures.get(kind, 0) for kind in KINDS},
                           error_kinds={kind: n for kind, n in sorted(figures.items()) if kind.startswith(ERROR_KINDS)})
        row.warning = fall_warning(row, history)
        session.add(row)
        if row.warning:
            warnings.append(row.warning)
    return warnings


def _success(row: CrawlRunSite) -> float | None:
    """Share of the site's article pages that gave an article (None below MIN_ATTEMPTS pages)."""
    attempts = row.extracted + row.empty + row.blocked
    return row.extracted / attempts if attempts >= MIN_ATTEMPTS else None


def fall_warning(row: CrawlRunSite, history: Sequence[CrawlRunSite]) -> str | None:
    """Why the run looks wrong for this site against its history, or None. Fewer articles alone
    is a quiet day; fewer articles with pages blocked, failed or empty is not."""
    if not history:
        return None
    reasons = []
    trouble = row.blocked + row.errors + row.empty
    stored = statistics.median(h.stored for h in history)
    if stored >= FALL and row.stored < stored / FALL and trouble:
        reasons.append(f"{row.stored} articles stored against a median of {stored:g}")
    rates = [rate for rate in map(_success, history) if rate is not None]
    rate = _success(row)
    if rates and rate is not None and rate < statistics.median(rates) / FALL:
        reasons.append(f"extraction success {rate:.0%} against a median of {statistics.median(rates):.0%}")
    if not reasons:
        return None
    return (f"{row.site}: {'; '.join(reasons)} over its last {len(history)} runs "
            f"({row.blocked} pages blocked, {row.errors} failed, {row.empty} without an article)")


def recent_runs(session: Session, limit: int = 20) -> list[tuple[CrawlRun, int, int]]:
    """The latest runs, newest first, with their number of sites and of warnings."""
    sites = (
        select(CrawlRunSite.crawl_run_id, func.count().label("sites"), func.count(CrawlRunSite.warning).label("warnings"))
        .group_by(CrawlRunSite.crawl_run_id)
        .subquery()
    )
    rows = session.execute(
        select(CrawlRun, func.coalesce(sites.c.sites, 0), func.coalesce(sites.c.warnings, 0))
        .outerjoin(sites, sites.c.crawl_run_id == CrawlRun.id)
        .order_by(CrawlRun.id.desc())
        .limit(limit)
    ).all()
    return [(run, int(n), int(w)) for run, n, w in rows]


def run_sites(session: Session, run_id: int) -> list[CrawlRunSite]:
    """A run's per-site figures, flagged sites first."""
    rows = session.scalars(select(CrawlRunSite).where(CrawlRunSite.crawl_run_id == run_id)).all()
    return sorted(rows, key=lambda r: (r.warning is None, r.site))
