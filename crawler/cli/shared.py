"""Shared crawls: ``newscrawl enqueue`` and ``newscrawl worker``."""

from __future__ import annotations

import argparse

from crawler.cli.common import (
    FINISHED_REASONS,
    UsageError,
    check_settings,
    command_settings,
    project_settings,
    summary,
)
from crawler.cli.jobs import crawl_jobs, note_unshared, shared_frontier
from crawler.cli.options import (
    Commands,
    db_option,
    job_options,
    log_options,
    private_option,
    redis_option,
    seconds,
    set_option,
)
from crawler.runner import open_database, run_crawls
from crawler.storage import resolve_url
from spiders.news import NewsSpider


def add_parsers(commands: Commands) -> None:
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


def cmd_enqueue(args: argparse.Namespace) -> int:
    jobs = crawl_jobs(args)
    settings = project_settings()
    frontier = shared_frontier(settings, args.redis)
    if frontier is None:
        raise UsageError("give --redis URL (or set REDIS_URL): the Redis the workers share")
    note_unshared(jobs)
    queued = frontier.enqueue(jobs, NewsSpider)
    sources = ", ".join(sorted({a["source"] for _, a in jobs if a.get("source")})) or "-"
    print(f"queued {queued} start requests (sources: {sources}); {frontier.queued()} requests waiting in all")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    settings = command_settings(args)
    if args.idle_timeout is not None:
        settings.set("NEWS_IDLE_TIMEOUT", args.idle_timeout, priority="cmdline")
    check_settings(settings, {}, None)
    frontier = shared_frontier(settings, args.redis)
    if frontier is None:
        raise UsageError("give --redis URL (or set REDIS_URL): the Redis the workers share")
    from crawler.distributed.frontier import FrontierError

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
