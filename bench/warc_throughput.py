"""WARC input throughput against its ceiling, measured in one run: ``newscrawl warc`` over an
archive of N real news pages, and the same pages through the same extraction in a process pool
on all cores with nothing else.

The pages are ``../shared/eval/scrapinghub``'s, as in ``bench/crawl_throughput.py``: reused under
distinct URLs to reach N, each copy with a sentence of its own, a canonical link to its own URL
and a ``<base>`` naming the address it was saved from, written as gzipped WARC response records
(with their request records) to a temporary file.
Printed: records/s end to end (process start to exit) and pages/s of the ceiling, the ratio,
CPU seconds per page, the peak RSS of all processes and the count stored, which must equal N.

    python bench/warc_throughput.py [--n 2000] [--eval-dir DIR]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path

# Run as a script, beside the crawl benchmark whose pages and ceiling it shares.
from crawl_throughput import DEFAULT_EVAL_DIR, Pages, ceiling, measure, stored, usable_sources
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

HOST = "archive.example"


def write_archive(pages: Pages, n: int, path: Path) -> None:
    with path.open("wb") as output:
        writer = WARCWriter(output, gzip=True)
        for i in range(n):
            url = f"http://{HOST}{pages.path(i)}"
            request = StatusAndHeaders(f"GET {pages.path(i)} HTTP/1.1", [("Host", HOST)], is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", payload=io.BytesIO(b""), length=0,
                                                          http_headers=request))
            body = pages.html(i, HOST)
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                                          http_headers=headers))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    args = parser.parse_args()
    folder = args.eval_dir / "scrapinghub"
    if not folder.is_dir():
        raise SystemExit(f"evaluation set not found: {folder}")
    keep = usable_sources(folder)
    pages = Pages(folder)
    pages.keep(keep)
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "pages.warc.gz"
        write_archive(pages, args.n, archive)
        db = f"sqlite:///{Path(tmp) / 'news.db'}"
        run = measure([sys.executable, "-m", "crawler", "warc", str(archive), "--db", db, "-s", "LOG_LEVEL=WARNING"])
        count, _ = stored(db)
        size = archive.stat().st_size
    top = ceiling(folder, keep, args.n)
    rate = args.n / run["wall"]
    print(f"{len(keep)} source pages, archive of {args.n:,} pages ({size / 2**20:.1f} MB gzipped); stored {count:,}")
    print(f"  newscrawl warc, end to end   {rate:6.1f} pages/s  {1000 * run['cpu'] / args.n:5.1f} ms CPU/page "
          f"({1000 * run['main_cpu'] / args.n:.1f} in the main process)  peak RSS {run['peak_rss'] / 2**20:.0f} MB")
    for name, pages_per_s in top.items():
        print(f"  ceiling: {name:22s} {pages_per_s:6.1f} pages/s  warc/ceiling {rate / pages_per_s:.2f}")
    return 0 if count == args.n else 1


if __name__ == "__main__":
    raise SystemExit(main())
