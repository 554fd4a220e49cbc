"""Property-based tests (hypothesis) for the pure parts that read what the web sends us: URL
canonical forms, page analysis, feeds and sitemaps.

Hostile and broken input is the normal case for a crawler, and example tests only cover the breakage
someone thought of. Two hypothesis profiles: "ci" (the default) is derandomized, so every run tries
the same inputs and stays quick; "fuzz" searches far wider with a fresh seed each run. Pick one with
``NEWSCRAWL_HYPOTHESIS_PROFILE=fuzz`` (it keeps failing examples in ``.hypothesis/``, which
hypothesis git-ignores itself). Inputs that once broke something are pinned as explicit
``@example``s.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fnmatch
import gzip
import html
import os
import re
import string
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple, TypeVar
from urllib.parse import parse_qsl, urlsplit

import pytest
import scrapy
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from crawler import settings as crawl_settings
from crawler.discovery.feeds import FeedEntry, NotAFeed, parse_feed
from crawler.discovery.sitemaps import NotASitemap, SitemapEntry, parse_sitemap
from crawler.extraction import ArticleExtractor
from crawler.extraction.analysis import Link, LinkRules, PageAnalyser, PageAnalysis
from crawler.extraction.workers import PagePool
from crawler.items import ArticleItem
from crawler.textlength import word_count
from crawler.urls import canonicalize, clean_url, on_site

settings.register_profile(
    "ci", max_examples=150, derandomize=True, deadline=None, print_blob=True
)
settings.register_profile("fuzz", max_examples=5000, derandomize=False, deadline=None)
settings.load_profile(os.environ.get("NEWSCRAWL_HYPOTHESIS_PROFILE", "ci"))

DROP = [*crawl_settings.NEWS_TRACKING_PARAMS, *crawl_settings.NEWS_SESSION_PARAMS]
T = TypeVar("T", str, bytes)


# --- URLs --------------------------------------------------------------------------------------

class UrlParts(NamedTuple):
    scheme: str
    host: str
    port: int | None
    path: str
    query: tuple[tuple[str, str], ...]
    fragment: str | None

    def render(
        self,
        *,
        scheme: str | None = None,
        host: str | None = None,
        query: Sequence[tuple[str, str]] | None = None,
        fragment: Any = ...,
    ) -> str:
        """The URL, with any of its parts replaced (``fragment=None``: without one)."""
        url = f"{scheme or self.scheme}://{host or self.host}"
        if self.port is not None:
            url += f":{self.port}"
        url += self.path
        pairs = self.query if query is None else query
        if pairs:
            url += "?" + "&".join(f"{k}={v}" for k, v in pairs)
        fragment = self.fragment if fragment is ... else fragment
        if fragment is not None:
            url += "#" + fragment
        return url


_LABEL = st.one_of(
    st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True),
    st.sampled_from(["News", "WWW2", "bücher", "новости"]),
)
hosts = st.one_of(
    st.builds(
        lambda www, labels, tld: www + ".".join([*labels, tld]),
        st.sampled_from(["", "www."]),
        st.lists(_LABEL, min_size=1, max_size=3),
        st.sampled_from(["example", "com", "co.uk", "org"]),
    ),
    st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t))),
    st.sampled_from(["localhost", "[::1]", "[2001:db8::7]"]),
)
# Pieces of paths and query values, with the escapes and words the canonical form treats specially.
_SEGMENT = st.lists(
    st.one_of(
        st.text(string.ascii_letters + string.digits + "-._~!$&'()*+,=:@", min_size=1, max_size=8),
        st.sampled_from(
            ["amp", "print", "AMP", "%20", "%2F", "%c3%a9", "é", "..", ".", "index.html", "2026",
             ";jsessionid=A1B2"]
        ),
    ),
    max_size=3,
).map("".join)
paths = st.builds(
    lambda segments, slash: "/" + "/".join(segments) + ("/" if slash and segments else ""),
    st.lists(_SEGMENT, max_size=5),
    st.booleans(),
)
_KEY = st.one_of(
    st.text(string.ascii_letters + string.digits + "_-.", min_size=1, max_size=8),
    st.sampled_from(["id", "page", "q", "amp", "print", "output", "view"]),
)
_VALUE_PIECES = [
    st.text(string.ascii_letters + string.digits + "-._~:/@!$'()*,;", max_size=8),
    st.sampled_from(["%20", "+", "%2B", "%26", "%3D", "%FF", "é", "1", "amp", "true", "print"]),
]


def _url_parts(*value_pieces: st.SearchStrategy[str]) -> st.SearchStrategy[UrlParts]:
    return st.builds(
        UrlParts,
        scheme=st.sampled_from(["http", "https"]),
        host=hosts,
        port=st.none() | st.integers(1, 65535),
        path=paths,
        query=st.lists(
            st.tuples(_KEY, st.lists(st.one_of(*value_pieces), max_size=3).map("".join)), max_size=5
        ).map(tuple),
        fragment=st.none() | st.text(max_size=10),
    )


# Well-formed URLs, and the same with a session id inside a query *value* (?next=/login;jsessionid=X),
# which once swallowed the parameters after it.
url_parts = _url_parts(*_VALUE_PIECES)
url_parts_with_query_sessions = _url_parts(*_VALUE_PIECES, st.just(";jsessionid=ABC"))
urls = url_parts_with_query_sessions.map(lambda parts: parts.render())
# URL-ish character soup: what a broken href or a truncated link looks like.
url_soup = st.builds(
    str.__add__,
    st.sampled_from(["", "http://", "https://", "HTTPS://", "//", "https://news.example"]),
    st.text(string.ascii_lowercase[:6] + string.digits + ":/?#[]@!$&'()*+,;=%.-_~ é", max_size=30),
)
any_strings = st.one_of(st.text(), url_soup, urls)


def _tracking_name(pattern: str) -> st.SearchStrategy[str]:
    """A parameter name the glob ``pattern`` matches, in any letter case."""
    names = (
        st.text(string.ascii_lowercase + "_", max_size=6).map(lambda s: pattern.replace("*", s))
        if "*" in pattern
        else st.just(pattern)
    )
    return names.flatmap(lambda n: st.sampled_from([n, n.upper(), n.capitalize()]))


tracking_pairs = st.lists(
    st.tuples(
        st.sampled_from(crawl_settings.NEWS_TRACKING_PARAMS).flatmap(_tracking_name),
        st.text(string.ascii_letters + string.digits + "-_.", max_size=8),
    ),
    min_size=1,
    max_size=3,
)


def with_shuffled_query(parts: st.SearchStrategy[UrlParts]) -> st.SearchStrategy[tuple[UrlParts, Any]]:
    return parts.flatmap(lambda p: st.tuples(st.just(p), st.permutations(p.query)))


def _key(url: str) -> str:
    return canonicalize(url, DROP)


def _dropped(name: str) -> bool:
    """Whether the crawl drops a query parameter of this name (tracking or session id)."""
    return any(fnmatch.fnmatchcase(name.lower(), pattern.lower()) for pattern in DROP)


def _query_names(url: str) -> list[str]:
    return [k for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)]


# A session id inside a query value: the input that once lost "id=7".
SESSION_IN_QUERY = UrlParts(
    "https", "news.example", None, "/story", (("next", "/login;jsessionid=ABC"), ("id", "7")), None
)


@pytest.mark.parametrize("function", [canonicalize, clean_url])
@given(url=any_strings)
def test_url_functions_return_a_string_or_a_value_error(function, url):
    """Whatever they are given, the storage key and the URL to request are a string without
    fragment, or the URL is rejected as malformed (ValueError: an unbalanced "[", a port out of
    range); no other exception escapes into the crawl. The analysis tests below check that such
    a URL on a page costs only itself."""
    try:
        result = function(url, DROP)
    except ValueError:
        return
    assert isinstance(result, str)
    assert "#" not in result


@given(url_parts)
def test_canonical_form_is_normalised(parts):
    """The storage key: lower-case scheme and host, no fragment, no tracking or session parameters,
    and query parameters in a fixed (sorted) order."""
    key = _key(parts.render())
    split = urlsplit(key)
    assert split.scheme in {"http", "https"} and key.startswith(split.scheme + "://"), key
    assert split.netloc == split.netloc.lower() and not split.fragment and "#" not in key
    names = _query_names(key)
    assert names == sorted(names)
    assert not any(_dropped(name) for name in names)


@given(url_parts)
def test_canonicalize_is_idempotent(parts):
    """A stored canonical URL (say one a page names with rel=canonical) must map to itself,
    or the same article gets two keys."""
    once = _key(parts.render())
    assert _key(once) == once


@given(st.builds(
    lambda parts, suffix: parts._replace(path=parts.path.rstrip("/") + suffix).render(),
    url_parts, st.sampled_from(["/amp/amp", "/print/amp/", "/AMP/print", "/amp/amp/amp", "/amp/./amp"]),
))
@example("https://news.example/story/amp/amp")
def test_canonicalize_is_idempotent_on_stacked_variant_suffixes(url):
    """An AMP copy of a print copy is still the article: the key must be a fixed point."""
    once = _key(url)
    assert _key(once) == once


@given(with_shuffled_query(url_parts))
def test_reordered_query_gives_the_same_key(parts_and_shuffled):
    """Query parameter order carries no meaning: ?a=1&b=2 and ?b=2&a=1 are the same page."""
    parts, shuffled = parts_and_shuffled
    assert _key(parts.render(query=shuffled)) == _key(parts.render())


@given(with_shuffled_query(url_parts_with_query_sessions))
@example((SESSION_IN_QUERY, tuple(reversed(SESSION_IN_QUERY.query))))
def test_reordered_query_with_a_session_id_in_a_value_gives_the_same_key(parts_and_shuffled):
    """Order still carries no meaning when a value holds a session id (?next=/login;jsessionid=X)."""
    parts, shuffled = parts_and_shuffled
    assert _key(parts.render(query=shuffled)) == _key(parts.render())


@given(url_parts_with_query_sessions, tracking_pairs, st.data())
def test_tracking_parameters_do_not_change_the_key(parts, extra, data):
    """utm_*, fbclid and friends mark where a reader came from, not which page they read."""
    query = list(parts.query)
    for pair in extra:
        query.insert(data.draw(st.integers(0, len(query))), pair)
    assert _key(parts.render(query=query)) == _key(parts.render())


@given(url_parts_with_query_sessions, st.text(max_size=20))
def test_fragment_does_not_change_the_key(parts, fragment):
    """The fragment never reaches the server: #top and #comments are the same page."""
    assert _key(parts.render(fragment=fragment)) == _key(parts.render(fragment=None))


