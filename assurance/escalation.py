"""Escalating findings people have left alone: unacknowledged, or with an overdue action.

Two clocks, both in working days (England, bank holidays excluded: :mod:`assurance.workdays`),
both on top of the level a finding's consecutive periods in breach give it, and never above
the rule's ``escalate.max``:

* **unacknowledged** — a rule may say ``escalate: {unacknowledged_working_days: 10}``. While
  one of its findings is open, unacknowledged and not silenced, it climbs one level for every
  10 working days since ``opened_on``. Acknowledging stops this clock (a reopened finding
  needs acknowledging again).
* **overdue action** — once a finding's action is past its due date (``findings assign
  --due``) and the finding is still open and not silenced, it climbs one level on the first
  working day after the due date and one more every :data:`OVERDUE_STEP_WORKING_DAYS` working
  days after that (the rule's ``unacknowledged_working_days`` instead, when it sets one), for
  every rule. A new due date (assigning again) restarts this clock; acknowledging does not
  stop it.

The finding goes to the higher of the two levels. Running it again on the same day changes
nothing. Each climb is an ``escalated`` finding event and audit event (``reason``
``unacknowledged`` or ``overdue``), written like :mod:`assurance.findings` writes them, and
returned as a transition so the caller can pass it to :func:`assurance.outbox.enqueue` in the
same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from assurance.config import Settings
from assurance.engine.rules import Rule
from assurance.findings import Transition, level_for, record_transition
from assurance.models import Finding
from assurance.periods import long_date
from assurance.workdays import working_days_between

OVERDUE_STEP_WORKING_DAYS = 10
"""Working days between climbs of a finding whose action is overdue (after the first)."""


def _unacknowledged(rule: Rule, f: Finding, as_of: date) -> tuple[int, int] | None:
    """(levels to climb, working days unacknowledged), or None when this clock is off."""
    days = rule.escalate.unacknowledged_working_days
    if not days or f.ack_at is not None or f.opened_on is None:
        return None
    elapsed = working_days_between(f.opened_on, as_of)
    return elapsed // days, elapsed


def _overdue(rule: Rule, f: Finding, as_of: date) -> tuple[int, int] | None:
    """(levels to climb, working days overdue), or None when the action is not overdue."""
    if f.action_due is None or f.action_due >= as_of:
        return None
    late = working_days_between(f.action_due, as_of)
    if late < 1:  # past the due date only by a weekend or bank holiday
        return None
    step = rule.escalate.unacknowledged_working_days or OVERDUE_STEP_WORKING_DAYS
    return 1 + (late - 1) // step, late


def escalate_unacknowledged(session: Session, settings: Settings, as_of: date, at: datetime,
                            rules_by_id: Mapping[str, Rule], *,
                            actor: str = "scheduler") -> list[Transition]:
    """Raise the level of open findings left unacknowledged too long, or whose action is
    overdue (caller commits).

    Args:
        session: the store session; events are written in its transaction.
        settings: gives the escalation ladder.
        as_of: the day to count working days to.
        at: when (event and audit timestamps).
        rules_by_id: the loaded rules; findings of rules not here are left alone.
        actor: recorded on the events.

    Returns:
        The ``escalated`` transitions, for :func:`assurance.outbox.enqueue`.
    """
    levels = tuple(settings.escalation_levels)
    candidates = session.exec(select(Finding).where(
        col(Finding.open).is_(True),
        or_(col(Finding.ack_at).is_(None), col(Finding.action_due) < as_of),
    ).order_by(col(Finding.id))).all()
    out: list[Transition] = []
    for f in candidates:
        rule = rules_by_id.get(f.rule_id)
        if rule is None or (f.silenced_until is not None and f.silenced_until >= as_of):
            continue
        if f.status == "ok":  # met again, recovering towards resolution: the clocks pause
            continue
        clocks = {reason: got for reason, got in (("unacknowledged", _unacknowledged(rule, f, as_of)),
                                                  ("overdue", _overdue(rule, f, as_of)))
                  if got is not None}
        if not clocks:
            continue
        reason = max(clocks, key=lambda r: clocks[r][0])  # the clock that climbs furthest
        climb, elapsed = clocks[reason]
        by_periods = levels.index(level_for(rule, max(f.consecutive_periods, 1), levels))
        top = levels.index(rule.escalate.max) if rule.escalate.max in levels else len(levels) - 1
        target = min(by_periods + climb, max(top, by_periods))
        current = levels.index(f.level) if f.level in levels else 0
        if target <= current:
            continue
        previous, f.level, f.updated_at = f.level, levels[target], at
        session.add(f)
        if reason == "unacknowledged":
            opened = long_date(f.opened_on) if f.opened_on else "?"
            summary = (f"Not acknowledged {elapsed} working days after it opened on {opened}; "
                       f"escalated from {previous} to {f.level}.")
            details: dict[str, Any] = {"threshold": rule.escalate.unacknowledged_working_days}
        else:
            assert f.action_due is not None  # the overdue clock runs only from a due date
            summary = (f"The action owned by {f.action_owner} was due on {long_date(f.action_due)} "
                       f"and is {elapsed} working day{'s' if elapsed != 1 else ''} overdue; "
                       f"escalated from {previous} to "
                       f"{f.level}.")
            details = {"due": f.action_due, "owner": f.action_owner}
        out.append(record_transition(
            session, f, "escalated", at=at, as_of=as_of, actor=actor, summary=summary,
            prev_level=previous,
            details={"reason": reason, "working_days": elapsed,
                     "consecutive_periods": f.consecutive_periods, **details}))
    return out
