"""The checks every imported figure passes whatever its source: counts non-negative and no
larger than their totals, percentages in range, and the groups of a share splitting one total.

:func:`assurance.ingest.run_import` runs them on every file before anything is stored; rule
test cases (:mod:`assurance.engine.cases`) run :func:`check_figure` on their observations.

Both have a set-wise form for a whole file held as columns (:func:`figures_pass`,
:func:`partitions_pass`): each distinct combination of what a check reads is checked once, and
only a file they do not pass is checked figure by figure, for the located messages.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from itertools import compress, repeat
from operator import gt, is_, not_

from assurance.catalogue import Catalogue
from assurance.figure_columns import FigureColumns, FigureKey, ObservationRow, pick
from assurance.lineage import Lineage, is_published
from assurance.problems import Problem

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


_LOW, _HIGH = -(1 << 62), 1 << 62


def counts_over(numerators: Sequence[int | None], denominators: Sequence[int | None]) -> bool:
    """Whether any row's numerator is larger than its denominator (``num > den >= 0``, both
    given), compared in bulk: each distinct count is mapped once to a key that a blank
    numerator never exceeds and a blank or negative denominator never falls below."""
    num_key = {n: _LOW if n is None else n for n in set(numerators)}
    den_key = {d: _HIGH if d is None or d < 0 else d for d in set(denominators)}
    return any(map(gt, map(num_key.__getitem__, numerators),
                   map(den_key.__getitem__, denominators)))


def figures_pass(figures: FigureColumns, kinds: Mapping[str, str]) -> bool:
    """Whether :func:`check_figure` finds nothing wrong with any of the figures (``kinds``:
    metric id → kind; a metric not in it is not checked, as in the import).

    The counts' checks read the counts alone (negative, numerator over denominator: every
    distinct count and each row's pair compared in bulk); the rest reads only the metric,
    the suppression, the value and whether each count is given, so one representative
    figure of each distinct combination of those is checked.
    """
    if not set(figures.metric) <= kinds.keys():
        figures = figures.take(list(compress(range(len(figures)),
                                             map(kinds.__contains__, figures.metric))))
    nums, dens = set(figures.numerator), set(figures.denominator)
    if any(n is not None and n < 0 for n in nums) or any(d is not None and d < 0 for d in dens):
        return False
    if counts_over(figures.numerator, figures.denominator):
        return False
    combos = set(zip(figures.metric, figures.suppressed, figures.value,
                     map(is_, figures.numerator, repeat(None)),
                     map(is_, figures.denominator, repeat(None)), strict=False))
    for metric, suppressed, value, no_num, no_den in combos:
        kind = kinds.get(metric)
        if kind is not None and check_figure(ObservationRow(
                "", "", metric, value=value, numerator=None if no_num else 0,
                denominator=None if no_den else 0, suppressed=suppressed), kind, ""):
            return False
    return True


def partitions_pass(figures: FigureColumns, cat: Catalogue) -> bool:
    """Whether :func:`check_partitions` finds nothing wrong, computed over the columns: one
    total per band, the numerators summed per band, and the groups of a band that does not
    add up collected only for such bands."""
    partitioned = {m_id for m_id, m in cat.metrics.items() if m.kind in PARTITION_KINDS}
    at = list(compress(range(len(figures)),
                       map(bool.__and__, map(partitioned.__contains__, figures.metric),
                           map(not_, figures.suppressed))))
    if not at:
        return True
    whole = len(at) == len(figures)

    def column(values: object) -> list[object]:
        return values if whole else pick(values, at)  # type: ignore[arg-type,return-value]

    orgs, periods, metrics = column(figures.org_code), column(figures.period_key), \
        column(figures.metric)
    breakdowns, dens = column(figures.breakdown), column(figures.denominator)
    with_total = set(zip(orgs, periods, metrics, breakdowns, dens, strict=True))
    total = {t[:4]: t[4] for t in with_total}
    if len(total) != len(with_total):
        return False  # a band whose groups give different totals
    sums = dict.fromkeys(total, 0)
    for band, num in zip(zip(orgs, periods, metrics, breakdowns, strict=True),
                         column(figures.numerator), strict=True):
        sums[band] += num or 0  # type: ignore[operator]
    short: dict[tuple[object, ...], set[object]] = {}
    for band, added in sums.items():
        t = total[band]
        if t is None or added == t:
            continue
        if added > t:  # type: ignore[operator]
            return False
        short[band] = set()
    if not short:
        return True
    for band, group in zip(zip(orgs, periods, metrics, breakdowns, strict=True),
                           column(figures.group), strict=True):
        if band in short:
            short[band].add(group)
    for short_band, groups in short.items():
        characteristic = cat.metrics[str(short_band[2])].characteristic
        every = set(cat.characteristics.get(characteristic or "", {}).get("groups", {}))
        if every and groups >= every:
            return False
    return True


def import_checks_pass(figures: FigureColumns, cat: Catalogue, defined: frozenset[str],
                  lineage: Lineage) -> bool:
    """Whether :func:`import_problems` finds nothing, judged over the columns' distinct
    values (a national file in well under a second)."""
    return (set(figures.org_code) <= defined
            and not any(_lineage_refuses(b, lineage) for b in set(figures.breakdown))
            and len(set(figures.keys())) == len(figures)
            and figures_pass(figures, {m_id: m.kind for m_id, m in cat.metrics.items()})
            and partitions_pass(figures, cat))


def import_problems(rows: list[ObservationRow], cat: Catalogue, defined: frozenset[str],
                     lineage: Lineage, where: str) -> list[Problem]:
    """Every problem :func:`assurance.ingest.run_import` finds in a file's figures whatever
    its source (unknown organisation, :func:`check_figure`, lineage, duplicate,
    :func:`check_partitions`), each located by its row and column."""
    problems: list[Problem] = []
    kinds = {m_id: m.kind for m_id, m in cat.metrics.items()}
    first_of: dict[FigureKey, ObservationRow] = {}
    for row in rows:
        if row.org_code not in defined:
            problems.append(Problem(where, f"unknown organisation code {row.org_code!r}; "
                                    "register it first (assurance orgs import)", row.line,
                                    "org_code"))
        kind = kinds.get(row.metric)
        if kind is not None:
            problems.extend(check_figure(row, kind, where))
        if _lineage_refuses(row.breakdown, lineage):
            problems.append(_lineage_problem(row, lineage, where))
        key = (row.org_code, row.period_key, row.metric, row.group, row.breakdown)
        first = first_of.setdefault(key, row)
        if first is not row:
            problems.append(Problem(where, f"duplicate figure for {'/'.join(key)} "
                                    f"(first on row {first.line})", row.line))
    problems.extend(check_partitions(rows, cat, where))
    return problems


def _lineage_refuses(breakdown: str, lineage: Lineage) -> bool:
    return is_published(breakdown) != lineage.published or (
        lineage.published and breakdown != lineage.breakdown)


def _lineage_problem(row: ObservationRow, lineage: Lineage, where: str) -> Problem:
    """A figure whose breakdown says it was published when its source does not (or the
    other way round): stored, it would sit in another lineage's figures."""
    if lineage.published:
        return Problem(where, f"figure {row.metric} of {row.org_code} has breakdown "
                       f"{row.breakdown!r}; expected {lineage.breakdown!r}, the breakdown of "
                       f"figures published by {lineage.published_by} (an importer error)",
                       row.line, "breakdown")
    return Problem(where, f"breakdown {row.breakdown!r} is reserved for figures copied from a "
                   "publication (the gov.uk gender pay gap download: gpg_csv); expected "
                   "another breakdown", row.line, "breakdown")
