"""Condition kinds own their meaning: the band a chart shades and how each fact a verdict
records is worded and who may see it are declared by the kind, not known to renderers.

The oracles here are the renderers' logic before issue 10 (``band_of`` in
``assurance/report_context/views.py``; the fact-key lists of ``assurance/outbox/messages.py``),
copied so the declarations are held to give exactly the previous behaviour.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache
from typing import Any

import pytest

from assurance import api
from assurance.catalogue import MetricDef, load_catalogue
from assurance.config import StatisticsSettings, load_settings
from assurance.engine.cases import CONDITION_CASES, load_cases, run_condition_case
from assurance.engine.conditions import FACT_SPECS, KINDS
from assurance.engine.conditions.base import FIGURE_EXTRAS, FIGURE_KEYS, Band, FactSpec
from assurance.engine.evaluate import Outcome
from assurance.engine.figures import fmt_value
from assurance.engine.rules import Rule
from assurance.engine.yamlsrc import Checker

UNITS = {"ratio", "percent", "percentage_points", "score", "count", "yes_no", "text", "p_value", "period",
         "difference", ""}


@cache
def outcomes() -> tuple[Outcome, ...]:
    """Every outcome of every shipped rule pack's cases and every condition kind's cases."""
    report = api.test_rules(load_settings(None))
    out = [o for r in report.results for o in r.outcomes]
    for path in sorted(CONDITION_CASES.glob("*.yaml")):
        chk = Checker(str(path), [])
        for case, pos in load_cases(path, chk):
            result = run_condition_case(case, pos, path.stem, chk, StatisticsSettings())
            out.extend(result.outcomes if result else ())
    return tuple(out)


# ----------------------------------------------------------------------------- bands


def previous_band_of(rule: Rule, m: MetricDef, stats: StatisticsSettings) -> Band | None:
    """``assurance.report_context.views.band_of`` before issue 10 (the previous behaviour)."""
    c = rule.condition
    fmt = lambda v: fmt_value(v, m.unit)  # noqa: E731
    if c.kind in ("outside_range", "threshold"):
        low, high = getattr(c, "low", None), getattr(c, "high", None)
        if low is not None and high is not None:
            return Band(low, high, f"Acceptable range {fmt(low)} to {fmt(high)}")
        if high is not None:
            return Band(None, high, f"Acceptable: {fmt(high)} or less")
        if low is not None:
            return Band(low, None, f"Acceptable: {fmt(low)} or more")
    if c.kind == "data_quality" and getattr(c, "check", "") == "declaration_below":
        t = float(getattr(c, "threshold", 0.0))
        return Band(t, None, f"Acceptable: {t:g}% or more declared")
    if m.unit == "ratio":
        low, high = m.non_adverse_range or (stats.non_adverse_low, stats.non_adverse_high)
        return Band(low, high, f"Non-adverse range {fmt(low)} to {fmt(high)}")
    return None


SHIPPED_RULES = [r for p in api.load_rules(load_settings(None)) for r in p.rules]
STATS = (StatisticsSettings(), StatisticsSettings(non_adverse_low=0.75, non_adverse_high=1.33))


@pytest.mark.parametrize("stats", STATS, ids=["default", "configured"])
@pytest.mark.parametrize("rule", SHIPPED_RULES, ids=[r.id for r in SHIPPED_RULES])
def test_each_shipped_rule_shades_the_band_it_shaded_before(rule: Rule,
                                                            stats: StatisticsSettings) -> None:
    m = load_catalogue()[rule.metric]
    assert rule.condition.band(m, stats) == previous_band_of(rule, m, stats)


def test_each_condition_case_rule_shades_the_band_it_shaded_before() -> None:
    cat, stats = load_catalogue(), StatisticsSettings()
    rules = {o.rule.id: o.rule for o in outcomes() if o.rule.pack in KINDS}
    assert {r.pack for r in rules.values()} == set(KINDS)
    for rule in rules.values():
        m = cat[rule.metric]
        assert rule.condition.band(m, stats) == previous_band_of(rule, m, stats), rule.source


def test_a_limit_of_the_rule_is_the_band_and_a_ratio_without_one_its_non_adverse_range(
        ) -> None:
    by_id = {r.id: r for r in SHIPPED_RULES}
    cat, stats = load_catalogue(), StatisticsSettings()
    band = lambda rid: by_id[rid].condition.band(cat[by_id[rid].metric], stats)  # noqa: E731
    assert band("wdes.8.adjustments") == Band(75.0, None, "Acceptable: 75.0% or more")
    assert band("dq.ethnicity-declaration") == Band(90.0, None,
                                                    "Acceptable: 90% or more declared")
    assert band("wres.2.flatline") == Band(0.8, 1.25, "Non-adverse range 0.80 to 1.25")
    assert band("wres.7.gap") is None


# ----------------------------------------------------------------------------- facts

# assurance/outbox/messages.py before issue 10 (the previous behaviour).
PREVIOUS_PARAMETERS = {"low", "high", "threshold", "significant_required", "significant",
                       "interval", "measure", "peer_group", "peers", "rank_worse_than",
                       "points", "target", "target_year", "tolerance", "baseline_period",
                       "previous_period", "newest_period", "age_days", "missing", "periods",
                       "period", "unit"}
PREVIOUS_SHOWN_ELSEWHERE = {"value", "ci", "focus", "reference", "unknown", "count", "measured",
                            "declaration_rate"}
PREVIOUS_SAFE_NUMBERS = {"p_value", "median", "q1", "q3", "z"}
# Results of judging the organisation's own figure, shown to everyone before issue 10's review
# although they place a withheld figure (its rank among peers; whether its interval is beyond
# the range): now statistics, hidden with the figure.
RECLASSIFIED = {"significant": "statistic", "rank_worse_than": "statistic"}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if math.isnan(value) else float(value)


def previously_shown(key: str, value: Any, exact: bool) -> str | None:
    """What a message's fact rows showed of one fact before issue 10 ("number" for a figure
    formatted by the renderer), or None when the row was left out."""
    if key in PREVIOUS_PARAMETERS and isinstance(value, bool):
        return "yes" if value else "no"
    if key in PREVIOUS_PARAMETERS and isinstance(value, str | int | float):
        return str(value)
    if _number(value) is not None and (exact or key in PREVIOUS_SAFE_NUMBERS):
        return "number"
    return None


def shown_by_role(spec: FactSpec, value: Any, exact: bool) -> str | None:
    """The same, decided by the declared role alone."""
    if spec.role == "parameter":
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value) if isinstance(value, str | int | float) else None
    if _number(value) is None or (spec.role == "derived" and not exact):
        return None
    return "number"


def produced() -> dict[str, list[tuple[Outcome, Any]]]:
    """Fact key → (outcome, value) for every non-figure fact the cases' verdicts record."""
    out: dict[str, list[tuple[Outcome, Any]]] = {}
    for o in outcomes():
        for key, value in (o.verdict.facts if o.verdict else {}).items():
            if key not in FIGURE_KEYS:
                out.setdefault(key, []).append((o, value))
    return out


