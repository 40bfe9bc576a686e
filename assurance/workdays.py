"""Working days in England: Monday to Friday except England and Wales bank holidays.

Used for deadlines people are held to, such as "escalate a finding nobody has acknowledged
within 10 working days". Bank holidays come from the ``holidays`` package
(``holidays.UnitedKingdom(subdiv="ENG")``), which includes one-off days such as the State
Funeral of Queen Elizabeth II (19 September 2022) and the Coronation (8 May 2023). A bank
holiday that falls at a weekend is replaced by a weekday "substitute day", which the package
lists, so it is counted too.

Known limitations: Scotland and Northern Ireland have different bank holidays (St Andrew's
Day, St Patrick's Day …); an organisation there would need ``subdiv="SCT"``/``"NIR"``, which
this module does not yet take as a setting. Trust-specific closure days are not known.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

SUBDIVISION = "ENG"
"""England (England and Wales share bank holidays)."""


@lru_cache(maxsize=64)
def bank_holidays(year: int) -> frozenset[date]:
    """The England and Wales bank holidays of ``year`` (substitute days included)."""
    return frozenset(holidays.UnitedKingdom(subdiv=SUBDIVISION, years=year))


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a weekday that is not a bank holiday in England."""
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def _weekdays_through(day: date) -> int:
    """Weekdays from a fixed Monday (1 January 0001) up to and including ``day``."""
    n = day.toordinal() - 1  # days since Monday 0001-01-01, which has ordinal 1
    weeks, rest = divmod(n, 7)
    return weeks * 5 + min(rest + 1, 5)


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end <= start``).

    The day something happened does not count, so an event on a Friday is one working day
    old on the following Monday (unless that Monday is a bank holiday).

    Example:
        >>> working_days_between(date(2024, 12, 24), date(2024, 12, 27))  # Christmas, Boxing Day
        1
    """
    if end <= start:
        return 0
    weekdays = _weekdays_through(end) - _weekdays_through(start)
    holidays_in_span = sum(
        1
        for year in range(start.year, end.year + 1)
        for h in bank_holidays(year)
        if start < h <= end and h.weekday() < 5
    )
    return weekdays - holidays_in_span


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself for 0).

    Example:
        >>> add_working_days(date(2025, 4, 17), 1)  # Thursday before Good Friday
        datetime.date(2025, 4, 22)
    """
    if days < 0:
        raise ValueError(f"days must not be negative, got {days}")
    day, left = start, days
    while left:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day
