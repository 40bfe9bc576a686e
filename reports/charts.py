"""Charts for the reports: deterministic PNGs with the alt text that describes them.

Every chart is drawn with matplotlib's Agg canvas (no pyplot, no display, no global state)
in DejaVu Sans, which ships with matplotlib, and saved without the "Software" text chunk, so
the same data gives the same bytes on any machine with the same matplotlib. Each function
returns a :class:`Chart` whose ``alt`` text says what the picture shows — the values, the
shaded band and any signals — because a picture must never be the only way to the facts.

Charts:

* :func:`trend_chart` — one indicator over time, its confidence interval, the comparison
  group and the rule's acceptable range shaded;
* :func:`likelihood_chart` — every relative likelihood this period with its 95% interval
  against the non-adverse range 0.80–1.25;
* :func:`gap_chart` — Staff Survey indicators, focus group against comparison group;
* :func:`spc_chart` — a Making Data Count XmR chart: mean, process limits, points coloured
  *and shaped* by type (colours from domain.md §7); :func:`spc_chart_svg` draws it as SVG;
* :func:`peer_chart` — Staff Survey results against the benchmarking group's quartiles.

Drawn once per process for the same data: each chart function keeps its last
:data:`CACHE_SIZE` charts, keyed by its arguments (the report context's frozen views), so a
process writing a board report and then the evidence pack that contains it, or the same
report twice, draws each chart once. The same data gives the same bytes, so a cached chart
is the chart drawn afresh (a test compares them); :func:`clear_cache` empties the caches.
"""

from __future__ import annotations

import functools
import io
import struct
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import matplotlib

matplotlib.use("Agg")

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from assurance.engine.figures import fmt_value
from assurance.report_context.model import OutcomeView, PeerView, SpcView

DPI = 150
WIDTH_IN = 6.4
MDC_COLOURS = {"common_cause": "#A6A6A6", "special_cause_improvement": "#00B0F0",
               "special_cause_concern": "#E46C0A", "special_cause_neither": "#490092"}
MDC_MARKERS = {"common_cause": "o", "special_cause_improvement": "s",
               "special_cause_concern": "D", "special_cause_neither": "P"}
MDC_WORDS = {"common_cause": "Common cause", "special_cause_improvement": "Special cause: "
             "improvement", "special_cause_concern": "Special cause: concern",
             "special_cause_neither": "Special cause: neither"}
BAND_FILL = "#DCE9F5"
STYLE: Any = {"font.family": "DejaVu Sans", "font.size": 9, "axes.spines.top": False,
         "axes.spines.right": False, "axes.titlesize": 10, "axes.titleweight": "bold",
         "legend.fontsize": 8, "legend.frameon": False, "svg.hashsalt": "assurance"}


CACHE_SIZE = 32
"""Charts each chart function keeps per process (a board report draws up to ten)."""

_P = ParamSpec("_P")
_R = TypeVar("_R")
_CACHED: list[Any] = []


def _cached(draw: Callable[_P, _R]) -> Callable[_P, _R]:
    """``draw`` with a per-process cache keyed by its arguments; arguments that cannot be
    hashed (a caller's list of views) are drawn afresh."""
    memo = functools.lru_cache(maxsize=CACHE_SIZE)(draw)
    _CACHED.append(memo)

    @functools.wraps(draw)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            hash((args, tuple(kwargs.items())))
        except TypeError:  # e.g. a list of views: nothing to key the cache by
            return draw(*args, **kwargs)
        return memo(*args, **kwargs)  # type: ignore[arg-type]

    return wrapper


def clear_cache() -> None:
    """Forget every cached chart (the next call draws afresh)."""
    for memo in _CACHED:
        memo.cache_clear()


@dataclass(frozen=True)
class Chart:
    """A rendered chart: PNG bytes, alt text, a visible caption and its pixel size."""

    name: str
    png: bytes
    alt: str
    caption: str
    width_px: int
    height_px: int


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    w, h = struct.unpack(">II", data[16:24])
    return int(w), int(h)


def _figure(height_in: float, *, left: float = 0.09, right: float = 0.97, top_in: float = 0.55,
            bottom_in: float = 0.45) -> Figure:
    """A figure with fixed margins (inches at top and bottom, fractions at the sides).

    Fixed margins rather than a layout engine: half the drawing time, same bytes every run.
    """
    height = max(height_in, 2.8)
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=left, right=right, top=1 - top_in / height,
                        bottom=bottom_in / height, hspace=1.2)
    return fig


