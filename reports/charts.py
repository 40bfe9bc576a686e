"""Charts for the reports: native Word charts with the alt text that describes them.

Each function returns a :class:`Chart`: a DrawingML chart part (:mod:`reports.chartxml`)
that Word and LibreOffice draw as a vector chart from the numbers it carries, its ``alt``
text saying what it shows — the values, the shaded band and any signals, because a chart
must never be the only way to the facts — and the caption printed under it. Writing a chart
is string formatting (about a millisecond), and the same data gives the same bytes.

Charts:

* :func:`trend_chart` — one indicator over time, its confidence interval, the comparison
  group and the rule's acceptable range shaded;
* :func:`likelihood_charts` — every relative likelihood this period with its 95% interval
  against the non-adverse range 0.80–1.25 (one chart, or one per family when they are many);
* :func:`gap_chart` — Staff Survey indicators, focus group against comparison group;
* :func:`spc_chart` — a Making Data Count XmR chart: mean, process limits, points coloured
  *and shaped* by type (colours from domain.md §7); :func:`spc_chart_svg` and
  :func:`spc_chart_png` draw it as a picture (:mod:`reports.spc_picture`);
* :func:`peer_chart` — Staff Survey results against the benchmarking group's quartiles.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from assurance.engine.figures import fmt_value
from assurance.report_context.model import Band, OutcomeView, PeerView, SpcView
from assurance.wording import counted
from reports.chartxml import ChartSpec, Line, Stack, chart_xml, nice_range
from reports.spc_style import MDC_COLOURS, MDC_SHAPES, MDC_WORDS

WIDTH_CM = 16.0
BAND_FILL = "DCE9F5"
GREY, DARK, INK, EXPECTED, OPEN = "768692", "425563", "231F20", "ED8B00", "D5DADD"
__all__ = ["MDC_COLOURS", "MDC_SHAPES", "MDC_WORDS", "Chart", "gap_chart", "likelihood_charts",
           "SpcChart", "peer_chart", "spc_chart", "spc_chart_png", "spc_chart_svg", "trend_chart"]


@dataclass(frozen=True)
class Chart:
    """A chart: its DrawingML part, alt text, the visible caption and its size on the page."""

    name: str
    part: bytes
    alt: str
    caption: str
    width_cm: float
    height_cm: float


@dataclass(frozen=True)
class SpcChart(Chart):
    """An XmR chart; it can also be drawn as a picture (``assurance spc --png``)."""

    view: SpcView | None = None
    colour: str = "005EB8"

    @property
    def png(self) -> bytes:
        """The chart as a PNG picture (:func:`spc_chart_png`)."""
        assert self.view is not None
        return spc_chart_png(self.view, self.colour)


def _height(inches: float) -> float:
    """The chart's height at :data:`WIDTH_CM` wide, for the proportions of a 6.4 inch wide
    figure ``inches`` high (at least 2.8): the size the charts have always had."""
    return round(WIDTH_CM * max(inches, 2.8) / 6.4, 2)


def _hex(colour: str) -> str:
    return colour.lstrip("#").upper()


def _wrap(text: str, width: int = 70) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _short(o: OutcomeView) -> str:
    """``WDES 4a managers`` rather than the breakdown's long wording."""
    words = o.breakdown.strip(" ()").split()
    return f"{o.metric_label} {words[-1] if words else ''}".strip()


def band_stacks(label: str, low: float, high: float, n: int) -> tuple[Stack, Stack]:
    """A shaded band from ``low`` to ``high`` behind ``n`` categories, as two stacked
    columns: an invisible one lifting the band off zero and the band itself (columns stack
    positive and negative values apart, so a band across zero is two shaded halves)."""
    if low >= 0:
        first, second, shaded = low, high - low, False
    elif high <= 0:
        first, second, shaded = high, low - high, False
    else:
        first, second, shaded = low, high, True
    return (Stack(label, [first] * n, BAND_FILL if shaded else None, legend=False),
            Stack(label, [second] * n, BAND_FILL))


LABEL_EVERY_UP_TO = 12
"""A trend chart labels every value up to this many points (years), else the first and last."""


