"""The database as the crawl's middlewares use it: for lookups the crawl can do without.

A failing lookup costs requests (a page downloaded in full, a stored article fetched again),
never data, so it is counted and warned about once, and the crawl goes on with a default.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from scrapy import signals
from sqlalchemy.exc import SQLAlchemyError

from crawler.storage import make_engine, make_sessionmaker, resolve_url
from crawler.storage.db import driver_message

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector
    from sqlalchemy.orm import Session

    T = TypeVar("T")

logger = logging.getLogger(__name__)


class BestEffortDatabase:
    def __init__(self, crawler: Crawler, failure_stat: str, consequence: str) -> None:
        """``failure_stat`` counts failed calls; ``consequence`` ends the one warning ("fetching
        them again")."""
        assert crawler.stats is not None
        self.stats: StatsCollector = crawler.stats
        self.engine = make_engine(resolve_url(crawler.settings))
        self.sessions = make_sessionmaker(self.engine)
        self.failure_stat = failure_stat
        self.consequence = consequence
        self._warned = False
        crawler.signals.connect(self.engine.dispose, signal=signals.spider_closed)

    async def run(self, work: Callable[[Session], T], default: T) -> T:
        """``work`` in a transaction, off the reactor thread; ``default`` if the database fails."""
        try:
            return await asyncio.to_thread(self._in_session, work)
        except SQLAlchemyError as exc:
            self.stats.inc_value(self.failure_stat)
            if not self._warned:
                self._warned = True
                logger.warning("database unusable (%(error)s); %(consequence)s",
                               {"error": driver_message(exc), "consequence": self.consequence})
            return default

    def _in_session(self, work: Callable[[Session], T]) -> T:
        with self.sessions.begin() as session:
            return work(session)
