"""Distributing board papers: a built board report queued, attached, for its channels.

A board report carries exact counts, so it may go only to channels that no small-number-
suppressed audience (a staff network, the public) also reads; :func:`board_paper_problems`
names the channels that would break that, and :func:`distribute` refuses them. Whether an
audience sees exact counts is decided by :mod:`assurance.disclosure`, never here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from assurance import audit, outbox, routing
from assurance.config import Settings
from assurance.db import session
from assurance.disclosure import policy_for, quotable
from assurance.models import Organisation
from assurance.problems import Problem, ProblemsError


def board_paper_problems(subscriptions: Sequence[routing.Subscription], settings: Settings,
                         channels: Iterable[str]) -> list[str]:
    """Channels that must not receive board papers: a board report carries exact counts, so
    a channel that any subscription with a small-number-suppressed audience (a staff
    network, the public) uses is refused."""
    out = []
    for name in channels:
        for sub in subscriptions:
            if sub.channel == name and not quotable(policy_for(settings, sub.audience)):
                out.append(f"channel {name!r} also receives the {sub.audience!r} audience's "
                           f"messages (subscription {sub.name!r}), whose small numbers are "
                           "suppressed; board reports carry exact counts — send them to a "
                           "channel only board members read")
                break
    return out


def distribute(engine: Engine, settings: Settings, path: Path, *, channels: Sequence[str],
               org_code: str, committee: date, actor: str, at: datetime) -> int:
    """Queue a built board report for each channel with the file attached (the outbox sends
    it; each committee's report goes to each channel once). Returns how many messages were
    queued. Raises ProblemsError if a channel also serves a suppressed audience."""
    if not channels:
        return 0
    headline = (f"The board assurance report for the {settings.reports.committee} on "
                f"{committee.day} {committee:%B %Y} is attached.")
    with session(engine, write=True) as s, s.begin():
        refused = board_paper_problems(routing.list_subscriptions(s, settings), settings,
                                       channels)
        if refused:
            raise ProblemsError([Problem(str(settings.source or "<config>"), p)
                                 for p in refused])
        org = s.get(Organisation, org_code)
        document = f"board|{org_code}|{committee.isoformat()}"
        queued = [c for c in channels if outbox.enqueue_document(
            s, document=document, channel=c, sender=actor, path=path, organisation=org,
            org_code=org_code,
            title="Board assurance report", period=f"committee {committee.isoformat()}",
            headline=headline, at=at)]
        if queued:
            audit.append(s, at=at, actor=actor, action="report.queued",
                         subject=f"report:{path.name}", details={"channels": queued})
    return len(queued)
