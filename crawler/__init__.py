"""newscrawl: a news crawler built on Scrapy, trafilatura and SQLAlchemy."""
