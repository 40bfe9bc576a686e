"""The shipped rule packs and their cases; broken packs fail with located, actionable errors.

Broken-pack tests write a modified copy of the shipped WRES pack into ``tmp_path`` and expect
``path:line:col: error: …`` for each problem. Positions are worked out from the modified text
(1-based), so the tests keep proving exact locations when the shipped pack is edited.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from assurance import api
from assurance.catalogue import load_catalogue
from assurance.config import load_settings
from assurance.engine.conditions import REGISTRY
from assurance.engine.rules import RULE_KEYS, load_packs
from assurance.problems import ProblemsError

SHIPPED = api.shipped_rules_dir()
WRES = SHIPPED / "wres.yaml"
PACKS = ("board", "career", "data-quality", "divisions", "hia", "survey", "wdes", "wres")


def at(text: str, needle: str, occurrence: int = 1, offset: int = 0) -> tuple[int, int]:
    """1-based (line, column) of the ``occurrence``-th ``needle`` in ``text``, plus ``offset``
    characters into it."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    index += offset
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def broken_copy(tmp_path: Path, *edits: tuple[str, str]) -> tuple[Path, str]:
    """The shipped WRES pack with each (old, new) edit applied once, written to tmp_path."""
    text = WRES.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, f"the shipped pack no longer contains {old!r}; update this test"
        text = text.replace(old, new, 1)
    path = tmp_path / "wres.yaml"
    path.write_text(text, encoding="utf-8")
    return path, text


def load_problems(*paths: Path) -> list[str]:
    with pytest.raises(ProblemsError) as exc:
        load_packs(list(paths))
    return [str(p) for p in exc.value.problems]


def error(path: Path, pos: tuple[int, int], message: str) -> str:
    return f"{path}:{pos[0]}:{pos[1]}: error: {message}"


# ----------------------------------------------------------------------------- shipped packs


def test_shipped_packs_load_with_every_rule_covered_by_passing_cases() -> None:
    settings = load_settings(None)
    packs = api.load_rules(settings)
    assert sorted(p.name for p in packs) == sorted(PACKS)
    report = api.test_rules(settings)
    failures = [str(p) for p in report.problems] + report.uncovered + [
        str(f) for r in report.results for f in r.failures]
    assert report.ok, "\n".join(failures)
    rules = {r.id for p in packs for r in p.rules}
    assert {r.rule for r in report.results} == rules


def test_every_shipped_pack_has_its_cases_file_beside_it() -> None:
    for name in PACKS:
        assert (SHIPPED / f"{name}.cases.yaml").is_file(), name


def test_a_shipped_rule_reads_a_monthly_series_as_an_spc_chart() -> None:
    """Making Data Count is how boards read monthly figures: at least one shipped rule
    alerts on special cause of concern, with the evidence and advice its neighbours give."""
    catalogue = load_catalogue()
    spc = [r for p in api.load_rules(load_settings(None)) for r in p.rules
           if r.condition.kind == "spc"]
    assert spc, "no shipped rule uses the 'spc' condition"
    for rule in spc:
        assert catalogue[rule.metric].period_kind == "month", rule.id
        assert rule.why and rule.action and rule.evidence, rule.id


# ----------------------------------------------------------------------------- broken packs


