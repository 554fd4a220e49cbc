"""The operator's console (``newscrawl serve``) over a database filled by real crawls of a local
news site: its pages in a real browser (Debian's chromium, driven by Playwright), its read API,
its alarms and its guard."""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.crawl_efficiency import site as big_site
from tests.conftest import FAST, ROOT, newscrawl
from tests.mockserver import serving

pytestmark = pytest.mark.e2e
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
WORDS = ["harbour", "council", "budget", "river", "school", "bridge", "library", "market", "station", "festival", "mayor", "museum", "road", "hospital", "ferry", "tram", "court", "farm", "theatre", "park", "storm", "election", "vote", "tax", "union", "factory", "port", "island", "forest", "lake", "teacher", "doctor", "nurse", "police", "judge", "artist", "fisher", "baker", "farmer", "driver"]


def _story(n: int, title: str, dated: bool) -> str:
    rng = random.Random(n)
    paragraphs = "".join(
        "<p>" + " ".join(rng.choice(WORDS) for _ in range(45)).capitalize() + f", said resident number {n}.</p>"
        for _ in range(4))
    head = (f'<meta property="article:published_time" content="2026-11-{1 + n % 27:02d}T09:00:00+00:00">'
            if dated else "")
    author = f"{('Ada', 'Bruno', 'Clara', 'Dmitri', 'Elsa')[n % 5]} {('Lindqvist', 'Moreau', 'Okafor')[n % 3]}"
    byline = f'<p class="byline">By <span class="author">{author}</span></p>' if dated else ""
    head += f'<meta name="author" content="{author}">' if dated else ""
    return (f'<html lang="en"><head><title>{title}</title><meta property="og:type" content="article">{head}'
            f'</head><body><nav><a href="/">Home</a></nav>'
            f'<article><h1>{title}</h1>{byline}{paragraphs}</article><footer>The Gazette</footer></body></html>')


def _site(stories: dict[str, tuple[str, bool]]) -> dict[str, tuple[int, dict[str, str], str]]:
    links = "".join(f'<li><a href="{path}">{title}</a></li>' for path, (title, _) in stories.items())
    pages = {"/": (200, {}, f"<html><head><title>The Gazette</title></head><body><h1>Latest</h1><ul>{links}</ul></body></html>")}
    for n, (path, (title, dated)) in enumerate(stories.items()):
        pages[path] = (200, {}, _story(n + (100 if not dated else 0), title, dated))
    return pages


