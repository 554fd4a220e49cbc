"""A news site where every page is a different way for a server or a page to go wrong.

``python -m tests.mockserver faults LOG`` serves it on 127.0.0.1 and appends
"METHOD PATH STATUS TIME" for each request to LOG. The home page links to every fault and to
normal articles, so one crawl meets them all; ``FAULTS`` says what each one is. The same site
answers as ``localhost`` too, a second host whose robots.txt fails differently.
"""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import brotli

from tests.newsroom import article_page, slug

NORMAL = [0, 1, 2]  # plain articles: the rest of the site, crawled as usual
SECOND = [10, 11]  # the articles of the second host, localhost
LATIN1, LYING_CHARSET, TRUNCATED, FLAKY, RATE_LIMITED, DEEP = 100, 101, 102, 103, 104, 105
ACCENTED = "The café near the Zürich–São Paulo desk served crème brûlée to a naïve jury, “quoted” ½ price."
FAULTS = {
    "/slow": "a response that never finishes",
    "/huge": "a 20 MB HTML page, announced by Content-Length",
    "/huge-stream": "a 20 MB HTML page streamed without Content-Length",
    "/bomb-gzip": "a gzip body inflating to 30 MB",
    "/bomb-deflate": "a deflate body inflating to 30 MB",
    "/bomb-br": "a brotli body inflating to 30 MB",
    "/report.html": "a PDF served as text/html",
    "/photo.html": "a PNG image served as text/html",
    slug(LATIN1): "an article in Windows-1252 with no charset anywhere",
    slug(LYING_CHARSET): "an article in Windows-1252 whose meta charset says UTF-8",
    slug(TRUNCATED): "an article whose HTML stops in the middle of its fourth paragraph",
    "/empty": "an empty 200",
    slug(DEEP): "an article inside 5,000 levels of nested elements",
    "/loop/0": "a redirect chain that never ends",
    "/cycle-a": "two pages redirecting to each other",
    "/elsewhere": "a 301 to another domain",
    slug(FLAKY): "an article answering 503, then 500, then 200",
    slug(RATE_LIMITED): "an article answering 429 with Retry-After: 1, then 200",
    "/calendar/2026/01/": "an infinite calendar, next month after next month",
    slug(0) + ";jsessionid=0123456789ABCDEF": "a session-id URL (path parameter)",
    slug(1) + "?sid=feedface": "a session-id URL (query)",
    "/big-feed.xml": "a 10 MB RSS feed",
    "/xxe-feed.xml": "an RSS feed with an external entity",
    "/laughs-sitemap.xml": "a sitemap with a billion-laughs entity bomb",
}
BIG = 20 * 1024 * 1024
INFLATED = 30 * 1024 * 1024


def _cp1252_article(i: int, meta: str) -> bytes:
    page = article_page(i).replace('<meta charset="utf-8">', meta)
    return page.replace("<p>", f"<p>{ACCENTED} ", 2).encode("cp1252")


def _home(host: str) -> bytes:
    links = [slug(i) for i in SECOND] if host == "localhost" else [*FAULTS, *(slug(i) for i in NORMAL)]
    items = "".join(f'<li><a href="{path}">{FAULTS.get(path, "story")}</a></li>\n' for path in links)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Fault Gazette</title></head>'
            f"<body><h1>Fault Gazette</h1><ul>\n{items}</ul></body></html>").encode()


def _deep() -> bytes:
    page = article_page(DEEP)
    head, rest = page.split("<article>", 1)
    return (head + "<div>" * 5000 + "<article>" + rest.replace("</article>", "</article>" + "</div>" * 5000)).encode()


def _calendar(year: int, month: int) -> bytes:
    nxt = (year + month // 12, month % 12 + 1)
    prev = (year - (month == 1), (month - 2) % 12 + 1)
    return (f"<html><head><title>Calendar {year}-{month:02d}</title></head><body><h1>Events of {year}-{month:02d}</h1>"
            f'<a rel="prev" href="/calendar/{prev[0]}/{prev[1]:02d}/">Previous month</a> '
            f'<a rel="next" href="/calendar/{nxt[0]}/{nxt[1]:02d}/">Next month</a></body></html>').encode()


def _big_feed() -> bytes:
    """About 10 MB of RSS: real entries first, then thousands pointing off the site."""
    item = ("<item><title>Wire story {n}</title><link>http://wire.invalid/story/{n}</link>"
            "<description>" + "Words of an agency story, repeated to fill the feed. " * 30 + "</description></item>\n")
    items = [f"<item><title>Story</title><link>{slug(i)}</link></item>\n" for i in NORMAL]
    items += [item.format(n=n) for n in range(6000)]
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Big</title>'
            + "".join(items) + "</channel></rss>").encode()


