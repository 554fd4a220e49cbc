"""The console's pages: overview, runs, sites, articles, stories and alarms, each with its detail
page, server-rendered from the database (opened read-only) with Jinja2 templates.

Every string shown came from the web: templates escape everything (autoescape), and every answer
carries a Content-Security-Policy that allows no script at all and styles from the console alone,
so that markup a page smuggled into a title can neither run nor restyle the console. With a token
set (required off loopback: ``newscrawl serve``), every request carries it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hmac
import itertools
import statistics
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from crawler.console import api
from crawler.console.charts import daily_chart
from crawler.extensions.progress import dropped, errors, learned_links, page_kinds
from crawler.storage import (
    Article,
    ArticleUrl,
    CrawlRun,
    make_sessionmaker,
    recent_runs,
    run_sites,
    search_articles,
    story_clusters,
    versions,
)
from crawler.storage.health import (
    DAYS,
    FIELDS,
    SIGMAS,
    coverage_by_run,
    daily_counts,
    freshness,
    open_alarms,
    site_health,
)
from crawler.storage.runs import KINDS

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session
    from starlette.requests import Request

HERE = Path(__file__).parent
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
TOKEN_COOKIE = "newscrawl_token"
PAGE_SIZE = 50

_templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _render(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(_templates.get_template(template).render(now=_now(), **context), status_code=status_code)


def _session(request: Request) -> Session:
    session: Session = request.app.state.sessions()
    return session


def _name(run: CrawlRun) -> str:
    return str((run.arguments or {}).get("source") or run.spider)


def overview(request: Request) -> HTMLResponse:
    now = _now()
    with _session(request) as session:
        daily = daily_counts(session, now)
        return _render("overview.html", runs=recent_runs(session, 10), figures=api.run_figures, name=_name,
                       alarms=open_alarms(session, now), chart=daily_chart(daily), days=DAYS,
                       freshness=freshness(session), total=session.scalar(select(func.count(Article.id))) or 0)


def runs(request: Request) -> HTMLResponse:
    with _session(request) as session:
        return _render("runs.html", runs=recent_runs(session, 200), figures=api.run_figures, name=_name)


def _medians(session: Session, run: CrawlRun, days: int) -> dict[str, float | None]:
    """Each key figure's median over the runs of the same source in the ``days`` before ``run``."""
    earlier = [r for r in session.scalars(
        select(CrawlRun).where(CrawlRun.started_at < run.started_at,
                               CrawlRun.started_at >= run.started_at - dt.timedelta(days=days),
                               CrawlRun.finished_at.is_not(None))
    ) if _name(r) == _name(run)]
    figures = [api.run_figures(r) for r in earlier]
    return {key: statistics.median(f[key] for f in figures) if figures else None for key in ("pages", "stored", "duplicates", "errors")}


def run(request: Request) -> HTMLResponse:
    with _session(request) as session:
        found = session.get(CrawlRun, request.path_params["run_id"])
        if found is None:
            return _render("missing.html", 404, what=f"crawl run {request.path_params['run_id']}")
        stats = found.stats or {}
        return _render("run.html", run=found, name=_name(found), figures=api.run_figures(found),
                       week=_medians(session, found, 7), month=_medians(session, found, 30),
                       page_kinds=page_kinds(stats), dropped=sorted(dropped(stats).items()),
                       errors=sorted(errors(stats).items()), learned=learned_links(stats),
                       warnings=stats.get("news/warnings") or [], sites=run_sites(session, found.id), kinds=KINDS)


def sites(request: Request) -> HTMLResponse:
    with _session(request) as session:
        return _render("sites.html", sites=site_health(session, _now()), fields=FIELDS)


def site(request: Request) -> HTMLResponse:
    name = request.path_params["site"]
    with _session(request) as session:
        found = site_health(session, _now(), name)
        if not found:
            return _render("missing.html", 404, what=f"site {name}")
        health = found[0]
        band = (health.band[0] - SIGMAS * health.band[1], health.band[0] + SIGMAS * health.band[1]) if health.band else None
        latest = session.scalars(select(Article).where(Article.site == name).order_by(Article.id.desc()).limit(20)).all()
        return _render("site.html", site=health, fields=FIELDS, coverage=coverage_by_run(session, name).get(name, []),
                       chart=daily_chart(health.daily, band),
                       latest=latest, days=DAYS)


def _day(value: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), dt.UTC) if value else None
    except ValueError:
        return None