@contextlib.contextmanager
def console(db: str, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """``newscrawl serve`` on a free loopback port; yields its base URL."""
    process = subprocess.Popen([sys.executable, "-m", "crawler", "serve", "--db", db, "--port", "0", *args],
                               cwd=ROOT, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                               env={**os.environ, **(env or {})})
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        found = re.search(r"http://[\d.]+:\d+/", line)
        assert found, line + process.stderr.read()
        yield found.group(0).rstrip("/")
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stderr is not None:
            process.stderr.close()


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read().decode()


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two crawls of one site: ten dated stories with bylines, then six new ones without a date
    or a byline (a layout change), one of them titled with markup."""
    db_file = tmp_path_factory.mktemp("console") / "news.db"
    first = {f"/story/harbour-{n}": (f"Harbour story {n}", True) for n in range(10)}
    later = {f"/story/river-{n}": (f"River story {n}", False) for n in range(5)} | {"/story/hostile": (HOSTILE, False)}
    # The second run also meets a page that refuses the crawler and one whose server fails.
    failing = {"/story/forbidden": (403, {}, "Forbidden"), "/story/broken": (503, {}, "Down for maintenance")}
    pages = _site(first)
    with serving("127.0.0.1", pages) as (port, _):
        for stories in (first, first | later | {path: ("", False) for path in failing}):
            pages.clear()
            pages.update(_site(stories))
            pages.update(failing if len(stories) > len(first) else {})
            result = newscrawl("crawl", f"http://127.0.0.1:{port}/", "--db", f"sqlite:///{db_file}", *FAST,
                               "-s", "ROBOTSTXT_OBEY=False")
            assert result.returncode == 0, result.stderr
    with sqlite3.connect(db_file) as connection:
        titles = {title for (title,) in connection.execute("SELECT title FROM articles")}
    assert HOSTILE in titles and len(titles) == 16, titles
    return db_file


def test_alarms_name_the_field_a_layout_change_lost(crawled):
    result = newscrawl("alarms", "--db", f"sqlite:///{crawled}")
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"coverage\s+127\.0\.0\.1  date: 0% of 6 articles in run 2, against 100% of 10 in the run before",
                     result.stdout), result.stdout
    assert "authors: 0% of 6" in result.stdout
    assert "title:" not in result.stdout and "body:" not in result.stdout  # those held


def test_serve_refuses_other_hosts_without_a_token():
    result = newscrawl("serve", "--host", "0.0.0.0")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == ("newscrawl: error: serve: --host 0.0.0.0 is reachable from other machines: give "
                                     "--token TOKEN (or set NEWSCRAWL_CONSOLE_TOKEN) so that only those who have it "
                                     "can read the database")


def test_a_token_is_carried_by_every_request_and_nothing_writes(crawled):
    before = crawled.read_bytes()
    with console(f"sqlite:///{crawled}", "--token", "s3cret") as base:
        assert get(base + "/")[0] == 401
        assert get(base + "/api/articles")[0] == 401
        assert get(base + "/api/articles", {"Authorization": "Bearer wrong"})[0] == 401
        status, headers, body = get(base + "/api/alarms", {"Authorization": "Bearer s3cret"})
        assert status == 200 and any(a["kind"] == "coverage" for a in json.loads(body)["alarms"])
        assert "script-src" not in headers["content-security-policy"]  # no script at all: default-src 'none'
        assert "default-src 'none'" in headers["content-security-policy"]
        post = urllib.request.Request(base + "/api/articles", data=b"x", headers={"Authorization": "Bearer s3cret"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(post, timeout=30)
        refused.value.close()
        assert refused.value.code == 405
    assert crawled.read_bytes() == before


def test_the_api_returns_every_column_and_pages_by_id(crawled):
    with console(f"sqlite:///{crawled}") as base:
        status, _, body = get(base + "/api/articles?since_id=0&limit=5")
        page = json.loads(body)
        assert status == 200 and len(page["articles"]) == 5
        assert set(page["articles"][0]) >= {"id", "canonical_url", "body", "cluster_id", "similarity", "created_at"}
        ids = [a["id"] for a in page["articles"]]
        rest = json.loads(get(base + f"/api/articles?since_id={page['next_since_id']}&limit=100")[2])["articles"]
        assert ids + [a["id"] for a in rest] == list(range(1, 17))
        status, _, body = get(base + "/api/articles?limit=0")
        assert status == 400 and "limit must be a whole number from 1 to 1000" in json.loads(body)["error"]
        sites = json.loads(get(base + "/api/sites")[2])["sites"]
        assert sites[0]["site"] == "127.0.0.1" and sites[0]["articles"] == 16 and len(sites[0]["per_day"]) == 30
        assert sites[0]["coverage"]["date"] == 0.0 and sites[0]["coverage"]["title"] == 1.0
        assert sites[0]["errors_by_kind"]["403"] == 1 and sites[0]["errors_by_kind"]["5xx"] >= 1
        assert sites[0]["errors_by_kind"]["HttpError"] == 1  # the 503, past its retries
        runs = json.loads(get(base + "/api/runs")[2])["runs"]
        assert [(r["id"], r["stored"]) for r in runs] == [(2, 6), (1, 10)]


def test_cursor_pagination_returns_every_article_once_while_a_crawl_writes(db_url, tmp_path):
    pages, _ = big_site(400, per_page=20)
    with serving("127.0.0.1", pages) as (port, _):
        seeded = newscrawl("db", "upgrade", "--db", db_url)
        assert seeded.returncode == 0, seeded.stderr
        crawl = subprocess.Popen([sys.executable, "-m", "crawler", "crawl", f"http://127.0.0.1:{port}/", "--db", db_url,
                                  *FAST, "-s", "ROBOTSTXT_OBEY=False"], cwd=ROOT, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        seen: list[int] = []
        pages_read_while_writing = 0
        with console(db_url) as base:
            since = 0
            while True:
                running = crawl.poll() is None
                batch = json.loads(get(base + f"/api/articles?since_id={since}&limit=7")[2])
                seen += [a["id"] for a in batch["articles"]]
                since = batch["next_since_id"]
                pages_read_while_writing += running and bool(batch["articles"])
                if not running and not batch["articles"]:
                    break
        assert crawl.wait() == 0
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.connect() as connection:
        stored = sorted(connection.execute(text("SELECT id FROM articles")).scalars())
    engine.dispose()
    assert len(stored) == 400
    assert seen == stored  # each once, in order, none skipped
    assert pages_read_while_writing >= 5


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        reason = "browser tests need Debian's chromium package (apt-get install chromium)"
        if os.environ.get("NEWSCRAWL_REQUIRE_SERVICES"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def test_every_page_renders_its_figures_in_a_browser_and_markup_stays_text(crawled, browser, tmp_path):
    shots = Path(os.environ.get("NEWSCRAWL_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    dialogs: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    with sqlite3.connect(crawled) as connection:
        hostile_id, harbour_id = (connection.execute("SELECT id FROM articles WHERE title = ?", (title,)).fetchone()[0]
                                  for title in (HOSTILE, "Harbour story 3"))

    def visit(path: str, name: str) -> None:
        response = page.goto(base + path)
        assert response is not None and response.status == 200, path
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

    with console(f"sqlite:///{crawled}") as base:
        visit("/", "overview")
        assert page.inner_text("#total-articles") == "16"
        assert page.locator("svg.chart circle.point").count() == 30  # one point per day, 30 days
        assert "date: 0% of 6 articles" in page.inner_text("main")
        visit("/runs", "runs")
        assert page.locator("table tr").count() == 3
        visit("/runs/2", "run")
        text = page.inner_text("main")
        assert "Run 2" in text and re.search(r"stored\s+6\s+10\s+10", text), text  # beside the medians of run 1
        visit("/sites", "sites")
        assert "127.0.0.1" in page.inner_text("main") and page.locator("tr.warn").count() == 1
        cells = page.locator("tr.warn td").all_inner_texts()
        assert cells[8] == "1" and int(cells[9]) == 0 and int(cells[10]) >= 1  # 403, 429, 5xx
        visit("/sites/127.0.0.1", "site")
        assert page.locator("svg.chart circle.point").count() == 30
        assert page.locator("svg.chart circle.point title").last.text_content().endswith(": 16")
        visit("/articles", "articles")
        assert page.locator("#articles tr").count() == 17
        visit("/articles?q=harbour+story+3", "search")
        assert page.locator("#articles a").first.inner_text() == "Harbour story 3"
        visit(f"/articles/{harbour_id}", "article")
        assert page.inner_text("#title") == "Harbour story 3" and "canonical" in page.inner_text("main")
        visit(f"/articles/{hostile_id}", "hostile")
        assert page.inner_text("#title") == HOSTILE  # shown as text
        assert page.locator("main img").count() == 0 and page.locator("script").count() == 0
        visit("/stories", "stories")
        visit("/alarms", "alarms")
        assert page.locator(".alarms li").count() == 2 and "authors: 0% of 6" in page.inner_text("main")
        assert page.goto(base + "/articles/9999").status == 404
    assert dialogs == []  # no alert ran
    assert not [e for e in errors if "Content Security Policy" in e], errors
    assert {p.name for p in shots.iterdir()} >= {f"{name}.png" for name in (
        "overview", "runs", "run", "sites", "site", "articles", "search", "article", "hostile", "stories", "alarms")}
    print(f"screenshots in {shots}")


def test_a_day_outside_the_mean_and_two_standard_deviations_raises_a_volume_alarm():
    import datetime as dt

    from crawler.storage.health import volume_alarm, volume_band

    today = dt.date(2026, 12, 7)
    days = [today - dt.timedelta(days=n) for n in range(29, -1, -1)]
    usual = [10, 11, 9, 10, 12, 8, 10, 11, 9, 10] * 3

    def judged(yesterday: int, first: dt.date | None = days[0]) -> str | None:
        daily = [*zip(days[:28], usual[:28], strict=True), (days[28], yesterday), (days[29], 2)]
        alarm = volume_alarm("news.example", daily, volume_band(daily, first))
        return alarm.message if alarm else None

    assert judged(10) is None and judged(12) is None and judged(8) is None  # within 10 ± 2 * 1.1
    assert judged(0) == ("0 articles stored on 2026-12-06, below the mean of 10.0 ± 2σ (1.1) of the days before")
    assert judged(30).startswith("30 articles stored on 2026-12-06, above")
    assert judged(0, first=days[24]) is None  # four days of history: too few to judge


def test_on_postgresql_a_page_waits_for_the_lower_ids_still_being_written(postgres_url):
    """Writer A takes an id and commits late, writer B takes the next one and commits at once: a
    page read in between would hold B and no A, and a reader going on after B would never see
    A. The page waits for A instead."""
    import datetime as dt
    import threading

    from crawler.storage import Article, init_db, make_engine, make_reader, make_sessionmaker
    from crawler.storage.reading import articles_after

    writer = make_engine(postgres_url)
    init_db(writer)
    sessions = make_sessionmaker(writer)

    def article(n: int) -> Article:
        return Article(canonical_url=f"https://news.example/{n}", url=f"https://news.example/{n}", site="news.example",
                       body=f"story {n}", content_fingerprint=f"{n:064d}", fetched_at=dt.datetime.now(dt.UTC))

    slow, fast = sessions(), sessions()
    reader = make_reader(postgres_url)
    try:
        slow.add(first := article(1))
        slow.flush()  # id taken, not committed
        fast.add(second := article(2))
        fast.commit()
        assert first.id < second.id
        read: list[list[int]] = []

        def page() -> None:
            with make_sessionmaker(reader)() as session:
                read.append([a.id for a in articles_after(session, 0, 10)])

        thread = threading.Thread(target=page)
        thread.start()
        thread.join(timeout=1.5)
        assert thread.is_alive() and read == []  # waiting for the slow writer
        slow.commit()
        thread.join(timeout=30)
        assert read == [[first.id, second.id]]
    finally:
        for session in (slow, fast):
            session.close()
        reader.dispose()
        writer.dispose()


def test_articles_are_counted_by_their_utc_day_whatever_the_session_s_time_zone(db_url):
    import datetime as dt

    from sqlalchemy import create_engine

    from crawler.storage import init_db, make_engine, make_sessionmaker
    from crawler.storage.health import daily_counts, site_health
    from crawler.storage.models import Article

    setup = make_engine(db_url)
    init_db(setup)
    setup.dispose()
    # A server in New York: 02:00 UTC on 7 December is still the 6th there.
    options = {"connect_args": {"options": "-c timezone=America/New_York"}} if db_url.startswith("postgresql") else {}
    engine = create_engine(db_url, **options)
    utc = dt.UTC
    stored = [dt.datetime(2026, 12, 7, 2, 0, tzinfo=utc), dt.datetime(2026, 12, 7, 2, 30, tzinfo=utc),
              dt.datetime(2026, 12, 6, 12, 0, tzinfo=utc), dt.datetime(2026, 10, 1, 12, 0, tzinfo=utc)]
    with make_sessionmaker(engine).begin() as session:
        for n, created in enumerate(stored):
            session.add(Article(
                canonical_url=f"https://news.example/{n}", canonical_from_page=False, url=f"https://news.example/{n}",
                site="news.example", authors=[], tags=[], author_organisations=[], body=f"Story {n}.",
                content_fingerprint=f"fingerprint-{n}", fetched_at=created, updated_at=created, created_at=created))
    now = dt.datetime(2026, 12, 7, 12, 0, tzinfo=utc)
    with make_sessionmaker(engine)() as session:
        daily = daily_counts(session, now)
        (site,) = site_health(session, now)
    assert len(daily) == 30 and daily[0][0] == dt.date(2026, 11, 8)
    assert daily[-2:] == [(dt.date(2026, 12, 6), 1), (dt.date(2026, 12, 7), 2)]
    assert sum(n for _, n in daily) == 3  # October's is older than the 30 days
    assert site.daily == daily
    engine.dispose()
