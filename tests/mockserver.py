"""Test HTTP servers on 127.0.0.1, started as subprocesses that print their base URL.

``python -m tests.mockserver static DIR [LOG]`` serves a folder of fixture files, with an ETag
(a hash of the content) and Last-Modified on each, answering conditional requests with 304, and
appends "METHOD PATH STATUS" for every request to LOG when given; ``python -m tests.mockserver
demo`` serves the bundled demo site; ``python -m tests.mockserver faults [LOG]`` the fault
catalogue site of ``tests/faultsite.py``. Modelled on Scrapy's own mock server: port 0, URL
read back from stdout, stopped when the context exits. ``serving`` runs a server of given pages
in the test's own process instead, for tests that change or inspect them between crawls.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class _StaticHandler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".html": "text/html; charset=utf-8"}
    request_log: Path | None = None
    _log_lock = threading.Lock()
    _etag: str | None = None

    def translate_path(self, path: str) -> str:
        # Path parameters such as ";jsessionid=..." name the same file, as on real servers.
        return super().translate_path(path.split(";", 1)[0])

    def send_head(self):  # type: ignore[no-untyped-def]
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            path = os.path.join(path, "index.html")
        self._etag = None
        if os.path.isfile(path):
            with open(path, "rb") as file:
                self._etag = f'"{hashlib.sha1(file.read()).hexdigest()[:16]}"'
            if self._etag in self.headers.get("If-None-Match", ""):
                self.send_response(304)
                self.end_headers()
                return None
        return super().send_head()

    def end_headers(self) -> None:
        if self._etag:
            self.send_header("ETag", self._etag)
        super().end_headers()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.request_log is not None:
            with self._log_lock, self.request_log.open("a") as log:
                log.write(f"{self.command} {self.path} {int(code)} {self.headers.get('Host')} {time.time():.3f}\n")

    def log_message(self, format: str, *args: object) -> None:
        pass


class _PagesHandler(BaseHTTPRequestHandler):
    pages: dict[str, tuple[int, dict[str, str], str]] = {}
    seen: list[str]

    def do_GET(self) -> None:
        self.seen.append(self.path)
        status, headers, body = self.pages.get(self.path, (404, {}, "not here"))
        data = body.encode()
        self.send_response(status)
        for name, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _BackloggedServer(ThreadingHTTPServer):
    # A crawl opens connections in bursts: past the default backlog of 5 the kernel drops them,
    # and each one dropped costs the crawler a second (a SYN resent), or its download timeout.
    request_queue_size = 128
    daemon_threads = True


@contextlib.contextmanager
def serving(address: str, pages: dict[str, tuple[int, dict[str, str], str]]) -> Iterator[tuple[int, list[str]]]:
    """An HTTP server in this process on ``address`` answering ``pages`` (path: status, headers,
    body; a test may change them between crawls); yields its port and the paths requested."""
    seen: list[str] = []
    handler = type("Handler", (_PagesHandler,), {"pages": pages, "seen": seen})
    server = _BackloggedServer((address, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


def served(log: Path) -> list[tuple[str, int]]:
    """``(path, status)`` of every request a static server logged, in order."""
    if not log.exists():
        return []
    return [(path, int(status)) for _, path, status, *_ in (line.split() for line in log.read_text().splitlines())]


def served_at(log: Path, host: str) -> list[float]:
    """When a static server answered each request for ``host`` (its ``Host`` header), in order."""
    lines = [line.split() for line in log.read_text().splitlines()] if log.exists() else []
    return [float(when) for *_, named, when in lines if named == host]


@contextlib.contextmanager
def running(*args: str) -> Iterator[str]:
    """Start ``python -m tests.mockserver ARGS`` and yield the base URL it prints."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.mockserver", *args],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    with stopped_after(process, timeout=10):
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"mock server did not start: {url!r}")
        yield url


@contextlib.contextmanager
def stopped_after(process: subprocess.Popen[Any], timeout: float) -> Iterator[None]:
    """Terminate a server process when the block ends, wait for it and close its pipes."""
    with process:  # closes the pipes on the way out
        try:
            yield
        finally:
            process.terminate()
            process.wait(timeout=timeout)


def main() -> None:
    kind = sys.argv[1]
    if kind == "demo":
        from crawler.demo.site import serve

        with serve() as url:
            print(url, flush=True)
            while True:
                time.sleep(3600)
    if kind == "faults":
        from tests.faultsite import serve

        server = serve(Path(sys.argv[2]) if len(sys.argv) > 2 else None)
    else:
        if len(sys.argv) > 3:
            _StaticHandler.request_log = Path(sys.argv[3])
        handler = functools.partial(_StaticHandler, directory=sys.argv[2])
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    print(f"http://127.0.0.1:{server.server_address[1]}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
