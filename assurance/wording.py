"""How documents and messages write a count of things: ``1 rule``, ``48 rules``, never
``48 rule(s)`` (board papers are read by people, not parsed)."""

from __future__ import annotations


def counted(n: int, word: str, many: str | None = None) -> str:
    """``n`` and the word for that many: ``counted(1, "period")`` is ``1 period``,
    ``counted(3, "breach", "breaches")`` is ``3 breaches`` (``many`` defaults to ``word + "s"``)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"
