"""``attestation``: a current attestation of a named statement, not about to lapse.

What it does: breaches when the organisation has no current attestation of ``statement`` in
the attestation register (``assurance attestations``) on the evaluation date — none was ever
recorded, the last one expired, or it was withdrawn — and also when the current one expires
within ``warn_days`` days of the evaluation date, so the finding opens **before** the
attestation lapses and there is time to renew it. An attestation is current from its
``attested_on`` date through its ``valid_until`` date, unless it was withdrawn on or before
the evaluation date; of several current ones (a renewal recorded early), the one valid longest
counts.

Why it matters: NHS England's EDI Improvement Plan (June 2023) measures several of its six
High Impact Actions by things that are not figures — every board member has specific,
measurable EDI objectives; the plan was published; a policy was reviewed — and each is true
only for a time. An attestation nobody renews is a gap in the well-led evidence, not a pass.

Example::

    - id: hia.1a.board-objectives
      metric: wres.9          # the figure the statement is about; its periods pace escalation
      when: {attestation: {statement: hia.1.board-objectives,
                           text: Every board member has specific, measurable EDI objectives.,
                           warn_days: 60}}

Options: ``statement`` (required; dotted lower-case id, the one ``attestations add`` records),
``text`` (the statement's wording, offered as the default text when one is recorded),
``warn_days`` (default 30; 0 breaches only once the attestation has lapsed), ``since`` (a date:
the requirement applies from then; evaluated earlier the rule gives *no data*, so replaying
history does not find a trust in breach of a plan that did not exist yet).

Who is checked: like a missing return, an absent attestation is itself the breach, so every
organisation in ``organisations.accountable`` is evaluated even without any figures, besides
every organisation with figures for the rule's metric.

Known limitations: the register records that someone in a named role attested the statement
and the evidence file's SHA-256; whether the evidence supports it is for people to judge.
A rule needs a ``metric`` (rule packs require one): name the figure the statement is about;
the finding's periods, and so its escalation, follow that metric's periods. Organisations
with figures for that metric but no attestations at all (peers in a national file) breach too.

References: domain.md §12 (EDI Improvement Plan, High Impact Actions and success metrics).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from assurance.engine.conditions.base import (
    Condition,
    EvalContext,
    FactSpec,
    ParseContext,
    Verdict,
)
from assurance.engine.conditions.common import params
from assurance.engine.data import AttestationInfo
from assurance.engine.yamlsrc import Pos
from assurance.periods import long_date

KIND = "attestation"
STATEMENT_ID = re.compile(r"^[a-z0-9]+(\.[a-z0-9_-]+)+$")
DEFAULT_WARN_DAYS = 30


def _days(n: int) -> str:
    return f"{n} day" + ("" if n == 1 else "s")


class AttestationRequired(Condition):
    kind = KIND
    per_division = False  # an organisation attests, not a division
    # Days until the current attestation lapses (derived: exact audiences; the summary says
    # the date to everyone).
    facts = {"days_left": FactSpec("Days until the attestation lapses", "derived", "")}

    def __init__(self, statement: str, text: str, warn_days: int, since: date | None = None):
        self.statement, self.text, self.warn_days, self.since = statement, text, warn_days, since

    def reports_absence(self) -> bool:
        return True

    def assured_heading(self) -> str:
        return "Attested: " + (self.text.rstrip(".") or self.statement)

    def describe(self) -> str:
        soon = (f", or the current one expires within {_days(self.warn_days)}"
                if self.warn_days else "")
        return f"there is no current attestation of {self.statement}{soon}"

    def evaluate(self, ctx: EvalContext) -> Verdict:
        day = ctx.data.as_of
        if self.since is not None and day < self.since:
            return Verdict("no_data", f"{self.statement} is required from "
                           f"{long_date(self.since)}; not judged before then.")
        mine = [a for a in ctx.org.attestations
                if a.statement == self.statement and a.attested_on <= day]
        current = [a for a in mine if a.current_on(day)]
        if not current:
            return Verdict("breach", self._why_none(mine, day))
        best = max(current, key=lambda a: (a.valid_until, a.id))
        left = (best.valid_until - day).days
        said = (f"{self.statement} attested by the {best.attested_by} on "
                f"{long_date(best.attested_on)}, valid until {long_date(best.valid_until)}")
        if left <= self.warn_days:
            return Verdict("breach", f"{said}: it lapses in {_days(left)}, within the "
                           f"{_days(self.warn_days)} warning; renew it before it lapses.",
                           facts={"days_left": left})
        evidence = "" if best.evidence_sha256 else " (no evidence file recorded)"
        return Verdict("ok", f"{said}{evidence}.", facts={"days_left": left})

    def _why_none(self, mine: list[AttestationInfo], day: Any) -> str:
        return self._why_none_of(mine, day) + self._to_attest()

    def _why_none_of(self, mine: list[AttestationInfo], day: Any) -> str:
        if not mine:
            return f"No attestation of {self.statement} is recorded for this organisation."
        last = max(mine, key=lambda a: (a.attested_on, a.id))
        if last.withdrawn_on is not None and last.withdrawn_on <= day:
            return (f"The attestation of {self.statement} made on "
                    f"{long_date(last.attested_on)} was withdrawn on "
                    f"{long_date(last.withdrawn_on)}; none is current.")
        return (f"The attestation of {self.statement} made on {long_date(last.attested_on)} "
                f"expired after {long_date(last.valid_until)}; none is current.")

    def _to_attest(self) -> str:
        """What is to be attested, for a reader who does not know the statement's id."""
        text = self.text.strip().rstrip(".")
        return f" The statement to attest: \u201c{text}.\u201d" if text else ""


def parse(spec: Any, pos: Pos, pc: ParseContext) -> Condition | None:
    p = params(spec, pos, pc, KIND, ("statement", "text", "warn_days", "since"),
               required=("statement",))
    if p is None:
        return None
    statement = pc.chk.text(p, "statement")
    if statement is not None and not STATEMENT_ID.match(statement):
        pc.chk.error(p.value_pos["statement"], f"statement id '{statement}' must be dotted "
                     "lower-case words, e.g. hia.1.board-objectives")
        return None
    text = pc.chk.text(p, "text", "") or ""
    warn = pc.chk.integer(p, "warn_days", DEFAULT_WARN_DAYS, minimum=0)
    since = p.get("since")
    if since is not None and not isinstance(since, date):
        pc.chk.error(p.value_pos["since"], f"'since': found {since!r}; expected a date like "
                     "2024-03-31")
        return None
    if statement is None or warn is None:
        return None
    return AttestationRequired(statement, " ".join(text.split()), warn, since)
