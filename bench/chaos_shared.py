"""A shared crawl under fire: workers killed and restarted, Redis and PostgreSQL restarted
mid-crawl; every story stored exactly once, none lost, each site's limits held throughout.

The site is ``bench/crawl_efficiency.py``'s (stories listed 100 to a page, their AMP and print
copies, help pages, downloads, old 404 addresses, comment pages), served on 127.0.0.1 by its
server, which records when each request started and ended. ``--workers`` workers share the crawl
through Redis into PostgreSQL; one of them is killed (SIGKILL, with its page workers) and a new
one started every ``--kill-every`` seconds; Redis is restarted once, without its data, a third of
the way in (``--redis-restart``); PostgreSQL once, two thirds of the way in (``--pg-restart``).
The same site is then crawled by one process alone into a fresh schema, for the wall time.

Printed: stories stored against the site's, rows stored twice, stories lost, article pages
fetched more than once, the most requests in flight at once against the limit, the seconds
from Redis's restart to the start page fetched again (the crawl re-seeded), and the wall time
against the single process.
It restarts the services it is given, so run it on a machine of its own (CI does):

    python -m bench.chaos_shared --db postgresql+psycopg://postgres@127.0.0.1/test \\
        --redis redis://127.0.0.1:6379/0 [--articles 20000] [--kill-every 60]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import redis as redis_client
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from bench.crawl_efficiency import Log, serving, site, story_path

ROOT = Path(__file__).resolve().parent.parent
REDIS_START = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379", "--save", "",
               "--appendonly", "no"]
CONCURRENCY = 4
# Seconds without a story stored, the crawl unfinished, after which the run is called stalled.
STALL = 120.0


def pg_restart_command() -> list[str]:
    version = max(os.listdir("/etc/postgresql"))
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"]


def newscrawl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler", *args], capture_output=True, text=True, cwd=ROOT,
                          stdin=subprocess.DEVNULL, check=False)


SETTINGS = ["-s", "NEWS_ALLOW_PRIVATE_NETWORKS=True", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
            "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={CONCURRENCY}", "-s", "ROBOTSTXT_OBEY=False",
            "-s", "NEWS_CONTACT_URL=https://newscrawl.test/contact", "-s", "LOG_LEVEL=WARNING",
            "-s", "NEWS_EXTRACT_WORKERS=1"]


def worker(redis: str, db: str, log: Path) -> subprocess.Popen[bytes]:
    """A worker in a process group of its own, so that it is killed with its page workers."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "crawler", "worker", "--redis", redis, "--db", db, "--idle-timeout", "10",
             *SETTINGS, "-s", "NEWS_WORKER_HEARTBEAT=1", "-s", "NEWS_DB_RETRY_TIMEOUT=120"],
            cwd=ROOT, stdout=out, stderr=out, stdin=subprocess.DEVNULL, start_new_session=True,
        )


def restart_redis(redis: str) -> float:
    """Restart Redis without its data; the time it is back, from which recovery is measured
    (workers may re-seed and fetch the start page at once)."""
    port = redis.rsplit(":", 1)[1].split("/")[0]
    subprocess.run(["redis-cli", "-p", port, "shutdown", "nosave"], capture_output=True, check=False)
    time.sleep(1.0)
    subprocess.run(REDIS_START, check=True, capture_output=True)
    back = time.time()
    time.sleep(0.5)
    return back


def count_stored(db: str) -> int:
    """Stories stored so far; 0 while the database does not answer (restarting)."""
    engine = create_engine(db)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM articles")).scalar_one())
    except OperationalError:
        return 0
    finally:
        engine.dispose()


def stored(db: str) -> list[tuple[str, Any]]:
    engine = create_engine(db)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text("SELECT url, created_at FROM articles"))]
    finally:
        engine.dispose()


def reset(db: str) -> None:
    """The schema dropped and made anew, at the current version."""
    from crawler.storage import drop_schema, make_engine

    engine = make_engine(db)
    drop_schema(engine)
    engine.dispose()
    result = newscrawl("db", "upgrade", "--db", db)
    if result.returncode != 0:
        raise RuntimeError(result.stderr)


def in_flight(log: Log) -> tuple[int, float]:
    """The most requests the server handled at once, and when that was first reached."""
    events = sorted([(start, 1) for _, start, _, _ in log] + [(end, -1) for _, _, end, _ in log])
    most = current = 0
    at = 0.0
    for when, step in events:
        current += step
        if current > most:
            most, at = current, when
    return most, at


