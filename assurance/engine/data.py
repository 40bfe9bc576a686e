"""Set-based loading: one query per metric, then figures computed and cached in memory.

The evaluator never queries per organisation: :func:`load` reads every current observation
of the metrics the rule packs use (one ``SELECT`` each), and :class:`DataView` answers the
conditions' questions — this period's figure, the series up to it, the peer group's figures —
from memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Select
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from assurance.catalogue import Catalogue, MetricDef
from assurance.collector import paused
from assurance.engine.figures import (
    Figure,
    Maker,
    Obs,
    belongs,
    figure_maker,
    stored_metric_ids,
)
from assurance.models import Attestation, Division, Observation, Organisation
from assurance.periods import PeriodSpec, parse_period_key


@lru_cache(maxsize=4096)
def period_spec(key: str) -> PeriodSpec:
    spec = parse_period_key(key)
    assert spec is not None, key
    return spec


@dataclass(frozen=True)
class AttestationInfo:
    """One attestation in the register (``assurance attestations``), as the engine sees it."""

    id: int
    statement: str
    attested_by: str
    attested_on: date
    valid_until: date
    withdrawn_on: date | None = None
    evidence_sha256: str | None = None

    def current_on(self, day: date) -> bool:
        """Attested on or before ``day``, valid through ``valid_until``, not withdrawn."""
        withdrawn = self.withdrawn_on is not None and self.withdrawn_on <= day
        return self.attested_on <= day <= self.valid_until and not withdrawn


DIVISION_PREFIX = "division:"


def division_breakdown(code: str) -> str:
    """The breakdown a division's figures are stored under: ``division:<code>``."""
    return DIVISION_PREFIX + code


@dataclass(frozen=True)
class DivisionInfo:
    """A division or department in the register (``assurance divisions import``)."""

    code: str  # the key its figures are stored under (division:<code>)
    name: str
    level: str = "division"  # division | department
    parent: str | None = None  # a department's division
    owner: str | None = None  # the accountable role


@dataclass(frozen=True)
class OrgInfo:
    code: str
    name: str
    benchmark_group: str | None
    synthetic: bool
    org_type: str | None = None
    attestations: tuple[AttestationInfo, ...] = ()  # every one recorded, oldest first
    divisions: tuple[DivisionInfo, ...] = ()  # the register's, in name order

    def division(self, code: str) -> DivisionInfo:
        """The register's entry, or one named after its code when it has none yet."""
        for d in self.divisions:
            if d.code == code:
                return d
        return DivisionInfo(code, code.replace("_", " ").title())


@dataclass
class MetricData:
    metric: MetricDef
    rows: dict[str, dict[str, list[Obs]]] = field(default_factory=dict)  # org → period → rows

    def periods(self) -> list[str]:
        keys = {p for per_org in self.rows.values() for p in per_org}
        return sorted(keys, key=lambda k: period_spec(k).end)


def load_orgs(s: Session) -> dict[str, OrgInfo]:
    """The organisation register with each organisation's attestations (one query each)."""
    attested: dict[str, list[AttestationInfo]] = defaultdict(list)
    for a in s.exec(select(Attestation).order_by(col(Attestation.attested_on),
                                                 col(Attestation.id))).all():
        assert a.id is not None
        attested[a.org_code].append(AttestationInfo(
            a.id, a.statement, a.attested_by, a.attested_on, a.valid_until, a.withdrawn_on,
            a.evidence_sha256))
    divisions: dict[str, list[DivisionInfo]] = defaultdict(list)
    for d in s.exec(select(Division).order_by(col(Division.org_code), col(Division.name))).all():
        divisions[d.org_code].append(DivisionInfo(d.code, d.name, d.level, d.parent, d.owner))
    return {o.code: OrgInfo(o.code, o.name, o.benchmark_group, o.synthetic, o.org_type,
                            tuple(attested.get(o.code, ())), tuple(divisions.get(o.code, ())))
            for o in s.exec(select(Organisation)).all()}


