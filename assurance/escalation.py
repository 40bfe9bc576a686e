"""Escalating findings nobody acknowledged: one level per N working days since they opened.

A rule may say ``escalate: {unacknowledged_working_days: 10}``. While one of its findings is
open, unacknowledged and not silenced, it climbs one level of the ladder for every 10 working
days (England, bank holidays excluded: :mod:`assurance.workdays`) since ``opened_on``, on top
of the level its consecutive periods in breach give it, and never above the rule's
``escalate.max``. Running it again on the same day changes nothing; acknowledging the finding
stops the climb (a reopened finding needs acknowledging again).

Each climb is an ``escalated`` finding event and audit event, written like
:mod:`assurance.findings` writes them, and returned as a transition so the caller can pass it
to :func:`assurance.outbox.enqueue` in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlmodel import Session, col, select

from assurance.config import Settings
from assurance.engine.rules import Rule
from assurance.findings import Transition, level_for, record_transition
from assurance.models import Finding
from assurance.workdays import working_days_between


def _target(rule: Rule, f: Finding, levels: tuple[str, ...], as_of: date) -> tuple[int, int]:
    """(level index the finding should be at, working days unacknowledged)."""
    days = rule.escalate.unacknowledged_working_days
    assert days and f.opened_on is not None
    elapsed = working_days_between(f.opened_on, as_of)
    by_periods = levels.index(level_for(rule, max(f.consecutive_periods, 1), levels))
    top = levels.index(rule.escalate.max) if rule.escalate.max in levels else len(levels) - 1
    return min(by_periods + elapsed // days, max(top, by_periods)), elapsed


def escalate_unacknowledged(session: Session, settings: Settings, as_of: date, at: datetime,
                            rules_by_id: Mapping[str, Rule], *,
                            actor: str = "scheduler") -> list[Transition]:
    """Raise the level of open findings left unacknowledged too long (caller commits).

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
        col(Finding.open).is_(True), col(Finding.ack_at).is_(None),
        col(Finding.opened_on).is_not(None)).order_by(col(Finding.id))).all()
    out: list[Transition] = []
    for f in candidates:
        rule = rules_by_id.get(f.rule_id)
        if rule is None or not rule.escalate.unacknowledged_working_days:
            continue
        if f.silenced_until is not None and f.silenced_until >= as_of:
            continue
        target, elapsed = _target(rule, f, levels, as_of)
        current = levels.index(f.level) if f.level in levels else 0
        if target <= current:
            continue
        previous, f.level, f.updated_at = f.level, levels[target], at
        session.add(f)
        opened = f"{f.opened_on:%d %B %Y}" if f.opened_on else "?"
        summary = (f"Not acknowledged {elapsed} working days after it opened on {opened}; "
                   f"escalated from {previous} to {f.level}.")
        out.append(record_transition(
            session, f, "escalated", at=at, as_of=as_of, actor=actor, summary=summary,
            prev_level=previous,
            details={"reason": "unacknowledged", "working_days": elapsed,
                     "threshold": rule.escalate.unacknowledged_working_days,
                     "consecutive_periods": f.consecutive_periods}))
    return out
