"""``newscrawl sources check|list``."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from crawler.cli.options import Commands
from crawler.discovery import DEFAULT_FILE, load_sources
from crawler.extraction.dates import format_window


def add_parsers(commands: Commands) -> None:
    sources = commands.add_parser("sources", help="check or list the sources file")
    sources.add_argument("action", choices=["check", "list"])
    sources.add_argument("file", nargs="?", default=DEFAULT_FILE, help=f"default: {DEFAULT_FILE}")
    sources.set_defaults(func=cmd_sources)


def cmd_sources(args: argparse.Namespace) -> int:
    sources = load_sources(Path(args.file))
    if args.action == "check":
        print(f"{args.file}: {len(sources)} sources, all valid: {', '.join(s.name for s in sources)}")
        return 0
    for source in sources:
        since, every = (format_window(value) if isinstance(value, dt.timedelta) else str(value or "-")
                        for value in (source.since, source.schedule))
        print(f"{source.name:20s} {len(source.start_urls)} start, {len(source.feeds)} feeds, "
              f"{len(source.sitemaps)} sitemaps; since {since}; every {every}; "
              f"max pages {source.max_pages or '-'}")
    return 0
