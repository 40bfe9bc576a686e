"""Accessible, reproducible Word documents with python-docx: the parts every report shares.

Accessibility by construction: Arial 11 body text, language ``en-GB`` in the core
properties and on the default run properties, the built-in Heading 1–3 styles (so a screen
reader's outline and Word's navigation pane work), table header rows marked to repeat
(``w:tblHeader``) and captioned, alt text (``wp:docPr/@descr``) on every picture, and
statuses always written as words — shading is decoration only.

Robust to any text: everything written to the document goes through :func:`clean_text`
(characters XML cannot hold, which python-docx refuses, become U+FFFD) and core properties
through :func:`core_property` (also cut to the 255 characters python-docx allows), so an
organisation name with control characters or of any length still gives a document.

Laid out for print: table columns are sized to their content (:func:`column_widths`: no
column narrower than its longest word, so Word never breaks one mid-word; a caller's widths
are a preference), rows never split across pages, table header rows and the first row stay
with the heading or lead-in before the table, headings stay with what follows them and a
chart with its caption.

Reproducible: core properties are fixed (created and modified = the report's ``as_of``,
author = the product), python-docx's ids are sequential, and :func:`save` rewrites the
package with fixed zip timestamps, so the same context gives the same bytes.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from docx import Document
from docx.document import Document as DocumentType
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.opc.part import Part
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from assurance.problems import Problem, ProblemsError
from reports import chartxml, prose, tablexml
from reports.widths import (
    column_widths,
)

FONT = "Arial"
LANGUAGE = "en-GB"
BODY_PT = 11
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CORE_PROPERTY_MAX = 255  # python-docx refuses a longer title, subject or keywords
_WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean_text(text: str) -> str:
    """``text`` as Word can hold it: each character XML 1.0 cannot carry (NUL and the other
    C0 controls but tab and line breaks, lone surrogates, U+FFFE/U+FFFF) becomes U+FFFD, so
    it stays visible that something was there. Tabs and newlines are kept: python-docx
    writes them as tabs and line breaks."""
    return _NOT_XML.sub("\ufffd", text)


def core_property(text: str) -> str:
    """A title, subject or keywords: :func:`clean_text`, on one line, at most 255 characters
    (a longer one ends in "…")."""
    text = clean_text(text).translate({9: " ", 10: " ", 13: " "})
    if len(text) > CORE_PROPERTY_MAX:
        text = text[:CORE_PROPERTY_MAX - 1] + "\u2026"
    return text


# Word rejects properties out of schema order, so every edited property list is re-sorted.
RPR_ORDER = ("rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike",
             "dstrike", "outline", "shadow", "emboss", "imprint", "noProof", "snapToGrid",
             "vanish", "webHidden", "color", "spacing", "w", "kern", "position", "sz", "szCs",
             "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs", "em",
             "lang", "eastAsianLayout", "specVanish", "oMath")
TBLPR_ORDER = ("tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize",
               "tblStyleColBandSize", "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders",
               "shd", "tblLayout", "tblCellMar", "tblLook", "tblCaption", "tblDescription")


def schema_order(el: Any, order: tuple[str, ...]) -> None:
    """Re-sort an element's children into the order the WordprocessingML schema demands."""
    rank = {qn(f"w:{name}"): i for i, name in enumerate(order)}
    children = list(el)
    for c in children:
        el.remove(c)
    for c in sorted(children, key=lambda c: rank.get(c.tag, len(rank))):
        el.append(c)


def _child(parent: Any, tag: str) -> Any:
    """The first ``tag`` child of an XML element, created (first) when missing."""
    el = parent.find(qn(tag))
    if el is None:
        el = OxmlElement(tag)
        if tag == "w:rPr" and parent.find(qn("w:pPr")) is not None:
            parent.find(qn("w:pPr")).addnext(el)
        else:
            parent.insert(0, el) if tag == "w:rPr" else parent.append(el)
    return el


