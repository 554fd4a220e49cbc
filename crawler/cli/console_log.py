"""What a command's log shows an operator: the crawl's progress, warnings and errors, one line
each; Scrapy's start-up report (versions, components, overridden settings, the stats dump that
the summary replaces) and tracebacks of network failures only with ``-v``.

A 14-page crawl otherwise logged 130 lines before its first page, and an unreachable site four
tracebacks for what one line says: the connection was refused.
"""

from __future__ import annotations

import logging

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
    UnsupportedURLSchemeError,
)
from twisted.internet import error as twisted_errors

# Loggers whose INFO lines make Scrapy's start-up and shut-down report.
STARTUP_LOGGERS = ("scrapy.utils.log", "scrapy.addons", "scrapy.middleware", "scrapy.crawler",
                   "scrapy.core.engine", "scrapy.statscollectors", "alembic.runtime.migration")
# Loggers that attach a traceback to a failed download.
DOWNLOAD_LOGGERS = ("scrapy.core.scraper", "scrapy.downloadermiddlewares.robotstxt",
                    "scrapy.downloadermiddlewares.retry")
NETWORK_FAILURES = (CannotResolveHostError, DownloadFailedError, DownloadCancelledError, DownloadConnectionRefusedError,
                    DownloadTimeoutError, ResponseDataLossError, UnsupportedURLSchemeError,
                    twisted_errors.ConnectError, twisted_errors.DNSLookupError, twisted_errors.TimeoutError,
                    twisted_errors.ConnectionLost, twisted_errors.ConnectionDone)


class _NoNetworkTraceback(logging.Filter):
    """Keep the line, drop the traceback, of a download that failed on the network."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], NETWORK_FAILURES):
            record.exc_info = None
            record.exc_text = None
        return True


class _WarningsOnly(logging.Filter):
    """A filter, not a level: Scrapy's logging set-up resets the levels of its loggers."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


_FILTERS = {**dict.fromkeys(STARTUP_LOGGERS, _WarningsOnly()), **dict.fromkeys(DOWNLOAD_LOGGERS, _NoNetworkTraceback())}


def set_verbosity(verbose: int) -> None:
    """Quiet (0) or Scrapy's whole report (1 and more) for the crawls this process runs."""
    for name, log_filter in _FILTERS.items():
        logger = logging.getLogger(name)
        if verbose:
            logger.removeFilter(log_filter)
        else:
            logger.addFilter(log_filter)
