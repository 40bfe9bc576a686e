"""Rates beside rounded counts, and published figures, through the one disclosure path.

A group's rate shown beside its counts rounded to 5 is computed from the counts as shown
(``rates = "recompute"``, NHS Digital's method, the default) or withheld (``"withhold"``):
never the exact rate, which would give the exact count away (``13/40 (32.5%)`` beside a
rounded ``15``). A figure copied from a publication (the gov.uk gender pay gap download) is
public already: shown to every audience as published, not withheld for want of counts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from assurance.config import parse_settings
from assurance.disclosure import EXACT, DisclosurePolicy, disclose_count, policy_for
from assurance.disclosure.figure import disclose_figure
from assurance.engine.figures import fmt_value
from assurance.figures_export import list_figures
from assurance.ingest import run_import
from assurance.problems import ProblemsError
from conftest import AT
from connectors.gpg_csv import GenderPayGapCsv
from helpers import register_orgs

FIXTURES = Path(__file__).parent / "fixtures"

policies = st.builds(lambda high, rounding, rates: DisclosurePolicy(
    high=high, rounding=rounding, rates=rates), st.integers(5, 10), st.sampled_from([1, 5, 10]),
    st.sampled_from(["recompute", "withhold"])).filter(
    lambda p: int(disclose_count(p.high + 1, p)) > p.high)
counts = st.integers(0, 60) | st.integers(0, 3000)


@st.composite
def figures(draw: st.DrawFn) -> dict[str, Any]:
    """A share (groups splitting one total, headline = the focus group's rate, a declaration
    rate), a relative likelihood (each group its own base) or a declaration rate alone."""
    shape = draw(st.sampled_from(["share", "relative_likelihood", "declaration"]))
    if shape == "share":
        parts = [draw(counts) for _ in range(3)]
        total = max(1, sum(parts) + draw(st.integers(0, 5)))
        groups: dict[str, dict[str, Any]] = {
            role: {"label": role, "numerator": n, "denominator": total, "value": 100 * n / total}
            for role, n in zip(("focus", "reference", "unknown"), parts, strict=True)}
        return {"unit": "percent", "value": groups["focus"]["value"], "count": parts[0],
                "declaration_rate": 100 - groups["unknown"]["value"], **groups}
    if shape == "relative_likelihood":
        groups = {}
        for role in ("focus", "reference"):
            d = draw(counts)
            n = draw(st.integers(0, d))
            groups[role] = {"label": role, "numerator": n, "denominator": d,
                            "value": 100 * n / d if d else None}
        f, r = groups["focus"]["value"], groups["reference"]["value"]
        return {"unit": "ratio", "value": f / r if f and r else None, **groups}
    total = draw(counts.filter(bool))
    unknown = draw(st.integers(0, total))
    return {"unit": "percent", "value": 100 * (total - unknown) / total,
            "declaration_rate": 100 * (total - unknown) / total,
            "unknown": {"label": "not declared", "numerator": unknown, "denominator": total,
                        "value": 100 * unknown / total}}


def _shown(text: str) -> int | None:
    digits = text.replace(",", "")
    return int(digits) if digits.isdigit() else None


@settings(max_examples=500, deadline=None, derandomize=True)
@given(figures(), policies)
def test_a_rate_beside_rounded_counts_is_never_the_exact_rate(facts: dict[str, Any],
                                                              policy: DisclosurePolicy) -> None:
    d = disclose_figure(facts, policy)
    rates_of_shown: dict[str, float | None] = {}
    for g in d.groups:
        raw = facts[g.role]
        n, den = _shown(g.numerator_text), _shown(g.denominator_text)
        rounded = (n, den) != (raw["numerator"], raw["denominator"]) or policy.rounding > 1
        if g.value is None:
            assert g.value_text in ("", policy.symbol)
            rates_of_shown[g.role] = None
            continue
        assert n is not None and den is not None  # a rate shown only beside shown counts
        if policy.rates == "withhold" and rounded:
            pytest.fail(f"{g} shows a rate beside rounded counts under 'withhold'")
        # The rate a reader works out from the counts shown is the rate shown.
        assert g.value == pytest.approx(100 * n / den), (g, raw)
        assert g.value_text == fmt_value(100 * n / den, "percent")
        rates_of_shown[g.role] = g.value
    if facts["unit"] == "percent" and d.value is not None:
        # A share's headline is its focus group's rate; a declaration rate 100 minus the
        # not-declared rate: each as that group's rate is shown.
        if "focus" in facts:
            assert d.value == rates_of_shown["focus"]
        else:
            assert rates_of_shown["unknown"] is not None
            assert d.value == pytest.approx(100 - rates_of_shown["unknown"])
    if d.declaration_rate is not None:
        assert rates_of_shown["unknown"] is not None
        assert d.declaration_rate == pytest.approx(100 - rates_of_shown["unknown"])


@settings(max_examples=200, deadline=None, derandomize=True)
@given(figures())
def test_an_exact_audience_still_sees_the_exact_rates(facts: dict[str, Any]) -> None:
    d = disclose_figure(facts, EXACT)
    for g in d.groups:
        assert g.value == facts[g.role]["value"]
    assert d.value == facts["value"]


def test_the_worked_example_reads_from_the_counts_as_shown() -> None:
    facts = {"unit": "percent", "value": 32.5, "count": 13,
             "focus": {"label": "BME", "numerator": 13, "denominator": 40, "value": 32.5},
             "reference": {"label": "White", "numerator": 27, "denominator": 40, "value": 67.5}}
    d = disclose_figure(facts, DisclosurePolicy())
    shown = {g.label: (g.numerator_text, g.denominator_text, g.value_text) for g in d.groups}
    assert shown == {"BME": ("15", "40", "37.5%"), "White": ("25", "40", "62.5%")}
    assert d.value_text == "37.5%" and "32.5" not in d.headline() + d.counts_text()
    withheld = disclose_figure(facts, DisclosurePolicy(rates="withhold"))
    assert [g.value_text for g in withheld.groups] == ["*", "*"]
    assert withheld.value_text == "*" and withheld.value is None
    assert [g.numerator_text for g in withheld.groups] == ["15", "25"]  # counts still shown
    assert disclose_figure(facts, EXACT).value_text == "32.5%"


def test_a_headline_is_read_as_its_own_groups_rate_when_two_groups_share_a_value() -> None:
    # The declaration rate (100 - not recorded) equals the reference group's rate here, and
    # the share's headline (the focus rate, shown exactly) equals the reference's exact rate.
    facts = {"unit": "percent", "value": 25.0, "declaration_rate": 100 - 24 / 35 * 100,
             "focus": {"label": "focus", "numerator": 10, "denominator": 40, "value": 25.0},
             "reference": {"label": "reference", "numerator": 13, "denominator": 52,
                           "value": 25.0},
             "unknown": {"label": "unknown", "numerator": 24, "denominator": 35,
                         "value": 24 / 35 * 100}}
    d = disclose_figure(facts, DisclosurePolicy())
    assert [g.value_text for g in d.groups] == ["25.0%", "30.0%", "71.4%"]  # 15/50, 25/35
    assert d.value == 25.0  # the focus group's, not the reference's recomputed 30.0
    assert d.declaration_rate == pytest.approx(100 - 25 / 35 * 100)


def test_a_mean_or_score_beside_counts_is_not_a_rate_of_them_and_is_shown_as_it_is() -> None:
    facts = {"unit": "score", "value": 6.8,
             "focus": {"label": "BME", "numerator": 13, "denominator": 40, "value": 6.8}}
    assert disclose_figure(facts, DisclosurePolicy()).groups[0].value_text == "6.80"


def test_a_published_figure_is_shown_to_a_suppressed_audience_and_says_so() -> None:
    facts = {"unit": "percent", "value": 12.3, "published": "the gov.uk gender pay gap service",
             "focus": {"group": "women", "denominator": None}}
    d = disclose_figure(facts, DisclosurePolicy())
    assert (d.value, d.value_text, d.hidden) == (12.3, "12.3%", False)
    assert d.published == "the gov.uk gender pay gap service"
    assert ("Published", "the gov.uk gender pay gap service") not in d.facts
    unpublished = disclose_figure({**facts, "published": None}, DisclosurePolicy())
    assert unpublished.value is None and unpublished.value_text == "*"
    # Counts a published figure does carry are still protected.
    small = disclose_figure({**facts, "focus": {"group": "women", "numerator": 3,
                                                "denominator": 40, "value": 7.5}},
                            DisclosurePolicy())
    assert small.value_text == "*" and small.groups[0].numerator_text == "*"


def test_networks_see_the_gov_uk_figures_as_published(engine: Engine, tmp_path: Path) -> None:
    register_orgs(engine, tmp_path, "Z9T01", "Z9T02")
    run_import(engine, GenderPayGapCsv(FIXTURES / "gpg_mapping.csv"),
               FIXTURES / "gpg_2024_to_2025.csv", actor="test", at=AT)
    cfg = parse_settings({"database": {"url": str(engine.url)}}, base_dir=tmp_path,
                         where="config.toml", env={})
    rows = list_figures(engine, cfg, metric="paygap.gender", audience="network")
    gaps = [r for r in rows if r.metric == "paygap.gender.mean_hourly"]
    assert gaps and all(r.breakdown == "published:gov.uk" for r in rows)
    assert all(r.value is not None and not r.hidden and r.value_text != "*" for r in rows)


def test_the_rate_choice_is_an_audience_setting_with_a_default(tmp_path: Path) -> None:
    def read(audience: dict[str, Any]) -> DisclosurePolicy:
        cfg = parse_settings({"disclosure": {"audiences": {"network": audience}}},
                             base_dir=tmp_path, where="config.toml", env={})
        return policy_for(cfg, "network")

    assert read({}).rates == "recompute"
    assert read({"rates": "withhold"}).rates == "withhold"
    with pytest.raises(ProblemsError) as exc:
        read({"rates": "withheld"})
    [problem] = exc.value.problems
    assert "disclosure.audiences.network.rates" in str(problem)
    assert "did you mean 'withhold'" in problem.message
    with pytest.raises(ValueError, match="rates must be one of"):
        DisclosurePolicy(rates="exact")


# A relative likelihood beside rounded counts (review finding): its value and interval would
# give the exact counts back, so they are computed from the counts as shown, or withheld.

def _rl_facts(fn: int, fd: int, rn: int, rd: int) -> dict[str, Any]:
    from assurance.stats import relative_likelihood

    rl = relative_likelihood(fn, fd, rn, rd)
    return {"unit": "ratio", "value": rl.value, "ci": [rl.ci_low, rl.ci_high],
            "focus": {"label": "White", "numerator": fn, "denominator": fd,
                      "value": 100 * fn / fd},
            "reference": {"label": "BME", "numerator": rn, "denominator": rd,
                          "value": 100 * rn / rd}}


def test_a_relative_likelihood_beside_rounded_counts_is_the_one_the_shown_counts_give() -> None:
    from assurance.disclosure import SUPPRESSED
    from assurance.stats import relative_likelihood

    facts = _rl_facts(34, 200, 12, 40)  # exact 0.57 (95% CI 0.32 to 1.00)
    d = disclose_figure(facts, SUPPRESSED)
    assert [(g.numerator_text, g.denominator_text) for g in d.groups] == [("35", "200"),
                                                                        ("10", "40")]
    shown = relative_likelihood(35, 200, 10, 40)
    assert d.value == pytest.approx(shown.value) and d.value_text == "0.70"
    assert d.ci == (pytest.approx(shown.ci_low), pytest.approx(shown.ci_high))
    withheld = disclose_figure(facts, DisclosurePolicy(rates="withhold"))
    assert withheld.value is None and withheld.value_text == "*" and withheld.ci is None
    exact = disclose_figure(facts, EXACT)
    assert exact.value == facts["value"] and exact.ci == tuple(facts["ci"])


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.integers(1, 400), st.integers(1, 400), st.integers(1, 400), st.integers(1, 400),
       policies)
def test_a_relative_likelihood_shown_is_always_the_one_its_shown_counts_give(
        a: int, b: int, c: int, d_: int, policy: DisclosurePolicy) -> None:
    from assurance.stats import relative_likelihood

    fn, fd, rn, rd = min(a, b), max(a, b), min(c, d_), max(c, d_)
    facts = _rl_facts(fn, fd, rn, rd)
    if facts["value"] is None:
        return
    d = disclose_figure(facts, policy)
    if d.value is None:
        return
    shown = [_shown(t) for g in d.groups for t in (g.numerator_text, g.denominator_text)]
    assert None not in shown
    expected = relative_likelihood(*(int(n) for n in shown if n is not None))
    assert d.value == pytest.approx(expected.value)
    if policy.rates == "withhold":
        assert shown == [fn, fd, rn, rd]  # a ratio is shown only beside unrounded counts
