"""The board assurance report (Word), rendered from a :class:`BoardContext`.

Layout, as a trust secretary would put it in front of a committee: a cover (organisation,
committee, date, reporting period, data as at, purpose, classification), an executive
summary of at most two pages (Alert items with owners and promises, the figures that moved
most with their significance, the decisions asked), the Making Data Count summary page
(variation and assurance icons in words, and the matrix), the Alert / Advise / Assure
summary, the table of every rule outcome grouped by standard, charts with
alt text and a written reading, findings with owners and due dates, data quality and
declaration rates, the sources (files and SHA-256) and a definitions appendix. Prose
blocks come from Jinja2 templates (:mod:`reports.prose`).
"""

from __future__ import annotations

import jinja2
from docx.document import Document as DocumentType

from assurance.periods import long_date, short_label
from assurance.report_context import BoardContext, OutcomeView, board_context
from assurance.report_context.summary import (
    ASSURANCE_WORDS,
    MATRIX_COLUMNS,
    VARIATION_WORDS,
    ExecutiveSummary,
    MdcSummary,
    executive_summary,
    mdc_summary,
)
from reports import charts, docxkit, icons, prose
from reports.document import DocumentRenderer, Front
from reports.widths import column_widths

MAX_TREND_CHARTS = 4
STATUS_FILL = {"breach": "FCE4D6", "outside": "FFF2CC", "ok": "E2EFDA", "no_data": "EDEDED",
               "not_calculable": "EDEDED", "error": "EDEDED"}


def _outcome_row(o: OutcomeView) -> list[list[str]]:
    fv = o.figure
    when = short_label(o.period) if o.period else ""
    figure = [fv.value_text, fv.ci_text, fv.counts_text, when] if fv else ["No figure", when]
    if fv is not None and fv.note:
        figure.append(f"\u201c{fv.note}\u201d")
    # The trend column says "improving" or "worsening" only when a test or signal supports
    # it (issue 11): the judged movement when there is one, else the two values.
    # A kind judging no figure is named by its title (OutcomeView.indicator): said once.
    return [[*dict.fromkeys((o.indicator, o.title)), f"Rule: {o.rule_text}"],
            [o.status_label, o.classification.capitalize()],
            [x for x in figure if x],
            [o.movement.text if o.movement is not None else o.trend_text]
            + ([o.summary] if o.status in ("not_calculable", "error") else [])]


def _outcomes(doc: DocumentType, ctx: BoardContext) -> None:
    """Judged rules per standard in full; rules without data together, briefly."""
    fill = ctx.branding.primary_colour
    groups: dict[str, list[OutcomeView]] = {}
    for o in ctx.outcomes:
        if o.status != "no_data":
            groups.setdefault(o.pack_title, []).append(o)
    header = ["Indicator and rule", "Status", "Figure", "Trend"]
    # One set of widths for every standard's table, so their columns line up page to page.
    widths = column_widths(header, [_outcome_row(o) for v in groups.values()
                                            for o in v], bold_first_column=True)
    for title, items in groups.items():
        docxkit.heading(doc, title, 2)
        t = docxkit.table(doc, header, [_outcome_row(o) for o in items], widths_cm=widths,
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
                      [[[o.indicator], [o.title], [o.status_label],
                        [o.summary]] for o in missing],
                      caption="Rules that could not be judged for lack of data",
                      header_fill=fill, bold_first_column=True)


def _divisions(doc: DocumentType, ctx: BoardContext) -> None:
    """Each indicator by division: where in the organisation the gap is."""
    docxkit.heading(doc, "Divisions", 1)
    docxkit.paragraph(doc, "Each indicator by division for its latest period, with the "
                      "division's accountable owner. A division judged by a division-level "
                      "rule shows its verdict; small divisions are shown combined so that "
                      "no one can be identified.")
    fill = ctx.branding.primary_colour
    for t in ctx.divisions:
        name = t.metric_title if t.metric_label == t.metric_title else (
            f"{t.metric_label}: {t.metric_title}")
        docxkit.heading(doc, f"{name} ({t.period_label})", 2)
        if t.rule_title:
            docxkit.paragraph(doc, f"Judged by division: {t.rule_title}.")
        rows = [[[r.name, *(r.members if r.combined else ())],
                 [r.figure.value_text if r.figure else "Withheld (small numbers)"
                  if r.combined else "No figure",
                  *([r.figure.ci_text] if r.figure and r.figure.ci_text else [])],
                 [r.people_text], [r.status_label], [r.owner or "–"]] for r in t.rows]
        table = docxkit.table(doc, ["Division", "Figure", "People counted", "Status",
                                    "Accountable owner"], rows,
                              caption=f"{t.metric_label} by division, {t.period_label}",
                              header_fill=fill, bold_first_column=True)
        for row, r in zip(table.rows[1:], t.rows, strict=True):
            if r.status_label == "Breach":
                docxkit.shade(row.cells[3], STATUS_FILL["breach"])
        if t.note:
            docxkit.paragraph(doc, t.note)