def chaos(count: int, redis: str, db: str, workers: int, kill_every: float, folder: Path,
          redis_restart: bool = True, pg_restart: bool = True, single: bool = True) -> dict[str, Any]:
    # 100 stories to a section page: the "next page" chain stays within NEWS_MAX_PAGINATION.
    pages, _ = site(count, per_page=100)
    reset(db)
    redis_client.Redis.from_url(redis).flushdb()  # a crawl of its own: no job of an earlier run
    figures: dict[str, Any] = {"articles": count}
    with serving(pages) as (port, log):
        start_url = f"http://127.0.0.1:{port}/"
        enqueued = newscrawl("enqueue", start_url, "--redis", redis)
        if enqueued.returncode != 0:
            raise RuntimeError(enqueued.stderr)
        started, started_at = time.monotonic(), time.time()
        events: dict[str, list[float]] = {"kills": [], "pg_restart": []}
        running = [worker(redis, db, folder / f"worker-{n}.log") for n in range(workers)]
        started_workers, killed, failed = workers, 0, 0
        redis_at: float | None = None
        pg_done = not pg_restart
        progress, progressed = -1, time.monotonic()
        # Services restarted once the crawl is well under way: at a third and two thirds of its stories.
        while any(process.poll() is None for process in running):
            time.sleep(0.5)
            done = count_stored(db)
            if done != progress:
                progress, progressed = done, time.monotonic()
            elif done < count and time.monotonic() - progressed > STALL:
                for process in running:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                keys = sorted(key.decode() for key in redis_client.Redis.from_url(redis).scan_iter("newscrawl:*"))
                raise RuntimeError(f"stalled: {done} of {count} stories stored, none for {STALL:g} s; Redis holds {keys}")
            if redis_restart and redis_at is None and done >= count // 3:
                redis_at = restart_redis(redis)
            elif not pg_done and done >= 2 * count // 3:
                events["pg_restart"].append(round(time.time() - started_at, 1))
                subprocess.run(pg_restart_command(), check=True, capture_output=True)
                pg_done = True
            elif kill_every and done < count and time.monotonic() - started >= (killed + 1) * kill_every:
                # Killed while the crawl is under way; then the workers are let to finish.
                alive = [p for p in running if p.poll() is None]
                victim = alive[killed % len(alive)]
                os.killpg(victim.pid, signal.SIGKILL)
                victim.wait()
                killed += 1
                events["kills"].append(round(time.time() - started_at, 1))
            for n, process in enumerate(running):
                # A worker killed, or one that could not start while Redis was away: another.
                if process.poll() not in (None, 0):
                    failed = failed + 1 if process.returncode != -signal.SIGKILL else 0
                    if failed > 10:
                        log_file = folder / f"worker-{started_workers - 1}.log"
                        raise RuntimeError(f"workers keep failing: {log_file.read_text()[-2000:]}")
                    running[n] = worker(redis, db, folder / f"worker-{started_workers}.log")
                    started_workers += 1
        wall = time.monotonic() - started
        rows = stored(db)
        own = {f"http://127.0.0.1:{port}{story_path(i)}" for i in range(count)}
        urls = Counter(url for url, _ in rows)
        fetched = Counter(path for path, _, _, status in log if status == 200 and path.startswith("/news/"))
        # Recovered once the start page, queued again by the worker that found the crawl lost, is fetched.
        reseeded = sorted(start for path, start, _, _ in log if path == "/" and redis_at and start > redis_at)
        figures |= {
            "stored": len(own & set(urls)), "stored_twice": sum(n - 1 for n in urls.values() if n > 1),
            "lost": len(own - set(urls)), "not_stories": len(set(urls) - own),
            "fetched_twice": sum(1 for n in fetched.values() if n > 1), "requests": len(log),
            "max_in_flight": (most := in_flight(log))[0], "max_in_flight_at_s": round(most[1] - started_at, 1),
            "redis_back_at_s": round(redis_at - started_at, 1) if redis_at else None, **events, "limit": CONCURRENCY, "killed": killed, "workers_started": started_workers,
            "redis_recovery_s": round(reseeded[0] - redis_at, 1) if reseeded and redis_at else None,
            "wall_s": round(wall, 1),
        }
        if single:
            reset(db)
            alone_started = time.monotonic()
            result = newscrawl("crawl", start_url, "--db", db, *SETTINGS)
            if result.returncode != 0:
                raise RuntimeError(result.stderr[-2000:])
            figures["single_wall_s"] = round(time.monotonic() - alone_started, 1)
            figures["single_stored"] = len({url for url, _ in stored(db)} & own)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--kill-every", type=float, default=60.0, help="seconds between worker kills (0: none)")
    parser.add_argument("--redis", required=True, help="a Redis on 127.0.0.1 this run may restart")
    parser.add_argument("--db", required=True, help="a PostgreSQL database this run empties")
    parser.add_argument("--no-redis-restart", action="store_true")
    parser.add_argument("--no-pg-restart", action="store_true")
    args = parser.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        figures = chaos(args.articles, args.redis, args.db, args.workers, args.kill_every, Path(folder),
                        not args.no_redis_restart, not args.no_pg_restart)
    for key, value in figures.items():
        print(f"{key:18s} {value}")


if __name__ == "__main__":
    main()
