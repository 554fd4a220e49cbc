import datetime as dt

import pytest

from crawler import settings
from crawler.urls import (
    address_key,
    canonicalize,
    clean_url,
    is_pagination,
    is_trap,
    on_site,
    path_template,
)

DROP = [*settings.NEWS_TRACKING_PARAMS, *settings.NEWS_SESSION_PARAMS]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://news.example/a/story?utm_source=x&utm_medium=y#top", "https://news.example/a/story"),
        ("https://news.example/a/story?id=7&fbclid=abc&gclid=1", "https://news.example/a/story?id=7"),
        ("https://news.example/a/story?b=2&a=1", "https://news.example/a/story?a=1&b=2"),
        ("HTTPS://News.Example/a/story/amp", "https://news.example/a/story/"),
        ("https://news.example/a/story/amp/", "https://news.example/a/story/"),
        ("https://news.example/a/story?amp=1", "https://news.example/a/story"),
        ("https://news.example/a/story?output=amp&page=2", "https://news.example/a/story?page=2"),
        ("https://news.example/a/story?print=1", "https://news.example/a/story"),
        ("https://news.example/print/a/story", "https://news.example/a/story"),
        ("https://news.example/AMP/print/a/story", "https://news.example/a/story"),
        ("https://news.example/amp/", "https://news.example/"),
        ("https://news.example/printers/a-story", "https://news.example/printers/a-story"),
        ("https://news.example/a/story;jsessionid=A1B2?sid=9", "https://news.example/a/story"),
        ("http://127.0.0.1:8080/world/x?mc_cid=1&MC_EID=2", "http://127.0.0.1:8080/world/x"),
    ],
)
def test_canonicalize(url, expected):
    assert canonicalize(url, DROP) == expected


def test_address_key_folds_nothing():
    assert address_key("HTTPS://News.Example/amp/a/story?utm_source=x&b=2&a=1", DROP) == (
        "https://news.example/amp/a/story?a=1&b=2"
    )
    assert address_key("https://news.example/a/story", DROP) == canonicalize("https://news.example/a/story", DROP)


def test_clean_url_keeps_meaningful_query_and_drops_sessions():
    url = "https://news.example/search?q=floods&sid=123&PHPSESSID=abc#results"
    assert clean_url(url, settings.NEWS_SESSION_PARAMS) == "https://news.example/search?q=floods"


def test_tracking_params_are_configurable():
    assert canonicalize("https://n.example/s?ref=home&x=1", ["ref"]) == "https://n.example/s?x=1"
    assert canonicalize("https://n.example/s?ref=home", []) == "https://n.example/s?ref=home"


@pytest.mark.parametrize(
    ("url", "hosts", "expected"),
    [
        ("http://127.0.0.1:8043/a", ["127.0.0.1"], True),
        ("http://127.0.0.2:8043/a", ["127.0.0.1"], False),
        ("https://www.news.example/a", ["news.example"], True),
        ("https://sport.news.example/a", ["news.example"], True),
        ("https://evilnews.example/a", ["news.example"], False),
        ("http://localhost:9000/", ["localhost"], True),
    ],
)
def test_on_site(url, hosts, expected):
    assert on_site(url, hosts) is expected


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://n.example/a/b/a/b/a/b/story", "repeated_path"),
        ("https://n.example/events/calendar?month=2031-01", "calendar"),
        ("https://n.example/archive/1850/01/", "calendar"),
        ("https://n.example/archive/2023/01/", None),
        ("https://n.example/2026/01/01/calendar-apps-reviewed-for-busy-families", None),
        ("https://n.example/diary/day?date=2031-01-01", "calendar"),
        ("https://n.example/world/story", None),
    ],
)
def test_is_trap(url, reason):
    assert is_trap(url, today=dt.date(2026, 11, 1)) == reason


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://n.example/world/page/3/", True),
        ("https://n.example/world?page=3", True),
        ("https://n.example/world?cat=2&p=12", True),
        ("https://n.example/world/front-page-news-of-the-day", False),
        ("https://n.example/world/story?pageview=1", False),
    ],
)
def test_is_pagination(url, expected):
    assert is_pagination(url) is expected


@pytest.mark.parametrize(("url", "template"), [
    ("http://s/news/2025/01/story-001.html", "/news/{n}/{n}/{w}.html"),
    ("http://s/help/faq", "/help/{w}"),
    ("http://s/old/123", "/old/{n}"),
    ("http://s/media/12/download", "/media/{n}/{w}"),
    ("http://s/Section/local.HTML?page=3&b=1", "/section/{w}.html?b&page"),
    ("http://s/", "/"),
    ("http://s/a/b/", "/a/{w}/"),
])
def test_a_link_shape_keeps_the_section_and_the_extension_and_blurs_the_rest(url, template):
    assert path_template(url) == template
