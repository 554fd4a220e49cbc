"""Test HTTP servers on 127.0.0.1, started as subprocesses that print their base URL.

``python -m tests.mockserver static DIR`` serves a folder of fixture files;
``python -m tests.mockserver demo`` serves the bundled demo site. Modelled on Scrapy's own
mock server: port 0, URL read back from stdout, stopped when the context exits.
"""

from __future__ import annotations

import contextlib
import functools
import subprocess
import sys
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _QuietHandler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".html": "text/html; charset=utf-8"}

    def translate_path(self, path: str) -> str:
        # Path parameters such as ";jsessionid=..." name the same file, as on real servers.
        return super().translate_path(path.split(";", 1)[0])

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def running(*args: str) -> Iterator[str]:
    """Start ``python -m tests.mockserver ARGS`` and yield the base URL it prints."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.mockserver", *args],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"mock server did not start: {url!r}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def main() -> None:
    kind = sys.argv[1]
    if kind == "demo":
        from crawler.demo.site import serve

        with serve() as url:
            print(url, flush=True)
            while True:
                time.sleep(3600)
    handler = functools.partial(_QuietHandler, directory=sys.argv[2])
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    print(f"http://127.0.0.1:{server.server_address[1]}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