def load(s: Session, cat: Catalogue, metric_ids: Iterable[str],
         orgs: set[str] | None = None) -> dict[str, MetricData]:
    """Read every current observation of the given metrics: one query per metric."""
    with paused():
        return _load(s, cat, metric_ids, orgs)


def _load(s: Session, cat: Catalogue, metric_ids: Iterable[str],
          orgs: set[str] | None) -> dict[str, MetricData]:
    out: dict[str, MetricData] = {}
    loaded: dict[tuple[str, ...], dict[str, dict[str, list[Obs]]]] = {}
    for mid in sorted(set(metric_ids)):
        m = cat[mid]
        stored = stored_metric_ids(cat, m)
        columns: list[Any] = [Observation.org_code, Observation.period_key, Observation.metric,
                   Observation.group, Observation.breakdown, Observation.value,
                   Observation.numerator, Observation.denominator, Observation.suppressed,
                   Observation.note]
        q = sa_select(*columns).where(col(Observation.metric).in_(list(stored)),
                                      col(Observation.current).is_(True))
        if orgs is not None:
            q = q.where(col(Observation.org_code).in_(sorted(orgs)))
        key = tuple(sorted(stored))
        if key in loaded:  # e.g. wres.declaration reads the same rows as wres.1
            out[mid] = MetricData(m, loaded[key])
            continue
        rows: dict[str, dict[str, list[Obs]]] = {}
        every_period = all(v is None for v in stored.values())
        make = tuple.__new__  # Obs without its Python-level constructor: 371 k rows nationally
        for org, period, metric, grp, bd, value, num, den, sup, note in _driver_rows(s, q):
            if every_period or belongs(metric, period, stored):
                per_org = rows.get(org)
                if per_org is None:
                    per_org = rows[org] = {}
                found = per_org.get(period)
                if found is None:
                    found = per_org[period] = []
                # bool(): SQLite's driver returns a stored Boolean as 0 or 1.
                found.append(make(Obs, (grp, bd, value, num, den, bool(sup), note, metric)))
        loaded[key] = rows
        out[mid] = MetricData(m, rows)
    return out


def _driver_rows(s: Session, q: Select[Any]) -> Sequence[tuple[Any, ...]]:
    """Every row of ``q`` as the database driver returns it: plain tuples.

    SQLAlchemy compiles and executes the query (parameters, dialect); the rows are then read
    from the driver's cursor, because building SQLAlchemy's result rows (a ``Row`` each, and
    a Python-level conversion of every Boolean) cost as much again as the fetch itself for
    the national set's 371 k observations. Columns needing conversion are the caller's.
    """
    result = s.connection().execute(q)
    try:
        return cast(Sequence[tuple[Any, ...]], result.cursor.fetchall())
    finally:
        result.close()


_UNSEEN: Any = object()  # a figure not computed yet (None is cached: no rows)


def _breakdown_key(breakdown: str | Sequence[str] | None) -> str | tuple[str, ...] | None:
    """A breakdown as part of a cache key (a set of breakdowns as a tuple)."""
    return breakdown if breakdown is None or isinstance(breakdown, str) else tuple(breakdown)