def _fonts(rpr_parent: Any, size: float | None = None, colour: str | None = None,
           bold: bool | None = None) -> None:
    """Set Arial explicitly (dropping theme fonts, which would override it) and language."""
    rpr = _child(rpr_parent, "w:rPr")
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        if attr.endswith("Theme"):
            del fonts.attrib[attr]
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), LANGUAGE)
    lang.set(qn("w:eastAsia"), LANGUAGE)
    lang.set(qn("w:bidi"), LANGUAGE)
    if size is not None:
        for tag in ("w:sz", "w:szCs"):
            el = rpr.find(qn(tag))
            if el is None:
                el = OxmlElement(tag)
                rpr.append(el)
            el.set(qn("w:val"), str(int(size * 2)))
    if colour is not None:
        el = rpr.find(qn("w:color"))
        if el is None:
            el = OxmlElement("w:color")
            rpr.append(el)
        for attr in list(el.attrib):
            if attr.endswith(("themeColor", "themeShade", "themeTint")):
                del el.attrib[attr]
        el.set(qn("w:val"), colour)
    if bold is not None:
        el = rpr.find(qn("w:b"))
        if bold and el is None:
            rpr.append(OxmlElement("w:b"))
    schema_order(rpr, RPR_ORDER)


def _has_style(doc: DocumentType, name: str) -> bool:
    return any(s.name == name for s in doc.styles)


def _ensure_styles(doc: DocumentType) -> None:
    """Styles the renderers use, added when a reference document lacks them."""
    for level in (1, 2, 3):
        name = f"Heading {level}"
        if not _has_style(doc, name):
            st = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            st.base_style = doc.styles["Normal"]
            st.font.bold = True
            ppr = st.element.get_or_add_pPr()
            outline = OxmlElement("w:outlineLvl")
            outline.set(qn("w:val"), str(level - 1))
            ppr.append(outline)
    for name in ("Title", "Caption", "List Bullet"):
        if not _has_style(doc, name):
            doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH).base_style = doc.styles["Normal"]


def _house_styles(doc: DocumentType, primary: str) -> None:
    """Arial 11 body, coloured Arial headings, A4 with 2 cm margins."""
    styles = doc.styles
    defaults = styles.element.find(qn("w:docDefaults"))
    if defaults is not None and defaults.find(qn("w:rPrDefault")) is not None:
        _fonts(defaults.find(qn("w:rPrDefault")), BODY_PT)
    _fonts(styles["Normal"].element, BODY_PT)
    styles["Normal"].paragraph_format.space_after = Pt(6)
    styles["Normal"].paragraph_format.line_spacing = 1.15
    for level, size in ((1, 16), (2, 13), (3, 11.5)):
        st = styles[f"Heading {level}"]
        _fonts(st.element, size, primary, True)
        st.paragraph_format.space_before = Pt(14 if level == 1 else 10)
        st.paragraph_format.space_after = Pt(4)
        st.paragraph_format.keep_with_next = True
    for name in ("Subtitle", "List Bullet", "Table Grid"):
        if _has_style(doc, name):
            _fonts(styles[name].element, None)
    _fonts(styles["Title"].element, 24, primary)
    _fonts(styles["Caption"].element, 9, "404040")
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.0))


def _language(doc: DocumentType) -> None:
    """``en-GB`` on the document defaults, so every run inherits it."""
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = OxmlElement("w:docDefaults")
        styles.insert(0, defaults)
    rpr_default = _child(defaults, "w:rPrDefault")
    rpr = _child(rpr_default, "w:rPr")
    lang = _child(rpr, "w:lang")
    for attr in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(attr), LANGUAGE)
    schema_order(rpr, RPR_ORDER)


