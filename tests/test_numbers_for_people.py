"""Numbers as people read them (issue 12 item 4): facts in messages and reports are formatted in
their declared unit, never as raw floats ("Target 28.079282680509674", "P value 1.76801e-14")."""

from __future__ import annotations

import pytest

from assurance.disclosure import DisclosurePolicy
from assurance.disclosure.figure import disclose_figure
from assurance.engine.conditions import FACT_SPECS
from assurance.engine.figures import fmt_value, p_text, plain_number

EXACT = DisclosurePolicy(exact=True)


@pytest.mark.parametrize(("value", "unit", "text"), [
    (1.7680e-14, "p_value", "< 0.001"), (0.0031, "p_value", "0.003"), (0.812, "p_value", "0.81"),
    (12345, "count", "12,345"), (28.079282680509674, "percent", "28.1%"),
    (1.666666, "ratio", "1.67"), (-0.0723, "percentage_points", "-0.1 pp"),
    (2028, "", "2028"), (28.079282680509674, "", "28.08"), (0.00312, "", "0.0031"),
])
def test_each_unit_is_formatted_for_people(value: float, unit: str, text: str) -> None:
    assert fmt_value(value, unit) == text


def test_p_values_read_as_comparisons() -> None:
    assert (p_text(1e-9), p_text(0.004), p_text(0.5)) == ("p < 0.001", "p = 0.004", "p = 0.50")
    assert plain_number(-3.0) == "-3"


def test_facts_in_a_disclosed_figure_use_their_units() -> None:
    facts = {"value": 21.5, "unit": "percent", "period": "wres:2025", "target": 28.079282680509674,
             "p_value": 1.76801e-14, "z": 7.654321, "target_year": 2028}
    specs = {k: FACT_SPECS[k] for k in ("p_value", "z") if k in FACT_SPECS}
    rows = dict(disclose_figure(facts, EXACT, specs={**FACT_SPECS, **specs}).facts)
    assert rows["P value"] == "< 0.001"
    assert rows["z statistic"] == "7.65"
    shown = " ".join(rows.values())
    assert "28.079" not in shown and "e-14" not in shown


def test_periods_named_in_facts_read_as_people_write_them() -> None:
    # A period key ("wres:2019") is how the store names a period, not a reader: every fact
    # holding one reads as the reports do ("2019", "survey 2023", "Mar 2025").
    facts = {"value": 13.1, "unit": "percent", "period": "wres:2025",
             "baseline_period": "wres:2019", "previous_period": "survey:2023",
             "newest_period": "month:2025-03"}
    for policy in (EXACT, DisclosurePolicy()):
        rows = dict(disclose_figure(facts, policy).facts)
        assert (rows["Baseline period"], rows["Previous period"], rows["Newest period"]) == (
            "2019", "survey 2023", "Mar 2025")
    assert {k for k, s in FACT_SPECS.items() if k.endswith("_period")} == {
        "baseline_period", "previous_period", "newest_period"}
    assert all(FACT_SPECS[k].unit == "period" for k in FACT_SPECS if k.endswith("_period"))


def _rl_facts(white: tuple[int, int], bme: tuple[int, int]) -> dict[str, object]:
    return {"value": 1.5, "unit": "ratio", "period": "wres:2025",
            "focus": {"group": "white", "label": "White", "value": None,
                      "numerator": white[0], "denominator": white[1]},
            "reference": {"group": "bme", "label": "BME", "value": None,
                          "numerator": bme[0], "denominator": bme[1]},
            "movement": {"direction": "no_significant_change", "basis": "significance test",
                         "p_value": 0.8812, "previous_period": "wres:2024"}}


def test_a_findings_judged_change_is_a_row_unless_a_count_is_withheld() -> None:
    big = _rl_facts((300, 1000), (200, 1000))
    network = DisclosurePolicy()
    for policy in (EXACT, network):
        rows = dict(disclose_figure(big, policy).facts)
        assert rows["Change since 2024"] == "No significant change (p = 0.88)"
    small = _rl_facts((300, 1000), (5, 40))  # 5 is withheld from the network
    assert "Change since 2024" in dict(disclose_figure(small, EXACT).facts)
    assert "Change since 2024" not in dict(disclose_figure(small, network).facts)


def test_the_change_row_is_withheld_when_the_previous_periods_counts_were_small() -> None:
    # Review finding: the p-value of 2024's 3/95 against 2025's 8/96 names the 3.
    facts = _rl_facts((300, 1000), (200, 1000))
    movement = dict(facts["movement"])  # type: ignore[arg-type]
    movement["previous_figure"] = _rl_facts((300, 1000), (3, 95))
    small_before = {**facts, "movement": movement}
    assert "Change since 2024" not in dict(disclose_figure(small_before, DisclosurePolicy()).facts)
    assert "Change since 2024" in dict(disclose_figure(small_before, EXACT).facts)


def test_a_rule_that_counts_people_states_its_threshold_as_a_count() -> None:
    # Review finding: "at most 5 Disabled people" read "Threshold 5.0%" in network messages.
    facts = {"value": 4.2, "unit": "percent", "period": "wres:2025", "measure": "count",
             "threshold": 5, "measured": 4}
    rows = dict(disclose_figure(facts, EXACT, specs=FACT_SPECS).facts)
    assert rows["Threshold"] == "5"


def test_a_message_with_history_carries_its_trend_unless_the_figure_is_withheld() -> None:
    facts = _rl_facts((300, 1000), (200, 1000))
    movement = dict(facts["movement"])  # type: ignore[arg-type]
    movement["previous_figure"] = {**_rl_facts((300, 1000), (220, 1000)), "value": 1.36}
    with_history = {**facts, "movement": movement}
    assert disclose_figure(with_history, DisclosurePolicy()).trend == "up"  # 1.36 -> 1.50
    assert disclose_figure(facts, DisclosurePolicy()).trend is None  # no earlier figure
    small = {**_rl_facts((300, 1000), (5, 40)), "movement": movement}
    assert disclose_figure(small, DisclosurePolicy()).trend is None
