"""Copies learned, not fetched: rewrite rules from pages naming their canonical page, checked by
a sample, kept across runs; links they fit recorded as aliases without a request."""

import json
import sqlite3

import pytest

from crawler.dedupe.copyrules import CopyRules, Rewrite, rewrite_of
from tests.conftest import FAST, newscrawl
from tests.mockserver import serving
from tests.newsroom import _listing, amp_page, article_page, print_page, slug


@pytest.mark.parametrize(("copy", "own", "kind", "pattern"), [
    ("http://s/amp/news/story-a.html", "http://s/news/story-a.html", "prefix", "/amp"),
    ("http://s/news/story-a/amp", "http://s/news/story-a", "suffix", "/amp"),
    ("http://s/news/story-a/print/", "http://s/news/story-a/", "suffix", "/print"),
    ("http://s/news/story-a.amp.html", "http://s/news/story-a.html", "infix", ".amp"),
    ("http://s/news/story-a.html?output=amp", "http://s/news/story-a.html", "params", "output=amp"),
    ("http://s/news?id=story-a&format=print", "http://s/news?id=story-a", "params", "format=print"),
])
def test_a_rewrite_is_read_off_a_copy_and_its_page_and_fits_other_articles(copy, own, kind, pattern):
    rewrite = rewrite_of(copy, own)
    assert rewrite == Rewrite(kind, pattern)
    assert rewrite.target(copy) == own
    other_copy, other_own = copy.replace("story-a", "story-b-longer"), own.replace("story-a", "story-b-longer")
    assert rewrite.target(other_copy) == other_own


@pytest.mark.parametrize(("copy", "own"), [
    ("http://s/news/a.html", "http://s/news/b.html"),  # another page, not a mark added to it
    ("http://s/amp/a.html", "http://t/a.html"),  # another site
    ("https://s/a.html", "http://s/a.html"),  # another scheme
    ("http://s/news/a.html?page=2", "http://s/other/a.html"),  # path and query both differ
    ("http://s/news/a.html", "http://s/news/a.html"),
])
def test_addresses_that_differ_otherwise_give_no_rewrite(copy, own):
    assert rewrite_of(copy, own) is None


def test_a_rewrite_fits_only_addresses_that_carry_its_mark():
    assert Rewrite("prefix", "/amp").target("http://s/news/a.html") is None
    assert Rewrite("prefix", "/amp").target("http://s/amplifiers/a.html") is None
    assert Rewrite("suffix", "/amp").target("http://s/amp") is None  # nothing would be left
    assert Rewrite("infix", ".amp").target("http://s/news/a.html") is None
    assert Rewrite("params", "output=amp").target("http://s/a.html?output=rss") is None
    assert Rewrite("params", "output=amp").target("http://s/a.html?id=3&output=amp") == "http://s/a.html?id=3"


def test_a_rule_is_confirmed_by_distinct_articles_and_dropped_for_good_by_one_contradiction():
    rules = CopyRules(confirmations=3, sample=0.0)
    for _ in range(3):  # one article seen three times is one confirmation
        rules.learn("s", "http://s/amp/a.html", "http://s/a.html")
    assert rules.match("s", "http://s/amp/z.html") == (Rewrite("prefix", "/amp"), "http://s/z.html", False)
    rules.learn("s", "http://s/amp/b.html", "http://s/b.html")
    rules.learn("s", "http://s/amp/c.html", "http://s/c.html")
    assert rules.match("s", "http://s/amp/z.html") == (Rewrite("prefix", "/amp"), "http://s/z.html", True)
    assert rules.match("other", "http://s/amp/z.html") is None  # rules are a site's own
    assert rules.take_changes() == [("s", Rewrite("prefix", "/amp"), 3, False)]
    rules.refute("s", Rewrite("prefix", "/amp"))
    rules.learn("s", "http://s/amp/d.html", "http://s/d.html")
    assert rules.match("s", "http://s/amp/z.html") is None
    assert rules.take_changes() == [("s", Rewrite("prefix", "/amp"), 3, True)]


