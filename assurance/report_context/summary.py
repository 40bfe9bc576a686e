"""The board report's front pages, worked out from a :class:`BoardContext` alone.

Two pure functions, so any renderer (Word today) shows the same front pages and tests can
check them without a document:

* :func:`executive_summary` — what a chair reads first, in at most two pages: the Alert
  items (what, since when, who owns it, what was promised and by when), the figures that
  moved most *with their significance* (issue 11: no trend word without evidence), and the
  decisions the committee is asked to take, each derived from the data (an Alert item with no
  owner, an overdue action, an escalation to the regulator level) — no invented text.
* :func:`mdc_summary` — Making Data Count's summary page (domain.md §7): every monthly
  metric with its variation and assurance reading, and the variation × assurance matrix a
  board paper uses.

Limits keep the summary to two pages; what is left off is counted and named, never dropped
silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from assurance.periods import long_date, short_label
from assurance.report_context.model import (
    BoardContext,
    FindingView,
    OutcomeView,
    SpcView,
    distinct_names,
)

MAX_ALERTS = 6
"""Alert items shown in full on the front pages; the rest are counted and named."""
MAX_MOVED = 3
MAX_DECISIONS = 6
"""Decisions written out one a line; the rest are named, grouped by kind, in one line each."""
REGULATOR_LEVEL = "regulator"
"""The escalation level the committee is asked to note (the top of the default ladder)."""

VariationKind = Literal["improvement", "concern", "neither", "common_cause", "none"]
AssuranceKind = Literal["pass", "hit_and_miss", "fail", "none"]
DecisionKind = Literal["assign_owner", "new_date", "note_escalation"]

VARIATION_KINDS: dict[str, VariationKind] = {
    "special_cause_improvement": "improvement", "special_cause_concern": "concern",
    "special_cause_neither": "neither", "common_cause": "common_cause", "none": "none"}
ASSURANCE_KINDS: dict[str, AssuranceKind] = {
    "consistent_pass": "pass", "hit_and_miss": "hit_and_miss", "consistent_fail": "fail",
    "none": "none"}
VARIATION_WORDS: dict[VariationKind, str] = {
    "improvement": "Special cause: improvement", "concern": "Special cause: concern",
    "neither": "Special cause: neither", "common_cause": "Common cause",
    "none": "Too few points for limits"}
ASSURANCE_WORDS: dict[AssuranceKind, str] = {
    "pass": "Consistently passing the target", "hit_and_miss": "Hit and miss",
    "fail": "Consistently failing the target", "none": "No target set"}
MATRIX_ROWS: tuple[VariationKind, ...] = ("improvement", "concern", "neither", "common_cause",
                                          "none")
MATRIX_COLUMNS: tuple[AssuranceKind, ...] = ("pass", "hit_and_miss", "fail", "none")


@dataclass(frozen=True)
class AlertLine:
    """One Alert item as the front page shows it."""

    rule_id: str
    what: str  # "WRES 2: White applicants more likely to be appointed from shortlisting"
    figure: str  # the outcome's one-sentence summary (disclosed)
    status_label: str
    since: str  # "in breach since 2021 (finding opened 1 June 2021)" or "new at this date"
    owner: str  # the owner's name, or "no owner"
    has_owner: bool
    promise: str  # the recorded action, or "no action recorded"
    due: str  # "30 September 2025 (overdue)" or "not set"
    overdue: bool
    level_label: str  # "Regulator", or "not in the findings register"


@dataclass(frozen=True)
class MovedFigure:
    """A figure whose latest change was judged (see ``OutcomeView.movement``)."""

    rule_id: str
    what: str
    direction: str  # improving | worsening | no_significant_change | not_tested
    significant: bool
    basis: str
    p_value: float | None
    text: str  # movement.text: "No significant change: 1.69 (2024) to 1.67 (2025), p = 0.81"


@dataclass(frozen=True)
class Decision:
    """A decision the committee is asked to take, and the Alert item it comes from."""

    kind: DecisionKind
    rule_id: str
    text: str
    item: str  # the Alert item's name: "WDES 4a (from managers)" (distinct_names)
    pack: str = ""  # its rule pack's title: "Workforce Disability Equality Standard"


@dataclass(frozen=True)
class NamedGroup:
    """Alert items left off the front pages, named under their rule pack's title."""

    lead: str  # "Workforce Disability Equality Standard"
    items: tuple[str, ...]  # "WDES 4b", "WDES 5" … (distinct_names)


@dataclass(frozen=True)
class ExecutiveSummary:
    """The front pages: Alert items, the figures that moved most and the decisions asked."""

    dates_text: str  # "Position at 1 June 2025 (figures imported 3 December 2026)"
    alerts: tuple[AlertLine, ...]  # at most MAX_ALERTS
    more_alerts: tuple[NamedGroup, ...]  # the Alert items left off, by rule pack
    moved: tuple[MovedFigure, ...]  # at most MAX_MOVED, significant first
    moved_note: str  # why fewer than MAX_MOVED (or none) are shown; "" otherwise
    decisions: tuple[Decision, ...]  # at most MAX_DECISIONS, escalations and overdue first
    more_decisions: tuple[tuple[str, tuple[str, ...]], ...]  # (lead, items) for the rest


