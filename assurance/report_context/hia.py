"""Building the :class:`HiaContext`: the EDI Improvement Plan (High Impact Actions) document.

One organisation at one ``as_of``. The six actions come from the plan's catalogue file
(:mod:`assurance.improvement_plan`, in the plan's own order, paraphrased, with the source);
each success metric and commitment is measured by a rule of the HIA pack (``rules/hia.yaml``).
Every rule of that pack is judged here — its attestation rules as the register evaluates
them, and its figure rules too, which the pack ships **disabled** (the WRES/WDES packs judge
those figures and record their findings), so the document shows every measure the plan names
while a board report never shows a breach twice. A disabled rule's line says so.

Per measure (:class:`HiaMeasure`): its status in words (an attestation in place, lapsing
soon, expired, withdrawn or never made is a *gap* unless current; a figure's status as the
rule judged it), the evidence (the attestation's statement, the role that attested it, its
date, valid-until, evidence file name and SHA-256 — or the figure and the rule in plain
English), the owner (the finding's action owner; else the attesting role) and the date (the
action's due date; else the attestation's valid-until). Per action (:class:`HiaActionView`)
the worst of its measures: ``gap`` (any gap), ``at_risk`` (an attestation lapsing within its
warning, or a figure outside the range but not significant), ``in_place`` (every judged
measure met) or ``not_judged``.

The context is frozen data (strings, numbers, dates, tuples), as every report context is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session

from assurance.attestations import list_attestations, state_on
from assurance.config import Settings
from assurance.db import session as open_session
from assurance.engine.conditions.attestation import AttestationRequired
from assurance.engine.rules import RulePack
from assurance.improvement_plan import HighImpactAction, load_plan
from assurance.models import Attestation
from assurance.periods import long_date
from assurance.problems import Problem, ProblemsError
from assurance.report_context.board import board_context
from assurance.report_context.inputs import ReportInputs, findings_of, load_inputs
from assurance.report_context.model import (
    BoardContext,
    Branding,
    FindingView,
    OrgView,
    OutcomeView,
)
from assurance.report_context.views import finding_view
from assurance.rulepacks import load_rules
from assurance.wording import counted

HIA_PACK = "hia"
ACTION_STATUS = {"gap": "Gap", "at_risk": "At risk", "in_place": "In place",
                 "not_judged": "Not judged"}


@dataclass(frozen=True)
class AttestationView:
    """The attestation a measure rests on (the current one, else the latest made)."""

    statement: str  # the dotted id
    text: str
    attested_by: str  # a role
    attested_on: date
    valid_until: date
    state: str  # current, expired, withdrawn, not yet valid
    evidence_name: str  # "" when none was attached
    evidence_sha256: str
    withdrawn_on: date | None = None
    withdrawn_reason: str = ""


@dataclass(frozen=True)
class HiaMeasure:
    """One rule measuring a success metric or commitment of an action."""

    rule_id: str
    metric_id: str  # "2a"; "" for a commitment
    kind: str  # "attestation" or "figure"
    title: str  # the rule's title while it is a gap or at risk, else what it checks (_heading)
    status: str  # the rule's outcome: breach, ok, outside, no_data …
    state: str  # gap, at_risk, in_place, not_judged
    status_text: str  # "Gap: the attestation expired on 29 March 2024"
    evidence: tuple[str, ...]  # lines: the statement, who attested, file and hash; or figure
    owner: str
    date_text: str
    enabled: bool  # False: shipped disabled (judged here; its finding is the WRES/WDES rule's)
    attestation: AttestationView | None = None
    rule_text: str = ""


@dataclass(frozen=True)
class HiaMetricView:
    """A success metric with the measures that judge it (none when the store cannot hold it)."""

    id: str
    text: str
    held: bool
    note: str
    measures: tuple[HiaMeasure, ...]


@dataclass(frozen=True)
class HiaActionView:
    number: int
    title: str
    aim: str
    metrics: tuple[HiaMetricView, ...]
    commitments: tuple[HiaMeasure, ...]
    state: str  # gap, at_risk, in_place, not_judged
    status_label: str  # "Gap: 1 of 3 measures"
    owners: tuple[str, ...]
    next_date: str  # the earliest action due date or attestation expiry, in words

    @property
    def measures(self) -> tuple[HiaMeasure, ...]:
        return tuple(m for mv in self.metrics for m in mv.measures) + self.commitments


@dataclass(frozen=True)
class HiaContext:
    """The EDI Improvement Plan document for one organisation."""

    product: str
    title: str
    organisation: OrgView
    as_of: date
    as_of_text: str
    period_label: str
    plan_title: str
    plan_source: str
    actions: tuple[HiaActionView, ...]
    gaps: int  # measures that are gaps, across the actions
    summary_text: str  # "2 of 6 actions have gaps; …"
    branding: Branding | None = None
    board: BoardContext | None = field(default=None, compare=False)


def _hia_pack(packs: Sequence[RulePack]) -> RulePack:
    pack = next((p for p in packs if p.name == HIA_PACK), None)
    if pack is None:
        raise ProblemsError([Problem("rules", "no 'hia' rule pack is in force; the HIA "
                                     "document needs rules/hia.yaml (shipped)")])
    return pack


def _attestation(rows: Sequence[Attestation], statement: str, day: date
                 ) -> AttestationView | None:
    mine = [a for a in rows if a.statement == statement and a.attested_on <= day]
    if not mine:
        return None
    current = [a for a in mine if state_on(a, day) == "current"]
    a = (max(current, key=lambda x: (x.valid_until, x.id or 0)) if current
         else max(mine, key=lambda x: (x.attested_on, x.id or 0)))
    return AttestationView(a.statement, a.text, a.attested_by, a.attested_on, a.valid_until,
                           state_on(a, day), a.evidence_name or "", a.evidence_sha256 or "",
                           a.withdrawn_on, a.withdrawn_reason or "")


def _attestation_lines(a: AttestationView | None, statement: str, text: str) -> tuple[str, ...]:
    if a is None:
        return (f"Statement ({statement}): {text}", "No attestation recorded.")
    lines = [f"Statement ({a.statement}): {a.text}",
             f"Attested by the {a.attested_by} on {long_date(a.attested_on)}, valid until "
             f"{long_date(a.valid_until)} ({a.state})."]
    if a.withdrawn_on is not None:
        lines.append(f"Withdrawn on {long_date(a.withdrawn_on)}: {a.withdrawn_reason}")
    lines.append(f"Evidence: {a.evidence_name}, SHA-256 {a.evidence_sha256}"
                 if a.evidence_sha256 else "Evidence: no evidence file recorded.")
    return tuple(lines)


def _attestation_status(o: OutcomeView, a: AttestationView | None, day: date
                        ) -> tuple[str, str]:
    if o.status == "no_data":
        return "not_judged", "Not yet required: " + o.summary
    if o.status == "ok" and a is not None:
        return "in_place", f"In place: attested, valid until {long_date(a.valid_until)}"
    if a is not None and a.state == "current":
        return "at_risk", (f"Renew: the attestation lapses on {long_date(a.valid_until)}, "
                           "within the rule's warning")
    if a is None:
        return "gap", "Gap: not attested"
    if a.state == "withdrawn" and a.withdrawn_on is not None:
        return "gap", f"Gap: the attestation was withdrawn on {long_date(a.withdrawn_on)}"
    return "gap", f"Gap: the attestation expired after {long_date(a.valid_until)}"


def _figure_status(o: OutcomeView) -> tuple[str, str]:
    if o.status == "ok":
        return "in_place", "Met"
    if o.status == "breach":
        return "gap", f"Gap: {o.status_label.lower()}"
    if o.status == "outside":
        return "at_risk", o.status_label
    return "not_judged", o.status_label


def _owner_and_date(o: OutcomeView, a: AttestationView | None,
                    f: FindingView | None = None) -> tuple[str, str]:
    f = f if f is not None else o.finding
    if f is not None and f.open:
        if f.owner:
            return f"{f.owner} (action owner)", f"Action due {f.due_text}"
        since = f" since {long_date(f.opened_on)}" if f.opened_on else ""
        return "No action owner assigned", f"Finding open{since}"
    if a is not None and a.state == "current":
        return f"{a.attested_by} (attested)", f"Valid until {long_date(a.valid_until)}"
    return "Not assigned", "No date set"


def _heading(o: OutcomeView, state: str, checked: str) -> str:
    """What a measure's row is headed by: the rule's title, which names the concern, while
    there is one (a gap, or at risk); otherwise what the rule checks (the statement to be
    attested, or the metric), so a met measure never reads as the failing it guards against."""
    return o.title if state in ("gap", "at_risk") else checked


def _measure(o: OutcomeView, metric_id: str, rule_enabled: bool, condition: object,
             rows: Sequence[Attestation], day: date,
             twins: Mapping[str, FindingView]) -> HiaMeasure:
    owner, when = "", ""
    if isinstance(condition, AttestationRequired):
        a = _attestation(rows, condition.statement, day)
        state, text = _attestation_status(o, a, day)
        owner, when = _owner_and_date(o, a)
        title = _heading(o, state, condition.text.rstrip(".") or condition.statement)
        return HiaMeasure(o.rule_id, metric_id, "attestation", title, o.status, state, text,
                          _attestation_lines(a, condition.statement, condition.text), owner,
                          when, rule_enabled, a, o.rule_text)
    state, text = _figure_status(o)
    figure = o.figure.headline if o.figure is not None else o.summary
    lines = [f"{o.metric_label} ({o.period_label}): {figure}", f"Rule: {o.rule_text}"]
    twin = twins.get(o.metric) if not rule_enabled else None
    if not rule_enabled:
        lines.append("This rule ships disabled in the HIA pack: it is judged for this "
                     "document only; " + (f"the finding on this figure is {twin.rule_id}'s "
                                          f"({twin.status_label})." if twin is not None else
                                          "no open finding on this figure is recorded."))
    owner, when = _owner_and_date(o, None, twin)
    return HiaMeasure(o.rule_id, metric_id, "figure", _heading(o, state, o.metric_label),
                      o.status, state, text,
                      tuple(lines), owner, when, rule_enabled, None, o.rule_text)


def _action_state(measures: Sequence[HiaMeasure]) -> tuple[str, str]:
    gaps = [m for m in measures if m.state == "gap"]
    n = len(measures)
    if gaps:
        return "gap", f"Gap: {len(gaps)} of {n} measure{'s' if n != 1 else ''}"
    if any(m.state == "at_risk" for m in measures):
        return "at_risk", "At risk: renew or act before the next period"
    if any(m.state == "in_place" for m in measures):
        left = sum(1 for m in measures if m.state == "not_judged")
        return "in_place", "In place" + (f" ({counted(left, 'measure')} not judged)" if left else "")
    return "not_judged", "Not judged: no measure could be judged"


def _next_date(measures: Sequence[HiaMeasure], day: date) -> str:
    dates = []
    for m in measures:
        if m.attestation is not None and m.attestation.state == "current":
            dates.append((m.attestation.valid_until, f"attestation {m.attestation.statement} "
                          f"lapses on {long_date(m.attestation.valid_until)}"))
    return min(dates)[1] if dates else "No attestation date ahead"


def _action(action: HighImpactAction, views: dict[str, OutcomeView],
            rules: Mapping[str, tuple[bool, object]], rows: Sequence[Attestation],
            day: date, twins: Mapping[str, FindingView]) -> HiaActionView:
    def measures(ids: Sequence[str], metric_id: str) -> tuple[HiaMeasure, ...]:
        return tuple(_measure(views[r], metric_id, *rules[r], rows, day, twins) for r in ids
                     if r in views)

    metrics = tuple(HiaMetricView(m.id, m.text, m.held, m.note, measures(m.rules, m.id))
                    for m in action.metrics)
    commitments = measures(action.commitments, "")
    every = [x for mv in metrics for x in mv.measures] + list(commitments)
    state, label = _action_state(every)
    owners = tuple(dict.fromkeys(m.owner for m in every if m.owner not in ("", "Not assigned")))
    return HiaActionView(action.number, action.title, action.aim, metrics, commitments, state,
                         label, owners, _next_date(every, day))


def _open_findings_by_metric(s: Session, packs: Sequence[RulePack], org_code: str,
                             as_of: date) -> dict[str, FindingView]:
    """Metric -> the organisation's open finding of an enabled rule outside the HIA pack on
    it (the owner and date of a disabled HIA figure rule are that finding's)."""
    metric_of = {r.id: r.metric for p in packs if p.name != HIA_PACK for r in p.rules
                 if r.enabled}
    out: dict[str, FindingView] = {}
    for f, events in findings_of(s, org_code, as_of):
        if f.open and not f.scope and f.rule_id in metric_of and events:
            out.setdefault(metric_of[f.rule_id], finding_view(f, events, as_of))
    return out


def hia_context(engine: Engine, settings: Settings, *, org_code: str, as_of: date,
                inputs: ReportInputs | None = None) -> HiaContext:
    """The documented context of the EDI Improvement Plan document for one organisation.

    Args:
        engine: the store.
        settings: the frozen settings.
        org_code: the organisation's ODS code.
        as_of: the evaluation date.
        inputs: the store read once for many reports; its figures are reused, evaluated
            with every rule of the HIA pack (the disabled figure rules included).

    Raises:
        ProblemsError: unknown organisation, no HIA pack in force, or a plan file naming a
            rule the pack does not have.
    """
    packs = load_rules(settings)
    pack = _hia_pack(packs)
    plan = load_plan(known_rules=[r.id for r in pack.rules])
    every_rule = replace(pack, rules=tuple(replace(r, enabled=True) for r in pack.rules))
    inputs = (replace(inputs, packs=[every_rule], _outcomes={}) if inputs is not None else
              load_inputs(engine, settings, as_of=as_of, org_codes=[org_code],
                          packs=[every_rule]))
    board = board_context(engine, settings, org_code=org_code, as_of=as_of, inputs=inputs)
    views = {o.rule_id: o for o in board.outcomes}
    rules = {r.id: (r.enabled, r.condition) for r in pack.rules}
    with open_session(engine) as s:
        rows = list_attestations(s, org=org_code)
        twins = _open_findings_by_metric(s, packs, org_code, as_of)
    actions = tuple(_action(a, views, rules, rows, as_of, twins) for a in plan.actions)
    gaps = sum(1 for a in actions for m in a.measures if m.state == "gap")
    with_gaps = sum(1 for a in actions if a.state == "gap")
    at_risk = sum(1 for a in actions if a.state == "at_risk")
    summary = (f"{with_gaps} of {len(actions)} actions have gaps ({gaps} measure"
               f"{'s' if gaps != 1 else ''} in all)"
               + (f"; {at_risk} at risk" if at_risk else "")
               + f"; {sum(1 for a in actions if a.state == 'in_place')} in place.")
    return HiaContext(
        product=board.product, title="EDI Improvement Plan: High Impact Actions",
        organisation=board.organisation, as_of=as_of, as_of_text=board.as_of_text,
        period_label=board.period_label, plan_title=plan.title, plan_source=plan.source,
        actions=actions, gaps=gaps, summary_text=summary, branding=board.branding,
        board=board)


__all__ = ["ACTION_STATUS", "AttestationView", "HiaActionView", "HiaContext", "HiaMeasure",
           "HiaMetricView", "hia_context"]
