"""The ``newscrawl`` command line: wiring from arguments to settings and a Scrapy crawl.

Exit statuses, for cron and scripts: 0 the command ran to its end (a crawl whatever pages failed
on the way); 1 interrupted, or stopped by the database; 2 bad input (an argument, a setting, the
sources file, a database that cannot be used), said in one line; 3 a crawl that could reach none
of its start URLs. Commands that only read open the database read-only and never create one.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import difflib
import itertools
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from importlib.metadata import version as package_version
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from sqlalchemy import inspect, select
from sqlalchemy.exc import SQLAlchemyError

from crawler import spill
from crawler.console_log import set_verbosity
from crawler.dates import cutoff, format_window
from crawler.private_networks import HINT, AddressPolicy
from crawler.progress import dropped, errors
from crawler.runs_report import run_report, runs_table
from crawler.schedule import due, last_runs, post_to_scrapyd, run_locally
from crawler.sitechrome import ChromeIndex
from crawler.sources import DEFAULT_FILE, SourcesError, load_sources, select_sources, written_as
from crawler.storage import (
    Article,
    CrawlRun,
    DatabaseError,
    Site,
    Version,
    counts,
    find_article,
    init_db,
    iter_articles,
    latest_articles,
    load_site_blocks,
    make_engine,
    make_reader,
    make_sessionmaker,
    migrate,
    read_only_engine,
    recent_runs,
    reclean_articles,
    resolve_url,
    run_sites,
    search_articles,
    store_articles,
    story_clusters,
    story_threshold,
    versions,
)
from crawler.storage.db import unusable
from crawler.storage.pending_ends import record_pending_ends
from crawler.urls import is_http_url
from crawler.validation import check_crawl_settings, domain, language_codes

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sqlalchemy.engine import Engine

    from crawler.frontier import Frontier

EXPORT_FIELDS = [
    "id", "canonical_url", "url", "site", "source", "title", "authors", "author_organisations",
    "published_at", "published_at_raw", "modified_at", "modified_at_raw", "date_source",
    "description", "language", "site_name", "section", "accessible_for_free", "image", "tags",
    "body", "content_fingerprint", "fetched_at", "crawl_run_id",
]
# A crawl that ended for one of these reasons did its job.
FINISHED_REASONS = ("finished", "closespider_pagecount", "closespider_itemcount")
# Exit statuses (the module's docstring).
OK, STOPPED, BAD_INPUT, UNREACHABLE = 0, 1, 2, 3


class UsageError(Exception):
    """A bad argument or value; printed as one line, exit status 2."""


def command_settings(args: argparse.Namespace) -> Settings:
    """The settings of a command that crawls: ``-s`` overrides, ``--log-level`` and ``-v``."""
    settings = project_settings(args.set)
    if args.log_level:
        settings.set("LOG_LEVEL", args.log_level, priority="cmdline")
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


def open_database(url: str, settings: Settings) -> Engine:
    """An engine on a reachable database with this version's schema, for commands that write
    (DatabaseError otherwise); the schema is migrated unless NEWS_DB_AUTO_UPGRADE is off. The
    ends of runs the database was away for are recorded first."""
    engine = make_engine(url)
    if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
        raise UsageError(f"{url}: an in-memory database would vanish with the command; "
                         "give a file, e.g. sqlite:///news.db")
    init_db(engine, upgrade=settings.getbool("NEWS_DB_AUTO_UPGRADE"))
    record_pending_ends(engine, Path(settings.get("NEWS_DB_SPILL_DIR")))
    return engine


def run_crawl(
    urls: list[str], settings: Settings, allowed_domains: Sequence[str] = (), source: str | None = None
) -> dict[str, Any]:
    """Crawl ``urls`` with the ``news`` spider; returns Scrapy's final stats."""
    return run_crawls(settings, [({}, {"urls": urls, "allowed_domains": list(allowed_domains), "source": source})])[0]


