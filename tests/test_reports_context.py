"""The report context contract: what the board and well-led reports are built from.

The demo store (six synthetic trusts, plus the real Staff Survey 2024 when it is beside the
project) is built once and evaluated at 1 June 2025, as ``assurance demo`` would.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from assurance import api
from assurance.config import DEFAULT_LEVELS, AudienceSettings, Settings
from assurance.db import session
from assurance.engine.evaluate import evaluate
from assurance.problems import ProblemsError
from assurance.report_context import (
    SUGGESTED_NOTE,
    BoardContext,
    board_context,
    load_inputs,
    well_led_context,
)
from assurance.report_context.wellled import CATEGORIES
from conftest import NSS_FILE

AS_OF = date(2025, 6, 1)
AT = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(demo_store: tuple[Engine, Settings]) -> tuple[Engine, Settings]:
    assert api.DEMO_AS_OF == AS_OF  # the demo store was evaluated as of this date
    return demo_store


@pytest.fixture(scope="module")
def syn01(demo: tuple[Engine, Settings]) -> BoardContext:
    engine, settings = demo
    return board_context(engine, settings, org_code="SYN01", as_of=AS_OF)


def test_every_enabled_rule_appears_once_in_reading_order(demo: tuple[Engine, Settings],
                                                          syn01: BoardContext) -> None:
    _, settings = demo
    rules = [r for p in api.load_rules(settings) for r in p.rules if r.enabled]
    ids = [o.rule_id for o in syn01.outcomes]
    # Once each, but a division-scoped rule once per division with figures.
    assert sorted(set(ids)) == sorted(r.id for r in rules)
    for r in rules:
        assert ids.count(r.id) == 1 or (r.scope == "division" and all(
            o.division for o in syn01.outcomes if o.rule_id == r.id)), r.id
    packs = list(dict.fromkeys(o.pack for o in syn01.outcomes))
    assert packs[:2] == ["wres", "wdes"] and packs[-1] == "data-quality"


def test_wres2_outcome_carries_figure_interval_counts_trend_and_source(
        syn01: BoardContext) -> None:
    o = next(o for o in syn01.outcomes if o.rule_id == "wres.2.adverse")
    assert o.status == "breach" and o.status_label == "Breach"
    assert o.figure is not None
    assert o.figure.headline.startswith("1.67 (95% CI 1.52 to 1.84)")
    assert "White 868/2,396" in o.figure.counts_text and "BME 445/2,054" in o.figure.counts_text
    assert o.band is not None and (o.band.low, o.band.high) == (0.80, 1.25)
    assert [p.label for p in o.series][-2:] == ["2024", "2025"]
    # issue 11: a 0.02 fall on these counts could be chance (p = 0.88), so no trend word
    assert o.trend_text.startswith("No significant change: 1.69 (2024) to 1.67 (2025)")
    assert o.movement is not None and o.movement.direction == "no_significant_change"
    assert o.classification == "alert" and "open at Regulator level" in o.alert_reasons
    assert o.rule_text.startswith("WRES 2: breach when the figure is above 1.25")
    assert o.source is not None and o.source.filename == "metrics.csv"
    assert len(o.source.sha256) == 64 and o.source.period == "wres:2025"
    assert o.finding is not None and o.finding.open
    assert o.finding.level_label == "Regulator" and o.finding.consecutive_periods >= 5


def test_board_level_new_or_escalated_breaches_alert_lower_ones_advise_resolved_ones_assure(
        demo: tuple[Engine, Settings], syn01: BoardContext) -> None:
    engine, settings = demo
    by_id = {o.rule_id: o for o in syn01.outcomes}
    # Continuing since 2021 but at regulator level with no owner: an Alert (issue 11).
    wres2 = by_id["wres.2.adverse"]
    assert wres2.classification == "alert"
    assert wres2.finding.events_at_as_of == ("continuing",)  # type: ignore[union-attr]
    assert wres2.alert_reasons == ("open at Regulator level", "no owner after 10 working days")
    item = next(i for i in syn01.summary.alert if i.rule_ids == ("wres.2.adverse",))
    assert "In breach since 2021" in item.text and "Owner: none assigned" in item.text
    assert by_id["wdes.2.adverse"].classification == "assure"
    # 1.89 with an interval overlapping 1.25: outside the range, not significant; never met.
    wres3 = by_id["wres.3.adverse"]
    assert (wres3.status, wres3.status_label) == ("outside", "Outside range, not significant")
    assert wres3.classification == "advise"
    assert by_id["survey.engagement.peers"].classification == "advise"  # no data
    assert any("No data for" in i.heading for i in syn01.summary.advise)
    syn02 = board_context(engine, settings, org_code="SYN02", as_of=AS_OF)
    opened = next(o for o in syn02.outcomes if o.rule_id == "wdes.3.adverse")
    assert opened.classification == "alert" and opened.finding is not None
    assert opened.finding.events_at_as_of == ("opened",)
    alert_ids = {r for item in syn02.summary.alert for r in item.rule_ids}
    assert alert_ids == {o.rule_id for o in syn02.outcomes if o.classification == "alert"}
    syn03 = board_context(engine, settings, org_code="SYN03", as_of=AS_OF)
    resolved = next(o for o in syn03.outcomes if o.rule_id == "wdes.4a.managers-gap")
    assert resolved.status == "ok" and resolved.classification == "assure"
    assert any(i.text.startswith("Resolved") and "wdes.4a.managers-gap" in i.rule_ids
               for i in syn03.summary.assure)


def test_context_for_one_organisation_evaluates_exactly_as_the_full_store(
        demo: tuple[Engine, Settings]) -> None:
    engine, settings = demo
    packs = api.load_rules(settings)
    with session(engine) as s:
        full = {(o.rule.id, o.org.code): (o.status, o.summary)
                for o in evaluate(s, packs, AS_OF, settings.statistics)}
    for code in ("SYN01", "SYN05"):
        inputs = load_inputs(engine, settings, as_of=AS_OF, org_codes=[code], packs=packs)
        with session(engine) as s:
            mine = {(o.rule.id, code): (o.status, o.summary) for o in inputs.outcomes(s, code)}
        assert mine == {k: v for k, v in full.items() if k[1] == code}


def test_provenance_names_the_files_and_the_latest_import(syn01: BoardContext) -> None:
    assert {i.filename for i in syn01.imports} == {
        "metrics.csv", "career-recruitment.csv", "career-cases.csv", "career-development.csv",
        "career-appraisal.csv", "pay-extract.csv"}
    assert syn01.data_as_at == max(i.imported_at for i in syn01.imports)
    # The shipped SPC rule on monthly appointments adds the latest month (issue 11).
    assert syn01.period_label == ("NHS Staff Survey 2024; monthly series to March 2025; "
                                  "WRES/WDES 2025 "
                                  "(snapshot 31 March 2025)")
    assert syn01.organisation.synthetic and any("synthetic" in c for c in syn01.caveats)


def test_declaration_rates_spc_and_definitions_are_in_the_context(syn01: BoardContext) -> None:
    assert [d.metric for d in syn01.declarations] == ["wres.declaration", "wdes.declaration"]
    assert syn01.declarations[0].rate_text.endswith("%")
    (spc,) = syn01.spc
    assert spc.metric == "recruit.bme_appointed_share" and len(spc.points) == 36
    assert spc.limits_available and spc.variation_label and spc.assurance_label
    assert {d.metric for d in syn01.definitions} >= {"wres.2", "wdes.9b"}
    assert syn01.peers == () and "no organisation-level" in syn01.peer_note


@pytest.mark.skipif(not NSS_FILE.is_file(), reason="real Staff Survey 2024 file not present")
def test_a_real_trust_is_compared_with_its_benchmarking_group(
        demo: tuple[Engine, Settings]) -> None:
    engine, settings = demo
    ctx = board_context(engine, settings, org_code="RR8", as_of=AS_OF)
    p = next(p for p in ctx.peers if p.metric == "nss.career_progression")
    assert p.group.startswith("Acute") and p.peers > 50
    assert p.q1 <= p.median <= p.q3 and p.low <= p.value <= p.high
    assert p.position and p.better == "higher"


def test_counts_are_suppressed_when_the_board_may_not_see_exact_counts(
        demo: tuple[Engine, Settings]) -> None:
    engine, settings = demo
    audiences = dict(settings.audiences)
    audiences["board"] = AudienceSettings("board", exact_counts=False)
    restricted = dataclasses.replace(settings, audiences=audiences)
    ctx = board_context(engine, restricted, org_code="SYN01", as_of=AS_OF)
    board = next(o for o in ctx.outcomes if o.rule_id == "wres.9.board-gap")
    assert board.figure is not None and board.figure.suppressed
    assert board.figure.value is None and board.figure.value_text == "*"
    assert "1/12" not in board.summary and "1/12" not in board.figure.headline
    wres2 = next(o for o in ctx.outcomes if o.rule_id == "wres.2.adverse")
    assert wres2.figure is not None and "White 870/2,395" in wres2.figure.counts_text
    assert not ctx.exact_counts and any("suppressed" in c for c in ctx.caveats)


def test_a_period_with_no_data_gives_a_context_that_says_so(
        demo: tuple[Engine, Settings]) -> None:
    engine, settings = demo
    ctx = board_context(engine, settings, org_code="SYN01", as_of=date(2010, 1, 1))
    assert not ctx.has_data and "holds no figures" in ctx.no_data_reason
    assert all(o.status == "no_data" for o in ctx.outcomes)


def test_an_unknown_organisation_is_a_clear_error(demo: tuple[Engine, Settings]) -> None:
    engine, settings = demo
    with pytest.raises(ProblemsError, match="unknown organisation 'SYN0X'.*did you mean"):
        board_context(engine, settings, org_code="SYN0X", as_of=AS_OF)


def test_well_led_evidence_is_mapped_categorised_sourced_and_scored(
        demo: tuple[Engine, Settings], syn01: BoardContext) -> None:
    engine, settings = demo
    ctx = well_led_context(engine, settings, org_code="SYN01", as_of=AS_OF, board=syn01)
    assert [s.id for s in ctx.statements][:2] == ["well-led.1", "well-led.2"]
    edi = next(s for s in ctx.statements if s.id == "well-led.4")
    assert edi.verbatim and edi.items and set(edi.categories) <= set(CATEGORIES)
    kinds = {(i.rule_id, i.category) for i in edi.items if i.kind != "action"}
    assert ("wres.2.adverse", "outcomes") in kinds
    assert ("wres.7.gap", "feedback from staff and leaders") in kinds
    voices = next(i for i in edi.items if i.rule_id == "wdes.9b.voices")
    assert voices.kind == "narrative" and "Disability staff network" in voices.narrative
    assert voices.category == "processes"
    assert any(i.kind == "action" and "No action owner" in i.progress_text for i in edi.items)
    assert all(i.source is not None and len(i.source.sha256) == 64 for i in edi.items
               if i.status in ("breach", "ok") and i.kind != "action")
    assert edi.score in (1, 2, 3, 4) and edi.score_reasons and "(suggested)" in edi.score_label
    empty = next(s for s in ctx.statements if s.id == "well-led.6")
    assert empty.items == () and empty.score is None
    assert empty.gaps[0].startswith("No evidence for")
    assert ctx.suggested_note == SUGGESTED_NOTE and "not a CQC rating" in ctx.key_question_label


def test_the_context_is_deterministic(demo: tuple[Engine, Settings],
                                      syn01: BoardContext) -> None:
    engine, settings = demo
    again = board_context(engine, settings, org_code="SYN01", as_of=AS_OF)
    assert again == syn01


def test_templates_receive_only_documented_frozen_dataclasses(syn01: BoardContext) -> None:
    def walk(value: object, path: str) -> None:
        if dataclasses.is_dataclass(value):
            params = type(value).__dataclass_params__
            assert params.frozen, path
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name), f"{path}.{f.name}")
        elif isinstance(value, (list, dict, set)):
            raise AssertionError(f"{path} is a mutable {type(value).__name__}")
        elif isinstance(value, tuple):
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")
        else:
            assert isinstance(value, (str, int, float, bool, date, datetime, type(None))), path

    walk(syn01, "ctx")
    assert Path(__file__).name  # the walk itself is the assertion


def test_a_trajectory_rule_gives_its_line_for_the_chart(syn01: BoardContext) -> None:
    from reports.charts import trend_chart

    o = next(o for o in syn01.outcomes if o.rule_id == "wres.1.senior-trajectory")
    assert len(o.expected) == len(o.series) and o.expected_label.endswith("by 2028")
    shown = [(p, e) for p, e in zip(o.series, o.expected, strict=True) if e is not None]
    first, last = shown[0], shown[-1]
    assert first[0].value is not None and abs(first[1] - first[0].value) < 1e-9  # from baseline
    assert o.figure is not None and o.figure.value is not None
    assert last[1] > o.figure.value  # SYN01 is behind its line
    chart = trend_chart(o, syn01.organisation.name)
    assert chart is not None and f"Dotted line: {o.expected_label}" in chart.alt


def test_an_open_board_level_finding_is_an_alert_whatever_this_periods_status(
        syn01: BoardContext) -> None:
    # Review finding: an open finding at regulator level left Alert when its figure was
    # outside the range but not significant, recovering, or had no data this period.
    from assurance.report_context.board import alert_reasons

    wres2 = next(o for o in syn01.outcomes if o.rule_id == "wres.2.adverse")
    for status in ("outside", "ok", "no_data", "not_calculable"):
        o = dataclasses.replace(wres2, status=status)
        assert "open at Regulator level" in alert_reasons(o, AS_OF, DEFAULT_LEVELS, 10), status
    assert alert_reasons(dataclasses.replace(wres2, finding=None, status="outside"), AS_OF,
                         DEFAULT_LEVELS, 10) == ()


def test_a_trend_chart_keeps_a_share_above_zero_and_labels_a_long_series_at_its_ends(
        syn01: BoardContext) -> None:
    # Review finding: a WRES 1 share near zero drew an axis down to -10%, and a monthly
    # series printed 36 labels over each other.
    import re

    from reports.charts import LABEL_EVERY_UP_TO, trend_chart

    o = next(o for o in syn01.outcomes if o.rule_id == "wres.1.senior-trajectory")
    low = [dataclasses.replace(p, value=0.5, ci_low=0.0, ci_high=9.0) for p in o.series]
    chart = trend_chart(dataclasses.replace(o, series=tuple(low)), syn01.organisation.name)
    assert chart is not None
    axis_min = re.search(rb'<c:valAx>.*?<c:min val="([-0-9.]+)"/>', chart.part, re.S)
    assert axis_min is not None and float(axis_min.group(1)) == 0.0
    n = LABEL_EVERY_UP_TO * 3
    months = tuple(dataclasses.replace(o.series[0], period=f"p{i:02d}", label=f"m{i}",
                                       value=10.0 + i % 5) for i in range(n))
    chart = trend_chart(dataclasses.replace(o, series=months, expected=(None,) * n),
                        syn01.organisation.name)
    assert chart is not None
    assert len(re.findall(rb"<c:dLbl>", chart.part)) == 2
    assert all(f"m{i} " in chart.alt for i in range(n))  # the words keep every value
