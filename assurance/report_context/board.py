"""Building the :class:`~assurance.report_context.model.BoardContext` for one organisation.

Alert / Advise / Assure (domain.md §8) is decided here, once, from the outcome, the judged
movement and the finding's lifecycle (issue 11; README "Alert, Advise, Assure"):

* **Alert** — matters needing board action: every open finding at board level or above
  (:func:`~assurance.report_context.views.board_levels`); every breach past its action's
  due date, or still without an owner ``reports.alert_unowned_after_working_days`` working
  days after it opened; every breach
  opened, re-opened or escalated at this ``as_of`` (or one the findings register has not
  recorded yet); every special-cause concern on an SPC chart. Each item says why it is an
  Alert, since when, who owns it, what was promised and by when.
* **Advise** — developments to note: breaches continuing below that; figures outside the
  range but not statistically significant (never "met", domain.md §15); rules met but with
  a statistically supported deterioration; every rule that could not be judged (no data,
  not calculable, error), because no data is never assurance.
* **Assure** — a rule met, including findings resolved at this ``as_of``; a statistically
  supported improvement is named as such. A change that could be chance is "no significant
  change", never "improving" or "worsening".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from importlib import metadata

from sqlalchemy.engine import Engine

from assurance import interventions
from assurance.catalogue import Catalogue
from assurance.config import Settings
from assurance.db import session as open_session
from assurance.disclosure import policy_for, quotable, suppression_note
from assurance.disclosure.figure import disclose_figure
from assurance.engine.conditions.base import facts_of
from assurance.engine.data import division_breakdown
from assurance.engine.evaluate import Outcome
from assurance.engine.rules import Rule
from assurance.interventions import InterventionVerdict
from assurance.models import Finding, FindingEvent, Import
from assurance.periods import parse_period_key, short_label
from assurance.problems import Problem, ProblemsError, did_you_mean
from assurance.report_context.divisions import division_tables
from assurance.report_context.inputs import ReportInputs, findings_of, load_inputs, provenance
from assurance.report_context.model import (
    STATUS_LABELS,
    BoardContext,
    Branding,
    Classification,
    DeclarationView,
    Definition,
    FindingView,
    InterventionView,
    OrgView,
    OutcomeView,
    SpcView,
    SummaryItem,
    SummaryView,
)
from assurance.report_context.views import (
    board_levels,
    breakdown_words,
    figure_view,
    finding_view,
    import_ref,
    long_date,
    movement_view,
    peer_gap,
    peer_view,
    period_label,
    reference_label,
    series_points,
    source_ref,
    spc_view,
)
from assurance.wording import counted
from assurance.workdays import working_days_between

PACK_ORDER = ("wres", "wdes", "board", "career", "divisions", "survey", "hia", "data-quality")
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
ALERT_KINDS = ("opened", "reopened", "escalated")
SERIES_LABELS = {"relative_likelihood": "Relative likelihood",
                 "representation_gap": "Board minus workforce", "declaration_rate": "Declared",
                 "narrative": "Answer", "survey_response": "All staff"}
DECLARATION_METRICS = (("wres.declaration", "Ethnicity recorded on ESR"),
                       ("wdes.declaration", "Disability recorded on ESR"))


def product_name() -> str:
    try:
        return f"assurance {metadata.version('assurance')}"
    except metadata.PackageNotFoundError:  # running from a source tree
        return "assurance"


def ordered_rules(inputs: ReportInputs) -> list[Rule]:
    """Enabled rules in reading order: WRES, WDES, board, career stages, divisions, survey,
    HIA, data quality, then any other pack."""
    rank = {name: i for i, name in enumerate(PACK_ORDER)}
    packs = sorted(inputs.packs, key=lambda p: (rank.get(p.name, len(rank)), p.name))
    return [r for p in packs for r in p.rules if r.enabled]


def alert_reasons(o: OutcomeView, as_of: date, levels: Sequence[str],
                  unowned_after: int) -> tuple[str, ...]:
    """Why an outcome is an Alert (empty: it is not), in reading order. An open finding is
    judged whatever this period's status (outside the range, recovering, no data): it is
    still open at its level, its action still due."""
    f = o.finding
    spc_concern = (o.movement is not None and o.movement.basis == "SPC signal"
                   and o.movement.direction == "worsening")
    if f is None:
        if o.status == "breach":
            return ("breach not yet in the findings register",)
        return ("special cause concern",) if spc_concern else ()
    out = []
    if o.status == "breach" and any(k in ALERT_KINDS for k in f.events_at_as_of):
        out.append({"opened": "new breach", "reopened": "breach re-opened",
                    "escalated": f"escalated to {f.level_label}"}[
            next(k for k in ALERT_KINDS[::-1] if k in f.events_at_as_of)])
    elif f.open and "escalated" in f.events_at_as_of:  # by the unacknowledged/overdue clocks
        out.append(f"escalated to {f.level_label}")
    if f.open and f.level in board_levels(levels) and not any(
            "escalated" in r for r in out):
        out.append(f"open at {f.level_label} level")
    if f.overdue:
        out.append("action overdue")
    if f.open and not f.owner and f.opened_on is not None and \
            working_days_between(f.opened_on, as_of) > unowned_after:
        out.append(f"no owner after {unowned_after} working days")
    if spc_concern:
        out.append("special cause concern")
    return tuple(out)


def _classify(o: OutcomeView, reasons: Sequence[str]) -> Classification:
    if reasons:
        return "alert"
    if o.status in ("breach", "outside", "no_data", "not_calculable", "error"):
        return "advise"
    if o.finding is not None and "resolved" in o.finding.events_at_as_of:
        return "assure"
    if o.finding is not None and o.finding.open:  # met, not yet for long enough to resolve
        return "advise"
    return "advise" if o.direction == "worsening" else "assure"


def _outcome_view(rule: Rule, o: Outcome | None, org: str, inputs: ReportInputs,
                  finding: FindingView | None, settings: Settings, audience: str,
                  prov_import: Import | None, as_of: date) -> OutcomeView:
    cat = inputs.catalogue
    m = cat[rule.metric]
    policy = policy_for(settings, audience)
    fig = o.verdict.figure if o is not None and o.verdict is not None else None
    fv = figure_view(fig, m, policy, settings.statistics.confidence) if fig else None
    status = o.status if o is not None else "no_data"
    period = o.period if o is not None else inputs.view.current_period(m.id)
    division = o.division if o is not None else None
    bd = division_breakdown(division.code) if division else getattr(rule.condition,
                                                                     "breakdown", None)
    series = series_points(inputs.view, m, org, bd, policy) if fig is not None else ()
    movement, direction, trend_text = movement_view(
        o.verdict.movement if o is not None and o.verdict is not None else None, m, policy,
        series)
    if o is None:
        summary = f"No {m.label} figures for this organisation in the store."
    elif quotable(policy) or fv is None:
        summary = o.summary
    else:  # the engine's sentence carries exact counts: say it with disclosed figures
        summary = f"{STATUS_LABELS[status]}: {fv.headline}."
    ref_group = fig.reference.label if fig is not None and fig.reference is not None else ""
    view = OutcomeView(
        rule_id=rule.id, pack=rule.pack, pack_title=_pack_title(inputs, rule.pack),
        title=o.title if o is not None else rule.title, metric=m.id, metric_label=m.label,
        metric_title=m.title,
        standard=m.standard, severity=rule.severity, status=status,
        status_label=STATUS_LABELS[status], classification="advise", summary=summary,
        rule_text=rule.describe(cat), why=rule.why, action=rule.action,
        evidence=tuple(rule.evidence), period=period, period_label=period_label(period),
        figure=fv, trend=o.verdict.trend if o is not None and o.verdict else None,
        direction=direction, trend_text=trend_text, series=series,
        band=rule.condition.band(m, settings.statistics), finding=finding,
        source=source_ref(prov_import, period),
        breakdown=breakdown_words(rule),
        series_label=SERIES_LABELS.get(m.kind) or (
            fig.focus.label if fig is not None and fig.focus is not None else m.label),
        reference_label=reference_label(m, ref_group), movement=movement,
        division=division.name if division else "", chart_label=m.chart_label,
        family=m.family or "", assured=rule.condition.assured_heading() or "")
    line = rule.condition.expected_line(o.verdict.facts, [p.period for p in series]) \
        if o is not None and o.verdict is not None else None
    if line is not None and any(p.period == line.starts_at and p.value is not None
                                for p in series):  # the line starts from a figure shown
        view = replace(view, expected=line.values, expected_label=line.label)
    reasons = alert_reasons(view, as_of, settings.escalation_levels,
                            settings.reports.alert_unowned_after_working_days)
    return replace(view, classification=_classify(view, reasons), alert_reasons=reasons)


def intervention_view(v: InterventionVerdict, exact: bool) -> InterventionView:
    """An intervention's verdict for the board; its numbers (built on the organisation's or a
    division's figures) only for an audience that may see exact figures."""
    where = f", {v.division_name} division" if v.division_name else ""
    return InterventionView(
        v.title, f"{v.metric_label}{where}", v.owner, long_date(v.start_date), v.verdict,
        v.method_text, v.summary if exact else
        f"{v.verdict.capitalize()} (the figures behind it are shown to the board only).")


