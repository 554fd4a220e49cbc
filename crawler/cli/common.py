"""What every command shares: settings from the command line, the checks made before a crawl,
the crawl summary and the exit statuses (README, "Exit statuses").
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.settings import Settings

from crawler.cli.console_log import set_verbosity
from crawler.downloadermiddlewares.private_networks import HINT, AddressPolicy
from crawler.extensions.progress import dropped, errors, learned_links, page_kinds
from crawler.urls import is_http_url
from crawler.validation import check_crawl_settings

if TYPE_CHECKING:
    from collections.abc import Sequence


# A crawl that ended for one of these reasons did its job.
FINISHED_REASONS = ("finished", "closespider_pagecount", "closespider_itemcount")
# Exit statuses: done; interrupted or stopped by the database; bad input; no start URL reached.
OK, STOPPED, BAD_INPUT, UNREACHABLE = 0, 1, 2, 3


class UsageError(Exception):
    """A bad argument or value; printed as one line, exit status 2."""


def command_settings(args: argparse.Namespace) -> Settings:
    """The settings of a command that crawls: ``-s`` overrides, ``--log-level``, ``-v`` and, for
    the commands that take it, ``--allow-private-networks``."""
    settings = project_settings(args.set)
    if args.log_level:
        settings.set("LOG_LEVEL", args.log_level, priority="cmdline")
    if getattr(args, "allow_private_networks", False):
        settings.set("NEWS_ALLOW_PRIVATE_NETWORKS", True, priority="cmdline")
    set_verbosity(args.verbose)
    return settings


def project_settings(overrides: Sequence[str] = ()) -> Settings:
    """The project's settings with ``-s NAME=VALUE`` overrides on top, as ``scrapy crawl -s``."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for override in overrides:
        name, sep, value = override.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"-s expects NAME=VALUE, got {override!r}")
        settings.set(name.strip(), value, priority="cmdline")
    return settings


def summary(stats: dict[str, Any], db_url: str) -> str:
    """What a crawl did, in the words an operator reads first: each figure counts the rows of
    the database it names (docs/settings.md, "Stats keys")."""
    lines = [
        f"pages fetched:      {stats.get('response_received_count', 0)}",
        f"pages judged:       {page_kinds(stats)}",
        f"articles stored:    {stats.get('news/store/stored', 0)}",
        *([f"articles updated:   {stats['news/store/updated']} (revisited, their text had changed)"]
          if stats.get("news/store/updated") else []),
        (f"duplicates:         {stats.get('news/store/duplicates', 0)} articles were another URL or a copy "
         "of a stored one"),
        (
            f"aliases recorded:   {stats.get('news/store/alias', 0)} same canonical URL, "
            f"{stats.get('news/store/duplicate_body', 0)} same body"
        ),
        (f"stories:            {stats.get('news/store/new_story', 0)} new, "
         f"{stats.get('news/store/near_duplicate', 0)} articles were copies of a stored story"),
        (f"learned chrome:     removed from {stats.get('news/store/chrome_removed', 0)} articles "
         f"as stored, {stats.get('news/store/recleaned', 0)} cleaned afterwards, "
         f"{stats.get('news/store/twins_merged', 0)} merged into a twin"),
    ]
    lines += [f"{label + ':':20}{text}" for label, text in learned_links(stats)]
    if "news/conditional/not_modified" in stats or "news/incremental/skipped_stored" in stats:
        lines.append(
            f"incremental:        {stats.get('news/conditional/not_modified', 0)} pages not modified (304), "
            f"{stats.get('news/incremental/skipped_stored', 0)} links to stored articles not followed"
        )
    reasons = dropped(stats) + Counter({f"error {kind}": n for kind, n in errors(stats).items()})
    if reasons:
        lines.append("pages not stored:   " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())))
    if "news/sites" in stats:
        # A crawl that stopped before its run could be recorded has no run to show.
        where = f"; per-site figures: newscrawl runs show {stats['news/run_id']} --db {db_url}" if "news/run_id" in stats else ""
        lines.append(f"sites:              {stats['news/sites']}{where}")
    lines += [f"WARNING:            {warning}" for warning in stats.get("news/warnings", [])]
    if "news/store/spill_file" in stats:
        spill_file = stats["news/store/spill_file"]
        lines.append(
            f"NOT STORED:         {stats.get('news/store/spilled', 0)} articles, saved to {spill_file}; "
            f"load them with: newscrawl import {spill_file} --db {db_url}"
        )
    lines.append(f"finish reason:      {stats.get('finish_reason', 'unknown')}")
    lines.append(f"database:           {db_url}")
    return "\n".join(lines)


def check_urls(urls: Sequence[str]) -> None:
    for url in urls:
        if not is_http_url(url):
            raise UsageError(f"not an http(s) URL: {url!r}")


def check_public(policy: AddressPolicy, arguments: dict[str, Any]) -> None:
    """Refuse a crawl whose every start URL is on a private network: it would fetch nothing."""
    urls = [*arguments.get("urls", []), *arguments.get("feeds", []), *arguments.get("sitemaps", [])]
    reasons = []
    for url in urls:
        reason = policy.refusal(url)
        if reason is None:
            return
        reasons.append(reason)
    if reasons:
        source = f"source {arguments['source']!r}: " if arguments.get("source") else ""
        raise UsageError(f"{source}every start URL is on a private or loopback network ({reasons[0]}): {HINT}")


def check_settings(settings: Settings, overrides: dict[str, Any], source: str | None) -> None:
    """Refuse, in one line, settings that would stop or silently empty the crawl as it starts."""
    try:
        check_crawl_settings(settings, overrides)
    except ValueError as exc:
        raise UsageError(f"source {source!r}: {exc}" if overrides and source else str(exc)) from exc


def exit_status(results: Sequence[dict[str, Any]]) -> int:
    """STOPPED when a crawl did not run to its end; UNREACHABLE, said in one line, when one got
    no answer from any of its start URLs (feeds and sitemaps given count as start URLs)."""
    if any(stats.get("finish_reason") not in FINISHED_REASONS for stats in results):
        return STOPPED
    unreachable = [stats for stats in results if stats.get("news/start/failed") and not stats.get("news/start/reached")]
    for stats in unreachable:
        print(f"newscrawl: error: no start URL could be reached ({stats.get('news/start/error')})", file=sys.stderr)
    return UNREACHABLE if unreachable else OK


def writable_folder(option: str, folder: str) -> None:
    """Make ``folder`` now, so that a crawl never starts to fail on it at its first write."""
    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{option} {folder}: cannot create it: {exc.strerror}") from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {folder}: not writable")
