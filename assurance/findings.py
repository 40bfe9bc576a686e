"""Findings: turning evaluation outcomes into a lifecycle a board can follow.

One finding per (rule, organisation, scope) with a stable fingerprint. Applying a run's
outcomes gives transitions:

* **opened** — a breach where none was open: the first, or one long after the last was
  resolved (a new *episode*: ``times_opened`` counts them, and every subscriber is told
  afresh);
* **reopened** — a breach within ``reopen_within_periods`` (default: the next period) of the
  period the finding was resolved in: the same episode carries on in the same thread, its
  level is not lowered, and those told of the breach are told it is back;
* **continuing** — still in breach in a later period (periods in breach counted; a
  recovering period does not reset the count, as the finding never closed);
* **escalated** — the count crossed the rule's ``after_periods`` step, raising the level on
  the ladder (EDI lead → executive lead → board committee → regulator);
* **recovering** — the rule was met, but not yet for the periods in a row a resolution
  needs (:class:`Damping`: 1 annual period, 2 months by default); the finding stays open and
  nobody is notified (the event is on the finding's history and in the audit log);
* **resolved** — met for those periods in a row, with how long it was open;
* **no_data** / **error** — the evaluation could not judge an open finding (never "ok");
* **silence_expired** — a silence's expiry passed, so the finding speaks again.

Re-running the same period changes nothing (idempotent). People add **acknowledged**,
**assigned** (action owner, a due date not in the past), **silenced** (reason, approver,
expiry) and **resolved** by hand (a note; a later period in breach reopens it). Every
transition is a ``finding_event`` row and an audit event in the same transaction; which of
them notify is :data:`assurance.outbox.messages.EVENT_NAMES`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from assurance import audit
from assurance.config import Settings
from assurance.db import session
from assurance.engine.conditions.base import facts_of
from assurance.engine.evaluate import Outcome
from assurance.engine.rules import Rule
from assurance.models import Finding, FindingEvent, Organisation
from assurance.periods import long_date, parse_period_key
from assurance.problems import Problem, ProblemsError
from assurance.wording import counted

LIFECYCLE_KINDS = ("opened", "reopened", "continuing", "escalated", "recovering", "resolved",
                   "outside", "no_data", "error")
"""Event kinds evaluations write (people's events, such as acknowledged, come in between)."""


@dataclass(frozen=True)
class Damping:
    """How a finding settles, so a figure hovering at a threshold does not flap.

    Attributes:
        resolve_after_annual: periods in a row a rule must be met before a finding on an
            annual period (WRES/WDES year, survey year) resolves.
        resolve_after_monthly: the same for monthly series, whose single months are noisier.
        reopen_within_periods: a breach this many periods or fewer after the period a finding
            was resolved in reopens it (same episode, same thread); later ones open a new
            episode. 0: every later breach is a new episode.
    """

    resolve_after_annual: int = 1
    resolve_after_monthly: int = 2
    reopen_within_periods: int = 1

    def resolve_after(self, period: str | None) -> int:
        """Periods in a row the rule must be met before a finding on ``period`` resolves."""
        spec = parse_period_key(period) if period else None
        monthly = spec is not None and spec.kind == "month"
        return max(self.resolve_after_monthly if monthly else self.resolve_after_annual, 1)

    @classmethod
    def from_settings(cls, settings: Settings) -> Damping:
        """The damping configured in ``[findings]``."""
        f = settings.findings
        return cls(f.resolve_after_annual, f.resolve_after_monthly, f.reopen_within_periods)


DEFAULT_DAMPING = Damping()


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
                   as_of: date, at: datetime, actor: str,
                   damping: Damping | None = None) -> list[Transition]:
    """Apply one evaluation run's outcomes (caller commits). Returns the transitions.

    ``damping`` defaults to :data:`DEFAULT_DAMPING` (``Damping.from_settings(settings)``
    gives the configured one).
    """
    damping = damping or DEFAULT_DAMPING
    prints = {fingerprint(o.rule.id, o.org.code, o.scope): o for o in outcomes}
    existing = {f.fingerprint: f for f in s.exec(
        select(Finding).where(col(Finding.fingerprint).in_(list(prints))))}
    out: list[Transition] = []
    for fp, o in prints.items():
        f = existing.get(fp)
        if f is None:
            if o.status not in ("breach", "error"):
                continue  # nothing to follow yet
            # A division's finding is owned by its accountable role (the division register)
            # until someone assigns the action.
            f = Finding(fingerprint=fp, rule_id=o.rule.id, pack=o.rule.pack,
                        org_code=o.org.code, scope=o.scope, title=o.title,
                        severity=o.rule.severity, labels=_json(o.rule.labels),
                        evidence=_json(o.rule.evidence), status="new", updated_at=at,
                        action_owner=o.division.owner if o.division else None)
            s.add(f)
            s.flush()
        out.extend(_apply(s, f, o, levels, as_of=as_of, at=at, actor=actor, damping=damping))
    return out


