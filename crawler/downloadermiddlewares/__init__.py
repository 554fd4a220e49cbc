"""Scrapy downloader middlewares: one crawl policy each, applied to requests on their way out
and responses on their way back.

``private_networks`` (refuses loopback and private addresses, and their DNS answers),
``site_slots`` (a source's own delay and concurrency in a shared crawl), ``retry_after`` (waits
out ``Retry-After``), ``conditional_get`` (``If-None-Match``/``If-Modified-Since`` for listing
pages), ``meta_refresh``, ``page_budget`` (``--max-pages``) and ``warc_out`` (archives responses).
Each is enabled in ``crawler/settings.py`` at its place in Scrapy's chain; settings reach it
through ``from_crawler``. May import storage, extraction, dedupe, items and urls; never spiders,
pipelines or the command line.

Scrapy names each by its module path in settings: the package re-exports nothing.
"""
