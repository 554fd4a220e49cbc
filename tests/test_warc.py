"""Web archives in: `newscrawl warc` stores the articles of WARC files (local, or served over
HTTP) as a crawl of their site would, passing over what is no HTML page, with a reason."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.conftest import FAST, newscrawl
from tests.mockserver import running
from tests.newsroom import _paragraphs, article_page, slug

pytestmark = pytest.mark.e2e
SITE = "https://courier.example"


def write_warc(path: Path, articles: range, *, extras: bool = True) -> None:
    """Response records of the articles (with their requests), and, with ``extras``, an image,
    a 404 page and a warcinfo record."""
    with path.open("wb") as output:
        writer = WARCWriter(output, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))

        def response(url: str, status: str, content_type: str, body: bytes) -> None:
            headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body), http_headers=headers,
                warc_headers_dict={"WARC-Date": "2025-03-04T05:06:07Z"},
            ))

        for i in articles:
            request = StatusAndHeaders("GET " + slug(i) + " HTTP/1.1", [("Host", "courier.example")], is_http_request=True)
            writer.write_record(writer.create_warc_record(SITE + slug(i), "request", payload=io.BytesIO(b""), length=0,
                                                          http_headers=request))
            response(SITE + slug(i), "200 OK", "text/html; charset=utf-8", article_page(i).encode())
        if extras:
            response(SITE + "/logo.png", "200 OK", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(200))
            response(SITE + "/gone.html", "404 Not Found", "text/html", b"<html><body>gone</body></html>")


@pytest.fixture
def archives(tmp_path: Path) -> Path:
    folder = tmp_path / "archives"
    folder.mkdir()
    write_warc(folder / "one.warc.gz", range(5))
    write_warc(folder / "two.warc.gz", range(5, 9), extras=False)
    data = (folder / "two.warc.gz").read_bytes()
    (folder / "two.warc.gz").write_bytes(data[: len(data) - 300])  # the last record cut short
    return folder


def stored(db_file: Path) -> dict[str, tuple[str, str]]:
    with sqlite3.connect(db_file) as connection:
        return {url: (body, fetched) for url, body, fetched in
                connection.execute("SELECT canonical_url, body, fetched_at FROM articles")}


def test_archived_articles_are_stored_and_the_rest_passed_over_with_reasons(archives, tmp_path):
    db_file = tmp_path / "news.db"
    result = newscrawl("warc", str(archives / "one.warc.gz"), str(archives / "two.warc.gz"),
                       "--db", f"sqlite:///{db_file}", "--source", "archive", *FAST)
    assert result.returncode == 0, result.stderr[-3000:]
    articles = stored(db_file)
    assert set(articles) == {SITE + slug(i) for i in range(8)}  # the ninth was in the cut record
    for i in range(8):
        body, fetched = articles[SITE + slug(i)]
        assert body == "\n\n".join(_paragraphs(i))
        assert fetched.startswith("2025-03-04 05:06:07")
    assert "passed over: bad_record" not in result.stdout
    for reason in ("records read:       22", "not_a_response 11", "not_html 1", "status 1", "truncated 1"):
        assert reason in result.stdout, result.stdout
    assert f"truncated record skipped: {SITE}{slug(8)}" in result.stderr
    with sqlite3.connect(db_file) as connection:
        assert {row[0] for row in connection.execute("SELECT DISTINCT source FROM articles")} == {"archive"}


def test_filters_apply_before_extraction(archives, tmp_path):
    db_file = tmp_path / "news.db"
    result = newscrawl("warc", str(archives / "one.warc.gz"), "--pattern", r"story-00[12]\.html$",
                       "--db", f"sqlite:///{db_file}", *FAST)
    assert result.returncode == 0, result.stderr[-3000:]
    assert set(stored(db_file)) == {SITE + slug(1), SITE + slug(2)}
    assert "filtered_pattern 3" in result.stdout
    other = newscrawl("warc", str(archives / "one.warc.gz"), "--domain", "elsewhere.example",
                      "--db", f"sqlite:///{tmp_path / 'other.db'}", *FAST)
    assert "filtered_domain 5" in other.stdout and "articles stored:    0" in other.stdout


def test_an_archive_served_over_http_is_read_as_a_stream(archives, tmp_path):
    db_file = tmp_path / "news.db"
    with running("static", str(archives)) as url:
        result = newscrawl("warc", f"{url}one.warc.gz", "--db", f"sqlite:///{db_file}", *FAST)
    assert result.returncode == 0, result.stderr[-3000:]
    assert set(stored(db_file)) == {SITE + slug(i) for i in range(5)}


def test_a_missing_file_is_one_clear_error(tmp_path):
    result = newscrawl("warc", str(tmp_path / "nope.warc.gz"), "--db", f"sqlite:///{tmp_path / 'news.db'}")
    assert result.returncode == 2 and f"no such WARC file: {tmp_path / 'nope.warc.gz'}" in result.stderr


def test_a_crawl_archived_with_warc_out_reads_back_to_the_same_articles(demo_site, tmp_path):
    """Round trip: the live crawl's WARC files, rotated by size and read into a fresh database,
    store what it stored."""
    folder = tmp_path / "warcs"
    live = newscrawl("crawl", demo_site, "--warc-out", str(folder), "--db", f"sqlite:///{tmp_path / 'live.db'}",
                     *FAST, "-s", "NEWS_WARC_MAX_BYTES=100000")
    assert live.returncode == 0, live.stderr[-3000:]
    files = sorted(folder.glob("*.warc.gz"))
    assert len(files) > 1 and all(f.name.startswith("newscrawl-") for f in files)  # rotated past 100 kB
    replay = newscrawl("warc", *map(str, files), "--db", f"sqlite:///{tmp_path / 'replay.db'}", *FAST)
    assert replay.returncode == 0, replay.stderr[-3000:]

    def articles(name: str) -> set[tuple[str, str, str]]:
        with sqlite3.connect(tmp_path / name) as connection:
            return set(connection.execute("SELECT canonical_url, title, body FROM articles"))

    assert articles("replay.db") == articles("live.db")
    assert len(articles("live.db")) == 33
    # warcinfo first, naming the run; then a request and its response per page fetched.
    from warcio.archiveiterator import ArchiveIterator

    with files[0].open("rb") as stream:
        records = list(ArchiveIterator(stream))
    assert records[0].rec_type == "warcinfo"
    assert records[0].rec_headers.get_header("WARC-Type") == "warcinfo"
    assert [r.rec_type for r in records[1:3]] == ["request", "response"]
