"""``assurance calendar``: the deadline calendar, and reminders queued by hand.

Bad dates print every problem and exit 2 (README "Exit codes"); ``--remind`` writes the due
reminders to the outbox (delivered by ``assurance notify``), audited.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from assurance import api, deadlines
from assurance.cli.base import AsOfOpt, app, now, out, refused, settings
from assurance.db import session
from assurance.problems import Problem, ProblemsError
from assurance.wording import counted


def _dates(start: str | None, end: str | None, as_of: str | None
           ) -> tuple[date | None, date | None, date | None]:
    problems: list[Problem] = []
    parsed: list[date | None] = []
    for value, what in ((start, "--from"), (end, "--to"), (as_of, "--as-of")):
        if value is None:
            parsed.append(None)
            continue
        try:
            parsed.append(date.fromisoformat(value))
        except ValueError:
            problems.append(Problem(what, f"found {value!r}; expected a date like 2026-01-15"))
            parsed.append(None)
    first, last, day = parsed
    if first is not None and last is not None and last < first:
        problems.append(Problem("--to", f"found {last}, before --from {first}; expected "
                                f"{first} or later"))
    if problems:
        raise ProblemsError(problems)
    return first, last, day


@app.command("calendar")
def calendar(
    start: Annotated[str | None, typer.Option("--from", help="first date YYYY-MM-DD "
                                              "(default: today)")] = None,
    end: Annotated[str | None, typer.Option("--to", help="last date YYYY-MM-DD (default: a "
                                            "year after --from)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    remind: Annotated[bool, typer.Option("--remind", help="queue the reminders due (as the "
                                         "calendar_reminders job does) for assurance "
                                         "notify")] = False,
    as_of: AsOfOpt = None,
) -> None:
    """Deadlines: WRES/WDES returns and publication, gender pay gap reporting, Staff Survey
    publication, HIA milestones and committee meetings, with where each date comes from."""
    s, at = settings(), now()
    with refused():
        first, last, day = _dates(start, end, as_of)
    today = day or at.date()
    if remind:
        with session(api.connect(s), write=True) as sess, sess.begin():
            queued = deadlines.enqueue_reminders(sess, s, today=today, at=at)
        names = ", ".join(s.calendar.remind) or "none: set calendar.remind"
        out.print(f"queued {counted(queued, 'reminder')} due on {today} (subscriptions: {names}); "
                  "assurance notify delivers them", markup=False, soft_wrap=True)
        return
    first, last = deadlines.window(first, last, today)
    found = deadlines.deadlines(s, first, last)
    if as_json:
        out.print_json(json.dumps([{"date": d.day, "id": d.id, "title": d.title,
                                    "topic": d.topic, "source": d.source} for d in found],
                                  default=str))
        return
    t = Table(title=f"Deadlines {first} to {last}")
    t.add_column("date", no_wrap=True)
    t.add_column("deadline", overflow="fold")
    t.add_column("what")
    t.add_column("date from")
    for d in found:  # Text: titles and sources are data, never rich markup
        t.add_row(d.day.isoformat(), Text(d.id), Text(d.title), Text(d.source))
    out.print(t)