def test_the_sample_that_checks_a_rule_is_the_same_links_every_time():
    rules = CopyRules(sample=0.1)
    links = [f"http://s/amp/story-{i}.html" for i in range(2000)]
    sampled = [url for url in links if rules.sampled(url)]
    assert 150 < len(sampled) < 250
    assert sampled == [url for url in links if CopyRules(sample=0.1).sampled(url)]
    assert not any(CopyRules(sample=0.0).sampled(url) for url in links)


# A site whose every article links its AMP copy and its print copy (both naming the article as
# canonical) and three related articles with their AMP copies.
ARTICLES = 100


def _amp(path: str) -> str:
    return "/amp" + path


def _print(path: str) -> str:
    return "/print" + path


def _article(i: int, count: int, amp, printed) -> str:
    related = "".join(f'<li><a href="{slug(j % count)}">Related story</a> <a href="{amp(slug(j % count))}">AMP</a></li>'
                      for j in range(i + 1, i + 4))
    tools = (f'<p class="tools"><a href="{amp(slug(i))}">AMP version</a> '
             f'<a href="{printed(slug(i))}">Print this story</a></p><ul class="related">{related}</ul>')
    return article_page(i).replace("</article>", "</article>" + tools)


def copies_site(count: int, first: int = 0, amp=_amp, printed=_print) -> dict:
    """Articles ``first``..``count-1``, listed 20 to a section page; their copies at the paths
    ``amp`` and ``printed`` give for the article's path."""
    sections = range(first // 20, (count + 19) // 20)
    home = "".join(f'<a href="/section/{k}.html">Section {k}</a> ' for k in sections)
    pages = {"/": (200, {}, f"<html><head><title>Courier</title></head><body>{home}</body></html>")}
    for k in sections:
        pages[f"/section/{k}.html"] = (200, {}, _listing(f"Section {k}", list(range(max(first, 20 * k), min(count, 20 * k + 20)))))
    for i in range(first, count):
        pages[slug(i)] = (200, {}, _article(i, count, amp, printed))
        pages[amp(slug(i))] = (200, {}, amp_page(i))
        canonical = f'<link rel="canonical" href="{slug(i)}">'
        pages[printed(slug(i))] = (200, {}, print_page(i).replace("</head>", canonical + "</head>"))
    return pages


def rows(db_file, query):
    with sqlite3.connect(db_file) as connection:
        return connection.execute(query).fetchall()


def crawl(port: int, db_file, *settings: str):
    result = newscrawl("crawl", f"http://127.0.0.1:{port}/", "--db", f"sqlite:///{db_file}", *FAST,
                       "-s", "ROBOTSTXT_OBEY=False", *settings)
    assert result.returncode == 0, result.stderr
    return result


def copies_requested(seen: list[str], amp: str = "/amp", printed: str = "/print") -> list[str]:
    return [path for path in seen if amp in path or printed in path]


@pytest.mark.e2e
def test_copies_are_learned_not_fetched_and_every_one_is_an_alias_of_its_article(tmp_path):
    pages = copies_site(ARTICLES)
    db_file = tmp_path / "news.db"
    with serving("127.0.0.1", pages) as (port, seen):
        first = crawl(port, db_file)
        fetched_first = copies_requested(seen)
        seen.clear()
        crawl(port, db_file)
        second = list(seen)
    site = f"http://127.0.0.1:{port}"
    linked = {f"{site}/amp{slug(i)}" for i in range(ARTICLES)} | {f"{site}/print{slug(i)}" for i in range(ARTICLES)}
    assert len(set(fetched_first)) <= 0.10 * len(linked), sorted(fetched_first)
    # Every story stored once, from its own page.
    assert sorted(rows(db_file, "SELECT url FROM articles")) == sorted((site + slug(i),) for i in range(ARTICLES))
    aliases = dict(rows(db_file, "SELECT u.url, a.url FROM article_urls u JOIN articles a ON a.id = u.article_id "
                                 "WHERE u.reason = 'alias'"))
    assert set(aliases) == linked
    assert all(aliases[f"{site}{kind}{slug(i)}"] == site + slug(i) for i in range(ARTICLES) for kind in ("/amp", "/print"))
    assert sorted(rows(db_file, "SELECT kind, pattern, confirmations >= 3, refuted FROM copy_rules")) == [
        ("prefix", "/amp", 1, 0), ("prefix", "/print", 1, 0)]
    (stats,) = rows(db_file, "SELECT stats FROM crawl_runs ORDER BY id LIMIT 1")[0]
    stats = json.loads(stats)
    assert stats["news/copies/not_fetched"] == len(linked) - len(set(fetched_first))
    assert stats["news/copies/rules_learned"] == 2
    assert f"copies:             {stats['news/copies/not_fetched']} links recorded as aliases" in first.stdout
    # The second run requests no article page and no copy: listing pages only.
    assert second and all(path == "/" or path.startswith("/section/") or path == "/robots.txt" for path in second)


@pytest.mark.e2e
def test_copy_addresses_no_built_in_shape_knows_are_learned_from_the_pages_that_link_them(tmp_path):
    # ".amp" before the extension and a query flag: canonical URLs fold neither.
    pages = copies_site(ARTICLES, amp=lambda path: path.replace(".html", ".amp.html"),
                        printed=lambda path: path + "?format=print")
    db_file = tmp_path / "news.db"
    with serving("127.0.0.1", pages) as (port, seen):
        crawl(port, db_file)
    copies = [path for path in seen if ".amp.html" in path or "format=print" in path]
    assert len(set(copies)) <= 0.15 * 2 * ARTICLES, sorted(copies)
    assert len(rows(db_file, "SELECT id FROM articles")) == ARTICLES
    assert sorted(rows(db_file, "SELECT kind, pattern, refuted FROM copy_rules WHERE confirmations >= 3")) == [
        ("infix", ".amp", 0), ("params", "format=print", 0)]
    (aliases,) = rows(db_file, "SELECT count(*) FROM article_urls WHERE reason = 'alias'")[0]
    assert aliases == 2 * ARTICLES


@pytest.mark.e2e
def test_rules_hold_across_runs_and_a_sampled_link_that_contradicts_one_drops_it(tmp_path):
    db_file = tmp_path / "news.db"
    pages = copies_site(40)
    with serving("127.0.0.1", pages) as (port, seen):
        crawl(port, db_file)
        # New stories: the rules learned before apply from their first link; none is fetched.
        pages.clear()
        pages.update(copies_site(80, first=40))
        seen.clear()
        crawl(port, db_file, "-s", "NEWS_COPY_RULE_SAMPLE=0")
        assert copies_requested(seen) == []
        assert len(rows(db_file, "SELECT id FROM articles")) == 80
        # A site that now serves another page at an AMP address: the sample (every link here)
        # finds it, the rule is dropped, and the page is fetched and judged as any other.
        pages.clear()
        pages.update(copies_site(100, first=80))
        pages["/amp" + slug(85)] = (200, {}, article_page(200))
        seen.clear()
        result = crawl(port, db_file, "-s", "NEWS_COPY_RULE_SAMPLE=1")
    assert "/amp" + slug(85) in seen
    assert rows(db_file, "SELECT pattern, refuted FROM copy_rules ORDER BY pattern") == [("/amp", 1), ("/print", 0)]
    stored = {url for (url,) in rows(db_file, "SELECT url FROM articles")}
    assert {f"http://127.0.0.1:{port}{slug(i)}" for i in range(100)} <= stored
    assert "rules learned 0, dropped 1" in result.stdout