def _png(fig: Figure, name: str, alt: str, caption: str) -> Chart:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None},
                pil_kwargs={"compress_level": 3})
    data = buf.getvalue()
    w, h = png_size(data)
    return Chart(name, data, alt, caption, w, h)


def _legend_below(fig: Figure, ax: Axes, ncol: int = 3) -> None:
    """Legend at the foot of the figure, across its width (never over the data)."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=ncol)


def _hex(colour: str) -> str:
    return "#" + colour.lstrip("#")


def _wrap(text: str, width: int = 70) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _short(o: OutcomeView) -> str:
    """``WDES 4a managers`` rather than the breakdown's long wording."""
    words = o.breakdown.strip(" ()").split()
    return f"{o.metric_label} {words[-1] if words else ''}".strip()


@_cached
def trend_chart(o: OutcomeView, org_name: str, colour: str = "005EB8") -> Chart | None:
    """One indicator over time with its interval, comparison line and acceptable band."""
    pts = [p for p in o.series if p.value is not None]
    if len(pts) < 2:
        return None
    expected = dict(zip((p.period for p in o.series), o.expected, strict=False))
    line = [expected.get(p.period) for p in pts]
    unit = o.figure.unit if o.figure else "percent"
    f = lambda v: fmt_value(v, unit)  # noqa: E731
    with rc_context(STYLE):
        fig = _figure(3.4, bottom_in=0.95)
        ax = fig.add_subplot()
        xs = list(range(len(pts)))
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
        ax.set_ylim(lo - pad, hi + pad)
        if o.band is not None:
            ax.axhspan(o.band.low if o.band.low is not None else lo - pad,
                       o.band.high if o.band.high is not None else hi + pad,
                       color=BAND_FILL, zorder=0, label=o.band.label)
        if any(p.ci_low is not None for p in pts):
            # Clamped at 0: an interval end can sit a rounding error inside its value.
            err = [[max(y - (y if lw is None else lw), 0.0) for y, lw in zip(ys, lows, strict=True)],
                   [max((y if hg is None else hg) - y, 0.0) for y, hg in zip(ys, highs,
                                                                          strict=True)]]
            ax.errorbar(xs, ys, yerr=err, fmt="none", ecolor="#425563", elinewidth=1,
                        capsize=3, zorder=2, label="95% confidence interval")
        ax.plot(xs, ys, marker="o", color=_hex(colour), linewidth=2, zorder=3,
                label=o.series_label or o.metric_label)
        if any(r is not None for r in refs):
            ax.plot(xs, [r if r is not None else float("nan") for r in refs], marker="s",
                    linestyle="--", color="#425563", linewidth=1.5, zorder=3,
                    label=o.reference_label or "comparison")
        if any(v is not None for v in line):
            ax.plot(xs, [v if v is not None else float("nan") for v in line], linestyle=":",
                    color="#ED8B00", linewidth=2, zorder=2, label=o.expected_label)
        for x, y in zip(xs, ys, strict=True):
            ax.annotate(f(y), (x, y), textcoords="offset points", xytext=(0, 7), ha="center",
                        fontsize=8)
        ax.set_xticks(xs, [p.label for p in pts])
        ax.set_title(_wrap(f"{o.metric_label}{o.breakdown}", 90), loc="left")
        _legend_below(fig, ax)
        ax.grid(axis="y", color="#E8EDEE")
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
    return _png(fig, f"trend-{o.rule_id}", alt, caption)


