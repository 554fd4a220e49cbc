"""How each site is doing, read off the database: what ``newscrawl serve`` shows and ``newscrawl
alarms`` prints.

Jobs monitors watch a crawl's stats; the database knows the sites and their articles. Three
alarms come from it, each judged against the site's own history, never a fixed threshold:

- ``volume``: articles stored on the last complete day outside the mean ± 2 standard deviations of the 30 days
  before (Media Cloud's weekly check of its sources);
- ``coverage``: the share of a run's articles with a title, a publication date, authors, a body of
  some length or a language fell under half its share over the site's earlier runs: a layout
  change shows up here before anyone complains;
- ``run``: the site's latest run fell far below its recent runs while pages were blocked, failed
  or empty (``crawler.storage.runs.fall_warning``).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, case, cast, func, select

from crawler.storage.models import Article, CrawlRun, CrawlRunSite
from crawler.storage.runs import HISTORY

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from sqlalchemy.sql.elements import ColumnElement

DAYS = 30
SIGMAS = 2.0
# Days of history a site needs before its daily count is judged.
MIN_DAYS = 7
# Fields whose coverage is watched, as the console names them.
FIELDS = ("title", "date", "authors", "body", "language")
# "A body of some length": characters, so that scripts without spaces count alike (about 80
# words in a Latin script).
MIN_BODY_CHARS = 400
# Articles a run needs, and its earlier runs together, before a coverage is judged.
MIN_RUN_ARTICLES = 5
MIN_HISTORY_ARTICLES = 10


@dataclass(frozen=True)
class Alarm:
    kind: str
    site: str
    message: str
    run_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "site": self.site, "message": self.message, "run_id": self.run_id}


@dataclass
class Coverage:
    """A run's articles of one site: how many, and how many have each field."""

    run_id: int
    articles: int
    has: dict[str, int]

    def share(self, name: str) -> float:
        return self.has[name] / self.articles if self.articles else 0.0


@dataclass
class SiteHealth:
    site: str
    # Summed over the site's runs of the last DAYS days (crawl_run_sites).
    funnel: dict[str, int]
    errors_by_kind: dict[str, int]
    articles: int
    last_stored: dt.datetime | None
    daily: list[tuple[dt.date, int]]
    # The mean and standard deviation the last complete day is judged against (``volume_band``).
    band: tuple[float, float] | None
    coverage: Coverage | None
    alarms: list[Alarm] = field(default_factory=list)


def error_groups(kinds: Mapping[str, int]) -> dict[str, int]:
    """What an operator tells apart first: refused (403), rate limited (429), the server failing
    (5xx answers) and timeouts; then the other kinds as recorded."""
    groups = {"403": kinds.get("http_403", 0), "429": kinds.get("http_429", 0), "5xx": kinds.get("http_5xx", 0),
              "timeouts": sum(n for kind, n in kinds.items() if "Timeout" in kind or "TimedOut" in kind)}
    others = {kind.removeprefix("error:"): n for kind, n in kinds.items()
              if kind.startswith("error:") and "Timeout" not in kind and "TimedOut" not in kind}
    return groups | dict(sorted(others.items()))


def _day(now: dt.datetime) -> dt.date:
    return now.astimezone(dt.UTC).date()


def _dates(now: dt.datetime, days: int) -> list[dt.date]:
    """The ``days`` days (UTC) up to today's, oldest first."""
    today = _day(now)
    return [today - dt.timedelta(days=n) for n in range(days - 1, -1, -1)]


