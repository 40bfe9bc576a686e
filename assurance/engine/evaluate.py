"""Evaluating rule packs: every (rule, organisation) → breach / ok / no data / not
calculable / error, with the figures that decided it.

Evaluation takes an explicit ``as_of`` date and reads the store once per metric; nothing
here reads the clock. A rule that raises becomes an ``error`` outcome (itself reported) and
the others go on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlmodel import Session

from assurance.catalogue import Catalogue, load_catalogue
from assurance.collector import paused
from assurance.config import StatisticsSettings
from assurance.engine.conditions.base import EvalContext, Verdict
from assurance.engine.data import (
    DataView,
    DivisionInfo,
    OrgInfo,
    division_breakdown,
    load,
    load_orgs,
)
from assurance.engine.rules import Rule, RulePack

DIVISION_PHRASE = " in this division"
"""How a division rule's title may end, to be read with the division's name in its place."""

Status = Literal["breach", "outside", "ok", "no_data", "not_calculable", "error"]


@dataclass(frozen=True)
class Outcome:
    rule: Rule
    org: OrgInfo
    status: Status
    summary: str
    period: str | None
    verdict: Verdict | None = None
    division: DivisionInfo | None = None  # a ``scope: division`` rule's division

    @property
    def scope(self) -> str:
        """``""`` for the organisation, ``division:<code>`` for one of its divisions (part of
        the finding's identity: one finding per rule, organisation and scope)."""
        return division_breakdown(self.division.code) if self.division else ""

    @property
    def title(self) -> str:
        """The rule's title, naming the division for a division's outcome: a title ending
        "in this division" (the shipped division rules') reads "… in the Surgery division",
        any other "… (Surgery division)"."""
        if self.division is None:
            return self.rule.title
        stem = self.rule.title.removesuffix(DIVISION_PHRASE)
        if stem != self.rule.title:
            return f"{stem} in the {self.division.name} division"
        return f"{self.rule.title} ({self.division.name} division)"


def rules_of(packs: Sequence[RulePack], rule_ids: Iterable[str] | None = None) -> list[Rule]:
    """The enabled rules, or exactly the rules named (a disabled rule named is evaluated:
    its test cases run whether or not a deployment enables it)."""
    wanted = set(rule_ids) if rule_ids else None
    if wanted is not None:
        return [r for p in packs for r in p.rules if r.id in wanted]
    return [r for p in packs for r in p.rules if r.enabled]


def build_view(s: Session, rules: Sequence[Rule], as_of: date, stats: StatisticsSettings,
               orgs: set[str] | None = None) -> DataView:
    """Load every metric the rules use (one query each) into a view as of ``as_of``."""
    cat = load_catalogue()
    metrics = set().union(*(r.metrics() for r in rules)) if rules else set()
    data = load(s, cat, metrics)  # peers need every organisation, so no org filter here
    return DataView(cat, data, load_orgs(s), as_of, stats.confidence,
                    rolling_years(cat, metrics, stats))


def rolling_years(cat: Catalogue, metrics: Iterable[str], stats: StatisticsSettings
                  ) -> dict[str, int]:
    """Metric → years pooled (e.g. WDES 3 two-year rolling average), from the settings.

    Every view — evaluation and reports alike — takes it from here, so a board paper shows the
    figure the finding was judged on.
    """
    return {m: int(getattr(stats, str(cat[m].rolling_setting))) for m in metrics
            if cat[m].rolling_setting}


def evaluate(s: Session, packs: Sequence[RulePack], as_of: date, stats: StatisticsSettings,
             *, orgs: Iterable[str] | None = None, rule_ids: Iterable[str] | None = None,
             view: DataView | None = None, accountable: Iterable[str] = ()) -> list[Outcome]:
    """Evaluate the packs for every organisation with data (or those named).

    ``accountable`` organisations are also evaluated by rules that report an absence
    (missing or stale returns) even when they have no figures for the metric at all.
    """
    with paused():
        return _evaluate(s, rules_of(packs, rule_ids), as_of, stats, orgs, view, accountable)


def _evaluate(s: Session, rules: list[Rule], as_of: date, stats: StatisticsSettings,
              orgs: Iterable[str] | None, view: DataView | None, accountable: Iterable[str]
              ) -> list[Outcome]:
    view = view or build_view(s, rules, as_of, stats)
    only = set(orgs) if orgs is not None else None
    expected = set(accountable)
    out: list[Outcome] = []
    for rule in rules:
        codes = view.organisations(rule.metric)
        if expected and rule.condition.reports_absence():
            codes = sorted(set(codes) | expected)
        if only is not None:
            codes = [c for c in codes if c in only]
        for code in codes:
            org = view.orgs.get(code) or OrgInfo(code, code, None, False)
            if rule.scope == "division":
                out.extend(evaluate_one(rule, org, view, metric_stats=stats,
                                        division=org.division(d))
                           for d in view.divisions(rule.metric, code))
            else:
                out.append(evaluate_one(rule, org, view, metric_stats=stats))
    return out


def evaluate_one(rule: Rule, org: OrgInfo, view: DataView, *, metric_stats: StatisticsSettings,
                 division: DivisionInfo | None = None) -> Outcome:
    """One rule for one organisation, or for one of its divisions: a division's verdict reads
    the division's figures and its summary names the division."""
    m = view.cat[rule.metric]
    where = f"{division.name} division: " if division else ""
    try:
        v = rule.condition.evaluate(EvalContext(m, org, view, metric_stats,
                                                division.code if division else None))
    except Exception as exc:  # noqa: BLE001 - a failing rule must not stop the others
        return Outcome(rule, org, "error", f"{where}rule raised {type(exc).__name__}: {exc}",
                       view.current_period(rule.metric), division=division)
    return Outcome(rule, org, v.status, where + v.summary,
                   v.period or view.current_period(rule.metric), v, division)
