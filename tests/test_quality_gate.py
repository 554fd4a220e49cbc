"""Quality gate: extraction on the bundled pages may not fall below the pinned floors.

Modelled on trafilatura's eval gate. The demo site's 33 articles (two templates) and the fixture
pages carry their true body, title, date and authors; every page is extracted as a crawl would,
learned chrome included, and the figures are compared with ``quality_baseline.json``. Raise a floor
when extraction improves; lowering one needs a reason in the commit that does it.

When the evaluation sets are beside the project (``../shared/eval``), the benchmark's own check
runs too, on every set there: ``bench/extraction_quality.py --all --check`` against
``bench/extraction_baseline.json``.
"""

import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from bench.extraction_quality import prf, same_day, same_title
from crawler import settings
from crawler.dedupe.sitechrome import ChromeIndex
from crawler.demo.site import DemoSite, load_articles
from crawler.extraction import ArticleExtractor
from tests.conftest import FIXTURES, ROOT

BASELINE = json.loads((Path(__file__).parent / "quality_baseline.json").read_text())
EVAL_DIR = ROOT.parent / "shared" / "eval"


def demo_pages():
    site = DemoSite(load_articles())
    for article in site.articles:
        status, _, html = site.render(article.path)
        assert status == 200
        yield html, f"http://127.0.0.1:8000{article.path}", article


def test_demo_site_meets_the_floors():
    extractor = ArticleExtractor(favor_precision=settings.NEWS_EXTRACT_FAVOR_PRECISION)
    index = ChromeIndex(settings.NEWS_CHROME_MIN_PAGES, settings.NEWS_CHROME_MIN_SHARE)
    extracted = [(extractor.extract(html, url), gold) for html, url, gold in demo_pages()]
    for item, _ in extracted:
        index.record(item)
    scores = {"body_f1": [], "body_exact": [], "title": [], "date": [], "authors": []}
    for item, gold in extracted:
        body = index.clean(item).body
        scores["body_f1"].append(prf(body, gold.body)[2])
        scores["body_exact"].append(float(body == gold.body))
        scores["title"].append(float(same_title(item.title, gold.title)))
        scores["date"].append(float(same_day(item.published_at_raw, gold.published)))
        scores["authors"].append(float(item.authors == gold.authors))
    figures = {key: round(statistics.fmean(values), 4) for key, values in scores.items()}
    floors = BASELINE["demo"]
    assert {k: v for k, v in figures.items() if v < floors[k]} == {}, figures


def test_fixture_article_meets_the_floor():
    page = FIXTURES / "site" / "news" / "bridge-repairs-close-river-crossing-for-six-weeks.html"
    item = ArticleExtractor(favor_precision=True).extract(page.read_bytes(), "http://127.0.0.1/news/bridge.html")
    gold = (FIXTURES / "bridge-story.txt").read_text(encoding="utf-8").strip()
    assert prf(item.body, gold)[2] >= BASELINE["fixture"]["body_f1"]


@pytest.mark.skipif(not (EVAL_DIR / "scrapinghub").is_dir(), reason="evaluation sets not beside the project")
def test_evaluation_sets_meet_the_benchmark_baseline():
    result = subprocess.run(
        [sys.executable, "bench/extraction_quality.py", "--all", "--check", "--eval-dir", str(EVAL_DIR)],
        capture_output=True, text=True, cwd=ROOT, timeout=1500, check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
