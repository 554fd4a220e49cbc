"""``newscrawl crawl`` and ``newscrawl demo``."""

from __future__ import annotations

import argparse
from pathlib import Path

from crawler.cli.common import (
    FINISHED_REASONS,
    UsageError,
    check_public,
    check_settings,
    command_settings,
    exit_status,
    summary,
    writable_folder,
)
from crawler.cli.jobs import crawl_jobs, note_unshared, shared_frontier
from crawler.cli.options import (
    Commands,
    db_option,
    job_options,
    languages,
    log_options,
    private_option,
    redis_option,
    set_option,
    whole_number,
)
from crawler.downloadermiddlewares.private_networks import AddressPolicy
from crawler.runner import open_database, run_crawl, run_crawls
from crawler.storage import latest_articles, make_engine, make_sessionmaker, resolve_url


def add_parsers(commands: Commands) -> None:
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

    demo = commands.add_parser("demo", help="serve the bundled demo site and crawl it")
    demo.add_argument("--db", help="database URL (default: sqlite:///demo.db)")
    set_option(demo)
    log_options(demo)
    demo.set_defaults(func=cmd_demo)


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


def cmd_demo(args: argparse.Namespace) -> int:
    from crawler.demo.site import serve

    settings = command_settings(args)
    # Our own loopback server: no need to be gentle with it.
    for name, value in (("NEWS_ALLOW_PRIVATE_NETWORKS", True), ("AUTOTHROTTLE_ENABLED", False), ("DOWNLOAD_DELAY", 0),
                        ("CONCURRENT_REQUESTS_PER_DOMAIN", 16), ("LOG_LEVEL", "WARNING")):
        if (settings.getpriority(name) or 0) < 40:
            settings.set(name, value, priority="cmdline")
    # Nobody but us to contact about it: no warning about the contact URL.
    settings.set("EXTENSIONS", {**settings.getdict("EXTENSIONS"), "crawler.extensions.contact.ContactCheck": None}, priority="cmdline")
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
    print(f"\nsee it in the operator's console: .venv/bin/newscrawl serve --db {db_url}  (then open http://127.0.0.1:8080/)")
    return 0 if stats.get("finish_reason") in FINISHED_REASONS else 1
