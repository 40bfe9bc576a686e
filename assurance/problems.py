"""Problems a user can act on: where, what was found, what was expected.

Every error in rules, config and input files is a :class:`Problem`. They are collected, never
raised one at a time, and printed as ``path:line:col: error: message`` (style.md). Line and
column are 1-based; converting from a parser's 0-based positions happens only in
:meth:`Problem.at_zero_based`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol, TypeVar

from sqlmodel import Session, SQLModel

R = TypeVar("R", bound=SQLModel)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as the input allows.

    ``where`` is a file path, a config key path or both; ``line``/``column`` are 1-based
    (spreadsheets: ``line`` is the row number and ``column`` the column letter or header).
    """

    where: str
    message: str
    line: int | None = None
    column: int | str | None = None
    severity: str = "error"

    @classmethod
    def at_zero_based(cls, where: str, line0: int, col0: int, message: str) -> Problem:
        """Build a problem from a parser's 0-based position (YAML marks)."""
        return cls(where, message, line0 + 1, col0 + 1)

    def __str__(self) -> str:
        loc = self.where
        if self.line is not None:
            loc += f":{self.line}"
            if self.column is not None:
                loc += f":{self.column}"
        return f"{loc}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class MoreProblems(Problem):
    """The last of a capped list: how many more problems there were than are shown (so a
    list capped again, or sorted, still ends with one true count)."""

    hidden: int = 0

    @classmethod
    def of(cls, where: str, hidden: int, shown: int) -> MoreProblems:
        return cls(where, f"… and {hidden:,} more problems (the first {shown:,} are shown)",
                   hidden=hidden)


class ProblemsError(Exception):
    """Raised with every problem found, so the caller can print them all at once."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest choice, or ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def row_by_id(s: Session, model: type[R], ref: int | str, noun: str, listed_by: str) -> R:
    """The ``model`` row whose id is ``ref`` (a number or its digits).

    Raises:
        ProblemsError: under ``noun`` when there is none, naming ``ref`` and the command
            (``listed_by``) that lists the ids.
    """
    ident = int(ref) if isinstance(ref, int) or str(ref).isdigit() else None
    row = s.get(model, ident) if ident is not None else None
    if row is None:
        raise ProblemsError([Problem(noun, f"no {noun} {ref!r}; expected an id from "
                                     f"{listed_by}")])
    return row


class Withdrawable(Protocol):
    """A record withdrawn by setting ``withdrawn_on`` and ``withdrawn_reason`` (kept as history)."""

    id: int | None
    withdrawn_on: date | None
    withdrawn_reason: str | None


def withdrawal_problems(noun: str, row: Withdrawable, reason: str, expected: str
                        ) -> tuple[str, list[Problem]]:
    """The reason for withdrawing ``row`` with its white space folded, and the problems: no
    reason (``expected`` says what one gives) or ``row`` already withdrawn."""
    why = " ".join(reason.split())
    problems: list[Problem] = []
    if not why:
        problems.append(Problem("--reason", f"found nothing; expected {expected}"))
    if row.withdrawn_on is not None:
        problems.append(Problem(noun, f"{noun} {row.id} was already withdrawn on "
                                f"{row.withdrawn_on} ({row.withdrawn_reason})"))
    return why, problems