def test_every_fact_a_verdict_records_is_declared_by_its_kind() -> None:
    undeclared = {(type(o.rule.condition).__name__, key) for key, seen in produced().items()
                  for o, _ in seen
                  if key not in type(o.rule.condition).facts and key not in FIGURE_EXTRAS}
    assert undeclared == set()


def test_every_declared_fact_is_recorded_by_some_case() -> None:
    assert set(FACT_SPECS) - set(produced()) == set()


def test_kinds_that_record_the_same_fact_declare_it_alike() -> None:
    seen: dict[str, tuple[str, FactSpec]] = {k: ("figure", s) for k, s in FIGURE_EXTRAS.items()}
    clashes = []
    for name, kind in KINDS.items():
        for key, spec in kind.condition.facts.items():
            first = seen.setdefault(key, (name, spec))
            if first[1] != spec:  # role, unit and label alike
                clashes.append(f"{key}: {first[0]} {first[1]} vs {name} {spec}")
    assert clashes == []
    assert {k: s for k, (_, s) in seen.items()} == FACT_SPECS


def test_facts_are_not_the_figures_own_and_have_known_units_and_labels() -> None:
    assert set(FACT_SPECS) & FIGURE_KEYS == set()
    assert {k: s.unit for k, s in FACT_SPECS.items() if s.unit not in UNITS | {None}} == {}
    assert [k for k, s in FACT_SPECS.items() if not s.label or s.label != s.label.strip()] == []


def test_each_role_shows_every_recorded_fact_as_the_message_fact_lists_did() -> None:
    differ = []
    for key, seen in sorted(produced().items()):
        if key in PREVIOUS_SHOWN_ELSEWHERE or key in ("low", "high") or key in RECLASSIFIED:
            continue  # shown with the figure or as its limits, not as a fact row
        spec = FACT_SPECS[key]
        for _, value in seen:
            for exact in (True, False):
                before, now = previously_shown(key, value, exact), shown_by_role(spec, value,
                                                                                  exact)
                if before != now:
                    differ.append(f"{key}={value!r} exact={exact}: {before!r} → {now!r}")
    assert differ == []


def test_the_previous_lists_give_each_fact_its_role() -> None:
    roles: Mapping[str, str] = {k: s.role for k, s in FACT_SPECS.items()}
    assert {k for k in PREVIOUS_SAFE_NUMBERS if roles.get(k) != "statistic"} == set()
    assert {k for k in PREVIOUS_PARAMETERS & set(roles) - set(RECLASSIFIED)
            if roles[k] != "parameter"} == set()
    assert {k: roles[k] for k in RECLASSIFIED} == RECLASSIFIED
    numeric = {k for k, seen in produced().items() for _, v in seen if _number(v) is not None}
    others = numeric - PREVIOUS_PARAMETERS - PREVIOUS_SAFE_NUMBERS - FIGURE_KEYS
    assert {k for k in others if roles[k] != "derived"} == set()
