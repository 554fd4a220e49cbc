"""Scrapy settings for newscrawl: polite crawling defaults plus the project's own NEWS_* settings.

Every setting is documented in docs/settings.md. Scrapy settings come first, then the project's
own, each group in alphabetical order with its enabling flag first. Override any of them with
``newscrawl crawl -s NAME=VALUE`` or ``scrapy crawl news -s NAME=VALUE``.
"""

BOT_NAME = "newscrawl"

SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
# `scrapy crawl`, checking the spider's arguments (a source's name, start URLs) before it starts.
COMMANDS_MODULE = "crawler.commands"

# --- Scrapy: politeness -------------------------------------------------------------------
ROBOTSTXT_OBEY = True

AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0

CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
# Scrapy starts this many tasks for the output of every response (its default: 100). A news page
# yields an article, which the store only buffers, and links, which are scheduled at once: one
# task handles them as fast, and each task more costs the crawl process CPU on every page.
CONCURRENT_ITEMS = 1

# The contact URL is appended to the user agent so site owners can reach the operator; a crawl
# warns while it is left at the project's page.
NEWS_CONTACT_URL = "https://github.com/newscrawl/newscrawl"
USER_AGENT = f"newscrawl/0.1 (+{NEWS_CONTACT_URL})"

# --- Scrapy: robustness -------------------------------------------------------------------
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024

RETRY_ENABLED = True
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
RETRY_TIMES = 3
# Longest wait honoured when a 429 or 503 says Retry-After (seconds).
NEWS_RETRY_AFTER_MAX = 120.0

# --- Scrapy: crawl shape and trap guards ---------------------------------------------------
# Link hops from a start or listing page; "next page" links reset it (see NEWS_MAX_PAGINATION).
DEPTH_LIMIT = 20
DEPTH_STATS_VERBOSE = False
URLLENGTH_LIMIT = 2000

# --- Scrapy: output and safety -------------------------------------------------------------
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
# Scrapy 2.19 otherwise opens a loopback control server that runs code it is sent.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

# Refuse loopback, private, link-local and metadata addresses (crawler/downloadermiddlewares/private_networks.py).
TWISTED_DNS_RESOLVER = "crawler.downloadermiddlewares.private_networks.PublicOnlyResolver"
DOWNLOADER_MIDDLEWARES = {
    "crawler.downloadermiddlewares.private_networks.PrivateNetworkMiddleware": 60,  # after OffsiteMiddleware
    # Below HttpCompressionMiddleware (590): a 304 is answered with a body already decompressed.
    "crawler.downloadermiddlewares.conditional_get.ConditionalGetMiddleware": 580,
    # Scrapy's, without decoding every page to look for a refresh tag (its place, 580).
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.downloadermiddlewares.meta_refresh.MetaRefreshMiddleware": 580,
    # Above RetryMiddleware (550): a response asking to come back later waits before its retry.
    "crawler.downloadermiddlewares.retry_after.RetryAfterMiddleware": 560,
    # Copies of known articles recorded as aliases, not sent: before robots.txt is asked for them.
    "crawler.downloadermiddlewares.copy_links.CopyLinksMiddleware": 65,
    # Links of a shape that never led to an article sampled, not exhausted.
    "crawler.downloadermiddlewares.link_yield.LinkYieldMiddleware": 67,
    # A shared crawl's sites whose source sets its own download delay or concurrency.
    "crawler.downloadermiddlewares.site_slots.SiteSlotsMiddleware": 70,
    # Past every filter: a request counts against --max-pages once it is really sent.
    "crawler.downloadermiddlewares.page_budget.PageBudgetMiddleware": 940,
    # Next to the downloader: responses archived as received, before decompression.
    "crawler.downloadermiddlewares.warc_out.WarcOutMiddleware": 950,
}
SPIDER_MIDDLEWARES = {
    "crawler.spidermiddlewares.skip_stored.SkipStoredMiddleware": 930,
    "crawler.spidermiddlewares.listing_pages.KeepListingPagesMiddleware": 940,
}

EXTENSIONS = {
    # Scrapy's periodic stats line, with articles, duplicates, drops, errors and the queue.
    "scrapy.extensions.logstats.LogStats": None,
    "crawler.extensions.progress.CrawlProgress": 0,
    "crawler.extensions.site_counts.SiteCounts": 100,
    # A warning while the user agent gives the project's page as the operator's contact.
    "crawler.extensions.contact.ContactCheck": 100,
}

ITEM_PIPELINES = {
    "pipelines.dedup.DedupPipeline": 200,
    "pipelines.store.StorePipeline": 300,
}

# --- newscrawl: storage --------------------------------------------------------------------
# Resolution order: --db, then the NEWSCRAWL_DATABASE_URL environment variable, then this.
DATABASE_URL = "sqlite:///news.db"
NEWS_DB_AUTO_UPGRADE = True
NEWS_DB_BATCH_SIZE = 50
NEWS_DB_FLUSH_INTERVAL = 5.0
NEWS_DB_RETRY_TIMEOUT = 60.0
NEWS_DB_SPILL_DIR = "."

