"""The sources file: valid files load, every problem is named with file, source and key."""

import datetime as dt
import json
import sqlite3

import pytest

from crawler.sources import SourcesError, load_sources
from tests.conftest import FAST, ROOT, newscrawl
from tests.mockserver import running
from tests.newsroom import build, slug


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