@given(url_parts_with_query_sessions, st.data())
def test_scheme_and_host_case_do_not_change_the_key(parts, data):
    """Scheme and host names are case-insensitive (ASCII letters; IDNA handles the rest)."""
    def recase(text: str) -> str:
        flips = data.draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
        return "".join(c.swapcase() if flip and c.isascii() else c for c, flip in zip(text, flips, strict=True))

    assert _key(parts.render(scheme=recase(parts.scheme), host=recase(parts.host))) == _key(parts.render())


@given(url_parts)
def test_clean_url_leaves_a_clean_url_intact(parts):
    """clean_url only removes the fragment, tracking and session parameters: a URL with none of
    them is requested exactly as found."""
    assume(not re.search(r";(?:jsessionid|phpsessid|sid)=", parts.path, re.IGNORECASE))
    assume(not any(_dropped(k) for k, _ in parts.query))
    url = parts.render(fragment=None)
    assert clean_url(url, DROP) == url
    assert clean_url(url + "#section-2", DROP) == url


@given(url_parts)
def test_clean_url_keeps_every_meaningful_query_parameter(parts):
    """Only tracking and session parameters go: the ones that choose the page stay, in order."""
    expected = [k for k, _ in parts.query if not _dropped(k)]
    assert _query_names(clean_url(parts.render(), DROP)) == expected


