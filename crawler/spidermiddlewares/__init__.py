"""Scrapy spider middlewares: one crawl policy each, applied to what a callback yields.

``skip_stored`` (links to stored articles are not requested again) and ``listing_pages`` (a
listing page answered "304 Not Modified" is crawled from the copy kept in the database). Same
imports as the downloader middlewares: storage and below, never spiders, pipelines or the
command line.

Scrapy names each by its module path in settings: the package re-exports nothing.
"""