class DataView:
    """What conditions may ask of the stored data, as of a date. Figures are cached."""

    def __init__(self, cat: Catalogue, data: dict[str, MetricData], orgs: dict[str, OrgInfo],
                 as_of: date, confidence: float = 0.95,
                 rolling: Mapping[str, int] | None = None):
        self.cat = cat
        self.rolling = dict(rolling or {})
        self.data = data
        self.orgs = orgs
        self.as_of = as_of
        self.confidence = confidence
        self._cache: dict[tuple[str, str, str, object], Figure | None] = {}
        self._periods: dict[str, list[str]] = {}
        self._makers: dict[tuple[str, str | tuple[str, ...] | None], Maker] = {}

    def periods(self, metric: str) -> list[str]:
        """Periods with any data for the metric that had ended by ``as_of``, oldest first."""
        if metric not in self._periods:
            self._periods[metric] = [p for p in self.data[metric].periods()
                                     if period_spec(p).end <= self.as_of]
        return self._periods[metric]

    def current_period(self, metric: str) -> str | None:
        ps = self.periods(metric)
        return ps[-1] if ps else None

    def has_rows(self, metric: str, org: str, period: str) -> bool:
        return bool(self.data[metric].rows.get(org, {}).get(period))

    def figure(self, metric: str, org: str, period: str,
               breakdown: str | Sequence[str] | None = None) -> Figure | None:
        """The figure, or None when the organisation has no rows for that period."""
        bkey = _breakdown_key(breakdown)
        key = (metric, org, period, bkey)
        found = self._cache.get(key, _UNSEEN)
        if found is _UNSEEN:
            found = self._cache[key] = self._make(metric, org, period,
                                                  self.data[metric].rows.get(org, {}),
                                                  self._maker(metric, breakdown, bkey))
        return found

    def series(self, metric: str, org: str, breakdown: str | Sequence[str] | None = None,
               up_to: str | None = None) -> list[Figure]:
        """The organisation's figures for every period up to ``up_to`` (default: current)."""
        bkey = _breakdown_key(breakdown)
        # What every period's figure needs is looked up once for the series, not per period.
        per_period = self.data[metric].rows.get(org, {})
        make = self._maker(metric, breakdown, bkey)
        cache = self._cache
        out = []
        for p in self.periods(metric):
            key = (metric, org, p, bkey)
            f = cache.get(key, _UNSEEN)
            if f is _UNSEEN:
                f = cache[key] = self._make(metric, org, p, per_period, make)
            if f is not None:
                out.append(f)
            if p == up_to:
                break
        return out

    def _maker(self, metric: str, breakdown: str | Sequence[str] | None,
               bkey: str | tuple[str, ...] | None) -> Maker:
        """The metric and breakdown's figure function, built once per view."""
        make = self._makers.get((metric, bkey))
        if make is None:
            make = self._makers[(metric, bkey)] = figure_maker(
                self.cat, self.cat[metric], breakdown, self.confidence)
        return make

    def _make(self, metric: str, org: str, period: str, per_period: dict[str, list[Obs]],
              make: Maker) -> Figure | None:
        """One figure from the organisation's rows by period (None: no rows that period)."""
        rows = per_period.get(period)
        years = self.rolling.get(metric, 1)
        if rows and years > 1:
            # Pool counts over this and the previous periods (e.g. WDES 3 two-year rolling
            # average): figures sum numerators and denominators group by group.
            earlier = [p for p in self.periods(metric) if p < period and p in per_period]
            rows = [r for p in [*earlier[-(years - 1):], period] for r in per_period[p]]
        return make(org, period, rows) if rows else None

    def peers(self, metric: str, org: str, period: str,
              breakdown: str | Sequence[str] | None = None) -> list[Figure]:
        """Figures of organisations in the same benchmarking group (including ``org``)."""
        group = self.orgs[org].benchmark_group if org in self.orgs else None
        if group is None:
            return []
        out = []
        for code in self.data[metric].rows:
            info = self.orgs.get(code)
            if info is None or info.benchmark_group != group:
                continue
            f = self.figure(metric, code, period, breakdown)
            if f is not None and f.calculable and f.value is not None:
                out.append(f)
        return out

    def divisions(self, metric: str, org: str) -> list[str]:
        """Codes of the organisation's divisions with figures for the metric up to ``as_of``
        (rows under a ``division:<code>`` breakdown), in code order."""
        per_period = self.data[metric].rows.get(org, {})
        found = {r.breakdown[len(DIVISION_PREFIX):] for p in self.periods(metric)
                 for r in per_period.get(p, ()) if r.breakdown.startswith(DIVISION_PREFIX)}
        return sorted(found)

    def organisations(self, metric: str) -> list[str]:
        """Organisations with any data for the metric up to ``as_of``."""
        ps = set(self.periods(metric))
        return sorted(o for o, per in self.data[metric].rows.items() if ps & per.keys())
