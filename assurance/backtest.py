"""Backtesting rule packs: when findings would have opened, escalated and closed.

``assurance rules backtest`` replays the packs over the stored history, evaluating at each
date from ``--from`` to ``--to``, and applies the outcomes to a scratch in-memory copy of the
findings, so a rule author sees a rule's history before it is in force and nothing in the
store changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, create_engine, select

from assurance.config import Settings
from assurance.db import session
from assurance.engine.evaluate import evaluate
from assurance.engine.rules import RulePack
from assurance.evaluation import check_accountable
from assurance.findings import Damping, apply_outcomes
from assurance.models import AuditHead, Organisation
from assurance.problems import Problem, ProblemsError
from assurance.rulepacks import load_rules


@dataclass(frozen=True)
class BacktestEvent:
    """A finding's change on one replayed date."""

    as_of: date
    rule_id: str
    org_code: str
    kind: str  # opened | reopened | escalated | resolved
    summary: str


def backtest(engine: Engine, settings: Settings, *, start: date, end: date, step_months: int = 12,
             orgs: Iterable[str] | None = None,
             packs: Sequence[RulePack] | None = None) -> list[BacktestEvent]:
    """Replay the packs over stored history in a scratch copy of the findings (nothing kept).

    Evaluates at each ``as_of`` from ``start`` to ``end`` and reports when findings would
    have opened, escalated and resolved.
    """
    problems = []
    if isinstance(step_months, bool) or not 1 <= step_months <= 120:
        problems.append(Problem("--step", f"found {step_months}; expected a whole number of "
                                "months from 1 to 120"))
    if end < start:
        problems.append(Problem("--to", f"found {end}, before --from {start}; expected {start} "
                                "or later"))
    if problems:
        raise ProblemsError(problems)
    packs = list(packs) if packs is not None else load_rules(settings)
    scratch = create_engine("sqlite://")
    SQLModel.metadata.create_all(scratch)
    events: list[BacktestEvent] = []
    with session(engine) as s, session(scratch) as sc:
        check_accountable(s, settings)
        sc.add(AuditHead(id=1))
        for o in s.exec(select(Organisation)).all():
            sc.merge(o)
        sc.commit()
        d = start
        while d <= end:
            outcomes = evaluate(s, packs, d, settings.statistics, orgs=orgs,
                                accountable=settings.accountable)
            for t in apply_outcomes(sc, outcomes, settings.escalation_levels, as_of=d,
                                    at=datetime.combine(d, datetime.min.time(), tzinfo=UTC),
                                    actor="backtest",
                                    damping=Damping.from_settings(settings)):
                if t.event.kind in ("opened", "reopened", "escalated", "resolved"):
                    events.append(BacktestEvent(d, t.finding.rule_id, t.finding.org_code,
                                                t.event.kind, t.event.summary))
            sc.commit()
            month = d.month - 1 + step_months
            d = date(d.year + month // 12, month % 12 + 1, min(d.day, 28))
    return events