def _band_limits(band: Band, lo: float, hi: float) -> tuple[float, float]:
    return (band.low if band.low is not None else lo, band.high if band.high is not None else hi)


def trend_chart(o: OutcomeView, org_name: str, colour: str = "005EB8") -> Chart | None:
    """One indicator over time with its interval, comparison line and acceptable band."""
    pts = [p for p in o.series if p.value is not None]
    if len(pts) < 2:
        return None
    expected = dict(zip((p.period for p in o.series), o.expected, strict=False))
    line = [expected.get(p.period) for p in pts]
    unit = o.figure.unit if o.figure else "percent"
    f = lambda v: fmt_value(v, unit)  # noqa: E731
    ys = [p.value for p in pts if p.value is not None]
    lows = [p.ci_low if p.ci_low is not None else p.value for p in pts]
    highs = [p.ci_high if p.ci_high is not None else p.value for p in pts]
    refs = [p.reference for p in pts]
    span = [v for v in (*lows, *highs, *(r for r in refs if r is not None)) if v is not None]
    if o.band is not None:
        span += [v for v in (o.band.low, o.band.high) if v is not None]
    span += [v for v in line if v is not None]
    lo, hi = min(span), max(span)
    pad = (hi - lo) * 0.12 or abs(hi) * 0.1 or 1.0
    # A figure that cannot be negative (a share, a rate, a likelihood) keeps its axis at or
    # above zero, and a percentage at or below 100, however wide the padding.
    y_min, y_max, step = nice_range([lo - pad if lo - pad >= 0 or lo < 0 else 0.0,
                                     hi + pad if unit != "percent" or hi > 100 else
                                     min(hi + pad, 100.0)])
    # Every value is labelled on a short series; a long one (months) labels its first and
    # last values only, so labels never overprint each other (the alt text has them all).
    labelled = [f(y) if len(ys) <= LABEL_EVERY_UP_TO or i in (0, len(ys) - 1) else ""
                for i, y in enumerate(ys)]
    series = [Line(o.series_label or o.metric_label, ys, _hex(colour), 2.0, marker="circle",
                   labels=labelled,
                   errors=([max(y - (y if lw is None else lw), 0.0) for y, lw in zip(ys, lows, strict=True)],
                           [max((y if hg is None else hg) - y, 0.0) for y, hg in zip(ys, highs, strict=True)])
                   if any(p.ci_low is not None for p in pts) else None)]
    if any(r is not None for r in refs):
        series.append(Line(o.reference_label or "comparison", refs, DARK, 1.5, "dash",
                           marker="square"))
    if any(v is not None for v in line):
        series.append(Line(o.expected_label, line, EXPECTED, 2.0, "sysDot"))
    stacks = (band_stacks(o.band.label, *_band_limits(o.band, y_min, y_max), len(pts))
              if o.band is not None else ())
    spec = ChartSpec(_wrap(f"{o.metric_label}{o.breakdown}", 90), [p.label for p in pts],
                     series, stacks, y_min, y_max, step)
    latest = pts[-1]
    band = ""
    if o.band is not None and latest.value is not None:
        above = o.band.high is not None and latest.value > o.band.high
        below = o.band.low is not None and latest.value < o.band.low
        where = "above" if above else "below" if below else "inside"
        band = f" Shaded band: {o.band.label}; the latest value is {where} it."
    ref = ""
    if latest.reference is not None:
        ref = f" Dashed line: {o.reference_label}, latest {f(latest.reference)}."
    if line and line[-1] is not None:
        ref += f" Dotted line: {o.expected_label}, expecting {f(line[-1])} at {latest.label}."
    ci = (f" (95% CI {f(latest.ci_low)} to {f(latest.ci_high)})"
          if latest.ci_low is not None and latest.ci_high is not None else "")
    values = "; ".join(f"{p.label} {f(p.value)}" for p in pts)
    alt = (f"Line chart of {o.metric_label}{o.breakdown} ({o.series_label or o.metric_title}) "
           f"for {org_name}, {pts[0].label} to {latest.label}. Values: {values}. Latest "
           f"{f(latest.value)}{ci}.{band}{ref} {o.trend_text}. Rule status: {o.status_label}.")
    caption = f"{o.metric_label}{o.breakdown} over time. Status: {o.status_label}. {o.trend_text}."
    return Chart(f"trend-{o.rule_id}", chart_xml(spec), alt, caption, WIDTH_CM, _height(3.4))


