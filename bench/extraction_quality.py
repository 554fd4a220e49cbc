"""Body extraction quality on an evaluation set: newscrawl vs. plain trafilatura, same run.

Reads real pages with gold bodies from ``../shared/eval/<set>/`` (``ground-truth.json`` and
``html/<id>.html.gz``) and prints the mean bag-of-words F1 over ``\\w+`` tokens for our extractor
and for ``trafilatura.extract`` with defaults and with ``favor_precision``.

    python bench/extraction_quality.py [--set scrapinghub|fundus-dev] [--eval-dir DIR] [--worst N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import trafilatura

from crawler import settings
from crawler.extraction import ArticleExtractor, NotAnArticle

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVAL_DIR = ROOT.parent / "shared" / "eval"
_TOKEN = re.compile(r"\w+", re.UNICODE)


def f1(predicted: str, gold: str) -> float:
    """Bag-of-words F1 between two texts (tokens compared casefolded, with multiplicity)."""
    pred = Counter(t.casefold() for t in _TOKEN.findall(predicted or ""))
    true = Counter(t.casefold() for t in _TOKEN.findall(gold or ""))
    if not pred and not true:
        return 1.0
    overlap = sum((pred & true).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(pred.values()), overlap / sum(true.values())
    return 2 * precision * recall / (precision + recall)


# The extractor as a crawl builds it, with the shipped default settings.
OURS = ArticleExtractor(
    favor_precision=settings.NEWS_EXTRACT_FAVOR_PRECISION,
    min_body_chars=settings.NEWS_EXTRACT_MIN_BODY_CHARS,
)


def ours(html: str, url: str) -> str:
    try:
        return OURS.extract(html, url).body
    except NotAnArticle:
        return ""


def trafilatura_defaults(html: str, url: str) -> str:
    return trafilatura.extract(html, url=url) or ""


def trafilatura_precision(html: str, url: str) -> str:
    return trafilatura.extract(html, url=url, favor_precision=True) or ""


EXTRACTORS: dict[str, Callable[[str, str], str]] = {
    "newscrawl": ours,
    "trafilatura extract() defaults": trafilatura_defaults,
    "trafilatura favor_precision": trafilatura_precision,
}


def score_page(args: tuple[str, str, str]) -> dict[str, float]:
    path, url, gold = args
    html = gzip.decompress(Path(path).read_bytes()).decode("utf-8", errors="replace")
    return {name: f1(fn(html, url), gold) for name, fn in EXTRACTORS.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="scrapinghub", help="evaluation set (folder name)")
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--worst", type=int, default=0, help="also list the N pages where we lose most")
    args = parser.parse_args()

    folder = args.eval_dir / args.set
    truth_file = folder / "ground-truth.json"
    if not truth_file.exists():
        print(f"no evaluation set at {folder}: pass --eval-dir", file=sys.stderr)
        return 2
    truth = json.loads(truth_file.read_text("utf-8"))
    jobs = [
        (str(folder / "html" / f"{page_id}.html.gz"), entry.get("url") or "", entry["articleBody"])
        for page_id, entry in sorted(truth.items())
    ]
    started = time.perf_counter()
    with ProcessPoolExecutor() as pool:
        scores = list(pool.map(score_page, jobs, chunksize=4))
    elapsed = time.perf_counter() - started

    print(f"{args.set}: {len(scores)} pages, mean body F1 (bag of \\w+ tokens), {elapsed:.1f} s")
    for name in EXTRACTORS:
        print(f"  {name:32s} {statistics.fmean(s[name] for s in scores):.4f}")
    baseline = statistics.fmean(s["trafilatura extract() defaults"] for s in scores)
    delta = statistics.fmean(s["newscrawl"] for s in scores) - baseline
    print(f"  newscrawl - trafilatura defaults {delta:+.4f}")
    if args.worst:
        ranked = sorted(
            zip(jobs, scores, strict=True),
            key=lambda js: js[1]["newscrawl"] - js[1]["trafilatura extract() defaults"],
        )
        for (path, url, _), score in ranked[: args.worst]:
            print(f"  {score['newscrawl']:.3f} vs {score['trafilatura extract() defaults']:.3f}  "
                  f"{Path(path).name}  {url}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
