"""Pipelines, spider rules and settings wiring, each built the way Scrapy builds them."""

import pytest
from scrapy.crawler import Crawler, CrawlerRunner
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Request
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawler.cli.common import project_settings
from crawler.dedupe.fingerprints import body_fingerprint
from crawler.downloadermiddlewares.meta_refresh import MetaRefreshMiddleware
from crawler.downloadermiddlewares.site_slots import SiteSlotsMiddleware
from crawler.extraction import ArticleExtractor
from crawler.extraction.analysis import LinkRules, PageAnalyser, SiteRules
from crawler.items import ArticleItem
from crawler.storage import resolve_url
from pipelines.dedup import DedupPipeline
from spiders.news import NewsSpider


def article(url, canonical, body):
    return ArticleItem(url=url, canonical_url=canonical, site="n.example", body=body,
                       content_fingerprint=body_fingerprint(body))


def test_dedup_marks_repeats_by_url_then_body_and_counts_them():
    crawler = get_crawler(NewsSpider)
    pipeline = build_from_crawler(DedupPipeline, crawler)
    first = pipeline.process_item(article("https://n.example/a", "https://n.example/a", "Story A."))
    by_url = pipeline.process_item(article("https://n.example/a?utm_source=x", "https://n.example/a", "Story A, edited."))
    by_body = pipeline.process_item(article("https://n.example/print/a", "https://n.example/print/a", "STORY A"))
    other = pipeline.process_item(article("https://n.example/b", "https://n.example/b", "Story B."))
    assert [i.duplicate_of for i in (first, by_url, by_body, other)] == [None, "url", "body", None]
    assert crawler.stats.get_value("news/dedup/url") == 1
    assert crawler.stats.get_value("news/dedup/body") == 1
    other_item = {"url": "https://n.example/x"}
    assert pipeline.process_item(other_item) is other_item  # not an article: passed on untouched


def test_dedup_remembers_the_most_recent_articles_only():
    pipeline = build_from_crawler(DedupPipeline, get_crawler(NewsSpider, {"NEWS_DEDUP_MEMORY": 2}))
    for name in "abc":
        assert pipeline.process_item(article(f"https://n.example/{name}", f"https://n.example/{name}", name)).duplicate_of is None
    assert list(pipeline.canonical_urls) == ["https://n.example/b", "https://n.example/c"]
    assert pipeline.process_item(article("https://n.example/c", "https://n.example/c", "c")).duplicate_of == "url"
    # Forgotten here, "a" is left to the database's unique keys.
    assert pipeline.process_item(article("https://n.example/a", "https://n.example/a", "a")).duplicate_of is None


def page(head="", body="<p>text</p>"):
    return f"<html><head>{head}</head><body>{body}</body></html>"


def test_spider_arguments():
    spider = NewsSpider(urls="https://www.n.example/, http://10.0.0.7:8080/", allowed_domains="cdn.n.example")
    assert spider.start_urls == ["https://www.n.example/", "http://10.0.0.7:8080/"]
    assert spider.allowed_domains == ["10.0.0.7", "cdn.n.example", "n.example"]
    with pytest.raises(ValueError, match="no start URLs"):
        NewsSpider()
    with pytest.raises(ValueError, match="not an http"):
        NewsSpider(urls="news.example")


def test_links_are_cleaned_judged_and_counted():
    rules = LinkRules(("127.0.0.1",), session_params=("sid",),
                      crawl=SiteRules(deny=(r"/private/",), languages=frozenset({"en"})),
                      file_extensions=frozenset({".jpg", ".pdf"}))
    analyser = PageAnalyser(ArticleExtractor(), rules)
    body = """
      <a href="/world/story-one-about-things?sid=1">one</a>
      <a href="/world/story-one-about-things?sid=2#top">one again</a>
      <a href="story-two-about-things">relative</a>
      <a href="http://elsewhere.example/x">away</a>
      <a href="/photo.jpg">file</a>
      <a href="mailto:desk@n.example">mail</a>
      <a href="/a/b/a/b/a/b/c">loop</a>
      <a href="/private/x">denied</a>
      <a href="/de/welt" hreflang="de">German</a>
      <a rel="next" href="/world/page/2/">next</a>"""
    for _ in range(2):  # the second page is judged from the cache, with the same outcome
        analysis = analyser.analyse(page('<link rel="alternate" type="application/rss+xml" href="/rss.xml">', body),
                                    "http://127.0.0.1:8080/world/")
        assert [(link.url, link.pagination) for link in analysis.links] == [
            ("http://127.0.0.1:8080/world/story-one-about-things", False),
            ("http://127.0.0.1:8080/world/story-two-about-things", False),
            ("http://127.0.0.1:8080/world/page/2/", True),
        ]
        assert analysis.feeds == ["http://127.0.0.1:8080/rss.xml"]
        assert analysis.counts == {"news/trap/repeated_path": 1, "news/link/filtered": 1,
                                   "news/language/skipped": 1, "news/page/listing/link_text": 1}
        assert analysis.article is None