RL_PER_CHART = 12
"""Relative likelihoods a chart holds: beyond this, their axis labels and data labels crowd
into each other, so they are drawn one chart per family (recruitment, formal processes …)."""
RL_AXIS_CAP = 4.0
"""The top of a relative-likelihood axis unless a value itself is higher: one wide interval
(a handful of cases) would otherwise squash every other figure against the 1.00 line. An
interval reaching past the top is cut there, and the caption and the tables say so."""


def likelihood_charts(outcomes: Sequence[OutcomeView], low: float = 0.80, high: float = 1.25,
                      colour: str = "005EB8") -> list[Chart]:
    """Relative likelihoods this period with intervals, against the non-adverse range: one
    chart while they fit (:data:`RL_PER_CHART`), else one per family (each metric's
    catalogue ``family``; the standards' indicators first), split again if one is larger."""
    rows: dict[str, OutcomeView] = {}
    status: dict[str, str] = {}
    for o in outcomes:
        fig_ = o.figure
        if fig_ is None or fig_.unit != "ratio" or fig_.value is None:
            continue
        rows.setdefault(o.metric, o)
        if o.status == "breach" or o.metric not in status:
            status[o.metric] = o.status_label
    if len(rows) <= RL_PER_CHART:
        return [_likelihood_chart(list(rows.values()), status, low, high, colour, "")] \
            if rows else []
    families: dict[str, list[OutcomeView]] = {}
    for o in rows.values():
        families.setdefault(o.family, []).append(o)
    out = []
    for family, items in sorted(families.items(), key=lambda kv: kv[0] != ""):
        parts = math.ceil(len(items) / RL_PER_CHART)
        size = math.ceil(len(items) / parts)
        name = family or "WRES and WDES"
        for k in range(parts):
            out.append(_likelihood_chart(items[k * size:(k + 1) * size], status, low, high,
                                         colour, name + (f" ({k + 1} of {parts})"
                                                         if parts > 1 else "")))
    return out


def _likelihood_chart(items: Sequence[OutcomeView], status: dict[str, str], low: float,
                      high: float, colour: str, family: str) -> Chart:
    values, below, above, labels = [], [], [], []
    for o in items:
        fv = o.figure
        assert fv is not None and fv.value is not None
        lo_, hi_ = fv.ci if fv.ci else (fv.value, fv.value)
        values.append(fv.value)
        below.append(max(fv.value - lo_, 0.0))
        above.append(max(hi_ - fv.value, 0.0))
        labels.append(f"{fv.value_text}  {status[o.metric]}")
    right = max([high, *(v + a for v, a in zip(values, above, strict=True))])
    cap = max(RL_AXIS_CAP, *values)
    y_min, y_max, step = nice_range([min(right, cap) * 1.15], floor=0.0)
    cut = [o.chart_label or o.metric_label for o, v, a in zip(items, values, above,
                                                               strict=True) if v + a > y_max]
    n = len(items)
    title = "Relative likelihoods with 95% confidence intervals" + (
        f": {family}" if family else "")
    spec = ChartSpec(
        title, [o.chart_label or o.metric_label for o in items],
        [Line("Relative likelihood", values, None, marker="circle", marker_fill=_hex(colour),
              marker_size=7, errors=(below, above), labels=labels, label_pos="r",
              legend=False),
         Line("Equal likelihood (1.00)", [1.0] * n, GREY, 1.0, "sysDot")],
        band_stacks(f"Non-adverse range {low:.2f} to {high:.2f}", low, high, n),
        y_min, y_max, step, y_title="Relative likelihood (1.00 = equal)", gridlines=False)
    parts = []
    for o in items:
        fv = o.figure
        assert fv is not None
        parts.append(f"{o.metric_label} {fv.value_text}" + (f" ({fv.ci_text})" if fv.ci_text
                                                             else "") + f", {status[o.metric]}")
    alt = (f"Dot chart of relative likelihoods with 95% confidence intervals against the "
           f"shaded non-adverse range {low:.2f} to {high:.2f}"
           + (f" ({family})" if family else "") + ": " + "; ".join(parts) + ".")
    caption = ("Relative likelihoods this period. A value above the shaded range with its "
               "whole interval beyond it is a significant adverse difference.")
    if cut:
        caption += (f" The interval of {_listed(cut)} reaches past {y_max:g} and is "
                    "cut at the top of the chart; the tables give it in full.")
    slug = "-".join(re.findall(r"[a-z0-9]+", family.lower()))
    return Chart("relative-likelihoods" + (f"-{slug}" if slug else ""), chart_xml(spec), alt,
                 caption, WIDTH_CM, _height(1.5 + 0.4 * max(n, 4)))


