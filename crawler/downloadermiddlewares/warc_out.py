"""Web archives out: every response a crawl fetches, with its request, as WARC 1.1 records.

``--warc-out DIR`` (``NEWS_WARC_DIR``) turns it on. The middleware sits next to the downloader,
below HTTP decompression, so a response is archived as it came off the wire: headers as sent,
body still content-encoded (transfer chunking already undone, so its header is dropped). Files
are gzipped per record, rotated past ``NEWS_WARC_MAX_BYTES``, and each begins with a
``warcinfo`` record naming the crawl run. Written by warcio; read back by warcio and by
``newscrawl warc``.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from http import HTTPStatus
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)
_DROPPED_HEADERS = {"transfer-encoding"}


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _headers(headers: Any) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1"))
            for name, values in headers.items() for value in values
            if name.decode("latin-1").lower() not in _DROPPED_HEADERS]


class WarcOutMiddleware:
    def __init__(self, crawler: Crawler, folder: Path, max_bytes: int) -> None:
        self.crawler = crawler
        self.folder = folder
        self.max_bytes = max_bytes
        self.file: IO[bytes] | None = None
        self.writer: WARCWriter | None = None
        self.serial = 0
        self.started = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        folder = crawler.settings.get("NEWS_WARC_DIR")
        if not folder:
            raise NotConfigured
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        middleware = cls(crawler, path, crawler.settings.getint("NEWS_WARC_MAX_BYTES"))
        crawler.signals.connect(middleware.close, signal=signals.spider_closed)
        return middleware

    def process_response(self, request: Request, response: Response) -> Response:
        writer = self._writer()
        target = response.url
        request_line = f"{request.method} {request.url} HTTP/1.1"
        writer.write_record(writer.create_warc_record(
            target, "request", payload=io.BytesIO(request.body), length=len(request.body),
            http_headers=StatusAndHeaders(request_line, _headers(request.headers), is_http_request=True),
        ))
        status = f"{response.status} {_phrase(response.status)}"
        writer.write_record(writer.create_warc_record(
            target, "response", payload=io.BytesIO(response.body), length=len(response.body),
            http_headers=StatusAndHeaders(status, _headers(response.headers), protocol="HTTP/1.1"),
        ))
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value("news/warc_out/records", 2)
        return response

    def _writer(self) -> WARCWriter:
        if self.file is not None and self.file.tell() >= self.max_bytes:
            self.close()
        if self.writer is None:
            self.serial += 1
            stats = self.crawler.stats
            run = stats.get_value("news/run_id") if stats is not None else None
            name = f"newscrawl-{self.started}-run{run or 0}-{self.serial:05d}.warc.gz"
            self.file = (self.folder / name).open("wb")
            self.writer = WARCWriter(self.file, gzip=True, warc_version="WARC/1.1")
            self.writer.write_record(self.writer.create_warcinfo_record(name, {
                "software": "newscrawl", "format": "WARC File Format 1.1",
                "description": f"newscrawl crawl run {run}" if run else "newscrawl crawl",
            }))
            logger.info("writing fetched pages to %(path)s", {"path": self.folder / name})
        return self.writer

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
        self.file = None
        self.writer = None
