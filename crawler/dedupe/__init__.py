"""What makes two pages one story: exact keys of a body (``fingerprints``), near-duplicate
signatures (``neardup``), the chrome a site repeats on every article (``sitechrome``) and the
fate of copies that name another page as canonical (``copies``).

Pure functions and small in-memory indexes: imports nothing of newscrawl but ``crawler.items``,
``crawler.urls`` and ``crawler.textlength``, and neither Scrapy, Twisted nor SQLAlchemy, since the
extraction workers compute the keys (docs/architecture.md). What a database decides lives in ``crawler.storage``.
"""

from crawler.dedupe.copies import CopyBook
from crawler.dedupe.fingerprints import PARAGRAPH_BREAK, body_fingerprint, body_keys
from crawler.dedupe.neardup import band_keys, signature, similarity
from crawler.dedupe.sitechrome import ChromeIndex

__all__ = ["PARAGRAPH_BREAK", "ChromeIndex", "CopyBook", "band_keys", "body_fingerprint", "body_keys", "signature", "similarity"]
