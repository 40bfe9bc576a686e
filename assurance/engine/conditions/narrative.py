"""``narrative_present``: a yes/no narrative item answered yes with a description.

What it does: breaches when the organisation answered "no" (value 0) or gave no description
(e.g. WDES 9b: "Has the organisation taken action to facilitate the voices of Disabled
staff to be heard?"). ``min_words`` sets how long the description must be.

Why it matters: WDES 9b is evidence a regulator reads as narrative; an empty answer is a gap
in the well-led evidence, not a pass.

Example::

    when: {narrative_present: {min_words: 5}}

Options: ``min_words`` (default 1).

Known limitations: the tool checks that a description exists, not its quality; the text is
shown in the evidence document for people to judge.

References: domain.md §2 (WDES 9b).
"""

from __future__ import annotations

from typing import Any

from assurance.engine.conditions.base import (
    Condition,
    EvalContext,
    FactSpec,
    ParseContext,
    Verdict,
    usable_figure,
    verdict,
)
from assurance.engine.conditions.common import params
from assurance.engine.yamlsrc import Pos
from assurance.periods import short_label

KIND = "narrative_present"


class NarrativePresent(Condition):
    kind = KIND
    per_division = False  # a narrative is the organisation's
    facts = {"words": FactSpec("Words in the description", "derived", "count")}

    def __init__(self, min_words: int):
        self.min_words = min_words

    def describe(self) -> str:
        return ("the organisation answered no, or gave no description"
                + (f" of at least {self.min_words} words" if self.min_words > 1 else ""))

    def evaluate(self, ctx: EvalContext) -> Verdict:
        fig = usable_figure(ctx)
        if isinstance(fig, Verdict):
            return fig
        assert fig.value is not None
        words = len((fig.note or "").split())
        if fig.value < 0.5:
            return verdict("breach", f"Answered no for {short_label(fig.period_key)}.", ctx, fig,
                           words=words)
        if words < self.min_words:
            return verdict("breach", f"Answered yes for {short_label(fig.period_key)} but the description "
                           f"has {words} words.", ctx, fig, words=words)
        return verdict("ok", f"Answered yes for {short_label(fig.period_key)}: “{fig.note}”", ctx, fig,
                       words=words)


def parse(spec: Any, pos: Pos, pc: ParseContext) -> Condition | None:
    p = params(spec, pos, pc, KIND, ("min_words",))
    if p is None or pc.metric is None:
        return None
    if pc.metric.kind != "narrative":
        pc.chk.error(pos, f"'{KIND}' needs a narrative metric; {pc.metric.id} is "
                     f"{pc.metric.kind}")
        return None
    return NarrativePresent(pc.chk.integer(p, "min_words", 1, minimum=1) or 1)
