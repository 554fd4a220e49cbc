"""One HTML page in, one article (or the reason there is none) out.

Owns the extractor (``extractor``: structured data first for the facts, trafilatura for the
body), the methods it is built from (``structured``, ``titles``, ``authors``, ``dates``, body
clean-up in ``boilerplate``, ``bodylines``, ``standfirst``, ``splitbody``, ``recover``,
``nextstory``; ``htmltext`` and ``charset`` beneath them), the page analysis that gives a page's
links and kind with its article (``analysis``) and the pool of worker processes that runs it
(``workers``).

A library of its own: it imports neither Scrapy, Twisted nor SQLAlchemy (``make lint`` checks
it), only ``crawler.dedupe`` for the keys it computes, and ``crawler.items``, ``crawler.urls`` and
``crawler.textlength``. ``from crawler.extraction import ArticleExtractor`` is the way to extract
one page without crawling (docs/api.md).
"""

from crawler.extraction.extractor import ArticleExtractor, NotAnArticle

__all__ = ["ArticleExtractor", "NotAnArticle"]