def run_crawls(
    settings: Settings, jobs: Sequence[tuple[dict[str, Any], dict[str, Any]]], spider: str = "news"
) -> list[dict[str, Any]]:
    """Run one crawl of ``spider`` per job ``(setting overrides, spider arguments)`` side by side.

    Overrides go in as the spider's own settings: above the project's, below ``-s``.
    """
    from spiders.news import NewsSpider
    from spiders.warc import WarcSpider

    base = {"news": NewsSpider, "warc": WarcSpider}[spider]
    process = CrawlerProcess(settings)
    crawlers = []
    for overrides, arguments in jobs:
        spidercls = type(base.__name__, (base,), {"custom_settings": overrides}) if overrides else base
        crawler = process.create_crawler(spidercls)
        process.crawl(crawler, **arguments)
        crawlers.append(crawler)
    process.start()
    return [crawler.stats.get_stats() if crawler.stats else {} for crawler in crawlers]


def source_jobs(args: argparse.Namespace) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The crawls ``--source NAME``/``--all`` ask for, from the sources file."""
    path = Path(args.sources)
    sources = load_sources(path) if args.all else select_sources(path, args.source)
    return [(source.overrides(), source.arguments()) for source in sources]


def summary(stats: dict[str, Any], db_url: str) -> str:
    """What a crawl did, in the words an operator reads first: each figure counts the rows of
    the database it names (docs/settings.md, "Stats keys")."""
    lines = [
        f"pages fetched:      {stats.get('response_received_count', 0)}",
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
    if "news/conditional/not_modified" in stats or "news/incremental/skipped_stored" in stats:
        lines.append(
            f"incremental:        {stats.get('news/conditional/not_modified', 0)} pages not modified (304), "
            f"{stats.get('news/incremental/skipped_stored', 0)} links to stored articles not followed"
        )
    reasons = dropped(stats) + Counter({f"error {kind}": n for kind, n in errors(stats).items()})
    if reasons:
        lines.append("pages not stored:   " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())))
    if "news/sites" in stats:
        lines.append(f"sites:              {stats['news/sites']}; per-site figures: newscrawl runs show "
                     f"{stats.get('news/run_id', 'ID')} --db {db_url}")
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
    from crawler.frontier import Frontier, FrontierError, use_redis

    if settings.get("JOBDIR"):
        raise UsageError("--jobdir and --redis exclude each other: a shared crawl keeps its queue in Redis")
    try:
        frontier = Frontier(url)
    except FrontierError as exc:
        raise UsageError(str(exc)) from exc
    use_redis(settings, url)
    return frontier


def cmd_crawl(args: argparse.Namespace) -> int:
    jobs = crawl_jobs(args)
    settings = command_settings(args)
    if args.since is not None:
        settings.set("NEWS_SINCE", args.since, priority="cmdline")
    if args.language is not None:
        settings.set("NEWS_LANGUAGES", args.language, priority="cmdline")
    if args.max_pages is not None:
        settings.set("CLOSESPIDER_PAGECOUNT", args.max_pages, priority="cmdline")
    if args.depth is not None:
        settings.set("DEPTH_LIMIT", args.depth, priority="cmdline")
    for overrides, arguments in jobs:
        check_settings(settings, overrides, arguments.get("source"))
    for option, folder in (("--jobdir", args.jobdir), ("--warc-out", args.warc_out)):
        if folder:
            writable_folder(option, folder)
    if args.jobdir and len(jobs) == 1:
        settings.set("JOBDIR", args.jobdir, priority="cmdline")
    elif args.jobdir:
        # Side-by-side crawls each need their own queue and seen-requests file.
        for overrides, arguments in jobs:
            overrides["JOBDIR"] = str(Path(args.jobdir) / arguments["source"])
    if args.allow_private_networks:
        settings.set("NEWS_ALLOW_PRIVATE_NETWORKS", True, priority="cmdline")
    if args.warc_out:
        settings.set("NEWS_WARC_DIR", args.warc_out, priority="cmdline")
    frontier = shared_frontier(settings, args.redis)
    if frontier is not None and len(jobs) > 1:
        raise UsageError("a crawl on Redis is one job: for several sources, `newscrawl enqueue --all` and run workers")
    db_url = resolve_url(settings, args.db)
    open_database(db_url, settings).dispose()
    policy = AddressPolicy.from_settings(settings)
    if policy is not None:
        for _, arguments in jobs:
            check_public(policy, arguments)
    if frontier is not None:  # workers may join it; its spider queues its own start requests
        note_unshared(jobs)
        frontier.record(*jobs[0])
    settings.set("DATABASE_URL", db_url, priority="cmdline")
    results = run_crawls(settings, jobs)
    for (_, arguments), stats in zip(jobs, results, strict=True):
        if len(jobs) > 1:
            print(f"\nsource {arguments['source']}:")
        print(summary(stats, db_url))
        if stats.get("finish_reason") == "shutdown" and args.jobdir:
            print(f"interrupted: run the same command again to resume from {args.jobdir}")
    return exit_status(results)


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


def note_unshared(jobs: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """Name the settings of each job that the workers of a shared crawl will not apply."""
    from crawler.frontier import unshared

    for overrides, arguments in jobs:
        if names := unshared(overrides):
            print(f"note: source {arguments['source']}: {', '.join(map(written_as, names))} not applied by workers, which crawl "
                  "every source at once: give such settings to the workers with -s", file=sys.stderr)


def cmd_enqueue(args: argparse.Namespace) -> int:
    jobs = crawl_jobs(args)
    settings = project_settings()
    frontier = shared_frontier(settings, args.redis)
    if frontier is None:
        raise UsageError("give --redis URL (or set REDIS_URL): the Redis the workers share")
    note_unshared(jobs)
    queued = frontier.enqueue(jobs)
    sources = ", ".join(sorted({a["source"] for _, a in jobs if a.get("source")})) or "-"
    print(f"queued {queued} start requests (sources: {sources}); {frontier.queued()} requests waiting in all")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    settings = command_settings(args)
    if args.idle_timeout is not None:
        settings.set("NEWS_IDLE_TIMEOUT", args.idle_timeout, priority="cmdline")
    if args.allow_private_networks:
        settings.set("NEWS_ALLOW_PRIVATE_NETWORKS", True, priority="cmdline")
    check_settings(settings, {}, None)
    frontier = shared_frontier(settings, args.redis)
    if frontier is None:
        raise UsageError("give --redis URL (or set REDIS_URL): the Redis the workers share")
    from crawler.frontier import FrontierError

    try:
        arguments = frontier.worker_arguments()
    except FrontierError as exc:
        raise UsageError(str(exc)) from exc
    db_url = resolve_url(settings, args.db)
    open_database(db_url, settings).dispose()
    settings.set("DATABASE_URL", db_url, priority="cmdline")
    stats = run_crawls(settings, [({}, arguments)])[0]
    print(summary(stats, db_url))
    return 0 if stats.get("finish_reason") in FINISHED_REASONS else 1


def cmd_schedule(args: argparse.Namespace) -> int:
    settings = command_settings(args)
    if args.allow_private_networks:
        settings.set("NEWS_ALLOW_PRIVATE_NETWORKS", True, priority="cmdline")
    check_settings(settings, {}, None)
    try:
        sources = [source for source in load_sources(Path(args.sources)) if source.schedule is not None]
    except SourcesError as exc:
        raise UsageError(str(exc)) from exc
    if not sources:
        raise UsageError(f"{args.sources}: no source has a schedule")
    db_url = resolve_url(settings, args.db)
    engine = open_database(db_url, settings)
    sessions = make_sessionmaker(engine)
    stale = dt.timedelta(hours=settings.getfloat("NEWS_RUN_STALE_HOURS"))
    passed = dict(pair.split("=", 1) for pair in args.set)
    if args.allow_private_networks:
        passed["NEWS_ALLOW_PRIVATE_NETWORKS"] = "True"
    # What a local run needs to find the same sources, database and settings.
    command = ["--sources", str(Path(args.sources).resolve()), "--db", db_url,
               *(arg for pair in args.set for arg in ("-s", pair)),
               *(["--allow-private-networks"] if args.allow_private_networks else []),
               *(["--log-level", args.log_level] if args.log_level else []), *(["-v"] * args.verbose)]
    running: dict[str, subprocess.Popen[bytes]] = {}
    failed = False
    while True:
        try:
            record_pending_ends(engine, Path(settings.get("NEWS_DB_SPILL_DIR")))
        except DatabaseError as exc:  # still away: the runs stay as they are until a later pass
            print(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S} {exc}", flush=True)
        with sessions() as session:
            last = last_runs(session)
        now = dt.datetime.now(dt.UTC)
        ready, held = due(sources, last, now, stale)
        for note in held:
            print(f"{now:%Y-%m-%d %H:%M:%S} {note}", flush=True)
        ready = [source for source in ready if source.name not in running]
        for source in ready:
            if args.scrapyd:
                try:
                    job = post_to_scrapyd(args.scrapyd, source, {"NEWS_SOURCES_FILE": str(Path(args.sources).resolve()),
                                                                 "DATABASE_URL": db_url, **passed}, now)
                except OSError as exc:
                    raise UsageError(str(exc)) from exc
                print(f"{now:%Y-%m-%d %H:%M:%S} {source.name}: due, "
                      + (f"scheduled on Scrapyd as job {job}" if job else "a Scrapyd job of it is pending or running"),
                      flush=True)
            else:
                print(f"{now:%Y-%m-%d %H:%M:%S} {source.name}: due, crawling", flush=True)
                running[source.name] = run_locally(source, command)
        if args.once and not ready:
            print("nothing due")
        for name, process in list(running.items()):
            if args.once:
                process.wait()
            if process.poll() is not None:
                failed |= process.returncode != 0
                print(f"{name}: crawl ended with status {process.returncode}", flush=True)
                del running[name]
        if args.once:
            engine.dispose()
            return 1 if failed else 0
        time.sleep(args.every)


def cmd_warc(args: argparse.Namespace) -> int:
    settings = command_settings(args)
    if args.allow_private_networks:
        settings.set("NEWS_ALLOW_PRIVATE_NETWORKS", True, priority="cmdline")
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


def cmd_demo(args: argparse.Namespace) -> int:
    from crawler.demo.site import serve

    settings = command_settings(args)
    # Our own loopback server: no need to be gentle with it.
    for name, value in (("NEWS_ALLOW_PRIVATE_NETWORKS", True), ("AUTOTHROTTLE_ENABLED", False), ("DOWNLOAD_DELAY", 0),
                        ("CONCURRENT_REQUESTS_PER_DOMAIN", 16), ("LOG_LEVEL", "WARNING")):
        if (settings.getpriority(name) or 0) < 40:
            settings.set(name, value, priority="cmdline")
    # Nobody but us to contact about it: no warning about the contact URL.
    settings.set("EXTENSIONS", {**settings.getdict("EXTENSIONS"), "crawler.contact.ContactCheck": None}, priority="cmdline")
    db_url = args.db or "sqlite:///demo.db"
    open_database(db_url, settings).dispose()
    settings.set("DATABASE_URL", db_url, priority="cmdline")
    with serve() as url:
        print(f"serving the demo news site at {url}")
        stats = run_crawl([url], settings)
    print(summary(stats, db_url))
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as session:
        print("\nstored articles, newest first:")
        for article in latest_articles(session, limit=100):
            when = (article.published_at_raw or "undated")[:10]
            print(f"  {when}  {article.title}  ({len(article.body.split())} words)")
    engine.dispose()
    return 0 if stats.get("finish_reason") in FINISHED_REASONS else 1


def _export_row(article: Article) -> dict[str, Any]:
    row = {name: getattr(article, name) for name in EXPORT_FIELDS}
    for name in ("published_at", "modified_at", "fetched_at"):
        row[name] = row[name].isoformat() if row[name] else None
    return row


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


def cmd_export(args: argparse.Namespace) -> int:
    engine = make_reader(resolve_url(project_settings(), args.db))
    try:
        with contextlib.ExitStack() as stack:
            stack.callback(engine.dispose)
            out: TextIO = (
                stack.enter_context(open(args.output, "w", encoding="utf-8", newline=""))
                if args.output
                else sys.stdout
            )
            session = stack.enter_context(make_sessionmaker(engine)())
            rows = (_export_row(a) for a in iter_articles(session, site=args.site, since=args.since, source=args.source))
            if args.format == "jsonl":
                out.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
            else:
                writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
                writer.writeheader()
                for row in rows:
                    writer.writerow({k: json.dumps(v) if isinstance(v, list) else v for k, v in row.items()})
            out.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise UsageError(f"cannot write {args.output or 'standard output'}: {exc.strerror or exc}") from exc
    return 0


def cmd_reclean(args: argparse.Namespace) -> int:
    settings = project_settings(args.set)
    engine = open_database(resolve_url(settings, args.db), settings)
    index = ChromeIndex(
        settings.getint("NEWS_CHROME_MIN_PAGES"),
        settings.getfloat("NEWS_CHROME_MIN_SHARE"),
        settings.getint("NEWS_EXTRACT_MIN_BODY_CHARS"),
    )
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        sites = args.site or list(session.scalars(select(Site.site).order_by(Site.site)))
    for site in sites:
        with sessions.begin() as session:
            index.load(site, *load_site_blocks(session, site))
            done = reclean_articles(session, site, index.clean)
        print(f"{site}: {len(index.chrome(site))} chrome blocks known, "
              f"{done['recleaned']} bodies cleaned, {done['merged']} copies merged")
    engine.dispose()
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    url = resolve_url(project_settings(), args.db)
    upgrading = project_settings(["NEWS_DB_AUTO_UPGRADE=true"]) if args.action == "upgrade" else None
    engine = open_database(url, upgrading) if upgrading else read_only_engine(url)
    try:
        with engine.connect() as connection:
            version = migrate.current(connection)
            foreign = version is None and bool(inspect(connection).get_table_names())
    except SQLAlchemyError as exc:
        raise unusable(engine, exc) from exc
    finally:
        engine.dispose()
    if foreign:
        raise UsageError(f"no newscrawl database at {url}: it holds other tables")
    wanted = migrate.head()
    state = "up to date" if version == wanted else f"this newscrawl writes {wanted}"
    print(f"schema {version or 'none (empty database)'}: {state}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    settings = project_settings()
    engine = open_database(resolve_url(settings, args.db), settings)
    sessions = make_sessionmaker(engine)
    totals: Counter[str] = Counter()
    threshold = story_threshold(settings)
    try:
        for path in args.files:
            items = list(spill.read(Path(path)))
            for start in range(0, len(items), 200):
                with sessions.begin() as session:
                    outcomes, _ = store_articles(session, items[start : start + 200], story_threshold=threshold)
                totals.update(outcomes)
            print(f"{path}: {len(items)} articles read")
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        engine.dispose()
    print(f"stored {totals['stored']} new articles; {totals['duplicates']} were stored already")
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


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(BAD_INPUT, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def whole_number(least: int) -> Callable[[str], int]:
    """An argument type: a whole number of at least ``least``."""
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
        if number < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}, not {number}")
        return number
    return parse


def seconds(value: str) -> float:
    """An argument type: a number of seconds, more than zero."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not number > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {value}")
    return number