@given(url_parts_with_query_sessions)
@example(SESSION_IN_QUERY)
def test_clean_url_keeps_every_meaningful_query_parameter_around_a_session_id(parts):
    """Same with a session id inside a query value: the parameters after it still choose the page."""
    expected = [k for k, _ in parts.query if not _dropped(k)]
    assert _query_names(clean_url(parts.render(), DROP)) == expected


# --- Page analysis -------------------------------------------------------------------------------

SITE = "news.example"
ARTICLE_URL = f"https://{SITE}/2026/04/12/allotment-society-wins-fight-over-water-supply"
NOW = dt.datetime(2026, 4, 12, 9, 0, tzinfo=dt.UTC)
STORY = [
    ("Members of the Riverside Allotment Society will keep their standpipes after the council "
     "withdrew a plan to meter water on the plots, following a petition signed by four hundred people."),
    ("The society's treasurer said most plot holders grow vegetables for their own families and "
     "that metered water would have doubled the annual rent for the smallest plots on the site."),
    ("Council officers will instead fit new taps that shut off by themselves, which they expect to "
     "cut the leaks that prompted the review, and will report back to the committee in September."),
]
TITLE = "Allotment society wins fight over water supply"


def article_page() -> str:
    """A small article page with site chrome: links to follow, a feed, a next page."""
    paragraphs = "".join(f"<p>{text}</p>" for text in STORY)
    return (
        f"<html><head><title>{TITLE}</title>"
        '<meta property="og:type" content="article">'
        '<link rel="alternate" type="application/rss+xml" href="/feed.xml">'
        '<link rel="next" href="/2026/04/12/allotment-society-wins-fight-over-water-supply?page=2">'
        "</head><body>"
        '<nav><a href="/">Home</a> <a href="/local/">Local</a> '
        '<a href="https://elsewhere.example/x">Elsewhere</a> <a href="mailto:desk@news.example">Mail</a></nav>'
        f"<article><h1>{TITLE}</h1>{paragraphs}</article>"
        '<footer><a href="/2026/04/11/bus-timetable-changes-for-the-summer">Bus timetable changes</a></footer>'
        "</body></html>"
    )


