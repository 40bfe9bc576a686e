"""Routing: which subscriptions hear about a finding, and why (or why not).

A subscription names a channel, an audience (which sets disclosure control) and what it
wants to hear about: ``match`` is ``{key: [values]}`` where every key must match (AND) and any
value of a key may match (OR), compared without regard to case. Keys:

* ``standard``, ``characteristic``, ``topic``, ``audience``: the rule's labels;
* ``severity``: the rule's severity; ``organisation``: the ODS code; ``pack``: the rule pack;
* ``level``: the escalation level the finding is at when the event happens;
* ``rule``: a rule id prefix on dot boundaries (``wres.2`` matches ``wres.2.adverse``, not
  ``wres.20.x``; a trailing ``.*`` is allowed and ignored).

**Scope.** A subscription hears only about the organisations it is accountable for: its
``orgs`` (ODS codes), else the configured ``organisations.accountable``. Peers (every other
organisation in the register, e.g. the Staff Survey's benchmark trusts) only with
``peers = true``. With neither ``orgs`` nor ``organisations.accountable`` a subscription hears
about every organisation, as before scopes existed; :func:`scope_warnings` says so for
``assurance config check``. ``divisions`` (names or codes from the division register) narrows
a subscription to those divisions' own findings (rules with ``scope: division``): a division's
network or its divisional director hears about its division, not the whole trust's findings.
A subscription without ``divisions`` hears about its organisations' division findings too.
Run-time subscriptions
(``assurance subscriptions add``) have no ``orgs`` of their own yet, so they are scoped to
``organisations.accountable``.

``min_level`` (a level from ``[escalation] levels``) hears only findings at that level or
above: the board committee subscribes with ``min_level = "board_committee"`` and first hears
of a finding when it is escalated to it. ``repeat_every`` (periods, default 1; 0 never)
thins "still in breach" repeats. Subscriptions come from ``config.toml``
(``[[subscriptions]]``) and from the ``subscription`` table (``assurance subscriptions add``);
names are unique across both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from assurance import audit
from assurance.config import AUDIENCES, Settings
from assurance.divisions import division_code
from assurance.engine.rules import SEVERITIES
from assurance.models import Finding, SubscriptionRecord
from assurance.problems import Problem, ProblemsError, did_you_mean

LABEL_KEYS = ("standard", "characteristic", "topic", "audience")
MATCH_KEYS = (*LABEL_KEYS, "severity", "organisation", "level", "rule", "pack")


@dataclass(frozen=True)
class Subscription:
    """One subscription, from config or the store (see the module docstring)."""

    name: str
    channel: str
    audience: str
    match: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    min_level: str | None = None
    repeat_every: int = 1
    source: str = "config"  # "config" | "store"
    created_by: str | None = None
    created_at: datetime | None = None
    orgs: tuple[str, ...] = ()
    divisions: tuple[str, ...] = ()  # names or codes: only those divisions' findings
    peers: bool = False


@dataclass(frozen=True)
class RouteDecision:
    """Whether one subscription gets a finding, with a reason per criterion checked."""

    subscription: Subscription
    matched: bool
    reasons: list[str]


def config_subscriptions(settings: Settings) -> list[Subscription]:
    """The ``[[subscriptions]]`` of config.toml."""
    return [Subscription(s.name, s.channel, s.audience, dict(s.match), s.min_level,
                         int(getattr(s, "repeat_every", 1)), "config",
                         orgs=tuple(c.upper() for c in s.orgs), divisions=tuple(s.divisions),
                         peers=bool(s.peers))
            for s in settings.subscriptions]


def _from_record(r: SubscriptionRecord) -> Subscription:
    match = {k: tuple(v) for k, v in json.loads(r.match).items()}
    return Subscription(r.name, r.channel, r.audience, match, r.min_level, r.repeat_every,
                        "store", r.created_by, r.created_at)


def list_subscriptions(session: Session, settings: Settings) -> list[Subscription]:
    """Config subscriptions, then run-time ones in the order they were added."""
    stored = session.exec(select(SubscriptionRecord).order_by(col(SubscriptionRecord.id))).all()
    return config_subscriptions(settings) + [_from_record(r) for r in stored]


def finding_attributes(finding: Finding, level: str | None = None) -> dict[str, tuple[str, ...]]:
    """What a subscription can match on, for one finding (``level`` overrides its level)."""
    labels: dict[str, Any] = json.loads(finding.labels or "{}")
    attrs = {k: tuple(str(v) for v in (vals if isinstance(vals, list) else [vals]))
             for k, vals in labels.items()}
    level = level if level is not None else finding.level
    attrs.update(severity=(finding.severity,), organisation=(finding.org_code,),
                 rule=(finding.rule_id,), pack=(finding.pack,),
                 level=(level,) if level else ())
    return attrs


def _rule_matches(rule_id: str, prefix: str) -> bool:
    prefix = prefix.removesuffix(".*").casefold()
    rid = rule_id.casefold()
    return rid == prefix or rid.startswith(prefix + ".")


def scope_of(sub: Subscription, accountable: Sequence[str]) -> tuple[str, ...]:
    """The organisations ``sub`` is accountable for (empty: every organisation)."""
    return () if sub.peers else tuple(sub.orgs or accountable)


def _in_scope(sub: Subscription, org: str, accountable: Sequence[str]) -> tuple[bool, str | None]:
    if sub.peers:
        return True, "peers = true: hears about every organisation"
    scope = scope_of(sub, accountable)
    if not scope:
        return True, None  # unscoped, as before scopes existed (scope_warnings says so)
    whose = "its orgs" if sub.orgs else "organisations.accountable"
    if org.upper() in {c.upper() for c in scope}:
        return True, f"organisation {org} is in {whose}"
    return False, (f"organisation {org} is a peer, not in {whose} [{', '.join(scope)}]; "
                   "set peers = true to hear about peers")


def hears_about(sub: Subscription, org: str, accountable: Sequence[str]) -> bool:
    """Whether ``sub`` can hear about any finding of ``org``: in its scope, and not matching
    other organisations only (the dashboard shows an organisation's account only these)."""
    named = sub.match.get("organisation", ())
    return _in_scope(sub, org, accountable)[0] and (
        not named or org.casefold() in {n.casefold() for n in named})


def _in_divisions(sub: Subscription, finding: Finding) -> tuple[bool, str]:
    """A subscription with ``divisions`` hears only about those divisions' own findings."""
    wanted = {division_code(d) for d in sub.divisions}
    code = finding.scope.removeprefix("division:") if finding.scope.startswith("division:") \
        else None
    if code is None:
        return False, (f"the finding is about the whole organisation; the subscription wants "
                       f"divisions [{', '.join(sub.divisions)}]")
    if code in wanted:
        return True, f"division {code} is in [{', '.join(sub.divisions)}]"
    return False, f"division {code} is not in [{', '.join(sub.divisions)}]"


def decide(sub: Subscription, finding: Finding, levels: Sequence[str], *,
           level: str | None = None, accountable: Sequence[str] = ()) -> RouteDecision:
    """Check one subscription against one finding; every criterion gives a reason.

    ``accountable`` is ``organisations.accountable``: the scope of a subscription without
    ``orgs`` of its own.
    """
    attrs = finding_attributes(finding, level)
    reasons: list[str] = []
    matched, why = _in_scope(sub, finding.org_code, accountable)
    if why is not None:
        reasons.append(why)
    if sub.divisions:
        ok, because = _in_divisions(sub, finding)
        reasons.append(because)
        matched = matched and ok
    for key, wanted in sub.match.items():
        have = attrs.get(key, ())
        shown = ", ".join(wanted)
        if key == "rule":
            hit = any(_rule_matches(have[0], w) for w in wanted) if have else False
        else:
            folded = {h.casefold() for h in have}
            hit = any(w.casefold() in folded for w in wanted)
        if hit:
            reasons.append(f"{key} {', '.join(have)} matches [{shown}]")
        elif not have:
            reasons.append(f"the finding has no {key}; the subscription wants [{shown}]")
        else:
            reasons.append(f"{key} {', '.join(have)} is not in [{shown}]")
        matched = matched and hit
    if sub.min_level is not None:
        current = attrs["level"][0] if attrs["level"] else None
        if current in levels and sub.min_level in levels:
            ok = levels.index(current) >= levels.index(sub.min_level)
            reasons.append(f"level {current} is {'at or above' if ok else 'below'} "
                           f"min_level {sub.min_level}")
        else:
            ok = False
            reasons.append(f"level {current} cannot be compared with min_level {sub.min_level}")
        matched = matched and ok
    if not sub.match and sub.min_level is None:
        reasons.append("the subscription matches every finding" if why is None
                       else "the subscription matches every finding in its scope")
    return RouteDecision(sub, matched, reasons)


def explain(finding: Finding, settings: Settings,
            subscriptions: Sequence[Subscription] | None = None, *,
            level: str | None = None) -> list[RouteDecision]:
    """For each subscription (default: config ones), whether it gets ``finding`` and why.

    Args:
        finding: the finding.
        settings: gives the escalation levels and the config subscriptions.
        subscriptions: the subscriptions to check, e.g. :func:`list_subscriptions`.
        level: judge as if the finding were at this level (default: its current level).
    """
    subs = config_subscriptions(settings) if subscriptions is None else subscriptions
    return [decide(s, finding, settings.escalation_levels, level=level,
                   accountable=settings.accountable) for s in subs]


def matching(finding: Finding, settings: Settings, subscriptions: Sequence[Subscription], *,
             level: str | None = None) -> list[Subscription]:
    """The subscriptions that get ``finding`` at ``level``."""
    return [d.subscription for d in explain(finding, settings, subscriptions, level=level)
            if d.matched]


def validate(settings: Settings, *, name: str, channel: str, audience: str,
             match: Mapping[str, Sequence[str]], min_level: str | None, repeat_every: int = 1,
             where: str = "subscription") -> list[Problem]:
    """Every problem with one subscription's fields (names are checked by the caller)."""
    problems: list[Problem] = []

    def bad(key: str, message: str) -> None:
        problems.append(Problem(where, f"{key}: {message}"))

    if not name.strip() or len(name) > 80:
        bad("name", "expected a non-empty name of at most 80 characters")
    if channel not in settings.channels:
        bad("channel", f"unknown channel {channel!r}{did_you_mean(channel, settings.channels)}; "
            "expected one of " + (", ".join(settings.channels) or "(no channels configured)"))
    if audience not in AUDIENCES:
        bad("audience", f"unknown audience {audience!r}{did_you_mean(audience, AUDIENCES)}; "
            "expected one of " + ", ".join(AUDIENCES))
    levels = settings.escalation_levels
    if min_level is not None and min_level not in levels:
        bad("min_level", f"unknown level {min_level!r}{did_you_mean(min_level, levels)}; "
            "expected one of " + ", ".join(levels))
    if repeat_every < 0:
        bad("repeat_every", f"expected a whole number of periods >= 0, found {repeat_every}")
    for key, values in match.items():
        if key not in MATCH_KEYS:
            bad(f"match.{key}", f"unknown label{did_you_mean(key, MATCH_KEYS)}; expected one of "
                + ", ".join(MATCH_KEYS))
            continue
        if not values or not all(isinstance(v, str) and v.strip() for v in values):
            bad(f"match.{key}", "expected one or more non-empty values")
            continue
        known = {"level": levels, "severity": SEVERITIES, "audience": AUDIENCES}.get(key)
        for v in values:
            if known is not None and v not in known:
                bad(f"match.{key}", f"unknown {key} {v!r}{did_you_mean(v, known)}; expected "
                    "one of " + ", ".join(known))
    return problems


def check_subscriptions(settings: Settings) -> list[Problem]:
    """Problems with the config subscriptions' ``match`` tables (config.py checks the rest)."""
    where = str(settings.source or "<config>")
    problems: list[Problem] = []
    for i, s in enumerate(config_subscriptions(settings)):
        problems += [Problem(where, f"subscriptions[{i}].{p.message}")
                     for p in validate(settings, name=s.name, channel=s.channel,
                                       audience=s.audience, match=s.match, min_level=s.min_level,
                                       repeat_every=s.repeat_every)
                     if p.message.startswith("match.")]
    names = [s.name for s in config_subscriptions(settings)]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.append(Problem(where, f"subscriptions: name {dup!r} is used more than once"))
    return problems


def scope_warnings(settings: Settings) -> list[Problem]:
    """Warnings (not errors) about the config subscriptions' scopes, for ``config check``:
    a subscription that hears about every organisation because neither it nor
    ``organisations.accountable`` names any."""
    where = str(settings.source or "<config>")
    out: list[Problem] = []
    for i, s in enumerate(config_subscriptions(settings)):
        key = f"subscriptions[{i}]"
        if not s.peers and not scope_of(s, settings.accountable):
            out.append(Problem(where, f"{key}: {s.name!r} hears about every organisation in "
                               "the register, peers included: it has no orgs and "
                               "organisations.accountable is empty; expected orgs = [...] or "
                               "organisations.accountable = [...] (or peers = true to say so)",
                               severity="warning"))
    return out


def add_subscription(session: Session, settings: Settings, *, name: str, channel: str,
                     audience: str, match: Mapping[str, Sequence[str]],
                     min_level: str | None = None, repeat_every: int = 1, actor: str,
                     at: datetime) -> Subscription:
    """Store a run-time subscription (caller commits); raises ProblemsError listing all problems.

    Args:
        session: the store session; the audit event is written in its transaction.
        settings: channels, audiences and levels to validate against.
        name: unique across config and stored subscriptions.
        channel: a channel in ``[channels]``.
        audience: one of :data:`assurance.config.AUDIENCES`.
        match: ``{key: [values]}`` (see the module docstring).
        min_level: the lowest escalation level this subscription hears about.
        repeat_every: send "still in breach" every this many periods (0: never).
        actor: who added it (audit log).
        at: when.
    """
    problems = validate(settings, name=name, channel=channel, audience=audience, match=match,
                        min_level=min_level, repeat_every=repeat_every)
    if any(s.name == name for s in list_subscriptions(session, settings)):
        problems.append(Problem("subscription", f"name: {name!r} already exists"))
    if problems:
        raise ProblemsError(problems)
    clean = {k: [str(v) for v in vals] for k, vals in sorted(match.items())}
    record = SubscriptionRecord(name=name, channel=channel, audience=audience,
                                match=audit.canonical(clean), min_level=min_level,
                                repeat_every=repeat_every, created_by=actor, created_at=at)
    session.add(record)
    session.flush()
    audit.append(session, at=at, actor=actor, action="subscription.add",
                 subject=f"subscription:{name}",
                 details={"channel": channel, "audience": audience, "match": clean,
                          "min_level": min_level, "repeat_every": repeat_every})
    return _from_record(record)


def remove_subscription(session: Session, settings: Settings, name: str, *, actor: str,
                        at: datetime) -> Subscription:
    """Delete a run-time subscription (caller commits); config ones must be edited in config.

    Notifications already queued for it are still delivered, and a later resolution of a
    finding it was told about still reaches its channel (see :func:`assurance.outbox.enqueue`).
    """
    record = session.exec(select(SubscriptionRecord).where(SubscriptionRecord.name == name)).first()
    if record is None:
        in_config = any(s.name == name for s in settings.subscriptions)
        names = [s.name for s in list_subscriptions(session, settings)]
        message = (f"{name!r} is defined in {settings.source or 'config.toml'}; remove it there"
                   if in_config else f"no subscription {name!r}{did_you_mean(name, names)}")
        raise ProblemsError([Problem("subscription", message)])
    sub = _from_record(record)
    session.delete(record)
    audit.append(session, at=at, actor=actor, action="subscription.remove",
                 subject=f"subscription:{name}", details={"channel": record.channel})
    return sub
