"""The CQC well-led evidence document (Word), rendered from a :class:`WellLedContext`.

One section per quality statement: the we statement, the evidence items mapped to it (figure,
trend, finding, category, source file with SHA-256 and period), actions and their progress,
the gaps, and a suggested score with its reasons — labelled on every page as suggested by
the tool, not a CQC rating.
"""

from __future__ import annotations

import jinja2
from docx.document import Document as DocumentType

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
    what = [f"{i.metric_label}: {i.title}", i.figure_text]
    if i.narrative:
        what.append(i.narrative)
    if i.trend_text:
        what.append(i.trend_text)
    source = ([i.source.filename, i.source.period_label, f"SHA-256 {i.source.sha256}"]
              if i.source else ["No source: no figure"])
    return [what, [i.category], [i.status_label, i.finding_text], source]


def _statement(doc: DocumentType, st: StatementView, ctx: WellLedContext, env: object,
               fill: str) -> None:
    docxkit.heading(doc, f"{st.number}. {st.name}", 1)
    docxkit.write_blocks(doc, prose.blocks(env, "wellled/statement.j2", ctx=ctx, st=st))  # type: ignore[arg-type]
    evidence = [i for i in st.items if i.kind != "action"]
    actions = [i for i in st.items if i.kind == "action"]
    docxkit.heading(doc, "Evidence", 2)
    if evidence:
        docxkit.table(doc, ["Evidence", "Category", "Status and finding", "Source"],
                      [_evidence_row(i) for i in evidence], widths_cm=[7.2, 2.6, 3.2, 4.0],
                      caption=f"Evidence for quality statement {st.number}, {st.name}",
                      header_fill=fill, bold_first_column=True)
    else:
        docxkit.paragraph(doc, f"No evidence for {st.name}.")
    docxkit.heading(doc, "Actions and progress", 2)
    if not actions:
        docxkit.paragraph(doc, "No open findings, so no actions are due under this statement.")
    for a in actions:
        docxkit.bullet(doc, f"{a.action_text} Progress: {a.progress_text}",
                       bold_prefix=f"{a.metric_label}: {a.title.removeprefix('Action: ')}. ")
    docxkit.heading(doc, "Gaps", 2)
    for g in st.gaps or ("No gaps in the evidence this tool holds.",):
        docxkit.bullet(doc, g)
    docxkit.heading(doc, "Suggested score", 2)
    docxkit.paragraph(doc, f"{st.score_label}. {ctx.suggested_note}", bold_prefix="Score: ")
    for r in st.score_reasons:
        docxkit.bullet(doc, r)


def _scores(doc: DocumentType, ctx: WellLedContext, fill: str) -> None:
    docxkit.heading(doc, "Summary of suggested scores", 1)
    docxkit.paragraph(doc, ctx.key_question_label, bold_prefix="Key question (suggested): ")
    rows = [[[f"{s.number}. {s.name}"], [str(len([i for i in s.items if i.kind != 'action']))],
             [", ".join(s.categories) or "none"], [s.score_label], [str(len(s.gaps))]]
            for s in ctx.statements]
    docxkit.table(doc, ["Quality statement", "Items", "Categories", "Suggested score",
                        "Gaps"], rows, widths_cm=[5.0, 1.8, 4.6, 3.8, 1.8],
                  caption="Suggested score and evidence for each well-led quality statement",
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
    """Registry entry ``well-led``: CQC well-led evidence for one organisation."""

    name = "well-led"
    description = "CQC well-led evidence document (Word): evidence per quality statement"
    action = "report.well_led"

    context = staticmethod(well_led_context)

    def front(self, ctx: WellLedContext) -> Front:
        return Front(subject=f"CQC well-led key question, {ctx.as_of_text}",
                     keywords="CQC; well-led; workforce equality; WRES; WDES",
                     branding=_branding(ctx),
                     footer=("CQC well-led evidence", ctx.as_of_text,
                             "scores suggested, not a CQC rating"))

    def cover(self, ctx: WellLedContext, env: jinja2.Environment) -> list[prose.Block]:
        org = ctx.organisation
        return [prose.Block(f"{org.name} ({org.code})", lead="Organisation:"),
                prose.Block(ctx.as_of_text, lead="Evidence as at:"),
                prose.Block(ctx.period_label, lead="Reporting period:"),
                prose.Block(ctx.key_question_label, lead="Suggested key-question result:"),
                prose.Block(f"{ctx.product}", lead="Prepared by:")]

    def body(self, doc: DocumentType, ctx: WellLedContext, env: jinja2.Environment) -> None:
        fill = primary_colour(_branding(ctx))
        docxkit.heading(doc, "About this document", 1)
        docxkit.write_blocks(doc, prose.blocks(env, "wellled/introduction.j2", ctx=ctx))
        _scores(doc, ctx, fill)
        for st in ctx.statements:
            _statement(doc, st, ctx, env, fill)
        docxkit.heading(doc, "How the suggested scores are worked out", 1)
        docxkit.write_blocks(doc, prose.blocks(env, "wellled/scoring.j2", ctx=ctx))
        _sources(doc, ctx, fill)

_well_led = WellLedRenderer()
build_document = _well_led.build
"""The well-led evidence document as a python-docx document (not yet saved)."""
write_well_led_docx = _well_led.write
"""Write the document reproducibly (no audit event: see :func:`render_well_led`)."""
render_well_led = _well_led.write_and_record
"""Write the well-led evidence document; record ``report.well_led`` with its SHA-256."""