RULES = LinkRules((SITE,), session_params=tuple(crawl_settings.NEWS_SESSION_PARAMS))
EXTRACTOR_OPTIONS: dict[str, Any] = {"favor_precision": True, "drop_params": DROP}
MIN_BODY_WORDS = ArticleExtractor(**EXTRACTOR_OPTIONS).min_body_words
ANALYSER = PageAnalyser(ArticleExtractor(**EXTRACTOR_OPTIONS), RULES)


@st.composite
def mutated(draw: st.DrawFn, seeds: Sequence[T], tokens: st.SearchStrategy[T]) -> T:
    """One of ``seeds`` after a few edits: a slice deleted or duplicated, a token inserted, the
    end cut off. Works on str and bytes alike."""
    doc = draw(st.sampled_from(seeds))
    for op in draw(st.lists(st.sampled_from(["delete", "duplicate", "insert", "truncate"]), min_size=1, max_size=6)):
        i = draw(st.integers(0, len(doc)))
        if op == "insert":
            doc = doc[:i] + draw(tokens) + doc[i:]
        elif op == "truncate":
            doc = doc[:i]
        else:
            j = draw(st.integers(i, min(len(doc), i + 400)))
            doc = doc[:i] + doc[j:] if op == "delete" else doc[:j] + doc[i:j] + doc[j:]
    return doc


