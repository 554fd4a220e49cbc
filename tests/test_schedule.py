"""Scheduled sources: `newscrawl schedule --once` starts what is due, and nothing twice; the
project deploys to Scrapyd as an egg and its jobs crawl a source into the database."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FAST, ROOT, newscrawl
from tests.mockserver import stopped_after

pytestmark = pytest.mark.e2e
SETTINGS = [arg for arg in FAST if arg != "-s"]


def sources_file(tmp_path: Path, site: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(f'[sources.alpha]\nstart_urls = ["{site}"]\nschedule = "1h"\n\n'
                    f'[sources.beta]\nstart_urls = ["{site}"]\nschedule = "0 * * * *"\n\n'
                    f'[sources.gamma]\nstart_urls = ["{site}"]\n')
    return path


def runs(db_file: Path) -> list[str]:
    with sqlite3.connect(db_file) as connection:
        return [json.loads(arguments)["source"] for (arguments,) in
                connection.execute("SELECT arguments FROM crawl_runs ORDER BY id")]


def test_schedule_once_runs_only_what_is_due(fixture_site, tmp_path):
    sources = sources_file(tmp_path, fixture_site)
    db_file = tmp_path / "news.db"
    db = f"sqlite:///{db_file}"
    # beta ran a moment ago (its next hour has not come), alpha never did, gamma has no schedule.
    assert newscrawl("crawl", "--source", "beta", "--sources", str(sources), "--db", db, *FAST).returncode == 0
    settings = [arg for pair in SETTINGS for arg in ("-s", pair)]

    first = newscrawl("schedule", "--once", "--sources", str(sources), "--db", db, *settings)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "alpha: due, crawling" in first.stdout and "alpha: crawl ended with status 0" in first.stdout
    assert "beta" not in first.stdout and "gamma" not in first.stdout
    assert runs(db_file) == ["beta", "alpha"]

    second = newscrawl("schedule", "--once", "--sources", str(sources), "--db", db, *settings)
    assert second.returncode == 0, second.stderr[-2000:]
    assert second.stdout.strip() == "nothing due"
    assert runs(db_file) == ["beta", "alpha"]


def test_a_source_still_running_is_not_started_again(fixture_site, tmp_path):
    sources = sources_file(tmp_path, fixture_site)
    db_file = tmp_path / "news.db"
    assert newscrawl("db", "upgrade", "--db", f"sqlite:///{db_file}").returncode == 0
    with sqlite3.connect(db_file) as connection:  # a run of alpha that started and has not ended
        connection.execute("INSERT INTO crawl_runs (spider, arguments, started_at) VALUES "
                           "('news', '{\"source\": \"alpha\"}', datetime('now', '-2 hours'))")
    result = newscrawl("schedule", "--once", "--sources", str(sources), "--db", f"sqlite:///{db_file}",
                       *[arg for pair in SETTINGS for arg in ("-s", pair)])
    assert result.returncode == 0, result.stderr[-2000:]
    assert "alpha: its run of" in result.stdout and "has not finished; not started again" in result.stdout
    assert "alpha: due" not in result.stdout and "beta: due, crawling" in result.stdout
    assert runs(db_file) == ["alpha", "beta"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.load(answer)


@pytest.fixture
def scrapyd(tmp_path) -> Iterator[str]:
    """Scrapyd on a free loopback port, its eggs, logs and queues in the test's folder."""
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = _free_port()
    (home / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\neggs_dir = {home / 'eggs'}\n"
        f"logs_dir = {home / 'logs'}\nitems_dir =\ndbs_dir = {home / 'dbs'}\npoll_interval = 0.5\n"
    )
    executable = shutil.which("scrapyd", path=str(Path(sys.executable).parent))
    assert executable, "scrapyd is installed with the test extra"
    process = subprocess.Popen([executable], cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    with stopped_after(process, timeout=20):
        for _ in range(100):
            with contextlib.suppress(OSError):
                if _get(f"{url}/daemonstatus.json")["status"] == "ok":
                    break
            time.sleep(0.1)
        yield url


def test_deployed_to_scrapyd_a_scheduled_source_is_crawled(scrapyd, fixture_site, tmp_path):
    # A deploy target of the operator's own (their ~/.config/scrapy.cfg), beside the project's.
    config = tmp_path / "config"
    config.mkdir()
    (config / "scrapy.cfg").write_text(f"[deploy:here]\nurl = {scrapyd}\nproject = newscrawl\n")
    deploy = subprocess.run(
        [shutil.which("scrapyd-deploy", path=str(Path(sys.executable).parent)) or "scrapyd-deploy", "here"],
        cwd=ROOT, capture_output=True, text=True, check=False, env={**os.environ, "XDG_CONFIG_HOME": str(config)},
    )
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr[-2000:]
    assert '"spiders": 2' in deploy.stdout + deploy.stderr
    assert _get(f"{scrapyd}/listspiders.json?project=newscrawl")["spiders"] == ["news", "warc"]

    sources = sources_file(tmp_path, fixture_site)
    db_file = tmp_path / "news.db"
    scheduled = newscrawl("schedule", "--once", "--scrapyd", scrapyd, "--sources", str(sources),
                          "--db", f"sqlite:///{db_file}", *[arg for pair in SETTINGS for arg in ("-s", pair)])
    assert scheduled.returncode == 0, scheduled.stderr[-2000:]
    assert "alpha: due, scheduled on Scrapyd as job alpha--" in scheduled.stdout
    assert "beta: due, scheduled on Scrapyd as job beta--" in scheduled.stdout

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        jobs = _get(f"{scrapyd}/listjobs.json?project=newscrawl")
        if len(jobs["finished"]) == 2:
            break
        time.sleep(0.5)
    assert len(jobs["finished"]) == 2, jobs
    with sqlite3.connect(db_file) as connection:
        stored = connection.execute("SELECT count(*), count(DISTINCT canonical_url) FROM articles").fetchone()
    assert stored[0] > 0 and stored[0] == stored[1]
    assert sorted(runs(db_file)) == ["alpha", "beta"]
