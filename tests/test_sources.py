"""The sources file: valid files load, every problem is named with file, source and key."""

import datetime as dt
import json
import sqlite3
import subprocess
import sys

import pytest

from crawler.discovery.sources import SourcesError, load_sources
from tests.conftest import FAST, ROOT, newscrawl
from tests.mockserver import running, serving
from tests.newsroom import article_page, build, slug


def test_the_shipped_example_is_valid():
    (source,) = load_sources(ROOT / "sources.example.toml")
    assert source.name == "courier"
    assert source.since == dt.timedelta(days=30)
    assert source.schedule == dt.timedelta(hours=6)
    assert source.settings == {"DOWNLOAD_DELAY": 1.0}
    assert source.overrides() == {
        "DOWNLOAD_DELAY": 1.0, "NEWS_SINCE": "30d", "NEWS_LANGUAGES": ["en"], "CLOSESPIDER_PAGECOUNT": 500,
    }


def test_every_problem_is_named(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text("""
[sources.mee]
start_urls = ["https://news.example/"]
allow = ["/news/", "/world/", "(unclosed"]
since = "last tuesday"
max_pages = 0
colour = "blue"

[sources.ok]
start_urls = "https://ok.example/"
since = 2025-01-31

[sources.nourl]
feeds = ["ftp://feeds.example/rss"]
""")
    with pytest.raises(SourcesError) as error:
        load_sources(path)
    lines = str(error.value).splitlines()
    assert f"{path}: source 'mee': allow[2]: invalid regex '(unclosed': missing ), unterminated subpattern at position 0" in lines
    assert any(line.startswith(f"{path}: source 'mee': since:") for line in lines)
    assert any(line.startswith(f"{path}: source 'mee': max_pages:") for line in lines)
    assert any(line.startswith(f"{path}: source 'mee': colour: unknown key") for line in lines)
    assert f"{path}: source 'nourl': feeds[0]: not an http(s) URL: 'ftp://feeds.example/rss'" in lines
    assert not any("'ok'" in line for line in lines)


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such file"), ("[sources.x\nstart_urls=", "not valid TOML"), ("title = 'x'", r"no \[sources.NAME\] tables")],
)
def test_unusable_files(tmp_path, content, message):
    path = tmp_path / "sources.toml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SourcesError, match=message):
        load_sources(path)


def test_sources_commands(tmp_path):
    checked = newscrawl("sources", "check", str(ROOT / "sources.example.toml"))
    assert checked.returncode == 0 and "1 sources, all valid: courier" in checked.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text('[sources.a]\nstart_urls = ["https://a.example/"]\ndeny = ["["]\n')
    refused = newscrawl("sources", "check", str(bad))
    assert refused.returncode == 2
    assert f"{bad}: source 'a': deny[0]: invalid regex" in refused.stderr
    listed = newscrawl("sources", "list", str(ROOT / "sources.example.toml"))
    assert listed.stdout.startswith("courier") and "max pages 500" in listed.stdout


def test_crawl_a_source_from_the_file(demo_site, tmp_path):
    sources = tmp_path / "sources.toml"
    sources.write_text(f"""
[sources.courier]
start_urls = ["{demo_site}"]
deny = ["/science/", "/archive/"]
settings = {{ NEWS_EXTRACT_WORKERS = 1 }}
""")
    db_file = tmp_path / "news.db"
    result = newscrawl("crawl", "--source", "courier", "--sources", str(sources), "--db", f"sqlite:///{db_file}", *FAST)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db_file) as connection:
        stored = connection.execute("SELECT canonical_url, source FROM articles").fetchall()
        (stats,) = connection.execute("SELECT stats FROM crawl_runs").fetchone()
    assert stored and {source for _, source in stored} == {"courier"}
    assert not any("/science/" in url for url, _ in stored)
    assert json.loads(stats)["news/link/filtered"] > 0
    unknown = newscrawl("crawl", "--source", "nope", "--sources", str(sources), "--db", f"sqlite:///{db_file}")
    assert unknown.returncode == 2 and "no source 'nope' (known: courier)" in unknown.stderr
    nothing = newscrawl("crawl", "--db", f"sqlite:///{db_file}")
    assert nothing.returncode == 2 and "give start URLs, --feed URL, --sitemap URL, --source NAME" in nothing.stderr


