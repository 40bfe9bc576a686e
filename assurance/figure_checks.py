"""The checks every imported figure passes whatever its source: counts non-negative and no
larger than their totals, percentages in range, and the groups of a share splitting one total.

:func:`assurance.ingest.run_import` runs them on every file before anything is stored; rule
test cases (:mod:`assurance.engine.cases`) run :func:`check_figure` on their observations.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

from assurance.catalogue import Catalogue
from assurance.problems import Problem

if TYPE_CHECKING:
    from assurance.ingest import ObservationRow

COUNT_KINDS = {"share", "relative_likelihood", "representation_gap", "monthly_rate", "count"}
PERCENT_KINDS = {"group_percent", "percent", "survey_response"}


def check_figure(row: ObservationRow, kind: str, where: str) -> list[Problem]:
    """Checks shared by every source: counts non-negative, numerator ≤ denominator, ranges."""
    # Run once per figure of every file (371,145 for the national set): plain comparisons
    # first, and a message is only built for a figure that fails one.
    out: list[Problem] = []
    num, den, value = row.numerator, row.denominator, row.value
    if num is not None and num < 0:
        out.append(Problem(where, f"negative count {num}; expected a whole number of people, "
                           "0 or more", row.line, "numerator"))
    if den is not None and den < 0:
        out.append(Problem(where, f"negative count {den}; expected a whole number of people, "
                           "0 or more", row.line, "denominator"))
    if num is not None and den is not None and num > den >= 0:
        out.append(Problem(where, f"numerator {num} is larger than denominator {den}; a group "
                           "cannot have more events than people", row.line, "numerator"))
    if row.suppressed:
        return out
    if kind in COUNT_KINDS and (num is None or den is None):
        out.append(Problem(where, f"metric {row.metric} is built from counts; expected "
                           "numerator and denominator", row.line, "numerator"))
    if value is not None and (math.isnan(value) or math.isinf(value)):
        out.append(Problem(where, f"value {value} is not a number", row.line, "value"))
    elif kind in PERCENT_KINDS:
        if value is None and num is None:
            out.append(Problem(where, f"metric {row.metric} is a percentage; expected value "
                               "(0-100)", row.line, "value"))
        elif value is not None and not 0 <= value <= 100:
            out.append(Problem(where, f"percentage {value} outside 0-100", row.line, "value"))
    return out


PARTITION_KINDS = {"share", "representation_gap"}


def check_partitions(rows: Iterable[ObservationRow], cat: Catalogue, where: str
                     ) -> list[Problem]:
    """Shares split one total: every group's row in a band must carry the same denominator
    (the band's head count), and the groups' numerators cannot add up to more than it — or to
    anything but it when every group (including unknown) is given."""
    partitioned = {m_id for m_id, m in cat.metrics.items() if m.kind in PARTITION_KINDS}
    bands: dict[tuple[str, str, str, str], list[ObservationRow]] = {}
    for r in rows:
        if r.metric in partitioned and not r.suppressed:
            key = (r.org_code, r.period_key, r.metric, r.breakdown)
            band = bands.get(key)
            if band is None:
                bands[key] = [r]
            else:
                band.append(r)
    every_of: dict[str, set[str]] = {}
    out: list[Problem] = []
    for (org, period, metric, breakdown), group_rows in bands.items():
        total = group_rows[0].denominator
        if any(r.denominator != total for r in group_rows):
            dens = {r.denominator for r in group_rows}
            out.append(Problem(where, f"{_band(metric, breakdown, org, period)}: groups give "
                               f"different totals {sorted(d for d in dens if d is not None)} "
                               f"(rows {_lines(group_rows)}); every group's denominator is the "
                               "same head count", group_rows[0].line, "denominator"))
            continue
        if total is None:
            continue
        numerators = sum(r.numerator or 0 for r in group_rows)
        if numerators > total:
            out.append(Problem(where, f"{_band(metric, breakdown, org, period)}: groups add up "
                               f"to {numerators}, more than the total {total} "
                               f"(rows {_lines(group_rows)})", group_rows[0].line, "numerator"))
            continue
        if numerators == total:
            continue
        every = every_of.get(metric)
        if every is None:
            characteristic = cat.metrics[metric].characteristic
            every = every_of[metric] = set(
                cat.characteristics.get(characteristic or "", {}).get("groups", {}))
        if every and {r.group for r in group_rows} >= every:
            out.append(Problem(where, f"{_band(metric, breakdown, org, period)}: every group "
                               f"is given but they add up to {numerators}, not the total "
                               f"{total} (rows {_lines(group_rows)})", group_rows[0].line,
                               "numerator"))
    return out


def _band(metric: str, breakdown: str, org: str, period: str) -> str:
    return f"{metric} {breakdown or 'overall'} for {org} {period}"


def _lines(rows: list[ObservationRow]) -> str:
    return ", ".join(str(r.line) for r in rows if r.line is not None)
