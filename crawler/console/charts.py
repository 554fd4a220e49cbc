"""Charts as SVG geometry computed here and drawn by the templates: no script, no library, and
nothing a page's data could run."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

WIDTH, HEIGHT, PAD = 600, 140, 24


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    day: dt.date
    value: int


@dataclass(frozen=True)
class DailyChart:
    points: list[Point]
    top: int
    # The band of the mean ± 2 standard deviations, as y coordinates (top, bottom), when given.
    band: tuple[float, float] | None

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def daily_chart(daily: list[tuple[dt.date, int]], band: tuple[float, float] | None = None) -> DailyChart:
    """One point per day, left to right, scaled to the largest count (or the band's top)."""
    top = max([n for _, n in daily] + ([int(band[1]) + 1] if band else []) + [1])

    def y(value: float) -> float:
        return HEIGHT - PAD - (HEIGHT - 2 * PAD) * value / top

    step = (WIDTH - 2 * PAD) / max(1, len(daily) - 1)
    points = [Point(PAD + i * step, y(n), day, n) for i, (day, n) in enumerate(daily)]
    shade = (y(band[1]), y(max(0.0, band[0]))) if band else None
    return DailyChart(points, top, shade)