def new_document(*, title: str, subject: str, keywords: str, author: str, when: date,
                 primary: str, reference_docx: Path | None = None) -> DocumentType:
    """A blank document with accessible styles and fixed core properties.

    With ``reference_docx`` (``reports.reference_docx``) its styles, page set-up, headers
    and theme are kept as they are (only missing styles are added); otherwise the house
    style applies: Arial 11, headings in the primary colour, A4.
    """
    if reference_docx is not None:
        try:
            doc = Document(str(reference_docx))
        except Exception as exc:  # any unreadable file gets the same message
            raise ProblemsError([Problem(str(reference_docx), "cannot use the reference "
                                         f"document (reports.reference_docx): {exc}")]) from exc
        body = doc.element.body
        for child in list(body):
            if child.tag != qn("w:sectPr"):
                body.remove(child)
        _ensure_styles(doc)
    else:
        doc = Document()
        _house_styles(doc, primary)
    _language(doc)
    stamp = datetime(when.year, when.month, when.day, tzinfo=UTC)
    cp = doc.core_properties
    cp.title, cp.subject = core_property(title), core_property(subject)
    cp.keywords = core_property(keywords)
    cp.author = cp.last_modified_by = core_property(author)
    cp.language = LANGUAGE
    cp.created = cp.modified = cp.last_printed = stamp
    cp.revision = 1
    cp.category, cp.comments, cp.content_status = "Board paper", "", ""
    return doc


_STYLE_IDS: WeakKeyDictionary[Any, dict[str, str | None]] = WeakKeyDictionary()


def styled(container: DocumentType | _Cell, text: str, style: str | None) -> Paragraph:
    """``container.add_paragraph(text, style)``, with the style's id looked up once per
    document (python-docx searches the styles part by name for every paragraph: a tenth of
    the time of a report's document). The markup is the same."""
    p = container.add_paragraph(text)
    if style is not None:
        ids = _STYLE_IDS.setdefault(p.part, {})
        if style not in ids:
            ids[style] = p.part.get_style_id(style, WD_STYLE_TYPE.PARAGRAPH)
        p._p.style = ids[style]
    return p


def heading(doc: DocumentType, text: str, level: int) -> Paragraph:
    """A built-in Heading 1-3, kept with what follows it on the page (set on the paragraph as
    well as the house style, so a reference document's styles cannot lose it)."""
    p = styled(doc, clean_text(text), "Title" if level == 0 else f"Heading {level}")
    keep_with_next(p)
    return p


def paragraph(doc: DocumentType | _Cell, text: str = "", *, bold_prefix: str = "",
              style: str | None = None, size: float | None = None, italic: bool = False
              ) -> Paragraph:
    """A paragraph, optionally starting with a bold lead-in ("Alert: …")."""
    p = styled(doc, "", style)
    if bold_prefix:
        r = p.add_run(clean_text(bold_prefix))
        r.bold = True
        if size:
            r.font.size = Pt(size)
    if text:
        r = p.add_run(clean_text(text))
        r.italic = italic
        if size:
            r.font.size = Pt(size)
    return p


def bullet(doc: DocumentType, text: str, *, bold_prefix: str = "") -> Paragraph:
    return paragraph(doc, text, bold_prefix=bold_prefix, style="List Bullet")


