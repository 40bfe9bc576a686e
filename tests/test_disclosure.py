"""Tests for assurance.disclosure: NHS Digital's sub-national rule, per audience."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable

import pytest

from assurance.disclosure import (
    EXACT,
    SUPPRESSED,
    DisclosurePolicy,
    RelativeLikelihoodView,
    disclose_count,
    disclose_rate,
    disclose_relative_likelihood,
    disclose_table,
)
from assurance.stats import relative_likelihood

# --------------------------------------------------------------------------------------
# Counts
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        (0, "0"),
        (1, "*"),
        (4, "*"),
        (7, "*"),
        (8, "10"),
        (10, "10"),
        (12, "10"),
        (13, "15"),
        (17, "15"),
        (18, "20"),
        (1234, "1235"),
        (1237, "1235"),
        (1238, "1240"),
    ],
)
def test_suppressed_policy_boundaries(count: int, shown: str) -> None:
    assert disclose_count(count, SUPPRESSED) == shown


@pytest.mark.parametrize("count", [0, 1, 7, 8, 12, 13, 1234])
def test_exact_policy_shows_every_count_as_it_is(count: int) -> None:
    assert disclose_count(count, EXACT) == str(count)


def test_rounding_takes_halves_up_not_to_even() -> None:
    tens = DisclosurePolicy(rounding=10)
    # Python's round() would give 20 for 15 and 20 for 25 (banker's rounding).
    assert disclose_count(15, tens) == "20"
    assert disclose_count(25, tens) == "30"
    assert disclose_count(14, tens) == "10"


def test_rounding_of_one_shows_counts_above_the_range_exactly() -> None:
    unrounded = DisclosurePolicy(rounding=1)
    assert [disclose_count(n, unrounded) for n in (0, 7, 8, 13)] == ["0", "*", "8", "13"]


def test_missing_count_shows_the_missing_marker_not_zero_or_symbol() -> None:
    assert disclose_count(None, SUPPRESSED) == "–"
    assert disclose_count(None, EXACT) == "–"
    assert disclose_count(None, DisclosurePolicy(missing="n/a")) == "n/a"


def test_custom_symbol_and_range() -> None:
    policy = DisclosurePolicy(low=1, high=9, rounding=10, symbol="[c]")
    assert disclose_count(9, policy) == "[c]"
    assert disclose_count(10, policy) == "10"


def test_negative_count_is_rejected() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        disclose_count(-1, SUPPRESSED)


@pytest.mark.parametrize("bad", [True, 2.0, "3"])
def test_non_integer_count_is_rejected(bad: object) -> None:
    with pytest.raises(TypeError, match="whole number"):
        disclose_count(bad, SUPPRESSED)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"low": 5, "high": 4}, "must not be less than low"),
        ({"rounding": 0}, "rounding must be at least 1"),
        ({"symbol": ""}, "symbol must not be empty"),
        ({"rounding": 20}, "would show a count of 8 as 0"),
        ({"low": -1}, "must not be negative"),
    ],
)
def test_inconsistent_policies_are_rejected(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DisclosurePolicy(**kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# Rates
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("people", "shown"),
    [(0, "12.5"), (1, "*"), (7, "*"), (8, "12.5"), (500, "12.5"), (None, "*")],
)
def test_rate_is_suppressed_when_built_on_one_to_seven_people_or_an_unknown_number(
    people: int | None, shown: str
) -> None:
    assert disclose_rate(12.5, people, SUPPRESSED) == shown


def test_rate_under_exact_policy_is_always_shown() -> None:
    assert disclose_rate(12.5, 3, EXACT) == "12.5"
    assert disclose_rate(12.5, None, EXACT) == "12.5"


def test_missing_rate_shows_the_missing_marker() -> None:
    assert disclose_rate(None, 100, SUPPRESSED) == "–"
    assert disclose_rate(float("nan"), 100, EXACT) == "–"


def test_rate_format_is_applied() -> None:
    assert disclose_rate(0.12345, 100, SUPPRESSED, fmt="{:.1%}") == "12.3%"


def test_rate_with_negative_people_is_rejected() -> None:
    with pytest.raises(ValueError):
        disclose_rate(1.0, -3, SUPPRESSED)


# --------------------------------------------------------------------------------------
# Tables: primary and secondary suppression
# --------------------------------------------------------------------------------------


TABLES = [
    # (cells, total or None, policy, what is shown)
    pytest.param({"Band 5": 40, "Band 6": 25, "Band 7": 12, "Band 8a": 3}, 80, SUPPRESSED,
                 # Band 7 too: otherwise 80 - 40 - 25 - 12 = 3 gives Band 8a away.
                 {"Band 5": "40", "Band 6": "25", "Band 7": "*", "Band 8a": "*", "Total": "80"},
                 id="one-small-cell-with-a-total-also-suppresses-the-next-smallest-cell"),
    pytest.param({"White": 120, "BME": 30, "Not stated": 3}, None, SUPPRESSED,
                 # The total is usually published elsewhere, so it is assumed knowable.
                 {"White": "120", "BME": "*", "Not stated": "*"},
                 id="one-small-cell-without-a-total-is-still-protected"),
    pytest.param({"A": 3, "B": 5, "C": 40, "D": 60}, 108, SUPPRESSED,
                 {"A": "*", "B": "*", "C": "40", "D": "60", "Total": "110"},
                 id="two-cells-already-suppressed-need-nothing-more"),
    pytest.param({"A": 0, "B": 4, "C": 0, "D": 30, "E": 50}, 84, SUPPRESSED,
                 {"A": "0", "B": "*", "C": "0", "D": "*", "E": "50", "Total": "85"},
                 id="zeros-are-shown-and-never-chosen-as-the-secondary-cell"),
    pytest.param({"A": 20, "B": 20, "C": 2}, None, SUPPRESSED,
                 {"A": "*", "B": "20", "C": "*"},
                 id="secondary-cell-ties-go-to-the-first-in-table-order"),
    pytest.param({"Disabled": 1, "Non-disabled": 0}, 1, SUPPRESSED,
                 # No other non-zero cell to suppress; the total equals the small cell.
                 {"Disabled": "*", "Non-disabled": "0", "Total": "*"},
                 id="lone-non-zero-cell-is-suppressed-and-so-is-the-total"),
    pytest.param({"A": 1, "B": 1, "C": 8}, 10, SUPPRESSED,
                 # Shown "10" means 8-12 and each * is at least 1: with a known total of 10 a
                 # reader would get 1, 1 and 8. The audit suppresses the 8 as well.
                 {"A": "*", "B": "*", "C": "*", "Total": "10"},
                 id="two-small-cells-forced-to-one-by-the-total-get-a-third-suppressed"),
    pytest.param({"A": 7, "B": 7, "C": 12}, 26, SUPPRESSED,
                 # Shown "10" means 8-12: with a known total of 26 and each * read as at most
                 # 7, a reader would get 7, 7 and 12.
                 {"A": "*", "B": "*", "C": "*", "Total": "25"},
                 id="two-small-cells-forced-to-seven-by-the-total-get-a-third-suppressed"),
    pytest.param({"A": 7, "B": 7, "C": 12, "D": 40}, 66, SUPPRESSED,
                 # "40" means 38-42, so 66 - C - D leaves the two * cells 12 to 20 between them.
                 {"A": "*", "B": "*", "C": "10", "D": "40", "Total": "65"},
                 id="two-small-cells-with-slack-from-another-rounded-cell-need-nothing-more"),
    pytest.param({"A": 0, "B": 8, "C": 13}, 21, SUPPRESSED,
                 {"A": "0", "B": "10", "C": "15", "Total": "20"},
                 id="table-without-small-cells-is-only-rounded"),
    pytest.param({"Band 5": 40, "Band 6": 25, "Band 7": 12, "Band 8a": 3}, 80, EXACT,
                 {"Band 5": "40", "Band 6": "25", "Band 7": "12", "Band 8a": "3", "Total": "80"},
                 id="exact-policy-table-shows-everything"),
]


@pytest.mark.parametrize(("cells", "total", "policy", "shown"), TABLES)
def test_a_table_is_shown_as_its_policy_allows_with_secondary_suppression(
    cells: dict[str, int], total: int | None, policy: DisclosurePolicy, shown: dict[str, str]
) -> None:
    assert disclose_table(cells, policy, total=total) == shown


def test_table_keeps_cell_order_and_custom_total_label() -> None:
    shown = disclose_table({"z": 10, "a": 20}, SUPPRESSED, total=30, total_label="All staff")
    assert list(shown) == ["z", "a", "All staff"]


def test_total_that_does_not_match_the_cells_is_rejected() -> None:
    with pytest.raises(
        ValueError, match=r"total \(90\) does not equal the sum of the cells \(80\)"
    ):
        disclose_table({"A": 40, "B": 40}, SUPPRESSED, total=90)


def test_total_label_clashing_with_a_cell_is_rejected() -> None:
    with pytest.raises(ValueError, match="also a cell name"):
        disclose_table({"Total": 4, "B": 40}, SUPPRESSED, total=44)


def test_negative_cell_is_rejected_with_its_name() -> None:
    with pytest.raises(ValueError, match="cell 'B' must not be negative"):
        disclose_table({"A": 4, "B": -1}, SUPPRESSED)


def _suppressed_cells_a_reader_can_work_out(
    tables: Iterable[tuple[int, ...]], policy: DisclosurePolicy
) -> list[tuple[tuple[str, ...], tuple[int, ...]]]:
    """Group tables by what the reader sees; a ``*`` cell constant within a group leaks.

    This reader knows the algorithm itself: any table that produces the same output is a
    possibility, and nothing else is. Groups near the enumeration cap are skipped because
    tables just above the cap would also belong to them.
    """
    groups: dict[tuple[str, ...], list[tuple[int, ...]]] = defaultdict(list)
    for table in tables:
        cells = {str(i): v for i, v in enumerate(table)}
        groups[tuple(disclose_table(cells, policy, total=sum(table)).values())].append(table)
    return [
        (shown, table)
        for shown, members in groups.items()
        for i, symbol in enumerate(shown[:-1])
        if symbol == policy.symbol and len({m[i] for m in members}) == 1
        for table in members
    ]


def _capped(cells: int, cap: int) -> Iterable[tuple[int, ...]]:
    # Keep totals well below the cap so every group is complete (see the helper).
    return (t for t in itertools.product(range(cap + 1), repeat=cells) if sum(t) + 5 <= cap)


@pytest.mark.parametrize(("cells", "cap"), [(3, 60), (4, 30), (5, 18)])
def test_no_suppressed_cell_can_be_worked_out_from_the_published_table(
    cells: int, cap: int
) -> None:
    # Every table of ``cells`` counts with a total up to ``cap - 5``.
    assert _suppressed_cells_a_reader_can_work_out(_capped(cells, cap), SUPPRESSED) == []


@pytest.mark.parametrize(("cells", "cap"), [(3, 30), (4, 18)])
def test_reader_knowing_the_exact_total_cannot_pin_a_suppressed_cell(cells: int, cap: int) -> None:
    # This reader knows the exact total when above 7 (from another publication), reads
    # each shown count as its rounding band, and reads * either literally as 1-7 or, knowing
    # about complementary cells, as any count of at least 1. Unless every non-zero cell is
    # already suppressed (nothing more can be done then), no * is pinned to its true value.
    for table in itertools.product(range(cap + 1), repeat=cells):
        total = sum(table)
        if total > cap:
            continue
        shown = list(disclose_table({str(i): v for i, v in enumerate(table)}, SUPPRESSED).values())
        if all(s == "*" for s, v in zip(shown, table, strict=True) if v > 0):
            continue
        for star_range in (range(1, 8), range(1, total + 1)):
            options = [
                [0]
                if s == "0"
                else star_range
                if s == "*"
                else [v for v in range(8, cap + 1) if disclose_count(v, SUPPRESSED) == s]
                for s in shown
            ]
            feasible = [
                t
                for t in itertools.product(*options)
                if (sum(t) == total if total > 7 else 1 <= sum(t) <= 7)
            ]
            for i, s in enumerate(shown):
                if s == "*":
                    values = {t[i] for t in feasible}
                    assert values != {table[i]}, (table, shown, star_range)


# --------------------------------------------------------------------------------------
# Relative likelihood views
# --------------------------------------------------------------------------------------


def test_relative_likelihood_view_with_large_counts_shows_ratio_and_rounded_counts() -> None:
    rl = relative_likelihood(302, 1001, 151, 798)
    view = disclose_relative_likelihood(rl, SUPPRESSED)
    assert view == RelativeLikelihoodView(
        focus_numerator="300",
        focus_denominator="1000",
        reference_numerator="150",
        reference_denominator="800",
        value=f"{rl.value:.2f}",
        ci_low=f"{rl.ci_low:.2f}",
        ci_high=f"{rl.ci_high:.2f}",
        ci=f"{rl.ci_low:.2f}–{rl.ci_high:.2f}",
        suppressed=False,
        reason=None,
    )


def test_relative_likelihood_view_worked_example_strings() -> None:
    view = disclose_relative_likelihood(relative_likelihood(300, 1000, 150, 800), SUPPRESSED)
    assert (view.value, view.ci_low, view.ci_high, view.ci) == ("1.60", "1.35", "1.90", "1.35–1.90")


@pytest.mark.parametrize(
    "counts",
    [
        (5, 200, 30, 200),  # focus numerator small
        (0, 6, 30, 200),  # focus denominator small
        (30, 200, 4, 200),  # reference numerator small
        (30, 200, 3, 7),  # reference denominator small
        (7, 200, 30, 200),  # upper boundary
        (1, 200, 30, 200),  # lower boundary
    ],
)
def test_relative_likelihood_ratio_and_interval_hidden_when_any_count_is_one_to_seven(
    counts: tuple[int, int, int, int],
) -> None:
    view = disclose_relative_likelihood(relative_likelihood(*counts), SUPPRESSED)
    assert view.suppressed
    assert (view.value, view.ci_low, view.ci_high, view.ci) == ("*", "*", "*", "*")
    assert view.reason is not None and "between 1 and 7" in view.reason


def test_relative_likelihood_counts_of_eight_are_not_suppressed() -> None:
    view = disclose_relative_likelihood(relative_likelihood(8, 100, 8, 100), SUPPRESSED)
    assert not view.suppressed
    assert view.value == "1.00"
    assert view.focus_numerator == "10"


def test_relative_likelihood_suppressed_view_hides_the_small_count_itself() -> None:
    view = disclose_relative_likelihood(relative_likelihood(5, 200, 30, 200), SUPPRESSED)
    assert (view.focus_numerator, view.focus_denominator) == ("*", "200")


def test_not_calculable_relative_likelihood_says_so_even_when_counts_are_suppressed() -> None:
    rl = relative_likelihood(5, 100, 0, 40, reference_label="BME applicants")
    view = disclose_relative_likelihood(rl, SUPPRESSED)
    assert view.value == "not calculable"
    assert view.ci == "–"
    assert view.suppressed  # the focus numerator is 5
    assert view.focus_numerator == "*" and view.reference_numerator == "0"
    assert view.reason == rl.reason


def test_zero_ratio_view_shows_zero_and_explains_the_missing_interval() -> None:
    rl = relative_likelihood(0, 50, 10, 60)
    view = disclose_relative_likelihood(rl, SUPPRESSED)
    assert not view.suppressed
    assert view.value == "0.00"
    assert (view.ci_low, view.ci_high, view.ci) == ("–", "–", "–")
    assert view.reason == rl.reason


def test_exact_policy_relative_likelihood_view_shows_small_counts_and_ratio() -> None:
    rl = relative_likelihood(5, 20, 3, 30)
    view = disclose_relative_likelihood(rl, EXACT)
    assert not view.suppressed
    assert (view.focus_numerator, view.focus_denominator) == ("5", "20")
    assert (view.reference_numerator, view.reference_denominator) == ("3", "30")
    assert view.value == "2.50"
    assert view.ci == f"{rl.ci_low:.2f}–{rl.ci_high:.2f}"
    assert view.reason is None


def test_relative_likelihood_view_format_and_not_calculable_text_are_options() -> None:
    view = disclose_relative_likelihood(
        relative_likelihood(300, 1000, 150, 800), EXACT, fmt="{:.3f}"
    )
    assert view.value == "1.600"
    nc = disclose_relative_likelihood(relative_likelihood(1, 2, 0, 3), EXACT, not_calculable="n/c")
    assert nc.value == "n/c"