@_cached
def likelihood_chart(outcomes: Sequence[OutcomeView], low: float = 0.80, high: float = 1.25,
                     colour: str = "005EB8") -> Chart | None:
    """Relative likelihoods this period with intervals, against the non-adverse range."""
    rows: dict[str, OutcomeView] = {}
    status: dict[str, str] = {}
    for o in outcomes:
        fig_ = o.figure
        if fig_ is None or fig_.unit != "ratio" or fig_.value is None:
            continue
        rows.setdefault(o.metric, o)
        if o.status == "breach" or o.metric not in status:
            status[o.metric] = o.status_label
    if not rows:
        return None
    items = list(rows.values())
    with rc_context(STYLE):
        fig = _figure(1.5 + 0.4 * len(items), left=0.14, top_in=0.4, bottom_in=1.05)
        ax = fig.add_subplot()
        ax.axvspan(low, high, color=BAND_FILL, zorder=0,
                   label=f"Non-adverse range {low:.2f} to {high:.2f}")
        ax.axvline(1.0, color="#768692", linewidth=1, linestyle=":", zorder=1,
                   label="Equal likelihood (1.00)")
        ys = list(range(len(items)))[::-1]
        right = high
        for y, o in zip(ys, items, strict=True):
            fv = o.figure
            assert fv is not None and fv.value is not None
            lo_, hi_ = fv.ci if fv.ci else (fv.value, fv.value)
            right = max(right, hi_)
            ax.errorbar([fv.value], [y], xerr=[[max(fv.value - lo_, 0.0)],
                                               [max(hi_ - fv.value, 0.0)]], fmt="o",
                        color=_hex(colour), ecolor="#425563", capsize=3, zorder=3)
        for y, o in zip(ys, items, strict=True):
            fv = o.figure
            assert fv is not None
            ax.text(right * 1.04, y, f"{fv.value_text}  {status[o.metric]}", va="center",
                    fontsize=8)
        ax.set_xlim(0, right * 1.35)
        ax.set_yticks(ys, [o.metric_label for o in items])
        ax.set_xlabel("Relative likelihood (1.00 = equal)")
        ax.set_title("Relative likelihoods with 95% confidence intervals", loc="left")
        _legend_below(fig, ax, 2)
    parts = []
    for o in items:
        fv = o.figure
        assert fv is not None
        parts.append(f"{o.metric_label} {fv.value_text}" + (f" ({fv.ci_text})" if fv.ci_text
                                                             else "") + f", {status[o.metric]}")
    alt = (f"Dot chart of relative likelihoods with 95% confidence intervals against the "
           f"shaded non-adverse range {low:.2f} to {high:.2f}: " + "; ".join(parts) + ".")
    caption = ("Relative likelihoods this period. A value above the shaded range with its "
               "whole interval beyond it is a significant adverse difference.")
    return _png(fig, "relative-likelihoods", alt, caption)


@_cached
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
    with rc_context(STYLE):
        fig = _figure(1.5 + 0.34 * len(items), left=0.22, right=0.62, top_in=0.4,
                      bottom_in=1.05)
        ax = fig.add_subplot()
        ys = list(range(len(items)))[::-1]
        for i, (y, (_o, focus, other, focus_label, other_label)) in enumerate(
                zip(ys, items, strict=True)):
            ax.plot([other, focus], [y, y], color="#AEB7BD", linewidth=2, zorder=1)
            ax.scatter([focus], [y], s=36, color=_hex(colour), marker="o", zorder=3,
                       label="BME or Disabled staff" if i == 0 else None)
            ax.scatter([other], [y], s=36, facecolor="white", edgecolor="#425563", marker="s",
                       zorder=3, label="White or non-disabled staff" if i == 0 else None)
            ax.text(104, y, f"{focus_label} {focus:.1f}% vs {other_label} {other:.1f}%",
                    va="center", fontsize=7.5, clip_on=False)
        ax.set_xlim(0, 100)
        ax.set_yticks(ys, [_short(o) for o, *_ in items])
        ax.set_xlabel("% of staff responding")
        ax.set_title("NHS Staff Survey indicators by group", loc="left")
        _legend_below(fig, ax, 2)
    alt = ("Dot chart of Staff Survey indicators comparing two groups: " + "; ".join(
        f"{o.metric_label}{o.breakdown} {fl} {fv:.1f}% against {rl} {rv:.1f}% "
        f"({o.status_label})" for o, fv, rv, fl, rl in items) + ".")
    caption = "Staff Survey indicators: filled circles BME or Disabled staff, open squares " \
              "White or non-disabled staff."
    return _png(fig, "survey-gaps", alt, caption)