def test_each_site_of_a_shared_crawl_follows_its_own_sources_rules():
    """A worker crawls several sources at once: one source's patterns and languages must not
    filter another's links, and a subdomain with a source of its own is judged by its own."""
    rules = LinkRules(
        ("north.example", "south.example", "sport.south.example"),
        crawl=SiteRules(deny=(r"/never/",)),
        sites={
            "north.example": SiteRules("north", allow=(r"/world/",), languages=frozenset({"en"})),
            "south.example": SiteRules("south", deny=(r"/world/",)),
            "sport.south.example": SiteRules("sport"),
        },
    )
    assert rules.of("https://www.north.example/x").source == "north"
    assert rules.of("https://sport.south.example/x").source == "sport"
    assert rules.of("https://news.south.example/x").source == "south"
    assert rules.of("https://other.example/x").deny == (r"/never/",)
    body = """
      <a href="https://north.example/world/story-one">north world</a>
      <a href="https://north.example/local/story-two">north local</a>
      <a href="https://north.example/world/welt" hreflang="de">north German</a>
      <a href="https://south.example/world/story-three">south world</a>
      <a href="https://south.example/local/story-four">south local</a>
      <a href="https://south.example/local/welt" hreflang="de">south German</a>
      <a href="https://sport.south.example/world/story-five">sport world</a>"""
    analysis = PageAnalyser(ArticleExtractor(), rules).analyse(page(body=body), "https://north.example/")
    assert [link.url for link in analysis.links] == [
        "https://north.example/world/story-one",
        "https://south.example/local/story-four",
        "https://south.example/local/welt",
        "https://sport.south.example/world/story-five",
    ]
    assert analysis.counts["news/link/filtered"] == 2 and analysis.counts["news/language/skipped"] == 1


def test_a_crawl_confined_to_no_site_follows_nothing():
    """Archives are read, not crawled: their pages' links and feeds are not even collected."""
    body = '<a href="/world/story-one-about-things">one</a><a rel="next" href="/world/page/2/">next</a>'
    head = '<link rel="alternate" type="application/rss+xml" href="/rss.xml">'
    url = "http://127.0.0.1:8080/world/"
    confined = PageAnalyser(ArticleExtractor(), LinkRules(("127.0.0.1",))).analyse(page(head, body), url)
    assert len(confined.links) == 2 and confined.feeds == ["http://127.0.0.1:8080/rss.xml"]
    nowhere = PageAnalyser(ArticleExtractor(), LinkRules(())).analyse(page(head, body), url)
    assert nowhere.links == [] and nowhere.feeds == []
    assert nowhere.counts == {"news/page/listing/no_text": 1}


def test_pagination_chains_stop_at_the_limit():
    crawler = get_crawler(NewsSpider, {"NEWS_MAX_PAGINATION": 2, "NEWS_EXTRACT_TIMEOUT": 60})
    spider = NewsSpider.from_crawler(crawler, urls="http://127.0.0.1:8080/")
    analysis = PageAnalyser(ArticleExtractor(), LinkRules(("127.0.0.1",))).analyse(
        page(body='<a href="/world/story-one-about-things">one</a><a rel="next" href="/world/page/3/">next</a>'),
        "http://127.0.0.1:8080/world/page/2/",
    )
    response = HtmlResponse("http://127.0.0.1:8080/world/page/2/", body=b"", request=Request("http://127.0.0.1:8080/world/page/2/"))
    response.meta["pagination_depth"] = 1
    requests = list(spider.follow(response, analysis))
    assert [(r.url, r.meta) for r in requests] == [
        ("http://127.0.0.1:8080/world/story-one-about-things", {}),
        ("http://127.0.0.1:8080/world/page/3/", {"depth_reset": True, "pagination_depth": 2}),
    ]
    response.meta["pagination_depth"] = 2
    assert list(spider.follow(response, analysis)) == []  # requested already, from as near
    assert crawler.stats.get_value("news/trap/pagination") == 1
    # From a page nearer the start, a link is requested again (DEPTH_LIMIT may have dropped it).
    response.meta["depth"] = 5
    spider.followed["http://127.0.0.1:8080/world/story-one-about-things"] = 7
    assert [r.url for r in spider.follow(response, analysis)] == ["http://127.0.0.1:8080/world/story-one-about-things"]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ([], "newscrawl/0.1 (+https://github.com/newscrawl/newscrawl)"),
        (["NEWS_CONTACT_URL=https://ops.example/crawler"], "newscrawl/0.1 (+https://ops.example/crawler)"),
        (["USER_AGENT=MyBot/2.0", "NEWS_CONTACT_URL=https://ops.example/"], "MyBot/2.0"),
    ],
)
def test_user_agent_names_the_contact(overrides, expected):
    # As the command line runs a crawl: the runner's settings are merged into the built crawler.
    runner = CrawlerRunner(project_settings(overrides))
    crawler = runner.create_crawler(runner.create_crawler(NewsSpider))
    assert crawler.settings["USER_AGENT"] == expected


