"""No SSRF: a page, a redirect or a DNS answer pointing at a private network is refused by
default and fetched only when the operator allows it."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator

import pytest

from crawler.downloadermiddlewares.private_networks import AddressPolicy
from tests.conftest import FAST, newscrawl
from tests.mockserver import serving

PRIVATE = ["10.0.0.1", "10.255.255.254", "172.16.0.1", "172.31.255.254", "192.168.0.1", "192.168.255.254",
           "127.0.0.1", "127.8.8.8", "169.254.169.254", "169.254.0.1", "::1", "fc00::1", "fdff::1",
           "fe80::1", "::ffff:127.0.0.1", "::ffff:10.1.2.3", "0.0.0.0", "100.64.0.1", "::"]
PUBLIC = ["8.8.8.8", "1.1.1.1", "172.32.0.1", "172.15.255.255", "192.169.0.1", "11.0.0.1",
          "2001:4860:4860::8888", "2a00:1450:4001::1"]


@pytest.mark.parametrize("address", PRIVATE)
def test_private_addresses_are_refused(address):
    assert AddressPolicy().refuses(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_not(address):
    assert not AddressPolicy().refuses(address)


def test_allowed_networks_are_exempt_and_bad_entries_named():
    policy = AddressPolicy(["192.168.10.0/24", "127.0.0.2"])
    assert not policy.refuses("192.168.10.7")
    assert not policy.refuses("127.0.0.2")
    assert policy.refuses("192.168.11.7")
    assert policy.refuses("127.0.0.1")
    from scrapy.settings import Settings

    with pytest.raises(ValueError, match="NEWS_PRIVATE_ADDRESSES_ALLOWED: 'intranet' does not appear"):
        AddressPolicy.from_settings(Settings({"NEWS_PRIVATE_ADDRESSES_ALLOWED": ["intranet"]}))
    assert AddressPolicy.from_settings(Settings({"NEWS_ALLOW_PRIVATE_NETWORKS": True})) is None


INTERNAL = "<html><head><title>Internal</title></head><body><p>internal service</p></body></html>"


@pytest.fixture
def pointing_site() -> Iterator[tuple[str, list[str], list[str]]]:
    """A "public" site on 127.0.0.2 whose page links to every private range and redirects to
    loopback, where an internal service listens."""
    internal = {path: (200, {}, INTERNAL) for path in ("/loopback", "/by-name", "/redirected")}
    with contextlib.ExitStack() as stack:
        port, seen = stack.enter_context(serving("127.0.0.1", internal))
        targets = [
            f"http://127.0.0.1:{port}/loopback",
            f"http://localhost:{port}/by-name",
            f"http://[::1]:{port}/ipv6",
            f"http://10.0.0.1:{port}/ten",
            f"http://172.16.0.1:{port}/one-seven-two",
            f"http://192.168.0.1:{port}/one-nine-two",
            f"http://169.254.169.254:{port}/latest/meta-data/",
            f"http://[fc00::1]:{port}/unique-local",
        ]
        links = "".join(f'<li><a href="{url}">internal {n}</a></li>' for n, url in enumerate(targets))
        page = f'<html><head><title>Front</title></head><body><ul>{links}<li><a href="/go">go</a></li></ul></body></html>'
        public = {
            "/": (200, {}, page),
            "/go": (302, {"Location": f"http://127.0.0.1:{port}/redirected"}, ""),
        }
        site_port, _ = stack.enter_context(serving("127.0.0.2", public))
        yield f"http://127.0.0.2:{site_port}/", [*targets, f"http://127.0.0.1:{port}/redirected"], seen


def crawl(site: str, tmp_path, *extra: str):
    hosts = ["127.0.0.1", "localhost", "::1", "10.0.0.1", "172.16.0.1", "192.168.0.1", "169.254.169.254", "fc00::1"]
    domains = [arg for host in hosts for arg in ("--allowed-domain", host)]
    # Unlike FAST, private networks stay refused unless a test allows them.
    fast = [arg for arg in FAST if arg != "NEWS_ALLOW_PRIVATE_NETWORKS=True"]
    fast = [arg for n, arg in enumerate(fast) if not (arg == "-s" and fast[n + 1 : n + 2] == ["-s"])]
    return newscrawl(
        "crawl", site, *domains, "--db", f"sqlite:///{tmp_path / 'news.db'}", *fast,
        "-s", "LOG_LEVEL=INFO", "-s", "ROBOTSTXT_OBEY=False", "-s", "DOWNLOAD_TIMEOUT=3", "-s", "RETRY_ENABLED=False",
        *extra,
    )


def run_stats(tmp_path):
    with sqlite3.connect(tmp_path / "news.db") as connection:
        return json.loads(connection.execute("SELECT stats FROM crawl_runs").fetchone()[0])


def test_links_and_redirects_to_private_networks_are_refused_by_default(pointing_site, tmp_path):
    site, targets, seen = pointing_site
    # The site itself is on loopback too: allow its one address, as an operator would an intranet site.
    result = crawl(site, tmp_path, "-s", "NEWS_PRIVATE_ADDRESSES_ALLOWED=127.0.0.2")
    assert result.returncode == 0, result.stderr
    for url in targets:
        assert f"refused {url}: " in result.stderr, (url, result.stderr[-3000:])
    assert f"refused http://localhost:{targets[0].split(':')[2].split('/')[0]}/by-name: localhost resolves to 127.0.0.1" in result.stderr
    assert "set NEWS_ALLOW_PRIVATE_NETWORKS=True (or --allow-private-networks)" in result.stderr
    assert run_stats(tmp_path)["news/refused/private_network"] == len(targets)
    assert seen == []


def test_the_setting_lets_the_crawler_reach_them(pointing_site, tmp_path):
    site, targets, seen = pointing_site
    result = crawl(site, tmp_path, "--allow-private-networks")
    assert result.returncode == 0, result.stderr
    assert "refused http" not in result.stderr
    assert "news/refused/private_network" not in run_stats(tmp_path)
    assert sorted(seen) == ["/by-name", "/loopback", "/redirected"]
    # The others were attempted (no route to them from here; IPv6 is beyond Scrapy's default
    # resolver), none refused.
    for url in targets:
        if url.split("/")[3] not in {"loopback", "by-name", "redirected"}:
            assert f"request failed: {url}: " in result.stderr, (url, result.stderr[-3000:])


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/", "http://localhost:9/news/", "http://[::1]:9/"])
def test_a_crawl_whose_every_start_url_is_private_exits_naming_the_setting(url, tmp_path):
    result = newscrawl("crawl", url, "--db", f"sqlite:///{tmp_path / 'news.db'}")
    assert result.returncode == 2
    assert "every start URL is on a private or loopback network" in result.stderr
    assert "NEWS_ALLOW_PRIVATE_NETWORKS=True (or --allow-private-networks)" in result.stderr
