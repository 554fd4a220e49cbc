"""Shared crawls: several processes on any machines crawl one frontier in Redis.

``frontier`` (scrapy-redis's queue and dupefilter behind a scheduler that leases what it hands
out, the jobs a crawl records), ``idle_close`` (a worker stops once the queue stays empty) and
``leases`` (a worker's requests go back to the queue when it dies). Imported only where a crawl
shares its queue, so that a crawl that shares nothing never loads Redis; may import storage and
below, never spiders, pipelines or the command line.

It re-exports nothing, so that importing ``crawler.distributed.leases`` (as every spider does)
never loads the Redis client.
"""