def _executive(doc: DocumentType, ctx: BoardContext, env: jinja2.Environment,
               es: ExecutiveSummary) -> None:
    """The front pages: Alert items, the figures that moved most, the decisions asked."""
    fill = ctx.branding.primary_colour
    docxkit.heading(doc, "Executive summary", 1)
    docxkit.write_blocks(doc, prose.blocks(env, "board/executive.j2", ctx=ctx, summary=es))
    docxkit.heading(doc, "Alert items", 2)
    if not es.alerts:
        docxkit.paragraph(doc, "No Alert item at this date: no finding needs the committee's "
                          "action (see Advise for continuing matters).")
    else:
        rows = [[[a.what, a.figure], [a.since], [a.owner, f"Level: {a.level_label}"],
                 [a.promise, f"By: {a.due}"]] for a in es.alerts]
        t = docxkit.table(doc, ["Alert item", "Since", "Owner", "Promised, by when"], rows,
                          caption="Alert items: what, since when, who owns it, what was "
                                  "promised and by when", header_fill=fill,
                          bold_first_column=True)
        for row, a in zip(t.rows[1:], es.alerts, strict=True):
            if not a.has_owner:
                row.cells[2].paragraphs[0].runs[0].bold = True
            if a.overdue:
                row.cells[3].paragraphs[-1].runs[0].bold = True
    if es.more_alerts:
        docxkit.paragraph(doc, "Also on Alert, the most serious first in each group (each under "
                          "Alert in the summary below):")
        for g in es.more_alerts:
            docxkit.bullet(doc, "; ".join(g.items) + ".", bold_prefix=f"{g.lead}: ")
    docxkit.heading(doc, "Figures that moved most", 2)
    if es.moved_note:
        docxkit.paragraph(doc, es.moved_note)
    if es.moved:
        docxkit.table(doc, ["Indicator", "Movement and its significance", "Judged by"],
                      [[[m.what], [m.text], [m.basis or "not tested"]] for m in es.moved],
                      caption="The figures that moved most since the previous period, "
                              "significant changes first", header_fill=fill,
                      bold_first_column=True)
    docxkit.heading(doc, "Decisions asked of the committee", 2)
    if not es.decisions:
        docxkit.paragraph(doc, "No decision is asked at this date: every Alert item has an "
                          "owner, no action is overdue and none has reached the regulator "
                          "level." if es.alerts else "No decision is asked at this date: "
                          "there is no Alert item.")
    for d in es.decisions:
        docxkit.bullet(doc, d.text)
    for lead, items in es.more_decisions:
        docxkit.bullet(doc, "; ".join(items) + ".", bold_prefix=f"{lead}: ")


def _mdc(doc: DocumentType, ctx: BoardContext, env: jinja2.Environment,
         mdc: MdcSummary) -> None:
    """Making Data Count's summary page: icons in words and as pictures, then the matrix."""
    fill = ctx.branding.primary_colour
    docxkit.heading(doc, "Making Data Count summary", 1)
    docxkit.write_blocks(doc, prose.blocks(env, "board/mdc.j2", ctx=ctx, mdc=mdc))
    if not mdc.rows:
        return
    marks = [(icons.variation_icon(r), icons.assurance_icon(r)) for r in mdc.rows]
    t = docxkit.table(doc, ["Monthly metric", "Variation", "Assurance", "What the chart shows"],
                      [[[r.title], [v.word], [a.word], [r.description]]
                       for r, (v, a) in zip(mdc.rows, marks, strict=True)],
                      caption="Making Data Count variation and assurance for every monthly "
                              "metric", header_fill=fill, bold_first_column=True,
                      widths_cm=[4.4, 3.4, 3.4, 5.8])
    for row, (v, a) in zip(t.rows[1:], marks, strict=True):
        docxkit.cell_icon(row.cells[1], v.png, alt=v.alt, title="Variation icon",
                          width_cm=icons.ICON_CM)
        docxkit.cell_icon(row.cells[2], a.png, alt=a.alt, title="Assurance icon",
                          width_cm=icons.ICON_CM)
    docxkit.heading(doc, "Variation and assurance matrix", 2)
    docxkit.paragraph(doc, "Rows are the variation reading, columns the assurance reading; "
                      "each cell names the metrics with that pair.")
    rows = [[[VARIATION_WORDS[cells[0].variation]],
             *[list(c.titles) or ["none"] for c in cells]] for cells in mdc.matrix]
    docxkit.table(doc, ["Variation", *(ASSURANCE_WORDS[a] for a in MATRIX_COLUMNS)], rows,
                  widths_cm=[3.4] * (1 + len(MATRIX_COLUMNS)),
                  caption="Variation by assurance: the metrics in each cell", header_fill=fill,
                  bold_first_column=True)


