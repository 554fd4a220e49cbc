"""A warning while the crawl's user agent gives the project's page as its contact.

Site owners read the user agent to learn who is crawling them and how to reach them; the
project's page cannot answer for whoever runs a crawl. ``NEWS_CONTACT_URL`` (or a
``USER_AGENT`` of the operator's own) ends the warning.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler import settings as defaults

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def contact_warning(user_agent: str) -> str | None:
    """What to tell an operator whose user agent names the project's page; None once it names
    one of their own."""
    if defaults.NEWS_CONTACT_URL not in user_agent:
        return None
    return (
        f"the user agent gives site owners the project's page ({defaults.NEWS_CONTACT_URL}) to reach "
        "whoever runs this crawl: set NEWS_CONTACT_URL to a page of your own (-s NEWS_CONTACT_URL=https://...)"
    )


class ContactCheck:
    """Logs the warning once, when the crawl's first request goes out (an archive crawl sends
    none and is not warned)."""

    def __init__(self, message: str) -> None:
        self.message: str | None = message

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        message = contact_warning(crawler.settings.get("USER_AGENT") or "")
        if message is None:
            raise NotConfigured  # the operator's own contact; said without a reason, Scrapy logs nothing
        extension = cls(message)
        crawler.signals.connect(extension.request_reached_downloader, signal=signals.request_reached_downloader)
        return extension

    def request_reached_downloader(self) -> None:
        if self.message is not None:
            logger.warning("%(message)s", {"message": self.message})
            self.message = None
