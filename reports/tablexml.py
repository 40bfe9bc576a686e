"""A report table as WordprocessingML text, parsed once (:func:`reports.docxkit.table`).

Built through python-docx's objects a table costs a property setter (an XPath search, an
element inserted in schema order) for every cell's width, paragraph spacing and run
property: about a tenth of a second for a table of the board report, most of the report's
time once its charts are native. The same markup written as text and parsed in one go
costs a few milliseconds. It is exactly the markup python-docx wrote (elements, attributes
and their order), so a document is byte-for-byte the one it was (a test compares the
documents of the code before with these).

The markup: the table properties (style "Table Grid" or single borders, the total width,
fixed layout, cell margins, caption and description), the grid, a header row marked to
repeat and kept with the first row, rows that never split across pages, and per cell its
width, optional shading and one paragraph per line (1 pt after; the first line of the first
column bold where asked; header text bold in white on ``header_fill``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape

from docx.oxml.ns import nsdecls
from docx.shared import Cm, Pt

from reports.widths import CELL_MARGIN_CM, TABLE_PT, digest_lines

_LOOK = ('<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" '
         'w:noHBand="0" w:noVBand="1" w:val="04A0"/>')
_BORDERS = "<w:tblBorders>" + "".join(
    f'<w:{edge} w:val="single" w:sz="4" w:color="808080"/>'
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV")) + "</w:tblBorders>"


def _run_content(text: str) -> str:
    """``text`` as python-docx writes a run's text: tabs and line breaks as elements, the
    rest in ``w:t`` (space-preserving when it starts or ends with white space)."""
    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        chunk = "".join(buf)
        if chunk:
            space = ' xml:space="preserve"' if len(chunk.strip()) < len(chunk) else ""
            out.append(f"<w:t{space}>{escape(chunk)}</w:t>")
        buf.clear()

    for char in text:
        if char == "\t":
            flush()
            out.append("<w:tab/>")
        elif char in "\r\n":
            flush()
            out.append("<w:br/>")
        else:
            buf.append(char)
    flush()
    return "".join(out)


def _cell(lines: Sequence[str] | str, width: str, *, bold_first: bool, colour: str | None,
          keep: bool, fill: str | None, clean: Callable[[str], str]) -> str:
    parts = [digest_lines(x) for x in ([lines] if isinstance(lines, str) else list(lines))]
    parts = parts or [""]
    size = str(int(Pt(TABLE_PT).pt * 2))
    shade = (f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/>' if fill else "")
    paragraphs = []
    for i, line in enumerate(parts):
        props = ("<w:b/>" if bold_first and i == 0 else "") + (
            f'<w:color w:val="{colour}"/>' if colour else "") + f'<w:sz w:val="{size}"/>'
        keep_next = "<w:keepNext/>" if keep else ""
        paragraphs.append(
            f'<w:p><w:pPr>{keep_next}<w:spacing w:after="20"/></w:pPr><w:r><w:rPr>{props}'
            f"</w:rPr>{_run_content(clean(line))}</w:r></w:p>")
    return (f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/>{shade}</w:tcPr>'
            f'{"".join(paragraphs)}</w:tc>')


def table_xml(header: Sequence[str], rows: Sequence[Sequence[Sequence[str] | str]],
              widths_cm: Sequence[float], *, caption: str, header_fill: str,
              bold_first_column: bool, grid_style: bool, clean: Callable[[str], str]) -> str:
    """The ``w:tbl`` element as text (``clean``: what makes any text safe for XML).

    ``grid_style``: the document has the "Table Grid" style (else single borders are drawn).
    """
    twips = [str(Cm(w).twips) for w in widths_cm]
    margin = str(int(Cm(CELL_MARGIN_CM).twips))
    cap = escape(clean(caption), {'"': "&quot;"})
    props = ('<w:tblStyle w:val="TableGrid"/>' if grid_style else "") + (
        f'<w:tblW w:type="dxa" w:w="{sum(int(t) for t in twips)}"/><w:jc w:val="left"/>'
        + ("" if grid_style else _BORDERS)
        + '<w:tblLayout w:type="fixed"/><w:tblCellMar>'
        f'<w:left w:w="{margin}" w:type="dxa"/><w:right w:w="{margin}" w:type="dxa"/>'
        f'</w:tblCellMar>{_LOOK}<w:tblCaption w:val="{cap}"/>'
        f'<w:tblDescription w:val="{cap}"/>')
    grid = "".join(f'<w:gridCol w:w="{t}"/>' for t in twips)
    keep = bool(rows)  # the header row stays with the first row of figures
    head = "".join(_cell(text, w, bold_first=True, colour="FFFFFF", keep=keep,
                         fill=header_fill, clean=clean) for text, w in zip(header, twips, strict=True))
    body = "".join(
        "<w:tr><w:trPr><w:cantSplit/></w:trPr>" + "".join(
            _cell(value, w, bold_first=bold_first_column and j == 0, colour=None, keep=False,
                  fill=None, clean=clean)
            for j, (value, w) in enumerate(zip(row, twips, strict=True))) + "</w:tr>"
        for row in rows)
    return (f'<w:tbl {nsdecls("w")}><w:tblPr>{props}</w:tblPr><w:tblGrid>{grid}</w:tblGrid>'
            f"<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>{head}</w:tr>{body}</w:tbl>")
