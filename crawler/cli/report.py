"""The text of ``newscrawl runs``: past crawls with their key figures, and one crawl in detail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crawler.extensions.progress import dropped, errors, learned_links, page_kinds
from crawler.storage import CrawlRun, CrawlRunSite
from crawler.storage.runs import KINDS


def key_figures(stats: dict[str, Any]) -> dict[str, int]:
    """A run's figures as its sites' rows add them up (docs/settings.md, ``news/store/*``)."""
    return {
        "pages": stats.get("response_received_count", 0),
        "stored": stats.get("news/store/stored", 0),
        "duplicates": stats.get("news/store/duplicates", 0),
        "errors": sum(errors(stats).values()),
    }


def _duration(run: CrawlRun) -> str:
    if run.finished_at is None:
        return "-"
    seconds = int((run.finished_at - run.started_at).total_seconds())
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _name(run: CrawlRun) -> str:
    return str((run.arguments or {}).get("source") or run.spider)


def runs_table(rows: Sequence[tuple[CrawlRun, int, int]]) -> str:
    """One line per run, newest first."""
    header = (f"{'id':>5}  {'started (UTC)':16}  {'duration':>8}  {'source':16}  {'finish':12}  {'pages':>7}  "
              f"{'stored':>7}  {'dupes':>6}  {'errors':>6}  {'sites':>5}  warnings")
    lines = [header]
    for run, sites, warnings in rows:
        figures = key_figures(run.stats or {})
        lines.append(
            f"{run.id:>5}  {run.started_at:%Y-%m-%d %H:%M}  {_duration(run):>8}  {_name(run)[:16]:16}  "
            f"{(run.finish_reason or 'running')[:12]:12}  {figures['pages']:>7}  {figures['stored']:>7}  "
            f"{figures['duplicates']:>6}  {figures['errors']:>6}  {sites:>5}  {warnings or ''}"
        )
    return "\n".join(lines)


def run_report(run: CrawlRun, sites: Sequence[CrawlRunSite]) -> str:
    """One run: when, what, its key figures, its warnings, and each site's counts."""
    stats = run.stats or {}
    figures = key_figures(stats)
    elapsed = stats.get("elapsed_time_seconds") or 0
    arguments = run.arguments or {}
    starts = [*arguments.get("urls", []), *arguments.get("feeds", []), *arguments.get("sitemaps", [])]
    title = (f"run {run.id}: {_name(run)}, started {run.started_at:%Y-%m-%d %H:%M:%S} UTC, "
             f"duration {_duration(run)}, finish reason {run.finish_reason or 'running (or killed)'}")
    lines = [
        title,
        f"start URLs:       {', '.join(starts) or '-'}",
        f"pages fetched:    {figures['pages']}" + (f" ({figures['pages'] / elapsed:.1f}/s)" if elapsed else ""),
        f"pages judged:     {page_kinds(stats)}",
        f"articles stored:  {figures['stored']}, duplicates {figures['duplicates']}",
        "pages not stored: " + (", ".join(f"{k} {v}" for k, v in sorted(dropped(stats).items())) or "none"),
        "errors:           " + (", ".join(f"{k} {v}" for k, v in sorted(errors(stats).items())) or "none"),
    ]
    lines += [f"{label + ':':18}{text}" for label, text in learned_links(stats)]
    lines += [f"WARNING:          {site.warning}" for site in sites if site.warning]
    if sites:
        width = max(len("site"), *(len(site.site) for site in sites))
        lines.append("")
        lines.append(f"  {'site':{width}}  " + "  ".join(f"{kind:>10}" for kind in KINDS))
        for site in sites:
            mark = "!" if site.warning else " "
            lines.append(f"{mark} {site.site:{width}}  " + "  ".join(f"{getattr(site, kind):>10}" for kind in KINDS))
    return "\n".join(lines)
