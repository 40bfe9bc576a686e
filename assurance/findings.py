"""Findings: turning evaluation outcomes into a lifecycle a board can follow.

One finding per (rule, organisation, scope) with a stable fingerprint. Applying a run's
outcomes gives transitions:

* **opened** — a breach where none was open (``times_opened`` counts re-openings);
* **continuing** — still in breach in a later period (consecutive periods counted);
* **escalated** — the consecutive count crossed the rule's ``after_periods`` step, raising
  the level on the ladder (EDI lead → executive lead → board committee → regulator);
* **resolved** — back to ok, with how long it was open;
* **no_data** / **error** — the evaluation could not judge an open finding (never "ok");
* **silence_expired** — a silence's expiry passed, so the finding speaks again.

Re-running the same period changes nothing (idempotent). People add **acknowledged**,
**assigned** (action owner, due date) and **silenced** (reason, approver, expiry). Every
transition is a ``finding_event`` row and an audit event in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from assurance import audit
from assurance.engine.evaluate import Outcome
from assurance.engine.rules import Rule
from assurance.models import Finding, FindingEvent
from assurance.periods import parse_period_key
from assurance.problems import Problem, ProblemsError


def fingerprint(rule_id: str, org_code: str, scope: str = "") -> str:
    return hashlib.sha256(f"{rule_id}|{org_code}|{scope}".encode()).hexdigest()[:40]


@dataclass(frozen=True)
class Transition:
    finding: Finding
    event: FindingEvent
    previous_level: str | None


def level_for(rule: Rule, consecutive: int, levels: Sequence[str]) -> str:
    """The ladder level after ``consecutive`` periods in breach."""
    start = levels.index(rule.escalate.start) if rule.escalate.start in levels else 0
    top = levels.index(rule.escalate.max) if rule.escalate.max in levels else len(levels) - 1
    steps = max(consecutive - 1, 0) // max(rule.escalate.after_periods, 1)
    return levels[min(start + steps, top)]


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def record_transition(s: Session, f: Finding, kind: str, *, at: datetime, as_of: date, actor: str,
            summary: str, prev_level: str | None = None,
            details: dict[str, Any] | None = None) -> Transition:
    assert f.id is not None
    ev = FindingEvent(finding_id=f.id, at=at, as_of=as_of, period=f.last_period, kind=kind,
                      level=f.level, status=f.status, summary=summary, actor=actor,
                      details=_json(details or {}))
    s.add(ev)
    audit.append(s, at=at, actor=actor, action=f"finding.{kind}",
                 subject=f"finding:{f.fingerprint}",
                 details={"rule": f.rule_id, "org": f.org_code, "period": f.last_period,
                          "level": f.level, "status": f.status, **(details or {})})
    return Transition(f, ev, prev_level)


def apply_outcomes(s: Session, outcomes: Sequence[Outcome], levels: Sequence[str], *,
                   as_of: date, at: datetime, actor: str) -> list[Transition]:
    """Apply one evaluation run's outcomes (caller commits). Returns the transitions."""
    prints = {fingerprint(o.rule.id, o.org.code, o.scope): o for o in outcomes}
    existing = {f.fingerprint: f for f in s.exec(
        select(Finding).where(col(Finding.fingerprint).in_(list(prints))))}
    out: list[Transition] = []
    for fp, o in prints.items():
        f = existing.get(fp)
        if f is None:
            if o.status not in ("breach", "error"):
                continue  # nothing to follow yet
            f = Finding(fingerprint=fp, rule_id=o.rule.id, pack=o.rule.pack,
                        org_code=o.org.code, scope=o.scope, title=o.rule.title,
                        severity=o.rule.severity, labels=_json(o.rule.labels),
                        evidence=_json(o.rule.evidence), status="new", updated_at=at)
            s.add(f)
            s.flush()
        out.extend(_apply(s, f, o, levels, as_of=as_of, at=at, actor=actor))
    return out