@dataclass(frozen=True)
class MdcRow:
    """One monthly metric on the Making Data Count summary page."""

    metric: str
    title: str
    variation: str  # the engine's code ("special_cause_concern" …)
    variation_kind: VariationKind
    variation_word: str  # "Special cause: concern"
    variation_label: str  # the SpcView's full label
    high_low: Literal["H", "L", ""]  # which side the signal is on (icon letter)
    assurance: str
    assurance_kind: AssuranceKind
    assurance_word: str
    assurance_label: str
    description: str


@dataclass(frozen=True)
class MdcCell:
    variation: VariationKind
    assurance: AssuranceKind
    titles: tuple[str, ...]


@dataclass(frozen=True)
class MdcSummary:
    """Every monthly metric's icons in words, and the variation × assurance matrix."""

    rows: tuple[MdcRow, ...]
    matrix: tuple[tuple[MdcCell, ...], ...]  # MATRIX_ROWS × MATRIX_COLUMNS, in that order
    note: str  # "" or the one sentence saying there are no monthly series


def _since(o: OutcomeView, f: FindingView | None) -> str:
    if f is None:
        when = short_label(o.period) if o.period else o.period_label
        return f"in breach at {when}; not yet in the findings register"
    parts = []
    if f.first_breach_period:
        parts.append(f"in breach since {short_label(f.first_breach_period)}")
    if f.opened_on is not None:
        parts.append(f"finding opened {long_date(f.opened_on)}")
    if f.consecutive_periods:
        parts.append(f"{f.consecutive_periods} period"
                     + ("" if f.consecutive_periods == 1 else "s") + " in breach")
    return "; ".join(parts) or "new at this date"


def _alert_line(o: OutcomeView) -> AlertLine:
    f = o.finding
    owner = f.owner if f is not None and f.owner else ""
    return AlertLine(
        rule_id=o.rule_id, what=o.heading, figure=o.summary, status_label=o.status_label,
        since=_since(o, f), owner=owner or "no owner", has_owner=bool(owner),
        promise=(f.action_note if f is not None and f.action_note else "no action recorded"),
        due=f.due_text if f is not None else "not set", overdue=bool(f and f.overdue),
        level_label=f.level_label if f is not None else "not in the findings register")


DECISION_ORDER: dict[DecisionKind, int] = {"note_escalation": 0, "new_date": 1,
                                            "assign_owner": 2}
MORE_LEADS: dict[DecisionKind, str] = {"note_escalation": "Also note the escalation of",
                                       "new_date": "Also agree a new date or escalate",
                                       "assign_owner": "Also assign an owner for"}


def _decisions(alerts: list[OutcomeView]) -> list[Decision]:
    """Decisions in order of weight (escalations, overdue actions, owners), each kind in the
    Alert items' order."""
    out: list[Decision] = []
    for o, name in zip(alerts, distinct_names(alerts), strict=True):
        f = o.finding
        if f is None:
            continue  # the register note under Advise asks for the evaluation
        what = o.heading
        if not f.owner:
            out.append(Decision("assign_owner", o.rule_id, f"Assign an owner for {what}.",
                                name, o.pack_title))
        if f.overdue:
            out.append(Decision("new_date", o.rule_id,
                                f"Agree a new date or escalate (the action was due "
                                f"{f.due_text.removesuffix(' (overdue)')}): {what}.",
                                name, o.pack_title))
        if f.level == REGULATOR_LEVEL:
            out.append(Decision("note_escalation", o.rule_id,
                                f"Note the escalation to {f.level_label} level: {what}.",
                                name, o.pack_title))
    return sorted(out, key=lambda d: DECISION_ORDER[d.kind])