XXE_FEED = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>Leak &secret;</title>
<item><title>&secret;</title><link>/news/story-002.html</link></item></channel></rss>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
<!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;"><!ENTITY j "&i;&i;&i;&i;&i;&i;&i;&i;&i;&i;">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>/news/story-&j;.html</loc></url>
<url><loc>/news/story-001.html</loc></url></urlset>"""
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40


class FaultHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    request_log: Path | None = None
    hits: dict[str, int] = {}
    _lock = threading.Lock()
    _bombs: dict[str, bytes] = {}

    def do_GET(self) -> None:
        with self._lock:
            self.hits[self.path] = count = self.hits.get(self.path, 0) + 1
        self._log()
        host = (self.headers.get("Host") or "").split(":")[0]
        path = self.path
        if path == "/robots.txt":
            if host == "localhost":
                return self._send(500, b"robots broke")
            return self._stall()
        if path == "/":
            return self._send(200, _home(host))
        if path == "/slow":
            return self._stall()
        if path == "/huge":
            return self._send(200, b"<html><body>" + b"x" * BIG)
        if path == "/huge-stream":
            return self._stream(BIG)
        if path.startswith("/bomb-"):
            encoding = {"gzip": "gzip", "deflate": "deflate", "br": "br"}[path.removeprefix("/bomb-")]
            return self._send(200, self._bomb(encoding), {"Content-Encoding": encoding})
        if path == "/report.html":
            return self._send(200, PDF)
        if path == "/photo.html":
            return self._send(200, PNG)
        if path == slug(LATIN1):
            return self._send(200, _cp1252_article(LATIN1, ""), {"Content-Type": "text/html"})
        if path == slug(LYING_CHARSET):
            return self._send(200, _cp1252_article(LYING_CHARSET, '<meta charset="utf-8">'), {"Content-Type": "text/html"})
        if path == slug(TRUNCATED):
            page = article_page(TRUNCATED).encode()
            cut = page.index(b"<p>", page.index(b"<p>", page.index(b"<p>", page.index(b"<p>") + 1) + 1) + 1)
            return self._send(200, page[: cut + 60])
        if path == "/empty":
            return self._send(200, b"")
        if path == slug(DEEP):
            return self._send(200, _deep())
        if path.startswith("/loop/"):
            return self._send(302, b"", {"Location": f"/loop/{int(path.rsplit('/', 1)[1]) + 1}"})
        if path in ("/cycle-a", "/cycle-b"):
            return self._send(302, b"", {"Location": "/cycle-b" if path == "/cycle-a" else "/cycle-a"})
        if path == "/elsewhere":
            return self._send(301, b"", {"Location": "http://elsewhere.invalid/news/moved.html"})
        if path == slug(FLAKY) and count <= 2:
            return self._send(503 if count == 1 else 500, b"busy")
        if path == slug(RATE_LIMITED) and count == 1:
            return self._send(429, b"slow down", {"Retry-After": "1"})
        if path.startswith("/calendar/"):
            year, month = (int(part) for part in path.strip("/").split("/")[1:3])
            return self._send(200, _calendar(year, month))
        if path == "/big-feed.xml":
            return self._send(200, self._cached("feed", _big_feed), {"Content-Type": "application/rss+xml"})
        if path == "/xxe-feed.xml":
            return self._send(200, XXE_FEED, {"Content-Type": "application/rss+xml"})
        if path == "/laughs-sitemap.xml":
            return self._send(200, LAUGHS, {"Content-Type": "application/xml"})
        clean = path.split(";", 1)[0].split("?", 1)[0]
        for i in [*NORMAL, *SECOND, FLAKY, RATE_LIMITED]:
            if clean == slug(i):
                return self._send(200, article_page(i).encode())
        return self._send(404, b"<html><body>not found</body></html>")

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": "text/html; charset=utf-8", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            self.close_connection = True  # the client stopped reading, as it should past its size limit

    def _stall(self) -> None:
        """Headers and a first byte, then nothing until the client gives up."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(b"<")
        self.wfile.flush()
        time.sleep(60)
        self.close_connection = True

    def _stream(self, size: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b"<p>" + b"y" * 65533
        try:
            for _ in range(size // len(chunk)):
                self.wfile.write(chunk)
        except OSError:
            pass  # the client stopped reading, as it should
        self.close_connection = True

    @classmethod
    def _bomb(cls, encoding: str) -> bytes:
        def build() -> bytes:
            raw = b"<html><body>" + b" " * INFLATED
            if encoding == "gzip":
                return gzip.compress(raw, 9)
            if encoding == "deflate":
                return zlib.compress(raw, 9)
            return brotli.compress(raw, quality=5)

        return cls._cached(encoding, build)

    @classmethod
    def _cached(cls, key: str, build: object) -> bytes:
        with cls._lock:
            if key not in cls._bombs:
                cls._bombs[key] = build()  # type: ignore[operator]
            return cls._bombs[key]

    def _log(self) -> None:
        if self.request_log is not None:
            with self._lock, self.request_log.open("a") as log:
                log.write(f"GET {self.path} {self.headers.get('Host', '')} {time.time():.3f}\n")

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(log: Path | None) -> ThreadingHTTPServer:
    FaultHandler.request_log = log
    server = ThreadingHTTPServer(("127.0.0.1", 0), FaultHandler)
    server.daemon_threads = True
    return server
