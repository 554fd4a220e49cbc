"""Extraction quality and cost on evaluation sets: newscrawl vs. plain trafilatura, same run.

Reads real pages with gold answers from ``../shared/eval/<set>/`` and prints, for newscrawl and
for trafilatura 2.3 alone. Sets with ``ground-truth.json`` and ``html/<id>.html.gz`` (gold bodies):

- body precision, recall and F1 (bag of ``\\w+`` tokens, casefolded; mean over pages) and the
  share of pages with F1 >= 0.9;
- where the set has them (fundus-dev): title exact match (casefolded, whitespace collapsed),
  published-date day accuracy (the day in the gold date's own offset) and author token F1;
- extraction time per page, newscrawl against ``bare_extraction(with_metadata=True)``, both run
  one page at a time in one process.

Sets with ``cases.json`` and ``pages/*.gz``: snippet tests (a page passes when its body holds
every ``must_include`` snippet and no ``must_exclude`` one, whitespace collapsed, as trafilatura's
own benchmark matches them) with title, authors and date where known; or publication days
(``expected_date``), beside htmldate's ``find_date(original_date=True)``.

Every set with bodies also counts the pages **lost**: trafilatura's ``extract`` keeps at least
200 characters and newscrawl keeps nothing.

    python bench/extraction_quality.py [--set scrapinghub] [--set fundus-dev] [--worst N]
    python bench/extraction_quality.py --all     # every set in the evaluation folder, one run
    python bench/extraction_quality.py --check   # exit 1 if below bench/extraction_baseline.json
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import datetime as dt
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import htmldate
import trafilatura

from crawler import settings
from crawler.extraction import ArticleExtractor, NotAnArticle
from crawler.extraction.charset import page_text
from crawler.extraction.dates import parse_date

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVAL_DIR = ROOT.parent / "shared" / "eval"
BASELINE = Path(__file__).resolve().parent / "extraction_baseline.json"
_TOKEN = re.compile(r"\w+", re.UNICODE)
METADATA = {"title": "title exact match", "date": "published day accuracy", "authors": "author token F1"}
# A page is lost when trafilatura keeps this much and newscrawl nothing.
LOST_CHARS = 200

# The extractor as a crawl builds it, with the shipped default settings.
OURS = ArticleExtractor(
    favor_precision=settings.NEWS_EXTRACT_FAVOR_PRECISION,
    min_body_words=settings.NEWS_EXTRACT_MIN_BODY_WORDS,
)


def read_page(path: str) -> str:
    """A stored page's text, decoded as a crawl decodes it (no HTTP header kept: BOM, ``<meta>``
    declaration, then the HTML standard's default), for newscrawl and trafilatura alike."""
    return page_text(gzip.decompress(Path(path).read_bytes()))[0]


