"""The commands that only read: ``export``, ``search``, ``stats``, ``runs``, ``history`` and
``duplicates``. Each opens the database read-only (``crawler.storage.make_reader``).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import difflib
import itertools
import json
import re
import sys
from typing import Any, TextIO

from crawler.cli.common import UsageError, project_settings
from crawler.cli.options import Commands, db_option, filter_options, whole_number
from crawler.cli.report import run_report, runs_table
from crawler.storage import (
    ARTICLE_FIELDS,
    CrawlRun,
    Version,
    counts,
    find_article,
    make_reader,
    make_sessionmaker,
    read_articles,
    recent_runs,
    resolve_url,
    run_sites,
    search_articles,
    story_clusters,
    versions,
)


def add_parsers(commands: Commands) -> None:
    export = commands.add_parser("export", help="write stored articles as JSON lines or CSV")
    db_option(export)
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    export.add_argument("-o", "--output", help="file to write (default: standard output)")
    filter_options(export)
    export.set_defaults(func=cmd_export)

    search = commands.add_parser("search", help="full-text search over titles and bodies")
    search.add_argument("query", help="words that must all appear (title or body)")
    db_option(search)
    filter_options(search)
    search.add_argument("--limit", type=whole_number(1), default=20, metavar="N",
                        help="at most this many results (default 20)")
    search.set_defaults(func=cmd_search)

    runs = commands.add_parser("runs", help="past crawl runs with their key figures; `runs show ID`: one in detail")
    runs.add_argument("what", nargs="*", metavar="show ID", help="show one run: its figures, warnings and sites")
    db_option(runs)
    runs.add_argument("--limit", type=whole_number(1), default=20, metavar="N",
                      help="runs listed, newest first (default 20)")
    runs.set_defaults(func=cmd_runs)

    stats = commands.add_parser("stats", help="count stored articles and URLs")
    db_option(stats)
    stats.set_defaults(func=cmd_stats)

    history = commands.add_parser("history", help="the versions of a stored article, with what changed")
    history.add_argument("url", help="a URL the article was stored under")
    db_option(history)
    history.set_defaults(func=cmd_history)

    duplicates = commands.add_parser("duplicates", help="stories stored more than once (syndicated copies)")
    duplicates.add_argument("--cluster", type=whole_number(1), metavar="ID", help="only this story (its articles.cluster_id)")
    duplicates.add_argument("--limit", type=whole_number(1), default=50, metavar="N",
                            help="at most this many stories, largest first (default 50)")
    db_option(duplicates)
    duplicates.set_defaults(func=cmd_duplicates)


def cmd_export(args: argparse.Namespace) -> int:
    rows = read_articles(resolve_url(project_settings(), args.db), site=args.site, since=args.since, source=args.source)
    try:
        with contextlib.ExitStack() as stack:
            stack.callback(rows.close)  # the database, when the output fails before the last row
            out: TextIO = (
                stack.enter_context(open(args.output, "w", encoding="utf-8", newline=""))
                if args.output
                else sys.stdout
            )
            if args.format == "jsonl":
                out.writelines(json.dumps(row, ensure_ascii=False, default=dt.datetime.isoformat) + "\n" for row in rows)
            else:
                writer = csv.DictWriter(out, fieldnames=ARTICLE_FIELDS)
                writer.writeheader()
                for row in rows:
                    writer.writerow({k: _cell(v) for k, v in row.items()})
            out.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise UsageError(f"cannot write {args.output or 'standard output'}: {exc.strerror or exc}") from exc
    return 0


def _cell(value: Any) -> Any:
    """A CSV cell: lists as JSON, times in ISO 8601 as the JSON lines have them."""
    if isinstance(value, list):
        return json.dumps(value)
    return value.isoformat() if isinstance(value, dt.datetime) else value


def cmd_search(args: argparse.Namespace) -> int:
    if not re.search(r"\w", args.query):
        raise UsageError("search: give at least one word to look for")
    engine = make_reader(resolve_url(project_settings(), args.db))
    try:
        with make_sessionmaker(engine)() as session:
            found = search_articles(
                session, args.query, site=args.site, since=args.since, source=args.source, limit=args.limit
            )
            for article in found:
                when = (article.published_at_raw or "undated")[:10]
                print(f"{when}  {article.site}  {article.title}\n            {article.canonical_url}")
    finally:
        engine.dispose()
    if not found:
        print(f"no article matches {args.query!r}", file=sys.stderr)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    engine = make_reader(resolve_url(project_settings(), args.db))
    with make_sessionmaker(engine)() as session:
        totals = counts(session)
    engine.dispose()
    print(f"articles: {totals['articles']}")
    print("urls:     " + (", ".join(f"{k} {v}" for k, v in sorted(totals["urls"].items())) or "none"))
    for site, n in totals["sites"].items():
        print(f"  {site}: {n}")
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    if args.what and (args.what[0] != "show" or len(args.what) != 2 or not args.what[1].isdigit()):
        raise UsageError("usage: newscrawl runs [--db URL] [--limit N]  |  newscrawl runs show ID [--db URL]")
    db_url = resolve_url(project_settings(), args.db)
    engine = make_reader(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            if not args.what:
                print(runs_table(recent_runs(session, args.limit)))
                return 0
            run = session.get(CrawlRun, int(args.what[1]))
            if run is None:
                raise UsageError(f"no crawl run {args.what[1]} in {db_url}")
            print(run_report(run, run_sites(session, run.id)))
            return 0
    finally:
        engine.dispose()


def cmd_history(args: argparse.Namespace) -> int:
    db_url = resolve_url(project_settings(), args.db)
    engine = make_reader(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            article = find_article(session, args.url)
            if article is None:
                raise UsageError(f"no stored article under {args.url} in {db_url}")
            found = versions(session, article.id)
    finally:
        engine.dispose()
    print(f"{article.canonical_url} (article {article.id}): {len(found)} version{'s' * (len(found) > 1)}")
    for version in found:
        print(f"  version {version.version}: fetched {version.fetched_at:%Y-%m-%d %H:%M:%S} UTC, {version.title or '(no title)'}")
    for before, after in itertools.pairwise(found):
        print()
        print("\n".join(difflib.unified_diff(
            _diff_lines(before), _diff_lines(after), lineterm="",
            fromfile=f"version {before.version} ({before.fetched_at:%Y-%m-%d %H:%M})",
            tofile=f"version {after.version} ({after.fetched_at:%Y-%m-%d %H:%M})",
        )))
    return 0


def _diff_lines(version: Version) -> list[str]:
    """A version as diff lines: the title, then one line per paragraph."""
    return [f"title: {version.title or ''}", *version.body.split("\n\n")]


def cmd_duplicates(args: argparse.Namespace) -> int:
    db_url = resolve_url(project_settings(), args.db)
    engine = make_reader(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            clusters = story_clusters(session, args.cluster, args.limit)
            if args.cluster is not None and not clusters:
                raise UsageError(f"no story cluster {args.cluster} in {db_url}")
            for cluster_id, members in clusters:
                first = members[0]
                sites = len({m.site for m in members})
                print(f"story {cluster_id}: {len(members)} articles on {sites} site{'s' * (sites > 1)}: {first.title or first.url}")
                for member in members:
                    print(f"  {1.0 if member.similarity is None else member.similarity:.2f}  {member.site:<30} {member.url}")
    finally:
        engine.dispose()
    if not clusters:
        print("no story is stored more than once")
    return 0
