"""The board report's layout, measured from the Word XML: columns wide enough for their
longest word, headings and table headers kept with what follows, rows that never split, and
dates that cannot be misread.

Widths are measured independently of the renderer: each word's advance width in Helvetica
(Arial has the same metrics) from matplotlib's AFM files, at the run's own size and weight,
against the column's grid width less the table's cell margins.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import docx
import matplotlib
import pytest
from docx.oxml.ns import qn
from docx.table import Table
from matplotlib._afm import AFM
from sqlalchemy.engine import Engine

from assurance import api
from assurance.config import Settings
from assurance.report_context import BoardContext, board_context, well_led_context
from reports.board import write_board_docx
from reports.wellled import write_well_led_docx

AS_OF = date(2025, 6, 1)
TWIPS_PER_PT = 20
DEFAULT_MARGIN_TWIPS = 108  # Word's default left and right cell margin
NAMES = {"\u2013": "endash", "\u2014": "emdash", "\u2018": "quoteleft", "\u2019": "quoteright",
         "\u201c": "quotedblleft", "\u201d": "quotedblright", "\u2022": "bullet",
         "\u2026": "ellipsis", "\u00a0": "space", "\u00d7": "multiply", "\u2212": "minus",
         "'": "quotesingle", "`": "grave"}


def _afm(name: str) -> AFM:
    with (Path(matplotlib.get_data_path()) / "fonts" / "afm" / name).open("rb") as fh:
        return AFM(fh)


FONTS = {False: _afm("phvr8a.afm"), True: _afm("phvb8a.afm")}


def _char_units(ch: str, bold: bool) -> float:
    font = FONTS[bold]
    try:
        if ch in NAMES:
            return float(font.get_width_from_char_name(NAMES[ch]))
        if 32 <= ord(ch) < 127:
            return float(font.get_width_char(ord(ch)))
    except KeyError:
        pass
    return 1000.0


def _runs(tc: object) -> list[tuple[str, float, bool]]:
    """(character, size in points, bold) for each character of a cell, breaks as spaces."""
    out: list[tuple[str, float, bool]] = []
    for p in tc.iter(qn("w:p")):  # type: ignore[attr-defined]
        for r in p.iter(qn("w:r")):
            rpr = r.find(qn("w:rPr"))
            sz = rpr.find(qn("w:sz")) if rpr is not None else None
            size = int(sz.get(qn("w:val"))) / 2 if sz is not None else 11.0
            bold = rpr is not None and rpr.find(qn("w:b")) is not None
            for child in r:
                if child.tag == qn("w:t"):
                    out.extend((ch, size, bold) for ch in child.text or "")
                elif child.tag in (qn("w:br"), qn("w:tab"), qn("w:cr")):
                    out.append((" ", size, bold))
        out.append((" ", 11.0, False))  # a paragraph ends a word
    return out


def _longest_word_twips(tc: object) -> tuple[float, str]:
    best, word, units, current = 0.0, "", 0.0, ""
    for ch, size, bold in [*_runs(tc), (" ", 11.0, False)]:
        if ch.isspace():
            if units > best:
                best, word = units, current
            units, current = 0.0, ""
        else:
            units += _char_units(ch, bold) / 1000 * size * TWIPS_PER_PT
            current += ch
    return best, word


def _margins(t: Table) -> int:
    mar = t._tbl.tblPr.find(qn("w:tblCellMar"))
    total = 0
    for side in ("left", "right"):
        el = mar.find(qn(f"w:{side}")) if mar is not None else None
        total += int(el.get(qn("w:w"))) if el is not None else DEFAULT_MARGIN_TWIPS
    return total


@pytest.fixture(scope="module")
def ctx(demo_store: tuple[Engine, Settings]) -> BoardContext:
    assert api.DEMO_AS_OF == AS_OF
    engine, settings = demo_store
    return board_context(engine, settings, org_code="SYN01", as_of=AS_OF)


@pytest.fixture(scope="module")
def board(demo_store: tuple[Engine, Settings], ctx: BoardContext,
          tmp_path_factory: pytest.TempPathFactory) -> docx.document.Document:
    _, settings = demo_store
    path = write_board_docx(ctx, settings, tmp_path_factory.mktemp("layout") / "board.docx")
    return docx.Document(str(path))


def _too_narrow(d: docx.document.Document) -> list[tuple[int, int, str, int, int]]:
    out = []
    for n, t in enumerate(d.tables):
        grid = [int(g.get(qn("w:w"))) for g in t._tbl.tblGrid.iter(qn("w:gridCol"))]
        room = [w - _margins(t) for w in grid]
        for row in t.rows:
            tcs = row._tr.findall(qn("w:tc"))
            assert len(tcs) == len(grid), "a merged cell: widths cannot be checked"
            for j, tc in enumerate(tcs):
                need, word = _longest_word_twips(tc)
                if need > room[j]:
                    out.append((n, j, word, round(need), room[j]))
    return out


def test_every_column_is_at_least_as_wide_as_its_longest_word(
        board: docx.document.Document) -> None:
    assert not _too_narrow(board)
    for t in board.tables:  # and every table within the text width (A4, 2 cm margins)
        assert sum(int(g.get(qn("w:w"))) for g in t._tbl.tblGrid.iter(qn("w:gridCol"))) \
            <= 17 * 567 + 5


def test_the_well_led_document_gets_the_same_column_widths_through_the_shared_tables(
        demo_store: tuple[Engine, Settings], ctx: BoardContext, tmp_path: Path) -> None:
    engine, settings = demo_store
    wl = well_led_context(engine, settings, org_code="SYN01", as_of=AS_OF, board=ctx)
    path = write_well_led_docx(wl, settings, tmp_path / "well-led.docx")
    assert not _too_narrow(docx.Document(str(path)))


def test_headings_table_headers_and_charts_are_kept_with_what_follows(
        board: docx.document.Document) -> None:
    heads = [p for p in board.paragraphs if p.style is not None
             and p.style.name.startswith("Heading")]
    assert heads and all(p.paragraph_format.keep_with_next for p in heads)
    for t in board.tables:
        header, *rows = t.rows
        assert all(p.paragraph_format.keep_with_next for c in header.cells
                   for p in c.paragraphs)
        for row in t.rows:
            assert row._tr.trPr.find(qn("w:cantSplit")) is not None
        before = t._tbl.getprevious()
        assert before.tag == qn("w:p") and before.find(qn("w:pPr")).find(
            qn("w:keepNext")) is not None, "the table can be parted from its heading"
    body = board.element.body
    for pic in body.iter(qn("wp:inline")):
        p = next(a for a in pic.iterancestors() if a.tag == qn("w:p"))
        if p.getparent() is body:  # a chart, not an icon in a cell
            assert p.find(qn("w:pPr")).find(qn("w:keepNext")) is not None


def test_the_report_date_is_the_as_of_date_and_data_as_at_reads_as_an_import_time(
        board: docx.document.Document, ctx: BoardContext) -> None:
    assert board.core_properties.created.date() == AS_OF
    text = [p.text for p in board.paragraphs]
    assert f"Date of report: {ctx.as_of_text}." in "\n".join(text)
    assert ctx.as_of_text == "1 June 2025"
    data_line = next(t for t in text if t.startswith("Data as at:"))
    assert "imported" in data_line and ctx.data_as_at_text in data_line
    assert ctx.data_as_at is not None
    position = next(t for t in text if t.startswith("Position at "))
    assert position.startswith(f"Position at 1 June 2025 (figures imported "
                               f"{ctx.data_as_at.day} {ctx.data_as_at:%B %Y})")
    footer = board.sections[0].footer.paragraphs[0].text
    assert "Position at 1 June 2025" in footer


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")),
                    reason="LibreOffice and pdftotext are needed to lay the pages out")
def test_the_executive_summary_takes_at_most_two_pages_as_libreoffice_lays_it_out(
        demo_store: tuple[Engine, Settings], ctx: BoardContext, tmp_path: Path) -> None:
    _, settings = demo_store
    path = write_board_docx(ctx, settings, tmp_path / "board.docx")
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                   capture_output=True, check=True, timeout=300)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "board.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")

    def page_of(heading: str) -> int:
        return next(i for i, page in enumerate(pages)
                    if any(line.strip() == heading for line in page.splitlines()))

    start, after = page_of("Executive summary"), page_of("Making Data Count summary")
    assert start == 1  # straight after the cover
    assert after - start <= 2, f"the executive summary runs to {after - start} pages"