def page_break(doc: DocumentType) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def shade(cell: _Cell, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tcpr.append(shd)


def keep_with_next(p: Paragraph) -> None:
    p.paragraph_format.keep_with_next = True


_GRID_STYLE: WeakKeyDictionary[Any, bool] = WeakKeyDictionary()


def _grid_style(doc: DocumentType) -> bool:
    """Whether the document has the "Table Grid" style, looked up at its first table (its
    styles are all in place by then; python-docx reads them all for every lookup)."""
    if doc.part not in _GRID_STYLE:
        _GRID_STYLE[doc.part] = _has_style(doc, "Table Grid")
    return _GRID_STYLE[doc.part]


def table(doc: DocumentType, header: Sequence[str], rows: Sequence[Sequence[Sequence[str] | str]],
          *, widths_cm: Sequence[float] | None = None, caption: str, header_fill: str,
          bold_first_column: bool = False) -> Table:
    """A table with a repeating, marked header row, a caption and fixed column widths.

    Each cell is a string or a list of lines (one paragraph each; the first line of the
    first column is bold when ``bold_first_column``). Widths come from the content
    (:func:`column_widths`); ``widths_cm`` is a preference that never makes a column
    narrower than its longest word. Rows never split across pages, and the header and first
    row stay with the paragraph before the table (its heading or lead-in).
    """
    widths = column_widths(header, rows, preferred_cm=widths_cm,
                           bold_first_column=bold_first_column)
    body = doc.element.body
    before = body[-2] if len(body) > 1 and body[-1].tag == qn("w:sectPr") else (
        body[-1] if len(body) else None)
    if before is not None and before.tag == qn("w:p"):
        keep_with_next(Paragraph(before, doc))
    tbl = parse_xml(tablexml.table_xml(
        header, rows, widths, caption=caption, header_fill=header_fill,
        bold_first_column=bold_first_column, grid_style=_grid_style(doc),
        clean=clean_text))
    sect = body.find(qn("w:sectPr"))
    if sect is not None:
        sect.addprevious(tbl)
    else:
        body.append(tbl)
    t = Table(tbl, doc._body)
    doc.add_paragraph().paragraph_format.space_after = Pt(2)
    return t


def cell_icon(cell: _Cell, png: bytes, *, alt: str, title: str, width_cm: float) -> None:
    """A small picture (an icon) on its own line at the top of a cell, with alt text; the
    cell's words follow under it."""
    p = cell.paragraphs[0].insert_paragraph_before()
    p.paragraph_format.space_after = Pt(1)
    keep_with_next(p)
    run = p.add_run()
    run.add_picture(io.BytesIO(png), width=Cm(width_cm))
    for pr in run._r.iter(qn("wp:docPr")):
        pr.set("descr", clean_text(alt))
        pr.set("title", clean_text(title))


def picture(doc: DocumentType, png: bytes, *, alt: str, title: str, width_cm: float,
            caption: str) -> None:
    """An inline chart with alt text (``descr``) and a visible caption under it."""
    p = doc.add_paragraph()
    keep_with_next(p)  # a chart is never parted from its caption
    run = p.add_run()
    run.add_picture(io.BytesIO(png), width=Cm(width_cm))
    for pr in run._r.iter(qn("wp:docPr")):
        pr.set("descr", clean_text(alt))
        pr.set("title", clean_text(title))
    cap = styled(doc, clean_text(caption), "Caption")
    cap.paragraph_format.space_after = Pt(8)


def chart(doc: DocumentType, part_xml: bytes, *, alt: str, title: str, width_cm: float,
          height_cm: float, caption: str) -> None:
    """An inline native chart (a DrawingML chart part, see :mod:`reports.chartxml`) with alt
    text (``descr``) and a visible caption under it, laid out as :func:`picture` lays out a
    picture. Chart parts are numbered in document order, so the same document gives the
    same part names."""
    package = doc.part.package
    assert package is not None
    part = Part(package.next_partname("/word/charts/chart%d.xml"), chartxml.CONTENT_TYPE,
                part_xml, package)
    rid = doc.part.relate_to(part, chartxml.RELATIONSHIP)
    shape_id = doc.part.next_id
    p = doc.add_paragraph()
    keep_with_next(p)  # a chart is never parted from its caption
    inline = parse_xml(
        f'<w:drawing {nsdecls("w", "wp", "a", "r")}><wp:inline distT="0" distB="0" distL="0" '
        f'distR="0"><wp:extent cx="{int(Cm(width_cm))}" cy="{int(Cm(height_cm))}"/>'
        '<wp:effectExtent l="0" t="0" r="0" b="0"/>'
        f'<wp:docPr id="{shape_id}" name="Chart {shape_id}"/><wp:cNvGraphicFramePr/>'
        f'<a:graphic><a:graphicData uri="{chartxml.GRAPHIC_URI}"><c:chart '
        f'xmlns:c="{chartxml.NS_C}" r:id="{rid}"/></a:graphicData></a:graphic></wp:inline>'
        "</w:drawing>")
    pr = inline.find(f"{{{_WP}}}inline/{{{_WP}}}docPr")
    pr.set("descr", clean_text(alt))
    pr.set("title", clean_text(title))
    p.add_run()._r.append(inline)
    cap = styled(doc, clean_text(caption), "Caption")
    cap.paragraph_format.space_after = Pt(8)


def check_logo(path: str | None) -> bytes | None:
    """The logo's bytes, or a clear error naming the file (reports.branding.logo)."""
    if path is None:
        return None
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ProblemsError([Problem(path, "cannot read the logo file "
                                     f"(reports.branding.logo): {exc.strerror or exc}")]) from exc
    if not (data.startswith(PNG_MAGIC) or data.startswith(b"\xff\xd8")):
        raise ProblemsError([Problem(path, "the logo file (reports.branding.logo) is not a PNG "
                                     "or JPEG image")])
    return data


def footer(doc: DocumentType, text: str) -> None:
    """Footer text and "Page N of M" fields on every page."""
    section = doc.sections[0]
    p = section.footer.paragraphs[0]
    r = p.add_run(clean_text(text) + "  \u2022  Page ")
    r.font.size = Pt(8)
    for i, instr in enumerate(("PAGE", "NUMPAGES")):
        if i:
            r2 = p.add_run(" of ")
            r2.font.size = Pt(8)
        fld = OxmlElement("w:fldSimple")
        fld.set(qn("w:instr"), instr)
        run = OxmlElement("w:r")
        rpr = OxmlElement("w:rPr")
        sz = OxmlElement("w:sz")
        sz.set(qn("w:val"), "16")
        rpr.append(sz)
        run.append(rpr)
        t = OxmlElement("w:t")
        t.text = "1"
        run.append(t)
        fld.append(run)
        p._p.append(fld)


def zip_timestamp(when: date) -> tuple[int, int, int, int, int, int]:
    return (max(when.year, 1980), when.month, when.day, 0, 0, 0)


def normalise_zip(data: bytes, when: date) -> bytes:
    """Rewrite a zip package with fixed timestamps and attributes, entry order kept."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=zip_timestamp(when))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.create_system = 3
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()


def package(doc: DocumentType, when: date) -> bytes:
    """The document's bytes, reproducibly: the same document content gives the same bytes."""
    buf = io.BytesIO()
    doc.save(buf)
    return normalise_zip(buf.getvalue(), when)


def save(doc: DocumentType, out_path: Path, when: date) -> Path:
    """Save reproducibly (see :func:`package`) and atomically: a crash mid-write never leaves a
    half-written document under the final name, which a scheduled job would otherwise take as
    built and distribute."""
    data = package(doc, when)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    part = out_path.with_name(out_path.name + ".part")
    with part.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())  # on disk before the rename makes it the report
    os.replace(part, out_path)
    return out_path


def write_blocks(doc: DocumentType, items: list[prose.Block]) -> None:
    """Rendered prose as paragraphs and bullets, with bold lead-ins."""
    for b in items:
        if b.bullet:
            bullet(doc, b.text, bold_prefix=(b.lead + " ") if b.lead else "")
        else:
            paragraph(doc, b.text, bold_prefix=(b.lead + " ") if b.lead else "")


def cover(doc: DocumentType, ctx_title: str, org_name: str, synthetic: bool,
          logo: bytes | None, brand_name: str, blocks: list[prose.Block]) -> None:
    """Logo, title, organisation, synthetic-data warning and the cover block."""
    if logo is not None:
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        run = p.add_run()
        run.add_picture(io.BytesIO(logo), height=Cm(1.8))
        for pr in run._r.iter(qn("wp:docPr")):
            pr.set("descr", clean_text(f"Logo of {brand_name}"))
            pr.set("title", "Logo")
    styled(doc, clean_text(ctx_title), "Title")
    p = paragraph(doc, org_name)
    p.runs[0].font.size = Pt(16)
    if synthetic:
        paragraph(doc, "this organisation is fictional and every figure is test data.",
                  bold_prefix="SYNTHETIC DATA: ")
    write_blocks(doc, blocks)
