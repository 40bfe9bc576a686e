"""The well-led evidence document (Word), rendered from a :class:`WellLedContext`.

One section per section of the framework version the context follows (``ctx.framework``: a
2024 CQC quality statement, a 2026 key line of enquiry, an NHS England capability): what it
asks, the evidence items mapped to it (figure, trend, finding, category, source file with
SHA-256 and period), actions and their progress, for the version's accountable sections the
board-level breaches without an owner or past due, the gaps, and the suggested assessment in
the version's words — a score 1-4 (2024), a position (NHS England) or, where the version
scores no section (CQC 2026), what the evidence shows, with the key-question rating only.
A percentage is printed only when the version has one. Every number of evidence items
printed comes from the context's counts (:class:`ItemCounts`), never from counting rows here.
"""

from __future__ import annotations

from dataclasses import dataclass

import jinja2
from docx.document import Document as DocumentType

from assurance.frameworks import Framework, load_framework
from assurance.report_context import (
    Branding,
    EvidenceItem,
    StatementView,
    WellLedContext,
    well_led_context,
)
from reports import docxkit, prose
from reports.document import DocumentRenderer, Front, primary_colour


def _evidence_row(i: EvidenceItem) -> list[list[str]]:
    what = [i.name, i.figure_text]
    if i.narrative:
        what.append(i.narrative)
    if i.trend_text:
        what.append(i.trend_text)
    source = ([i.source.filename, i.source.period_label, f"SHA-256 {i.source.sha256}"]
              if i.source else ["No source: no figure"])
    return [what, [i.category], [i.status_label, i.finding_text], source]


@dataclass(frozen=True)
class Words:
    """The headings a scoring model gives the document."""

    summary: str
    assessment: str
    method: str
    column: str  # the summary table's assessment column ("" for none)
    lead: str  # lead of the key-question line


def _fw(ctx: WellLedContext) -> Framework:
    return ctx.framework if ctx.framework is not None else load_framework()


def words(fw: Framework) -> Words:
    """Headings by scoring model: scores (2024), positions (NHS England), none (CQC 2026)."""
    if not fw.scoring.sections_scored:
        return Words("Summary of the evidence", "What the evidence shows",
                     "How the suggested rating is worked out", "",
                     "Key question (suggested rating): ")
    if fw.scoring.percentages:
        return Words("Summary of suggested scores", "Suggested score",
                     "How the suggested scores are worked out", "Suggested score",
                     "Key question (suggested): ")
    return Words("Summary of suggested positions", "Suggested position",
                 "How the suggested positions are worked out", "Suggested position",
                 "Overall: ")


def _accountability(doc: DocumentType, st: StatementView, ctx: WellLedContext) -> None:
    docxkit.heading(doc, "Board-level breaches without an owner or past due", 2)
    levels = " or ".join(ctx.board_levels) or "the board"
    if not st.accountability:
        docxkit.paragraph(doc, f"No breach escalated to {levels} in this document is without "
                               "an action owner or past its due date.")
        return
    docxkit.paragraph(doc, f"{len(st.accountability)} of the document's {ctx.evidence_count} "
                           f"evidence items are breaches escalated to {levels} with no action "
                           "owner or past their due date. Holding them to account is the "
                           "board's job, so they count against this statement wherever they "
                           "are listed:")
    for g in st.accountability:
        docxkit.bullet(doc, g.text)


def _statement(doc: DocumentType, raw: StatementView, ctx: WellLedContext, env: object,
               fill: str) -> None:
    st = raw
    fw = _fw(ctx)
    docxkit.heading(doc, f"{st.number}. {st.name}", 1)
    docxkit.write_blocks(doc, prose.blocks(env, "wellled/statement.j2", ctx=ctx, st=st))  # type: ignore[arg-type]
    evidence = [i for i in st.items if i.kind != "action"]
    actions = [i for i in st.items if i.kind == "action"]
    docxkit.heading(doc, "Evidence", 2)
    if evidence:
        docxkit.table(doc, ["Evidence", "Category", "Status and finding", "Source"],
                      [_evidence_row(i) for i in evidence], widths_cm=[7.2, 2.6, 3.2, 4.0],
                      caption=f"The {st.counts.text} for {fw.section_word} {st.number}, "
                              f"{st.name}",
                      header_fill=fill, bold_first_column=True)
    else:
        docxkit.paragraph(doc, f"No evidence for {st.name}.")
    docxkit.heading(doc, "Actions and progress", 2)
    if not actions:
        docxkit.paragraph(doc, "No open findings, so no actions are due under this statement.")
    for a in actions:
        docxkit.bullet(doc, f"{a.action_text} Progress: {a.progress_text}",
                       bold_prefix=f"{a.name}. ")
    if st.id in fw.accountable:
        _accountability(doc, st, ctx)
    docxkit.heading(doc, "Gaps", 2)
    for g in st.gaps or ("No gaps in the evidence this tool holds.",):
        docxkit.bullet(doc, g)
    w = words(fw)
    docxkit.heading(doc, w.assessment, 2)
    if fw.scoring.sections_scored:
        docxkit.paragraph(doc, f"{st.score_label}. {ctx.suggested_note}",
                          bold_prefix=("Score: " if fw.scoring.percentages else "Position: "))
        docxkit.paragraph(doc, st.score_sentence, bold_prefix="Why: ")
    else:
        docxkit.paragraph(doc, st.score_sentence)
    for r in st.score_reasons:
        docxkit.bullet(doc, r)


