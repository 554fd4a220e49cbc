"""The operator's console: ``newscrawl serve``, a read-only web application over the crawl
database (``app``: the pages, ``api``: the JSON read API, ``charts``: the SVG charts, drawn on the
server so that pages carry no script at all).

Below the command line and above storage: it reads through ``crawler.storage`` (``health`` for the
sites and their alarms) and never writes.
"""