def _pack_title(inputs: ReportInputs, name: str) -> str:
    return next((p.title for p in inputs.packs if p.name == name), name)


def _lower_first(text: str) -> str:
    """Lower-case a sentence's first word unless it is an acronym ("WRES", "BME")."""
    return text[0].lower() + text[1:] if len(text) > 1 and text[1].islower() else text


def _labels(views: Sequence[OutcomeView]) -> str:
    return ", ".join(dict.fromkeys(v.metric_label for v in views))


def _finding_phrase(f: FindingView | None) -> str:
    if f is None:
        return "Not yet recorded in the findings register."
    if "escalated" in f.events_at_as_of:
        return (f"Escalated to {f.level_label} after {counted(f.consecutive_periods, 'period')} "
                "in breach.")
    if "reopened" in f.events_at_as_of:
        return f"Re-opened at {f.level_label} level."
    if "opened" in f.events_at_as_of:
        return f"New finding, at {f.level_label} level."
    owner = f"owner {f.owner}, due {f.due_text}" if f.owner else "no action owner assigned"
    return (f"{counted(f.consecutive_periods, 'period')} in breach since it opened; {f.level_label}; "
            f"{owner}.")


def _accountability(f: FindingView | None) -> str:
    """Since when, who owns it, what was promised and by when: what an Alert must say."""
    if f is None:
        return ("Not yet recorded in the findings register, so it has no owner or action "
                "date.")
    since = short_label(f.first_breach_period) if f.first_breach_period else "this period"
    periods = f"{f.consecutive_periods} period" + (
        "s" if f.consecutive_periods != 1 else "")
    owner = f.owner or "none assigned"
    promised = f.action_note or "no action recorded"
    return (f"In breach since {since} ({periods} in breach), at {f.level_label} level. Owner: {owner}. "
            f"Action promised: {promised}; due {f.due_text}.")


