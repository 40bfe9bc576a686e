"""Commands about rules and findings: check, test, backtest, evaluate, findings."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Annotated

import typer
from rich.table import Table

from assurance import api
from assurance.cli.base import (
    EXIT_FAILED,
    AsOfOpt,
    PathsArg,
    actor,
    app,
    findings_app,
    now,
    out,
    parse_day,
    refused,
    rules_app,
    settings,
)
from assurance.engine.evaluate import Outcome
from assurance.findings import Transition
from assurance.wording import counted


@rules_app.command("check")
def rules_check(paths: PathsArg = None) -> None:
    """Validate rule packs; print every problem as file:line:col and exit 2 on any."""
    with refused():
        packs = api.load_rules(settings(), paths)
    n = sum(len(p.rules) for p in packs)
    out.print(f"{counted(len(packs), 'pack')}, {counted(n, 'rule')}: OK")


@rules_app.command("test")
def rules_test(paths: PathsArg = None) -> None:
    """Run the YAML test cases beside each pack; exit 1 if any case fails."""
    with refused():
        report = api.test_rules(settings(), paths)
    for r in report.results:
        if not r.passed:
            for f in r.failures:
                print(str(f), file=sys.stderr)
    for p in report.problems:
        print(str(p), file=sys.stderr)
    for u in report.uncovered:
        print(f"{u}", file=sys.stderr)
    passed = sum(r.passed for r in report.results)
    failed = len(report.results) - passed
    print(f"{passed} passed, {failed} failed")
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


@rules_app.command("backtest")
def rules_backtest(
    start: Annotated[str, typer.Option("--from", help="first as_of date")],
    end: Annotated[str, typer.Option("--to", help="last as_of date")],
    org: Annotated[list[str] | None, typer.Option(help="organisation code(s)")] = None,
    step: Annotated[int, typer.Option(help="months between evaluations")] = 12,
) -> None:
    """Replay the rule packs over stored history: when would findings have opened/closed?"""
    s = settings()
    with refused():
        events = api.backtest(api.connect(s), s, start=parse_day(start, "--from"),
                              end=parse_day(end, "--to"), step_months=step, orgs=org)
    t = Table("as of", "organisation", "rule", "event", "summary", title="Backtest")
    for e in events:
        t.add_row(str(e.as_of), e.org_code, e.rule_id, e.kind, e.summary[:90])
    out.print(t)


@app.command("evaluate")
def evaluate_cmd(
    as_of: AsOfOpt = None,
    org: Annotated[list[str] | None, typer.Option(help="organisation code(s)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Evaluate the rule packs and update findings (one transaction)."""
    s = settings()
    with refused():
        result = api.evaluate_and_record(api.connect(s), s, as_of=parse_day(as_of), at=now(),
                                         actor=actor(), orgs=org)
    if as_json:
        out.print_json(json.dumps({"as_of": str(result.as_of), "outcomes": [
            {"rule": o.rule.id, "org": o.org.code, "status": o.status, "period": o.period,
             "summary": o.summary} for o in result.outcomes]}))
        return
    print_outcomes(result.outcomes, result.transitions)


