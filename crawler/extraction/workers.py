"""The process pool that analyses fetched pages (``crawler.extraction.analysis``), off the reactor.

Analysis is CPU-bound and holds the GIL for most of its run: inline it stalls the event loop for
about 185 ms a page, in a thread pool still 71 ms, in a process pool 5 ms. The pool has one
process per core by default, and a bound on pages in flight: a spider callback waits for a slot,
Scrapy's scraper stops taking responses while callbacks wait, and memory stays flat however fast
pages arrive. A page that runs past ``NEWS_EXTRACT_TIMEOUT`` has its worker killed and replaced
(pebble's pool does that for one task without touching the others), and a worker that dies is
replaced the same way: one hostile page costs itself, never the crawl.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import datetime as dt
import gc
import logging
import multiprocessing
import os
from typing import TYPE_CHECKING, Any

from pebble import ProcessExpired, ProcessPool

from crawler.extraction.analysis import LinkRules, PageAnalyser, PageAnalysis
from crawler.extraction.extractor import ArticleExtractor

if TYPE_CHECKING:
    from collections.abc import Mapping

    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

_analyser: PageAnalyser | None = None
# glibc's mallopt parameter, and the size from which buffers are mapped from the system.
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 128 * 1024
# Allocations between collections of the youngest generation (Python's default: 700).
_YOUNG_GENERATION_THRESHOLD = 10_000


def return_large_buffers() -> None:
    """Have large buffers (page bodies, parse trees) mapped from the system and unmapped when freed.

    glibc starts with this threshold but raises it to the size of the largest buffer freed: after
    a few big pages, their buffers come from the heap, which fragments and keeps its peak for
    good (8 to 13 MB per process on news pages). A fixed threshold keeps the process at what it
    holds. Elsewhere than glibc, nothing changes.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
    except (OSError, AttributeError):
        pass


def settle_heap() -> None:
    """Take what start-up built out of garbage collection, and collect young objects less often.

    A process that has imported Scrapy or trafilatura holds hundreds of thousands of objects
    that live as long as it does, and every full collection walks them all again. Collecting
    took 0.6 ms of each page in the crawl process and 0.25 ms in a page worker; with start-up's
    objects frozen and young ones collected every 10,000 allocations instead of 700, 0.1 and 0.03.
    """
    gc.collect()
    gc.freeze()
    _, *older = gc.get_threshold()
    gc.set_threshold(_YOUNG_GENERATION_THRESHOLD, *older)


def _init_worker(options: dict[str, Any], rules: LinkRules) -> None:
    global _analyser
    return_large_buffers()
    _analyser = PageAnalyser(ArticleExtractor(**options), rules)
    settle_heap()


def extract_timeout(settings: BaseSettings) -> float:
    """``NEWS_EXTRACT_TIMEOUT``, checked."""
    try:
        timeout = settings.getfloat("NEWS_EXTRACT_TIMEOUT")
    except ValueError:
        timeout = 0.0
    if timeout <= 0:
        raise ValueError(
            f"NEWS_EXTRACT_TIMEOUT must be a number of seconds above 0, not {settings.get('NEWS_EXTRACT_TIMEOUT')!r}"
        )
    return timeout


def _analyse(
    html: str | bytes, url: str, content_type: str | None, fetched_at: dt.datetime, hints: Mapping[str, Any]
) -> PageAnalysis:
    assert _analyser is not None
    return _analyser.analyse(html, url, content_type=content_type, fetched_at=fetched_at, hints=hints)


class PagePool:
    def __init__(
        self,
        options: dict[str, Any],
        rules: LinkRules,
        workers: int = 0,
        max_in_flight: int = 0,
        timeout: float = 60.0,
    ) -> None:
        self.options = options
        self.rules = rules
        self.workers = workers or os.cpu_count() or 1
        self.max_in_flight = max_in_flight or 2 * self.workers
        self.timeout = timeout
        self._pool: ProcessPool | None = None
        self._slots: asyncio.Semaphore | None = None

    @classmethod
    def from_settings(cls, settings: BaseSettings, rules: LinkRules) -> PagePool:
        options = {
            "favor_precision": settings.getbool("NEWS_EXTRACT_FAVOR_PRECISION"),
            "min_body_words": settings.getint("NEWS_EXTRACT_MIN_BODY_WORDS"),
            "drop_params": [
                *settings.getlist("NEWS_TRACKING_PARAMS"),
                *settings.getlist("NEWS_SESSION_PARAMS"),
            ],
        }
        return cls(
            options, rules, settings.getint("NEWS_EXTRACT_WORKERS"),
            settings.getint("NEWS_EXTRACT_MAX_IN_FLIGHT"), extract_timeout(settings),
        )

    async def analyse(
        self,
        html: str | bytes,
        url: str,
        *,
        content_type: str | None = None,
        fetched_at: dt.datetime,
        hints: Mapping[str, Any],
    ) -> PageAnalysis:
        """The page's analysis; a page that timed out, broke its worker or the analysis yields
        none, with the reason counted, and the crawl goes on.

        A page is best passed as the bytes served, with its ``Content-Type``: bytes are copied to
        the worker as they are, and decoded there.
        """
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_in_flight)
        async with self._slots:
            if self._pool is None:
                # The crawl's own process holds every page body too, and has started up.
                return_large_buffers()
                settle_heap()
                # spawn, not fork: forking a process that runs a reactor and threads is unsafe.
                self._pool = ProcessPool(
                    self.workers, initializer=_init_worker, initargs=(self.options, self.rules),
                    context=multiprocessing.get_context("spawn"),
                )
            future = self._pool.schedule(_analyse, args=(html, url, content_type, fetched_at, hints), timeout=self.timeout)
            try:
                return await asyncio.wrap_future(future)
            except TimeoutError:
                logger.warning("page analysis of %(url)s ran past %(timeout).0f s: skipped, its worker "
                               "replaced (NEWS_EXTRACT_TIMEOUT)", {"url": url, "timeout": self.timeout})
                reason = "timeout"
            except ProcessExpired as exc:
                logger.error("page worker died on %(url)s (%(error)s); replaced", {"url": url, "error": exc})
                reason = "worker_died"
            except Exception:
                logger.exception("page analysis failed on %(url)s", {"url": url})
                reason = "error"
        failed = PageAnalysis()
        failed.counts[f"news/extract/dropped/{reason}"] += 1
        return failed

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()  # type: ignore[no-untyped-call]  # pebble leaves it unannotated
            self._pool.join()
            self._pool = None
