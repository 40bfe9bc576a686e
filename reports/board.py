"""The board assurance report (Word), rendered from a :class:`BoardContext`.

Layout, as a trust secretary would put it in front of a committee: a cover (organisation,
committee, date, reporting period, data as at, purpose, classification), the Alert /
Advise / Assure summary, the table of every rule outcome grouped by standard, charts with
alt text and a written reading, findings with owners and due dates, data quality and
declaration rates, the sources (files and SHA-256) and a definitions appendix. Prose
blocks come from Jinja2 templates (:mod:`reports.prose`).
"""

from __future__ import annotations

import jinja2
from docx.document import Document as DocumentType

from assurance.periods import short_label
from assurance.report_context import BoardContext, OutcomeView, board_context
from reports import charts, docxkit, prose
from reports.document import DocumentRenderer, Front

MAX_TREND_CHARTS = 4
STATUS_FILL = {"breach": "FCE4D6", "ok": "E2EFDA", "no_data": "EDEDED",
               "not_calculable": "EDEDED", "error": "EDEDED"}


def _outcome_row(o: OutcomeView) -> list[list[str]]:
    fv = o.figure
    when = short_label(o.period) if o.period else ""
    figure = [fv.value_text, fv.ci_text, fv.counts_text, when] if fv else ["No figure", when]
    if fv is not None and fv.note:
        figure.append(f"\u201c{fv.note}\u201d")
    return [[f"{o.metric_label}{o.breakdown}", o.title, f"Rule: {o.rule_text}"],
            [o.status_label, o.classification.capitalize()],
            [x for x in figure if x],
            [o.trend_text] + ([o.summary] if o.status in ("not_calculable", "error") else [])]


def _outcomes(doc: DocumentType, ctx: BoardContext) -> None:
    """Judged rules per standard in full; rules without data together, briefly."""
    fill = ctx.branding.primary_colour
    groups: dict[str, list[OutcomeView]] = {}
    for o in ctx.outcomes:
        if o.status != "no_data":
            groups.setdefault(o.pack_title, []).append(o)
    for title, items in groups.items():
        docxkit.heading(doc, title, 2)
        t = docxkit.table(doc, ["Indicator and rule", "Status", "Figure", "Trend"],
                          [_outcome_row(o) for o in items], widths_cm=[6.4, 2.2, 4.6, 3.8],
                          caption=f"{title}: every rule, its status, figure and trend",
                          header_fill=fill, bold_first_column=True)
        for row, o in zip(t.rows[1:], items, strict=True):
            docxkit.shade(row.cells[1], STATUS_FILL.get(o.status, "EDEDED"))
            row.cells[1].paragraphs[0].runs[0].bold = True
            row.cells[2].paragraphs[0].runs[0].bold = True
    missing = [o for o in ctx.outcomes if o.status == "no_data"]
    if missing:
        docxkit.heading(doc, "Rules that could not be judged", 2)
        docxkit.paragraph(doc, "No data is never assurance: each of these rules needs figures "
                          "the store does not hold for this organisation.")
        docxkit.table(doc, ["Indicator", "Rule", "Status", "Why"],
                      [[[f"{o.metric_label}{o.breakdown}"], [o.title], [o.status_label],
                        [o.summary]] for o in missing], widths_cm=[3.4, 6.2, 2.0, 5.4],
                      caption="Rules that could not be judged for lack of data",
                      header_fill=fill, bold_first_column=True)


def _summary(doc: DocumentType, ctx: BoardContext, env: jinja2.Environment) -> None:
    docxkit.heading(doc, "Summary: Alert, Advise, Assure", 1)
    docxkit.write_blocks(doc, prose.blocks(env, "board/summary.j2", ctx=ctx))
    counts = ", ".join(f"{label} {n}" for label, n in ctx.status_counts if n)
    docxkit.paragraph(doc, counts + ".", bold_prefix="Rules judged: ")
    continuing = sum(1 for o in ctx.outcomes if o.classification == "advise"
                     and o.status == "breach")
    empty = {"alert": "No finding was opened or escalated at this date."
                      + (f" {continuing} continuing breach(es) are listed under Advise."
                         if continuing else ""),
             "advise": "Nothing to advise at this date.",
             "assure": "No rule gives positive assurance at this date."}
    for cls in ("alert", "advise", "assure"):
        docxkit.heading(doc, cls.capitalize(), 2)
        items = getattr(ctx.summary, cls)
        if not items:
            docxkit.paragraph(doc, empty[cls])
        for it in items:
            docxkit.bullet(doc, it.text, bold_prefix=f"{it.heading}. ")