def _scores(doc: DocumentType, ctx: WellLedContext, fill: str) -> None:
    fw = _fw(ctx)
    w = words(fw)
    docxkit.heading(doc, w.summary, 1)
    docxkit.paragraph(doc, ctx.key_question_label, bold_prefix=w.lead)
    docxkit.paragraph(doc, ctx.evidence_text[0].upper() + ctx.evidence_text[1:] + ".",
                      bold_prefix="Evidence in this document: ")
    statements = list(ctx.statements)
    section = fw.section_word[0].upper() + fw.section_word[1:]
    if w.column:
        rows = [[[f"{s.number}. {s.name}"], [s.counts.short],
                 [", ".join(s.categories) or "none"], [s.score_label], [str(len(s.gaps))]]
                for s in statements]
        header = [section, "Evidence items", "Categories", w.column, "Gaps"]
        widths = [5.0, 2.2, 4.4, 3.6, 1.8]
        what = f"{w.column.lower()} and evidence items"
    else:  # the version scores no section: no score column at all
        rows = [[[f"{s.number}. {s.name}"], [s.counts.short],
                 [", ".join(s.categories) or "none"], [str(len(s.gaps))]] for s in statements]
        header, widths, what = [section, "Evidence items", "Categories", "Gaps"], \
            [6.4, 2.6, 6.2, 1.8], "evidence items"
    docxkit.table(doc, header, rows, widths_cm=widths,
                  caption=f"The {what} for each {fw.section_word} of {fw.short} (a rule "
                          f"evidencing several {fw.sections_word} counts under each)",
                  header_fill=fill, bold_first_column=True)


def _sources(doc: DocumentType, ctx: WellLedContext, fill: str) -> None:
    docxkit.heading(doc, "Sources", 1)
    imports = ctx.board.imports if ctx.board else ()
    if imports:
        docxkit.table(doc, ["File", "Importer", "Imported", "SHA-256"],
                      [[[i.filename], [i.source], [f"{i.imported_at:%d %b %Y %H:%M}"], [i.sha256]]
                       for i in imports], widths_cm=[4.2, 2.6, 3.2, 7.0],
                      caption="Files the evidence was imported from, with their SHA-256",
                      header_fill=fill, bold_first_column=True)
    else:
        docxkit.paragraph(doc, "No file has supplied figures for this organisation.")


def _branding(ctx: WellLedContext) -> Branding | None:
    return ctx.board.branding if ctx.board else None


class WellLedRenderer(DocumentRenderer[WellLedContext]):
    """Registry entry ``well-led``: well-led evidence for one organisation, in the framework
    version ``reports.well_led_framework`` names."""

    name = "well-led"
    description = ("Well-led evidence document (Word): evidence per quality statement, key "
                   "line of enquiry or capability of the framework version")
    action = "report.well_led"

    context = staticmethod(well_led_context)

    def front(self, ctx: WellLedContext) -> Front:
        fw = _fw(ctx)
        return Front(subject=f"{fw.title}, well-led evidence, {ctx.as_of_text}",
                     keywords=f"{fw.publisher}; {fw.short}; well-led; workforce equality; "
                              "WRES; WDES",
                     branding=_branding(ctx),
                     footer=(f"{fw.short} evidence", ctx.as_of_text,
                             "assessments suggested by the tool"))

    def cover(self, ctx: WellLedContext, env: jinja2.Environment) -> list[prose.Block]:
        org = ctx.organisation
        return [prose.Block(f"{org.name} ({org.code})", lead="Organisation:"),
                prose.Block(ctx.as_of_text, lead="Evidence as at:"),
                prose.Block(ctx.period_label, lead="Reporting period:"),
                prose.Block(f"{_fw(ctx).title} ({_fw(ctx).id})", lead="Framework:"),
                prose.Block(ctx.key_question_label, lead=words(_fw(ctx)).lead.strip()),
                prose.Block(f"{ctx.product}", lead="Prepared by:")]

    def body(self, doc: DocumentType, ctx: WellLedContext, env: jinja2.Environment) -> None:
        fill = primary_colour(_branding(ctx))
        docxkit.heading(doc, "About this document", 1)
        docxkit.write_blocks(doc, prose.blocks(env, "wellled/introduction.j2", ctx=ctx))
        _scores(doc, ctx, fill)
        for st in ctx.statements:
            _statement(doc, st, ctx, env, fill)
        docxkit.heading(doc, words(_fw(ctx)).method, 1)
        docxkit.write_blocks(doc, prose.blocks(env, "wellled/scoring.j2", ctx=ctx))
        _sources(doc, ctx, fill)


_well_led = WellLedRenderer()
build_document = _well_led.build
"""The well-led evidence document as a python-docx document (not yet saved)."""
write_well_led_docx = _well_led.write
"""Write the document reproducibly (no audit event: see :func:`render_well_led`)."""
render_well_led = _well_led.write_and_record
"""Write the well-led evidence document; record ``report.well_led`` with its SHA-256."""
