"""Native Word charts: DrawingML chart parts (``c:chartSpace``) written as text.

A chart in a Word document can be a picture or a chart part that Word and LibreOffice draw
themselves, as vector graphics, from the numbers the part carries. The reports' charts are
chart parts: writing one is a few milliseconds of string formatting where drawing and
encoding a PNG took 60–90 ms, the figures stay in the document (a reader can see the
values behind every point), and the chart prints sharp at any size.

:class:`ChartSpec` is the one chart form every report chart is built from: categories along
the horizontal axis, stacked columns underneath (:class:`Stack`: shaded bands and ranges, an
invisible segment lifting a band off zero) and lines or markers on top (:class:`Line`:
values with optional error bars and a label per point). :func:`chart_xml` writes it as a
standalone chart part with its values as literals (``c:strLit``/``c:numLit``, no embedded
workbook), elements in the order the schema demands (Word refuses a part out of order), no
date or random id: the same spec gives the same bytes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/chart"
GRAPHIC_URI = "http://schemas.openxmlformats.org/drawingml/2006/chart"
NS_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
FONT = "Arial"
MARKERS = ("none", "circle", "square", "diamond", "plus", "dash", "triangle", "x")
DASHES = ("solid", "dash", "sysDot", "sysDash")
_CAT_AX, _VAL_AX = 500100, 500200
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Line:
    """A series drawn as a line, markers, or both, one value per category (``None``: a gap).

    Args:
        name: its legend entry.
        values: one per category.
        colour: the line's colour (``RRGGBB``), ``None`` for markers only.
        width_pt: line width.
        dash: ``solid``, ``dash``, ``sysDot`` or ``sysDash``.
        marker: one of :data:`MARKERS`.
        marker_fill: the marker's fill (default: ``colour``), ``""`` for hollow.
        marker_line: the marker's outline (default: its fill).
        marker_size: 2–72 points.
        errors: (below, above) distances per category: a vertical error bar.
        labels: a data label per category (``""``: none).
        label_pos: where the labels sit: ``t`` above, ``b`` below, ``l``/``r`` beside.
        legend: whether the legend lists it.
    """

    name: str
    values: Sequence[float | None]
    colour: str | None = None
    width_pt: float = 1.5
    dash: str = "solid"
    marker: str = "none"
    marker_fill: str | None = None
    marker_line: str | None = None
    marker_size: int = 6
    errors: tuple[Sequence[float | None], Sequence[float | None]] | None = None
    labels: Sequence[str] | None = None
    label_pos: str = "t"
    legend: bool = True


@dataclass(frozen=True)
class Stack:
    """A stacked column segment per category: ``fill`` ``None`` is an invisible segment."""

    name: str
    values: Sequence[float | None]
    fill: str | None
    legend: bool = True


@dataclass(frozen=True)
class ChartSpec:
    """One chart: title, categories, stacked columns under lines, and the value axis.

    ``hi_low_lines`` joins each category's highest and lowest line value with a thin line;
    ``label_skip`` labels every n-th category; ``gap_width`` is the space between column
    groups as a percentage of a column's width (0: columns touch, so a band is unbroken).
    """

    title: str
    categories: Sequence[str]
    lines: Sequence[Line]
    stacks: Sequence[Stack] = ()
    y_min: float | None = None
    y_max: float | None = None
    y_step: float | None = None
    y_title: str = ""
    x_title: str = ""
    gridlines: bool = True
    hi_low_lines: bool = False
    label_skip: int = 1
    gap_width: int = 0
    legend: bool = True


def _text(value: str) -> str:
    return escape(_NOT_XML.sub("\ufffd", value))


def _num(v: float) -> str:
    """A number as the part stores it: ``repr`` round-trips exactly (no rounding here; the
    labels carry the rounded words)."""
    return repr(float(v))


def _fill(colour: str | None) -> str:
    return "<a:noFill/>" if not colour else f'<a:solidFill><a:srgbClr val="{colour}"/></a:solidFill>'


def _ln(colour: str | None, width_pt: float = 0.75, dash: str = "solid") -> str:
    if not colour:
        return "<a:ln><a:noFill/></a:ln>"
    dash_xml = f'<a:prstDash val="{dash}"/>' if dash != "solid" else ""
    return (f'<a:ln w="{round(width_pt * 12700)}" cap="rnd">{_fill(colour)}{dash_xml}'
            "<a:round/></a:ln>")


def _rich(text: str, size: int, bold: bool = False) -> str:
    b = ' b="1"' if bold else ' b="0"'
    paragraphs = "".join(
        f'<a:p><a:pPr><a:defRPr sz="{size}"{b}/></a:pPr><a:r><a:rPr lang="en-GB" sz="{size}"'
        f'{b}/><a:t>{_text(line)}</a:t></a:r></a:p>' for line in text.split("\n"))
    return f"<c:rich><a:bodyPr/><a:lstStyle/>{paragraphs}</c:rich>"


def _txpr(size: int) -> str:
    return (f'<c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="{size}">'
            f'<a:latin typeface="{FONT}"/><a:cs typeface="{FONT}"/></a:defRPr></a:pPr>'
            '<a:endParaRPr lang="en-GB"/></a:p></c:txPr>')


def _str_lit(values: Sequence[str]) -> str:
    pts = "".join(f'<c:pt idx="{i}"><c:v>{_text(v)}</c:v></c:pt>' for i, v in enumerate(values))
    return f'<c:strLit><c:ptCount val="{len(values)}"/>{pts}</c:strLit>'


def _num_lit(values: Sequence[float | None]) -> str:
    pts = "".join(f'<c:pt idx="{i}"><c:v>{_num(v)}</c:v></c:pt>'
                  for i, v in enumerate(values) if v is not None)
    return (f"<c:numLit><c:formatCode>General</c:formatCode><c:ptCount val=\"{len(values)}\"/>"
            f"{pts}</c:numLit>")


def _series_head(idx: int, name: str) -> str:
    return f'<c:idx val="{idx}"/><c:order val="{idx}"/><c:tx><c:v>{_text(name)}</c:v></c:tx>'


def _marker(line: Line) -> str:
    if line.marker == "none":
        return '<c:marker><c:symbol val="none"/></c:marker>'
    fill = line.colour if line.marker_fill is None else line.marker_fill
    edge = line.marker_line or fill or line.colour
    return (f'<c:marker><c:symbol val="{line.marker}"/><c:size val="{line.marker_size}"/>'
            f"<c:spPr>{_fill(fill or None)}{_ln(edge, 0.75)}</c:spPr></c:marker>")


def _labels(labels: Sequence[str], pos: str, size: int = 800) -> str:
    one = "".join(
        f'<c:dLbl><c:idx val="{i}"/><c:tx>{_rich(text, size)}</c:tx><c:dLblPos val="{pos}"/>'
        '<c:showLegendKey val="0"/><c:showVal val="1"/><c:showCatName val="0"/>'
        '<c:showSerName val="0"/><c:showPercent val="0"/><c:showBubbleSize val="0"/></c:dLbl>'
        for i, text in enumerate(labels) if text)
    return (f"<c:dLbls>{one}{_txpr(size)}<c:showLegendKey val=\"0\"/><c:showVal val=\"0\"/>"
            '<c:showCatName val="0"/><c:showSerName val="0"/><c:showPercent val="0"/>'
            '<c:showBubbleSize val="0"/></c:dLbls>')


def _error_bars(below: Sequence[float | None], above: Sequence[float | None]) -> str:
    return ('<c:errBars><c:errDir val="y"/><c:errBarType val="both"/>'
            '<c:errValType val="cust"/><c:noEndCap val="0"/>'
            f"<c:plus>{_num_lit(above)}</c:plus><c:minus>{_num_lit(below)}</c:minus>"
            f'<c:spPr>{_ln("425563", 1.0)}</c:spPr></c:errBars>')


def _line_series(idx: int, line: Line, cats: str) -> str:
    if line.marker not in MARKERS or line.dash not in DASHES:
        raise ValueError(f"unknown marker {line.marker!r} or dash {line.dash!r}")
    labels = _labels(line.labels, line.label_pos) if line.labels and any(line.labels) else ""
    errors = _error_bars(*line.errors) if line.errors is not None else ""
    return (f"<c:ser>{_series_head(idx, line.name)}"
            f"<c:spPr>{_ln(line.colour, line.width_pt, line.dash)}</c:spPr>{_marker(line)}"
            f'{labels}{errors}<c:cat>{cats}</c:cat><c:val>{_num_lit(line.values)}</c:val>'
            '<c:smooth val="0"/></c:ser>')


def _bar_series(idx: int, stack: Stack, cats: str) -> str:
    return (f"<c:ser>{_series_head(idx, stack.name)}"
            f"<c:spPr>{_fill(stack.fill)}<a:ln><a:noFill/></a:ln></c:spPr>"
            f'<c:invertIfNegative val="0"/><c:cat>{cats}</c:cat>'
            f"<c:val>{_num_lit(stack.values)}</c:val></c:ser>")


def _axis_title(text: str) -> str:
    return (f'<c:title><c:tx>{_rich(text, 800)}</c:tx><c:overlay val="0"/></c:title>'
            if text else "")


def _axes(spec: ChartSpec) -> str:
    scale = "".join([f'<c:max val="{_num(spec.y_max)}"/>' if spec.y_max is not None else "",
                     f'<c:min val="{_num(spec.y_min)}"/>' if spec.y_min is not None else ""])
    grid = (f'<c:majorGridlines><c:spPr>{_ln("E8EDEE", 0.75)}</c:spPr></c:majorGridlines>'
            if spec.gridlines else "")
    skip = (f'<c:tickLblSkip val="{spec.label_skip}"/><c:tickMarkSkip val="{spec.label_skip}"/>'
            if spec.label_skip > 1 else "")
    axis_line = f'<c:spPr>{_ln("768692", 0.75)}</c:spPr>'
    cat = (f'<c:catAx><c:axId val="{_CAT_AX}"/><c:scaling><c:orientation val="minMax"/>'
           f'</c:scaling><c:delete val="0"/><c:axPos val="b"/>{_axis_title(spec.x_title)}'
           '<c:numFmt formatCode="General" sourceLinked="0"/><c:majorTickMark val="out"/>'
           '<c:minorTickMark val="none"/><c:tickLblPos val="low"/>'
           f'{axis_line}{_txpr(800)}<c:crossAx val="{_VAL_AX}"/><c:crosses val="autoZero"/>'
           '<c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/>'
           f'{skip}<c:noMultiLvlLbl val="0"/></c:catAx>')
    val = (f'<c:valAx><c:axId val="{_VAL_AX}"/><c:scaling><c:orientation val="minMax"/>'
           f'{scale}</c:scaling><c:delete val="0"/><c:axPos val="l"/>{grid}'
           f'{_axis_title(spec.y_title)}<c:numFmt formatCode="General" sourceLinked="0"/>'
           '<c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
           f'{axis_line}{_txpr(800)}<c:crossAx val="{_CAT_AX}"/><c:crosses val="autoZero"/>'
           '<c:crossBetween val="between"/>'
           + (f'<c:majorUnit val="{_num(spec.y_step)}"/>' if spec.y_step else "")
           + "</c:valAx>")
    return cat + val


def _legend(hidden: Iterable[int]) -> str:
    entries = "".join(f'<c:legendEntry><c:idx val="{i}"/><c:delete val="1"/></c:legendEntry>'
                      for i in hidden)
    return (f'<c:legend><c:legendPos val="b"/>{entries}<c:overlay val="0"/>{_txpr(800)}'
            "</c:legend>")


def nice_range(values: Iterable[float | None], *, floor: float | None = None,
               ticks: int = 5) -> tuple[float, float, float]:
    """(min, max, step) of a value axis holding ``values``, in round steps (1, 2, 2.5 or 5
    times a power of ten), about ``ticks`` of them, from ``floor`` when given."""
    known = [v for v in values if v is not None]
    lo = min(known, default=0.0) if floor is None else floor
    hi = max(known, default=1.0)
    if floor is not None:
        hi = max(hi, floor)
    if hi == lo:
        hi, lo = hi + (abs(hi) * 0.1 or 1.0), lo - (0 if floor is not None else abs(lo) * 0.1 or 1.0)
    raw = (hi - lo) / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return (round(math.floor(lo / step) * step, 10), round(math.ceil(hi / step) * step, 10),
            round(step, 10))


def chart_xml(spec: ChartSpec) -> bytes:
    """The chart part (UTF-8 XML) for ``spec``; the same spec gives the same bytes."""
    n = len(spec.categories)
    every: list[Line | Stack] = [*spec.stacks, *spec.lines]
    for series in every:
        if len(series.values) != n:
            raise ValueError(f"series {series.name!r} has {len(series.values)} values for "
                             f"{n} categories")
    cats = _str_lit(spec.categories)
    axes_ids = f'<c:axId val="{_CAT_AX}"/><c:axId val="{_VAL_AX}"/>'
    groups = ""
    if spec.stacks:
        bars = "".join(_bar_series(i, s, cats) for i, s in enumerate(spec.stacks))
        groups += (f'<c:barChart><c:barDir val="col"/><c:grouping val="stacked"/>'
                   f'<c:varyColors val="0"/>{bars}<c:gapWidth val="{spec.gap_width}"/>'
                   f'<c:overlap val="100"/>{axes_ids}</c:barChart>')
    first = len(spec.stacks)
    lines = "".join(_line_series(first + i, s, cats) for i, s in enumerate(spec.lines))
    hi_low = (f'<c:hiLowLines><c:spPr>{_ln("AEB7BD", 1.5)}</c:spPr></c:hiLowLines>'
              if spec.hi_low_lines else "")
    groups += (f'<c:lineChart><c:grouping val="standard"/><c:varyColors val="0"/>{lines}'
               f'{hi_low}<c:marker val="1"/>{axes_ids}</c:lineChart>')
    hidden = [i for i, s in enumerate(every) if not s.legend]
    legend = _legend(hidden) if spec.legend and len(hidden) < len(every) else ""
    title = (f'<c:title><c:tx>{_rich(spec.title, 1000, bold=True)}</c:tx>'
             '<c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/>' if spec.title
             else '<c:autoTitleDeleted val="1"/>')
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<c:chartSpace xmlns:c="{NS_C}" xmlns:a="{NS_A}" xmlns:r="{NS_R}">'
            '<c:date1904 val="0"/><c:lang val="en-GB"/><c:roundedCorners val="0"/>'
            f"<c:chart>{title}<c:plotArea><c:layout/>{groups}{_axes(spec)}</c:plotArea>"
            f'{legend}<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart>'
            f'<c:spPr>{_fill("FFFFFF")}<a:ln><a:noFill/></a:ln></c:spPr>{_txpr(900)}'
            "</c:chartSpace>").encode()


__all__ = ["CONTENT_TYPE", "GRAPHIC_URI", "MARKERS", "RELATIONSHIP", "ChartSpec", "Line",
           "Stack", "chart_xml", "nice_range"]
