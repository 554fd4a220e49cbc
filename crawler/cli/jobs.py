"""The crawls a command line asks for: its start URLs, or sources of the sources file, checked;
and the Redis frontier a shared crawl uses.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.settings import Settings

from crawler.cli.common import UsageError, check_urls
from crawler.discovery import load_sources, select_sources, written_as

if TYPE_CHECKING:


    from crawler.distributed.frontier import Frontier


def source_jobs(args: argparse.Namespace) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The crawls ``--source NAME``/``--all`` ask for, from the sources file."""
    path = Path(args.sources)
    sources = load_sources(path) if args.all else select_sources(path, args.source)
    return [(source.overrides(), source.arguments()) for source in sources]


def crawl_jobs(args: argparse.Namespace) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The crawls the command line asks for: its start URLs, or sources of the sources file."""
    check_urls([*args.urls, *args.feed, *args.sitemap])
    given = args.urls or args.feed or args.sitemap
    if given and (args.all or len(args.source) > 1):
        raise UsageError("with start URLs or feeds, give at most one --source (the name to store) and no --all")
    if not given and not (args.source or args.all):
        raise UsageError("give start URLs, --feed URL, --sitemap URL, --source NAME (from the sources file) or --all")
    if given:
        return [({}, {"urls": args.urls, "feeds": args.feed, "sitemaps": args.sitemap,
                      "allowed_domains": args.allowed_domain, "source": next(iter(args.source), None)})]
    return source_jobs(args)


def shared_frontier(settings: Settings, url: str | None) -> Frontier | None:
    """The Redis frontier the crawl shares (``--redis``, else the REDIS_URL setting), set up.

    Imported here, not at the top: the Redis client and scrapy-redis would cost every run that
    shares nothing 6 MB.
    """
    url = url or settings.get("REDIS_URL")
    if not url:
        return None
    from crawler.distributed.frontier import Frontier, FrontierError, use_redis

    if settings.get("JOBDIR"):
        raise UsageError("--jobdir and --redis exclude each other: a shared crawl keeps its queue in Redis")
    try:
        frontier = Frontier(url)
    except FrontierError as exc:
        raise UsageError(str(exc)) from exc
    use_redis(settings, url)
    return frontier


def note_unshared(jobs: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """Name the settings of each job that the workers of a shared crawl will not apply."""
    from crawler.distributed.frontier import unshared

    for overrides, arguments in jobs:
        if names := unshared(overrides):
            print(f"note: source {arguments['source']}: {', '.join(map(written_as, names))} not applied by workers, which crawl "
                  "every source at once: give such settings to the workers with -s", file=sys.stderr)
