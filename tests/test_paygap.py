"""Pay gaps from a person-level pay extract agree with an independent computation, and nothing
personal is stored, logged or echoed.

The independent computation reads the same synthetic file with the csv module and computes
every gap with :func:`statistics.median` and :func:`math.fsum`, and every quartile by sorting
in Python; the importer aggregates in DuckDB and computes the gaps in
:mod:`assurance.stats.paygap`. They must agree to 0.05 percentage points.
"""

from __future__ import annotations

import csv
import importlib.util
import math
import shutil
import statistics
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from assurance.catalogue import load_catalogue
from assurance.ingest import run_import, store_counts
from assurance.problems import ProblemsError
from assurance.stats.paygap import (
    GroupPay,
    gap_percent,
    interleave_ties,
    median_of,
    pay_gap,
    quartile_counts,
    quartile_of,
)
from conftest import AT
from connectors import SOURCES
from connectors.pay_csv import PayCsv
from helpers import current_rows, register_orgs, write_csv

FIXTURE = Path(__file__).parent / "fixtures" / "pay_extract.csv"
ORG = "Z9T01"
TOLERANCE = 0.05  # percentage points (issue 14)
SEX = {"male": "men", "m": "men", "female": "women", "f": "women"}
QUARTILE_NAMES = ("lower", "lower_middle", "upper_middle", "top")


# ----------------------------------------------------------------- the independent reading

def _people(path: Path = FIXTURE) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def _sex(p: dict[str, str]) -> str:
    return SEX.get(p["sex"].strip().lower(), "unknown")


def _eth(p: dict[str, str], reference: str = "white") -> str:
    code = p["ethnic_category"].strip().upper()
    if code in ("", "Z", "99"):
        return "unknown"
    if reference == "white_british":
        return "white_british" if code.startswith("A") else "other_than_white_british"
    return "white" if code[0] in "ABC" else "bme"


def _dis(p: dict[str, str]) -> str:
    return {"yes": "disabled", "no": "non_disabled"}.get(p["disability"].strip().lower(),
                                                         "unknown")


def _independent_gap(people: list[dict[str, str]], group_of, ref: str, comp: str,
                     amount: str = "hourly_pay") -> tuple[float, float]:
    def values(g: str) -> list[float]:
        out = []
        for p in people:
            raw = p[amount].strip()
            if group_of(p) == g and raw and float(raw) > 0:
                out.append(float(raw))
        return out

    r, c = values(ref), values(comp)
    mean_r, mean_c = math.fsum(r) / len(r), math.fsum(c) / len(c)
    med_r, med_c = statistics.median(r), statistics.median(c)
    return (mean_r - mean_c) / mean_r * 100, (med_r - med_c) / med_r * 100


def _independent_quartiles(people: list[dict[str, str]], group_of, only=None
                           ) -> list[Counter[str]]:
    ranked = sorted((float(p["hourly_pay"]), group_of(p)) for p in people
                    if p["hourly_pay"].strip() and (only is None or group_of(p) in only))
    # people on one pay spread evenly through the tie, group by group: written out here
    # with exact fractions, independently of the module
    order: list[str] = []
    i = 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        tie = Counter(g for _, g in ranked[i:j])
        order += [g for _, g in sorted((Fraction(2 * k - 1, 2 * n), g)
                                       for g, n in tie.items() for k in range(1, n + 1))]
        i = j
    n = len(order)
    out: list[Counter[str]] = [Counter() for _ in range(4)]
    for rank, g in enumerate(order):
        out[min(3, math.floor(rank / (n / 4)))][g] += 1
    return out


# ------------------------------------------------------------------------------- the tests

def _import(engine: Engine, tmp_path: Path, source: PayCsv | None = None,
            path: Path = FIXTURE):
    register_orgs(engine, tmp_path, ORG)
    return run_import(engine, source or SOURCES["pay_csv"], path, actor="test", at=AT)


def _figures(engine: Engine) -> dict[tuple[str, str, str], object]:
    return {(r.metric, r.group, r.breakdown): r for r in current_rows(engine)
            if r.metric.startswith("paygap.")}