def _apply(s: Session, f: Finding, o: Outcome, levels: Sequence[str], *, as_of: date,
           at: datetime, actor: str) -> list[Transition]:
    out: list[Transition] = []
    if _older(o.period, f.last_period):
        # Evaluating an earlier date again (a report for last year, a mistaken --as-of) must
        # not rewrite the finding's history or re-send its escalations.
        return out
    if f.silenced_until is not None and as_of > f.silenced_until:
        reason = f.silenced_reason
        f.silenced_until = f.silenced_reason = f.silenced_by = None
        out.append(record_transition(s, f, "silence_expired", at=at, as_of=as_of, actor=actor,
                           summary=f"Silence expired (was: {reason}); the finding speaks again."))
    same_period = f.last_period == o.period and f.status == o.status
    if same_period and not out:
        return out
    fig = o.verdict.figure if o.verdict else None
    f.title, f.severity = o.rule.title, o.rule.severity
    f.labels, f.evidence = _json(o.rule.labels), _json(o.rule.evidence)
    f.summary, f.updated_at = o.summary, at
    f.value = fig.value if fig is not None else None
    f.facts = _json({**o.verdict.facts, **({"movement": o.verdict.movement.as_facts()}
                                          if o.verdict.movement else {})}
                    if o.verdict else {})
    previous_status, f.status, f.last_period = f.status, o.status, o.period
    if same_period:
        return out
    if o.status == "breach":
        prev_level = f.level
        if not f.open:
            f.open, f.consecutive_periods, f.times_opened = True, 1, f.times_opened + 1
            f.first_breach_period = f.last_breach_period = o.period
            f.opened_on, f.resolved_on = as_of, None
            f.level = level_for(o.rule, 1, levels)
            f.ack_by = f.ack_at = f.ack_note = None
            kind = "opened" if f.times_opened == 1 else "reopened"
            out.append(record_transition(s, f, kind, at=at, as_of=as_of, actor=actor, summary=o.summary))
        elif f.last_breach_period != o.period:
            f.consecutive_periods += 1
            f.last_breach_period = o.period
            by_periods = level_for(o.rule, f.consecutive_periods, levels)
            # Never lower an open finding's level (it may have been raised for being left
            # unacknowledged): keep the higher of the two.
            order = list(levels)
            f.level = max((lv for lv in (by_periods, prev_level) if lv is not None and lv in order),
                          key=order.index, default=by_periods)
            kind = "escalated" if f.level != prev_level else "continuing"
            out.append(record_transition(s, f, kind, at=at, as_of=as_of, actor=actor, summary=o.summary,
                               prev_level=prev_level,
                               details={"consecutive_periods": f.consecutive_periods}))
    elif o.status == "ok":
        if f.open:
            days = (as_of - f.opened_on).days if f.opened_on else None
            periods = f.consecutive_periods
            f.open, f.resolved_on, f.consecutive_periods = False, as_of, 0
            out.append(record_transition(s, f, "resolved", at=at, as_of=as_of, actor=actor,
                               summary=f"Resolved after {periods} period"
                               + ("s" if periods != 1 else "") + " in breach"
                               + (f" ({days} days)" if days is not None else "") + ": "
                               + o.summary, details={"periods": periods, "days": days}))
    elif o.status == "outside":
        # Outside the range but no longer significant: NHS England still flags the figure,
        # so an open finding stays open (neither resolved nor escalated); none is opened.
        if f.open:
            out.append(record_transition(s, f, "continuing", at=at, as_of=as_of, actor=actor,
                                         summary=o.summary, details={"significant": False}))
    elif previous_status != o.status:
        kind = "error" if o.status == "error" else "no_data"
        out.append(record_transition(s, f, kind, at=at, as_of=as_of, actor=actor, summary=o.summary))
    return out


def _older(period: str | None, than: str | None) -> bool:
    if period is None or than is None:
        return False
    a, b = parse_period_key(period), parse_period_key(than)
    return a is not None and b is not None and a.end < b.end


def _get(s: Session, ref: str) -> Finding:
    q = select(Finding).where(Finding.id == int(ref)) if ref.isdigit() else select(
        Finding).where(col(Finding.fingerprint).startswith(ref))
    found = s.exec(q).all()
    if len(found) != 1:
        raise ProblemsError([Problem("finding", f"no finding {ref!r}" if not found else
                                     f"{ref!r} matches {len(found)} findings; give more of "
                                     "the fingerprint")])
    return found[0]


def acknowledge(s: Session, ref: str, *, who: str, note: str, at: datetime,
                as_of: date) -> Transition:
    f = _get(s, ref)
    f.ack_by, f.ack_at, f.ack_note, f.updated_at = who, at, note, at
    return record_transition(s, f, "acknowledged", at=at, as_of=as_of, actor=who,
                   summary=f"Acknowledged by {who}: {note}", details={"note": note})


def assign(s: Session, ref: str, *, owner: str, due: date | None, note: str | None,
           actor: str, at: datetime, as_of: date) -> Transition:
    f = _get(s, ref)
    f.action_owner, f.action_due, f.action_note, f.updated_at = owner, due, note, at
    due_text = f", due {due:%d %B %Y}" if due else ""
    return record_transition(s, f, "assigned", at=at, as_of=as_of, actor=actor,
                   summary=f"Action assigned to {owner}{due_text}" + (f": {note}" if note else ""),
                   details={"owner": owner, "due": due, "note": note})


def silence(s: Session, ref: str, *, reason: str, approver: str, until: date, actor: str,
            at: datetime, as_of: date) -> Transition:
    if until <= as_of:
        raise ProblemsError([Problem("--until", f"expiry {until} must be after {as_of}")])
    if not reason.strip() or not approver.strip():
        raise ProblemsError([Problem("silence", "a silence needs a reason and an approver")])
    f = _get(s, ref)
    f.silenced_reason, f.silenced_by, f.silenced_until, f.updated_at = reason, approver, until, at
    return record_transition(s, f, "silenced", at=at, as_of=as_of, actor=actor,
                   summary=f"Silenced until {until:%d %B %Y}, approved by {approver}: {reason}",
                   details={"reason": reason, "approver": approver, "until": until})


def get(s: Session, ref: str) -> tuple[Finding, list[FindingEvent]]:
    f = _get(s, ref)
    events = s.exec(select(FindingEvent).where(FindingEvent.finding_id == f.id)
                    .order_by(col(FindingEvent.id))).all()
    return f, list(events)