def domain_name(value: str) -> str:
    try:
        return domain(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def languages(value: str) -> list[str]:
    try:
        return language_codes(value.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def since_point(value: str) -> dt.datetime:
    """``--since``: a date or time (ISO 8601; a date means its midnight UTC), or a window back
    from now such as 7d, as ``crawl --since`` takes it."""
    try:
        return cutoff(value, dt.datetime.now(dt.UTC))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="newscrawl", description="Crawl news sites into a SQL database.",
                     epilog="exit status: 0 done, 1 interrupted or stopped by the database, 2 bad input, "
                     "3 no start URL could be reached. `newscrawl COMMAND --help` for a command's options.")
    parser.add_argument("--version", action="version", version=f"newscrawl {package_version('newscrawl')}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")

    def db_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", help="database URL (default: $NEWSCRAWL_DATABASE_URL, "
                       "else setting DATABASE_URL, else sqlite:///news.db)")

    def filter_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--site", help="only articles of this site (host name, as in articles.site)")
        p.add_argument("--source", help="only articles of this source (as in articles.source)")
        p.add_argument("--since", type=since_point, metavar="DATE|WINDOW",
                       help="only articles published since: YYYY-MM-DD (or ISO 8601), or a window such as 7d, 12h, 2w")

    def set_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                       help="override a Scrapy or newscrawl setting (repeatable)")

    def log_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("-v", "--verbose", action="count", default=0,
                       help="log Scrapy's start-up report and network tracebacks too")
        p.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], type=str.upper,
                       help="LOG_LEVEL: the least severe lines logged (default INFO: progress, warnings, errors)")

    def job_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("urls", nargs="*", metavar="URL", help="start page(s) of the sites to crawl")
        p.add_argument("--allowed-domain", action="append", default=[], metavar="DOMAIN", type=domain_name,
                       help="another domain the crawl may enter (repeatable)")
        p.add_argument("--feed", action="append", default=[], metavar="URL",
                       help="an RSS or Atom feed whose entries to crawl (repeatable)")
        p.add_argument("--sitemap", action="append", default=[], metavar="URL",
                       help="a sitemap, sitemap index or news sitemap to crawl (repeatable; gzip too)")
        p.add_argument("--source", action="append", default=[], metavar="NAME",
                       help="crawl this source of the sources file (repeatable); with URLs, the "
                       "name stored with their articles")
        p.add_argument("--all", action="store_true", help="crawl every source of the sources file")
        p.add_argument("--sources", default=DEFAULT_FILE, metavar="FILE",
                       help=f"the sources file (default: {DEFAULT_FILE})")

    def redis_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--redis", metavar="URL",
                       help="share the crawl through this Redis (redis://host:6379/0; default: setting REDIS_URL)")

    def private_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--allow-private-networks", action="store_true",
                       help="let the crawl reach loopback, private and link-local addresses "
                       "(NEWS_ALLOW_PRIVATE_NETWORKS; refused by default)")

    crawl = commands.add_parser("crawl", help="crawl news sites from their start URLs")
    job_options(crawl)
    db_option(crawl)
    crawl.add_argument("--max-pages", type=whole_number(1), metavar="N",
                       help="send at most N requests (robots.txt included), then stop once those in flight are done")
    crawl.add_argument("--depth", type=whole_number(0), metavar="N",
                       help="maximum link depth from a start page (0: no limit)")
    crawl.add_argument("--since", metavar="DATE|WINDOW",
                       help="only articles published since: YYYY-MM-DD, or a window such as 7d, 12h, 2w")
    crawl.add_argument("--language", metavar="CODES", type=languages,
                       help="only articles in these languages, ISO 639-1 codes: de,fr")
    crawl.add_argument("--jobdir", metavar="DIR",
                       help="keep the crawl's state here: stopped (Ctrl-C, SIGTERM), the same command "
                       "resumes it (one subdirectory per source when crawling several)")
    crawl.add_argument("--warc-out", metavar="DIR",
                       help="also write every fetched response, with its request, as WARC files in DIR")
    private_option(crawl)
    redis_option(crawl)
    set_option(crawl)
    log_options(crawl)
    crawl.set_defaults(func=cmd_crawl)

    enqueue = commands.add_parser("enqueue", help="put a crawl's start requests into the shared Redis queue")
    job_options(enqueue)
    redis_option(enqueue)
    enqueue.set_defaults(func=cmd_enqueue)

    worker = commands.add_parser("worker", help="crawl what the shared Redis queue holds, until it stays empty")
    redis_option(worker)
    db_option(worker)
    worker.add_argument("--idle-timeout", type=seconds, metavar="SECONDS",
                        help="stop once the shared queue has been empty this long (NEWS_IDLE_TIMEOUT)")
    private_option(worker)
    set_option(worker)
    log_options(worker)
    worker.set_defaults(func=cmd_worker)

    demo = commands.add_parser("demo", help="serve the bundled demo site and crawl it")
    demo.add_argument("--db", help="database URL (default: sqlite:///demo.db)")
    set_option(demo)
    log_options(demo)
    demo.set_defaults(func=cmd_demo)

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

    sources = commands.add_parser("sources", help="check or list the sources file")
    sources.add_argument("action", choices=["check", "list"])
    sources.add_argument("file", nargs="?", default=DEFAULT_FILE, help=f"default: {DEFAULT_FILE}")
    sources.set_defaults(func=cmd_sources)

    reclean = commands.add_parser(
        "reclean", help="remove learned site chrome from articles stored before it was known"
    )
    db_option(reclean)
    reclean.add_argument("--site", action="append", default=[], metavar="HOST",
                         help="only this site (repeatable; default: every site)")
    set_option(reclean)
    reclean.set_defaults(func=cmd_reclean)

    load = commands.add_parser("import", help="store the articles of spill files a crawl left behind")
    load.add_argument("files", nargs="+", metavar="FILE", help="newscrawl-spill-*.jsonl")
    db_option(load)
    load.set_defaults(func=cmd_import)

    db = commands.add_parser("db", help="the database schema: show its version or upgrade it")
    db.add_argument("action", choices=["current", "upgrade"])
    db_option(db)
    db.set_defaults(func=cmd_db)

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

    schedule = commands.add_parser("schedule", help="crawl each source of the sources file when its schedule says")
    schedule.add_argument("--once", action="store_true", help="start what is due, wait for it and exit (for cron)")
    schedule.add_argument("--scrapyd", metavar="URL", help="schedule the crawls on this Scrapyd instead of running them")
    schedule.add_argument("--sources", default=DEFAULT_FILE, metavar="FILE",
                          help=f"the sources file (default: {DEFAULT_FILE})")
    schedule.add_argument("--every", type=seconds, default=30.0, metavar="SECONDS",
                          help="how often to look for due sources (default 30)")
    db_option(schedule)
    private_option(schedule)
    set_option(schedule)
    log_options(schedule)
    schedule.set_defaults(func=cmd_schedule)

    runs = commands.add_parser("runs", help="past crawl runs with their key figures; `runs show ID`: one in detail")
    runs.add_argument("what", nargs="*", metavar="show ID", help="show one run: its figures, warnings and sites")
    db_option(runs)
    runs.add_argument("--limit", type=whole_number(1), default=20, metavar="N",
                      help="runs listed, newest first (default 20)")
    runs.set_defaults(func=cmd_runs)

    stats = commands.add_parser("stats", help="count stored articles and URLs")
    db_option(stats)
    stats.set_defaults(func=cmd_stats)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        parser.print_help(sys.stderr)
        return BAD_INPUT
    args = parser.parse_args(argv)
    try:
        status = int(args.func(args))
        sys.stdout.flush()
        return status
    except (UsageError, DatabaseError, SourcesError) as exc:
        print(f"newscrawl: error: {exc}", file=sys.stderr)
        return BAD_INPUT
    except BrokenPipeError:
        # The reader stopped reading (`newscrawl export | head`): what it took was written.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return OK
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"newscrawl: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt:
        print("newscrawl: interrupted", file=sys.stderr)
        return STOPPED
