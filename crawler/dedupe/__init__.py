"""What makes two pages one story: exact keys of a body (``fingerprints``), near-duplicate
signatures (``neardup``), the chrome a site repeats on every article (``sitechrome``) and the
fate of copies that name another page as canonical (``copies``).

Pure functions and small in-memory indexes: imports nothing of newscrawl but ``crawler.items``
and ``crawler.urls``, and neither Scrapy, Twisted nor SQLAlchemy, since the extraction workers
compute the keys (docs/architecture.md). What a database decides lives in ``crawler.storage``.
"""
