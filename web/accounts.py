"""Local accounts of the dashboard: argon2id password hashes, a role each, every change and
every sign-in (success or failure) in the audit chain.

For small deployments without single sign-on (``assurance web-users add``). Passwords are
never stored, logged or printed: only argon2-cffi's encoded hash (its defaults: argon2id,
RFC 9106 low-memory profile), rehashed on sign-in when those parameters change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from assurance import audit
from assurance.config.web import ROLES
from assurance.db import session
from assurance.models import Division, Organisation, WebAccount
from assurance.problems import Problem, ProblemsError, did_you_mean

HASHER = PasswordHasher()
MIN_PASSWORD = 12
"""Shortest password accepted (NCSC: length over complexity rules)."""
_DUMMY = HASHER.hash("not a password anyone has")  # unknown users cost the same time


@dataclass(frozen=True)
class Account:
    """An account as callers see it: never the hash."""

    username: str
    role: str
    org_code: str | None
    division: str | None
    disabled: bool
    created_by: str
    created_at: datetime
    last_login_at: datetime | None


def _view(a: WebAccount) -> Account:
    return Account(a.username, a.role, a.org_code, a.division, a.disabled, a.created_by,
                   a.created_at, a.last_login_at)


def add_account(engine: Engine, *, username: str, password: str, role: str,
                org_code: str | None = None, division: str | None = None, actor: str,
                at: datetime) -> Account:
    """Create an account (audited). A division owner names its organisation and division.

    Raises:
        ProblemsError: every problem at once (name taken or malformed, short password,
            unknown role, organisation or division); nothing is stored.
    """
    problems = []
    name = username.strip()
    if not name or len(name) > 80 or any(c.isspace() for c in name):
        problems.append(Problem("username", f"found {username!r}; expected 1-80 characters "
                                "without spaces"))
    if len(password) < MIN_PASSWORD:
        problems.append(Problem("password", f"expected at least {MIN_PASSWORD} characters, "
                                f"found {len(password)}"))
    if role not in ROLES:
        problems.append(Problem("--role", f"unknown role {role!r}{did_you_mean(role, ROLES)}; "
                                "expected one of " + ", ".join(ROLES)))
    if role == "division_owner" and not (org_code and division):
        problems.append(Problem("--division", "a division owner needs --org and --division"))
    org = org_code.upper() if org_code else None
    with session(engine, write=True) as s, s.begin():
        if s.exec(select(WebAccount).where(WebAccount.username == name)).first():
            problems.append(Problem("username", f"an account {name!r} already exists"))
        if org and s.get(Organisation, org) is None:
            problems.append(Problem("--org", f"unknown organisation {org!r}"))
        if org and division and not s.exec(select(Division).where(
                Division.org_code == org, Division.code == division)).first():
            known = s.exec(select(Division.code).where(Division.org_code == org)).all()
            problems.append(Problem("--division", f"unknown division {division!r} of {org}"
                                    f"{did_you_mean(division, known)}"))
        if problems:
            raise ProblemsError(problems)
        row = WebAccount(username=name, password_hash=HASHER.hash(password), role=role,
                         org_code=org, division=division, created_by=actor, created_at=at)
        s.add(row)
        audit.append(s, at=at, actor=actor, action="web.account_added",
                     subject=f"web_account:{name}",
                     details={"role": role, "org": org, "division": division})
        return _view(row)


def list_accounts(engine: Engine) -> list[Account]:
    with session(engine) as s:
        return [_view(a) for a in s.exec(select(WebAccount).order_by(col(WebAccount.username)))]


def disable_account(engine: Engine, username: str, *, actor: str, at: datetime) -> Account:
    """Disable an account (kept, so past audit events still name it); audited."""
    with session(engine, write=True) as s, s.begin():
        row = s.exec(select(WebAccount).where(WebAccount.username == username)).first()
        if row is None:
            known = s.exec(select(WebAccount.username)).all()
            raise ProblemsError([Problem("username", f"no account {username!r}"
                                         f"{did_you_mean(username, known)}")])
        row.disabled = True
        s.add(row)
        audit.append(s, at=at, actor=actor, action="web.account_disabled",
                     subject=f"web_account:{username}", details={})
        return _view(row)


def authenticate(engine: Engine, username: str, password: str, *, client: str,
                 at: datetime) -> Account | None:
    """The account when the password matches an enabled account, else None; either way an
    audit event (``web.login_succeeded`` / ``web.login_failed`` with the client address)."""
    name = username.strip()[:80]
    with session(engine, write=True) as s, s.begin():
        row = s.exec(select(WebAccount).where(WebAccount.username == name)).first() \
            if name else None
        ok = False
        try:
            ok = HASHER.verify(row.password_hash if row else _DUMMY, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        ok = ok and row is not None and not row.disabled
        if ok and row is not None:
            if HASHER.check_needs_rehash(row.password_hash):
                row.password_hash = HASHER.hash(password)
            row.last_login_at = at
            s.add(row)
        reason = "" if ok else ("unknown account" if row is None else
                                "account disabled" if row.disabled else "wrong password")
        audit.append(s, at=at, actor=name or "anonymous",
                     action="web.login_succeeded" if ok else "web.login_failed",
                     subject=f"web_account:{name}",
                     details={"client": client, "method": "password",
                              **({"reason": reason} if reason else {})})
        return _view(row) if ok and row is not None else None
