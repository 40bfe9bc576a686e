"""``assurance attestations add|list|expire|evidence``: the attestation register.

Every change is an audit event; bad input prints every problem and exits 2 with nothing
stored (README "Exit codes").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from assurance import api
from assurance import attestations as register
from assurance.cli.base import (
    AsOfOpt,
    actor,
    attestations_app,
    now,
    out,
    parse_day,
    refused,
    settings,
)
from assurance.cli.withdrawal import withdraw
from assurance.db import session
from assurance.models import Attestation


def _line(a: Attestation) -> str:
    return (f"attestation {a.id}: {a.org_code} {a.statement} by the {a.attested_by}, "
            f"{a.attested_on} to {a.valid_until}")


@attestations_app.command("add")
def attestations_add(
    statement: Annotated[str, typer.Argument(help="statement id, e.g. hia.1.board-objectives")],
    org: Annotated[str, typer.Option("--org", help="organisation code (ODS)")],
    by: Annotated[str, typer.Option("--by", help="the attesting role, e.g. Chair")],
    valid_until: Annotated[str, typer.Option("--valid-until",
                                             help="last day it holds, YYYY-MM-DD")],
    on: Annotated[str | None, typer.Option("--on", help="attested on YYYY-MM-DD "
                                           "(default: today)")] = None,
    text: Annotated[str | None, typer.Option(help="the statement's wording (default: the "
                                             "requiring rule's)")] = None,
    evidence: Annotated[Path | None, typer.Option(help="evidence file: its SHA-256 is "
                                                  "recorded, the file is not stored")] = None,
    person: Annotated[bool, typer.Option("--person", help="--by is a person's name, "
                                         "recorded on purpose")] = False,
) -> None:
    """Record that an organisation attests a statement, until a date (audited)."""
    s, at = settings(), now()
    today = at.date()
    attested_on = parse_day(on, "--on") if on else today
    until = parse_day(valid_until, "--valid-until")
    with refused():
        statements = register.required_statements(api.load_rules(s))
        with session(api.connect(s), write=True) as sess, sess.begin():
            a = register.add(sess, org=org, statement=statement, attested_by=by,
                             attested_on=attested_on, valid_until=until, today=today,
                             actor=actor(), at=at, text=text, evidence=evidence,
                             person=person, statements=statements)
            line = _line(a)
            digest = a.evidence_sha256
    out.print(f"added {line}" + (f"; evidence sha256 {digest}" if digest else
                                 "; no evidence file yet (assurance attestations evidence)"),
              markup=False, soft_wrap=True)


@attestations_app.command("list")
def attestations_list(
    org: Annotated[str | None, typer.Option(help="organisation code")] = None,
    statement: Annotated[str | None, typer.Option(help="statement id")] = None,
    as_of: AsOfOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Attestations with their state (current, expired, withdrawn) as of a date."""
    s = settings()
    day = parse_day(as_of)
    with session(api.connect(s)) as sess:
        rows = [(a, register.state_on(a, day)) for a in
                register.list_attestations(sess, org=org, statement=statement)]
    if as_json:
        out.print_json(json.dumps([
            {"id": a.id, "org": a.org_code, "statement": a.statement, "text": a.text,
             "attested_by": a.attested_by, "attested_on": a.attested_on,
             "valid_until": a.valid_until, "state": state, "withdrawn_on": a.withdrawn_on,
             "withdrawn_reason": a.withdrawn_reason, "evidence_sha256": a.evidence_sha256,
             "evidence_name": a.evidence_name} for a, state in rows], default=str))
        return
    t = Table("id", "org", "statement", "by", "attested", "valid until", "state", "evidence",
              title=f"Attestations as of {day}")
    for a, state in rows:
        shown = state if state != "withdrawn" else f"withdrawn {a.withdrawn_on}"
        t.add_row(str(a.id), a.org_code, a.statement, a.attested_by, str(a.attested_on),
                  str(a.valid_until), shown,
                  f"{a.evidence_name} ({(a.evidence_sha256 or '')[:12]}…)"
                  if a.evidence_sha256 else "none")
    out.print(t)


@attestations_app.command("expire")
def attestations_expire(
    ref: Annotated[str, typer.Argument(help="attestation id (assurance attestations list)")],
    reason: Annotated[str, typer.Option(help="why it no longer holds")],
    on: Annotated[str | None, typer.Option("--on", help="no longer current from YYYY-MM-DD "
                                           "(default: today)")] = None,
) -> None:
    """Withdraw an attestation before its valid-until date (kept in the history, audited)."""
    withdraw(register.expire, _line, ref, reason=reason, on=on)


@attestations_app.command("evidence")
def attestations_evidence(
    ref: Annotated[str, typer.Argument(help="attestation id (assurance attestations list)")],
    file: Annotated[Path, typer.Argument(help="the evidence file (hashed, not stored)")],
) -> None:
    """Attach the evidence file's SHA-256 to an attestation, or replace it (audited)."""
    s, at = settings(), now()
    with refused(), session(api.connect(s), write=True) as sess, sess.begin():
        a = register.attach_evidence(sess, ref, file, actor=actor(), at=at)
        line, digest = _line(a), a.evidence_sha256
    out.print(f"{line}: evidence {file.name} sha256 {digest}", markup=False, soft_wrap=True)