def _sentence(words: Sequence[str]) -> str:
    text = "; ".join(words)
    return text[:1].upper() + text[1:] + "." if text else ""


def _summary(outcomes: Sequence[OutcomeView], notes: Sequence[str],
             spc: Sequence[SpcView] = ()) -> SummaryView:
    position = {o.rule_id: i for i, o in enumerate(outcomes)}

    def key(o: OutcomeView) -> tuple[int, int]:
        return SEVERITY_ORDER.get(o.severity, 9), position[o.rule_id]

    def item(cls: Classification, o: OutcomeView, text: str) -> SummaryItem:
        # A rule's title names what it looks for ("… below the workforce"); under Assure
        # that reads as its own contradiction, so assurance is headed by what is measured.
        # A kind that judges no figure (an attestation) says what it assures itself.
        if cls == "assure" and o.assured:
            return SummaryItem(cls, o.assured, text, (o.rule_id,))
        if o.assured:  # Alert or Advise: named by its title (OutcomeView.indicator)
            return SummaryItem(cls, o.title, text, (o.rule_id,))
        what = o.metric_title if cls == "assure" else o.title
        return SummaryItem(cls, f"{o.metric_label}: {what}", text, (o.rule_id,))

    alerts = sorted((o for o in outcomes if o.classification == "alert"), key=key)
    alert = [item("alert", o, f"{_sentence(o.alert_reasons)} {o.summary} "
                  + (_accountability(o.finding) if o.status == "breach" or (o.finding and o.finding.open)
                     else o.trend_text + "."))
             for o in alerts]
    alerted = {o.metric for o in alerts}
    alert += [SummaryItem("alert", f"{v.title}: special cause concern",
                          f"{v.description} No rule judges this series yet: agree an owner "
                          "and whether a rule should.", ())
              for v in spc if v.variation == "special_cause_concern" and v.metric not in alerted]
    advised = sorted((o for o in outcomes if o.classification == "advise"), key=key)
    # Reading order: breaches that continue, figures outside the range that could be chance,
    # figures that could not be worked out, rules met but significantly worse, then (below)
    # the rules without data.
    advise = [item("advise", o, f"{o.summary} {_finding_phrase(o.finding)}")
              for o in advised if o.status == "breach"]
    advise += [item("advise", o, f"{o.summary} NHS England flags a figure outside the range "
                    "by its point estimate, so this is not assurance.")
               for o in advised if o.status == "outside"]
    advise += [item("advise", o, o.summary) for o in advised
               if o.status in ("not_calculable", "error")]
    advise += [item("advise", o, f"Met this period, but the finding stays open until the rule "
                    f"has been met for long enough in a row (recovering). {o.summary}")
               for o in advised if o.status == "ok" and o.finding is not None and o.finding.open]
    advise += [item("advise", o, f"Met, but significantly worse. {o.trend_text}.")
               for o in advised if o.status == "ok" and not (o.finding and o.finding.open)]
    missing = [o for o in outcomes if o.status == "no_data"]
    if missing:
        advise.append(SummaryItem("advise", f"No data for {counted(len(missing), 'rule')}",
                                  "These could not be judged, so they give no assurance: "
                                  f"{_labels(missing)}.", tuple(o.rule_id for o in missing)))
    advise.extend(SummaryItem("advise", "Findings register", n) for n in notes)
    assure: list[SummaryItem] = []
    rest: list[OutcomeView] = []
    for o in (o for o in outcomes if o.classification == "assure"):
        if o.finding is not None and "resolved" in o.finding.events_at_as_of:
            assure.append(item("assure", o, f"Resolved: {o.summary}"))
        elif o.direction == "improving":
            assure.append(item("assure", o, f"Met and improving. {o.trend_text}."))
        else:
            rest.append(o)
    # The rest, one line per rule pack (its title first), in the order the packs come.
    by_pack: dict[str, list[OutcomeView]] = {}
    for o in rest:
        by_pack.setdefault(o.pack_title, []).append(o)
    # An indicator another rule finds wanting is not named here as if it were assured: its
    # met rule is named by the rule's own title.
    wanting = {(o.metric, o.division) for o in outcomes if o.classification != "assure"}
    assure.extend(SummaryItem(
        "assure", f"{pack}: {counted(len(met), 'further rule')} met",
        "Each was judged at the latest period and met its rule: "
        + "; ".join(_met_names(met, wanting)) + ".", tuple(o.rule_id for o in met))
        for pack, met in by_pack.items())
    return SummaryView(tuple(alert), tuple(advise), tuple(assure))


