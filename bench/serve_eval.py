"""Serve an evaluation set's real news pages on 127.0.0.1 as a crawlable site.

Each page is served under its original URL path, and paginated index pages (``/``, ``/index/2``,
…) link to all of them, so a crawl of the printed URL meets them as it would on a live site:

    python bench/serve_eval.py [--set scrapinghub] [--eval-dir DIR] [--port 0]
    newscrawl crawl http://127.0.0.1:PORT/ --allow-private-networks --depth 1 --db sqlite:///eval.db

Nothing leaves the machine: links inside the pages resolve to this server and get 404s.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import html
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_EVAL_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
PER_INDEX_PAGE = 50


def load_pages(folder: Path) -> dict[str, Path]:
    """URL path -> gzipped HTML file, for every page of the set."""
    truth = json.loads((folder / "ground-truth.json").read_text("utf-8"))
    pages: dict[str, Path] = {}
    for page_id, entry in sorted(truth.items()):
        parts = urlsplit(entry.get("url") or "")
        path = parts.path or f"/{page_id}"
        if parts.query:
            path += "?" + parts.query
        if path in pages or path in {"/", ""}:
            path = f"/page/{page_id}"
        pages[path] = folder / "html" / f"{page_id}.html.gz"
    return pages


def index_page(paths: list[str], number: int) -> str:
    chunk = paths[(number - 1) * PER_INDEX_PAGE : number * PER_INDEX_PAGE]
    links = "".join(f'<li><a href="{html.escape(p)}">{html.escape(p)}</a></li>' for p in chunk)
    pages = -(-len(paths) // PER_INDEX_PAGE)
    nxt = f'<a rel="next" href="/index/{number + 1}">Next</a>' if number < pages else ""
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Index</title>'
        '<meta property="og:type" content="website"></head>'
        f"<body><h1>Index page {number}</h1><ul>{links}</ul>{nxt}</body></html>"
    )


def make_handler(pages: dict[str, Path]) -> type[BaseHTTPRequestHandler]:
    paths = list(pages)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            target = self.path
            if target == "/" or target.startswith("/index/"):
                number = int(target.rsplit("/", 1)[1]) if target != "/" else 1
                body, status = index_page(paths, number).encode(), 200
            elif target in pages:
                body, status = gzip.decompress(pages[target].read_bytes()), 200
            else:
                body, status = b"<html><body>Not found</body></html>", 404
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="scrapinghub")
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    folder = args.eval_dir / args.set
    if not (folder / "ground-truth.json").exists():
        print(f"no evaluation set at {folder}: pass --eval-dir", file=sys.stderr)
        return 2
    pages = load_pages(folder)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(pages))
    print(f"http://127.0.0.1:{server.server_address[1]}/  ({len(pages)} pages)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