def _spc_figure(v: SpcView, colour: str) -> tuple[Figure, str, str]:
    """The XmR chart of ``v`` with its alt text and caption."""
    f = lambda x: fmt_value(x, v.unit)  # noqa: E731
    n = len(v.points)
    last = v.points[-1]
    # Making Data Count shows the mean of a series too short for limits; NHSRplotthedots
    # (and a view without a mean) shows neither.
    lines = v.limits_available or last.mean is not None
    with rc_context(STYLE):
        fig = _figure(3.5, bottom_in=1.0)
        ax = fig.add_subplot()
        xs = list(range(n))
        ax.plot(xs, [p.value for p in v.points], color="#768692", linewidth=1, zorder=1)
        for kind, words in MDC_WORDS.items():
            sel = [(x, p.value) for x, p in zip(xs, v.points, strict=True) if p.point_type == kind]
            if sel:
                ax.scatter([s[0] for s in sel], [s[1] for s in sel], s=26,
                           color=MDC_COLOURS[kind], marker=MDC_MARKERS[kind], zorder=3,
                           label=words)
        if lines:
            for attr, style, label in (("mean", "-", "Mean"), ("upl", "--", "Process limits"),
                                       ("lpl", "--", None)):
                vals = [getattr(p, attr) for p in v.points]
                if all(x is None for x in vals):
                    continue
                ax.plot(xs, [x if x is not None else float("nan") for x in vals], color="#231F20",
                        linestyle=style, linewidth=1.1 if attr == "mean" else 0.9, zorder=2,
                        label=label)
        if v.target is not None:
            ax.axhline(v.target, color=_hex(colour), linestyle=":", label="Target")
        step = max(1, -(-n // 7))
        ax.set_xticks(xs[::step], [p.label for p in v.points][::step])
        ax.set_title(_wrap(f"SPC: {v.title}", 90), loc="left")
        _legend_below(fig, ax)
        ax.grid(axis="y", color="#E8EDEE")
    special = [p for p in v.points if p.point_type != "common_cause"]
    if v.limits_available and last.mean is not None:
        limits = f" Mean {f(last.mean)}, process limits {f(last.lpl)} to {f(last.upl)}."
    elif last.mean is not None:
        limits = f" Mean {f(last.mean)}; no process limits: too few points."
    else:
        limits = " No process limits: too few points."
    signals = (f" {len(special)} special cause point(s): " + ", ".join(
        f"{p.label} ({MDC_WORDS[p.point_type].split(': ')[-1]})" for p in special) + "."
               if special else " No special cause points.")
    alt = (f"Making Data Count XmR chart of {v.title}, {v.points[0].label} to {last.label} "
           f"({n} points); latest {f(last.value)}.{limits}{signals} Variation: "
           f"{v.variation_label}. Assurance: {v.assurance_label}.")
    caption = f"{v.variation_label}. {v.assurance_label}."
    return fig, alt, caption


@_cached
def spc_chart(v: SpcView, colour: str = "005EB8") -> Chart:
    """A Making Data Count XmR chart with the variation and assurance reading (PNG)."""
    fig, alt, caption = _spc_figure(v, colour)
    return _png(fig, f"spc-{v.metric}", alt, caption)


def spc_chart_svg(v: SpcView, colour: str = "005EB8") -> bytes:
    """The chart of :func:`spc_chart` as SVG (UTF-8 bytes) with no date in it, so the same
    data gives the same bytes. The SVG carries no alt text: take it from :func:`spc_chart`."""
    fig, _alt, _caption = _spc_figure(v, colour)
    buf = io.BytesIO()
    with rc_context(STYLE):  # svg.hashsalt: stable element ids
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


@_cached
def peer_chart(peers: Sequence[PeerView], colour: str = "005EB8") -> Chart | None:
    """Each Staff Survey result against its benchmarking group's range and quartiles."""
    if not peers:
        return None
    with rc_context(STYLE):
        fig = _figure(0.3 + 0.95 * len(peers), left=0.04, top_in=0.35, bottom_in=0.3)
        fig.subplots_adjust(hspace=2.2)
        axes = fig.subplots(len(peers), 1, squeeze=False)[:, 0]
        for ax, p in zip(axes, peers, strict=True):
            ax.plot([p.low, p.high], [0, 0], color="#AEB7BD", linewidth=1.5)
            ax.plot([p.q1, p.q3], [0, 0], color="#768692", linewidth=7, solid_capstyle="butt")
            ax.plot([p.median], [0], marker="|", markersize=14, color="#231F20")
            ax.plot([p.value], [0], marker="D", markersize=7, color=_hex(colour))
            pad = (p.high - p.low) * 0.05 or 1
            ax.set_xlim(p.low - pad, p.high + pad)
            ax.set_yticks([])
            ax.spines["left"].set_visible(False)
            ax.tick_params(axis="x", labelsize=7)
            ax.set_title(_wrap(f"{p.title}: {p.value_text}, {p.position}", 110), loc="left",
                         fontsize=7.5, fontweight="normal")
    alt = ("Peer comparison with the benchmarking group: for each Staff Survey measure a line "
           "shows the range, a thick bar the middle half (quartiles), a tick the median and a "
           "diamond this organisation. " + " ".join(f"{p.title}: {p.summary}" for p in peers))
    caption = ("Diamond: this organisation. Thick bar: middle half of the benchmarking group; "
               "tick: median; thin line: lowest to highest.")
    return _png(fig, "peers", alt, caption)
