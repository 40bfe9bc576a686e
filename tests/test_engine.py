"""Evaluation: outcomes with their figures, not-calculable and no-data kept distinct, a
raising rule reported as an error without stopping the others, and set-based queries."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from assurance.config import StatisticsSettings
from assurance.engine.conditions.base import Condition
from assurance.engine.evaluate import evaluate
from assurance.engine.rules import load_packs
from helpers import METRIC_HEADER, import_metrics, register_orgs, write_csv

PACK = """
version: 1
pack: t
rules:
  - id: t.wres2
    title: RL
    metric: wres.2
    when: {outside_range: {significant: true}}
  - id: t.wres3
    title: RL3
    metric: wres.3
    when: {outside_range: {}}
  - id: t.board
    title: board
    metric: wdes.10
    when: {equals: {value: 0, breakdown: board_voting}}
"""


def _setup(engine: Engine, tmp_path: Path, rows: list[tuple[object, ...]]):  # type: ignore[no-untyped-def]
    register_orgs(engine, tmp_path, "SYT01", "SYT02", "SYT03")
    import_metrics(engine, write_csv(tmp_path / "m.csv", METRIC_HEADER, rows))
    (tmp_path / "t.yaml").write_text(PACK)
    return load_packs([tmp_path / "t.yaml"])


ROWS = [
    ("SYT01", "wres:2025", "wres.2", "white", "", 300, 1000, "", ""),
    ("SYT01", "wres:2025", "wres.2", "bme", "", 150, 800, "", ""),
    ("SYT02", "wres:2025", "wres.2", "white", "", 30, 100, "", ""),
    ("SYT02", "wres:2025", "wres.2", "bme", "", 0, 80, "", ""),
    ("SYT03", "wres:2024", "wres.2", "white", "", 30, 100, "", ""),
    ("SYT03", "wres:2024", "wres.2", "bme", "", 20, 80, "", ""),
    ("SYT01", "wres:2025", "wres.3", "bme", "", 10, 500, "", ""),
    ("SYT01", "wres:2025", "wres.3", "white", "", 10, 1000, "", ""),
    ("SYT01", "wres:2025", "wdes.10", "disabled", "board_voting", 0, 12, "", ""),
    ("SYT01", "wres:2025", "wdes.10", "non_disabled", "board_voting", 11, 12, "", ""),
    ("SYT01", "wres:2025", "wdes.10", "disabled", "workforce", 200, 4000, "", ""),
]


def test_outcomes_carry_figures_and_keep_not_calculable_and_no_data_distinct(
        engine: Engine, tmp_path: Path) -> None:
    packs = _setup(engine, tmp_path, ROWS)
    with Session(engine) as s:
        out = {(o.rule.id, o.org.code): o for o in evaluate(s, packs, date(2025, 6, 1),
                                                             StatisticsSettings())}
    breach = out[("t.wres2", "SYT01")]
    assert breach.status == "breach" and breach.verdict is not None
    assert breach.verdict.facts["focus"]["numerator"] == 300
    assert breach.verdict.facts["ci"][0] > 1.25
    nc = out[("t.wres2", "SYT02")]
    assert nc.status == "not_calculable" and "no BME" in nc.summary
    assert out[("t.wres2", "SYT03")].status == "no_data"  # no 2025 figures at all
    assert out[("t.board", "SYT01")].status == "breach"


def test_a_rule_that_raises_becomes_an_error_outcome_and_the_others_still_run(
        engine: Engine, tmp_path: Path) -> None:
    packs = _setup(engine, tmp_path, ROWS)

    class Boom(Condition):
        kind = "boom"

        def evaluate(self, ctx):  # type: ignore[no-untyped-def]
            raise RuntimeError("division by zero in a custom rule")

        def describe(self) -> str:
            return "boom"

    object.__setattr__(packs[0].rules[1], "condition", Boom())
    with Session(engine) as s:
        out = evaluate(s, packs, date(2025, 6, 1), StatisticsSettings())
    statuses = {(o.rule.id, o.org.code): o.status for o in out}
    assert statuses[("t.wres3", "SYT01")] == "error"
    assert statuses[("t.wres2", "SYT01")] == "breach"
    assert statuses[("t.board", "SYT01")] == "breach"
    err = next(o for o in out if o.status == "error")
    assert "RuntimeError: division by zero in a custom rule" in err.summary


def test_evaluation_reads_each_metric_with_one_query_whatever_the_number_of_organisations(
        engine: Engine, tmp_path: Path) -> None:
    packs = _setup(engine, tmp_path, ROWS)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if "FROM observation" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with Session(engine) as s:
            evaluate(s, packs, date(2025, 6, 1), StatisticsSettings())
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 3  # wres.2, wres.3, wdes.10


def test_wdes3_two_year_rolling_average_pools_counts_when_configured(
        engine: Engine, tmp_path: Path) -> None:
    rows = [("SYT01", "wres:2024", "wdes.3", "disabled", "", 2, 100, "", ""),
            ("SYT01", "wres:2024", "wdes.3", "non_disabled", "", 10, 1000, "", ""),
            ("SYT01", "wres:2025", "wdes.3", "disabled", "", 4, 100, "", ""),
            ("SYT01", "wres:2025", "wdes.3", "non_disabled", "", 10, 1000, "", "")]
    _setup(engine, tmp_path, rows)
    (tmp_path / "w.yaml").write_text("version: 1\npack: w\nrules:\n  - id: w.three\n"
                                     "    title: t\n    metric: wdes.3\n"
                                     "    when: {outside_range: {}}\n")
    packs = load_packs([tmp_path / "w.yaml"])
    with Session(engine) as s:
        one = evaluate(s, packs, date(2025, 6, 1), StatisticsSettings())
        two = evaluate(s, packs, date(2025, 6, 1), StatisticsSettings(wdes3_rolling_years=2))
    assert one[0].verdict and one[0].verdict.figure and one[0].verdict.figure.value == 4.0
    # (2+4)/(100+100) ÷ (10+10)/(1000+1000) = 0.03 / 0.01 = 3.0
    assert two[0].verdict and two[0].verdict.figure
    assert two[0].verdict.figure.value == pytest.approx(3.0)


MISSING_PACK = """
version: 1
pack: dq
rules:
  - id: dq.missing
    title: WRES return missing
    metric: wres.2
    when: {data_quality: {missing_return: true}}
  - id: dq.stale-or-missing
    title: stale or missing
    metric: wres.2
    when: {any: [{data_quality: {stale_after_days: 430}}, {data_quality: {missing_return: true}}]}
  - id: t.wres2
    title: RL
    metric: wres.2
    when: {outside_range: {}}
