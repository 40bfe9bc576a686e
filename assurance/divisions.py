"""The division register: organisation → division → department, each with an accountable owner.

The reviews behind this product ask for accountability **by division** (domain.md §10): a
division's figures are the rows the person-level importers store under the breakdown
``division:<code>``, and a rule with ``scope: division`` judges each division's own figures
(its own finding). This register says what each division is called, which departments sit in
it and who is accountable for it — a **role** ("Divisional Director, Surgery"), not a person's
name. A division-scoped finding is owned by that role until someone assigns the action.

The register is replaced one organisation at a time from a file (``assurance divisions import``;
the CSV reader is ``connectors.divisions_csv``): the file is the register of the organisations
it names, so a division dropped from it is dropped here. Every replacement is one audit event
in the caller's transaction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, delete, select

from assurance import audit
from assurance.models import Division, Organisation
from assurance.problems import Problem, ProblemsError

LEVELS = ("division", "department")
MAX_CODE = 64 - len("division:")
"""The longest code: the breakdown ``division:<code>`` fits the store's 64 characters."""


def division_code(name: str) -> str:
    """The key a division's figures are stored under: the name in lower case with runs of
    anything but a-z and 0-9 as ``_`` ("Surgery & Critical Care" → ``surgery_critical_care``),
    exactly as the person-level importers write it, so the register and the figures meet."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


@dataclass(frozen=True)
class DivisionRow:
    """One line of a register file: a division, or a department of a division."""

    org_code: str
    name: str
    level: str  # division | department
    parent: str | None  # a department's division code
    owner: str | None
    line: int

    @property
    def code(self) -> str:
        return division_code(self.name)


def check(rows: Sequence[DivisionRow], where: str, known_orgs: set[str]) -> list[Problem]:
    """What would make the register inconsistent: unknown organisations, a code used twice in
    one organisation, a department whose division is not in the file."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    divisions = {(r.org_code, r.code) for r in rows if r.level == "division"}
    for r in rows:
        if r.org_code not in known_orgs:
            problems.append(Problem(where, f"unknown organisation code {r.org_code!r}; register "
                                    "it first (assurance orgs import)", r.line, "org_code"))
        first = seen.setdefault((r.org_code, r.code), r.line)
        if first != r.line:
            problems.append(Problem(where, f"{r.name!r} is listed twice for {r.org_code} (first "
                                    f"on row {first}); names that differ only in case or "
                                    "punctuation are one division", r.line))
        if r.level == "department" and (r.org_code, r.parent) not in divisions:
            problems.append(Problem(where, f"department {r.name!r} names division "
                                    f"{r.parent!r}, which has no row of its own in this file",
                                    r.line, "division"))
    return problems


def replace_register(s: Session, rows: Sequence[DivisionRow], *, where: str, sha256: str,
                     actor: str, at: datetime) -> dict[str, int]:
    """Replace the register of every organisation the rows name (all or nothing: problems
    raise :class:`ProblemsError` before anything changes). Returns divisions per organisation."""
    known = set(s.exec(select(Organisation.code)).all())
    problems = check(rows, where, known)
    if problems:
        raise ProblemsError(problems)
    orgs = sorted({r.org_code for r in rows})
    s.exec(delete(Division).where(col(Division.org_code).in_(orgs)))
    for r in rows:
        s.add(Division(org_code=r.org_code, code=r.code, name=r.name, level=r.level,
                       parent=r.parent, owner=r.owner))
    counts = {o: sum(1 for r in rows if r.org_code == o) for o in orgs}
    audit.append(s, at=at, actor=actor, action="divisions.import", subject="divisions",
                 details={"file": where.rsplit("/", 1)[-1], "sha256": sha256,
                          "organisations": counts,
                          "owners_missing": sum(1 for r in rows if r.level == "division"
                                                and not r.owner)})
    return counts


def list_divisions(s: Session, org_code: str | None = None) -> list[Division]:
    """The register, organisation by organisation, each division before its departments."""
    q = select(Division)
    if org_code:
        q = q.where(Division.org_code == org_code.upper())
    rows = list(s.exec(q).all())
    return sorted(rows, key=lambda d: (d.org_code, d.parent or d.code, d.level != "division",
                                       d.name))