def _more(rest: list[Decision]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The decisions left off, one line per kind, naming their Alert items; the items of one
    rule pack side by side (the packs in the order of their first item)."""
    kinds = sorted({d.kind for d in rest}, key=DECISION_ORDER.__getitem__)
    out = []
    for k in kinds:
        of_kind = [d for d in rest if d.kind == k]
        rank = {p: i for i, p in enumerate(dict.fromkeys(d.pack for d in of_kind))}
        ordered = sorted(of_kind, key=lambda d: rank[d.pack])  # stable: severity within
        out.append((MORE_LEADS[k], tuple(dict.fromkeys(d.item for d in ordered))))
    return tuple(out)


def _by_pack(rest: list[OutcomeView], names: list[str]) -> tuple[NamedGroup, ...]:
    """The Alert items left off the front pages under their packs' titles, the packs in the
    order of their first item (the most severe first)."""
    packs: dict[str, list[str]] = {}
    for o, name in zip(rest, names, strict=True):
        packs.setdefault(o.pack_title, []).append(name)
    return tuple(NamedGroup(lead, tuple(dict.fromkeys(items))) for lead, items in packs.items())


def _moved(ctx: BoardContext) -> tuple[list[MovedFigure], str]:
    seen: set[tuple[str, str, str]] = set()
    significant: list[tuple[tuple[bool, float], MovedFigure]] = []
    rest: list[tuple[tuple[int, float], MovedFigure]] = []
    for o in ctx.outcomes:
        m = o.movement
        if m is None:
            continue
        key = (o.metric, o.breakdown, m.text)  # rules on the same figure share its movement
        if key in seen:
            continue
        seen.add(key)
        sig = m.direction in ("improving", "worsening")
        mf = MovedFigure(o.rule_id, f"{o.metric_label}{o.breakdown}", m.direction, sig,
                         m.basis, m.p_value, m.text)
        p = m.p_value if m.p_value is not None else 1.0
        if sig:
            # A signal without a p-value (SPC rule, trajectory) ranks after tested ones.
            significant.append(((m.p_value is None, p), mf))
        else:
            rest.append(((m.direction != "no_significant_change", p), mf))
    ranked = [mf for _, mf in sorted(significant, key=lambda t: t[0])]
    ranked += [mf for _, mf in sorted(rest, key=lambda t: t[0])]
    shown = ranked[:MAX_MOVED]
    if not shown:
        note = "No figure has two periods to compare, so no movement can be judged."
    elif not any(m.significant for m in shown):
        note = ("No figure changed significantly since the previous period; the closest to "
                "significance are shown.")
    else:
        note = ""
    return shown, note


def dates_text(ctx: BoardContext) -> str:
    """The report's two dates, worded so that they cannot be mistaken for each other."""
    if ctx.data_as_at is None:
        return f"Position at {ctx.as_of_text} (no figures imported)"
    return f"Position at {ctx.as_of_text} (figures imported {long_date(ctx.data_as_at.date())})"


def executive_summary(ctx: BoardContext) -> ExecutiveSummary:
    """The front pages of the board report, from the context alone (deterministic)."""
    # In the order of the Alert summary (severity first), then reading order.
    rank = {rid: i for i, item in enumerate(ctx.summary.alert) for rid in item.rule_ids}
    alerts = sorted((o for o in ctx.outcomes if o.classification == "alert"),
                    key=lambda o: rank.get(o.rule_id, len(rank)))
    decisions = _decisions(alerts)
    moved, note = _moved(ctx)
    return ExecutiveSummary(
        dates_text=dates_text(ctx),
        alerts=tuple(_alert_line(o) for o in alerts[:MAX_ALERTS]),
        more_alerts=_by_pack(alerts[MAX_ALERTS:], distinct_names(alerts)[MAX_ALERTS:]),
        moved=tuple(moved), moved_note=note,
        decisions=tuple(decisions[:MAX_DECISIONS]),
        more_decisions=_more(decisions[MAX_DECISIONS:]))


def _high_low(v: SpcView, kind: VariationKind) -> Literal["H", "L", ""]:
    """Which side of the mean the signal is on, as MDC's icons letter it."""
    if kind in ("common_cause", "none"):
        return ""
    up = {"increase": True, "decrease": False}.get(v.improvement)
    if kind == "improvement" and up is not None:
        return "H" if up else "L"
    if kind == "concern" and up is not None:
        return "L" if up else "H"
    last = v.points[-1] if v.points else None
    if last is None or last.mean is None or last.value == last.mean:
        return ""
    return "H" if last.value > last.mean else "L"


def mdc_row(v: SpcView) -> MdcRow:
    vk = VARIATION_KINDS.get(v.variation, "none")
    ak = ASSURANCE_KINDS.get(v.assurance, "none")
    return MdcRow(v.metric, v.title, v.variation, vk, VARIATION_WORDS[vk], v.variation_label,
                  _high_low(v, vk), v.assurance, ak, ASSURANCE_WORDS[ak], v.assurance_label,
                  v.description)


def mdc_summary(ctx: BoardContext) -> MdcSummary:
    """Making Data Count's summary page for every monthly metric in ``ctx.spc``."""
    rows = tuple(mdc_row(v) for v in ctx.spc)
    matrix = tuple(tuple(MdcCell(vk, ak, tuple(r.title for r in rows if r.variation_kind == vk
                                               and r.assurance_kind == ak))
                         for ak in MATRIX_COLUMNS) for vk in MATRIX_ROWS)
    note = "" if rows else ("There are no monthly series for this organisation, so there is "
                            "no Making Data Count summary.")
    return MdcSummary(rows, matrix, note)


__all__ = ["ASSURANCE_WORDS", "MATRIX_COLUMNS", "MATRIX_ROWS", "VARIATION_WORDS", "AlertLine",
           "Decision", "ExecutiveSummary", "MdcCell", "MdcRow", "MdcSummary", "MovedFigure",
           "NamedGroup", "dates_text", "executive_summary", "mdc_row", "mdc_summary"]