def _trend_outcomes(ctx: BoardContext) -> list[OutcomeView]:
    seen: set[tuple[str, str]] = set()
    out = []
    for cls in ("alert", "advise"):
        for o in ctx.outcomes:
            key = (o.metric, o.breakdown)
            points = [p for p in o.series if p.value is not None]
            if o.classification == cls and o.status == "breach" and key not in seen \
                    and len(points) >= 2:
                seen.add(key)
                out.append(o)
    return out[:MAX_TREND_CHARTS]


def _chart(doc: DocumentType, c: charts.Chart | None, title: str) -> None:
    if c is not None:
        docxkit.picture(doc, c.png, alt=c.alt, title=title, width_cm=16.0, caption=c.caption)


def _charts(doc: DocumentType, ctx: BoardContext, env: jinja2.Environment) -> None:
    colour = ctx.branding.primary_colour
    low, high = ctx.non_adverse_range
    docxkit.heading(doc, "Charts", 1)
    docxkit.paragraph(doc, "Each chart repeats figures given in words in the tables; its "
                      "alternative text describes it in full.")
    rl = charts.likelihood_chart(ctx.outcomes, low, high, colour)
    if rl is not None:
        docxkit.heading(doc, "Relative likelihoods", 2)
        _chart(doc, rl, "Relative likelihoods")
    gaps = charts.gap_chart(ctx.outcomes, colour)
    if gaps is not None:
        docxkit.heading(doc, "Staff Survey indicators by group", 2)
        _chart(doc, gaps, "Staff Survey indicators by group")
    trends = _trend_outcomes(ctx)
    if trends:
        docxkit.heading(doc, "Trends behind the breaches", 2)
        docxkit.paragraph(doc, f"Up to {MAX_TREND_CHARTS} breaches are charted, alerts first; "
                          "every figure is in the tables above.")
        for o in trends:
            docxkit.heading(doc, f"{o.metric_label}{o.breakdown}: {o.title}", 3)
            _chart(doc, charts.trend_chart(o, ctx.organisation.name, colour), o.title)
    if ctx.spc:
        docxkit.heading(doc, "Monthly series (Making Data Count)", 2)
        for v in ctx.spc:
            docxkit.heading(doc, v.title, 3)
            _chart(doc, charts.spc_chart(v, colour), v.title)
            docxkit.write_blocks(doc, prose.blocks(env, "board/spc.j2", ctx=ctx, spc=v))
    docxkit.heading(doc, "NHS Staff Survey: comparison with peers", 2)
    docxkit.write_blocks(doc, prose.blocks(env, "board/peers.j2", ctx=ctx))
    _chart(doc, charts.peer_chart(ctx.peers, colour), "Peer comparison")


def _findings(doc: DocumentType, ctx: BoardContext, env: jinja2.Environment) -> None:
    docxkit.heading(doc, "Findings and actions", 1)
    docxkit.write_blocks(doc, prose.blocks(env, "board/findings.j2", ctx=ctx))
    if not ctx.findings:
        return
    rows = [[[f.title, f.rule_id],
             [f.status_label, f"Level: {f.level_label}"],
             [str(f.consecutive_periods)],
             [f.owner or "No owner assigned", f"Due: {f.due_text}"],
             [f.ack_text]] for f in ctx.findings]
    docxkit.table(doc, ["Finding", "Status and level", "Periods", "Owner and due date",
                        "Acknowledged"], rows, widths_cm=[5.0, 3.2, 2.1, 3.4, 3.3],
                  caption="Findings with their status, escalation level, owner and due date",
                  header_fill=ctx.branding.primary_colour, bold_first_column=True)


