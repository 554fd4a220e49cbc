"""Where the pages to crawl come from, and with which rules: the sources file (``sources``),
RSS/Atom feeds (``feeds``), sitemaps (``sitemaps``) and web archives (``warc``).

Above the middlewares: may import them (an archive URL is held to the private-network policy),
storage, extraction, dedupe, items and urls; never spiders, pipelines or the command line.
"""