def _met_names(met: Sequence[OutcomeView], wanting: set[tuple[str, str]]) -> list[str]:
    """The met rules of one pack as the Assure line lists them: by indicator, with how many
    rules where it has more than one; where another rule on the indicator is listed above
    (Alert or Advise), by the rule's own title and saying so."""
    names: dict[str, int] = {}
    for o in met:
        if (o.metric, o.division) in wanting:
            name = (f"{o.title} — not breached, but another rule on "
                    f"{o.indicator} is listed above")
        else:
            name = _met_name(o)
        names[name] = names.get(name, 0) + 1
    return [f"{name} ({n} rules)" if n > 1 else name for name, n in names.items()]


def _met_name(o: OutcomeView) -> str:
    """A met rule in the Assure list: "WRES 4 (relative likelihood of …)", the title alone
    where the metric has no shorter label, or what a kind judging no figure assures."""
    if o.assured:
        return _lower_first(o.assured)
    if o.metric_label == o.metric_title:  # no standard's number (MetricDef.label)
        return o.metric_title
    return f"{o.metric_label} ({_lower_first(o.metric_title)})"


def _declarations(inputs: ReportInputs, org: str, outcomes: Sequence[OutcomeView],
                  settings: Settings, audience: str) -> tuple[DeclarationView, ...]:
    out = []
    policy = policy_for(settings, audience)
    view = inputs.view
    for mid, label in DECLARATION_METRICS:
        if mid not in view.data:
            continue
        series = view.series(mid, org)
        if not series or series[-1].value is None:
            continue
        f = series[-1]
        d = disclose_figure(facts_of(f), policy)
        not_declared = next((g for g in d.groups if g.role == "unknown"), None)
        prev = series[-2] if len(series) > 1 and series[-2].value is not None else None
        shown_prev = disclose_figure(facts_of(prev), policy) if prev is not None else None
        rule_status = next((o.status_label for o in outcomes if o.metric == mid), "Not judged")
        out.append(DeclarationView(
            mid, label, f.period_key, period_label(f.period_key), d.value, d.value_text,
            d.count_text or "", not_declared.denominator_text if not_declared else "",
            f"{shown_prev.value_text} in {period_label(prev.period_key)}"
            if prev is not None and shown_prev is not None and not shown_prev.value_hidden
            else "", rule_status))
    return tuple(out)