def _last_event(s: Session, f: Finding, kinds: Sequence[str]) -> FindingEvent | None:
    return s.exec(select(FindingEvent).where(FindingEvent.finding_id == f.id,
                                             col(FindingEvent.kind).in_(list(kinds)))
                  .order_by(col(FindingEvent.id).desc()).limit(1)).first()


def _met_in_a_row(s: Session, f: Finding) -> int:
    """Periods in a row the rule has been met while the finding stayed open (recovering).
    Escalations by the unacknowledged or overdue clocks happen between evaluations and do
    not break the run."""
    recent = s.exec(select(FindingEvent).where(FindingEvent.finding_id == f.id,
                                               col(FindingEvent.kind).in_(LIFECYCLE_KINDS))
                    .order_by(col(FindingEvent.id).desc()).limit(50)).all()
    last = next((e for e in recent if not (e.kind == "escalated"
                                           and "reason" in json.loads(e.details or "{}"))),
                None)
    if last is None or last.kind != "recovering":
        return 0
    return int(json.loads(last.details or "{}").get("met_periods", 0))


def periods_between(earlier: str | None, later: str | None) -> int | None:
    """How many periods ``later`` comes after ``earlier`` (None: not comparable)."""
    a = parse_period_key(earlier) if earlier else None
    b = parse_period_key(later) if later else None
    if a is None or b is None or a.kind != b.kind:
        return None
    if a.kind == "month":
        return (b.end.year - a.end.year) * 12 + b.end.month - a.end.month
    return b.end.year - a.end.year


def _open(s: Session, f: Finding, o: Outcome, levels: Sequence[str], *, as_of: date,
          at: datetime, actor: str, damping: Damping) -> Transition:
    """Open a finding that is not open: a new episode, or the last one reopened."""
    last = _last_event(s, f, ("resolved",)) if f.times_opened else None
    gap = periods_between(last.period, o.period) if last is not None else None
    within = gap is not None and gap <= damping.reopen_within_periods
    f.open, f.consecutive_periods, f.resolved_on = True, 1, None
    f.last_breach_period = o.period
    f.ack_by = f.ack_at = f.ack_note = None  # a breach that is back needs acknowledging again
    start = level_for(o.rule, 1, levels)
    if within and last is not None:
        # The same episode carries on: the same receivers, the level it had reached.
        order = list(levels)
        f.level = max((lv for lv in (start, f.level) if lv in order), key=order.index,
                      default=start)
        return record_transition(s, f, "reopened", at=at, as_of=as_of, actor=actor,
                                 summary=o.summary,
                                 details={"resolved_in": last.period, "periods_after": gap})
    f.times_opened += 1
    f.first_breach_period, f.opened_on, f.level = o.period, as_of, start
    details = {"previously_resolved_in": last.period} if last is not None else {}
    return record_transition(s, f, "opened", at=at, as_of=as_of, actor=actor,
                             summary=o.summary, details=details)


