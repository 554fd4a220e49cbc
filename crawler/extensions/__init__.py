"""Scrapy extensions: what a crawl reports while it runs and once it ends.

``progress`` (the periodic progress line), ``site_counts`` (each site's figures, stored with the
run) and ``contact`` (a warning while the user agent names the project's page). Connected to
signals in ``from_crawler``; may import storage and below, never spiders, pipelines or the
command line.

Scrapy names each by its module path in settings: the package re-exports nothing.
"""