ONE_FAULT = [
    # (edit to the shipped pack, where the error points (text, characters into it), message)
    pytest.param(
        ("title: White applicants more likely to be appointed from shortlisting",
         "title: White applicants: more likely to be appointed from shortlisting"),
        (": more likely to be appointed", 0),
        "not valid YAML: mapping values are not allowed here",
        id="malformed_yaml_is_reported_where_the_parser_stopped"),
    pytest.param(
        ("    metric: wres.2\n", "  \tmetric: wres.2\n"), ("\tmetric", 0),
        "tab used for indentation; YAML needs spaces",
        id="a_tab_used_for_indentation_is_reported_at_the_tab"),
    pytest.param(
        ("    metric: wres.2\n", "    metric: wres.22\n"), ("wres.22", 0),
        "unknown metric 'wres.22' (did you mean 'wres.2'?)",
        id="an_unknown_metric_suggests_the_closest_one"),
    pytest.param(
        ("when: {outside_range: {significant: true}}", "when: {outside_rnge: {significant: true}}"),
        ("outside_rnge", 0),
        "unknown condition kind 'outside_rnge' (did you mean 'outside_range'?); "
        f"expected one of: {', '.join(REGISTRY)}",
        id="an_unknown_condition_kind_suggests_the_closest_one"),
    pytest.param(
        ("when: {outside_range: {significant: true}}",
         "when: {outside_range: {low: 1.25, high: 0.8, significant: true}}"),
        ("1.25, high: 0.8", 0), "low (1.25) is greater than high (0.8)",
        id="a_range_with_low_above_high_is_reported_at_low"),
    pytest.param(
        ("when: {gap: {max: 5, significant: true}}", "when: {gap: {significant: true}}"),
        ("when: {gap: {significant", len("when: {gap: ")), "missing key 'max' in 'gap'",
        id="a_gap_without_max_is_reported_at_its_parameters"),
    pytest.param(
        ("when: {gap: {max: 5, significant: true}}", "when: {gap: {max: 5, signficant: true}}"),
        ("signficant", 0),
        "unknown key 'signficant' in 'gap' (did you mean 'significant'?); expected one "
        "of: max, unit, significant, alpha, breakdown, metric",
        id="an_unknown_condition_parameter_suggests_the_closest_one"),
    pytest.param(
        ("    severity: high\n", "    severty: high\n"), ("severty", 0),
        "unknown key 'severty' in a rule (did you mean 'severity'?); expected one of: "
        + ", ".join(RULE_KEYS),
        id="an_unknown_rule_key_suggests_the_closest_one"),
]


@pytest.mark.parametrize(("edit", "where", "message"), ONE_FAULT)
def test_one_fault_in_a_pack_is_reported_at_its_place(
        tmp_path: Path, edit: tuple[str, str], where: tuple[str, int], message: str) -> None:
    path, text = broken_copy(tmp_path, edit)
    needle, offset = where
    assert load_problems(path) == [error(path, at(text, needle, offset=offset), message)]


def test_a_duplicate_rule_id_in_one_pack_names_the_first(tmp_path: Path) -> None:
    path, text = broken_copy(tmp_path, ("- id: wres.3.adverse", "- id: wres.2.adverse"))
    first_line = at(text, "id: wres.2.adverse")[0]
    assert load_problems(path) == [
        error(path, at(text, "id: wres.2.adverse", occurrence=2),
              f"duplicate rule id 'wres.2.adverse' (first at line {first_line})")]


def test_a_rule_id_shipped_twice_in_two_packs_is_reported(tmp_path: Path) -> None:
    text = WRES.read_text(encoding="utf-8")
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(text, encoding="utf-8")
    second.write_text(text.replace("pack: wres", "pack: wres-copy"), encoding="utf-8")
    line = at(text, "id: wres.2.adverse")[0]
    problems = load_problems(tmp_path)
    assert f"{second}:{line}:1: error: duplicate rule id 'wres.2.adverse' (also at {first}:{line})" \
        in problems
    assert len(problems) == text.count("  - id: ")


def test_a_duplicate_key_is_reported_not_silently_overwritten(tmp_path: Path) -> None:
    path, text = broken_copy(tmp_path, (
        "    severity: high\n    escalate: {start: edi_lead, after_periods: 1, max: regulator}",
        "    severity: high\n    severity: low\n"
        "    escalate: {start: edi_lead, after_periods: 1, max: regulator}"))
    first_line = at(text, "severity: high\n    severity: low")[0]
    assert load_problems(path) == [
        error(path, at(text, "severity: low"),
              f"duplicate key 'severity' (first at line {first_line})")]


def test_every_problem_in_a_pack_is_reported_at_once(tmp_path: Path) -> None:
    path, text = broken_copy(
        tmp_path,
        ("    severity: high\n", "    severty: high\n"),
        ("metric: wres.2\n    when: {outside_range:", "metric: wres.2\n    when: {outside_rnge:"),
        ("    metric: wres.3\n", "    metric: wres.33\n"),
        ("metric: wres.4\n    when: {outside_range: {significant: true}}",
         "metric: wres.4\n    when: {outside_range: {low: 1.25, high: 0.8, significant: true}}"),
        ("metric: wres.5\n    when: {gap: {max: 3, significant: true}}",
         "metric: wres.5\n    when: {gap: {significant: true}}"),
    )
    problems = load_problems(path)
    expected = [
        error(path, at(text, "severty"), "unknown key 'severty' in a rule (did you mean "
              "'severity'?); expected one of: " + ", ".join(RULE_KEYS)),
        error(path, at(text, "outside_rnge"), "unknown condition kind 'outside_rnge' (did you "
              f"mean 'outside_range'?); expected one of: {', '.join(REGISTRY)}"),
        error(path, at(text, "wres.33"), "unknown metric 'wres.33' (did you mean 'wres.3'?)"),
        error(path, at(text, "1.25, high: 0.8"), "low (1.25) is greater than high (0.8)"),
        error(path, at(text, "when: {gap: {significant", offset=len("when: {gap: ")),
              "missing key 'max' in 'gap'"),
    ]
    assert problems == expected, "\n".join(problems)
    assert len(problems) == 5


