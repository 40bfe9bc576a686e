"""The person-level part of the pay gap import, in DuckDB: each group's counts, means and
medians, and the pay quartiles, from the checked rows of one pay extract (table ``s``).

Only aggregates leave DuckDB; :mod:`connectors.pay_csv` turns them into figures with
:mod:`assurance.stats.paygap`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb



@dataclass(frozen=True)
class GroupStats:
    """One group's pay in one organisation, year and scope, as DuckDB aggregated it."""

    relevant: int
    fullpay: int
    mean: float | None
    median: float | None
    bonus_n: int
    bonus_mean: float | None
    bonus_median: float | None


def group_stats(con: duckdb.DuckDBPyConnection, column: str
                ) -> dict[tuple[str, int, str, str], GroupStats]:
    """Counts, means and medians of hourly and bonus pay per organisation, year, scope and
    group (``column``: the sex, ethnicity or disability group of each row of table ``s``)."""
    rows = con.execute(f"""
        SELECT org, year, scope, {column} AS grp, count(*), count(pay),
               fsum(pay) / nullif(count(pay), 0), median(pay),
               count(*) FILTER (WHERE bonus > 0),
               fsum(bonus) FILTER (WHERE bonus > 0)
                   / nullif(count(*) FILTER (WHERE bonus > 0), 0),
               median(bonus) FILTER (WHERE bonus > 0)
        FROM s GROUP BY ALL
    """).fetchall()
    return {(r[0], int(r[1]), r[2], r[3]): GroupStats(
        int(r[4]), int(r[5]), _float(r[6]), _float(r[7]), int(r[8]), _float(r[9]),
        _float(r[10])) for r in rows}


def quartile_counts(con: duckdb.DuckDBPyConnection, column: str, *, men_and_women: bool
               ) -> dict[tuple[str, int, str, str, int], int]:
    """Quartile counts: ranked by pay, those on equal pay spread evenly through their tie (the
    k-th of a group's n members at (2k − 1) ÷ 2n of the way, equal places in group order),
    quartile = rank × 4 // n — the rules of :func:`assurance.stats.paygap.quartile_of` and
    :func:`~assurance.stats.paygap.interleave_ties`."""
    only = "AND sex IN ('men', 'women')" if men_and_women else ""
    rows = con.execute(f"""
        WITH r AS (SELECT org, year, scope, {column} AS grp, pay FROM s
                   WHERE pay IS NOT NULL {only}),
             t AS (SELECT *, (2 * row_number() OVER w - 1) / (2 * count(*) OVER w) AS place
                   FROM r WINDOW w AS (PARTITION BY org, year, scope, pay, grp)),
             k AS (SELECT *, row_number() OVER (PARTITION BY org, year, scope
                                                ORDER BY pay, place, grp) - 1 AS rk,
                          count(*) OVER (PARTITION BY org, year, scope) AS n FROM t)
        SELECT org, year, scope, grp, (rk * 4) // n AS q, count(*) FROM k GROUP BY ALL
    """).fetchall()
    return {(r[0], int(r[1]), r[2], r[3], int(r[4])): int(r[5]) for r in rows}


def _float(v: object) -> float | None:
    return None if v is None else float(v)  # type: ignore[arg-type]
