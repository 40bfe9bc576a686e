"""A Making Data Count XmR chart as a picture (PNG or SVG), for ``assurance spc --png/--svg``.

The Word documents carry their charts as native chart parts (:mod:`reports.charts`); a chart
on its own, outside a document, is a picture drawn here with matplotlib's Agg canvas (no
pyplot, no display, no global state) in DejaVu Sans, which ships with matplotlib, saved
without the "Software" text chunk or a date, so the same data gives the same bytes on any
machine with the same matplotlib. Points are coloured *and shaped* by type (colours and
markers from domain.md §7, the same as the document charts').
"""

from __future__ import annotations

import io
import textwrap
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import rc_context  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from assurance.report_context.model import SpcView  # noqa: E402
from reports.spc_style import MDC_COLOURS, MDC_WORDS  # noqa: E402

DPI = 150
WIDTH_IN = 6.4
MDC_MARKERS = {"common_cause": "o", "special_cause_improvement": "s",
               "special_cause_concern": "D", "special_cause_neither": "P"}
STYLE: Any = {"font.family": "DejaVu Sans", "font.size": 9, "axes.spines.top": False,
              "axes.spines.right": False, "axes.titlesize": 10, "axes.titleweight": "bold",
              "legend.fontsize": 8, "legend.frameon": False, "svg.hashsalt": "assurance"}


def _figure(v: SpcView, colour: str) -> Figure:
    n = len(v.points)
    last = v.points[-1]
    # Making Data Count shows the mean of a series too short for limits; NHSRplotthedots
    # (and a view without a mean) shows neither.
    lines = v.limits_available or last.mean is not None
    height = 3.5
    with rc_context(STYLE):
        fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
        FigureCanvasAgg(fig)
        fig.subplots_adjust(left=0.09, right=0.97, top=1 - 0.55 / height,
                            bottom=1.0 / height, hspace=1.2)
        ax = fig.add_subplot()
        xs = list(range(n))
        ax.plot(xs, [p.value for p in v.points], color="#768692", linewidth=1, zorder=1)
        for kind, words in MDC_WORDS.items():
            sel = [(x, p.value) for x, p in zip(xs, v.points, strict=True) if p.point_type == kind]
            if sel:
                ax.scatter([s[0] for s in sel], [s[1] for s in sel], s=26,
                           color="#" + MDC_COLOURS[kind], marker=MDC_MARKERS[kind], zorder=3,
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
            ax.axhline(v.target, color="#" + colour.lstrip("#"), linestyle=":", label="Target")
        step = max(1, -(-n // 7))
        ax.set_xticks(xs[::step], [p.label for p in v.points][::step])
        ax.set_title("\n".join(textwrap.wrap(f"SPC: {v.title}", 90)), loc="left")
        handles, labels = ax.get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=3)
        ax.grid(axis="y", color="#E8EDEE")
    return fig


def spc_png(v: SpcView, colour: str = "005EB8") -> bytes:
    """The XmR chart of ``v`` as PNG bytes."""
    buf = io.BytesIO()
    _figure(v, colour).savefig(buf, format="png", dpi=DPI, metadata={"Software": None},
                               pil_kwargs={"compress_level": 3})
    return buf.getvalue()


def spc_svg(v: SpcView, colour: str = "005EB8") -> bytes:
    """The XmR chart of ``v`` as SVG (UTF-8 bytes) with no date in it."""
    buf = io.BytesIO()
    fig = _figure(v, colour)
    with rc_context(STYLE):  # svg.hashsalt: stable element ids
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()
