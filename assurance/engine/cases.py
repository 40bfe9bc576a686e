"""Rule test cases: ``<pack>.cases.yaml`` beside each pack, run by ``assurance rules test``.

A case gives organisations, observations (the tidy-CSV columns as a list or a mapping) and an
``as_of`` date, and expects, per organisation, an outcome ``status`` and text the summary
must contain::

    version: 1
    cases:
      - name: indicator 2 adverse and significant
        rule: wres.2.adverse
        as_of: 2025-06-01
        organisations: [{code: T1, benchmark_group: Acute}]   # optional
        observations:
          - [T1, wres:2025, wres.2, white, "", 300, 1000]
          - [T1, wres:2025, wres.2, bme, "", 150, 800]
        expect:
          T1: {status: breach, summary: ["1.60", "95% CI"]}

Each case runs in its own in-memory store, so cases never see each other's data. A rule with
``scope: division`` has one outcome per division with figures (breakdown ``division:<code>``),
expected as ``T1/<code>``::

        expect:
          T1/surgery: {status: breach}
          T1/medicine: {status: ok}

A condition kind's own cases (``assurance/engine/conditions/cases/<kind>.yaml``, run by
``tests/test_condition_cases.py``) are the same, with the rule given inline as the metric and
the condition instead of a rule id::

      - name: a relative likelihood above 1.25 breaches
        metric: wres.2
        when: {outside_range: {low: 0.80, high: 1.25}}
        as_of: 2025-06-01
        observations: [...]
        expect:
          T1: {status: breach}
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

from assurance.catalogue import load_catalogue
from assurance.config import StatisticsSettings
from assurance.engine.conditions.base import ParseContext
from assurance.engine.evaluate import Outcome, evaluate
from assurance.engine.rules import Escalation, Rule, RulePack, parse_condition
from assurance.engine.yamlsrc import (
    MAX_INTEGER,
    Checker,
    Pos,
    YList,
    YMap,
    describe,
    load_located,
)
from assurance.figure_checks import check_figure
from assurance.ingest import ObservationRow
from assurance.models import Attestation, Import, Observation, Organisation, Period
from assurance.periods import parse_period_key
from assurance.problems import Problem, did_you_mean

COLUMNS = ("org_code", "period", "metric", "group", "breakdown", "numerator", "denominator",
           "value", "note")
STATUSES = ("breach", "outside", "ok", "no_data", "not_calculable", "error")
DATA_KEYS = ("as_of", "organisations", "observations", "attestations", "expect")
ATTESTATION_KEYS = ("org", "statement", "attested_by", "attested_on", "valid_until",
                    "withdrawn_on", "evidence_sha256")
CONDITION_CASES = Path(__file__).resolve().parent / "conditions" / "cases"


@dataclass(frozen=True)
class CaseResult:
    name: str
    rule: str
    passed: bool
    failures: tuple[Problem, ...]
    expected: dict[str, str]
    outcomes: tuple[Outcome, ...] = ()  # every outcome the case's rule produced


def _obs(raw: Any, pos: Pos, chk: Checker) -> ObservationRow | None:
    if isinstance(raw, YList):
        if not 3 <= len(raw) <= len(COLUMNS):
            chk.error(pos, f"an observation list has 3 to {len(COLUMNS)} items: "
                      + ", ".join(COLUMNS))
            return None
        cells = dict(zip(COLUMNS, raw, strict=False))
    elif isinstance(raw, YMap):
        if not chk.keys(raw, COLUMNS, required=COLUMNS[:3], what="an observation"):
            return None
        cells = dict(raw)
    else:
        chk.error(pos, "an observation is a list or a mapping of " + ", ".join(COLUMNS))
        return None
    period = parse_period_key(str(cells["period"]))
    if period is None:
        chk.error(pos, f"bad period {cells['period']!r}")
        return None

    def num(k: str) -> Any:
        v = cells.get(k)
        return None if v in (None, "") else v

    for k in ("numerator", "denominator"):
        v = num(k)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int)
                              or not 0 <= v <= MAX_INTEGER):
            chk.error(pos, f"{k}: found {describe(v)}; expected a whole number of people "
                      f"from 0 to {MAX_INTEGER:,}")
            return None
    suppressed = num("value") == "-"  # as published: fewer than 10 responses
    value = num("value")
    if value is not None and not suppressed and (isinstance(value, bool)
                                                 or not isinstance(value, int | float)):
        chk.error(pos, f"value must be a number or '-' (suppressed), found {value!r}")
        return None
    return ObservationRow(str(cells["org_code"]), period.key, str(cells["metric"]),
                          str(cells.get("group") or "all"), str(cells.get("breakdown") or ""),
                          None if value is None or suppressed else float(value),
                          num("numerator"), num("denominator"), suppressed=suppressed,
                          note=num("note"), line=pos[0])


def _attestations(raw: Any, pos: Pos, chk: Checker) -> list[Attestation] | None:
    """A case's ``attestations:`` (register rows: org, statement, attested_by, attested_on,
    valid_until, withdrawn_on, evidence_sha256), or None with the problems reported."""
    if raw is None:
        return []
    if not isinstance(raw, YList):
        chk.error(pos, "attestations must be a list")
        return None
    out = []
    for i, item in enumerate(raw):
        ipos = raw.item_pos[i]
        if not isinstance(item, YMap):
            chk.error(ipos, "an attestation is a mapping of " + ", ".join(ATTESTATION_KEYS))
            return None
        if not chk.keys(item, ATTESTATION_KEYS, required=("org", "statement", "attested_on",
                                                          "valid_until"), what="an attestation"):
            return None
        days = {k: item.get(k) for k in ("attested_on", "valid_until", "withdrawn_on")}
        bad = [k for k, v in days.items() if (v is None and k != "withdrawn_on")
               or (v is not None and not isinstance(v, date))]
        if bad:
            chk.error(item.value_pos[bad[0]], f"{bad[0]} must be a date like 2025-06-01")
            return None
        attested_on, valid_until = days["attested_on"], days["valid_until"]
        assert isinstance(attested_on, date) and isinstance(valid_until, date)  # required above
        out.append(Attestation(
            org_code=str(item["org"]), statement=str(item["statement"]), text="case",
            attested_by=str(item.get("attested_by") or "Chair"),
            attested_on=attested_on, valid_until=valid_until,
            withdrawn_on=days["withdrawn_on"],
            evidence_sha256=(str(item["evidence_sha256"]) if "evidence_sha256" in item
                             else None),
            recorded_by="case", recorded_at=datetime(2000, 1, 1, tzinfo=UTC)))
    return out


def run_case(case: YMap, pos: Pos, packs: list[RulePack], chk: Checker,
             stats: StatisticsSettings) -> CaseResult | None:
    if not chk.keys(case, ("name", "rule", *DATA_KEYS),
                    required=("name", "rule", "as_of", "observations", "expect"),
                    what="a case"):
        return None
    name = str(case["name"])
    rule_id = str(case["rule"])
    if not any(r.id == rule_id for p in packs for r in p.rules):
        chk.error(case.value_pos["rule"], f"no rule '{rule_id}' in the pack")
        return None
    return _run(case, name, rule_id, packs, chk, stats)


def run_condition_case(case: YMap, pos: Pos, kind: str, chk: Checker,
                       stats: StatisticsSettings) -> CaseResult | None:
    """Run one case of a condition kind's own file: its rule is ``metric`` + ``when``."""
    if not chk.keys(case, ("name", "metric", "when", *DATA_KEYS),
                    required=("name", "metric", "when", "as_of", "observations", "expect"),
                    what="a condition case"):
        return None
    name, when = str(case["name"]), case["when"]
    if not isinstance(when, YMap) or list(when) != [kind]:
        chk.error(case.value_pos["when"], f"a case in {kind}.yaml tests '{kind}': expected "
                  f"{{{kind}: ...}}, found {when!r}")
        return None
    cat = load_catalogue()
    metric = case["metric"]
    if metric not in cat:
        chk.error(case.value_pos["metric"], f"unknown metric '{metric}'"
                  f"{did_you_mean(str(metric), cat.metrics)}")
        return None
    pc = ParseContext(cat, cat[metric], chk, stats, parse_condition)
    condition = parse_condition(when, case.value_pos["when"], pc)
    if condition is None:
        return None
    rule = Rule(id=f"{kind}.case{pos[0]}", pack=kind, title=name, metric=cat[metric].id,
                condition=condition, severity="medium", labels={}, evidence=(),
                escalate=Escalation(), why="", action="", source=f"{chk.where}:{pos[0]}")
    pack = RulePack(kind, kind, Path(chk.where), (rule,))
    return _run(case, name, rule.id, [pack], chk, stats)