def test_project_settings_overrides():
    settings = project_settings(["DOWNLOAD_DELAY=3", "NEWS_TRACKING_PARAMS=ref,utm_*"])
    assert settings.getfloat("DOWNLOAD_DELAY") == 3.0
    assert settings.getlist("NEWS_TRACKING_PARAMS") == ["ref", "utm_*"]
    assert settings.getbool("ROBOTSTXT_OBEY") is True
    assert settings.getbool("REMOTE_CONTROL_ENABLED") is False


def test_database_url_resolution_order(monkeypatch):
    monkeypatch.delenv("NEWSCRAWL_DATABASE_URL", raising=False)
    assert resolve_url(project_settings()) == "sqlite:///news.db"
    monkeypatch.setenv("NEWSCRAWL_DATABASE_URL", "sqlite:///from-env.db")
    assert resolve_url(project_settings()) == "sqlite:///from-env.db"
    assert resolve_url(project_settings(["DATABASE_URL=sqlite:///from-s.db"])) == "sqlite:///from-s.db"
    assert resolve_url(project_settings(["DATABASE_URL=sqlite:///from-s.db"]), "sqlite:///from-db.db") == "sqlite:///from-db.db"


def test_links_resolve_against_the_declared_base():
    analyser = PageAnalyser(ArticleExtractor(), LinkRules(("127.0.0.1",)))
    analysis = analyser.analyse(
        page('<base href="/news/"><link rel="alternate" type="application/atom+xml" href="atom.xml">',
             '<a href="story-one-about-things">one</a>'),
        "http://127.0.0.1:8080/world/",
    )
    assert [link.url for link in analysis.links] == ["http://127.0.0.1:8080/news/story-one-about-things"]
    assert analysis.feeds == ["http://127.0.0.1:8080/news/atom.xml"]


def test_paywalled_articles_are_told_by_structured_data_or_a_cut_body():
    from crawler.extensions.site_counts import paywalled

    def article(body: str, free: bool | None = None) -> ArticleItem:
        return ArticleItem(url="https://news.example/a", canonical_url="https://news.example/a", site="news.example",
                           body=body, accessible_for_free=free)

    whole = "The council voted on Tuesday.\n\nWork starts in spring."
    assert not paywalled(article(whole))
    assert not paywalled(article(whole, free=True))
    assert paywalled(article(whole, free=False))
    assert paywalled(article("The council voted on Tuesday.\n\nWork on the quay will begin once…"))
    assert paywalled(article('The mayor said the plan would "change everything..."'))


def test_meta_refresh_is_looked_for_only_in_pages_that_can_carry_one():
    middleware = build_from_crawler(MetaRefreshMiddleware, get_crawler(NewsSpider))
    request = Request("https://n.example/old")
    tag = '<meta http-equiv="refresh" content="0; url=/new">'
    plain = HtmlResponse(request.url, body=b"<html><head><title>Refresh your browser</title><meta name=\"robots\" "
                         b"content=\"all\"><script>refreshAds(30)</script></head></html>",
                         request=request)
    assert middleware.process_response(request, plain) is plain
    for body in (f"<html><head>{tag}</head></html>".encode(), f"<html><head>{tag}</head></html>".encode("utf-16")):
        moved = middleware.process_response(request, HtmlResponse(request.url, body=body, request=request))
        assert isinstance(moved, Request) and moved.url == "https://n.example/new"


def test_a_sites_own_download_settings_give_it_a_download_slot():
    """In a shared crawl, a source's DOWNLOAD_DELAY and CONCURRENT_REQUESTS_PER_DOMAIN hold for
    its site and subdomains through a download slot of their own; other sites keep the worker's."""
    crawler = Crawler(NewsSpider, project_settings())  # settings not applied yet, as in a crawl
    spider = NewsSpider.from_crawler(crawler, allowed_domains=["south.example", "north.example"], sites={
        "south.example": {"source": "south", "delay": 0.5, "concurrency": 2},
        "north.example": {"source": "north"},
    })
    assert crawler.settings.getdict("DOWNLOAD_SLOTS") == {"south.example": {"delay": 0.5, "concurrency": 2}}
    crawler.spider = spider
    middleware = build_from_crawler(SiteSlotsMiddleware, crawler)
    south, north = Request("https://www.south.example/news/1"), Request("https://north.example/news/1")
    middleware.process_request(south)
    middleware.process_request(north)
    assert south.meta == {"download_slot": "south.example", "autothrottle_dont_adjust_delay": True}
    assert north.meta == {}
    bare = get_crawler(NewsSpider, {"NEWS_EXTRACT_TIMEOUT": 60})
    bare.spider = NewsSpider.from_crawler(bare, urls="https://north.example/")
    with pytest.raises(NotConfigured):  # no site with settings of its own: out of the way
        build_from_crawler(SiteSlotsMiddleware, bare)