def _stored_day(session: Session) -> ColumnElement[Any]:
    """The UTC day an article was stored, counted by the database: a console over millions of
    articles reads a row per site and day, not one per article."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", Article.created_at))
    return func.date(Article.created_at)  # SQLite keeps UTC times as text: "YYYY-MM-DD"


def _as_date(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def daily_counts(session: Session, now: dt.datetime, site: str | None = None, days: int = DAYS) -> list[tuple[dt.date, int]]:
    """Articles stored per day (UTC) over the ``days`` days up to today, one entry per day,
    days without any included."""
    dates = _dates(now, days)
    day = _stored_day(session)
    statement = (select(day, func.count())
                 .where(Article.created_at >= dt.datetime.combine(dates[0], dt.time(), dt.UTC)).group_by(day))
    if site is not None:
        statement = statement.where(Article.site == site)
    per_day = {_as_date(stored): n for stored, n in session.execute(statement)}
    return [(day, per_day.get(day, 0)) for day in dates]


def _daily_by_site(session: Session, now: dt.datetime, days: int) -> dict[str, list[tuple[dt.date, int]]]:
    dates = _dates(now, days)
    day = _stored_day(session)
    counts: dict[str, dict[dt.date, int]] = defaultdict(dict)
    rows = session.execute(select(Article.site, day, func.count())
                           .where(Article.created_at >= dt.datetime.combine(dates[0], dt.time(), dt.UTC))
                           .group_by(Article.site, day))
    for site, stored, n in rows:
        counts[site][_as_date(stored)] = n
    return {site: [(day, per_day.get(day, 0)) for day in dates] for site, per_day in counts.items()}


def volume_band(daily: list[tuple[dt.date, int]], first_day: dt.date | None) -> tuple[float, float] | None:
    """The mean and standard deviation of the daily counts before the last complete day, from
    the site's first article on; None before MIN_DAYS days of history."""
    history = [n for day, n in daily[:-2] if first_day is not None and day >= first_day]
    if len(history) < MIN_DAYS:
        return None
    return statistics.fmean(history), statistics.pstdev(history)


def volume_alarm(site: str, daily: list[tuple[dt.date, int]], band: tuple[float, float] | None) -> Alarm | None:
    """The last complete day's count outside the mean ± 2 standard deviations of the days
    before it (``volume_band``); None when within, or without history."""
    if band is None:
        return None
    (judged_day, judged), (mean, sigma) = daily[-2], band  # today is not over
    if mean < 1 or abs(judged - mean) <= SIGMAS * sigma:
        return None
    side = "below" if judged < mean else "above"
    return Alarm("volume", site, f"{judged} articles stored on {judged_day:%Y-%m-%d}, {side} the mean of "
                 f"{mean:.1f} ± {SIGMAS:g}σ ({sigma:.1f}) of the days before")


def coverage_by_run(session: Session, site: str | None = None, runs: int = HISTORY + 1) -> dict[str, list[Coverage]]:
    """Each site's coverage in its latest ``runs`` runs, newest first."""
    title = func.sum(case((func.length(func.coalesce(Article.title, "")) > 0, 1), else_=0))
    authors = func.sum(case((cast(Article.authors, String).not_in(["[]", ""]), 1), else_=0))
    body = func.sum(case((func.length(Article.body) >= MIN_BODY_CHARS, 1), else_=0))
    statement = (
        select(Article.site, Article.crawl_run_id, func.count(), title, func.count(Article.published_at), authors, body,
               func.count(Article.language))
        .where(Article.crawl_run_id.is_not(None))
        .group_by(Article.site, Article.crawl_run_id)
    )
    if site is not None:
        statement = statement.where(Article.site == site)
    by_site: dict[str, list[Coverage]] = defaultdict(list)
    for row_site, run_id, n, *has in session.execute(statement):
        by_site[row_site].append(Coverage(run_id, n, dict(zip(FIELDS, map(int, has), strict=True))))
    return {name: sorted(found, key=lambda c: -c.run_id)[:runs] for name, found in by_site.items()}


def coverage_alarms(site: str, runs: list[Coverage]) -> list[Alarm]:
    """A field whose share in the latest run fell under half its share in the runs before."""
    if not runs or runs[0].articles < MIN_RUN_ARTICLES:
        return []
    latest, before = runs[0], runs[1:]
    total = sum(c.articles for c in before)
    if total < MIN_HISTORY_ARTICLES:
        return []
    alarms = []
    for name in FIELDS:
        past = sum(c.has[name] for c in before) / total
        now = latest.share(name)
        if past >= 0.5 and now < past / 2:
            earlier = "the run before" if len(before) == 1 else f"the {len(before)} runs before"
            alarms.append(Alarm("coverage", site, f"{name}: {now:.0%} of {latest.articles} articles in run "
                                f"{latest.run_id}, against {past:.0%} of {total} in {earlier}", latest.run_id))
    return alarms


