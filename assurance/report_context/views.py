"""From engine objects to the disclosed, printable views of :mod:`assurance.report_context.model`.

Every number passes through the audience's :class:`~assurance.disclosure.DisclosurePolicy`
here, once; renderers only ever see the result.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import date

from assurance import spc as xmr
from assurance.catalogue import MetricDef
from assurance.disclosure import DisclosurePolicy
from assurance.disclosure.figure import disclose_figure
from assurance.engine.conditions.base import facts_of
from assurance.engine.conditions.common import describe_breakdown
from assurance.engine.data import DataView
from assurance.engine.figures import Figure, fmt_value, p_text
from assurance.engine.movement import WORDS as MOVEMENT_WORDS
from assurance.engine.movement import Movement
from assurance.engine.rules import Rule
from assurance.models import Finding, FindingEvent, Import
from assurance.periods import long_date, parse_period_key, short_label
from assurance.report_context.model import (
    Direction,
    FigureView,
    FindingEventView,
    FindingView,
    GroupFigure,
    ImportRef,
    MovementView,
    PeerView,
    SeriesPoint,
    SourceRef,
    SpcPointView,
    SpcView,
)
from assurance.wording import level_label

VARIATION_LABELS = {
    "common_cause": "Common cause variation (no signal)",
    "special_cause_improvement": "Special cause variation: improvement",
    "special_cause_concern": "Special cause variation: concern",
    "special_cause_neither": "Special cause variation: neither improvement nor concern",
    "none": "Not enough points for process limits",
}
ASSURANCE_LABELS = {
    "consistent_pass": "The target will consistently be met",
    "consistent_fail": "The target will consistently be missed unless the process changes",
    "hit_and_miss": "Hit and miss: the target lies inside the process limits",
    "none": "No target is set, so there is no assurance reading",
}


BOARD_LEVEL = "board"


def board_levels(levels: Sequence[str]) -> tuple[str, ...]:
    """The escalation levels at board level or higher: from a level named ``board`` up, else
    the top two levels of the ladder (the default ladder's board committee and regulator).
    The board report's Alert and the well-led document's accountability both use this."""
    if BOARD_LEVEL in levels:
        return tuple(levels[list(levels).index(BOARD_LEVEL):])
    return tuple(levels[-2:])


def period_label(key: str | None) -> str:
    if key is None:
        return "no period"
    spec = parse_period_key(key)
    return spec.label if spec else key


def figure_view(fig: Figure, m: MetricDef, policy: DisclosurePolicy,
                confidence: float = 0.95) -> FigureView:
    """A figure as the audience may see it (every number through :func:`disclose_figure`)."""
    d = disclose_figure(facts_of(fig), policy, confidence=confidence)
    groups = tuple(GroupFigure(g.role, g.group, g.label, g.value,
                               g.value_text or fmt_value(None, ""), g.numerator, g.denominator,
                               g.numerator_text, g.denominator_text) for g in d.groups)
    if not fig.calculable:
        value_text, line = "not calculable", f"not calculable: {fig.reason}"
    else:
        value_text, line = d.value_text, d.headline()
    return FigureView(fig.metric, m.label, fig.period_key, short_label(fig.period_key),
                      fig.unit, fig.calculable, d.value, value_text, d.ci, d.ci_text, line,
                      d.counts_text(), groups, d.declaration_rate, fig.reason, fig.note,
                      d.hidden)


def withheld(fig: Figure, policy: DisclosurePolicy) -> bool:
    """Whether the figure's value is hidden from the audience (so not charted either)."""
    return disclose_figure(facts_of(fig), policy).value_hidden


def reference_of(fig: Figure, m: MetricDef) -> float | None:
    """The comparison line for a trend chart, in the figure's own unit."""
    if m.kind == "share":
        return fig.extra.get("overall_share")
    if m.kind in ("group_percent", "group_score") and fig.reference is not None:
        return fig.reference.value
    return None


def reference_label(m: MetricDef, cat_label: str) -> str:
    if m.kind == "share":
        return "whole workforce"
    if m.kind in ("group_percent", "group_score"):
        return cat_label
    return ""


def series_points(view: DataView, m: MetricDef, org: str, breakdown: object,
                  policy: DisclosurePolicy) -> tuple[SeriesPoint, ...]:
    """The organisation's figures up to the current period, disclosed point by point."""
    bd = breakdown if isinstance(breakdown, (str, tuple)) else None
    out = []
    for f in view.series(m.id, org, bd):
        ok = f.calculable and not withheld(f, policy)
        reference = reference_of(f, m) if ok else None
        if reference is not None and m.kind == "share":  # the whole-workforce share has
            overall = view.figure(m.id, org, f.period_key, "overall")  # counts of its own
            if overall is None or withheld(overall, policy):
                reference = None
        out.append(SeriesPoint(f.period_key, short_label(f.period_key),
                               f.value if ok else None, reference,
                               f.ci[0] if ok and f.ci else None,
                               f.ci[1] if ok and f.ci else None))
    return tuple(out)


_DIRECTIONS: dict[str, Direction] = {"improving": "improving", "worsening": "worsening",
                                     "no_significant_change": "unchanged",
                                     "not_tested": "changed"}


def movement_view(mv: Movement | None, m: MetricDef, policy: DisclosurePolicy,
                  series: Sequence[SeriesPoint]) -> tuple[MovementView | None, Direction | None,
                                                          str]:
    """The judged latest change in words for the audience, with the direction and trend text
    an :class:`OutcomeView` carries. "Improving"/"worsening" only with the evidence that
    supports it; when either figure is withheld from the audience, the change is not shown
    (a direction built on small numbers could reveal them)."""
    if mv is None:
        return None, None, "Single period" if any(p.value is not None for p in series) \
            else "No trend available"
    prev, cur = mv.previous, mv.current
    pl, cl = short_label(prev.period_key), short_label(cur.period_key)
    dp, dc = (disclose_figure(facts_of(f), policy) for f in (prev, cur))
    a, b = dp.value_text, dc.value_text
    if mv.measure == "gap" and prev.gap is not None and cur.gap is not None:
        gap_unit = "percentage_points" if m.unit == "percent" else m.unit
        a, b = fmt_value(prev.gap, gap_unit), fmt_value(cur.gap, gap_unit)
    if dp.value_hidden or dc.value_hidden:
        text = (f"Change from {pl} to {cl} not shown: a figure is withheld to protect small "
                "numbers")
        return MovementView("not_tested", "", None, pl, a, b, text), None, text
    values = f"{a} ({pl}) to {b} ({cl})"
    if mv.measure == "gap":
        values = f"the gap between the groups, {values}"
    if mv.basis == "SPC signal":
        why = {"improving": "special cause improvement on the SPC chart",
               "worsening": "special cause concern on the SPC chart",
               "no_significant_change": "common cause variation on the SPC chart"}
        text = f"{MOVEMENT_WORDS[mv.direction]}: {values}; {why.get(mv.direction, '')}"
    elif mv.p_value is not None and mv.direction != "not_tested":
        sig = "significant" if mv.direction in ("improving", "worsening") else "could be chance"
        text = f"{MOVEMENT_WORDS[mv.direction]}: {values} ({sig}, {p_text(mv.p_value)})"
    elif mv.p_value is not None:  # tested, but the metric has no direction of improvement
        text = f"{MOVEMENT_WORDS[mv.direction]}: {values} ({p_text(mv.p_value)}; no direction " \
               "of improvement is set for this measure)"
    else:
        text = f"{MOVEMENT_WORDS[mv.direction]}: {values} (not tested: no counts or bases)"
    view = MovementView(mv.direction, mv.basis, mv.p_value, pl, a, b, text)
    return view, _DIRECTIONS[mv.direction], text


def breakdown_words(rule: Rule) -> str:
    bd = getattr(rule.condition, "breakdown", None)
    return describe_breakdown(bd) if isinstance(bd, (str, tuple)) else ""


def import_ref(i: Import) -> ImportRef:
    assert i.id is not None
    return ImportRef(i.id, i.source, i.filename, i.sha256, i.imported_at, i.imported_by,
                     i.rows_read, i.observations, i.importer_version, i.note)


def source_ref(i: Import | None, period: str | None) -> SourceRef | None:
    if i is None or i.id is None or period is None:
        return None
    return SourceRef(i.filename, i.sha256, i.id, period, period_label(period))


# ----------------------------------------------------------------------------- findings

def finding_view(f: Finding, events: Sequence[FindingEvent], as_of: date) -> FindingView:
    assert f.id is not None
    overdue = bool(f.open and f.action_due is not None and f.action_due < as_of)
    due_text = "not set" if f.action_due is None else long_date(f.action_due) + (
        " (overdue)" if overdue else "")
    if f.open:
        label = {"breach": "Open: breach", "no_data": "Open: no data this period",
                 "not_calculable": "Open: not calculable this period",
                 "outside": "Open: outside the range, not significant this period",
                 "ok": "Open: met this period, not yet resolved (recovering)",
                 "error": "Open: rule error"}.get(f.status, f"Open: {f.status}")
    elif f.resolved_on is not None:
        label = f"Resolved {long_date(f.resolved_on)}"
    else:
        label = {"error": "Rule error"}.get(f.status, "Closed")
    silenced = f.silenced_until is not None and f.silenced_until >= as_of
    if silenced and f.silenced_until is not None:
        label += f"; silenced until {long_date(f.silenced_until)}"
    ack = (f"Acknowledged by {f.ack_by}" + (f" on {long_date(f.ack_at.date())}" if f.ack_at
                                             else "") + (f": {f.ack_note}" if f.ack_note else "")
           ) if f.ack_by else "Not acknowledged"
    history = tuple(FindingEventView(e.at, e.as_of, e.period, e.kind, e.level, e.status,
                                     e.summary, e.actor) for e in events)
    return FindingView(
        id=f.id, fingerprint=f.fingerprint, rule_id=f.rule_id, title=f.title,
        severity=f.severity, status=f.status, status_label=label, open=f.open, level=f.level,
        level_label=level_label(f.level), consecutive_periods=f.consecutive_periods,
        first_breach_period=f.first_breach_period, opened_on=f.opened_on,
        resolved_on=f.resolved_on, owner=f.action_owner, due=f.action_due, due_text=due_text,
        overdue=overdue, action_note=f.action_note, acknowledged=f.ack_by is not None,
        ack_text=ack, silenced_until=f.silenced_until if silenced else None,
        silenced_reason=f.silenced_reason if silenced else None,
        events_at_as_of=tuple(e.kind for e in events if e.as_of == as_of),
        summary=f.summary, history=history)


# ----------------------------------------------------------------------------- SPC, peers

def spc_view(view: DataView, m: MetricDef, org: str, policy: DisclosurePolicy,
             method: str = "mdc") -> SpcView | None:
    """A Making Data Count chart of a monthly metric by ``method`` (``statistics.spc_method``:
    ``mdc`` or ``nhsr``; None: no data or withheld)."""
    series = [f for f in view.series(m.id, org) if f.calculable and f.value is not None]
    if not series or any(withheld(f, policy) for f in series):
        return None
    improvement = m.improvement if m.improvement in ("increase", "decrease") else "neutral"
    settings = xmr.SpcSettings.for_method(method, improvement=improvement)
    result = xmr.analyse([f.value for f in series if f.value is not None], settings)
    points = tuple(SpcPointView(f.period_key, short_label(f.period_key), p.value, p.mean, p.lpl,
                                p.upl, p.lower_two_sigma, p.upper_two_sigma, p.point_type)
                   for f, p in zip(series, result.points, strict=True))
    return SpcView(m.id, m.title, m.unit, m.improvement, points, result.limits_available,
                   result.variation, VARIATION_LABELS[result.variation], result.assurance,
                   ASSURANCE_LABELS[result.assurance], xmr.describe(result), settings.target)


def peer_gap(view: DataView, metrics: list[MetricDef], org: str, policy: DisclosurePolicy,
             min_peers: int = 5) -> str:
    """Why :func:`peer_view` compared none of ``metrics``, in words for the report.

    "No results" is said only when there are none: a small benchmarking group (CSUs, the one
    Community Surgical Services organisation) or a figure withheld from this audience is
    named as such.
    """
    info = view.orgs.get(org)
    name = info.name if info else org
    group = info.benchmark_group if info else None
    if not group:
        return (f"{name} has no benchmarking group in the register, so it cannot be compared "
                "with peers.")
    has_figure = is_withheld = False
    peers = 0
    for m in metrics:
        period = view.current_period(m.id)
        fig = view.figure(m.id, org, period) if period is not None else None
        if period is None or fig is None or not fig.calculable or fig.value is None:
            continue
        has_figure = True
        if withheld(fig, policy):
            is_withheld = True
            continue
        peers = max(peers, sum(1 for p in view.peers(m.id, org, period) if p.value is not None))
    if not has_figure:
        return ("There are no organisation-level NHS Staff Survey results for this "
                "organisation in the store, so it cannot be compared with its benchmarking "
                "group.")
    if peers and peers < min_peers:
        return (f"Its benchmarking group ({group}) has only {peers} organisation"
                f"{'s' if peers != 1 else ''} with results (counting this one); at least "
                f"{min_peers} are needed to place it among its peers, so it is not compared.")
    if is_withheld:
        return ("Its NHS Staff Survey figures are withheld from this audience under the "
                "small-numbers rule, so it is not compared with its benchmarking group.")
    return "No NHS Staff Survey figure could be compared with its benchmarking group."


def peer_view(view: DataView, m: MetricDef, org: str, policy: DisclosurePolicy,
              min_peers: int = 5) -> PeerView | None:
    """The organisation against its Staff Survey benchmarking group (None: cannot compare,
    or the organisation's figure is withheld from this audience)."""
    period = view.current_period(m.id)
    if period is None:
        return None
    fig = view.figure(m.id, org, period)
    if fig is None or not fig.calculable or fig.value is None or withheld(fig, policy):
        return None
    values = sorted(p.value for p in view.peers(m.id, org, period) if p.value is not None)
    if len(values) < min_peers:
        return None
    info = view.orgs.get(org)
    group = (info.benchmark_group if info else None) or "none"
    median = statistics.median(values)
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    better = {"increase": "higher", "decrease": "lower"}.get(m.improvement, "neither")
    v = fig.value
    if better == "neither":
        position = "above the median" if v > median else "at or below the median"
    else:
        good_q, bad_q = (q3, q1) if better == "higher" else (q1, q3)
        if (v >= good_q) if better == "higher" else (v <= good_q):
            position = "in the best quarter"
        elif (v <= bad_q) if better == "higher" else (v >= bad_q):
            position = "in the worst quarter"
        else:
            side = (v >= median) == (better == "higher")
            position = "better than the median" if side else "worse than the median"
    f = lambda x: fmt_value(x, m.unit)  # noqa: E731
    summary = (f"{f(v)} against a peer median of {f(median)} (middle half {f(q1)} to {f(q3)}; "
               f"{len(values)} organisations): {position}"
               + ("" if better == "neither" else f"; {better} is better") + ".")
    return PeerView(m.id, m.title, m.unit, period, short_label(period), group, len(values), v,
                    f(v), median, q1, q3, values[0], values[-1], better, position, summary)
