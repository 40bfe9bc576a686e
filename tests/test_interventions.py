"""The interventions register and its evaluation: an intervention names its target indicator,
division, start date and owner; every change is audited; each is judged before and after the
start by SPC (a sustained shift against the pre-intervention centre line) or, when the series
is too short, by a difference in differences against peers, as "effect", "no measurable
effect yet" or "too early", with the method and the numbers shown.

Known answers are computed here from the constructed counts, independently of the code."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

import assurance.cli.interventions  # noqa: F401  (registers the commands)
from assurance import audit, interventions, spc
from assurance.catalogue import load_catalogue
from assurance.config import StatisticsSettings, load_settings
from assurance.interventions import Series
from assurance.models import AuditEvent, Intervention
from assurance.problems import ProblemsError
from conftest import AT
from helpers import METRIC_HEADER, import_metrics, register_orgs, run_cli, sqlite_config, write_csv

ORGS = ("SYT01", "SYT02", "SYT03", "SYT04", "SYT05")
MONTHLY = "recruit.bme_appointed_share"
# Month-to-month wobble (percentage points) around a level: deterministic, mean zero.
WOBBLE = (1, -2, 2, 0, -1, 1, -2, 2, 1, -1, 0, -1, 2, -2, 1, 0, -1, 2, -1, 1)
APPOINTED = 100  # appointees with a recorded ethnicity each month


def months(first: str, n: int) -> list[str]:
    y, m = (int(x) for x in first.split("-"))
    out = []
    for _ in range(n):
        out.append(f"month:{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def monthly_rows(org: str, breakdown: str, levels: list[int]) -> list[tuple[object, ...]]:
    """BME appointees out of 100 each month: the level plus the wobble."""
    keys = months("2023-01", len(levels))
    return [(org, k, MONTHLY, "bme", breakdown, level + WOBBLE[i % len(WOBBLE)], APPOINTED,
             "", "") for i, (k, level) in enumerate(zip(keys, levels, strict=True))]


def rl2_rows(org: str, breakdown: str, year: int, white_rate: float
             ) -> list[tuple[object, ...]]:
    """WRES 2 counts: 200 shortlisted in each group, BME appointed at 20 %, White at
    ``white_rate`` (so the relative likelihood is white_rate / 0.20)."""
    return [(org, f"wres:{year}", "wres.2", "white", breakdown, round(200 * white_rate), 200,
             "", ""),
            (org, f"wres:{year}", "wres.2", "bme", breakdown, 40, 200, "", "")]


def rl(white_rate: float) -> float:
    return (round(200 * white_rate) / 200) / (40 / 200)


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> Engine:
    register_orgs(engine, tmp_path, *ORGS)
    rows: list[tuple[object, ...]] = []
    # Surgery at SYT01: 20 % for 15 months, then 30 % for 8 months (improves after the start,
    # 2024-04-01). Medicine at SYT01: flat at 20 % throughout.
    rows += monthly_rows("SYT01", "division:surgery", [20] * 15 + [30] * 8)
    rows += monthly_rows("SYT01", "division:medicine", [20] * 23)
    rows += monthly_rows("SYT01", "", [22] * 23)
    import_metrics(engine, write_csv(tmp_path / "monthly.csv", METRIC_HEADER, rows))
    return engine


def add(engine: Engine, **kw: object) -> Intervention:
    args: dict[str, object] = dict(org="SYT01", title="Diverse panels for every Surgery "
                                   "appointment", metric=MONTHLY, start=date(2024, 4, 1),
                                   owner="Divisional Director, Surgery", division="surgery",
                                   actor="test", at=AT)
    args.update(kw)
    with Session(engine) as s, s.begin():
        iv = interventions.add(s, **args)  # type: ignore[arg-type]
        s.expunge(iv)
    return iv


def evaluate(engine: Engine, as_of: date, stats: StatisticsSettings | None = None
             ) -> list[interventions.InterventionVerdict]:
    with Session(engine) as s:
        return interventions.evaluate_all(s, stats or StatisticsSettings(), as_of)


def audit_events(engine: Engine) -> list[AuditEvent]:
    with Session(engine) as s:
        return list(s.exec(select(AuditEvent).where(
            col(AuditEvent.action).startswith("intervention.")).order_by(col(AuditEvent.seq))))


# ----------------------------------------------------------------------------- the register

def test_adding_and_withdrawing_an_intervention_is_audited_and_keeps_the_row(
        store: Engine) -> None:
    iv = add(store, division="Surgery", owner="  Divisional Director,   Surgery ")
    assert (iv.org_code, iv.division, iv.owner, iv.metric_id) == (
        "SYT01", "surgery", "Divisional Director, Surgery", MONTHLY)
    with Session(store) as s, s.begin():
        interventions.withdraw(s, iv.id or 0, on=date(2024, 9, 1), reason="panel scheme "
                               "replaced", actor="test", at=AT)
    events = audit_events(store)
    assert [e.action for e in events] == ["intervention.add", "intervention.withdraw"]
    assert {e.subject for e in events} == {f"intervention:{iv.id}"}
    added = json.loads(events[0].details)
    assert (added["metric"], added["division"], added["start_date"]) == (
        MONTHLY, "surgery", "2024-04-01")
    with Session(store) as s:
        assert audit.verify(s).ok
        (row,) = s.exec(select(Intervention)).all()
        assert row.withdrawn_on == date(2024, 9, 1)
        with pytest.raises(ProblemsError, match="already withdrawn on 2024-09-01"):
            interventions.withdraw(s, iv.id or 0, on=date(2024, 10, 1), reason="again",
                                   actor="t", at=AT)
    # A withdrawn intervention is not judged after it was withdrawn.
    assert evaluate(store, date(2024, 8, 31)) != []
    assert evaluate(store, date(2024, 9, 1)) == []


def test_bad_input_is_refused_with_every_problem_located_and_nothing_stored(
        store: Engine) -> None:
    with pytest.raises(ProblemsError) as exc:
        add(store, org="syt-01", title=" ", metric="wres.22", start="1 April 2024",
            owner="", division="!!", peers="SYT02")
    assert [str(p) for p in exc.value.problems] == [
        "--org: error: unknown organisation 'SYT-01' (did you mean 'SYT01'?); register it "
        "first (assurance orgs import)",
        "title: error: found 0 characters; expected what was done in 1 to 200 characters",
        "--metric: error: unknown metric 'wres.22' (did you mean 'wres.2'?); expected a "
        "catalogue metric id such as wres.2 (assurance figures --help lists them)",
        "--start: error: found '1 April 2024'; expected a date like 2024-04-01",
        "--owner: error: expected the accountable role in 1 to 120 characters, e.g. "
        "'Divisional Director, Surgery'",
        "--division: error: found '!!'; expected a division code such as surgery (letters "
        "and digits, at most 55)",
        "--peers: error: found 1 peer; expected at least 3 for a difference in "
        "differences"]
    with pytest.raises(ProblemsError) as exc:
        add(store, metric="paygap.gender.headcount", peers="SYT01,SYT02,SYT09")
    assert [str(p) for p in exc.value.problems] == [
        "--metric: error: paygap.gender.headcount has no direction of improvement (neutral); "
        "expected a metric that can improve, so an effect can be judged",
        "--peers: error: SYT01 is the organisation itself; expected other organisations to "
        "compare with",
        "--peers: error: unknown organisation 'SYT09' (did you mean 'SYT05'?); register it "
        "first (assurance orgs import)"]
    with pytest.raises(ProblemsError, match="wdes.9b is a narrative"):
        add(store, metric="wdes.9b")
    with Session(store) as s:
        assert s.exec(select(Intervention)).all() == []
    assert audit_events(store) == []


# ----------------------------------------------------------------------------- SPC verdicts

def test_a_division_whose_figures_improve_after_the_start_shows_an_effect_by_spc(
        store: Engine) -> None:
    add(store)
    (v,) = evaluate(store, date(2024, 12, 1))  # 8 months after the start (Apr–Nov 2024)
    assert (v.verdict, v.method, v.division, v.division_name) == (
        "effect", "spc", "surgery", "Surgery")  # not in the register: named from its code
    pre = [20 + WOBBLE[i] for i in range(15)]  # Jan 2023 – Mar 2024
    post = [30 + WOBBLE[i % len(WOBBLE)] for i in range(15, 23)]
    assert (v.pre_points, v.post_points) == (len(pre), len(post)) == (15, 8)
    assert v.numbers["centre"] == pytest.approx(sum(pre) / len(pre))
    mean_mr = sum(abs(b - a) for a, b in zip(pre, pre[1:], strict=False)) / (len(pre) - 1)
    assert v.numbers["upl"] == pytest.approx(sum(pre) / len(pre) + 2.66 * mean_mr)
    assert v.numbers["improving_run"] == 8 and v.numbers["run_length"] == 6  # MDC default
    assert "Making Data Count" in v.method_text and "run of 6" in v.method_text
    assert "Sustained shift in the improving direction" in v.summary


def test_flat_figures_after_the_start_show_no_measurable_effect_yet(store: Engine) -> None:
    add(store, division="medicine", title="Reverse mentoring in Medicine")
    (v,) = evaluate(store, date(2024, 12, 1))
    assert (v.verdict, v.method) == ("no measurable effect yet", "spc")
    centre = sum(20 + WOBBLE[i] for i in range(15)) / 15
    longest = run = 0
    for i in range(15, 23):  # Apr–Nov 2024, judged against the pre-intervention centre line
        run = run + 1 if 20 + WOBBLE[i % len(WOBBLE)] > centre else 0
        longest = max(longest, run)
    assert v.numbers["centre"] == pytest.approx(centre)
    assert v.numbers["improving_run"] == longest == 2
    assert "longest run above the centre line since the start: 2 of 6 needed" in v.summary


def test_a_recent_intervention_is_too_early_to_judge(store: Engine) -> None:
    add(store, start=date(2024, 9, 1))
    (v,) = evaluate(store, date(2024, 12, 1))  # Sep, Oct, Nov: 3 of the 6 points needed
    assert (v.verdict, v.post_points) == ("too early", 3)
    assert "at least 6 are needed" in v.summary
    (planned,) = evaluate(store, date(2024, 8, 1))
    assert planned.verdict == "too early"


def test_the_run_length_follows_the_configured_spc_method(store: Engine) -> None:
    add(store, start=date(2024, 6, 1))  # Jun–Nov 2024: six points at the higher level
    (mdc,) = evaluate(store, date(2024, 12, 1))
    (nhsr,) = evaluate(store, date(2024, 12, 1), StatisticsSettings(spc_method="nhsr"))
    assert (mdc.verdict, mdc.numbers["run_length"]) == ("effect", 6)
    assert (nhsr.verdict, nhsr.numbers["run_length"]) == ("too early", 7)


def test_a_run_that_began_before_the_start_is_not_the_interventions(
        store: Engine) -> None:
    """Judged on constructed series directly: 13 flat points, the last 3 before the start
    already high, then 4 high points after it: a run of 7 overall, but only 4 after."""
    pre = [10.0, 12, 11, 10, 12, 11, 10, 12, 11, 10, 13, 13, 13]
    post = [13.0, 13, 13, 13]
    r = interventions.spc_shift(pre, post, "increase",
                                spc.SpcSettings.for_method("mdc"))
    assert r.centre == pytest.approx(sum(pre) / 13) and r.improving_run == 4
    assert not r.effect


# ----------------------------------------------------------------------------- difference in differences

T_975_DF3 = 3.182446305284263  # Student's t, 97.5th percentile, 3 degrees of freedom (tables)


@pytest.fixture
def annual(engine: Engine, tmp_path: Path) -> Engine:
    """WRES 2 for 2021–2025. SYT01 falls from 1.6 to near parity after its intervention
    (2023-04-01); the four peers drift a little."""
    register_orgs(engine, tmp_path, *ORGS)
    white = {"SYT01": (0.32, 0.33, 0.32, 0.24, 0.22),
             "SYT02": (0.30, 0.31, 0.30, 0.30, 0.29),
             "SYT03": (0.28, 0.28, 0.29, 0.29, 0.30),
             "SYT04": (0.34, 0.33, 0.33, 0.32, 0.33),
             "SYT05": (0.30, 0.30, 0.31, 0.31, 0.31)}
    rows = [row for org, rates in white.items() for year, rate in zip(range(2021, 2026), rates,
                                                                       strict=True)
            for row in rl2_rows(org, "", year, rate)]
    import_metrics(engine, write_csv(tmp_path / "wres2.csv", METRIC_HEADER, rows))
    return engine


def _did_by_hand(pre_post: dict[str, tuple[list[float], list[float]]], target: str
                 ) -> tuple[float, float, float]:
    def change(org: str) -> float:
        before, after = pre_post[org]
        d = [abs(math.log(rl(w))) for w in after]
        b = [abs(math.log(rl(w))) for w in before]
        return sum(d) / len(d) - sum(b) / len(b)

    peers = [change(o) for o in pre_post if o != target]
    mean = sum(peers) / len(peers)
    sd = math.sqrt(sum((p - mean) ** 2 for p in peers) / (len(peers) - 1))
    half = T_975_DF3 * sd * math.sqrt(1 + 1 / len(peers))
    est = change(target) - mean
    return est, est - half, est + half


def test_annual_figures_are_judged_by_difference_in_differences_against_peers(
        annual: Engine) -> None:
    with Session(annual) as s, s.begin():
        interventions.add(s, org="SYT01", title="De-biased shortlisting", metric="wres.2",
                          start=date(2023, 4, 1), owner="Chief People Officer", actor="test",
                          at=AT)
    (v,) = evaluate(annual, date(2025, 6, 1))
    assert (v.verdict, v.method, v.pre_points, v.post_points) == ("effect", "did", 3, 2)
    rates = {"SYT01": ([0.32, 0.33, 0.32], [0.24, 0.22]),
             "SYT02": ([0.30, 0.31, 0.30], [0.30, 0.29]),
             "SYT03": ([0.28, 0.28, 0.29], [0.29, 0.30]),
             "SYT04": ([0.34, 0.33, 0.33], [0.32, 0.33]),
             "SYT05": ([0.30, 0.30, 0.31], [0.31, 0.31])}
    est, low, high = _did_by_hand(rates, "SYT01")
    assert v.numbers["estimate"] == pytest.approx(est)
    assert (v.numbers["ci_low"], v.numbers["ci_high"]) == (pytest.approx(low),
                                                           pytest.approx(high))
    assert high < 0  # the distance from parity fell more than the peers': improvement
    assert v.numbers["comparisons"] == 4
    assert "benchmarking group" in v.method_text and "95 %" in v.summary


def test_a_peer_comparison_that_cannot_exclude_no_difference_is_no_measurable_effect_yet(
        annual: Engine) -> None:
    with Session(annual) as s, s.begin():  # SYT03 moved about as much as the others did
        interventions.add(s, org="SYT03", title="Inclusive recruitment training",
                          metric="wres.2", start=date(2023, 4, 1), owner="EDI Lead",
                          peers="SYT02,SYT04,SYT05", actor="test", at=AT)
    (v,) = evaluate(annual, date(2025, 6, 1))
    assert (v.verdict, v.method, v.numbers["comparisons"]) == (
        "no measurable effect yet", "did", 3)
    assert float(v.numbers["ci_low"] or 0) < 0 < float(v.numbers["ci_high"] or 0)
    assert "the named peers" in v.method_text


def test_comparison_units_are_read_over_the_targets_own_periods(engine: Engine,
                                                                tmp_path: Path) -> None:
    # SYT01 has 2022 and 2025 only; SYT02's 2021 and 2024 must not stand in for them (review
    # finding): only the periods the target has are compared.
    register_orgs(engine, tmp_path, *ORGS)
    years = {"SYT01": (2022, 2025), "SYT02": (2021, 2022, 2024, 2025),
             "SYT03": (2022, 2025), "SYT04": (2022, 2025), "SYT05": (2022, 2025)}
    rows = [row for org, ys in years.items() for y in ys
            for row in rl2_rows(org, "", y, {2021: 0.20, 2024: 0.40}.get(y) if org == "SYT02"
                                and y in (2021, 2024) else 0.30 if y < 2024 else 0.31)]
    import_metrics(engine, write_csv(tmp_path / "wres2.csv", METRIC_HEADER, rows))
    with Session(engine) as s, s.begin():
        interventions.add(s, org="SYT01", title="Panels", metric="wres.2",
                          start=date(2023, 4, 1), owner="EDI Lead", actor="test", at=AT)
    (v,) = evaluate(engine, date(2025, 6, 1))
    assert v.numbers["comparisons"] == 4
    # Every unit moved alike over 2022 → 2025, SYT02 included once its 2021 and 2024 are
    # left out, so the comparison units' spread is nil and no effect is claimed.
    assert v.numbers["se"] == 0 and v.verdict == "no measurable effect yet"


def test_an_annual_intervention_without_a_whole_year_since_the_start_is_too_early(
        annual: Engine) -> None:
    with Session(annual) as s, s.begin():  # wres:2025 (Apr 2024 – Mar 2025) straddles it
        interventions.add(s, org="SYT01", title="Shortlisting audit", metric="wres.2",
                          start=date(2024, 6, 1), owner="EDI Lead", actor="test", at=AT)
    (v,) = evaluate(annual, date(2025, 6, 1))
    assert (v.verdict, v.post_points, v.excluded_points) == ("too early", 0, 1)


def test_a_division_is_compared_with_its_trusts_other_divisions_when_peers_lack_it(
        engine: Engine, tmp_path: Path) -> None:
    """WRES 2 by division at SYT01 only: Surgery falls from 1.6 to 1.1 after the start; the
    other three divisions stay near 1.5, so they are the comparison (no peer has Surgery)."""
    register_orgs(engine, tmp_path, *ORGS)
    white = {"surgery": (0.32, 0.32, 0.22, 0.22), "medicine": (0.30, 0.31, 0.30, 0.31),
             "emergency": (0.29, 0.29, 0.30, 0.29), "women_children": (0.31, 0.30, 0.31, 0.30)}
    rows = [row for div, rates in white.items()
            for year, rate in zip((2022, 2023, 2024, 2025), rates, strict=True)
            for row in rl2_rows("SYT01", f"division:{div}", year, rate)]
    rows += [row for org in ORGS[1:] for year in (2022, 2023, 2024, 2025)
             for row in rl2_rows(org, "", year, 0.30)]  # peers: trust-level figures only
    import_metrics(engine, write_csv(tmp_path / "div.csv", METRIC_HEADER, rows))
    add(engine, metric="wres.2", start=date(2023, 4, 1))
    (v,) = evaluate(engine, date(2025, 6, 1))
    assert (v.verdict, v.method, v.numbers["comparisons"]) == ("effect", "did", 3)
    assert v.method_text.startswith("difference in differences against the organisation's "
                                    "other divisions (3)")

    def change(rates: tuple[float, ...]) -> float:
        d = [abs(math.log(rl(w))) for w in rates]
        return (d[2] + d[3]) / 2 - (d[0] + d[1]) / 2

    others = [change(r) for k, r in white.items() if k != "surgery"]
    mean = sum(others) / 3
    assert v.numbers["estimate"] == pytest.approx(change(white["surgery"]) - mean)
    sd = math.sqrt(sum((o - mean) ** 2 for o in others) / 2)
    t_975_df2 = 4.302652729911275  # Student's t, 97.5th percentile, 2 degrees of freedom
    assert v.numbers["ci_high"] == pytest.approx(
        change(white["surgery"]) - mean + t_975_df2 * sd * math.sqrt(1 + 1 / 3))


def test_a_period_straddling_the_start_belongs_to_neither_side() -> None:
    from assurance.engine.figures import Figure

    figs = [Figure("wres.2", "SYT01", k, "ratio", v) for k, v in (
        ("wres:2023", 2.0), ("wres:2024", 0.5), ("wres:2025", 1.0))]
    figs.append(Figure("wres.2", "SYT01", "wres:2026", "ratio", None, calculable=False))
    s = interventions.split(figs, date(2023, 6, 1), "toward_one")
    # wres:2024 runs 1 April 2023 – 31 March 2024: it straddles 1 June 2023.
    assert s.pre == (("wres:2023", pytest.approx(math.log(2.0))),)
    assert s.post == (("wres:2025", 0.0),) and s.excluded == 1
    months = [Figure(MONTHLY, "SYT01", k, "percent", 10.0)
              for k in ("month:2024-03", "month:2024-04", "month:2024-05")]
    s = interventions.split(months, date(2024, 4, 15), "increase")
    assert ([k for k, _ in s.pre], [k for k, _ in s.post], s.excluded) == (
        ["month:2024-03"], ["month:2024-05"], 1)


def test_judge_on_constructed_series_needs_enough_comparison_units() -> None:
    m = load_catalogue()["wres.2"]
    target = Series((("wres:2021", 0.4), ("wres:2022", 0.4)), (("wres:2024", 0.1),), 1)
    peers = {"A": Series((("wres:2021", 0.4),), (("wres:2024", 0.4),), 0)}
    verdict, method, _, summary, _ = interventions.judge(
        m, target, peers, "peers", StatisticsSettings(), started=True)
    assert (verdict, method) == ("no measurable effect yet", "none")
    assert "1 comparison unit has figures" in summary


def test_an_improving_run_then_a_worsening_one_is_no_effect_by_spc() -> None:
    # 13 points around 10 before the start (MDC baseline); after it, six at 11 (a run on the
    # improving side, enough alone for an effect) and then ten at 8 (a longer run the wrong way).
    m = load_catalogue()[MONTHLY]
    pre = tuple((f"month:2023-{i:02d}", 10.0 + (0.5 if i % 2 else -0.5)) for i in range(1, 13))
    pre = (("month:2022-12", 10.0), *pre)
    post = tuple((f"month:2024-{i:02d}", 11.0) for i in range(1, 7)) + tuple(
        (f"month:2024-{i:02d}", 8.0) for i in range(7, 13)) + tuple(
        (f"month:2025-{i:02d}", 8.0) for i in range(1, 5))
    verdict, method, _, summary, numbers = interventions.judge(
        m, Series(pre, post, 0), {}, "peers", StatisticsSettings(), started=True)
    assert numbers["improving_run"] == 6 and numbers["worsening_run"] == 10
    assert (verdict, method) == ("no measurable effect yet", "spc")
    assert "the shift did not hold, so no effect is claimed" in summary


def test_comparison_units_that_all_changed_alike_give_no_interval_and_no_effect() -> None:
    from assurance.stats.effects import difference_in_differences

    d = difference_in_differences([0.5, 0.5], [0.49], [([0.2], [0.2]), ([0.3], [0.3]),
                                                      ([0.4], [0.4])], "decrease")
    assert d.se == 0 and d.ci == (d.estimate, d.estimate)
    assert not d.effect and not d.concern
    m = load_catalogue()["wres.2"]
    target = Series((("wres:2021", 0.5), ("wres:2022", 0.5)), (("wres:2024", 0.49),), 1)
    peers = {c: Series((("wres:2021", v),), (("wres:2024", v),), 0)
             for c, v in (("A", 0.2), ("B", 0.3), ("C", 0.4))}
    verdict, method, _, summary, _ = interventions.judge(
        m, target, peers, "peers", StatisticsSettings(), started=True)
    assert (verdict, method) == ("no measurable effect yet", "did")
    assert "no interval to judge against" in summary


# ----------------------------------------------------------------------------- command line

def cli(config: Path, *args: str) -> tuple[int, str, str]:
    return run_cli(config, "interventions", *args)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return sqlite_config(tmp_path, *ORGS, metrics=monthly_rows(
        "SYT01", "division:surgery", [20] * 15 + [30] * 8))


def test_the_commands_add_list_evaluate_and_withdraw(config: Path) -> None:
    for args in ([], ["add"], ["list"], ["evaluate"], ["withdraw"]):
        code, stdout, _ = cli(config, *args, "--help")
        assert code == 0 and "Usage" in stdout
    code, stdout, stderr = cli(config, "add", "Diverse panels in Surgery", "--org", "syt01",
                               "--metric", MONTHLY, "--division", "Surgery", "--start",
                               "2024-04-01", "--owner", "Divisional Director, Surgery")
    assert code == 0, stderr
    assert "added intervention 1: SYT01 (surgery) recruit.bme_appointed_share from " \
           "2024-04-01" in stdout
    code, stdout, _ = cli(config, "list", "--json")
    (row,) = json.loads(stdout)
    assert (row["division"], row["owner"], row["withdrawn_on"]) == (
        "surgery", "Divisional Director, Surgery", None)
    code, stdout, _ = cli(config, "evaluate", "--as-of", "2024-12-01", "--json")
    (v,) = json.loads(stdout)
    assert (v["verdict"], v["method"], v["numbers"]["improving_run"]) == ("effect", "spc", 8)
    code, stdout, _ = cli(config, "evaluate", "--as-of", "2024-12-01", "--org", "SYT01")
    assert code == 0 and "verdict as of 2024-12-01: EFFECT" in stdout
    code, stdout, _ = cli(config, "withdraw", "1", "--reason", "scheme ended", "--on",
                          "2025-01-01")
    assert code == 0 and "withdrew intervention 1" in stdout
    code, stdout, _ = cli(config, "list", "--json")
    assert json.loads(stdout)[0]["withdrawn_on"] == "2025-01-01"


def test_bad_input_on_the_command_line_exits_2_and_stores_nothing(config: Path) -> None:
    code, _, stderr = cli(config, "add", "Panels", "--org", "SYT09", "--metric", "wres2",
                          "--start", "2024-13-01", "--owner", "EDI Lead")
    assert code == 2
    assert "--org: error: unknown organisation 'SYT09'" in stderr
    assert "--metric: error: unknown metric 'wres2' (did you mean 'wres.2'?)" in stderr
    assert "--start: error: found '2024-13-01'; expected a date like 2024-04-01" in stderr
    assert "3 problems; nothing was changed." in stderr
    code, _, stderr = cli(config, "evaluate", "--id", "7")
    assert code == 2 and "no intervention 7" in stderr
    code, _, stderr = cli(config, "evaluate", "--as-of", "soon")
    assert code == 2 and "--as-of: error: found 'soon'" in stderr
    code, _, stderr = cli(config, "withdraw", "1", "--reason", "x")
    assert code == 2 and "no intervention '1'" in stderr
    code, stdout, _ = cli(config, "list", "--json")
    assert json.loads(stdout) == []


def test_verdicts_for_the_board_report_take_the_settings_and_the_organisation(
        store: Engine) -> None:
    add(store)
    with Session(store) as s:
        (v,) = interventions.verdicts(s, load_settings(None), "SYT01", date(2024, 12, 1))
        assert v.verdict == "effect"
        assert interventions.verdicts(s, load_settings(None), "SYT02", date(2024, 12, 1)) == []


@pytest.mark.parametrize("field,value,expected", [
    ("title", "Panels\x07\x1b[31m", "found a text with a control character"),
    ("owner", "=HYPERLINK(1)", "looks like a spreadsheet formula"),
    ("owner", "Divisional Director\u202e, Surgery", "found a direction override (U+202E)"),
    ("start", "0001-01-01", "found 0001-01-01; expected a date from 1990 to 2100"),
])
def test_an_intervention_refuses_text_that_would_garble_a_document_or_an_impossible_start(
        sqlite_engine: Engine, tmp_path: Path, field: str, value: str, expected: str) -> None:
    # These were stored and reached board documents as replacement characters.
    register_orgs(sqlite_engine, tmp_path, "SYT01")
    args = {"title": "Panels", "owner": "EDI lead", "start": "2024-04-01", field: value}
    with Session(sqlite_engine) as s, pytest.raises(ProblemsError) as exc:
        interventions.add(s, org="SYT01", metric="wres.2", actor="t", at=AT, **args)
    assert any(expected in p.message for p in exc.value.problems), exc.value


def test_a_department_is_not_taken_for_a_division(sqlite_engine: Engine,
                                                  tmp_path: Path) -> None:
    # '--division theatres' (a department of Surgery) was accepted, and the refusal for an
    # unknown division listed it as one; its figures are not stored, so it could never be
    # judged.
    from assurance import divisions
    from assurance.divisions import DivisionRow

    register_orgs(sqlite_engine, tmp_path, "SYT01")
    with Session(sqlite_engine) as s:
        divisions.replace_register(s, [
            DivisionRow("SYT01", "Surgery", "division", None, "Divisional Director", 2),
            DivisionRow("SYT01", "Theatres", "department", "surgery", None, 3)],
            where="d.csv", sha256="0" * 64, actor="t", at=AT)
        s.commit()
        with pytest.raises(ProblemsError) as exc:
            interventions.add(s, org="SYT01", title="Panels", metric="wres.2",
                              start="2024-04-01", owner="EDI lead", actor="t", at=AT,
                              division="theatres")
    (problem,) = exc.value.problems
    assert "has no division 'theatres'" in problem.message
    assert problem.message.endswith("expected one of: surgery")
