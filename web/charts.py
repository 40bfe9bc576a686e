"""Geometry of the dashboard's charts, drawn as inline SVG by the templates.

A trend chart plots a disclosed series (:class:`~assurance.report_context.SeriesPoint`:
withheld points are ``None`` and are left as gaps, never drawn); an SPC chart plots a Making
Data Count XmR view (:class:`~assurance.report_context.SpcView`) with its mean and process
limits, each point's variation carried by shape and its label as well as colour. Every chart
has a ``<title>``/``<desc>`` and the page shows the same numbers in a table beside it
(WCAG 1.1.1: the chart is never the only way to read them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assurance.engine.figures import fmt_value
from assurance.report_context import Band, SeriesPoint, SpcView

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 44, 16, 40


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    text: str
    kind: str = "value"  # value | special_cause_concern | special_cause_improvement | …


@dataclass(frozen=True)
class Tick:
    pos: float
    text: str


@dataclass(frozen=True)
class Line:
    """A horizontal reference line (mean, limits, target, band edge)."""

    y: float
    kind: str  # mean | limit | target | band
    text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    title: str
    description: str
    paths: tuple[tuple[str, str], ...]  # (css class, SVG path data)
    points: tuple[Point, ...]
    lines: tuple[Line, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    band: tuple[float, float] | None  # (top y, bottom y) of the shaded range
    empty: bool
    legend: tuple[str, ...] = ()  # what each line and mark is, in words


class _Scale:
    def __init__(self, values: Sequence[float], n: int) -> None:
        lo, hi = min(values), max(values)
        if hi - lo < 1e-9:
            lo, hi = lo - 1, hi + 1
        pad = (hi - lo) * 0.08
        self.lo, self.hi, self.n = lo - pad, hi + pad, n

    def x(self, i: int) -> float:
        span = WIDTH - LEFT - RIGHT
        return LEFT + (span / 2 if self.n == 1 else span * i / (self.n - 1))

    def y(self, v: float) -> float:
        return round(TOP + (HEIGHT - TOP - BOTTOM) * (self.hi - v) / (self.hi - self.lo), 1)

    def ticks(self, unit: str) -> tuple[Tick, ...]:
        return tuple(Tick(self.y(v), fmt_value(v, unit)) for v in (
            self.lo + (self.hi - self.lo) * k / 4 for k in range(5)))


def _path(xs_ys: Sequence[tuple[float, float] | None]) -> str:
    """An SVG path that breaks at gaps (withheld or missing points)."""
    out, pen = [], False
    for p in xs_ys:
        if p is None:
            pen = False
            continue
        out.append(f"{'L' if pen else 'M'}{p[0]:.1f},{p[1]:.1f}")
        pen = True
    return " ".join(out)


def trend_chart(series: Sequence[SeriesPoint], *, unit: str, title: str, series_label: str,
                reference_label: str = "", band: Band | None = None) -> Chart:
    """The figure over time, its interval as whiskers, the reference group's line and the
    rule's acceptable range when it has one."""
    values = [v for p in series for v in (p.value, p.reference, p.ci_low, p.ci_high)
              if v is not None]
    low = getattr(band, "low", None) if band is not None else None
    high = getattr(band, "high", None) if band is not None else None
    values += [v for v in (low, high) if isinstance(v, int | float)]
    shown = sum(1 for p in series if p.value is not None)
    desc = (f"{series_label or 'Value'} for {len(series)} period(s); {shown} shown"
            + (f", {len(series) - shown} withheld or not calculable" if shown < len(series)
               else "") + ". The table below gives every value.")
    if not values:
        return Chart(WIDTH, HEIGHT, title, desc, (), (), (), (), (), None, True)
    sc = _Scale(values, len(series))
    pts = tuple(Point(sc.x(i), sc.y(p.value), p.label, fmt_value(p.value, unit))
                for i, p in enumerate(series) if p.value is not None)
    paths = [("app-chart__line", _path([(sc.x(i), sc.y(p.value)) if p.value is not None
                                        else None for i, p in enumerate(series)]))]
    if any(p.reference is not None for p in series):
        paths.append(("app-chart__reference", _path(
            [(sc.x(i), sc.y(p.reference)) if p.reference is not None else None
             for i, p in enumerate(series)])))
    paths += [("app-chart__ci", f"M{sc.x(i):.1f},{sc.y(p.ci_low):.1f} L{sc.x(i):.1f},"
               f"{sc.y(p.ci_high):.1f}") for i, p in enumerate(series)
              if p.ci_low is not None and p.ci_high is not None]
    shade = None
    if isinstance(low, int | float) and isinstance(high, int | float):
        shade = (sc.y(high), sc.y(low))
    legend = [f"Solid line and dots: {series_label or 'value'}"]
    if any(p.reference is not None for p in series):
        legend.append(f"dashed line: {reference_label or 'reference'}")
    if any(p.ci_low is not None for p in series):
        legend.append("vertical bars: 95% confidence interval")
    if shade is not None and band is not None:
        legend.append(f"shaded: {band.label}")
    return Chart(WIDTH, HEIGHT, title, desc, tuple(paths), pts, (),
                 tuple(Tick(sc.x(i), p.label) for i, p in enumerate(series)),
                 sc.ticks(unit), shade, False, tuple(legend))


def spc_chart(view: SpcView) -> Chart:
    """An XmR chart: points, mean, process limits and target; signals by shape and class."""
    values = [v for p in view.points for v in (p.value, p.mean, p.lpl, p.upl) if v is not None]
    if view.target is not None:
        values.append(view.target)
    desc = f"{view.variation_label}. {view.assurance_label}. The table below gives every value."
    if not values:
        return Chart(WIDTH, HEIGHT, view.title, desc, (), (), (), (), (), None, True)
    sc = _Scale(values, len(view.points))
    pts = tuple(Point(sc.x(i), sc.y(p.value), p.label, fmt_value(p.value, view.unit),
                      p.point_type) for i, p in enumerate(view.points))
    paths = [("app-chart__line", _path([(p.x, p.y) for p in pts]))]
    for attr, css in (("mean", "app-chart__mean"), ("lpl", "app-chart__limit"),
                      ("upl", "app-chart__limit")):
        paths.append((css, _path([(sc.x(i), sc.y(v)) if (v := getattr(p, attr)) is not None
                                  else None for i, p in enumerate(view.points)])))
    lines = (Line(sc.y(view.target), "target", "Target " + fmt_value(view.target, view.unit)),
             ) if view.target is not None else ()
    step = max(1, len(view.points) // 8)
    legend = ("Solid line: each month", "dark line: mean", "dashed lines: process limits",
              "orange squares: special cause concern", "blue triangles: special cause "
              "improvement") + (("red dashed line: target",) if view.target is not None else ())
    return Chart(WIDTH, HEIGHT, view.title, desc, tuple(paths), pts, lines,
                 tuple(Tick(sc.x(i), p.label) for i, p in enumerate(view.points)
                       if i % step == 0), sc.ticks(view.unit), None, False, legend)
