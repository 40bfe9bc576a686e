"""Working days in England: weekends and England and Wales bank holidays do not count."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from assurance.workdays import add_working_days, bank_holidays, is_working_day, working_days_between


def test_christmas_boxing_day_and_new_year_2024_are_not_working_days() -> None:
    # Tue 24 Dec 2024 → Thu 2 Jan 2025: 27, 30, 31 Dec and 2 Jan count; 25, 26 Dec, 1 Jan don't.
    assert working_days_between(date(2024, 12, 24), date(2025, 1, 2)) == 4
    assert [d for d in (date(2024, 12, 25), date(2024, 12, 26), date(2025, 1, 1))
            if is_working_day(d)] == []


def test_easter_2025_skips_good_friday_and_easter_monday() -> None:
    # Thu 17 Apr 2025 → Tue 22 Apr 2025: Fri 18 (Good Friday) and Mon 21 (Easter Monday) are off.
    assert working_days_between(date(2025, 4, 17), date(2025, 4, 22)) == 1
    assert add_working_days(date(2025, 4, 17), 1) == date(2025, 4, 22)


def test_a_christmas_day_on_a_saturday_gets_substitute_days() -> None:
    # 2021: Christmas Saturday, Boxing Day Sunday → substitute days Mon 27 and Tue 28 Dec.
    assert {date(2021, 12, 27), date(2021, 12, 28)} <= bank_holidays(2021)
    assert working_days_between(date(2021, 12, 24), date(2021, 12, 29)) == 1


def test_one_off_bank_holidays_are_included() -> None:
    assert not is_working_day(date(2022, 9, 19))  # State Funeral of Queen Elizabeth II
    assert not is_working_day(date(2023, 5, 8))  # Coronation of King Charles III


def test_the_start_day_does_not_count_and_weekends_never_do() -> None:
    friday = date(2025, 6, 6)
    assert working_days_between(friday, friday) == 0
    assert working_days_between(friday, date(2025, 6, 8)) == 0  # Sunday
    assert working_days_between(friday, date(2025, 6, 9)) == 1  # Monday
    assert working_days_between(date(2025, 6, 9), friday) == 0  # backwards: nothing


def test_counting_agrees_with_stepping_day_by_day_over_three_years() -> None:
    start = date(2023, 1, 1)
    for offset in range(0, 3 * 365, 11):
        end = start + timedelta(days=offset)
        stepped = sum(is_working_day(start + timedelta(days=i)) for i in range(1, offset + 1))
        assert working_days_between(start, end) == stepped, end
        if stepped:
            assert add_working_days(start, stepped) <= end


def test_negative_working_days_are_refused() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        add_working_days(date(2025, 1, 1), -1)