def test_a_sources_patterns_judge_its_feed_and_sitemap_entries_too(tmp_path):
    """`allow`/`deny` keep out the articles a feed or sitemap lists, as they do links; the
    sitemaps an index names are still read."""
    build(tmp_path / "site", 60)
    with running("static", str(tmp_path / "site")) as url:
        sources = tmp_path / "sources.toml"
        sources.write_text(f"""
[sources.courier]
feeds = ["{url}rdf.xml"]
sitemaps = ["{url}sitemap-index.xml"]
allow = ["/news/"]
deny = ["story-0[0-4][0-9]"]
""")
        db_file = tmp_path / "news.db"
        result = newscrawl("crawl", "--source", "courier", "--sources", str(sources), "--db", f"sqlite:///{db_file}",
                           *FAST)
    assert result.returncode == 0, result.stderr[-3000:]
    with sqlite3.connect(db_file) as connection:
        stored = {row[0] for row in connection.execute("SELECT canonical_url FROM articles")}
        stats = json.loads(connection.execute("SELECT stats FROM crawl_runs").fetchone()[0])
    # Listed by the RDF feed (i % 6 == 3), the news sitemap (4) or both sitemaps and the feed (5);
    # the deny pattern refuses 0-49. Links to the home and section pages fall outside `allow`.
    assert stored == {url.rstrip("/") + slug(i) for i in range(50, 60) if i % 6 in (3, 4, 5)}
    # Entries 0-49 of the feed (16), the news sitemap (16) and the pages sitemap (8); two links
    # (home, section) on each of the 6 articles.
    assert stats["news/link/filtered"] == 16 + 16 + 8 + 2 * 6


def scrapy_crawl(*args: str) -> subprocess.CompletedProcess[str]:
    """``scrapy crawl`` run from the repository root, as the README and Scrapyd run it."""
    return subprocess.run([sys.executable, "-m", "scrapy", "crawl", *args], capture_output=True, text=True,
                          timeout=240, cwd=ROOT, stdin=subprocess.DEVNULL, check=False)


def test_scrapy_crawl_of_a_source_takes_its_settings(tmp_path):
    """`scrapy crawl news -a source=NAME`: the source's URLs and its since, language, max_pages
    and settings, below -s; a source or arguments no crawl can start from: one usage line."""
    pages = {"/": (200, {}, "<html><body>" + "".join(f'<a href="{slug(i)}">{i}</a>' for i in range(1, 13))
                   + "</body></html>")}
    pages |= {slug(i): (200, {}, article_page(i)) for i in range(1, 13)}
    sources = tmp_path / "sources.toml"
    db_file = tmp_path / "news.db"
    given = ["-s", f"NEWS_SOURCES_FILE={sources}", "-s", f"DATABASE_URL=sqlite:///{db_file}", *FAST]
    with serving("127.0.0.1", pages) as (port, _):
        sources.write_text(f"""
[sources.courier]
start_urls = ["http://127.0.0.1:{port}/"]
since = 2025-01-08
settings = {{ ROBOTSTXT_OBEY = false }}

[sources.brief]
start_urls = ["http://127.0.0.1:{port}/"]
language = ["de"]
max_pages = 8
settings = {{ ROBOTSTXT_OBEY = false }}
""")
        courier = scrapy_crawl("news", "-a", "source=courier", *given)
        brief = scrapy_crawl("news", "-a", "source=brief", *given, "-s", "ROBOTSTXT_OBEY=True")
    assert courier.returncode == 0, courier.stderr[-3000:]
    assert brief.returncode == 0, brief.stderr[-3000:]
    with sqlite3.connect(db_file) as connection:
        stored = {row for row in connection.execute("SELECT canonical_url, source FROM articles")}
        runs = connection.execute("SELECT finish_reason, stats FROM crawl_runs ORDER BY id").fetchall()
    # since: the articles published from 8 January (7 to 12) and no earlier one.
    assert stored == {(f"http://127.0.0.1:{port}{slug(i)}", "courier") for i in range(7, 13)}
    (courier_reason, courier_stats), (brief_reason, brief_stats) = [(r, json.loads(s)) for r, s in runs]
    assert courier_reason == "finished"
    assert courier_stats["news/extract/dropped/too_old"] == 6
    assert "robotstxt/request_count" not in courier_stats  # the source's ROBOTSTXT_OBEY
    # max_pages: stopped after 8 responses (and the 4 at most on their way) of 15; language: none in German.
    assert brief_reason == "closespider_pagecount"
    assert brief_stats["response_received_count"] <= 12
    assert brief_stats["news/extract/dropped/wrong_language"] >= 1
    assert "robotstxt/request_count" in brief_stats  # -s wins over the source's settings

    for args, message in [
        (["-a", "source=nope"], "no source 'nope' (known: courier, brief)"),
        ([], "no start URLs: pass -a urls="),
        (["-a", "source=courier", "-s", f"NEWS_SOURCES_FILE={tmp_path / 'none.toml'}"], "none.toml: no such file"),
    ]:
        refused = scrapy_crawl("news", *given, *args)
        assert refused.returncode == 2, refused.stderr[-3000:]
        last = refused.stderr.strip().splitlines()[-1]
        assert ": error: " in last and message in last
        assert "Traceback" not in refused.stderr
