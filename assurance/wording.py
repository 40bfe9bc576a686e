"""How documents and messages write a count of things (``1 rule``, ``48 rules``, never
``48 rule(s)``) and an escalation level (``EDI lead``, never ``edi_lead`` or ``edi lead``):
board papers and messages are read by people, not parsed."""

from __future__ import annotations


def counted(n: int, word: str, many: str | None = None) -> str:
    """``n`` and the word for that many: ``counted(1, "period")`` is ``1 period``,
    ``counted(3, "breach", "breaches")`` is ``3 breaches`` (``many`` defaults to ``word + "s"``)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


LEVEL_LABELS = {"edi_lead": "EDI lead", "executive_lead": "Executive lead",
                "board_committee": "Board committee", "regulator": "Regulator"}


def level_label(level: str | None, *, in_sentence: bool = False) -> str:
    """An escalation level as people write it: ``Executive lead`` (``executive lead`` within
    a sentence), ``EDI lead`` either way; another configured level by its words."""
    if level is None:
        return "not set"
    text = LEVEL_LABELS.get(level, level.replace("_", " ").capitalize())
    return text[0].lower() + text[1:] if in_sentence and not text[:2].isupper() else text
