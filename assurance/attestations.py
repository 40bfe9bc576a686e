"""The attestation register: statements an organisation attests to, with evidence and expiry.

NHS England's EDI Improvement Plan measures several High Impact Actions by things that are
not figures: board members have EDI objectives, the plan was published, a policy was reviewed
(domain.md §12). Each is recorded here as an **attestation**: the organisation, the statement
(a dotted id such as ``hia.1.board-objectives`` and its wording), who attests it — a **role**
such as Chair or Chief People Officer, not a person's name unless asked for — the date it was
attested and the date it is valid until. The evidence file (board minutes, the published plan)
is never stored: its SHA-256 and file name are, and the hash enters the audit chain, so a
board paper can later be shown to be the one attested.

Rules require a current attestation with the ``attestation`` condition kind
(:mod:`assurance.engine.conditions.attestation`); an attestation about to lapse opens a finding
before it does. Every change here — added, expired (withdrawn early), evidence attached or
replaced — is an audit event in the caller's transaction; nothing is ever deleted, and a
renewal is a new attestation, so the history stays.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from sqlmodel import Session, col, select

from assurance import audit
from assurance.engine.conditions.attestation import STATEMENT_ID, AttestationRequired
from assurance.engine.conditions.base import Condition
from assurance.engine.rules import RulePack
from assurance.models import Attestation
from assurance.problems import Problem, ProblemsError, did_you_mean, row_by_id, withdrawal_problems
from assurance.register import registered_org
from assurance.safeinput import one_line

State = Literal["current", "expired", "withdrawn", "not yet valid"]

ROLES = (
    "Chair", "Chief Executive", "Chief People Officer", "Director of Workforce",
    "Chief Nursing Officer", "Medical Director", "Chief Operating Officer",
    "Director of Finance", "Company Secretary", "Board Secretary", "Senior Independent Director",
    "Non-executive Director", "Executive Lead for EDI", "EDI Lead",
    "Chair of the People Committee", "Freedom to Speak Up Guardian",
)  # fmt: skip
"""Roles that may attest (``--by``): an attestation names a role, not a person, by default."""

CHUNK = 1 << 20


@dataclass(frozen=True)
class Statement:
    """A statement a rule in force requires (its id, wording and the rules asking for it)."""

    id: str
    text: str
    rules: tuple[str, ...]


def _conditions(c: Condition) -> Iterable[Condition]:
    yield c
    for child in getattr(c, "children", ()):
        yield from _conditions(child)


def required_statements(packs: Sequence[RulePack]) -> dict[str, Statement]:
    """Statement id → the statement, for every ``attestation`` condition in the packs."""
    found: dict[str, tuple[str, list[str]]] = {}
    for p in packs:
        for r in p.rules:
            for c in _conditions(r.condition):
                if isinstance(c, AttestationRequired):
                    text, rules = found.setdefault(c.statement, (c.text, []))
                    if not text and c.text:
                        found[c.statement] = (c.text, rules)
                    rules.append(r.id)
    return {k: Statement(k, t, tuple(rs)) for k, (t, rs) in sorted(found.items())}


def state_on(a: Attestation, day: date) -> State:
    """The attestation's state on ``day``."""
    if a.withdrawn_on is not None and a.withdrawn_on <= day:
        return "withdrawn"
    if a.attested_on > day:
        return "not yet valid"
    return "current" if day <= a.valid_until else "expired"