def _listed(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def gap_chart(outcomes: Sequence[OutcomeView], colour: str = "005EB8") -> Chart | None:
    """Staff Survey indicators: focus group against comparison group, this survey year."""
    rows: dict[tuple[str, str], tuple[OutcomeView, float, float, str, str]] = {}
    for o in outcomes:
        fv = o.figure
        if fv is None or fv.unit != "percent" or fv.value is None:
            continue
        groups = {g.role: g for g in fv.groups}
        foc, ref = groups.get("focus"), groups.get("reference")
        if foc is None or ref is None or foc.value is None or ref.value is None:
            continue
        if foc.numerator is not None:  # counts-based shares are not survey gaps
            continue
        rows.setdefault((o.metric, o.breakdown), (o, foc.value, ref.value, foc.label, ref.label))
    if not rows:
        return None
    items = list(rows.values())
    spec = ChartSpec(
        "NHS Staff Survey indicators by group", [_short(o) for o, *_ in items],
        [Line("BME or Disabled staff", [fv for _, fv, *_ in items], None, marker="circle",
              marker_fill=_hex(colour), marker_size=7),
         # "Open": a pale fill inside a dark edge (LibreOffice draws a marker in its fill
         # alone, so a white one would vanish there).
         Line("White or non-disabled staff", [rv for _, _, rv, *_ in items], None,
              marker="square", marker_fill=OPEN, marker_line=DARK, marker_size=7)],
        y_min=0.0, y_max=100.0, y_step=20.0, y_title="% of staff responding",
        hi_low_lines=True)
    alt = ("Dot chart of Staff Survey indicators comparing two groups: " + "; ".join(
        f"{o.metric_label}{o.breakdown} {fl} {fv:.1f}% against {rl} {rv:.1f}% "
        f"({o.status_label})" for o, fv, rv, fl, rl in items) + ".")
    caption = "Staff Survey indicators: filled circles BME or Disabled staff, open squares " \
              "White or non-disabled staff."
    return Chart("survey-gaps", chart_xml(spec), alt, caption, WIDTH_CM,
                 _height(1.5 + 0.34 * max(len(items), 5)))


def _spc_words(v: SpcView) -> tuple[str, str]:
    """The alt text and caption of the XmR chart of ``v``."""
    f = lambda x: fmt_value(x, v.unit)  # noqa: E731
    n = len(v.points)
    last = v.points[-1]
    special = [p for p in v.points if p.point_type != "common_cause"]
    if v.limits_available and last.mean is not None:
        limits = f" Mean {f(last.mean)}, process limits {f(last.lpl)} to {f(last.upl)}."
    elif last.mean is not None:
        limits = f" Mean {f(last.mean)}; no process limits: too few points."
    else:
        limits = " No process limits: too few points."
    signals = (f" {counted(len(special), 'special cause point')}: " + ", ".join(
        f"{p.label} ({MDC_WORDS[p.point_type].split(': ')[-1]})" for p in special) + "."
               if special else " No special cause points.")
    alt = (f"Making Data Count XmR chart of {v.title}, {v.points[0].label} to {last.label} "
           f"({n} points); latest {f(last.value)}.{limits}{signals} Variation: "
           f"{v.variation_label}. Assurance: {v.assurance_label}.")
    caption = f"{v.variation_label}. {v.assurance_label}."
    return alt, caption


def spc_chart(v: SpcView, colour: str = "005EB8") -> SpcChart:
    """A Making Data Count XmR chart with the variation and assurance reading."""
    n = len(v.points)
    last = v.points[-1]
    values = [p.value for p in v.points]
    series = [Line("Monthly values", values, GREY, 1.0, legend=False)]
    for kind, words in MDC_WORDS.items():
        if any(p.point_type == kind for p in v.points):
            series.append(Line(words, [p.value if p.point_type == kind else None
                                       for p in v.points], None, marker=MDC_SHAPES[kind],
                               marker_fill=MDC_COLOURS[kind], marker_size=6))
    # Making Data Count shows the mean of a series too short for limits; NHSRplotthedots
    # (and a view without a mean) shows neither.
    if v.limits_available or last.mean is not None:
        for attr, dash, label in (("mean", "solid", "Mean"), ("upl", "dash", "Process limits"),
                                  ("lpl", "dash", "")):
            line = [getattr(p, attr) for p in v.points]
            if any(x is not None for x in line):
                series.append(Line(label or "Lower process limit", line, INK,
                                   1.1 if attr == "mean" else 0.9, dash, legend=bool(label)))
    if v.target is not None:
        series.append(Line("Target", [v.target] * n, _hex(colour), 1.25, "sysDot"))
    y_min, y_max, step = nice_range([x for s in series for x in s.values])
    spec = ChartSpec(_wrap(f"SPC: {v.title}", 90), [p.label for p in v.points], series,
                     y_min=y_min, y_max=y_max, y_step=step, label_skip=max(1, -(-n // 7)))
    alt, caption = _spc_words(v)
    return SpcChart(f"spc-{v.metric}", chart_xml(spec), alt, caption, WIDTH_CM, _height(3.5),
                    v, colour)


def spc_chart_svg(v: SpcView, colour: str = "005EB8") -> bytes:
    """The chart of :func:`spc_chart` as an SVG picture (UTF-8 bytes, no date in it, so the
    same data gives the same bytes). The SVG carries no alt text: take it from
    :func:`spc_chart`."""
    from reports.spc_picture import spc_svg  # matplotlib, only for a picture

    return spc_svg(v, colour)


def spc_chart_png(v: SpcView, colour: str = "005EB8") -> bytes:
    """The chart of :func:`spc_chart` as a PNG picture (``assurance spc --png``)."""
    from reports.spc_picture import spc_png  # matplotlib, only for a picture

    return spc_png(v, colour)


def peer_chart(peers: Sequence[PeerView], colour: str = "005EB8") -> Chart | None:
    """Each Staff Survey result against its benchmarking group's range and quartiles."""
    if not peers:
        return None
    n = len(peers)
    y_min, y_max, step = nice_range([x for p in peers for x in (p.low, p.high)])
    spec = ChartSpec(
        "NHS Staff Survey results against the benchmarking group", [p.title for p in peers],
        [Line("Lowest", [p.low for p in peers], legend=False),
         Line("Highest", [p.high for p in peers], legend=False),
         Line("Median", [p.median for p in peers], marker="dash", marker_fill=INK,
              marker_size=14),
         Line("This organisation", [p.value for p in peers], marker="diamond",
              marker_fill=_hex(colour), marker_size=8, label_pos="r",
              labels=[f"{p.value_text}, {p.position}" for p in peers])],
        (Stack("Lower quarter", [p.q1 for p in peers], None, legend=False),
         Stack("Middle half (quartiles)", [p.q3 - p.q1 for p in peers], GREY)),
        y_min, y_max, step, hi_low_lines=True, gap_width=180)
    alt = ("Peer comparison with the benchmarking group: for each Staff Survey measure a line "
           "shows the range, a thick bar the middle half (quartiles), a tick the median and a "
           "diamond this organisation. " + " ".join(f"{p.title}: {p.summary}" for p in peers))
    caption = ("Diamond: this organisation. Thick bar: middle half of the benchmarking group; "
               "tick: median; thin line: lowest to highest.")
    return Chart("peers", chart_xml(spec), alt, caption, WIDTH_CM, _height(0.3 + 0.95 * min(n, 4)))