def print_outcomes(outcomes: list[Outcome], transitions: list[Transition]) -> None:
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    out.print("outcomes: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    t = Table("organisation", "rule", "event", "level", "summary", title="Finding changes")
    for tr in transitions:
        f = tr.finding
        t.add_row(f.org_code, f.rule_id, tr.event.kind, f.level or "", tr.event.summary[:100])
    out.print(t)


@findings_app.command("list")
def findings_list(
    org: Annotated[str | None, typer.Option(help="organisation code")] = None,
    all_: Annotated[bool, typer.Option(
        "--all", help="every organisation (peers too), resolved findings too")] = False,
    resolved: Annotated[bool, typer.Option(help="resolved findings too")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Open findings of the accountable organisations (--all: every organisation, resolved
    too)."""
    s = settings()
    got = api.list_findings(api.connect(s), s, org=org, every_organisation=all_,
                            resolved=resolved or all_)
    rows = got.findings
    if as_json:
        out.print_json(json.dumps([{"id": f.id, "fingerprint": f.fingerprint, "org": f.org_code,
                                    "rule": f.rule_id, "open": f.open, "level": f.level,
                                    "status": f.status, "periods": f.consecutive_periods,
                                    "owner": f.action_owner, "due": f.action_due,
                                    "summary": f.summary} for f in rows], default=str))
        return
    t = Table("id", "org", "rule", "level", "periods", "owner", "due", "ack", "summary",
              title="Findings")
    for f in rows:
        t.add_row(str(f.id), f.org_code, f.rule_id, f.level or "", str(f.consecutive_periods),
                  f.action_owner or "", str(f.action_due or ""), "yes" if f.ack_by else "",
                  f.summary[:80])
    out.print(t)
    if got.scope:
        out.print(f"Accountable organisations: {', '.join(got.scope)}. {counted(got.others, 'finding')} "
                  "of other organisations not shown (--all shows them).", markup=False)


@findings_app.command("show")
def findings_show(ref: str) -> None:
    """One finding with its whole history."""
    from assurance import findings as fnd
    from assurance.db import session

    with session(api.connect(settings())) as sess, refused():
        f, events = fnd.get(sess, ref)
    out.print(f"[bold]{f.title}[/bold] ({f.rule_id}) — {f.org_code}")
    for k in ("fingerprint", "status", "open", "level", "consecutive_periods",
              "first_breach_period", "last_breach_period", "opened_on", "resolved_on",
              "action_owner", "action_due", "action_note", "ack_by", "ack_at", "ack_note",
              "silenced_reason", "silenced_by", "silenced_until", "summary"):
        out.print(f"  {k}: {getattr(f, k)}", markup=False)
    t = Table("when", "as of", "event", "level", "by", "summary", title="History")
    for e in events:
        t.add_row(f"{e.at:%Y-%m-%d %H:%M}", str(e.as_of), e.kind, e.level or "", e.actor,
                  e.summary[:90])
    out.print(t)


def _finding_change(fn: Callable[..., Transition], ref: str, **kw: object) -> None:
    s, at = settings(), now()
    with refused():
        tr = api.change_finding(api.connect(s), s, fn, ref, at=at, as_of=at.date(), **kw)
    out.print(tr.event.summary, markup=False)


@findings_app.command("ack")
def findings_ack(ref: str, note: Annotated[str, typer.Option(help="what will happen")]) -> None:
    """Acknowledge a finding (who and when are recorded); its thread is told."""
    from assurance import findings as fnd

    _finding_change(fnd.acknowledge, ref, who=actor(), note=note)


@findings_app.command("resolve")
def findings_resolve(ref: str, note: Annotated[str, typer.Option(help="why it is resolved")]
                     ) -> None:
    """Resolve an open finding by hand; a later period in breach reopens it."""
    from assurance import findings as fnd

    _finding_change(fnd.resolve, ref, note=note, actor=actor())


@findings_app.command("assign")
def findings_assign(
    ref: str,
    owner: Annotated[str, typer.Option(help="who owns the action")],
    due: Annotated[str | None, typer.Option(help="due date YYYY-MM-DD")] = None,
    note: Annotated[str | None, typer.Option(help="the action")] = None,
) -> None:
    """Assign an action (owner, due date not in the past) to a finding; its thread is told."""
    from assurance import findings as fnd

    _finding_change(fnd.assign, ref, owner=owner, due=parse_day(due, "--due") if due else None,
                    note=note, actor=actor())


@findings_app.command("silence")
def findings_silence(
    ref: str,
    reason: Annotated[str, typer.Option(help="why (an accepted risk, a known cause …)")],
    approver: Annotated[str, typer.Option(help="who approved the silence")],
    until: Annotated[str, typer.Option(help="expiry date YYYY-MM-DD; expiry reopens")],
) -> None:
    """Silence a finding until a date (reason and approver required)."""
    from assurance import findings as fnd

    _finding_change(fnd.silence, ref, reason=reason, approver=approver,
                    until=parse_day(until, "--until"), actor=actor())


