"""The console's read API for downstream tools (docs/api.md): JSON, read-only.

``/api/articles?since_id=N&limit=M`` pages through every column of ``articles`` by id: a reader
keeps the ``next_since_id`` of each answer and asks again with it, and gets each article exactly
once, also while crawls write (``crawler.storage.reading.articles_after``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import OperationalError
from starlette.responses import JSONResponse
from starlette.routing import Route

from crawler.extensions.progress import errors
from crawler.storage import Article, CrawlRun, recent_runs
from crawler.storage.health import open_alarms, site_health
from crawler.storage.reading import articles_after

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from starlette.requests import Request

MAX_LIMIT = 1000
COLUMNS = tuple(column.key for column in Article.__table__.columns)


def run_figures(run: CrawlRun) -> dict[str, int]:
    """A run's key figures, as its pages and the API show them."""
    stats = run.stats or {}
    return {
        "pages": int(stats.get("response_received_count", 0)),
        "stored": int(stats.get("news/store/stored", 0)),
        "duplicates": int(stats.get("news/store/duplicates", 0)),
        "errors": int(sum(errors(stats).values())),
    }


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime | dt.date) else value


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _whole(request: Request, name: str, default: int, least: int, most: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < least or (most is not None and int(raw) > most):
        raise ValueError(f"{name} must be a whole number from {least}" + (f" to {most}" if most else "") + f", not {raw!r}")
    return int(raw)


def api_articles(request: Request) -> JSONResponse:
    try:
        since_id = _whole(request, "since_id", 0, 0)
        limit = _whole(request, "limit", 100, 1, MAX_LIMIT)
    except ValueError as exc:
        return _error(str(exc))
    session: Session = request.app.state.sessions()
    with session:
        try:
            rows = articles_after(session, since_id, limit)
        except OperationalError:  # writers held the table longer than the lock wait
            return _error("the database is busy: ask again", 503)
        articles = [{name: _json(getattr(row, name)) for name in COLUMNS} for row in rows]
    return JSONResponse({"articles": articles, "next_since_id": articles[-1]["id"] if articles else since_id})


def api_runs(request: Request) -> JSONResponse:
    try:
        limit = _whole(request, "limit", 50, 1, MAX_LIMIT)
    except ValueError as exc:
        return _error(str(exc))
    with request.app.state.sessions() as session:
        rows = recent_runs(session, limit)
        return JSONResponse({"runs": [{
            "id": run.id, "spider": run.spider, "source": (run.arguments or {}).get("source"),
            "started_at": _json(run.started_at), "finished_at": _json(run.finished_at),
            "finish_reason": run.finish_reason, "sites": sites, "warnings": warnings,
            **run_figures(run), "errors": dict(errors(run.stats or {})),
        } for run, sites, warnings in rows]})


def api_sites(request: Request) -> JSONResponse:
    with request.app.state.sessions() as session:
        rows = site_health(session, dt.datetime.now(dt.UTC))
        return JSONResponse({"sites": [{
            "site": row.site, "articles": row.articles, "last_stored": _json(row.last_stored),
            "funnel": row.funnel, "errors_by_kind": row.errors_by_kind, "per_day": [{"day": _json(day), "stored": n} for day, n in row.daily],
            "coverage": None if row.coverage is None else {
                "run_id": row.coverage.run_id, "articles": row.coverage.articles,
                **{name: round(row.coverage.share(name), 4) for name in row.coverage.has},
            },
            "alarms": [alarm.as_dict() for alarm in row.alarms],
        } for row in rows]})


def api_alarms(request: Request) -> JSONResponse:
    with request.app.state.sessions() as session:
        return JSONResponse({"alarms": [alarm.as_dict() for alarm in open_alarms(session, dt.datetime.now(dt.UTC))]})


routes = [
    Route("/api/articles", api_articles),
    Route("/api/runs", api_runs),
    Route("/api/sites", api_sites),
    Route("/api/alarms", api_alarms),
]
