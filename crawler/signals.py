"""Signals newscrawl's components send each other, beside Scrapy's own (``scrapy.signals``).

Here, below every component, so that a spider middleware and a downloader middleware, which may
not import each other, can still talk.
"""

# Sent by the spider for every page it parsed: ``response``, and ``article`` (the article the
# page holds, or None).
page_parsed = object()
# Sent by the spider middleware that drops links to articles already stored, with the
# ``response`` that held them: the page leads to articles, though none of them is fetched again.
stored_links_skipped = object()
