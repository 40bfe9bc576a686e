"""Commands that produce or send things: reports, packs, notifications, subscriptions, the service."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from assurance import api
from assurance.cli import base
from assurance.cli.base import (
    EXIT_BAD_CONFIG,
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    AsOfOpt,
    OutOpt,
    actor,
    app,
    fail,
    notifications_app,
    now,
    out,
    pack_app,
    parse_day,
    refused,
    report_app,
    settings,
    subs_app,
)
from assurance.problems import Problem, ProblemsError
from assurance.wording import counted


@app.command("run")
def run_cmd(
    recovery_seconds: Annotated[float, typer.Option(help="how often to catch up missed runs")]
    = 30.0,
) -> None:
    """Run the scheduled jobs from config.toml until SIGTERM/SIGINT (the bot)."""
    import logging

    from assurance.scheduler import Service

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    with refused(EXIT_BAD_CONFIG):
        service = Service(settings(), recovery_seconds=recovery_seconds)
        service.start()



OrgOrAllOpt = Annotated[str | None, typer.Option("--org", help="organisation code (ODS); "
                                                 "or --all")]
AllOpt = Annotated[bool, typer.Option(
    "--all", help="every organisation (organisations.accountable, else every one with "
    "figures), one file each in --out (a folder), in parallel processes")]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", min=1, help="with --all: processes to write in (default: the CPUs)")]


def _render(name: str, org: str | None, as_of: str | None, out_path: Path | None,
            all_orgs: bool = False, workers: int | None = None) -> None:
    if all_orgs:
        _render_all(name, org, as_of, out_path, workers)
        return
    if not org:
        raise fail(ProblemsError([Problem("--org", "missing; expected an organisation code "
                                          "(ODS), or --all for every organisation")]),
                   EXIT_BAD_INPUT)
    s = settings()
    with refused():
        path = api.render(api.connect(s), s, name, org_code=org.upper(), as_of=parse_day(as_of),
                          actor=actor(), at=now(), out_path=out_path)
    out.print(f"wrote {path}", markup=False)


def _render_all(name: str, org: str | None, as_of: str | None, out_dir: Path | None,
                workers: int | None) -> None:
    """Every organisation's output: a line per file as it is written, a summary, exit 1 if
    any failed (the others are still written)."""
    if org:
        raise fail(ProblemsError([Problem("--org", f"found {org!r} with --all; expected one "
                                          "or the other")]), EXIT_BAD_INPUT)
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise fail(ProblemsError([Problem("--out", f"{out_dir} is a file; with --all, --out "
                                          "is the folder every report is written to")]),
                   EXIT_BAD_INPUT)
    s = settings()
    day = parse_day(as_of)

    def line(w: api.Written) -> None:
        if w.ok:
            out.print(f"wrote {w.path} ({w.seconds:.2f} s)", markup=False, soft_wrap=True)
        else:
            print(f"{w.org_code}: error: {w.error}", file=sys.stderr)

    with refused():
        result = api.render_all(s, name, as_of=day, actor=actor(), at=now(), out_dir=out_dir,
                                workers=workers, progress=line)
    failed = result.failed
    out.print(f"{len(result.written) - len(failed)} of {counted(len(result.written), name + ' output')} "
              f"written in {result.seconds:.1f} s on {counted(result.workers, 'worker')}"
              + (f"; {len(failed)} failed: " + ", ".join(w.org_code for w in failed)
                 if failed else ""), markup=False, soft_wrap=True)
    if failed:
        raise typer.Exit(EXIT_FAILED)


@report_app.command("board")
def report_board(org: OrgOrAllOpt = None, as_of: AsOfOpt = None, out_path: OutOpt = None,
                 all_orgs: AllOpt = False, workers: WorkersOpt = None) -> None:
    """Board assurance report (.docx): Alert/Advise/Assure, every rule outcome, charts."""
    _render("board", org, as_of, out_path, all_orgs, workers)


@report_app.command("well-led")
def report_well_led(org: OrgOrAllOpt = None, as_of: AsOfOpt = None, out_path: OutOpt = None,
                    all_orgs: AllOpt = False,
                    framework: Annotated[str | None, typer.Option(
                        "--framework", help="the well-led framework version: cqc-saf-2024, "
                        "cqc-2026 or nhse-people-culture (default: reports.well_led_framework)"
                    )] = None) -> None:
    """Well-led evidence document (.docx), one section per quality statement, key line of
    enquiry or capability of the framework version."""
    if framework is not None:  # the option overrides reports.well_led_framework here
        from dataclasses import replace

        from assurance.frameworks import framework_path

        with refused():
            framework_path(framework, where="--framework")
        s = settings()
        base._state["settings"] = replace(s, reports=replace(s.reports,
                                                              well_led_framework=framework))
    _render("well-led", org, as_of, out_path, all_orgs)


@report_app.command("hia")
def report_hia(org: OrgOrAllOpt = None, as_of: AsOfOpt = None, out_path: OutOpt = None,
               all_orgs: AllOpt = False, workers: WorkersOpt = None) -> None:
    """EDI Improvement Plan document (.docx): the six High Impact Actions, each with its
    status, evidence (attestations or figures), owner and date."""
    _render("hia", org, as_of, out_path, all_orgs, workers)


@pack_app.command("build")
def pack_build(org: OrgOrAllOpt = None, as_of: AsOfOpt = None, out_path: OutOpt = None,
               all_orgs: AllOpt = False, workers: WorkersOpt = None) -> None:
    """Evidence pack (.zip): documents, CSV extracts, rules, history, audit, manifest."""
    _render("pack", org, as_of, out_path, all_orgs, workers)


@pack_app.command("verify")
def pack_verify(
    path: Path,
    public_key: Annotated[str | None, typer.Option(
        "--public-key", help="the signer you expect: its fingerprint (SHA256:…), or its "
        "public key (base64 of 32 bytes, or PEM)")] = None,
    store: Annotated[bool, typer.Option(
        "--store", help="also check against the configured store's audit log (implied by "
        "--config)")] = False,
) -> None:
    """Check a pack with nothing but the zip: every file against the signed manifest, the
    signature against its key; exit 1 naming each changed, missing or extra file."""
    engine = None
    if store or base._state.get("config") is not None:  # only then is a store opened,
        with refused(EXIT_BAD_CONFIG):  # as it is: nothing created, upgraded or imported
            engine = api.open_existing(settings())
    with refused():
        result = api.verify_pack(path, engine, public_key=public_key)
    if result.problems:
        for p in result.problems:
            print(p, file=sys.stderr)
        raise typer.Exit(EXIT_FAILED)
    who = "the expected key" if public_key else "key"
    also = "; the store's audit log records it" if result.store_checked else ""
    out.print(f"{path}: every file matches its manifest, signed by {who} {result.signer}{also}",
              markup=False, soft_wrap=True)


@app.command("notify")
def notify_cmd(
    status_only: Annotated[bool, typer.Option("--status", help="only show the outbox")] = False,
    retry_dead: Annotated[bool, typer.Option("--retry-dead", help="queue dead rows again "
                                             "first (after fixing their cause)")] = False,
    wait: Annotated[float, typer.Option(help="seconds to keep retrying failures")] = 0.0,
    digests_now: Annotated[bool, typer.Option(
        "--digests-now", help="send every digest subscription what it holds now, without "
        "waiting for its digest time")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Deliver pending notifications (first writing the digests that are due); exit 1 if any
    are dead-lettered."""
    from assurance import outbox

    s = settings()
    engine = api.connect(s)
    if retry_dead:
        n = outbox.retry_dead(engine, at=now(), actor=actor())
        out.print(f"{counted(n, 'dead notification')} queued again")
    if digests_now:
        written = outbox.digest.assemble_due(engine, s, at=now(), early=True)
        out.print(f"{counted(len(written), 'digest')} written early")
    if not status_only:
        with refused(EXIT_BAD_CONFIG):
            report = api.notify(engine, s, os.environ, wait_for_retries=wait)
        out.print(f"sent {report.sent}, retrying {report.retrying}, dead {report.dead}, "
                  f"already sent {report.already_sent}, still pending {report.pending}"
                  + (f"; {counted(report.digests, 'digest')} written" if report.digests else ""))
    st = outbox.status_report(engine)
    if as_json:
        out.print_json(json.dumps({"counts": st.counts, "failed": [f.__dict__ for f in st.failed]},
                                  default=str))
    else:
        out.print("outbox: " + ", ".join(f"{v} {k}" for k, v in st.counts.items()))
        if st.failed:
            t = Table("id", "status", "channel", "event", "organisation", "attempts", "reason",
                      title="Failed notifications")
            for f in st.failed:
                t.add_row(str(f.id), f.status, f.channel, f.event, f.organisation,
                          str(f.attempts), f.reason)
            out.print(t)
    if not st.ok:
        raise typer.Exit(EXIT_FAILED)