_SCHEMA_LOCK = threading.Lock()


@cache
def _schema() -> Engine:
    """An in-memory SQLite database holding the store's tables, made once a process."""
    engine = create_engine("sqlite://", connect_args={"check_same_thread": False},
                           poolclass=StaticPool)
    SQLModel.metadata.create_all(engine)
    return engine


def _case_store() -> Engine:
    """A new, empty in-memory store for one case: a copy of :func:`_schema` by SQLite's
    backup API (creating every table again took about 17 ms a case, most of a case's time)."""
    copy = sqlite3.connect(":memory:", check_same_thread=False)
    with _SCHEMA_LOCK, _schema().connect() as template:
        source = template.connection.driver_connection
        assert isinstance(source, sqlite3.Connection)
        source.backup(copy)
    return create_engine("sqlite://", creator=lambda: copy, poolclass=StaticPool)


def _run(case: YMap, name: str, rule_id: str, packs: list[RulePack], chk: Checker,
         stats: StatisticsSettings) -> CaseResult | None:
    """Store the case's observations, evaluate the rule, compare with ``expect``."""
    as_of = case["as_of"]
    if not isinstance(as_of, date):
        chk.error(case.value_pos["as_of"], "as_of must be a date like 2025-06-01")
        return None
    cat = load_catalogue()
    rows = []
    obs_list = case["observations"]
    if not isinstance(obs_list, YList):
        chk.error(case.value_pos["observations"], "observations must be a list")
        return None
    for i, raw in enumerate(obs_list):
        row = _obs(raw, obs_list.item_pos[i], chk)
        if row is None:
            return None
        survey_ids = {f"nss.{code}" for codes in cat.survey_years.values()
                      for code in codes.values()}
        if row.metric not in cat and row.metric not in survey_ids:
            chk.error(obs_list.item_pos[i], f"unknown metric '{row.metric}' (catalogue ids, or "
                      "stored Staff Survey ids such as nss.q15)")
            return None
        kind = cat[row.metric].kind if row.metric in cat else "survey_response"
        bad = check_figure(row, kind, chk.where)
        if bad:
            chk.problems.extend(bad)
            return None
        rows.append(row)
    attestations = _attestations(case.get("attestations"),
                                 case.value_pos.get("attestations", case.pos), chk)
    if attestations is None:
        return None
    orgs: dict[str, Organisation] = {}
    for raw in case.get("organisations") or []:
        if isinstance(raw, YMap) and "code" in raw:
            orgs[str(raw["code"])] = Organisation(
                code=str(raw["code"]), name=str(raw.get("name", raw["code"])),
                benchmark_group=raw.get("benchmark_group"), synthetic=True)
    for code in [r.org_code for r in rows] + [a.org_code for a in attestations]:
        orgs.setdefault(code, Organisation(code=code, name=code, benchmark_group="Peers",
                                           synthetic=True))
    expect = case["expect"]
    if not isinstance(expect, YMap):
        chk.error(case.value_pos["expect"], "expect maps organisation codes to {status, summary}")
        return None
    engine = _case_store()
    with Session(engine) as s:
        s.add_all(orgs.values())
        for key in {r.period_key for r in rows}:
            p = parse_period_key(key)
            assert p is not None
            s.add(Period(key=p.key, kind=p.kind, label=p.label, start=p.start, end=p.end))
        s.add(Import(id=1, source="case", filename=name, sha256="0" * 64, rows_read=len(rows),
                     observations=len(rows), importer_version="case",
                     imported_at=datetime(2000, 1, 1, tzinfo=UTC), imported_by="case"))
        s.flush()
        for r in rows:
            s.add(Observation(import_id=1, org_code=r.org_code, period_key=r.period_key,
                              metric=r.metric, group=r.group, breakdown=r.breakdown,
                              value=r.value, numerator=r.numerator, denominator=r.denominator,
                              suppressed=r.suppressed, note=r.note,
                              scope=f"{r.org_code}|{r.period_key}|{r.metric}"))
        s.add_all(attestations)
        s.commit()
        produced = evaluate(s, packs, as_of, stats, rule_ids=[rule_id])
    engine.dispose()
    # A division-scoped rule's outcomes are expected as ``ORG/division`` (e.g. T1/surgery).
    outcomes = {o.org.code + (f"/{o.division.code}" if o.division else ""): o
                for o in produced}
    failures: list[Problem] = []
    expected: dict[str, str] = {}
    for org, want in expect.items():
        wpos = expect.value_pos[org]
        if not isinstance(want, YMap) or not chk.keys(want, ("status", "summary"),
                                                      required=("status",), what="expect"):
            return None
        status = chk.choice(want, "status", STATUSES)
        if status is None:
            return None
        expected[org] = status
        got = outcomes.get(str(org))
        if got is None:
            failures.append(Problem(chk.where, f"case '{name}': {org}: expected {status}, but "
                                    "the rule produced no outcome for it (no data at all)",
                                    *wpos))
            continue
        if got.status != status:
            failures.append(Problem(chk.where, f"case '{name}': {org}: expected {status}, got "
                                    f"{got.status}: {got.summary}", *wpos))
        for text in chk.text_list(want, "summary"):
            if text not in got.summary:
                failures.append(Problem(chk.where, f"case '{name}': {org}: summary does not "
                                        f"contain {text!r}; it reads: {got.summary}", *wpos))
    return CaseResult(name, rule_id, not failures, tuple(failures), expected, tuple(produced))


def load_cases(path: Path, chk: Checker) -> Iterator[tuple[YMap, Pos]]:
    """The cases of a case file with their positions; problems with the file go to ``chk``."""
    doc = load_located(path, chk.problems)
    if not isinstance(doc, YMap):
        if doc is not None:
            chk.error((1, 1), "a case file is a mapping with version and cases")
        return
    chk.keys(doc, ("version", "cases"), required=("cases",), what="the case file")
    cases = doc.get("cases")
    if not isinstance(cases, YList):
        chk.error(doc.pos, "'cases' must be a list")
        return
    for i, case in enumerate(cases):
        if not isinstance(case, YMap):
            chk.error(cases.item_pos[i], "each case is a mapping")
            continue
        yield case, cases.item_pos[i]


def run_case_file(path: Path, packs: list[RulePack], problems: list[Problem],
                  stats: StatisticsSettings | None = None) -> list[CaseResult]:
    """Run every case in a file; file problems go to ``problems``, failures are returned."""
    chk = Checker(str(path), problems)
    out = []
    for case, pos in load_cases(path, chk):
        r = run_case(case, pos, packs, chk, stats or StatisticsSettings())
        if r is not None:
            out.append(r)
    return out
