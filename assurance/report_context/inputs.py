"""What a report reads from the store, loaded once: rule packs, figures, findings, provenance.

:func:`load_inputs` reads the store set-based, as the evaluator does (one query per metric).
For one organisation it reads only that organisation's rows, the peers it is benchmarked
against and, in one ``DISTINCT`` query, which periods every metric has across all
organisations — enough to evaluate exactly as the recorded evaluation did (the current
period and "missing return" depend on what *others* have reported). For many reports
(``org_codes=None``) it loads everything once and every report reuses it.

That period list is read once per process per state of the store: only an import (or the
restore of an earlier one) changes which figures are current, and each records an audit
event, so the list is kept under the store's URL and the sequence number and hash of its
latest ``import``/``import_restore`` event (the hash chain tells a store rebuilt at the
same URL apart). On the national store this saves a scan of every current figure (about
0.5 s) for each further report of a process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from assurance import audit
from assurance.audit import ChainReport
from assurance.catalogue import Catalogue, load_catalogue
from assurance.config import Settings
from assurance.db import session as open_session
from assurance.engine.data import DataView, MetricData, OrgInfo, load, load_orgs, period_spec
from assurance.engine.evaluate import Outcome, evaluate, rolling_years, rules_of
from assurance.engine.figures import belongs, stored_metric_ids
from assurance.engine.rules import Rule, RulePack
from assurance.models import AuditEvent, Finding, FindingEvent, Import, Observation
from assurance.rulepacks import load_rules

# Kinds whose figures exist only to be compared with peers (the published Staff Survey).
PEER_KINDS = ("survey_response",)


class _FocusedView(DataView):
    """A view holding a few organisations' rows but every organisation's periods.

    Conditions ask other organisations only two things: which periods exist (the current
    period, a missing return) and peer figures (loaded for the benchmark group). So a view
    with the organisation's rows, its peers' rows for peer metrics and the global period
    list evaluates exactly as the full view does.
    """

    def __init__(self, cat: Catalogue, data: dict[str, MetricData], orgs: dict[str, OrgInfo],
                 as_of: date, confidence: float, all_periods: dict[str, list[str]],
                 rolling: dict[str, int] | None = None):
        super().__init__(cat, data, orgs, as_of, confidence, rolling)
        self._all_periods = all_periods

    def periods(self, metric: str) -> list[str]:
        if metric not in self._periods:
            self._periods[metric] = [p for p in self._all_periods.get(metric, [])
                                     if period_spec(p).end <= self.as_of]
        return self._periods[metric]


@dataclass
class ReportInputs:
    """The store as the reports of one ``as_of`` need it. Build with :func:`load_inputs`."""

    settings: Settings
    as_of: date
    packs: list[RulePack]
    catalogue: Catalogue
    view: DataView
    orgs: dict[str, OrgInfo]
    monthly_metrics: tuple[str, ...]
    peer_metrics: tuple[str, ...]
    _outcomes: dict[str, list[Outcome]] = field(default_factory=dict)
    _chain: list[ChainReport] = field(default_factory=list)

    @property
    def rules(self) -> list[Rule]:
        return rules_of(self.packs)

    def outcomes(self, s: Session, org_code: str) -> list[Outcome]:
        """The engine's outcomes for the organisation (rules it has any data for)."""
        if org_code not in self._outcomes:
            self._outcomes[org_code] = evaluate(s, self.packs, self.as_of,
                                                self.settings.statistics, orgs=[org_code],
                                                view=self.view,
                                                accountable=self.settings.accountable)
        return self._outcomes[org_code]

    def verified_chain(self, s: Session) -> ChainReport:
        """The audit chain verified (:func:`assurance.audit.verify`): the whole chain the
        first time in this process, then only the events appended since the last time (the
        packs of one batch; each worker process verifies the whole chain once)."""
        chain = audit.verify(s, since=self._chain[-1] if self._chain else None)
        self._chain[:] = [chain]
        return chain

    def release(self, org_code: str) -> None:
        """Forget the organisation's outcomes (a batch has written its report: keeping every
        organisation's would grow a worker by the whole country's outcomes)."""
        self._outcomes.pop(org_code, None)


def _metrics_needed(cat: Catalogue, rules: Sequence[Rule]) -> tuple[set[str], set[str], set[str]]:
    """(rule metrics, monthly metrics, peer metrics) the reports use."""
    used = set().union(*(r.metrics() for r in rules)) if rules else set()
    monthly = {m.id for m in cat.metrics.values() if m.period_kind == "month"}
    peers = {m.id for m in cat.metrics.values() if m.kind in PEER_KINDS}
    peers |= {r.metric for r in rules if r.condition.kind == "benchmark"}
    return used, monthly, peers


def _all_periods(s: Session, cat: Catalogue, metrics: Collection[str]) -> dict[str, list[str]]:
    """Metric → every period any organisation has a current figure for, oldest first."""
    columns: list[Any] = [Observation.metric, Observation.period_key]
    pairs = s.execute(sa_select(*columns).where(col(Observation.current).is_(True))
                      .distinct()).all()
    by_stored: dict[str, set[str]] = defaultdict(set)
    for stored, period in pairs:
        by_stored[stored].add(period)
    out: dict[str, list[str]] = {}
    for mid in metrics:
        years = stored_metric_ids(cat, cat[mid])
        keys = {p for stored in years for p in by_stored.get(stored, ())
                if belongs(stored, p, years)}
        out[mid] = sorted(keys, key=lambda k: period_spec(k).end)
    return out