def prf(predicted: str, gold: str) -> tuple[float, float, float]:
    """Bag-of-words precision, recall and F1 of two texts (casefolded, with multiplicity)."""
    pred = Counter(t.casefold() for t in _TOKEN.findall(predicted or ""))
    true = Counter(t.casefold() for t in _TOKEN.findall(gold or ""))
    if not pred and not true:
        return 1.0, 1.0, 1.0
    overlap = sum((pred & true).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    precision, recall = overlap / sum(pred.values()), overlap / sum(true.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def same_title(predicted: str | None, gold: str) -> bool:
    def norm(text: str) -> str:
        return " ".join(text.casefold().split())

    return bool(predicted) and norm(predicted or "") == norm(gold)


def same_day(predicted_raw: str | None, gold: str) -> bool:
    """Whether a predicted date falls on the gold date's day, read in the gold date's offset."""
    predicted = parse_date(predicted_raw) if predicted_raw else None
    gold_parsed = parse_date(gold.replace(" ", "T", 1))
    if predicted is None or gold_parsed is None:
        return False
    gold_local = dt.datetime.fromisoformat(gold_parsed[1])
    if len(predicted[1]) == 10 or gold_local.tzinfo is None:  # a bare date or a naive gold date
        return predicted[1][:10] == gold_parsed[1][:10]
    return predicted[0].astimezone(gold_local.tzinfo).date() == gold_local.date()


def gold_authors(value: Any) -> list[str]:
    if isinstance(value, str):
        value = ast.literal_eval(value) if value.startswith("[") else [value]
    return [str(v) for v in value or []]


def score_page(job: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    path, gold = job
    html = read_page(path)
    url = gold.get("url") or ""
    try:
        ours = OURS.extract(html, url)
        body, title, published, authors = ours.body, ours.title, ours.published_at_raw, ours.authors
        authors = authors or ours.author_organisations
    except NotAnArticle:
        body, title, published, authors = "", None, None, []
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    default_body = trafilatura.extract(html, url=url) or ""
    precision_body = trafilatura.extract(html, url=url, favor_precision=True) or ""
    row: dict[str, Any] = {
        "lost": not body and len(default_body) >= LOST_CHARS,
        "newscrawl": prf(body, gold["articleBody"]),
        "trafilatura": prf(default_body, gold["articleBody"]),
        "trafilatura precision": prf(precision_body, gold["articleBody"]),
    }
    if gold.get("title"):
        row["title"] = (same_title(title, gold["title"]), same_title(doc and doc.title, gold["title"]))
    if gold.get("publishing_date"):
        row["date"] = (
            same_day(published, gold["publishing_date"]),
            same_day(doc and doc.date, gold["publishing_date"]),
        )
    if "authors" in gold:
        traf_authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()] if doc else []
        expected_authors = " ".join(gold_authors(gold.get("authors")))
        row["authors"] = (
            prf(" ".join(authors), expected_authors)[2],
            prf(" ".join(traf_authors), expected_authors)[2],
        )
    return row


def timing(jobs: list[tuple[str, dict[str, Any]]]) -> tuple[float, float]:
    """Seconds per page for newscrawl and for trafilatura with metadata, interleaved, one process."""
    ours_s = traf_s = 0.0
    for path, gold in jobs:
        html = read_page(path)
        url = gold.get("url") or ""
        start = time.perf_counter()
        with contextlib.suppress(NotAnArticle):
            OURS.extract(html, url)
        middle = time.perf_counter()
        trafilatura.bare_extraction(html, url=url, with_metadata=True)
        traf_s += time.perf_counter() - middle
        ours_s += middle - start
    return ours_s / len(jobs), traf_s / len(jobs)


def evaluate(folder: Path, worst: int) -> dict[str, float]:
    truth = json.loads((folder / "ground-truth.json").read_text("utf-8"))
    jobs = [(str(folder / "html" / f"{pid}.html.gz"), entry) for pid, entry in sorted(truth.items())]
    with ProcessPoolExecutor() as pool:
        rows = list(pool.map(score_page, jobs, chunksize=4))
    ours_s, traf_s = timing(jobs)

    figures: dict[str, float] = {}
    print(f"\n{folder.name}: {len(rows)} pages")
    print(f"  {'body':34s} {'P':>7s} {'R':>7s} {'F1':>7s} {'F1>=.9':>7s}")
    for name in ("newscrawl", "trafilatura", "trafilatura precision"):
        p, r, f = (statistics.fmean(row[name][i] for row in rows) for i in range(3))
        share = sum(row[name][2] >= 0.9 for row in rows) / len(rows)
        print(f"  {name:34s} {p:7.4f} {r:7.4f} {f:7.4f} {share:7.3f}")
        figures[f"{name}/body_f1"] = round(f, 4)
        figures[f"{name}/body_f1_share_0.9"] = round(share, 4)
    if any(key in row for row in rows for key in METADATA):
        print(f"  {'metadata':34s} {'ours':>7s} {'traf.':>7s}")
    for key, label in METADATA.items():
        scored = [row[key] for row in rows if key in row]
        if scored:
            ours, theirs = (statistics.fmean(float(values[i]) for values in scored) for i in (0, 1))
            print(f"  {label:34s} {ours:7.4f} {theirs:7.4f}")
            figures[f"newscrawl/{key}"] = round(ours, 4)
            figures[f"trafilatura/{key}"] = round(theirs, 4)
    figures["newscrawl/lost"] = sum(row["lost"] for row in rows)
    print(f"  lost (trafilatura keeps >= {LOST_CHARS} characters, newscrawl nothing): {figures['newscrawl/lost']:.0f}")
    ratio = ours_s / traf_s
    print(f"  time per page: newscrawl {ours_s * 1000:.1f} ms, trafilatura with metadata "
          f"{traf_s * 1000:.1f} ms, ratio {ratio:.2f}")
    figures["newscrawl/time_ratio"] = round(ratio, 3)
    if worst:
        ranked = sorted(zip(jobs, rows, strict=True), key=lambda jr: jr[1]["newscrawl"][2] - jr[1]["trafilatura"][2])
        for (path, gold), row in ranked[:worst]:
            print(f"    {row['newscrawl'][2]:.3f} vs {row['trafilatura'][2]:.3f}  {Path(path).name[:16]}  {gold.get('url', '')[:90]}")
    return figures


def _collapsed(text: str | None) -> str:
    return " ".join((text or "").split())


def _ours(html: str, url: str) -> tuple[str, str | None, str | None, list[str]]:
    """newscrawl's body, title, published date (as written) and authors; empty when it keeps no article."""
    try:
        ours = OURS.extract(html, url)
    except NotAnArticle:
        return "", None, None, []
    return ours.body, ours.title, ours.published_at_raw, ours.authors or ours.author_organisations


def score_case(job: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    path, case = job
    html = read_page(path)
    url = case["url"] if case.get("url", "").startswith("http") else ""
    body, title, published, authors = _ours(html, url)
    doc = trafilatura.bare_extraction(html, url=url or None, with_metadata=True)
    if "expected_date" in case:
        found = htmldate.find_date(html, url=url or None, original_date=True)
        return {"date": (same_day(published, case["expected_date"]), same_day(doc and doc.date, case["expected_date"]),
                         same_day(found, case["expected_date"])), "kept": bool(body)}
    theirs = doc.text if doc else ""
    default_body = trafilatura.extract(html, url=url or None) or ""
    row: dict[str, Any] = {"lost": not body and len(default_body) >= LOST_CHARS, "kept": bool(body)}
    for name, text in (("newscrawl", body), ("trafilatura", theirs)):
        text = _collapsed(text)
        included = [_collapsed(s) in text for s in case.get("must_include") or []]
        excluded = [_collapsed(s) not in text for s in case.get("must_exclude") or []]
        row[name] = (all(included) and all(excluded), included, excluded)
    traf_authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()] if doc else []
    if case.get("title"):
        row["title"] = (same_title(title, case["title"]), same_title(doc and doc.title, case["title"]))
    if case.get("author"):
        row["authors"] = (prf(" ".join(authors), case["author"])[2], prf(" ".join(traf_authors), case["author"])[2])
    if case.get("date"):
        row["date"] = (same_day(published, case["date"]), same_day(doc and doc.date, case["date"]))
    return row


def evaluate_cases(folder: Path) -> dict[str, float]:
    cases = json.loads((folder / "cases.json").read_text("utf-8"))
    jobs = [(str(folder / case["page_file"]), case) for case in cases]
    with ProcessPoolExecutor() as pool:
        rows = list(pool.map(score_case, jobs, chunksize=4))
    figures: dict[str, float] = {}
    print(f"\n{folder.name}: {len(rows)} cases")
    if "newscrawl" in rows[0]:
        print(f"  {'snippets':34s} {'passed':>7s} {'kept':>7s} {'out':>7s}")
        for name in ("newscrawl", "trafilatura"):
            passed = statistics.fmean(float(row[name][0]) for row in rows)
            kept = [hit for row in rows for hit in row[name][1]]
            out = [hit for row in rows for hit in row[name][2]]
            print(f"  {name:34s} {passed:7.4f} {statistics.fmean(kept):7.4f} {statistics.fmean(out):7.4f}")
            figures[f"{name}/pages_passed"] = round(passed, 4)
            figures[f"{name}/snippets_kept"] = round(statistics.fmean(kept), 4)
            figures[f"{name}/junk_kept_out"] = round(statistics.fmean(out), 4)
        figures["newscrawl/lost"] = sum(row["lost"] for row in rows)
        print(f"  lost (trafilatura keeps >= {LOST_CHARS} characters, newscrawl nothing): {figures['newscrawl/lost']:.0f}")
    columns = ["ours", "traf.", "htmldate"]
    for key, label in METADATA.items():
        scored = [row[key] for row in rows if key in row]
        if not scored:
            continue
        means = [statistics.fmean(float(values[i]) for values in scored) for i in range(len(scored[0]))]
        print(f"  {label + f' ({len(scored)})':34s} " + " ".join(f"{c}={m:.4f}" for c, m in zip(columns, means, strict=False)))
        figures[f"newscrawl/{key}"] = round(means[0], 4)
        figures[f"trafilatura/{key}"] = round(means[1], 4)
        if len(means) > 2:
            figures[f"htmldate/{key}"] = round(means[2], 4)
    if "kept" in rows[0]:
        # A page newscrawl judges a listing (a home page, a shop's category) is not stored, so it
        # has no date to be right about: the same figures on the pages it keeps as articles.
        kept = [row["date"] for row in rows if row["kept"] and "date" in row]
        means = [statistics.fmean(float(values[i]) for values in kept) for i in range(len(kept[0]))]
        print(f"  {f'  day, on the pages kept as articles ({len(kept)})':34s} "
              + " ".join(f"{c}={m:.4f}" for c, m in zip(columns, means, strict=False)))
        figures["newscrawl/date_kept"] = round(means[0], 4)
        figures["trafilatura/date_kept"] = round(means[1], 4)
        if len(means) > 2:
            figures["htmldate/date_kept"] = round(means[2], 4)
    return figures


def check(results: dict[str, dict[str, float]]) -> int:
    """Compare with the pinned baseline: quality may not fall, time and lost pages may not grow
    past their caps."""
    baseline = json.loads(BASELINE.read_text("utf-8"))
    failures = []
    for name, figures in results.items():
        for key, floor in baseline.get(name, {}).items():
            value = figures.get(key)
            if value is None:
                continue
            worse = value > floor if key.endswith(("time_ratio", "/lost")) else value < floor - 1e-4
            if worse:
                failures.append(f"{name} {key}: {value} (baseline {floor})")
    for failure in failures:
        print(f"REGRESSION {failure}")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", dest="sets", help="evaluation set (repeatable)")
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--worst", type=int, default=0, help="list the N pages where we lose most")
    parser.add_argument("--check", action="store_true", help=f"fail below {BASELINE.name}")
    parser.add_argument("--all", action="store_true", help="every set of the evaluation folder")
    args = parser.parse_args()
    names = args.sets or ["scrapinghub", "fundus-dev"]
    if args.all:
        names = sorted(p.parent.name for p in [*args.eval_dir.glob("*/ground-truth.json"), *args.eval_dir.glob("*/cases.json")])
    results = {}
    for name in names:
        folder = args.eval_dir / name
        if (folder / "ground-truth.json").exists():
            results[name] = evaluate(folder, args.worst)
        elif (folder / "cases.json").exists():
            results[name] = evaluate_cases(folder)
        else:
            print(f"no evaluation set at {folder}: pass --eval-dir", file=sys.stderr)
            return 2
    return check(results) if args.check else 0


if __name__ == "__main__":
    raise SystemExit(main())
