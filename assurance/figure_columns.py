"""A file's figures as columns: what an import checks, compares and stores in bulk.

A national metrics file holds hundreds of thousands of figures but only a few hundred
distinct organisation codes, periods and metrics and a few thousand distinct counts. Held as
one list per column, the figures share those values (a row costs a few pointers, not an
object), the checks run over each column's distinct values (:mod:`assurance.figure_checks`),
and the store takes the rows as tuples zipped from the columns, with no Python code run per
row. :class:`ObservationRow` remains the one-figure form: sources that build figures one at a
time produce rows (:meth:`FigureColumns.from_rows`), and a file whose checks find a problem is
read row by row again for the located messages.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter

#: A figure's identity: org_code, period_key, metric, group, breakdown.
FigureKey = tuple[str, str, str, str, str]


@dataclass(frozen=True, slots=True)
class ObservationRow:
    """One figure parsed from a file, with where it came from (for error messages)."""

    org_code: str
    period_key: str
    metric: str
    group: str = "all"
    breakdown: str = ""
    value: float | None = None
    numerator: int | None = None
    denominator: int | None = None
    suppressed: bool = False
    note: str | None = None
    line: int | None = None


#: The columns, in :class:`ObservationRow`'s field order.
FIELDS = ("org_code", "period_key", "metric", "group", "breakdown", "value", "numerator",
          "denominator", "suppressed", "note", "line")


@dataclass(frozen=True)
class FigureColumns:
    """Figures in file order, one sequence per :class:`ObservationRow` field, all of one
    length. Row ``i`` is the ``i``-th element of every column."""

    org_code: Sequence[str]
    period_key: Sequence[str]
    metric: Sequence[str]
    group: Sequence[str]
    breakdown: Sequence[str]
    value: Sequence[float | None]
    numerator: Sequence[int | None]
    denominator: Sequence[int | None]
    suppressed: Sequence[bool]
    note: Sequence[str | None]
    line: Sequence[int | None]

    def __post_init__(self) -> None:
        lengths = {len(getattr(self, name)) for name in FIELDS}
        if len(lengths) > 1:
            raise ValueError(f"figure columns of different lengths {sorted(lengths)}")

    def __len__(self) -> int:
        return len(self.org_code)

    @classmethod
    def from_rows(cls, rows: Sequence[ObservationRow]) -> FigureColumns:
        return cls(*(list(map(attrgetter(name), rows)) for name in FIELDS))

    @classmethod
    def empty(cls) -> FigureColumns:
        return cls(*([] for _ in FIELDS))

    def columns(self) -> list[Sequence[object]]:
        return [getattr(self, name) for name in FIELDS]

    def keys(self) -> Iterator[FigureKey]:
        """Each figure's key, in file order."""
        return zip(self.org_code, self.period_key, self.metric, self.group, self.breakdown,
                   strict=True)

    def row(self, i: int) -> ObservationRow:
        return ObservationRow(*(column[i] for column in self.columns()))  # type: ignore[arg-type]

    def rows(self) -> list[ObservationRow]:
        """Every figure as a row (for the located messages of a file with a problem)."""
        return [ObservationRow(*r) for r in zip(*self.columns(), strict=True)]

    def take(self, indices: Sequence[int]) -> FigureColumns:
        """The figures at ``indices`` (in that order)."""
        return FigureColumns(*(pick(column, indices) for column in self.columns()))  # type: ignore[arg-type]


def pick(column: Sequence[object], indices: Sequence[int]) -> list[object]:
    """``[column[i] for i in indices]`` without Python code run per element."""
    if not indices:
        return []
    if len(indices) == 1:
        return [column[indices[0]]]
    return list(itemgetter(*indices)(column))