def _apply(s: Session, f: Finding, o: Outcome, levels: Sequence[str], *, as_of: date,
           at: datetime, actor: str, damping: Damping) -> list[Transition]:
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
    f.title, f.severity = o.title, o.rule.severity
    f.labels, f.evidence = _json(o.rule.labels), _json(o.rule.evidence)
    f.summary, f.updated_at = o.summary, at
    f.value = fig.value if fig is not None else None
    f.facts = _json({**o.verdict.facts, **({"movement": {
        **o.verdict.movement.as_facts(), "previous_figure": facts_of(o.verdict.movement.previous)}}
        if o.verdict.movement else {})} if o.verdict else {})
    previous_status, f.status, f.last_period = f.status, o.status, o.period
    if same_period:
        return out
    if o.status == "breach":
        prev_level = f.level
        if not f.open:
            out.append(_open(s, f, o, levels, as_of=as_of, at=at, actor=actor,
                             damping=damping))
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
            needed, met = damping.resolve_after(o.period), _met_in_a_row(s, f) + 1
            if met < needed:
                out.append(record_transition(
                    s, f, "recovering", at=at, as_of=as_of, actor=actor,
                    summary=f"Met for {met} of the {needed} periods in a row needed to "
                    f"resolve; still open: {o.summary}",
                    details={"met_periods": met, "needed": needed}))
                return out
            days = (as_of - f.opened_on).days if f.opened_on else None
            periods = f.consecutive_periods
            f.open, f.resolved_on, f.consecutive_periods = False, as_of, 0
            out.append(record_transition(s, f, "resolved", at=at, as_of=as_of, actor=actor,
                               summary=f"Resolved after {counted(periods, 'period')} in breach"
                               + (f" ({counted(days, 'day')})" if days is not None else "")
                               + ": "
                               + o.summary, details={"periods": periods, "days": days,
                                                     "met_periods": met}))
    elif o.status == "outside":
        # Outside the range but no longer significant: NHS England still flags the figure,
        # so an open finding stays open (neither resolved nor escalated); none is opened.
        # The event does not notify: nothing new to tell, and "still in breach" would be false.
        if f.open:
            out.append(record_transition(s, f, "outside", at=at, as_of=as_of, actor=actor,
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
    """Give a finding's action an owner and a due date (``as_of`` or later)."""
    problems = []
    if not owner.strip():
        problems.append(Problem("--owner", "expected the name or role of who owns the action"))
    if due is not None and due < as_of:
        problems.append(Problem("--due", f"due date {due:%Y-%m-%d} is in the past; expected "
                                f"{as_of:%Y-%m-%d} or later"))
    if problems:
        raise ProblemsError(problems)
    f = _get(s, ref)
    f.action_owner, f.action_due, f.action_note, f.updated_at = owner, due, note, at
    due_text = f", due {long_date(due)}" if due else ""
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
                   summary=f"Silenced until {long_date(until)}, approved by {approver}: {reason}",
                   details={"reason": reason, "approver": approver, "until": until})


def resolve(s: Session, ref: str, *, note: str, actor: str, at: datetime,
            as_of: date) -> Transition:
    """Resolve an open finding by hand (the action is done, the figure was wrong …).

    It stays resolved until a later period is evaluated in breach, which reopens it
    (:class:`Damping`); evaluating the same period again does not.
    """
    if not note.strip():
        raise ProblemsError([Problem("--note", "expected why the finding is resolved")])
    f = _get(s, ref)
    if not f.open:
        raise ProblemsError([Problem("finding", f"{ref!r} is not open (resolved on "
                                     f"{f.resolved_on or 'never opened'}); nothing to resolve")])
    days = (as_of - f.opened_on).days if f.opened_on else None
    periods = f.consecutive_periods
    f.open, f.resolved_on, f.consecutive_periods, f.updated_at = False, as_of, 0, at
    return record_transition(s, f, "resolved", at=at, as_of=as_of, actor=actor,
                             summary=f"Resolved by {actor}: {note}",
                             details={"by_hand": True, "note": note, "periods": periods,
                                      "days": days})


def get(s: Session, ref: str) -> tuple[Finding, list[FindingEvent]]:
    f = _get(s, ref)
    events = s.exec(select(FindingEvent).where(FindingEvent.finding_id == f.id)
                    .order_by(col(FindingEvent.id))).all()
    return f, list(events)


@dataclass(frozen=True)
class FindingList:
    """What ``assurance findings list`` shows.

    Attributes:
        findings: the rows, by organisation and rule.
        scope: the organisations shown (``organisations.accountable``); empty: every one.
        others: findings of other organisations (peers) left out; ``every_organisation``
            shows them.
    """

    findings: list[Finding]
    scope: tuple[str, ...]
    others: int


def list_findings(engine: Engine, settings: Settings, *, org: str | None = None,
                  every_organisation: bool = False, resolved: bool = False) -> FindingList:
    """Findings of the accountable organisations (all of them when none are configured).

    Args:
        engine: the store.
        settings: gives ``organisations.accountable``.
        org: one organisation only (any, accountable or not).
        every_organisation: peers too.
        resolved: resolved ones too, not only open ones.
    """
    scope = () if every_organisation or org else tuple(settings.accountable)
    with session(engine) as s:
        q = select(Finding).order_by(col(Finding.org_code), col(Finding.rule_id))
        if not resolved:
            q = q.where(col(Finding.open).is_(True))
        if org:
            q = q.where(Finding.org_code == org.upper())
        rows = list(s.exec(q).all())
    shown = [f for f in rows if not scope or f.org_code in scope]
    return FindingList(shown, scope, len(rows) - len(shown))


def open_findings(engine: Engine, *, synthetic_only: bool = False,
                  org: str | None = None) -> list[Finding]:
    """Open findings, by organisation, most severe first."""
    with session(engine) as s:
        q = select(Finding).where(col(Finding.open).is_(True))
        if synthetic_only:
            q = q.join(Organisation).where(col(Organisation.synthetic).is_(True))
        if org:
            q = q.where(Finding.org_code == org)
        rows = list(s.exec(q).all())
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    return sorted(rows, key=lambda f: (f.org_code, order.get(f.severity, 9), f.rule_id))