def _definitions(cat: Catalogue, metric_ids: set[str]) -> tuple[Definition, ...]:
    out = []
    for mid, m in cat.metrics.items():
        if mid not in metric_ids:
            continue
        counts = "; ".join(f"{k}: {v}" for k, v in (m.counts or {}).items())
        out.append(Definition(mid, m.label, m.title, m.definition, m.source or "", counts))
    return tuple(out)


def _reporting_period(key: str) -> str:
    """A period as the cover lists it; a month is the end of the monthly series."""
    spec = parse_period_key(key)
    return f"monthly series to {spec.label}" if spec and spec.kind == "month" else period_label(key)


def _stale_register(as_of: date) -> str:
    return (f"The findings register has not been updated for {long_date(as_of)}: run an "
            "evaluation for this date so that findings, owners and escalation are recorded.")


def _caveats(org: OrgView, outcomes: Sequence[OutcomeView], disclosure: str | None,
             findings_current: bool, as_of: date) -> list[str]:
    out = []
    if org.synthetic:
        out.append("This organisation is synthetic: every figure is fictional test data.")
    for o in outcomes:
        if o.pack == "data-quality" and o.status == "breach":
            out.append(f"{o.title}: {o.summary}")
    if any(o.figure is not None and o.figure.groups for o in outcomes):
        out.append("Staff whose ethnicity or disability is not recorded are left out of both "
                   "sides of every comparison; the declaration rates below show how many.")
    if not findings_current:
        out.append(_stale_register(as_of))
    if disclosure:
        out.append(disclosure)
    return out


