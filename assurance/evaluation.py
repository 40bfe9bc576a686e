"""An evaluation run: the rule packs evaluated and recorded as findings, in one transaction.

:func:`evaluate_and_record` is what ``assurance evaluate``, the ``evaluate`` job and the demo
run: the engine's outcomes are applied to the findings (opened, continuing, escalated,
resolved), the notifications they cause are queued in the outbox, and an audit event
records the run — all committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from assurance import audit, outbox
from assurance.config import Settings
from assurance.db import session
from assurance.engine.evaluate import Outcome, evaluate
from assurance.engine.rules import RulePack
from assurance.findings import Damping, Transition, apply_outcomes
from assurance.models import Organisation
from assurance.problems import Problem, ProblemsError
from assurance.rulepacks import load_rules


@dataclass
class EvaluationResult:
    """One evaluation run: every outcome, and the findings' transitions it caused."""

    as_of: date
    outcomes: list[Outcome]
    transitions: list[Transition]


def check_accountable(s: Session, settings: Settings) -> None:
    """Every ``organisations.accountable`` code must be in the register (findings name a
    registered organisation); raise ProblemsError naming the unknown ones."""
    if not settings.accountable:
        return
    known = set(s.exec(select(Organisation.code).where(
        col(Organisation.code).in_(settings.accountable))).all())
    unknown = [c for c in settings.accountable if c not in known]
    if unknown:
        raise ProblemsError([Problem(str(settings.source or "<config>"),
                                     "organisations.accountable: not in the organisation "
                                     f"register: {', '.join(unknown)}; register them first "
                                     "(organisations.file, or assurance import a file with "
                                     "code,name columns)")])


def evaluate_and_record(engine: Engine, settings: Settings, *, as_of: date, at: datetime,
                        actor: str, orgs: Iterable[str] | None = None,
                        packs: Sequence[RulePack] | None = None) -> EvaluationResult:
    """Evaluate the packs and apply the outcomes to findings in one transaction."""
    packs = list(packs) if packs is not None else load_rules(settings)
    with session(engine, write=True) as s, s.begin():
        check_accountable(s, settings)
        outcomes = evaluate(s, packs, as_of, settings.statistics, orgs=orgs,
                            accountable=settings.accountable)
        transitions = apply_outcomes(s, outcomes, settings.escalation_levels, as_of=as_of,
                                     at=at, actor=actor,
                                     damping=Damping.from_settings(settings))
        queued = outbox.enqueue(s, transitions, settings, at=at,
                                rules_by_id={r.id: r for p in packs for r in p.rules})
        counts: dict[str, int] = {}
        for o in outcomes:
            counts[o.status] = counts.get(o.status, 0) + 1
        audit.append(s, at=at, actor=actor, action="evaluate", subject=f"as_of:{as_of}",
                     details={"rules": sum(len(p.rules) for p in packs), "outcomes": counts,
                              "transitions": len(transitions), "notifications": queued})
    return EvaluationResult(as_of, outcomes, transitions)