def _summary(doc: DocumentType, ctx: BoardContext, env: jinja2.Environment) -> None:
    docxkit.heading(doc, "Summary: Alert, Advise, Assure", 1)
    docxkit.write_blocks(doc, prose.blocks(env, "board/summary.j2", ctx=ctx))
    counts = ", ".join(f"{label} {n}" for label, n in ctx.status_counts if n)
    docxkit.paragraph(doc, counts + ".", bold_prefix="Rules judged: ")
    continuing = sum(1 for o in ctx.outcomes if o.classification == "advise"
                     and o.status == "breach")
    empty = {"alert": "Nothing needs the committee's action at this date: no breach is open "
                      "at board level, overdue, without an owner, new or escalated, and no "
                      "series shows special cause concern."
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
        docxkit.chart(doc, c.part, alt=c.alt, title=title, width_cm=c.width_cm,
                      height_cm=c.height_cm, caption=c.caption)


def _charts(doc: DocumentType, ctx: BoardContext, env: jinja2.Environment) -> None:
    colour = ctx.branding.primary_colour
    low, high = ctx.non_adverse_range
    docxkit.heading(doc, "Charts", 1)
    docxkit.paragraph(doc, "Each chart repeats figures given in words in the tables; its "
                      "alternative text describes it in full.")
    rls = charts.likelihood_charts(ctx.outcomes, low, high, colour)
    if rls:
        docxkit.heading(doc, "Relative likelihoods", 2)
    for rl in rls:
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
            docxkit.heading(doc, o.heading, 3)
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
                        "Acknowledged"], rows,
                  caption="Findings with their status, escalation level, owner and due date",
                  header_fill=ctx.branding.primary_colour, bold_first_column=True)


def _interventions(doc: DocumentType, ctx: BoardContext) -> None:
    """The actions the organisation has taken, each judged against its own indicator."""
    docxkit.heading(doc, "Actions: did they work?", 2)
    docxkit.paragraph(doc, "Each action in the interventions register, judged against its "
                      "indicator before and after it started: an effect, no measurable effect "
                      "yet, or too early to tell, with the method used.")
    rows = [[[v.title], [v.indicator], [v.owner], [v.start_text],
             [v.verdict.capitalize(), v.summary], [v.method_text]] for v in ctx.interventions]
    docxkit.table(doc, ["Action", "Indicator", "Owner", "Started", "Verdict", "How judged"],
                  rows, caption="Actions and their measured verdicts",
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
        rows = [[[i.filename], [i.source], [f"{long_date(i.imported_at.date())} "
                                            f"{i.imported_at:%H:%M} UTC", f"by {i.imported_by}"],
                 [f"{i.observations:,}"], [i.sha256]] for i in ctx.imports]
        docxkit.table(doc, ["File", "Importer", "Imported", "Figures", "SHA-256"], rows,
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
                  caption="Definitions of the indicators used",
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
                     footer=(ctx.committee, f"Position at {ctx.as_of_text}",
                             "Restricted" if ctx.exact_counts else "Suppressed figures"))

    def cover(self, ctx: BoardContext, env: jinja2.Environment) -> list[prose.Block]:
        return prose.blocks(env, "board/cover.j2", ctx=ctx)

    def body(self, doc: DocumentType, ctx: BoardContext, env: jinja2.Environment) -> None:
        if ctx.has_data:
            _executive(doc, ctx, env, executive_summary(ctx))
            docxkit.page_break(doc)
            mdc = mdc_summary(ctx)
            _mdc(doc, ctx, env, mdc)
            if mdc.rows:  # a page of its own; without series it is one sentence
                docxkit.page_break(doc)
        docxkit.heading(doc, "Introduction", 1)
        if not ctx.has_data:
            docxkit.write_blocks(doc, prose.blocks(env, "board/no_data.j2", ctx=ctx))
        else:
            docxkit.write_blocks(doc, prose.blocks(env, "board/introduction.j2", ctx=ctx))
            _summary(doc, ctx, env)
            docxkit.heading(doc, "Indicators and rules", 1)
            _outcomes(doc, ctx)
            if ctx.divisions:
                _divisions(doc, ctx)
            _charts(doc, ctx, env)
            _findings(doc, ctx, env)
            if ctx.interventions:
                _interventions(doc, ctx)
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