def run_alarms(session: Session) -> list[Alarm]:
    """The warnings of each site's latest run."""
    latest = (select(CrawlRunSite.site, func.max(CrawlRunSite.crawl_run_id).label("run_id"))
              .group_by(CrawlRunSite.site).subquery())
    rows = session.execute(
        select(CrawlRunSite.site, CrawlRunSite.crawl_run_id, CrawlRunSite.warning)
        .join(latest, (latest.c.site == CrawlRunSite.site) & (latest.c.run_id == CrawlRunSite.crawl_run_id))
        .where(CrawlRunSite.warning.is_not(None))
    )
    return [Alarm("run", site, warning or "", run_id) for site, run_id, warning in rows]


def site_health(session: Session, now: dt.datetime, site: str | None = None) -> list[SiteHealth]:
    """One row per site (or the one ``site``): its funnel over the last DAYS days, articles,
    last article stored, stored per day, its latest run's coverage and its alarms; sites in
    alarm first."""
    since = now - dt.timedelta(days=DAYS)
    kinds = ("discovered", "fetched", "blocked", "errors", "empty", "filtered", "extracted", "duplicates", "stored")
    funnel_rows = select(CrawlRunSite.site, *(func.sum(getattr(CrawlRunSite, k)) for k in kinds)).join(
        CrawlRun, CrawlRun.id == CrawlRunSite.crawl_run_id).where(CrawlRun.started_at >= since).group_by(CrawlRunSite.site)
    totals = select(Article.site, func.count(), func.max(Article.created_at), func.min(Article.created_at)).group_by(Article.site)
    if site is not None:
        funnel_rows, totals = funnel_rows.where(CrawlRunSite.site == site), totals.where(Article.site == site)
    funnels = {name: dict(zip(kinds, (int(v or 0) for v in values), strict=True))
               for name, *values in session.execute(funnel_rows)}
    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    kind_rows = select(CrawlRunSite.site, CrawlRunSite.error_kinds).join(
        CrawlRun, CrawlRun.id == CrawlRunSite.crawl_run_id).where(CrawlRun.started_at >= since)
    for name, found in session.execute(kind_rows if site is None else kind_rows.where(CrawlRunSite.site == site)):
        by_kind[name].update(found or {})
    stored = {name: (int(n), last, first) for name, n, last, first in session.execute(totals)}
    daily = _daily_by_site(session, now, DAYS) if site is None else {site: daily_counts(session, now, site)}
    coverage = coverage_by_run(session, site)
    warnings: dict[str, list[Alarm]] = defaultdict(list)
    for alarm in run_alarms(session):
        warnings[alarm.site].append(alarm)
    empty_days = [(day, 0) for day in _dates(now, DAYS)]
    rows = []
    for name in sorted(set(funnels) | set(stored)):
        if site is not None and name != site:
            continue
        n, last, first = stored.get(name, (0, None, None))
        days = daily.get(name, empty_days)
        runs = coverage.get(name, [])
        band = volume_band(days, _day(first) if first else None)
        health = SiteHealth(name, funnels.get(name, dict.fromkeys(kinds, 0)), error_groups(by_kind[name]), n, last, days,
                            band, runs[0] if runs else None)
        volume = volume_alarm(name, days, band)
        health.alarms = [*([volume] if volume else []), *coverage_alarms(name, runs), *warnings.get(name, [])]
        rows.append(health)
    return sorted(rows, key=lambda h: (not h.alarms, h.site))


def open_alarms(session: Session, now: dt.datetime) -> list[Alarm]:
    return [alarm for health in site_health(session, now) for alarm in health.alarms]


def freshness(session: Session) -> list[tuple[str, dt.datetime | None, dt.datetime | None]]:
    """Per source (its site when it has none): the newest article stored and the newest
    publication date, stalest first."""
    source = func.coalesce(Article.source, Article.site)
    rows = session.execute(select(source, func.max(Article.created_at), func.max(Article.published_at)).group_by(source))
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(((name, stored, published) for name, stored, published in rows), key=lambda r: r[1] or epoch)