PREVIEW_FORMATS = ("text", "json", "csv")


@notifications_app.command("preview")
def notifications_preview(
    channel: Annotated[str, typer.Option("--channel", help="a channel from config.toml")],
    since: Annotated[str | None, typer.Option(
        "--since", help="also show what was sent from this date (YYYY-MM-DD, schedule "
        "timezone)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="text (readable), json (the "
                                     "webhook document of each) or csv (a row per line)")]
    = "text",
) -> None:
    """Show what a channel would receive — each message or digest, disclosure applied —
    without sending anything or changing the store (it is opened read-only)."""
    from datetime import datetime
    from datetime import time as clock_time
    from zoneinfo import ZoneInfo

    from assurance import outbox
    from connectors.channels.console import render
    from connectors.channels.webhook import payload
    from reports.extracts import csv_bytes

    s = settings()
    if fmt not in PREVIEW_FORMATS:
        raise fail(ProblemsError([Problem("--format", f"found {fmt!r}; expected one of "
                                          + ", ".join(PREVIEW_FORMATS))]), EXIT_BAD_INPUT)
    start = (datetime.combine(parse_day(since, "--since"), clock_time(0),
                              tzinfo=ZoneInfo(s.timezone)) if since else None)
    with refused(EXIT_BAD_CONFIG):
        engine = api.open_existing(s)
    try:
        with refused():
            items = outbox.preview(engine, s, channel, at=now(), since=start)
    finally:
        engine.dispose()
    if fmt == "csv":
        sys.stdout.buffer.write(csv_bytes(outbox.PREVIEW_COLUMNS, outbox.preview_rows(items)))
        return
    if fmt == "json":
        docs = [{"status": i.status, "when": i.when.isoformat(timespec="seconds"),
                 "kind": i.kind, "subscription": i.subscription,
                 "message": payload(i.message, None)} for i in items]
        sys.stdout.write(json.dumps(docs, ensure_ascii=False, indent=2) + "\n")
        return
    for i in items:  # plain writes: data is never read as rich markup
        sys.stdout.write(f"{i.status} · {i.kind} for {i.subscription} · "
                         f"{i.when.isoformat(timespec='minutes')}\n")
        sys.stdout.write(render(i.message, None))
    digests = sum(1 for i in items if i.kind == "digest")
    sys.stdout.write(f"{counted(len(items), 'message')} for channel {channel} "
                     f"({counted(digests, 'digest')}); nothing was sent\n")


@subs_app.command("list")
def subs_list() -> None:
    """Subscriptions from config.toml and those added here."""
    from assurance import routing
    from assurance.db import session

    s = settings()
    with session(api.connect(s)) as sess:
        subs = routing.list_subscriptions(sess, s)
    t = Table("name", "channel", "audience", "match", "min level", "repeat", "source")
    for sub in subs:
        t.add_row(sub.name, sub.channel, sub.audience,
                  "; ".join(f"{k}={','.join(v)}" for k, v in sub.match.items()),
                  sub.min_level or "", str(sub.repeat_every), sub.source)
    out.print(t)


@subs_app.command("add")
def subs_add(
    name: str,
    channel: Annotated[str, typer.Option(help="a channel from config.toml")],
    audience: Annotated[str, typer.Option(help="network, executive, board, regulator, "
                                          "public")] = "network",
    match: Annotated[list[str] | None, typer.Option(help="label=v1,v2 (repeatable)")] = None,
    min_level: Annotated[str | None, typer.Option(help="lowest escalation level")] = None,
    repeat_every: Annotated[int, typer.Option(help="periods between repeats (0: never)")] = 1,
) -> None:
    """Add a subscription (kept in the store, audited)."""
    from assurance import routing
    from assurance.db import session

    s = settings()
    parsed: dict[str, list[str]] = {}
    for m in match or []:
        key, sep, values = m.partition("=")
        if not sep:
            raise fail(ProblemsError([Problem("--match", f"found {m!r}; expected label=value")]),
                       EXIT_BAD_INPUT)
        parsed.setdefault(key.strip(), []).extend(v.strip() for v in values.split(","))
    with refused(), session(api.connect(s), write=True) as sess, sess.begin():
        sub = routing.add_subscription(sess, s, name=name, channel=channel, audience=audience,
                                       match=parsed, min_level=min_level,
                                       repeat_every=repeat_every, actor=actor(), at=now())
    out.print(f"added subscription {sub.name} → {sub.channel} ({sub.audience})", markup=False)


@subs_app.command("remove")
def subs_remove(name: str) -> None:
    """Remove a subscription added here (config ones are edited in config.toml)."""
    from assurance import routing
    from assurance.db import session

    s = settings()
    with refused(), session(api.connect(s), write=True) as sess, sess.begin():
        routing.remove_subscription(sess, s, name, actor=actor(), at=now())
    out.print(f"removed subscription {name}", markup=False)


@subs_app.command("test")
def subs_test(ref: str) -> None:
    """Which channels a finding would reach, and why (or why not)."""
    from assurance import findings as fnd
    from assurance import routing
    from assurance.db import session

    s = settings()
    with session(api.connect(s)) as sess:
        with refused():
            f, _ = fnd.get(sess, ref)
        decisions = routing.explain(f, s, routing.list_subscriptions(sess, s))
    out.print(f"{f.rule_id} for {f.org_code} (level {f.level}, severity {f.severity}):",
              markup=False)
    if not decisions:
        out.print("  no subscriptions are configured")
    for d in decisions:
        mark = "✓" if d.matched else "✗"
        out.print(f"  {mark} {d.subscription.name} → {d.subscription.channel} "
                  f"({d.subscription.audience}): {'; '.join(d.reasons)}", markup=False)


