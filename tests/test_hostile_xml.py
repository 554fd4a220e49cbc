"""Feeds and sitemaps that try to read local files or blow up memory through XML entities."""

import time

import pytest

from crawler.discovery.feeds import parse_feed
from crawler.discovery.sitemaps import parse_sitemap

ARTICLE = "http://127.0.0.1/2025/01/01/harbour-board-votes-to-rebuild-quay"


def doctype(root: str, secret_file) -> str:
    """An external entity naming a local file, and a billion-laughs chain (10^9 "lol"s)."""
    chain = "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    )
    return (
        f'<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file://{secret_file}">'
        f'<!ENTITY lol0 "lol">{chain}]>'
    )


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("CONFIDENTIAL-LINE")
    return path


def test_feed_entities_are_never_expanded(secret):
    feed = doctype("rss", secret) + (
        '<rss version="2.0"><channel><title>News</title>'
        f"<item><title>&xxe;</title><link>{ARTICLE}</link></item>"
        f"<item><title>&lol9;</title><link>{ARTICLE}-2</link></item></channel></rss>"
    )
    began = time.monotonic()
    entries = parse_feed(feed.encode())
    assert time.monotonic() - began < 5
    assert [entry.link for entry in entries] == [ARTICLE, ARTICLE + "-2"]
    titles = " ".join(entry.title or "" for entry in entries)
    assert "CONFIDENTIAL" not in titles
    assert "lollol" not in titles


def test_sitemap_entities_are_never_expanded(secret):
    sitemap = doctype("urlset", secret) + (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{ARTICLE}?a=&xxe;</loc></url><url><loc>{ARTICLE}?b=&lol9;</loc></url></urlset>"
    )
    began = time.monotonic()
    kind, entries, _ = parse_sitemap(sitemap.encode())
    assert time.monotonic() - began < 5
    assert kind == "urlset"
    locs = [entry.loc for entry in entries]
    assert len(locs) == 2 and all(loc.startswith(ARTICLE) for loc in locs)
    assert not any("CONFIDENTIAL" in loc or "lollol" in loc for loc in locs)
