"""Rendering a finding event as an :class:`~assurance.channels.OutboundMessage` for one audience.

Every figure in the message is shown through :func:`assurance.disclosure.figure.disclose_figure`
with the audience's policy (domain.md §9) — the same path as the reports — so counts of 1–7
become ``*``, other counts are rounded to the nearest 5, a total is never shown with all but
one of its parts, and a rate, ratio or interval built on a hidden count is shown as ``*``,
unless the audience sees exact counts (board and regulator by default). The message is built only from the
finding's stored facts (aggregate counts and values), never from person-level records, and
never from the free-text evaluation summary for a suppressed audience, because that sentence
quotes exact counts.

Known limitations: facts no condition kind declares are shown to exact audiences only; lists
and nested tables (series, compound children) are left out of the message.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import date
from typing import Any, cast

from assurance.channels import Attachment, Event, OutboundMessage, Trend
from assurance.disclosure import DisclosurePolicy, hidden_note, quotable
from assurance.disclosure.figure import DisclosedFigure, DisclosedGroup, disclose_figure, limits_text
from assurance.models import Finding, FindingEvent, Organisation
from assurance.periods import long_date, short_label
from assurance.wording import counted, level_label

EVENT_NAMES: Mapping[str, Event] = {
    "opened": "opened", "reopened": "reopened", "continuing": "repeat",
    "escalated": "escalated", "acknowledged": "acknowledged", "assigned": "assigned",
    "silenced": "silenced", "resolved": "resolved", "silence_expired": "silence_expired",
}
"""Finding event kinds that notify, and the channel event each becomes (``recovering``, a
rule met but not yet for long enough to resolve, does not notify)."""

_STATES = {"breach": "firing", "outside": "firing", "ok": "ok", "no_data": "no_data",
           "not_calculable": "no_data", "error": "error"}


def _group_line(g: DisclosedGroup) -> str:
    parts = []
    if g.numerator_text and g.denominator_text:
        parts.append(f"{g.numerator_text}/{g.denominator_text}")
    elif g.denominator_text:
        parts.append(f"{g.denominator_text} people")
    if g.value_text:
        parts.append(g.value_text)
    return " · ".join(parts) or "–"


def _figure(d: DisclosedFigure) -> str:
    """The headline value with its interval, e.g. ``1.62 (95% CI 1.31 to 2.01)``, or that
    it is withheld from this audience (said in words: a message's first line is not "*")."""
    if d.value_hidden:
        return WITHHELD
    return d.value_text + (f" ({d.ci_text})" if d.ci_text else "")


WITHHELD = "Withheld (small numbers)"
"""What a message shows for a figure withheld from its audience, as the board report's
division tables do."""


def _headline_figure(d: DisclosedFigure) -> str:
    groups = [f"{g.label} {_group_line(g)}" for g in d.groups if g.role != "unknown"]
    return _figure(d) + ("; " + ", ".join(groups) if groups else "")


def _rows(d: DisclosedFigure, facts: Mapping[str, Any]) -> list[tuple[str, str]]:
    rows = [("Figure", _figure(d))]
    rows += [(g.label, _group_line(g)) for g in d.groups]
    if d.count_text is not None:
        rows.append(("Count", d.count_text))
    if d.measured_text is not None:
        rows.append((d.measured_label, d.measured_text))
    if d.declaration_text is not None:
        rows.append(("Declaration rate", d.declaration_text))
    limits = limits_text(facts)
    if limits is not None:
        rows.append(limits)
    rows += list(d.facts)
    return rows


def _headline(event: FindingEvent, finding: Finding, figure: str, previous_level: str | None,
              details: Mapping[str, Any]) -> str:
    def lvl(name: str | None) -> str:
        return level_label(name, in_sentence=True) if name else "no level"

    def day(value: Any) -> str:
        return long_date(date.fromisoformat(str(value))) if value else ""

    kind = event.kind
    if kind == "reopened":
        if details.get("resolved_in"):
            n = int(details.get("periods_after") or 1)
            return (f"In breach again {n} period{'s' if n != 1 else ''} after it was resolved "
                    f"in {short_label(details['resolved_in'])}: {figure}")
        return f"In breach again (opened {finding.times_opened} times): {figure}"
    if kind == "opened" and details.get("previously_resolved_in"):
        return (f"In breach again (last resolved in "
                f"{short_label(details['previously_resolved_in'])}): {figure}")
    if kind == "continuing":
        n = details.get("consecutive_periods", finding.consecutive_periods)
        return f"Still in breach ({n} period{'s' if n != 1 else ''} in breach): {figure}"
    if kind == "escalated":
        if details.get("reason") == "unacknowledged":
            why = f"not acknowledged after {details['working_days']} working days"
        elif details.get("reason") == "overdue":
            n = int(details["working_days"])
            why = (f"action due {day(details.get('due'))} is {n} working "
                   f"day{'s' if n != 1 else ''} overdue")
        else:
            why = (f"{details.get('consecutive_periods', finding.consecutive_periods)} "
                   "periods in breach")
        return f"Escalated from {lvl(previous_level)} to {lvl(event.level)} ({why}): {figure}"
    if kind == "acknowledged":
        note = details.get("note") or ""
        return f"Acknowledged by {event.actor}" + (f": {note}" if note else "")
    if kind == "assigned":
        due = f", due {day(details['due'])}" if details.get("due") else ""
        note = f": {details['note']}" if details.get("note") else ""
        return f"Action assigned to {details.get('owner', '?')}{due}{note}"
    if kind == "silenced":
        return (f"Silenced until {day(details.get('until'))}, approved by "
                f"{details.get('approver', '?')}: {details.get('reason', '')}")
    if kind == "resolved" and details.get("by_hand"):
        return f"Resolved by {event.actor}: {details.get('note', '')}"
    if kind == "resolved":
        days, periods = details.get("days"), details.get("periods")
        span = f" ({counted(int(days), 'day')})" if days is not None else ""
        after = counted(int(periods), "period") if periods is not None else "some periods"
        return f"Resolved after {after} in breach{span}: {figure}"
    if kind == "silence_expired":
        return f"Silence expired; the finding speaks again: {figure}"
    return figure


def message_for(finding: Finding, event: FindingEvent, audience_policy: DisclosurePolicy,
                org: Organisation | None, *, idempotency_key: str = "",
                previous_level: str | None = None, why: str = "", action: str = "",
                report_url: str | None = None) -> OutboundMessage:
    """The message about ``event`` of ``finding`` as an audience with ``audience_policy`` sees it.

    Args:
        finding: the finding (its stored facts give every figure).
        event: the finding event being announced.
        audience_policy: disclosure control for the subscription's audience.
        org: the organisation (name, synthetic flag); None shows the code as the name.
        idempotency_key: the notification's key (receivers dedupe on it).
        previous_level: the level before an escalation.
        why: why the rule matters (the rule's ``why``).
        action: what to do (the assigned action, else the rule's ``action``).
        report_url: a link to the report, if there is one.

    Raises:
        ValueError: the event's kind is not one that notifies (:data:`EVENT_NAMES`).
    """
    if event.kind not in EVENT_NAMES:
        raise ValueError(f"finding event {event.kind!r} does not notify; expected one of "
                         + ", ".join(EVENT_NAMES))
    facts = json.loads(finding.facts or "{}")
    details = json.loads(event.details or "{}")
    d = disclose_figure(facts, audience_policy)
    rows, headline = _rows(d, facts), _headline_figure(d)
    if not d.calculable and not d.groups and "value" not in facts:
        # A rule that judges no figure (an attestation, a narrative): its headline says what
        # it found where the audience may read the finding, never a bare "no figure".
        headline = (finding.summary if quotable(audience_policy) and finding.summary
                    else "a statement the rule requires, not a figure (see the finding)")
    if d.hidden:
        rows.append(("Note", hidden_note(audience_policy)))
    if quotable(audience_policy) and finding.summary:
        rows.append(("Finding", finding.summary))
    if finding.action_owner:
        due = f", due {long_date(finding.action_due)}" if finding.action_due else ""
        rows.append(("Action owner", f"{finding.action_owner}{due}"))
    silenced = finding.silenced_until is not None and finding.silenced_until >= event.as_of
    period = event.period or finding.last_period
    return OutboundMessage(
        idempotency_key=idempotency_key, event=EVENT_NAMES[event.kind],
        thread_key=finding.fingerprint, title=finding.title, severity=finding.severity,
        organisation_code=finding.org_code,
        organisation_name=org.name if org is not None else finding.org_code,
        rule_id=finding.rule_id, period=short_label(period) if period else "",
        state="silenced" if silenced else _STATES.get(event.status, event.status),
        level=event.level or "",
        headline=_headline(event, finding, headline, previous_level, details),
        why=why, action=finding.action_note or action, report_url=report_url,
        facts=tuple(rows), synthetic=bool(org is not None and org.synthetic),
        trend=cast(Trend | None, d.trend))


def dead_letter_message(original: OutboundMessage, *, key: str, channel: str, subscription: str,
                        attempts: int, reason: str) -> OutboundMessage:
    """The alert that a notification could not be delivered; it carries no figures."""
    return dataclasses.replace(
        original, idempotency_key=key, event="dead_letter",
        title=f"Delivery failed: {original.title}",
        headline=f"The {original.event} message for subscription {subscription} could not be "
        f"delivered to channel {channel} after {attempts} attempt(s): {reason}",
        facts=(("Channel", channel), ("Subscription", subscription),
               ("Attempts", str(attempts)), ("Reason", reason),
               ("Next step", "fix the cause, then retry it: assurance notify --retry-dead")),
        why="A finding's audience was not told; until the cause is fixed they may not know.",
        action="", trend=None, report_url=None, attachments=())


def to_json(message: OutboundMessage) -> str:
    """The message as stored in ``notification.message``."""
    doc = dataclasses.asdict(message)
    doc["facts"] = [list(pair) for pair in message.facts]
    return json.dumps(doc, ensure_ascii=False, sort_keys=True)


def from_json(text: str) -> OutboundMessage:
    """The message stored by :func:`to_json`."""
    doc = json.loads(text)
    doc["facts"] = tuple((str(a), str(b)) for a, b in doc.get("facts", ()))
    doc["attachments"] = tuple(Attachment(**a) for a in doc.get("attachments", ()))
    names = {f.name for f in dataclasses.fields(OutboundMessage)}
    return OutboundMessage(**{k: v for k, v in doc.items() if k in names})
