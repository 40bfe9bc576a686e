"""The board report's division tables: each indicator by division for its latest period.

One table per indicator the rule packs use that has figures under ``division:<code>``
breakdowns for the organisation, in rule order. Each division's figure is the engine's figure
for that breakdown, disclosed for the audience like every other figure; which divisions may
have rows of their own is decided by :func:`assurance.disclosure.divisions.combined_divisions`
(small divisions are shown combined, never in a way the trust's total gives back). A
division-scoped rule's verdict for each division is shown beside its figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from assurance.catalogue import MetricDef
from assurance.disclosure import DisclosurePolicy
from assurance.disclosure.divisions import combined_divisions, people_texts
from assurance.engine.data import DataView, OrgInfo, division_breakdown
from assurance.engine.evaluate import Outcome
from assurance.engine.figures import Figure
from assurance.engine.rules import Rule
from assurance.periods import short_label
from assurance.report_context.model import STATUS_LABELS, DivisionRowView, DivisionTableView
from assurance.report_context.views import figure_view

COMBINED = "Other divisions combined"
NOT_JUDGED = "Not judged by division"


def _counts(fig: Figure) -> list[int | None]:
    """Every count the figure is built on: each group's numerator and denominator."""
    return [c for g in (fig.focus, fig.reference, fig.unknown) if g is not None
            for c in (g.numerator, g.denominator)]


def _people(fig: Figure) -> int:
    """How many people the figure counts (both groups' denominators for a likelihood,
    the headcount for a share)."""
    if fig.rl is not None:
        return sum(g.denominator or 0 for g in (fig.focus, fig.reference) if g is not None)
    for g in (fig.focus, fig.reference):
        if g is not None and g.denominator:
            return g.denominator
    return 0


def division_table(view: DataView, m: MetricDef, org: OrgInfo, policy: DisclosurePolicy,
                   confidence: float, verdicts: Mapping[str, Outcome], rule: Rule
                   ) -> DivisionTableView | None:
    """One indicator by division for the current period, or None when it has no division
    figures for the organisation then."""
    period = view.current_period(m.id)
    codes = view.divisions(m.id, org.code)
    if period is None or not codes:
        return None
    figures = {c: f for c in codes
               if (f := view.figure(m.id, org.code, period, division_breakdown(c))) is not None}
    if not figures:
        return None
    people = {c: _people(f) for c, f in figures.items()}
    pooled = combined_divisions({c: _counts(f) for c, f in figures.items()}, people, policy)
    rows: list[DivisionRowView] = []
    shown_people: dict[str, int] = {}
    for c, f in sorted(figures.items(), key=lambda kv: org.division(kv[0]).name):
        if c in pooled:
            continue
        d = org.division(c)
        o = verdicts.get(c)
        rows.append(DivisionRowView(
            d.name, (d.name,), d.owner or "none assigned", figure_view(f, m, policy, confidence),
            "", STATUS_LABELS[o.status] if o is not None else NOT_JUDGED))
        shown_people[d.name] = people[c]
    note = ""
    if pooled:
        members = tuple(sorted(org.division(c).name for c in pooled))
        fig = view.figure(m.id, org.code, period,
                          tuple(division_breakdown(c) for c in sorted(pooled)))
        rows.append(DivisionRowView(
            COMBINED if rows else "All divisions combined", members, "",
            figure_view(fig, m, policy, confidence) if fig is not None and len(pooled) > 1
            else None, "", "Not judged (combined)", combined=True))
        shown_people[rows[-1].name] = sum(people[c] for c in pooled)
        note = (f"{len(pooled)} divisions ({', '.join(members)}) are shown combined: their "
                "figures rest on numbers small enough to identify people, and showing one "
                "alone would let the others give it away.")
    texts = people_texts(shown_people, policy)
    rows = [DivisionRowView(r.name, r.members, r.owner, r.figure, texts[r.name],
                            r.status_label, r.combined) for r in rows]
    return DivisionTableView(m.id, m.label, m.title, short_label(period),
                             rule.title, tuple(rows), note)


def division_tables(view: DataView, metrics: Sequence[MetricDef], org: OrgInfo,
                    policy: DisclosurePolicy, confidence: float,
                    outcomes: Sequence[Outcome], rules: Sequence[Rule]
                    ) -> tuple[DivisionTableView, ...]:
    """Every indicator a division-scoped rule judges that has division figures, in the
    order given."""
    out = []
    for m in metrics:
        rule = next((r for r in rules if r.metric == m.id and r.scope == "division"), None)
        if rule is None:
            continue
        verdicts = {o.division.code: o for o in outcomes
                    if o.rule.id == rule.id and o.division is not None}
        t = division_table(view, m, org, policy, confidence, verdicts, rule)
        if t is not None:
            out.append(t)
    return tuple(out)
