"""``newscrawl warc``: the articles of web archives, through the same extraction, dedupe and store
as a crawl.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from crawler.cli.common import (
    UsageError,
    check_settings,
    command_settings,
    exit_status,
    summary,
)
from crawler.cli.options import (
    Commands,
    db_option,
    domain_name,
    log_options,
    private_option,
    set_option,
)
from crawler.downloadermiddlewares.private_networks import HINT, AddressPolicy
from crawler.runner import open_database, run_crawls
from crawler.storage import resolve_url
from crawler.urls import is_http_url


def add_parsers(commands: Commands) -> None:
    warc = commands.add_parser("warc", help="store the articles of WARC/ARC files (local or http), as a crawl would")
    warc.add_argument("locations", nargs="+", metavar="FILE_OR_URL", help="WARC or ARC files, gzipped or not")
    db_option(warc)
    warc.add_argument("--source", metavar="NAME", help="the source name stored with their articles")
    warc.add_argument("--since", metavar="DATE|WINDOW",
                      help="only pages archived since: YYYY-MM-DD, or a window such as 7d (also the articles' dates)")
    warc.add_argument("--domain", action="append", default=[], metavar="DOMAIN", type=domain_name,
                      help="only pages of this site and its subdomains (repeatable)")
    warc.add_argument("--pattern", action="append", default=[], metavar="REGEX",
                      help="only pages whose URL matches (repeatable)")
    private_option(warc)
    set_option(warc)
    log_options(warc)
    warc.set_defaults(func=cmd_warc)


def cmd_warc(args: argparse.Namespace) -> int:
    settings = command_settings(args)
    if args.since is not None:
        settings.set("NEWS_SINCE", args.since, priority="cmdline")
    check_settings(settings, {}, args.source)
    try:
        patterns = [re.compile(p) for p in args.pattern]
    except re.error as exc:
        raise UsageError(f"--pattern {exc.pattern!r}: {exc}") from exc
    policy = AddressPolicy.from_settings(settings)
    for location in args.locations:
        if location.startswith(("http://", "https://")):
            if not is_http_url(location):
                raise UsageError(f"not an http(s) URL: {location!r}")
            if policy is not None and (reason := policy.refusal(location)):
                raise UsageError(f"{location}: {reason}: {HINT}")
        elif not Path(location).is_file():
            raise UsageError(f"no such WARC file: {location}")
    db_url = resolve_url(settings, args.db)
    open_database(db_url, settings).dispose()
    settings.set("DATABASE_URL", db_url, priority="cmdline")
    arguments = {"warcs": args.locations, "domains": args.domain, "patterns": [p.pattern for p in patterns],
                 "source": args.source}
    stats = run_crawls(settings, [({}, arguments)], spider="warc")[0]
    skipped = {k.rsplit("/", 1)[1]: v for k, v in stats.items() if k.startswith("news/warc/skipped/")}
    print(f"records read:       {stats.get('news/warc/records', 0)}"
          + (" (passed over: " + ", ".join(f"{k} {v}" for k, v in sorted(skipped.items())) + ")" if skipped else ""))
    print(summary(stats, db_url))
    return exit_status([stats])
