"""The crawl's progress line, every ``LOGSTATS_INTERVAL`` seconds.

Scrapy's own line says pages and items per minute; an operator watching a news crawl wants
articles stored, duplicates, what was dropped and why, errors by kind and the queue left.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.extensions.logstats import LogStats

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# Stats key prefixes of pages dropped, by reason, as the progress line and the summary name them.
DROPPED = {"news/extract/dropped/": "", "news/trap/": "trap ", "news/page/binary": "binary",
           "news/page/empty": "empty", "news/page/not_html": "not html", "robotstxt/forbidden": "robots.txt",
           "news/refused/private_network": "private network"}


def dropped(stats: dict[str, Any]) -> Counter[str]:
    """Pages not stored, by reason."""
    reasons: Counter[str] = Counter()
    for key, value in stats.items():
        for prefix, label in DROPPED.items():
            if key.startswith(prefix):
                reasons[label + key[len(prefix):].strip("/")] += value
    return reasons


def errors(stats: dict[str, Any]) -> Counter[str]:
    """Requests that failed after retries, by kind."""
    prefix = "news/request_error/"
    return Counter({key[len(prefix):]: value for key, value in stats.items() if key.startswith(prefix)})


def page_kinds(stats: dict[str, Any]) -> str:
    """The page-kind decisions of a run with their reasons: "article 33 (declared 30,
    running_text 3), listing 12 (teasers 9, no_text 3)"."""
    parts = []
    for kind in ("article", "listing"):
        prefix = f"news/page/{kind}/"
        reasons = {key[len(prefix):]: value for key, value in stats.items() if key.startswith(prefix)}
        if reasons:
            detail = ", ".join(f"{reason} {n}" for reason, n in sorted(reasons.items()))
            parts.append(f"{kind} {sum(reasons.values())} ({detail})")
    return ", ".join(parts) or "none"


def learned_links(stats: dict[str, Any]) -> list[tuple[str, str]]:
    """What the crawl's learning of links spared, labelled: ``copies`` (copy rules,
    ``crawler.downloadermiddlewares.copy_links``) and ``links`` (barren link shapes,
    ``crawler.downloadermiddlewares.link_yield``), each when it did anything."""
    keys = ("not_fetched", "sampled", "released", "rules_learned", "rules_dropped")
    spared, sampled, released, learned, refuted = (stats.get(f"news/copies/{key}", 0) for key in keys)
    lines = []
    if spared or sampled or released or learned or refuted:
        lines.append(("copies", (f"{spared} links recorded as aliases without a request, {sampled} fetched to "
                                f"check a rule, {released} fetched as the crawl ran dry; rules learned {learned}, "
                                f"dropped {refuted}")))
    skipped, sent_late = stats.get("news/link/barren_skipped", 0), stats.get("news/link/released", 0)
    if skipped or sent_late:
        lines.append(("links", (f"{skipped} links of shapes that led to no article not requested, {sent_late} "
                               "requested once their shape led to one")))
    return lines


def _listed(counts: Counter[str]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counts.most_common()) or "none"


class CrawlProgress(LogStats):
    def __init__(self, crawler: Crawler, interval: float) -> None:
        assert crawler.stats is not None
        super().__init__(crawler.stats, interval)
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        interval = crawler.settings.getfloat("LOGSTATS_INTERVAL")
        if not interval:
            raise NotConfigured
        extension = cls(crawler, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def log(self, spider: Spider) -> None:
        self.calculate_stats()
        stats = self.stats.get_stats()
        engine = self.crawler.engine
        scheduler = engine.scheduler if engine is not None else None
        queued = len(scheduler) if scheduler is not None and hasattr(scheduler, "__len__") else 0
        in_flight = len(engine.downloader.active) if engine is not None else 0
        logger.info(
            "progress: %(pages)d pages fetched (%(rate).1f/s), %(stored)d articles stored, %(duplicates)d "
            "duplicates, %(queued)d requests queued, %(in_flight)d in flight; dropped: %(dropped)s; "
            "errors: %(errors)s",
            {
                "pages": self.pages, "rate": self.prate / 60, "stored": stats.get("news/store/stored", 0),
                "duplicates": stats.get("news/store/duplicates", 0),
                "queued": queued, "in_flight": in_flight, "dropped": _listed(dropped(stats)), "errors": _listed(errors(stats)),
            },
        )