"""


def test_an_accountable_organisation_that_never_submitted_is_flagged_missing(
        engine: Engine, tmp_path: Path) -> None:
    register_orgs(engine, tmp_path, "SYT01", "SYT02", "SYT04")  # SYT04 never submits anything
    import_metrics(engine, write_csv(tmp_path / "m.csv", METRIC_HEADER, ROWS[:4]))
    (tmp_path / "dq.yaml").write_text(MISSING_PACK)
    packs = load_packs([tmp_path / "dq.yaml"])
    with Session(engine) as s:
        plain = {(o.rule.id, o.org.code) for o in evaluate(s, packs, date(2025, 6, 1),
                                                            StatisticsSettings())}
        held = {(o.rule.id, o.org.code): o for o in evaluate(
            s, packs, date(2025, 6, 1), StatisticsSettings(), accountable=["SYT04", "SYT01"])}
    assert not any(code == "SYT04" for _, code in plain)  # a peer in the register: not judged
    assert held[("dq.missing", "SYT04")].status == "breach"
    assert held[("dq.missing", "SYT04")].summary == (
        "No WRES 2 return for 2025, although the period has been reported.")
    assert held[("dq.stale-or-missing", "SYT04")].status == "breach"
    assert held[("dq.missing", "SYT01")].status == "ok"
    assert ("t.wres2", "SYT04") not in held  # only rules about absence judge a silent trust


def test_accountable_codes_must_be_registered_before_evaluation(
        tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from assurance import api
    from assurance.config import parse_settings
    from assurance.problems import ProblemsError

    settings = parse_settings({"database": {"url": f"sqlite:///{tmp_path / 's.db'}"},
                               "organisations": {"accountable": ["SYT01", "RNOPE"]}},
                              base_dir=tmp_path, where="<t>", env={})
    engine = api.connect(settings)
    register_orgs(engine, tmp_path, "SYT01")
    with pytest.raises(ProblemsError) as exc:
        api.evaluate_and_record(engine, settings, as_of=date(2025, 6, 1),
                                at=datetime(2025, 6, 1, tzinfo=UTC), actor="t")
    assert "organisations.accountable: not in the organisation register: RNOPE" in str(exc.value)
    engine.dispose()
