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


class ProblemsError(Exception):
    """Raised with every problem found, so the caller can print them all at once."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest choice, or ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