def _data_quality(doc: DocumentType, ctx: BoardContext, env: jinja2.Environment) -> None:
    docxkit.heading(doc, "Data quality and declaration rates", 1)
    docxkit.write_blocks(doc, prose.blocks(env, "board/data_quality.j2", ctx=ctx))
    if ctx.declarations:
        rows = [[[d.label], [d.rate_text], [f"{d.declared_text} of {d.headcount_text} staff"
                                            if d.declared_text else "withheld"],
                 [d.previous_text or "no earlier figure"], [d.status_label]]
                for d in ctx.declarations]
        docxkit.table(doc, ["Measure", "Declared", "Staff", "Previous year", "Rule"], rows,
                      widths_cm=[4.6, 2.2, 3.8, 4.2, 2.2],
                      caption="Declaration rates on ESR with the previous year",
                      header_fill=ctx.branding.primary_colour, bold_first_column=True)
    else:
        docxkit.paragraph(doc, "No declaration rates: the store holds no workforce return for "
                          "this organisation.")
    docxkit.heading(doc, "Caveats", 2)
    for c in ctx.caveats or ("None.",):
        docxkit.bullet(doc, c)


def _sources(doc: DocumentType, ctx: BoardContext) -> None:
    docxkit.heading(doc, "Sources of the data", 1)
    if ctx.imports:
        rows = [[[i.filename], [i.source], [f"{i.imported_at:%d %b %Y %H:%M} by {i.imported_by}"],
                 [f"{i.observations:,}"], [i.sha256]] for i in ctx.imports]
        docxkit.table(doc, ["File", "Importer", "Imported", "Figures", "SHA-256"], rows,
                      widths_cm=[3.6, 2.4, 3.2, 1.8, 6.0],
                      caption="Files the figures were imported from, with their SHA-256",
                      header_fill=ctx.branding.primary_colour, bold_first_column=True)
    else:
        docxkit.paragraph(doc, "No file has supplied figures for this organisation.")
    docxkit.paragraph(doc, ", ".join(f"{name} ({file})" for name, file in ctx.rule_packs) + ".",
                      bold_prefix="Rule packs in force: ")


def _definitions(doc: DocumentType, ctx: BoardContext) -> None:
    docxkit.heading(doc, "Appendix: definitions", 1)
    rows = [[[d.label], [d.title, d.definition], [d.source or "", d.counts]]
            for d in ctx.definitions]
    docxkit.table(doc, ["Indicator", "Definition", "Source and counts"], rows,
                  widths_cm=[2.6, 9.4, 5.0], caption="Definitions of the indicators used",
                  header_fill=ctx.branding.primary_colour, bold_first_column=True)


class BoardRenderer(DocumentRenderer[BoardContext]):
    """Registry entry ``board``: the board assurance report for one organisation."""

    name = "board"
    description = "Board assurance report (Word): Alert/Advise/Assure, outcomes, charts"
    action = "report.board"

    context = staticmethod(board_context)

    def front(self, ctx: BoardContext) -> Front:
        return Front(subject=f"{ctx.committee}, {ctx.as_of_text}",
                     keywords="WRES; WDES; NHS Staff Survey; board assurance",
                     branding=ctx.branding,
                     footer=(ctx.committee, ctx.as_of_text,
                             "Restricted" if ctx.exact_counts else "Suppressed figures"))

    def cover(self, ctx: BoardContext, env: jinja2.Environment) -> list[prose.Block]:
        return prose.blocks(env, "board/cover.j2", ctx=ctx)

    def body(self, doc: DocumentType, ctx: BoardContext, env: jinja2.Environment) -> None:
        docxkit.heading(doc, "Introduction", 1)
        if not ctx.has_data:
            docxkit.write_blocks(doc, prose.blocks(env, "board/no_data.j2", ctx=ctx))
        else:
            docxkit.write_blocks(doc, prose.blocks(env, "board/introduction.j2", ctx=ctx))
            _summary(doc, ctx, env)
            docxkit.heading(doc, "Indicators and rules", 1)
            _outcomes(doc, ctx)
            _charts(doc, ctx, env)
            _findings(doc, ctx, env)
            _data_quality(doc, ctx, env)
        _sources(doc, ctx)
        if ctx.definitions:
            _definitions(doc, ctx)


_board = BoardRenderer()
build_document = _board.build
"""The board report as a python-docx document (not yet saved)."""
write_board_docx = _board.write
"""Write the report reproducibly (no audit event: see :func:`render_board_report`)."""
render_board_report = _board.write_and_record
"""Write the board report to ``out_path`` and record ``report.board`` with its SHA-256."""