html_tokens = st.one_of(
    st.sampled_from([
        "<", ">", "&", "&amp;", "&#0;", "&#x110000;", "\x00", "\ufffd", "\u202e", "<!--", "-->",
        "<![CDATA[", "]]>", "<p>", "</p>", "<div>", "</div>", "</article>", "<article>", "<script>",
        "</script>", "<style>", "<table><tr><td>", "<br/>", "<base href='/other/'>",
        '<a href="/2026/04/10/another-story-about-the-river-path">', "</a>", '<a href="?page=3" rel="next">',
        '<meta property="og:type" content="website">', '<script type="application/ld+json">{"@type": "NewsArticle",',
        '<link rel="canonical" href="/canonical/story">', '<meta charset="utf-16">', "<html>", "</body>",
    ]),
    st.text(max_size=30),
)
article_pages = mutated([article_page()], html_tokens)


def check_analysis(result: PageAnalysis) -> None:
    """What any analysis must look like, whatever the page."""
    assert isinstance(result, PageAnalysis)
    judged = [key for key in result.counts if key.startswith(("news/page/article/", "news/page/listing/"))]
    unjudged = {"news/extract/dropped/unparsable", "news/extract/dropped/too_deep"} & set(result.counts)
    assert len(judged) + len(unjudged) == 1, result.counts
    assert all(n > 0 for n in result.counts.values())
    for link in result.links:
        assert isinstance(link, Link)
        assert link.url.startswith(("http://", "https://")) and on_site(link.url, RULES.hosts), link.url
        assert "#" not in link.url
    assert all(isinstance(feed, str) for feed in result.feeds)
    if result.article is not None:
        assert isinstance(result.article, ArticleItem)
        assert result.kind is not None and result.kind.kind == "article"
        assert result.article.url == ARTICLE_URL
        assert word_count(result.article.body) >= MIN_BODY_WORDS
        assert result.article.body_signature is not None
    elif result.kind is not None and not result.kind.is_listing:
        # An article without a body is counted as dropped, with its reason.
        assert any(key.startswith("news/extract/dropped/") for key in result.counts), result.counts


def analyse(page: str | bytes) -> PageAnalysis:
    """The page analysed at ARTICLE_URL."""
    return ANALYSER.analyse(page, ARTICLE_URL, fetched_at=NOW)


def test_the_unmutated_page_is_an_article():
    """The seed of the mutations is a real article, so mutations start from the extraction path."""
    result = ANALYSER.analyse(article_page(), ARTICLE_URL, fetched_at=NOW)
    check_analysis(result)
    assert result.article is not None and result.article.title == TITLE
    assert all(text in result.article.body for text in STORY)
    assert f"https://{SITE}/local/" in [link.url for link in result.links]
    assert result.feeds == [f"https://{SITE}/feed.xml"]


@given(st.one_of(
    st.text(max_size=3000),
    st.binary(max_size=3000).map(lambda b: b.decode("utf-8", errors="replace")),
))
def test_analysis_of_arbitrary_text(page):
    """Any text at an article-shaped URL: an analysis, never an exception."""
    check_analysis(analyse(page))


@given(st.binary(max_size=3000))
def test_analysis_of_arbitrary_bytes(page):
    """Raw bytes too: the body as fetched, whatever encoding it claims or has."""
    check_analysis(analyse(page))


@given(article_pages)
def test_analysis_of_a_mutated_article(page):
    """An article page cut, doubled and sprinkled with tags: still an analysis."""
    check_analysis(analyse(page))
    check_analysis(analyse(page.encode()))


hrefs = st.builds(
    str.__add__,
    st.sampled_from(["", "/", "//", "http://", "https://", f"https://{SITE}", f"https://{SITE}:", "?", "#",
                     "./", "../", "mailto:", "javascript:"]),
    st.text(string.ascii_letters + string.digits + "[]:%@?#/.-_=&;~ ", max_size=24),
)


def page_with_links(links: Sequence[str]) -> str:
    anchors = "".join(f'<a href="{html.escape(href)}">link</a>' for href in links)
    return article_page().replace("<footer>", f"<footer>{anchors}")


@given(st.lists(hrefs, min_size=1, max_size=5))
@example(["http://[news.example/"])
def test_any_href_never_breaks_the_analysis(links):
    """One broken link on a page must cost that link, not the page's article and other links."""
    result = ANALYSER.analyse(page_with_links(links), ARTICLE_URL, fetched_at=NOW)
    check_analysis(result)
    assert result.article is not None


