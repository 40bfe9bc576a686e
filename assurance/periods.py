"""Periods are explicit: ``wres:2024``, ``survey:2024``, ``month:2024-03``.

A WRES/WDES year is the workforce snapshot at 31 March (the 12 months to that date); a Staff
Survey year is the autumn fieldwork year (survey 2024 feeds WRES 2025); a month is a calendar
month. Never a bare integer with an implied meaning (domain.md §10).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

KINDS = {"wres": "wres_year", "survey": "survey_year", "month": "month"}
_KEY = re.compile(r"^(wres|survey):(\d{4})$|^month:(\d{4})-(\d{2})$")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


@dataclass(frozen=True, order=True)
class PeriodSpec:
    end: date
    key: str
    kind: str
    label: str
    start: date


FIRST_YEAR, LAST_YEAR = 1990, 2100
"""The years a period may name (and so every date a command or file gives for one)."""


def parse_period_key(key: str) -> PeriodSpec | None:
    """Parse ``wres:2024`` etc.; None if the key is not in one of the three forms."""
    m = _KEY.match(key.strip())
    if not m:
        return None
    if m.group(1):
        prefix, year = m.group(1), int(m.group(2))
        if not FIRST_YEAR <= year <= LAST_YEAR:
            return None
        if prefix == "wres":
            return PeriodSpec(date(year, 3, 31), key, "wres_year",
                              f"WRES/WDES {year} (snapshot 31 March {year})",
                              date(year - 1, 4, 1))
        return PeriodSpec(date(year, 12, 31), key, "survey_year",
                          f"NHS Staff Survey {year}", date(year, 9, 1))
    year, month = int(m.group(3)), int(m.group(4))
    if not (1 <= month <= 12 and FIRST_YEAR <= year <= LAST_YEAR):
        return None
    last = calendar.monthrange(year, month)[1]
    return PeriodSpec(date(year, month, last), key, "month", f"{MONTHS[month - 1]} {year}",
                      date(year, month, 1))


PERIOD_FORMS = ("'wres:YYYY' (31 March snapshot), 'survey:YYYY' or 'month:YYYY-MM', a year "
                f"from {FIRST_YEAR} to {LAST_YEAR}")


def period_year(key: str) -> int:
    """The year a period key names."""
    return int(key.split(":", 1)[1][:4])


def short_label(key: str) -> str:
    """``wres:2025`` → ``2025``; ``survey:2024`` → ``survey 2024``; ``month:2025-03`` →
    ``Mar 2025`` — for sentences and chart axes."""
    spec = parse_period_key(key)
    if spec is None:
        return key
    if spec.kind == "wres_year":
        return key.split(":")[1]
    if spec.kind == "survey_year":
        return "survey " + key.split(":")[1]
    return f"{MONTHS[spec.end.month - 1][:3]} {spec.end.year}"


def long_date(d: date) -> str:
    """``1 June 2025`` (no leading zero, as board papers and messages write dates)."""
    return f"{d.day} {d:%B %Y}"
