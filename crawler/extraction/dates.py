"""Publication and modification dates: parsing with the offset kept, and the sanity rules."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Callable, Iterable

from dateutil import parser as dateparser

EARLIEST = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
# Pages and servers disagree about clocks; a date this far ahead is still accepted as "now".
FUTURE_LEEWAY = dt.timedelta(hours=2)
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
# "01-11-2023", "1.11.2023": numeric dates written day first, as everywhere but in US-style
# slashed dates ("11/01/2023").
_DAY_FIRST = re.compile(r"\d{1,2}[.-]\d{1,2}[.-]\d{4}\b")
# A local clock is at most this far from UTC (UTC-12 to UTC+14), in steps of a quarter hour.
_MAX_OFFSET = dt.timedelta(hours=14)
_OFFSET_STEP = dt.timedelta(minutes=15)
# A UTC time before this hour can still be the day before on the Americas' clocks (UTC-3 to
# UTC-8, the Pacific coast's in winter).
_EVENING_BEHIND_UTC = dt.time(8)


def parse_date(value: str) -> tuple[dt.datetime, str] | None:
    """A timezone-aware UTC datetime and the normalised original (offset kept) for ``value``.

    A date without a time stays a date in the raw form ("2024-03-01") and becomes midnight UTC.
    """
    value = value.strip()
    if not value:
        return None
    try:
        parsed = dateparser.isoparse(value)
    except (ValueError, OverflowError):
        try:
            with warnings.catch_warnings():
                # "EST"-style names are ambiguous; such a value is read as UTC.
                warnings.simplefilter("ignore", dateparser.UnknownTimezoneWarning)
                parsed = dateparser.parse(value, fuzzy=False, dayfirst=bool(_DAY_FIRST.match(value)))
        except (ValueError, OverflowError):
            return None
    raw = parsed.date().isoformat() if _DATE_ONLY.fullmatch(value) else parsed.isoformat()
    aware = parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC), raw


_WINDOW = re.compile(r"(\d+)\s*([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_window(value: str) -> dt.timedelta | None:
    """``"30m"``, ``"12h"``, ``"7d"``, ``"2w"`` as a timedelta; None when ``value`` is no such window."""
    match = _WINDOW.fullmatch(value.strip())
    if match is None or int(match.group(1)) == 0:
        return None
    return dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def format_window(window: dt.timedelta) -> str:
    """A window as ``parse_window`` reads it, in its largest whole unit: ``"30d"``, ``"6h"``."""
    minutes = int(window.total_seconds() // 60)
    for unit, size in (("w", 7 * 24 * 60), ("d", 24 * 60), ("h", 60)):
        if minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"


def parse_point(value: str) -> dt.datetime | None:
    """An operator's ISO 8601 date or time as UTC (a date is its midnight UTC); None otherwise.

    Stricter than ``parse_date``: words such as "yesterday" are refused, not guessed at.
    """
    parsed = parse_date(value) if value[:4].isdigit() else None
    return parsed[0] if parsed else None


def cutoff(value: str, now: dt.datetime) -> dt.datetime:
    """The start of a date window: a window back from ``now``, or an ISO 8601 date or time.

    Raises:
        ValueError: ``value`` is neither.
    """
    window = parse_window(value)
    if window is not None:
        return now - window
    point = parse_point(value)
    if point is None:
        raise ValueError(f"not a date or a window such as 7d, 12h, 2w: {value!r}")
    return point


def first_valid(
    candidates: Iterable[tuple[str, str]], now: dt.datetime
) -> tuple[dt.datetime | None, str | None, str | None]:
    """The first ``(source, value)`` that parses and is neither before 1990 nor in the future."""
    for source, value in candidates:
        parsed = parse_date(value)
        if parsed is None:
            continue
        when, raw = parsed
        if EARLIEST <= when <= now + FUTURE_LEEWAY:
            return when, raw, source
    return None, None, None


def on_local_clock(when: dt.datetime | None, raw: str | None, others: Iterable[str]) -> str | None:
    """``raw``, a time given in UTC, as the page's own clock shows it, when another of the page's
    dates gives the same instant with a local offset or as local wall time.

    Publishers often serialise one field in UTC and print or declare the time where they are; a
    reader (and an archive) dates a story by the local day, which differs from the UTC day for
    hours every evening. Local wall time without an offset counts when it is a whole number of
    quarter hours from the UTC instant, at most 14 hours: that difference is the page's offset.
    """
    if when is None or raw is None or not raw.endswith("+00:00"):
        return raw
    for value in others:
        parsed = parse_date(value)
        if parsed is None or len(parsed[1]) == 10:
            continue
        other = dt.datetime.fromisoformat(parsed[1])
        if other.utcoffset():
            if other == when:
                return parsed[1]
        elif other.tzinfo is None and _is_offset(offset := other - when.replace(tzinfo=None)):
            return other.replace(tzinfo=dt.timezone(offset)).isoformat()
    return raw


def on_url_day(when: dt.datetime | None, raw: str | None, url_day: str | None) -> str | None:
    """``raw``, a UTC time early in the day, as the day the page's URL names when that is the day
    before: the newsroom dated the story by its own clock, hours behind UTC.

    The day is all the URL shows, so the value becomes that day alone; ``when`` keeps the
    instant. A URL day further off, or a UTC time later in the day, is the day the story was
    drafted, not another clock.
    """
    if when is None or raw is None or url_day is None or not raw.endswith("+00:00"):
        return raw
    if when.time() < _EVENING_BEHIND_UTC and (when.date() - dt.timedelta(days=1)).isoformat() == url_day:
        return url_day
    return raw


def _is_offset(difference: dt.timedelta) -> bool:
    """Whether two clocks this far apart can be UTC and a local clock."""
    return _OFFSET_STEP <= abs(difference) <= _MAX_OFFSET and difference % _OFFSET_STEP == dt.timedelta(0)


# Dates the page shows by itself (a <time>, its address): no evidence for the day it prints.
_SHOWN = frozenset({"time", "url"})
# Declared days this far apart are two dates, not one date on two clocks or editions.
_APART_DAYS = 2


def printed_first(declared: list[tuple[str, str]], page_text: Callable[[], str]) -> list[tuple[str, str]]:
    """``declared`` with the candidates of the day the page prints first, when the page's
    structured dates (JSON-LD, meta tags) fall at least two days apart and its text prints
    exactly one of their days, in numbers.

    Two fields of one page that disagree by days are a stale template field and the live one,
    or a first and a later publication; the reader's date is the one printed on the page, and
    the page's text is a witness independent of its markup. ``page_text`` is read only then.
    """
    day_of = {c: parsed[1][:10] for c in declared if c[0] not in _SHOWN and (parsed := parse_date(c[1])) is not None}
    days = list(dict.fromkeys(day_of.values()))
    ordinals = [dt.date.fromisoformat(day).toordinal() for day in days]
    if max(ordinals, default=0) - min(ordinals, default=0) < _APART_DAYS:
        return declared  # one evening's story dated by the next morning's edition, or UTC and local days
    text = page_text()
    printed = [day for day in days if _prints(text, day)]
    if len(printed) != 1 or printed[0] == days[0]:
        return declared
    first = [c for c in declared if day_of.get(c) == printed[0]]
    return first + [c for c in declared if c not in first]


def _prints(text: str, day: str) -> bool:
    """Whether ``text`` shows ``day`` (ISO) in a numeric form: 2022-01-06, 06.01.2022, 6.1.2022, 2022/01/06."""
    year, month, dom = day.split("-")
    m, d = str(int(month)), str(int(dom))
    forms = rf"{year}-{month}-{dom}|{year}/{month}/{dom}|0?{d}\.\s?0?{m}\.\s?{year}"
    return re.search(rf"(?<![\d.]){forms}(?!\d)", text) is not None
