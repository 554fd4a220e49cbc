"""The page pool: pages parsed and extracted in worker processes, one hostile page costing only itself."""

import asyncio
import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

from crawler.extraction.analysis import LinkRules
from crawler.extraction.workers import PagePool

NOW = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
STORY = [
    ("The harbour board voted on Tuesday to rebuild the eastern quay, ending three years of debate "
    "about whether the old stone wall could be saved or had to give way to a modern pier."),
    ("Engineers told the board that the wall had moved eleven centimetres since the winter storms, "
    "and that divers had found cracks running the full depth of the foundations near the ferry berth."),
    ("Work will begin in the spring and the ferries will use a temporary landing stage at the north "
    "end of the harbour until the new quay opens, which the board expects in the autumn of next year."),
]


def article_page() -> str:
    paragraphs = "".join(f"<p>{text}</p>" for text in STORY)
    return (
        '<html><head><title>Harbour board votes to rebuild quay</title>'
        '<meta property="og:type" content="article"></head>'
        f"<body><article><h1>Harbour board votes to rebuild quay</h1>{paragraphs}</article></body></html>"
    )


def test_a_page_past_the_time_limit_is_skipped_and_the_next_one_extracted():
    pool = PagePool({"favor_precision": True}, LinkRules(("127.0.0.1",)), workers=1, timeout=1.0)
    # Thousands of nested boxes of text: far more than a second of extraction.
    slow = "<html><body>" + "".join(
        f"<div><div><p>Box {n} of a page made to take long, with a sentence of some length in it.</p></div></div>"
        for n in range(60_000)
    ) + "</body></html>"

    async def crawl():
        return await asyncio.gather(
            pool.analyse(slow, "http://127.0.0.1/2026/05/01/a-page-made-to-take-long", fetched_at=NOW, hints={}),
            pool.analyse(
                article_page(), "http://127.0.0.1/2026/05/01/harbour-board-votes-to-rebuild-quay", fetched_at=NOW, hints={}
            ),
        )

    try:
        timed_out, extracted = asyncio.run(crawl())
    finally:
        pool.close()
    assert timed_out.counts == {"news/extract/dropped/timeout": 1}
    assert timed_out.article is None
    assert extracted.article is not None
    assert extracted.article.title == "Harbour board votes to rebuild quay"
    assert all(text in extracted.article.body for text in STORY)
    assert extracted.article.body_signature is not None


def test_page_workers_load_neither_scrapy_nor_the_command_line():
    """A page worker is a spawned process that imports the page pool and the script that started
    the crawl; either pulling in Scrapy or the command line would cost each worker 20-60 MB."""
    script = (
        "import sys, runpy; import crawler.extraction.workers; runpy.run_path(sys.argv[1], run_name='__mp_main__'); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'scrapy', 'twisted', 'sqlalchemy'}), "
        "'crawler.cli' in sys.modules)"
    )
    entry_point = shutil.which("newscrawl", path=str(Path(sys.executable).parent))
    assert entry_point is not None
    out = subprocess.run([sys.executable, "-c", script, entry_point], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "False"]
