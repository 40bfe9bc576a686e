"""The EDI Improvement Plan (High Impact Actions) document (Word), from a :class:`HiaContext`.

For one organisation: a summary table of the six actions (status, owners, next date), then
one section per action in the plan's order — its aim (paraphrased, the source cited), a table
of its measures (each success metric and commitment: status, evidence — the attestation's
statement, who attested it (a role), its dates, evidence file and SHA-256, or the figure and
the rule — and owner and date), success metrics the store cannot hold with the reason, and
its gaps. Real headings, header rows and captions on every table, and no colour carrying
meaning (each status is written in words), as the board report.
"""

from __future__ import annotations

import jinja2
from docx.document import Document as DocumentType

from assurance.report_context.hia import HiaActionView, HiaContext, HiaMeasure, hia_context
from reports import docxkit, prose
from reports.document import DocumentRenderer, Front, primary_colour

MEASURE_HEADER = ["Measure", "Status", "Evidence", "Owner and date"]
MEASURE_WIDTHS = [4.2, 3.2, 6.6, 3.0]


def _measure_row(m: HiaMeasure, what: str) -> list[list[str]]:
    return [[what, m.title], [m.status_text], list(m.evidence), [m.owner, m.date_text]]


def _action(doc: DocumentType, a: HiaActionView, fill: str) -> None:
    docxkit.heading(doc, f"HIA {a.number}: {a.title}", 1)
    docxkit.paragraph(doc, a.aim, bold_prefix="Aim (paraphrased from the plan): ")
    docxkit.paragraph(doc, a.status_label, bold_prefix="Status: ")
    docxkit.paragraph(doc, ", ".join(a.owners) or "No owner recorded", bold_prefix="Owners: ")
    docxkit.paragraph(doc, a.next_date, bold_prefix="Next date: ")
    docxkit.heading(doc, "Measures", 2)
    rows: list[list[list[str]]] = []
    for mv in a.metrics:
        if not mv.measures:
            rows.append([[f"Success metric {mv.id}", mv.text], ["Not held"],
                         [mv.note or "The store holds no figure for this metric."],
                         ["Not assigned", "No date set"]])
        for m in mv.measures:
            rows.append(_measure_row(m, f"Success metric {mv.id}: {mv.text}"))
    rows += [_measure_row(m, "Commitment (attested)") for m in a.commitments]
    docxkit.table(doc, MEASURE_HEADER, rows, widths_cm=MEASURE_WIDTHS,
                  caption=f"HIA {a.number}: each success metric and commitment with its "
                          "status, evidence, owner and date",
                  header_fill=fill, bold_first_column=True)
    docxkit.heading(doc, "Gaps", 2)
    gaps = [m for m in a.measures if m.state == "gap"]
    for m in gaps:
        docxkit.bullet(doc, f"{m.status_text}. {m.owner}; {m.date_text}.",
                       bold_prefix=f"{m.title}: ")
    if not gaps:
        docxkit.paragraph(doc, "No gaps among the measures this tool holds.")


def _summary(doc: DocumentType, ctx: HiaContext, fill: str) -> None:
    docxkit.heading(doc, "Summary of the six actions", 1)
    docxkit.paragraph(doc, ctx.summary_text, bold_prefix="Position: ")
    rows = [[[f"HIA {a.number}: {a.title}"], [a.status_label],
             [", ".join(a.owners) or "No owner recorded"], [a.next_date]]
            for a in ctx.actions]
    docxkit.table(doc, ["High Impact Action", "Status", "Owners", "Next date"], rows,
                  widths_cm=[6.4, 3.4, 3.8, 3.4],
                  caption="The six High Impact Actions in the plan's order, with the status of "
                          "their measures, their owners and the next date",
                  header_fill=fill, bold_first_column=True)


class HiaRenderer(DocumentRenderer[HiaContext]):
    """Registry entry ``hia``: the EDI Improvement Plan document for one organisation."""

    name = "hia"
    description = ("EDI Improvement Plan document (Word): the six High Impact Actions with "
                   "status, evidence, owner and date")
    action = "report.hia"

    context = staticmethod(hia_context)

    def front(self, ctx: HiaContext) -> Front:
        return Front(subject=f"EDI Improvement Plan High Impact Actions, {ctx.as_of_text}",
                     keywords="NHS England; EDI Improvement Plan; High Impact Actions; "
                              "attestations; WRES; WDES",
                     branding=ctx.branding,
                     footer=("EDI Improvement Plan", ctx.as_of_text))

    def cover(self, ctx: HiaContext, env: jinja2.Environment) -> list[prose.Block]:
        org = ctx.organisation
        return [prose.Block(f"{org.name} ({org.code})", lead="Organisation:"),
                prose.Block(ctx.as_of_text, lead="Position as at:"),
                prose.Block(ctx.plan_title, lead="Plan:"),
                prose.Block(ctx.summary_text, lead="Summary:"),
                prose.Block(ctx.product, lead="Prepared by:")]

    def body(self, doc: DocumentType, ctx: HiaContext, env: jinja2.Environment) -> None:
        fill = primary_colour(ctx.branding)
        docxkit.heading(doc, "About this document", 1)
        docxkit.paragraph(doc, f"This document sets out where {ctx.organisation.name} stands "
                               f"on each of the six High Impact Actions of the {ctx.plan_title}, "
                               f"as at {ctx.as_of_text}, in the plan's own order. The action "
                               "titles and aims are paraphrased from the plan; check its own "
                               "wording before quoting it.")
        docxkit.paragraph(doc, ctx.plan_source, bold_prefix="Source: ")
        docxkit.paragraph(doc, "Each measure is a rule of the HIA pack. Success metrics that are "
                               "not figures (objectives set, plans published, policies "
                               "reviewed) are attestations: a role attests the statement, with "
                               "an evidence file whose SHA-256 is kept in the audit chain, "
                               "until a valid-until date. An attestation that was never made, "
                               "has expired or was withdrawn is a gap; one that lapses within "
                               "the rule's warning must be renewed. A figure is judged by its "
                               "rule and shown with it.", bold_prefix="How the status is "
                                                                       "decided: ")
        _summary(doc, ctx, fill)
        for a in ctx.actions:
            _action(doc, a, fill)


_hia = HiaRenderer()
build_document = _hia.build
"""The HIA document as a python-docx document (not yet saved)."""
write_hia_docx = _hia.write
"""Write the document reproducibly (no audit event)."""
render_hia = _hia.write_and_record
"""Write the HIA document; record ``report.hia`` with its SHA-256."""