# --- newscrawl: extraction -----------------------------------------------------------------
NEWS_EXTRACT_FAVOR_PRECISION = True
NEWS_EXTRACT_MAX_IN_FLIGHT = 0
# A shorter body is not an article ("short_body"): words, or for scripts written without spaces
# characters over the characters a word takes in them (crawler/textlength.py). The 250
# characters this replaced held some 40 words of English and 35 of German: the lower, so that no
# language loses a story it kept.
NEWS_EXTRACT_MIN_BODY_WORDS = 35
# Seconds one page may take to parse and extract; past it the page is skipped (as "timeout")
# and its worker replaced. A news page takes well under a second.
NEWS_EXTRACT_TIMEOUT = 60.0
NEWS_EXTRACT_WORKERS = 0

# --- newscrawl: learned site chrome ---------------------------------------------------------
NEWS_CHROME_ENABLED = True
NEWS_CHROME_MIN_PAGES = 5
NEWS_CHROME_MIN_SHARE = 0.2

# In-run duplicate index of the dedup pipeline: the most recent articles it remembers (the
# database decides beyond them). About 300 bytes each.
NEWS_DEDUP_MEMORY = 100_000

# --- newscrawl: story clusters ------------------------------------------------------------
# Syndicated and lightly edited copies join the story of the stored article they resemble.
NEWS_NEAR_DUP_ENABLED = True
# Estimated Jaccard similarity of word 3-shingles, 0.4 to 1 (chosen by measurement: docs/benchmarks.md).
NEWS_NEAR_DUP_THRESHOLD = 0.5

# --- newscrawl: network ------------------------------------------------------------------
# Let the crawler connect to loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7),
# link-local and metadata addresses: only for sites on the operator's own network.
NEWS_ALLOW_PRIVATE_NETWORKS = False
# Addresses or networks (CIDR) reachable although private: an intranet site, a proxy.
NEWS_PRIVATE_ADDRESSES_ALLOWED: list[str] = []

# The sources file read when a crawl names only a source (`scrapy crawl news -a source=NAME`,
# Scrapyd's schedule.json with source=NAME); the command line's --sources wins for its commands.
NEWS_SOURCES_FILE = "sources.toml"

# A run of a source unfinished after this many hours counts as dead (`newscrawl schedule`
# starts the source again); until then, it is running and the source is not started twice.
NEWS_RUN_STALE_HOURS = 12.0

# --- newscrawl: web archives -------------------------------------------------------------
# Write every fetched response, with its request, as WARC 1.1 files in this folder (--warc-out).
NEWS_WARC_DIR = ""
# A WARC file is closed and the next begun past this size.
NEWS_WARC_MAX_BYTES = 1024**3

# --- newscrawl: shared crawls ------------------------------------------------------------
# Redis whose queue and dupefilter several crawl processes share (scrapy-redis); empty: none.
REDIS_URL = ""
# Seconds a worker of a shared crawl waits with the queue empty before it stops.
NEWS_IDLE_TIMEOUT = 30.0
# Seconds between a worker's heartbeats; its leased requests are queued again by another worker
# once it has missed three.
NEWS_WORKER_HEARTBEAT = 10.0
# Fingerprints the shared dupefilter keeps, the most recent (0: every URL of the round), about
# 100 bytes each in Redis.
NEWS_DUPEFILTER_MEMORY = 0
# Seconds a site's robots.txt, fetched by one worker of a shared crawl, serves all of them.
NEWS_SHARED_ROBOTS_TTL = 3600

# --- newscrawl: crawl shape --------------------------------------------------------------
NEWS_MAX_PAGINATION = 500
# Only articles published since: an ISO date or time, or a window back from the crawl's start
# ("7d", "12h", "2w"). Empty: no window.
NEWS_SINCE = ""
# Only articles in these languages (ISO 639-1 codes); empty: any language.
NEWS_LANGUAGES: list[str] = []

# --- newscrawl: incremental crawls ---------------------------------------------------------
# Re-fetch listing pages (home, sections, feeds, sitemaps) with If-None-Match/If-Modified-Since.
NEWS_CONDITIONAL_GET = True
# Fetch stored articles again when younger than this many hours (0: never), to catch updates.
NEWS_REVISIT_HOURS = 0.0
# Never request an article URL the database already holds.
NEWS_SKIP_STORED = True
# Learn, per site, how the addresses of copies (AMP, print) are written, from the copies that
# name their article as canonical; links a rule confirmed by this many articles are recorded as
# aliases without a request, but for a sample kept to check the rule (crawler.downloadermiddlewares.copy_links).
NEWS_COPY_RULES = True
NEWS_COPY_RULE_CONFIRMATIONS = 3
NEWS_COPY_RULE_SAMPLE = 0.02
# Sample, not exhaust, a site's links of a shape (crawler.urls.path_template: "/help/{w}") whose
# first this-many pages led to no article: 404s, help pages, downloads. The share still fetched
# keeps checking the shape (crawler.downloadermiddlewares.link_yield).
NEWS_LINK_YIELD = True
NEWS_LINK_YIELD_MIN_PAGES = 10
NEWS_LINK_YIELD_SAMPLE = 0.05

# --- newscrawl: URLs -----------------------------------------------------------------------
NEWS_SESSION_PARAMS = ["sid", "sessionid", "session_id", "phpsessid", "jsessionid", "sessid"]
NEWS_TRACKING_PARAMS = [
    "utm_*",
    "fbclid",
    "gclid",
    "dclid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_hsenc",
    "_hsmi",
    "igshid",
    "ref_src",
    "cmpid",
    "ocid",
    "at_medium",
    "at_campaign",
    "yclid",
]