def hash_file(path: Path) -> str:
    """SHA-256 of a file, read in chunks (board packs can be large)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
    return h.hexdigest()


def _evidence(path: Path, where: str) -> tuple[str, str] | Problem:
    """(sha256, file name) of an evidence file, or the problem with it."""
    if not path.exists():
        return Problem(where, f"{path}: no such file; expected the evidence file (board "
                       "minutes, the published plan …)")
    if not path.is_file():
        return Problem(where, f"{path}: not a regular file; expected the evidence file itself "
                       "(not a folder or a device)")
    try:
        return hash_file(path), path.name
    except OSError as exc:
        return Problem(where, f"{path}: cannot be read ({exc.strerror or exc})")


def _role(by: str, person: bool, problems: list[Problem]) -> str:
    by = " ".join(by.split())
    if not by:
        problems.append(Problem("--by", "found nothing; expected the attesting role, e.g. "
                                "Chair"))
        return by
    if person:
        return by
    for r in ROLES:
        if r.lower() == by.lower():
            return r
    problems.append(Problem("--by", f"found {by!r}; expected a role{did_you_mean(by, ROLES)}: "
                            f"{', '.join(ROLES)} (a person's name only with --person)"))
    return by


def add(s: Session, *, org: str, statement: str, attested_by: str, attested_on: date,
        valid_until: date, today: date, actor: str, at: datetime, text: str | None = None,
        evidence: Path | None = None, person: bool = False,
        statements: Mapping[str, Statement] | None = None) -> Attestation:
    """Record an attestation (caller commits); raise ProblemsError listing every problem.

    Args:
        s: the store session; the audit event is written in its transaction.
        org: a registered organisation's code.
        statement: the statement id; with ``statements`` given, one a rule in force requires.
        attested_by: the attesting role (one of :data:`ROLES`, any case), or with ``person``
            a name.
        attested_on: when it was attested (not after ``today``).
        valid_until: the last day it is valid (not before ``attested_on``).
        today: the date "after today" is judged against.
        actor: who recorded it (audit log).
        at: when.
        text: the statement's wording; default: the requiring rule's ``text``.
        evidence: the evidence file (hashed; the file itself is not stored).
        person: ``attested_by`` is a person's name, recorded on purpose.
        statements: the statements the rules in force require (:func:`required_statements`).
    """
    problems: list[Problem] = []
    code = registered_org(s, org, "--org", problems)
    stmt = statement.strip()
    known = statements or {}
    if not STATEMENT_ID.match(stmt):
        problems.append(Problem("statement", f"found {stmt!r}; expected a dotted lower-case "
                                "id, e.g. hia.1.board-objectives"))
    elif statements is not None and stmt not in known:
        problems.append(Problem("statement", f"no rule in force requires {stmt!r}"
                                f"{did_you_mean(stmt, known)}; expected one of: "
                                f"{', '.join(known) or '(none: no attestation rules)'}"))
    wording = (one_line(text, "--text", "the statement attested, on one line", problems)
               if text and text.strip() else (known[stmt].text if stmt in known else ""))
    if not wording:
        problems.append(Problem("--text", "no statement text; give --text (the rule requiring "
                                f"{stmt!r} has none to offer)"))
    role = _role(attested_by, person, problems)
    if attested_on > today:
        problems.append(Problem("--on", f"found {attested_on}; an attestation cannot be dated "
                                f"after today ({today})"))
    if valid_until < attested_on:
        problems.append(Problem("--valid-until", f"found {valid_until}, before the attestation "
                                f"date {attested_on}; expected {attested_on} or later"))
    digest: tuple[str, str] | None = None
    if evidence is not None:
        got = _evidence(evidence, "--evidence")
        if isinstance(got, Problem):
            problems.append(got)
        else:
            digest = got
    if problems:
        raise ProblemsError(problems)
    a = Attestation(org_code=code, statement=stmt, text=wording, attested_by=role,
                    attested_on=attested_on, valid_until=valid_until,
                    evidence_sha256=digest[0] if digest else None,
                    evidence_name=digest[1] if digest else None, recorded_by=actor,
                    recorded_at=at)
    s.add(a)
    s.flush()
    audit.append(s, at=at, actor=actor, action="attestation.add", subject=f"attestation:{a.id}",
                 details={"org": code, "statement": stmt, "text": wording,
                          "attested_by": role, "attested_on": attested_on,
                          "valid_until": valid_until, "evidence_sha256": a.evidence_sha256,
                          "evidence_name": a.evidence_name})
    return a


def get(s: Session, ref: int | str) -> Attestation:
    """One attestation by id; ProblemsError naming it when there is none."""
    return row_by_id(s, Attestation, ref, "attestation", "assurance attestations list")


def expire(s: Session, ref: int | str, *, on: date, reason: str, actor: str,
           at: datetime) -> Attestation:
    """Withdraw an attestation from ``on`` (it is no longer current that day), with a reason.

    The row is kept (history); the rule requiring the statement breaches from ``on``.
    """
    a = get(s, ref)
    why, problems = withdrawal_problems("attestation", a, reason, "why it no longer holds")
    one_line(reason, "--reason", "why it no longer holds, on one line", problems)
    if on < a.attested_on:
        problems.append(Problem("--on", f"found {on}, before the attestation date "
                                f"{a.attested_on}; expected {a.attested_on} or later"))
    elif on > a.valid_until:
        problems.append(Problem("--on", f"found {on}; attestation {a.id} lapses after "
                                f"{a.valid_until} anyway; expected {a.valid_until} or earlier"))
    if problems:
        raise ProblemsError(problems)
    a.withdrawn_on, a.withdrawn_reason = on, why
    s.add(a)
    s.flush()
    audit.append(s, at=at, actor=actor, action="attestation.expire", subject=f"attestation:{a.id}",
                 details={"org": a.org_code, "statement": a.statement, "withdrawn_on": on,
                          "reason": why})
    return a


def attach_evidence(s: Session, ref: int | str, path: Path, *, actor: str,
                    at: datetime) -> Attestation:
    """Attach the evidence file's hash to an attestation, or replace the one recorded.

    The audit event records the new hash and the one it replaces, so the chain keeps both.
    """
    a = get(s, ref)
    got = _evidence(path, "evidence")
    if isinstance(got, Problem):
        raise ProblemsError([got])
    previous = a.evidence_sha256
    a.evidence_sha256, a.evidence_name = got
    s.add(a)
    s.flush()
    audit.append(s, at=at, actor=actor, action="attestation.evidence",
                 subject=f"attestation:{a.id}",
                 details={"org": a.org_code, "statement": a.statement,
                          "evidence_sha256": got[0], "evidence_name": got[1],
                          "replaces_sha256": previous})
    return a


def list_attestations(s: Session, *, org: str | None = None,
                      statement: str | None = None) -> list[Attestation]:
    """Attestations, by organisation, statement and date (all states)."""
    q = select(Attestation)
    if org:
        q = q.where(Attestation.org_code == org.strip().upper())
    if statement:
        q = q.where(Attestation.statement == statement.strip())
    return list(s.exec(q.order_by(col(Attestation.org_code), col(Attestation.statement),
                                  col(Attestation.attested_on), col(Attestation.id))).all())


__all__ = ["ROLES", "State", "Statement", "add", "attach_evidence", "expire", "get",
           "hash_file", "list_attestations", "required_statements", "state_on"]