@pytest.mark.parametrize("scheme, group_of, ref, comp", [
    ("gender", _sex, "men", "women"),
    ("ethnicity", _eth, "white", "bme"),
    ("disability", _dis, "non_disabled", "disabled"),
])
def test_pay_gaps_agree_with_an_independent_computation_to_five_hundredths_of_a_point(
        engine: Engine, tmp_path: Path, scheme: str, group_of, ref: str, comp: str) -> None:
    _import(engine, tmp_path)
    got = _figures(engine)
    people = _people()
    mean, median = _independent_gap(people, group_of, ref, comp)
    assert got[(f"paygap.{scheme}.mean_hourly", comp, "")].value == pytest.approx(
        mean, abs=TOLERANCE)
    assert got[(f"paygap.{scheme}.median_hourly", comp, "")].value == pytest.approx(
        median, abs=TOLERANCE)
    # and per division, where a gap is calculable there
    medicine = [p for p in people if p["division"] == "Medicine"]
    mean_d, median_d = _independent_gap(medicine, group_of, ref, comp)
    assert got[(f"paygap.{scheme}.mean_hourly", comp, "division:medicine")].value == (
        pytest.approx(mean_d, abs=TOLERANCE))
    assert got[(f"paygap.{scheme}.median_hourly", comp, "division:medicine")].value == (
        pytest.approx(median_d, abs=TOLERANCE))


@pytest.mark.parametrize("scheme, group_of, ref, comp", [
    ("gender", _sex, "men", "women"),
    ("ethnicity", _eth, "white", "bme"),
])
def test_bonus_gaps_and_who_received_a_bonus_agree(engine: Engine, tmp_path: Path, scheme: str,
                                                   group_of, ref: str, comp: str) -> None:
    _import(engine, tmp_path)
    got = _figures(engine)
    people = _people()
    mean, median = _independent_gap(people, group_of, ref, comp, amount="bonus_pay")
    assert got[(f"paygap.{scheme}.mean_bonus", comp, "")].value == pytest.approx(
        mean, abs=TOLERANCE)
    assert got[(f"paygap.{scheme}.median_bonus", comp, "")].value == pytest.approx(
        median, abs=TOLERANCE)
    for g in (ref, comp):
        members = [p for p in people if group_of(p) == g]
        paid = sum(1 for p in members if p["bonus_pay"].strip() and float(p["bonus_pay"]) > 0)
        row = got[(f"paygap.{scheme}.bonus_received", g, "")]
        assert (row.numerator, row.denominator) == (paid, len(members))
        assert row.value == pytest.approx(100 * paid / len(members))


@pytest.mark.parametrize("scheme, group_of, groups, only", [
    ("gender", _sex, ("men", "women"), {"men", "women"}),
    ("ethnicity", _eth, ("white", "bme", "unknown"), None),
    ("disability", _dis, ("non_disabled", "disabled", "unknown"), None),
])
def test_pay_quartiles_rank_staff_into_four_equal_groups(engine: Engine, tmp_path: Path,
                                                         scheme: str, group_of, groups,
                                                         only) -> None:
    _import(engine, tmp_path)
    got = _figures(engine)
    expected = _independent_quartiles(_people(), group_of, only)
    sizes = [sum(q.values()) for q in expected]
    assert max(sizes) - min(sizes) <= 1
    for q, name in enumerate(QUARTILE_NAMES):
        for g in groups:
            row = got[(f"paygap.{scheme}.quartile_{name}", g, "")]
            assert (row.numerator, row.denominator) == (expected[q][g], sizes[q])
            assert row.value == pytest.approx(100 * expected[q][g] / sizes[q])


def test_a_group_of_fewer_than_ten_people_is_not_calculable(engine: Engine,
                                                             tmp_path: Path) -> None:
    _import(engine, tmp_path)
    got = _figures(engine)
    corporate = [p for p in _people() if p["division"] == "Corporate Services"]
    disabled = [p for p in corporate if _dis(p) == "disabled" and p["hourly_pay"].strip()]
    assert 0 < len(disabled) < 10  # the fixture's small group
    for metric in ("mean_hourly", "median_hourly"):
        row = got[(f"paygap.disability.{metric}", "disabled", "division:corporate_services")]
        assert row.value is None
        assert "not calculable: fewer than 10 people" in (row.note or "")
    # the gender gap (statutory method) has no minimum and is calculated there
    assert got[("paygap.gender.mean_hourly", "women",
                "division:corporate_services")].value is not None