def articles(request: Request) -> HTMLResponse:
    query = request.query_params
    q = query.get("q", "").strip()
    since, until = _day(query.get("since")), _day(query.get("until"))
    filters = {key: query.get(key) or None for key in ("site", "source", "language")}
    page = max(1, int(query["page"])) if query.get("page", "").isdigit() else 1
    with _session(request) as session:
        if q:
            found = [a for a in search_articles(session, q, site=filters["site"], since=since, source=filters["source"], limit=200)
                     if (not filters["language"] or a.language == filters["language"])
                     and (until is None or (a.published_at is not None and a.published_at < until + dt.timedelta(days=1)))]
            shown, more = found[(page - 1) * PAGE_SIZE:page * PAGE_SIZE], len(found) > page * PAGE_SIZE
        else:
            statement = select(Article)
            for key, value in filters.items():
                if value:
                    statement = statement.where(getattr(Article, key) == value)
            if since:
                statement = statement.where(Article.published_at >= since)
            if until:
                statement = statement.where(Article.published_at < until + dt.timedelta(days=1))
            rows = session.scalars(statement.order_by(Article.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
            shown, more = list(rows[:PAGE_SIZE]), len(rows) > PAGE_SIZE
        site_names = session.scalars(select(Article.site).distinct().order_by(Article.site)).all()
        return _render("articles.html", articles=shown, q=q, filters=filters, since=query.get("since", ""),
                       until=query.get("until", ""), page=page, more=more, site_names=site_names,
                       query_without_page=[(k, v) for k, v in query.multi_items() if k != "page"])


def article(request: Request) -> HTMLResponse:
    article_id = request.path_params["article_id"]
    with _session(request) as session:
        found = session.get(Article, article_id)
        if found is None:
            return _render("missing.html", 404, what=f"article {article_id}")
        urls = session.scalars(select(ArticleUrl).where(ArticleUrl.article_id == found.id).order_by(ArticleUrl.id)).all()
        story = story_clusters(session, found.cluster_id or found.id)
        copies = [a for a in story[0][1] if a.id != found.id] if story else []
        history = versions(session, found.id)
        diffs = [(before, after, list(difflib.unified_diff(
            [f"title: {before.title or ''}", *before.body.split("\n\n")],
            [f"title: {after.title or ''}", *after.body.split("\n\n")], lineterm="", n=1))[2:])
            for before, after in itertools.pairwise(history)]
        return _render("article.html", article=found, urls=urls, copies=copies, versions=history, diffs=diffs)


def stories(request: Request) -> HTMLResponse:
    with _session(request) as session:
        return _render("stories.html", stories=story_clusters(session, limit=100))


def story(request: Request) -> HTMLResponse:
    story_id = request.path_params["story_id"]
    with _session(request) as session:
        found = story_clusters(session, story_id)
        if not found:
            return _render("missing.html", 404, what=f"story {story_id}")
        return _render("story.html", story_id=story_id, members=found[0][1])


def alarms(request: Request) -> HTMLResponse:
    with _session(request) as session:
        return _render("alarms.html", alarms=open_alarms(session, _now()))


class Guard(BaseHTTPMiddleware):
    """Security headers on every answer; with a token set, requests without it are refused. A
    browser brings the token once as ``?token=``: it is kept in a cookie the console alone reads."""

    def __init__(self, app: Any, token: str | None) -> None:
        super().__init__(app)
        self.token = token

    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await self._checked(request, call_next)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    async def _checked(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if request.method not in ("GET", "HEAD"):
            return PlainTextResponse("the console only reads\n", status_code=405)
        if self.token is None:
            return await call_next(request)
        given = request.query_params.get("token")
        if given is not None and hmac.compare_digest(given.encode(), self.token.encode()):
            target = request.url.remove_query_params("token")
            response = RedirectResponse(str(target.path) + (f"?{target.query}" if target.query else ""), status_code=303)
            response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict")
            return response
        header = request.headers.get("authorization", "")
        carried = header.removeprefix("Bearer ") if header.startswith("Bearer ") else request.cookies.get(TOKEN_COOKIE, "")
        if hmac.compare_digest(carried.encode(), self.token.encode()):
            return await call_next(request)
        return PlainTextResponse("a token is required: Authorization: Bearer TOKEN, or open the console once with ?token=TOKEN\n",
                                 status_code=401)


def make_app(engine: Engine, token: str | None = None) -> Starlette:
    """The console over ``engine`` (a read-only one: ``crawler.storage.make_reader``)."""
    routes = [
        Route("/", overview),
        Route("/runs", runs),
        Route("/runs/{run_id:int}", run),
        Route("/sites", sites),
        Route("/sites/{site:path}", site),
        Route("/articles", articles),
        Route("/articles/{article_id:int}", article),
        Route("/stories", stories),
        Route("/stories/{story_id:int}", story),
        Route("/alarms", alarms),
        *api.routes,
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(Guard, token=token)])
    app.state.sessions = make_sessionmaker(engine)
    return app