PERIODS_KEPT = 8
"""Period lists kept per process (one per store state and set of metrics)."""
_PERIODS: OrderedDict[Hashable, dict[str, list[str]]] = OrderedDict()
_PERIODS_LOCK = threading.Lock()
STORE_CHANGES = ("import", "import_restore")
"""The audit actions that change which figures are current."""


def store_state(s: Session) -> tuple[int, str] | None:
    """The sequence number and hash of the store's latest import or restore (None: none)."""
    row = s.execute(sa_select(AuditEvent.seq, AuditEvent.hash)  # type: ignore[call-overload]
                    .where(col(AuditEvent.action).in_(STORE_CHANGES))
                    .order_by(col(AuditEvent.seq).desc()).limit(1)).first()
    return (int(row[0]), str(row[1])) if row is not None else None


def every_period(s: Session, cat: Catalogue, metrics: Collection[str]) -> dict[str, list[str]]:
    """:func:`_all_periods`, read once per process while the store is unchanged (see the
    module docstring). The lists are shared: callers must not change them."""
    bind = s.get_bind()
    key = (str(bind.engine.url), store_state(s), frozenset(metrics))
    with _PERIODS_LOCK:
        kept = _PERIODS.get(key)
        if kept is not None:
            _PERIODS.move_to_end(key)
            return kept
    periods = _all_periods(s, cat, metrics)
    with _PERIODS_LOCK:
        _PERIODS[key] = periods
        while len(_PERIODS) > PERIODS_KEPT:
            _PERIODS.popitem(last=False)
    return periods


def load_inputs(engine: Engine, settings: Settings, *, as_of: date,
                org_codes: Collection[str] | None = None,
                packs: Sequence[RulePack] | None = None) -> ReportInputs:
    """Read what the reports for ``as_of`` need.

    Args:
        engine: the store.
        settings: the frozen settings (statistics, rule paths, disclosure).
        as_of: the evaluation date; nothing after it is judged.
        org_codes: the organisations to report on; ``None`` loads every organisation once
            (many reports from one process).
        packs: the rule packs in force (default: shipped plus configured).
    """
    cat = load_catalogue()
    packs = list(packs) if packs is not None else load_rules(settings)
    rules = rules_of(packs)
    used, monthly, peers = _metrics_needed(cat, rules)
    with open_session(engine) as s:
        orgs = load_orgs(s)
        if org_codes is None:
            data = load(s, cat, used | monthly | peers)
            view = DataView(cat, data, orgs, as_of, settings.statistics.confidence,
                            rolling_years(cat, used | monthly | peers, settings.statistics))
        else:
            codes = set(org_codes)
            groups = {orgs[c].benchmark_group for c in codes if c in orgs} - {None}
            group_codes = codes | {c for c, o in orgs.items() if o.benchmark_group in groups}
            data = load(s, cat, (used | monthly) - peers, orgs=codes)
            data.update(load(s, cat, peers, orgs=group_codes))
            view = _FocusedView(cat, data, orgs, as_of, settings.statistics.confidence,
                                every_period(s, cat, used | monthly | peers),
                                rolling_years(cat, used | monthly | peers, settings.statistics))
    return ReportInputs(settings, as_of, packs, cat, view, orgs, tuple(sorted(monthly)),
                        tuple(sorted(peers)))


# ----------------------------------------------------------------------------- provenance

@dataclass(frozen=True)
class Provenance:
    """Which import supplied each (stored metric, period) of one organisation."""

    imports: dict[int, Import]
    by_metric_period: dict[tuple[str, str], int]

    def import_for(self, cat: Catalogue, metric_id: str, period: str | None) -> Import | None:
        if period is None:
            return None
        years = stored_metric_ids(cat, cat[metric_id])
        for stored in sorted(years):
            if belongs(stored, period, years):
                iid = self.by_metric_period.get((stored, period))
                if iid is not None:
                    return self.imports.get(iid)
        return None


def provenance(s: Session, org_code: str) -> Provenance:
    """The imports behind the organisation's current figures (one grouped query)."""
    columns: list[Any] = [Observation.metric, Observation.period_key, Observation.import_id]
    rows = s.execute(sa_select(*columns)
                     .where(col(Observation.org_code) == org_code,
                            col(Observation.current).is_(True))
                     .group_by(*columns)).all()
    by: dict[tuple[str, str], int] = {}
    for metric, period, iid in rows:
        by[(metric, period)] = max(iid, by.get((metric, period), 0))
    ids = sorted({iid for *_, iid in rows})
    imports = {i.id: i for i in s.exec(select(Import).where(col(Import.id).in_(ids))).all()
               if i.id is not None}
    return Provenance(imports, by)


def findings_of(s: Session, org_code: str, as_of: date
                ) -> list[tuple[Finding, list[FindingEvent]]]:
    """The organisation's findings with their events up to ``as_of``, in id order."""
    found = list(s.exec(select(Finding).where(Finding.org_code == org_code)
                        .order_by(col(Finding.id))).all())
    ids = [f.id for f in found]
    events: dict[int, list[FindingEvent]] = defaultdict(list)
    if ids:
        for ev in s.exec(select(FindingEvent).where(col(FindingEvent.finding_id).in_(ids),
                                                    col(FindingEvent.as_of) <= as_of)
                         .order_by(col(FindingEvent.id))).all():
            events[ev.finding_id].append(ev)
    return [(f, events.get(f.id or 0, [])) for f in found]