def test_the_ethnicity_reference_group_is_an_option_and_the_figures_say_which(
        engine: Engine, tmp_path: Path) -> None:
    _import(engine, tmp_path, PayCsv(reference="white_british"))
    got = _figures(engine)
    people = _people()
    mean, median = _independent_gap(people, lambda p: _eth(p, "white_british"),
                                    "white_british", "other_than_white_british")
    row = got[("paygap.ethnicity.mean_hourly", "other_than_white_british", "")]
    assert row.value == pytest.approx(mean, abs=TOLERANCE)
    assert "White British compared with all other ethnic groups" in (row.note or "")
    assert got[("paygap.ethnicity.median_hourly", "other_than_white_british",
                "")].value == pytest.approx(median, abs=TOLERANCE)
    default = PayCsv()
    assert default.reference == "white"


def test_only_aggregates_are_stored(engine: Engine, tmp_path: Path) -> None:
    result = _import(engine, tmp_path)
    assert result.rows_read == len(_people())
    with engine.connect() as conn:
        dump = " ".join(str(v) for table in ("observation", "import_batch", "audit_event")
                        for row in conn.execute(text(f"SELECT * FROM {table}")) for v in row)
    assert "E00001" not in dump and "Band 5" not in dump
    # no group's average pay is stored (only gaps, shares and counts: every paygap figure is
    # a percentage or a count in the catalogue)
    people = _people()
    amounts = set()
    for group_of in (_sex, _eth, _dis):
        for g in {group_of(p) for p in people}:
            pays = [float(p["hourly_pay"]) for p in people if group_of(p) == g and p["hourly_pay"]]
            amounts.add(round(math.fsum(pays) / len(pays), 9))
    stored = {round(r.value, 9) for r in current_rows(engine) if r.value is not None}
    units = {load_catalogue()[r.metric].unit for r in current_rows(engine)}
    assert units == {"percent"}
    assert not amounts & stored, sorted(amounts & stored)


HOSTILE = [
    ("org_code", "=HYPERLINK(\"http://x\")"),
    ("snapshot_date", "2025-04-05"),
    ("sex", "Robert Smith"),
    ("ethnic_category", "W9SECRET"),
    ("disability", "diagnosed with cancer"),
    ("hourly_pay", "£31,000"),
    ("hourly_pay", "1e9"),
    ("bonus_pay", "-200"),
    ("division", "@SUM(A1)"),
]


@pytest.mark.parametrize("column, value", HOSTILE)
def test_a_hostile_row_is_located_without_its_value_and_nothing_is_stored(
        engine: Engine, tmp_path: Path, column: str, value: str) -> None:
    register_orgs(engine, tmp_path, ORG)
    people = _people()
    header = tuple(people[0])
    people[41][column] = value
    path = write_csv(tmp_path / "pay.csv", header, [tuple(p.values()) for p in people])
    before = store_counts(engine)
    with pytest.raises(ProblemsError) as exc:
        run_import(engine, SOURCES["pay_csv"], path, actor="test", at=AT)
    problems = exc.value.problems
    assert [(p.line, p.column) for p in problems] == [(43, column)]
    assert value not in str(exc.value)
    assert value.strip("=@") not in str(exc.value)
    assert store_counts(engine) == before


def test_a_file_without_a_header_is_refused_without_quoting_it(engine: Engine,
                                                               tmp_path: Path) -> None:
    register_orgs(engine, tmp_path, ORG)
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()[1:]
    path = tmp_path / "noheader.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ProblemsError) as exc:
        run_import(engine, SOURCES["pay_csv"], path, actor="test", at=AT)
    assert "E00001" not in str(exc.value) and "no recognised header" in str(exc.value)


def test_reimporting_the_same_extract_stores_nothing_new(engine: Engine, tmp_path: Path) -> None:
    first = _import(engine, tmp_path)
    copy = tmp_path / "again.csv"
    shutil.copyfile(FIXTURE, copy)
    again = run_import(engine, SOURCES["pay_csv"], copy, actor="test", at=AT)
    assert first.status == "imported" and again.status == "unchanged"