# ----------------------------------------------------------------------------- case files

PACK = """\
version: 1
pack: x
title: Test pack
rules:
  - id: x.wres2
    title: White applicants more likely to be appointed from shortlisting
    metric: wres.2
    when: {outside_range: {significant: true}}
"""

CASES = """\
version: 1
cases:
  - name: ratio of 1.07 expected to breach
    rule: x.wres2
    as_of: 2025-06-01
    observations: &ratio_1_07
      - [T1, wres:2025, wres.2, white, "", 600, 2000]
      - [T1, wres:2025, wres.2, bme, "", 56, 200]
    expect:
      T1: {status: breach}

  - name: ratio of 1.07 with the wrong figure expected
    rule: x.wres2
    as_of: 2025-06-01
    observations: *ratio_1_07
    expect:
      T1: {status: ok, summary: "1.99"}
"""


def write_pair(tmp_path: Path, pack: str, cases: str) -> tuple[Path, Path]:
    pack_path, cases_path = tmp_path / "x.yaml", tmp_path / "x.cases.yaml"
    pack_path.write_text(textwrap.dedent(pack), encoding="utf-8")
    cases_path.write_text(textwrap.dedent(cases), encoding="utf-8")
    return pack_path, cases_path


def test_a_case_expecting_an_outcome_that_does_not_happen_fails_at_its_line(
        tmp_path: Path) -> None:
    pack_path, cases_path = write_pair(tmp_path, PACK, CASES)
    report = api.test_rules(load_settings(None), [pack_path])
    assert not report.ok and not report.problems and not report.uncovered
    failures = [str(f) for r in report.results for f in r.failures]
    # (600/2000)/(56/200) = 0.30/0.28 = 1.07, 95% CI 0.85 to 1.35: within the range
    reads = ("1.07 (95% CI 0.85 to 1.35); White 600/2,000, BME 56/200 is within the limit "
             "(the figure is above 1.25, with its whole 95% confidence interval beyond that "
             "limit would breach).")
    assert failures == [
        error(cases_path, at(CASES, "{status: breach}"),
              f"case 'ratio of 1.07 expected to breach': T1: expected breach, got ok: {reads}"),
        error(cases_path, at(CASES, "{status: ok, summary"),
              "case 'ratio of 1.07 with the wrong figure expected': T1: summary does not "
              f"contain '1.99'; it reads: {reads}"),
    ], "\n".join(failures)
    assert [r.passed for r in report.results] == [False, False]


def test_a_case_for_an_organisation_without_data_fails(tmp_path: Path) -> None:
    cases = CASES.replace("      T1: {status: breach}", "      T9: {status: breach}")
    pack_path, cases_path = write_pair(tmp_path, PACK, cases)
    report = api.test_rules(load_settings(None), [pack_path])
    failures = [str(f) for r in report.results for f in r.failures]
    assert error(cases_path, at(cases, "{status: breach}"),
                 "case 'ratio of 1.07 expected to breach': T9: expected breach, but the rule "
                 "produced no outcome for it (no data at all)") in failures


def test_a_rule_without_a_breach_case_is_reported_as_uncovered(tmp_path: Path) -> None:
    cases = CASES.replace("{status: breach}", "{status: ok}").replace('summary: "1.99"',
                                                                      'summary: "1.07"')
    pack_path, _ = write_pair(tmp_path, PACK, cases)
    report = api.test_rules(load_settings(None), [pack_path])
    assert all(r.passed for r in report.results)
    assert report.uncovered == [f"{pack_path}:5: rule x.wres2 has no case expecting 'breach'"]
    assert not report.ok


def test_a_pack_without_a_cases_file_is_reported(tmp_path: Path) -> None:
    pack_path, cases_path = write_pair(tmp_path, PACK, CASES)
    cases_path.unlink()
    report = api.test_rules(load_settings(None), [pack_path])
    assert [str(p) for p in report.problems] == [
        f"{pack_path}: error: no test cases: expected x.cases.yaml beside the pack"]
    assert not report.ok
