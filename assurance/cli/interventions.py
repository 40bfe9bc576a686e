"""``assurance interventions add|list|evaluate|withdraw``: the interventions register.

Every change is an audit event; bad input prints every problem and exits 2 with nothing
stored (README "Exit codes"). ``evaluate`` reads only.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from assurance import api
from assurance import interventions as register
from assurance.cli.base import AsOfOpt, actor, app, now, out, parse_day, refused, settings
from assurance.cli.withdrawal import withdraw
from assurance.db import session
from assurance.models import Intervention

interventions_app = typer.Typer(no_args_is_help=True,
                                help="Interventions: add, list, evaluate, withdraw.")
app.add_typer(interventions_app, name="interventions")


def _line(iv: Intervention) -> str:
    where = f" ({iv.division})" if iv.division else ""
    return (f"intervention {iv.id}: {iv.org_code}{where} {iv.metric_id} from {iv.start_date}, "
            f"owner {iv.owner}: {iv.title}")


@interventions_app.command("add")
def interventions_add(
    title: Annotated[str, typer.Argument(help="what was done, in a line")],
    org: Annotated[str, typer.Option("--org", help="organisation code (ODS)")],
    metric: Annotated[str, typer.Option("--metric", help="target indicator, a catalogue "
                                        "metric id such as wres.2")],
    start: Annotated[str, typer.Option("--start", help="start date YYYY-MM-DD")],
    owner: Annotated[str, typer.Option("--owner", help="accountable role, e.g. 'Divisional "
                                       "Director, Surgery'")],
    division: Annotated[str | None, typer.Option(help="the division it targets (its code, "
                                                 "e.g. surgery)")] = None,
    peers: Annotated[str | None, typer.Option(help="ODS codes to compare with, comma "
                                              "separated (default: the benchmarking "
                                              "group)")] = None,
) -> None:
    """Record an intervention against an indicator (audited)."""
    s, at = settings(), now()
    with refused(), session(api.connect(s), write=True) as sess, sess.begin():
        iv = register.add(sess, org=org, title=title, metric=metric, start=start, owner=owner,
                          division=division, peers=peers, actor=actor(), at=at)
        line = _line(iv)
    out.print(f"added {line}", markup=False, soft_wrap=True)


@interventions_app.command("list")
def interventions_list(
    org: Annotated[str | None, typer.Option(help="organisation code")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Interventions in the register, withdrawn ones included."""
    s = settings()
    with session(api.connect(s)) as sess:
        rows = register.list_interventions(sess, org=org)
    if as_json:
        out.print_json(json.dumps([
            {"id": iv.id, "org": iv.org_code, "title": iv.title, "metric": iv.metric_id,
             "division": iv.division, "start_date": iv.start_date, "owner": iv.owner,
             "peers": iv.peers.split(",") if iv.peers else None,
             "recorded_by": iv.recorded_by, "recorded_at": iv.recorded_at,
             "withdrawn_on": iv.withdrawn_on, "withdrawn_reason": iv.withdrawn_reason}
            for iv in rows], default=str))
        return
    t = Table("id", "org", "division", "metric", "start", "owner", "title", "state",
              title="Interventions")
    for iv in rows:
        t.add_row(str(iv.id), iv.org_code, iv.division or "-", iv.metric_id,
                  str(iv.start_date), iv.owner, iv.title,
                  f"withdrawn {iv.withdrawn_on}" if iv.withdrawn_on else "current")
    out.print(t)


@interventions_app.command("evaluate")
def interventions_evaluate(
    org: Annotated[str | None, typer.Option(help="organisation code (default: all)")] = None,
    ref: Annotated[list[int] | None, typer.Option("--id", help="only this intervention "
                                                  "(repeatable)")] = None,
    as_of: AsOfOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Whether each intervention moved its indicator (effect, no measurable effect yet, too
    early), with the method and the numbers.

    Reads only. SPC (a sustained shift) where there are enough monthly points before the
    start, else a difference in differences against peers.
    """
    s = settings()
    day = parse_day(as_of)
    with refused(), session(api.connect(s)) as sess:
        for i in ref or ():
            register.get(sess, i)
        found = register.evaluate_all(sess, s.statistics, day, org_code=org, ids=ref)
    if as_json:
        out.print_json(json.dumps([
            {"id": v.intervention_id, "org": v.org_code, "title": v.title, "metric": v.metric,
             "division": v.division, "division_name": v.division_name, "owner": v.owner,
             "start_date": v.start_date, "as_of": v.as_of, "verdict": v.verdict, "method": v.method,
             "method_text": v.method_text, "summary": v.summary, "pre_points": v.pre_points,
             "post_points": v.post_points, "excluded_points": v.excluded_points,
             "numbers": dict(v.numbers)} for v in found], default=str))
        return
    if not found:
        out.print(f"No current interventions as of {day}.")
        return
    for v in found:
        where = f", division {v.division}" if v.division else ""
        out.print(f"intervention {v.intervention_id}: {v.org_code}{where}: {v.title}\n"
                  f"  {v.metric_label} ({v.metric}) from {v.start_date}, owner {v.owner}\n"
                  f"  verdict as of {v.as_of}: {v.verdict.upper()}\n"
                  f"  method: {v.method_text}\n  {v.summary}", markup=False, soft_wrap=True)


@interventions_app.command("withdraw")
def interventions_withdraw(
    ref: Annotated[str, typer.Argument(help="intervention id (assurance interventions list)")],
    reason: Annotated[str, typer.Option(help="why: stopped, replaced, recorded in error")],
    on: Annotated[str | None, typer.Option("--on", help="withdrawn from YYYY-MM-DD "
                                           "(default: today)")] = None,
) -> None:
    """Withdraw an intervention (kept in the register and the history, audited)."""
    withdraw(register.withdraw, _line, ref, reason=reason, on=on)