# ------------------------------------------------------------------ the pure computation

def test_gap_is_reference_minus_comparison_over_reference() -> None:
    assert gap_percent(20.0, 15.0) == pytest.approx(25.0)
    assert gap_percent(15.0, 20.0) == pytest.approx(-33.333333)  # comparison paid more
    assert gap_percent(0.0, 5.0) is None


def test_median_is_the_ordinary_midpoint() -> None:
    assert median_of([1.0, 2.0, 4.0, 10.0]) == 3.0
    assert median_of([1.0, 2.0, 4.0]) == 2.0
    assert median_of([]) is None


def test_fewer_than_the_minimum_is_not_calculable_and_the_reason_has_no_count() -> None:
    g = pay_gap(GroupPay(9, 20.0, 20.0), GroupPay(400, 18.0, 18.0), min_group=10)
    assert not g.calculable and g.mean is None and g.median is None
    assert g.reason is not None and "9" not in g.reason
    assert pay_gap(GroupPay(0, None, None), GroupPay(3, 1.0, 1.0)).reason == (
        "not calculable: no people in a group compared")


def test_quartiles_are_as_equal_as_possible_and_ties_are_spread_across_a_boundary() -> None:
    for n in range(1, 60):
        sizes = Counter(quartile_of(r, n) for r in range(n))
        if n >= 4:
            assert max(sizes.values()) - min(sizes.values()) <= 1
    # eight people on the same pay across the lower/lower-middle boundary: 4 men, 4 women
    ranked = [(10.0, "men")] * 4 + [(10.0, "women")] * 4 + [(20.0, "men")] * 8
    counts = quartile_counts(interleave_ties(ranked))
    assert counts[0] == {"men": 2, "women": 2} and counts[1] == {"men": 2, "women": 2}
    # two women among ten men on one pay are spread through the tie, not bunched at its start
    assert interleave_ties([(5.0, "men")] * 10 + [(5.0, "women")] * 2) == (
        ["men"] * 3 + ["women"] + ["men"] * 5 + ["women"] + ["men"] * 2)


def test_without_the_optional_columns_there_are_no_bonus_or_division_figures(
        engine: Engine, tmp_path: Path) -> None:
    register_orgs(engine, tmp_path, ORG)
    columns = ("org_code", "snapshot_date", "sex", "ethnic_category", "disability",
               "hourly_pay")
    people = _people()
    path = write_csv(tmp_path / "plain.csv", tuple(c.upper() for c in columns),
                     [tuple(p[c] for c in columns) for p in people])
    run_import(engine, SOURCES["pay_csv"], path, actor="test", at=AT)
    got = _figures(engine)
    assert {b for (_, _, b) in got} == {""}
    assert not any("bonus" in m for (m, _, _) in got)
    mean, _ = _independent_gap(people, _sex, "men", "women")
    assert got[("paygap.gender.mean_hourly", "women", "")].value == pytest.approx(
        mean, abs=TOLERANCE)


def test_amounts_padded_with_white_space_are_read_as_the_check_read_them(
        engine: Engine, tmp_path: Path) -> None:
    register_orgs(engine, tmp_path, ORG)
    people = _people()
    header = tuple(people[0])
    for p in people[::3]:
        if p["hourly_pay"]:
            p["hourly_pay"] = f"\t{p['hourly_pay']}\u00a0"
    people[4]["hourly_pay"] = " \t "  # blank: not full-pay relevant
    path = write_csv(tmp_path / "padded.csv", header, [tuple(p.values()) for p in people])
    run_import(engine, SOURCES["pay_csv"], path, actor="test", at=AT)
    got = _figures(engine)
    for p in people:
        p["hourly_pay"] = p["hourly_pay"].strip()
    mean, median = _independent_gap(people, _sex, "men", "women")
    assert got[("paygap.gender.mean_hourly", "women", "")].value == pytest.approx(
        mean, abs=TOLERANCE)
    assert got[("paygap.gender.median_hourly", "women", "")].value == pytest.approx(
        median, abs=TOLERANCE)


def test_the_fixture_is_what_its_generator_writes(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "make_pay_extract", FIXTURE.with_name("make_pay_extract.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.write(tmp_path / "again.csv").read_bytes() == FIXTURE.read_bytes()