@given(st.lists(hrefs, min_size=1, max_size=5))
@example(["https://news.example:99999/local/"])
def test_every_followed_link_can_be_requested(links):
    """The links the analysis returns become scrapy Requests and storage-key lookups: both must
    accept them."""
    for link in ANALYSER.analyse(page_with_links(links), ARTICLE_URL, fetched_at=NOW).links:
        assert scrapy.Request(link.url).url
        assert isinstance(canonicalize(link.url, DROP), str)


@given(st.one_of(hrefs, url_soup))
@example("https://news.example:99999/x")
def test_a_declared_canonical_url_never_breaks_the_extraction(canonical):
    """A page's own claim about its URL is input like any other: a bad one is ignored, the
    article kept."""
    page = article_page().replace(
        "</head>", f'<link rel="canonical" href="{html.escape(canonical)}"></head>'
    )
    result = ANALYSER.analyse(page, ARTICLE_URL, fetched_at=NOW)
    check_analysis(result)
    assert result.article is not None


# --- The page pool: answers within its time limit -------------------------------------------------

POOL_TIMEOUT = 1.0
# A worker killed for running late is replaced by a freshly spawned one before the next page runs.
POOL_MARGIN = 10.0
SLOW_PAGE = "<html><body>" + "".join(
    f"<div><div><p>Box {n} of a page made to take long, with a sentence of some length in it.</p></div></div>"
    for n in range(60_000)
) + "</body></html>"


@pytest.fixture(scope="module")
def page_pool() -> Iterator[tuple[PagePool, asyncio.AbstractEventLoop]]:
    """One warmed-up single-worker pool for the module: spawning workers is the expensive part."""
    pool = PagePool(EXTRACTOR_OPTIONS, RULES, workers=1, timeout=POOL_TIMEOUT)
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(pool.analyse("<html></html>", ARTICLE_URL, fetched_at=NOW, hints={}))
        yield pool, loop
    finally:
        pool.close()
        loop.close()


@settings(max_examples=4)  # each example may cost a worker respawn: kept cheap in every profile
@given(page=st.one_of(article_pages, st.text(max_size=2000)))
@example(page=SLOW_PAGE)
def test_the_pool_answers_every_page_within_its_time_limit(page_pool, page):
    """Whatever the page, the pool answers (an article, no article, or a counted timeout) within
    the time limit plus the cost of replacing a killed worker: no page stalls the crawl."""
    pool, loop = page_pool
    began = time.monotonic()
    result = loop.run_until_complete(pool.analyse(page, ARTICLE_URL, fetched_at=NOW, hints={}))
    assert time.monotonic() - began < POOL_TIMEOUT + POOL_MARGIN
    if result.counts == {"news/extract/dropped/timeout": 1}:
        assert result.article is None and not result.links
    else:
        check_analysis(result)


# --- Feeds and sitemaps --------------------------------------------------------------------------

