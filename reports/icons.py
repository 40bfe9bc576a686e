"""Making Data Count's summary icons, drawn as small PNGs with their alt text and word.

MDC summarises an SPC chart with two icons (domain.md §7): **variation** — grey for common
cause, blue (#00B0F0) for special cause improvement, orange (#E46C0A) for concern, purple
(#490092) for neither, lettered H or L for a signal high or low — and **assurance** — P
(the target will consistently be met), F (consistently missed), ? (hit and miss). These are
drawn in the spirit of MDC's icons, not copies of them.

Colour never carries meaning alone: each :class:`Icon` has its alt text and the word the
document prints beside it, and the letter or arrow inside the circle repeats it. Drawing is
deterministic (Agg canvas, DejaVu Sans, no "Software" chunk), so the same reading gives the
same bytes and a report stays byte-for-byte reproducible.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Circle  # noqa: E402

from assurance.report_context.summary import (  # noqa: E402
    ASSURANCE_WORDS,
    VARIATION_WORDS,
    AssuranceKind,
    MdcRow,
    VariationKind,
)

IMPROVEMENT = "#00B0F0"
CONCERN = "#E46C0A"
NEITHER = "#490092"
COMMON = "#A6A6A6"
VARIATION_COLOURS: dict[VariationKind, str] = {
    "improvement": IMPROVEMENT, "concern": CONCERN, "neither": NEITHER,
    "common_cause": COMMON, "none": COMMON}
ASSURANCE_COLOURS: dict[AssuranceKind, str] = {
    "pass": IMPROVEMENT, "fail": CONCERN, "hit_and_miss": COMMON, "none": COMMON}
ASSURANCE_LETTERS: dict[AssuranceKind, str] = {
    "pass": "P", "fail": "F", "hit_and_miss": "?", "none": "\u2013"}
SIZE_PX = 96  # drawn at 96 px and shown at about 0.6 cm: sharp when printed
ICON_CM = 0.6


@dataclass(frozen=True)
class Icon:
    """A summary icon: PNG bytes, the alt text for screen readers and the printed word."""

    png: bytes
    alt: str
    word: str


def _canvas() -> tuple[Figure, Axes]:
    fig = Figure(figsize=(1, 1), dpi=SIZE_PX)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def _save(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=SIZE_PX, metadata={"Software": None}, transparent=False,
                facecolor="white", pil_kwargs={"compress_level": 6})
    return buf.getvalue()


def _ring(ax: Axes, colour: str) -> None:
    ax.add_patch(Circle((0.5, 0.5), 0.41, facecolor="white", edgecolor=colour,
                        linewidth=4))


@lru_cache(maxsize=32)
def _variation_png(kind: VariationKind, high_low: str) -> bytes:
    colour = VARIATION_COLOURS[kind]
    fig, ax = _canvas()
    _ring(ax, colour)
    if kind in ("common_cause", "none"):
        # A flat run of dots: nothing but noise (or, for "none", too few points to tell).
        xs = [0.26, 0.38, 0.5, 0.62, 0.74]
        ys = [0.5, 0.56, 0.46, 0.54, 0.5] if kind == "common_cause" else [0.5] * 5
        ax.plot(xs, ys, color=colour, linewidth=2.5, marker="o", markersize=4)
    else:
        up = high_low != "L"
        ax.annotate("", xy=(0.38, 0.78 if up else 0.22), xytext=(0.38, 0.22 if up else 0.78),
                    arrowprops={"arrowstyle": "-|>", "color": colour, "linewidth": 3,
                                "mutation_scale": 16})
        if high_low:
            ax.text(0.64, 0.5, high_low, color=colour, fontsize=22, fontweight="bold",
                    ha="center", va="center", family="DejaVu Sans")
    return _save(fig)


@lru_cache(maxsize=8)
def _assurance_png(kind: AssuranceKind) -> bytes:
    colour = ASSURANCE_COLOURS[kind]
    fig, ax = _canvas()
    _ring(ax, colour)
    ax.text(0.5, 0.48, ASSURANCE_LETTERS[kind], color=colour, fontsize=34,
            fontweight="bold", ha="center", va="center", family="DejaVu Sans")
    return _save(fig)


_SIDE = {"H": "high", "L": "low"}


def variation_icon(row: MdcRow) -> Icon:
    """The variation icon of one monthly metric, with its alt text and word."""
    side = _SIDE.get(row.high_low, "")
    word = VARIATION_WORDS[row.variation_kind] + (f" ({side})" if side else "")
    alt = (f"Variation icon for {row.title}: {word.lower()}. {row.variation_label}.")
    return Icon(_variation_png(row.variation_kind, row.high_low), alt, word)


def assurance_icon(row: MdcRow) -> Icon:
    """The assurance icon of one monthly metric, with its alt text and word."""
    word = ASSURANCE_WORDS[row.assurance_kind]
    alt = (f"Assurance icon for {row.title}: letter {ASSURANCE_LETTERS[row.assurance_kind]}, "
           f"{word.lower()}. {row.assurance_label}.")
    return Icon(_assurance_png(row.assurance_kind), alt, word)


__all__ = ["ICON_CM", "Icon", "assurance_icon", "variation_icon"]