def board_context(engine: Engine, settings: Settings, *, org_code: str, as_of: date,
                  inputs: ReportInputs | None = None, audience: str = "board") -> BoardContext:
    """The documented context of the board assurance report for one organisation.

    Args:
        engine: the store.
        settings: the frozen settings (rules, statistics, disclosure, report branding).
        org_code: the organisation's ODS code.
        as_of: the evaluation date the report is about.
        inputs: preloaded store data for many reports (:func:`load_inputs` with
            ``org_codes=None``); loaded for this organisation when omitted.
        audience: whose disclosure policy applies (``board`` by default).

    Raises:
        ProblemsError: the organisation code is not in the register.
    """
    inputs = inputs or load_inputs(engine, settings, as_of=as_of, org_codes=[org_code])
    info = inputs.orgs.get(org_code)
    if info is None:
        raise ProblemsError([Problem("--org", f"unknown organisation {org_code!r}"
                                     f"{did_you_mean(org_code, inputs.orgs)}")])
    org = OrgView(info.code, info.name, info.synthetic, info.org_type,
                  None, info.benchmark_group)
    with open_session(engine) as s:
        engine_outcomes = inputs.outcomes(s, org_code)
        prov = provenance(s, org_code)
        found = findings_of(s, org_code, as_of)
        actions = tuple(intervention_view(v, quotable(policy_for(settings, audience)))
                        for v in interventions.verdicts(s, settings, org_code, as_of))
    outcomes = {(o.rule.id, o.scope): o for o in engine_outcomes}
    by_rule: dict[tuple[str, str], tuple[Finding, list[FindingEvent]]] = {
        (f.rule_id, f.scope): (f, ev) for f, ev in found}
    views: list[OutcomeView] = []
    findings_current = True
    rules = ordered_rules(inputs)
    for rule in rules:
        # A division-scoped rule has one outcome per division (and none for the trust).
        scopes: list[Outcome | None] = [*sorted(
            (o for o in engine_outcomes if o.rule.id == rule.id),
            key=lambda o: o.title)] if rule.scope == "division" else []
        for o in scopes or [outcomes.get((rule.id, ""))]:
            pair = by_rule.get((rule.id, o.scope if o is not None else ""))
            fv = finding_view(pair[0], pair[1], as_of) if pair else None
            if o is not None and o.status == "breach" and (pair is None or
                                                           pair[0].last_period != o.period):
                findings_current = False
            imp = prov.import_for(inputs.catalogue, rule.metric, o.period if o else None)
            views.append(_outcome_view(rule, o, org_code, inputs, fv, settings, audience, imp,
                                       as_of))
    policy = policy_for(settings, audience)
    findings = tuple(sorted(
        (finding_view(f, ev, as_of) for f, ev in found
         if f.open or f.resolved_on == as_of or any(e.as_of == as_of for e in ev)),
        key=lambda f: (not f.open, SEVERITY_ORDER.get(f.severity, 9), f.id)))
    caveats = _caveats(org, views, suppression_note(policy), findings_current, as_of)
    cat = inputs.catalogue
    spc = tuple(v for v in (spc_view(inputs.view, cat[m], org_code, policy,
                                     settings.statistics.spc_method)
                            for m in inputs.monthly_metrics if m in inputs.view.data) if v)
    peers = tuple(v for v in (peer_view(inputs.view, cat[m], org_code, policy)
                              for m in inputs.peer_metrics if m in inputs.view.data) if v)
    peer_note = "" if peers else peer_gap(
        inputs.view, [cat[m] for m in inputs.peer_metrics if m in inputs.view.data], org_code,
        policy)
    division_metrics = list(dict.fromkeys(r.metric for r in rules
                                          if r.scope == "division" and r.metric in
                                          inputs.view.data))
    divisions = division_tables(inputs.view, [cat[m] for m in division_metrics], info, policy,
                                settings.statistics.confidence, engine_outcomes,
                                rules)
    imports = tuple(import_ref(i) for _, i in sorted(prov.imports.items()))
    data_as_at = max((i.imported_at for i in imports), default=None)
    judged = [v for v in views if v.status != "no_data"]
    has_data = bool(judged or spc or peers)
    periods = sorted({v.period for v in judged if v.period},
                     key=lambda k: (p.end if (p := parse_period_key(k)) else as_of, k))
    used = {v.metric for v in views if v.status != "no_data"} | {v.metric for v in spc} | {
        v.metric for v in peers} | {m for m, _ in DECLARATION_METRICS}
    counts = tuple((label, sum(1 for v in views if v.status == st))
                   for st, label in STATUS_LABELS.items())
    b = settings.reports.branding
    return BoardContext(
        product=product_name(), title="Workforce equality assurance report",
        organisation=org, as_of=as_of, as_of_text=long_date(as_of),
        period_label="; ".join(_reporting_period(p) for p in periods) or "no reporting period",
        committee=settings.reports.committee, audience=audience, exact_counts=quotable(policy),
        disclosure_note=(
            "Restricted: this paper shows exact counts for the board, including numbers "
            "small enough to identify people. It contains special category data (UK GDPR "
            "Article 9); do not publish it." if quotable(policy) else
            "Small numbers are suppressed (NHS Digital rule); this version may be shared."),
        data_as_at=data_as_at,
        data_as_at_text=(f"{long_date(data_as_at.date())} {data_as_at:%H:%M} UTC"
                         if data_as_at else "no data imported"),
        imports=imports, has_data=has_data,
        no_data_reason="" if has_data else (
            f"The store holds no figures for {org.name} ({org.code}) up to "
            f"{long_date(as_of)}. No rule could be judged, so this report gives no assurance "
            "either way."),
        outcomes=tuple(views), status_counts=counts,
        summary=_summary(views, [] if findings_current else [_stale_register(as_of)], spc),
        findings=findings,
        declarations=_declarations(inputs, org_code, views, settings, audience),
        caveats=tuple(caveats), spc=spc, peers=peers, peer_note=peer_note,
        definitions=_definitions(cat, used),
        rule_packs=tuple((p.name, p.path.name) for p in inputs.packs),
        branding=Branding(b.organisation_name, b.primary_colour.lstrip("#").upper(),
                          b.secondary_colour.lstrip("#").upper(),
                          str(b.logo) if b.logo else None),
        non_adverse_range=(settings.statistics.non_adverse_low,
                           settings.statistics.non_adverse_high),
        findings_current=findings_current, divisions=divisions, interventions=actions)
