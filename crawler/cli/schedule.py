"""Crawling each source when it is due: ``newscrawl schedule``.

A source's ``schedule`` (an interval or a cron expression) counts from the start of its last
run in ``crawl_runs``, so the database is the one memory of what ran when, whoever ran it
(this scheduler, cron, an operator, Scrapyd). A source whose last run has not finished is not
started again: never two runs of one source at once. A run left unfinished by a crash blocks
the source for ``NEWS_RUN_STALE_HOURS``, then counts as dead. A run the database cut short
(``database_unavailable``) does not count: its source is due again, to crawl what it missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from croniter import croniter
from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.cli.common import UsageError, check_settings, command_settings
from crawler.cli.options import (
    Commands,
    db_option,
    log_options,
    private_option,
    seconds,
    set_option,
)
from crawler.discovery import DEFAULT_FILE, Source, SourcesError, load_sources
from crawler.runner import open_database
from crawler.storage import DatabaseError, make_sessionmaker, resolve_url
from crawler.storage.models import CrawlRun
from crawler.storage.pending_ends import record_pending_ends
from crawler.storage.runs import DATABASE_UNAVAILABLE

# Runs scanned for the last one of each source.
_RECENT_RUNS = 5000


@dataclass(frozen=True)
class LastRun:
    started_at: dt.datetime
    finished: bool


def last_runs(session: Session) -> dict[str, LastRun]:
    """The latest run of each source that the database did not cut short, from ``crawl_runs``."""
    latest: dict[str, LastRun] = {}
    runs = session.execute(
        select(CrawlRun.arguments, CrawlRun.started_at, CrawlRun.finished_at, CrawlRun.finish_reason)
        .order_by(CrawlRun.id.desc())
        .limit(_RECENT_RUNS)
    )
    for arguments, started_at, finished_at, reason in runs:
        source = (arguments or {}).get("source")
        if source and source not in latest and reason != DATABASE_UNAVAILABLE:
            latest[source] = LastRun(started_at, finished_at is not None)
    return latest


def next_run(schedule: dt.timedelta | str, last_start: dt.datetime) -> dt.datetime:
    if isinstance(schedule, dt.timedelta):
        return last_start + schedule
    following: dt.datetime = croniter(schedule, last_start).get_next(dt.datetime)
    return following


def due(
    sources: Sequence[Source], last: dict[str, LastRun], now: dt.datetime, stale: dt.timedelta
) -> tuple[list[Source], list[str]]:
    """The scheduled sources to start now (never run, or past their next time and not running),
    and a word on each one held back because its last run is still going."""
    ready, held = [], []
    for source in sources:
        if source.schedule is None:
            continue
        previous = last.get(source.name)
        if previous is None:
            ready.append(source)
        elif not previous.finished and now - previous.started_at < stale:
            held.append(f"{source.name}: its run of {previous.started_at:%Y-%m-%d %H:%M} UTC has not finished; "
                        "not started again")
        elif next_run(source.schedule, previous.started_at) <= now:
            ready.append(source)
    return ready, held


def run_locally(source: Source, command: Sequence[str]) -> subprocess.Popen[bytes]:
    """Start ``newscrawl crawl --source NAME COMMAND...``."""
    return subprocess.Popen([sys.executable, "-m", "crawler", "crawl", "--source", source.name, *command])


def post_to_scrapyd(url: str, source: Source, settings: dict[str, Any], now: dt.datetime) -> str | None:
    """Schedule the source's crawl on Scrapyd; the job id, or None when a job of the source is
    pending or running there already. Job ids start with the source's name, which is how its jobs are found.
    Raises OSError when Scrapyd cannot be reached or refuses."""
    jobs = _scrapyd(url, "listjobs.json?project=newscrawl")
    if any(job["id"].startswith(f"{source.name}--") for state in ("pending", "running") for job in jobs.get(state, [])):
        return None
    fields = [("project", "newscrawl"), ("spider", "news"), ("source", source.name),
              ("jobid", f"{source.name}--{now:%Y%m%dT%H%M%S}")]
    fields += [("setting", f"{name}={_setting(value)}") for name, value in {**settings, **source.overrides()}.items()]
    return str(_scrapyd(url, "schedule.json", urllib.parse.urlencode(fields).encode())["jobid"])


def _setting(value: Any) -> str:
    """A setting as Scrapy reads it from text: lists comma-separated, mappings as JSON."""
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    return json.dumps(value) if isinstance(value, dict) else str(value)


def _scrapyd(url: str, endpoint: str, data: bytes | None = None) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(urllib.request.Request(f"{url.rstrip('/')}/{endpoint}", data=data), timeout=30) as answer:
            result: dict[str, Any] = json.load(answer)
    except (urllib.error.URLError, ValueError) as exc:
        raise OSError(f"Scrapyd at {url}: {exc}") from exc
    if result.get("status") != "ok":
        raise OSError(f"Scrapyd at {url} refused {endpoint.split('?')[0]}: {result.get('message', result)}")
    return result


def add_parsers(commands: Commands) -> None:
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


def cmd_schedule(args: argparse.Namespace) -> int:
    settings = command_settings(args)
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