STORY_1 = f"https://{SITE}/2026/04/12/allotment-society-wins-fight-over-water-supply"
STORY_2 = f"https://{SITE}/2026/04/11/bus-timetable-changes-for-the-summer"
RSS = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>News Example</title><link>https://{SITE}/</link><description>Local news</description>
<item><title>Allotment society wins fight over water supply</title><link>{STORY_1}</link>
<pubDate>Sun, 12 Apr 2026 08:00:00 +0000</pubDate><dc:creator>Mira Castell</dc:creator>
<description><![CDATA[<p>The council <b>withdrew</b> its plan.</p>]]></description></item>
<item><title>Bus timetable changes for the summer &amp; autumn</title><link>{STORY_2}?utm_source=rss</link>
<pubDate>Sat, 11 Apr 2026 17:30:00 +0000</pubDate></item>
</channel></rss>""".encode()
ATOM = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>News Example</title><id>urn:news-example</id>
<updated>2026-04-12T08:00:00Z</updated>
<entry><title>Allotment society wins fight over water supply</title><link href="{STORY_1}"/>
<id>urn:story-1</id><updated>2026-04-12T08:00:00Z</updated><author><name>Mira Castell</name></author></entry>
<entry><title type="html">Bus timetable changes &lt;em&gt;for the summer&lt;/em&gt;</title>
<link rel="alternate" href="{STORY_2}"/><id>urn:story-2</id><published>2026-04-11T17:30:00+01:00</published></entry>
</feed>""".encode()
URLSET = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">
<url><loc>{STORY_1}</loc><lastmod>2026-04-12T08:00:00Z</lastmod>
<news:news><news:publication><news:name>News Example</news:name><news:language>en</news:language></news:publication>
<news:publication_date>2026-04-12T08:00:00Z</news:publication_date>
<news:title>Allotment society wins fight over water supply</news:title></news:news></url>
<url><loc>{STORY_2}</loc><lastmod>2026-04-11</lastmod>
<xhtml:link rel="alternate" hreflang="cy" href="{STORY_2}"/></url>
</urlset>""".encode()
SITEMAP_INDEX = f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://{SITE}/sitemap-news.xml</loc><lastmod>2026-04-12</lastmod></sitemap>
<sitemap><loc>https://{SITE}/sitemap-2026-04.xml.gz</loc></sitemap>
</sitemapindex>""".encode()

_LAUGHS = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
xml_tokens = st.one_of(
    st.sampled_from([
        b"<!DOCTYPE rss>", f'<!DOCTYPE urlset [<!ENTITY l0 "lol">{_LAUGHS}]>'.encode(), b"&l9;",
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/hostname">]>', b"&e;", b"&", b"&amp;", b"&#0;",
        b"&#x110000;", b"<![CDATA[", b"]]>", b"\x00", b"\xff", b"\xc3\x28", b"\xed\xa0\x80",
        b"\xef\xbb\xbf", b"\xff\xfe", b"<", b"</", b">", b"<item>", b"</item>", b"<entry>",
        b"</url>", b"<url><loc>", b"<loc></loc>", b"<?xml version='1.0' encoding='utf-16'?>",
        b"<?xml version='1.0' encoding='bogus'?>", b"<!--", b"-->", b"\x1f\x8b",
    ]),
    st.binary(max_size=16),
)
QUICK = 5.0  # seconds: far above a real parse of these documents, far below an entity blow-up


def timed(parse: Callable[[bytes], Any], body: bytes) -> Any:
    """``parse(body)``, asserting it returned (or raised) quickly."""
    began = time.monotonic()
    try:
        return parse(body)
    finally:
        assert time.monotonic() - began < QUICK


def check_feed(body: bytes) -> None:
    try:
        entries = timed(parse_feed, body)
    except NotAFeed as exc:
        assert str(exc)  # the reason it was refused
        return
    assert isinstance(entries, list)
    for entry in entries:
        assert isinstance(entry, FeedEntry)
        assert isinstance(entry.link, str) and entry.link and entry.link == entry.link.strip()
        assert entry.title is None or (isinstance(entry.title, str) and entry.title)
        assert all(isinstance(author, str) and author for author in entry.authors)


def check_sitemap(body: bytes) -> None:
    try:
        kind, entries, problems = timed(parse_sitemap, body)
    except NotASitemap as exc:
        assert str(exc)
        return
    assert kind in {"index", "urlset"}
    for entry in entries:
        assert isinstance(entry, SitemapEntry)
        assert isinstance(entry.loc, str) and entry.loc and entry.loc == entry.loc.strip()
    assert all(isinstance(problem, str) for problem in problems)


def test_the_unmutated_documents_parse():
    """The seeds are valid: mutations start from documents that parse fully."""
    assert [e.link for e in parse_feed(RSS)] == [STORY_1, STORY_2 + "?utm_source=rss"]
    assert parse_feed(RSS)[0].authors == ["Mira Castell"]
    assert [e.link for e in parse_feed(ATOM)] == [STORY_1, STORY_2]
    kind, entries, problems = parse_sitemap(URLSET)
    assert (kind, [e.loc for e in entries], problems) == ("urlset", [STORY_1, STORY_2], [])
    assert (entries[0].language, entries[1].language) == ("en", "cy")
    assert parse_sitemap(gzip.compress(URLSET))[1] == entries
    kind, entries, _ = parse_sitemap(SITEMAP_INDEX)
    assert kind == "index" and len(entries) == 2


# Elements the seeds' entries use, and element names that collide with feedparser's result keys
# (which replace its values with dicts and lists).
FEED_ELEMENTS = frozenset(
    {"title", "link", "description", "author", "category", "comments", "enclosure", "guid", "pubdate",
     "source", "id", "updated", "published", "name", "summary", "content"}
)
FEEDPARSER_KEYS = ["links", "authors", "author_detail", "contributors", "tags", "enclosures",
                   "title_detail", "summary_detail", "publisher_detail"]


@given(mutated([RSS, ATOM], xml_tokens))
def test_mutated_feeds_parse_or_raise_not_a_feed(body):
    """A broken feed is entries or NotAFeed (which the spider logs), quickly; nothing else."""
    check_feed(body)


@given(st.binary(min_size=1, max_size=12))
@example(b"\xff")
def test_a_garbled_declared_encoding_is_not_a_feed_error(name):
    """Whatever bytes a feed names as its encoding: entries or NotAFeed, like any broken feed."""
    check_feed(RSS.replace(b'encoding="utf-8"', b'encoding="' + name.replace(b'"', b"") + b'"', 1))


@given(st.one_of(st.integers(0xD800, 0xDFFF), st.integers(0x110000, 10**24)), st.booleans())
@example(0x110000, True)
def test_an_impossible_character_reference_is_not_a_feed_error(code, hexadecimal):
    """A reference to a surrogate or to a code point past U+10FFFF is broken XML like any other:
    the feed yields its entries or NotAFeed."""
    ref = f"&#x{code:X};" if hexadecimal else f"&#{code};"
    check_feed(RSS.replace(b"<title>Allotment", f"<title>{ref}Allotment".encode(), 1))


@given(st.characters(categories=["Zs", "Zl", "Zp"], exclude_characters=" "))
@example("\u00a0")
def test_a_namespace_uri_with_a_unicode_space_is_not_a_feed_error(space):
    """A namespace URI is text the feed chose like any other: entries or NotAFeed."""
    namespace = f'xmlns:dc="http://purl.org/dc/{space}elements/1.1/"'.encode()
    check_feed(RSS.replace(b'xmlns:dc="http://purl.org/dc/elements/1.1/"', namespace, 1))


@given(
    st.one_of(
        st.sampled_from(FEEDPARSER_KEYS),
        st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True).filter(lambda n: n not in FEED_ELEMENTS),
    ),
    st.sampled_from([(RSS, b"<item>"), (ATOM, b"<entry>")]),
)
@example("links", (RSS, b"<item>"))
def test_an_unknown_element_in_an_entry_does_not_break_the_feed(name, seed):
    """An entry may carry elements the feed formats do not define: entries or NotAFeed."""
    doc, entry = seed
    check_feed(doc.replace(entry, entry + f"<{name}/>".encode(), 1))


@given(st.binary(max_size=2000))
def test_arbitrary_bytes_as_a_feed(body):
    """Not even XML: entries (feedparser is lenient) or NotAFeed."""
    check_feed(body)


@given(mutated([URLSET, SITEMAP_INDEX, gzip.compress(URLSET)], xml_tokens))
def test_mutated_sitemaps_parse_or_raise_not_a_sitemap(body):
    """A broken sitemap (or broken gzip) is a result or NotASitemap, quickly; nothing else."""
    check_sitemap(body)


@given(st.binary(max_size=2000))
def test_arbitrary_bytes_as_a_sitemap(body):
    """Not even XML: NotASitemap, or whatever sitemap lxml's recovery finds in it."""
    check_sitemap(body)
