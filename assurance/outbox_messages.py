"""Rendering a finding event as an :class:`~assurance.channels.OutboundMessage` for one audience.

Every figure in the message passes through :mod:`assurance.disclosure` with the audience's
policy (domain.md §9): counts of 1–7 become ``*``, other counts are rounded to the nearest 5,
and a rate, ratio or interval built on a count of 1–7 is shown as ``*``, unless the audience
sees exact counts (board and regulator by default). The message is built only from the
finding's stored facts (aggregate counts and values), never from person-level records, and
never from the free-text evaluation summary for a suppressed audience, because that sentence
quotes exact counts.

Known limitations: facts this module does not recognise are shown only when they are rule
parameters (limits, thresholds) or as rates on the finding's smallest count; lists and nested
tables (series, compound children) are left out of the message.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from assurance.channels import Attachment, Event, OutboundMessage
from assurance.config import AudienceSettings
from assurance.disclosure import SUPPRESSED, DisclosurePolicy, disclose_count, disclose_rate
from assurance.engine.figures import fmt_value
from assurance.models import Finding, FindingEvent, Organisation
from assurance.periods import short_label

EVENT_NAMES: Mapping[str, Event] = {
    "opened": "opened", "reopened": "opened", "continuing": "repeat", "escalated": "escalated",
    "acknowledged": "acknowledged", "resolved": "resolved", "silence_expired": "silence_expired",
}
"""Finding event kinds that notify, and the channel event each becomes."""

_STATES = {"breach": "firing", "ok": "ok", "no_data": "no_data", "not_calculable": "no_data",
           "error": "error"}
_COUNT_KEYS = ("numerator", "denominator")
_PARAMETERS = {"low", "high", "threshold", "significant_required", "significant", "interval",
               "measure", "peer_group", "peers", "rank_worse_than", "points", "target",
               "target_year", "tolerance", "baseline_period", "previous_period", "newest_period",
               "age_days", "missing", "periods", "period", "unit"}
_SHOWN_ELSEWHERE = {"value", "ci", "focus", "reference", "unknown", "count", "measured",
                    "declaration_rate"}
# Numbers safe for suppressed audiences: not built on this organisation's small groups.
# Anything else (executive shares, previous or baseline values, expected trajectories …) may
# rest on counts the message does not carry, so only exact audiences see it.
_SAFE_NUMBERS = {"p_value", "median", "q1", "q3", "z"}


def policy_for(audience: AudienceSettings | None) -> DisclosurePolicy:
    """The disclosure policy of an audience (suppressed when the audience is unknown)."""
    if audience is None:
        return SUPPRESSED
    return DisclosurePolicy(exact=audience.exact_counts, low=audience.low, high=audience.high,
                            rounding=audience.rounding)


def _pattern(unit: str) -> str:
    return {"ratio": "{:.2f}", "percent": "{:.1f}%", "percentage_points": "{:+.1f} pp",
            "score": "{:.2f}"}.get(unit, "{:g}")


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if math.isnan(value) else float(value)


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


class _Discloser:
    """Figures of one finding as one audience may see them."""

    def __init__(self, facts: Mapping[str, Any], policy: DisclosurePolicy):
        self.facts, self.policy = facts, policy
        self.unit = str(facts.get("unit") or "")
        self.groups = [(role, g) for role in ("focus", "reference", "unknown")
                       if isinstance(g := facts.get(role), Mapping)]
        counts = [c for _, g in self.groups for k in _COUNT_KEYS if (c := _whole(g.get(k)))
                  is not None]
        counts += [c for c in (_whole(facts.get("count")), self._measured_count())
                   if c is not None]
        self.counts = counts
        # When the groups split one total (shares of a band, board seats), one small group
        # hides every group's rate: the others' rates would let a reader work the hidden one
        # out by subtraction. Groups with their own denominators (relative likelihoods) don't.
        totals = {_whole(g.get("denominator")) for _, g in self.groups}
        partition = len(self.groups) > 1 and len(totals) == 1 and None not in totals
        self.any_small = partition and any(policy.suppresses(c) for c in counts)
        self.hid = False  # whether any figure was shown as the suppression symbol

    def _measured_count(self) -> int | None:
        return _whole(self.facts.get("measured")) if self.facts.get("measure") == "count" else None

    def base(self, counts: Iterable[int]) -> int | None:
        """The count a rate is "built on": a small one if any (so it is hidden), else the largest."""
        known = list(counts)
        small = [c for c in known if self.policy.suppresses(c)]
        return small[0] if small else (max(known) if known else None)

    def _shown(self, text: str) -> str:
        self.hid = self.hid or text == self.policy.symbol
        return text

    def rate(self, value: Any, counts: Iterable[int] | None = None, unit: str | None = None) -> str:
        number = _num(value)
        people = self.base(self.counts if counts is None else counts)
        if number is None:
            return self.policy.missing
        unit = self.unit if unit is None else unit
        if unit == "yes_no":  # an organisation-level fact (WDES 9b), not built on people
            return fmt_value(number, unit)
        return self._shown(disclose_rate(number, people, self.policy, _pattern(unit)))

    def count(self, value: Any) -> str:
        n = _whole(value)
        if n is None:
            return self.policy.missing
        shown = self._shown(disclose_count(n, self.policy))
        return f"{int(shown):,}" if shown.isdigit() else shown

    def figure(self) -> str:
        """The headline value with its interval, e.g. ``1.62 (95% CI 1.31 to 2.01)``."""
        if _num(self.facts.get("value")) is None:
            return "not calculable" if "value" in self.facts else "no figure"
        text = self.rate(self.facts.get("value"))
        ci = self.facts.get("ci")
        if isinstance(ci, list) and len(ci) == 2:
            text += f" (95% CI {self.rate(ci[0])} to {self.rate(ci[1])})"
        return text

    def group_line(self, g: Mapping[str, Any]) -> str:
        num, den = g.get("numerator"), g.get("denominator")
        own = [c for c in (_whole(num), _whole(den)) if c is not None]
        unit = "percent" if self.unit in ("ratio", "percent", "percentage_points") else self.unit
        parts = []
        if num is not None and den is not None:
            parts.append(f"{self.count(num)}/{self.count(den)}")
        elif den is not None:
            parts.append(f"{self.count(den)} people")
        if _num(g.get("value")) is not None:
            parts.append(self.rate(g.get("value"), self.counts if self.any_small else own, unit))
        return " · ".join(parts) or self.policy.missing

    def headline(self) -> str:
        text = self.figure()
        groups = [f"{g.get('label') or role} {self.group_line(g)}" for role, g in self.groups
                  if role != "unknown"]
        return text + ("; " + ", ".join(groups) if groups else "")

    def rows(self) -> list[tuple[str, str]]:
        rows = [("Figure", self.figure())]
        rows += [(str(g.get("label") or role.title()), self.group_line(g))
                 for role, g in self.groups]
        if "count" in self.facts:
            rows.append(("Count", self.count(self.facts["count"])))
        if "measured" in self.facts:
            rows.append(("Measured", self.count(self.facts["measured"])
                         if self.facts.get("measure") == "count" else self.rate(self.facts["measured"])))
        if "declaration_rate" in self.facts:
            rows.append(("Declaration rate", self.rate(self.facts["declaration_rate"], unit="percent")))
        low, high = _num(self.facts.get("low")), _num(self.facts.get("high"))
        if low is not None and high is not None:
            rows.append(("Limits", f"{fmt_value(low, self.unit)} to {fmt_value(high, self.unit)}"))
        elif high is not None:
            rows.append(("Limit", f"at most {fmt_value(high, self.unit)}"))
        elif low is not None:
            rows.append(("Limit", f"at least {fmt_value(low, self.unit)}"))
        for key, value in sorted(self.facts.items()):
            if key in _SHOWN_ELSEWHERE or key in ("low", "high", "unit", "period"):
                continue
            label = key.replace("_", " ").capitalize()
            if key in _PARAMETERS and isinstance(value, bool):
                rows.append((label, "yes" if value else "no"))
            elif key in _PARAMETERS and isinstance(value, str | int | float):
                rows.append((label, str(value)))
            elif _num(value) is not None and (self.policy.exact or key in _SAFE_NUMBERS):
                rows.append((label, self.rate(value, unit="")))
        return rows


def _headline(event: FindingEvent, finding: Finding, figure: str, previous_level: str | None,
              details: Mapping[str, Any]) -> str:
    def lvl(name: str | None) -> str:
        return (name or "no level").replace("_", " ")

    kind = event.kind
    if kind == "reopened":
        return f"In breach again (opened {finding.times_opened} times): {figure}"
    if kind == "continuing":
        n = details.get("consecutive_periods", finding.consecutive_periods)
        return f"Still in breach after {n} consecutive periods: {figure}"
    if kind == "escalated":
        why = (f"not acknowledged after {details['working_days']} working days"
               if details.get("reason") == "unacknowledged"
               else f"{details.get('consecutive_periods', finding.consecutive_periods)} "
               "consecutive periods in breach")
        return f"Escalated from {lvl(previous_level)} to {lvl(event.level)} ({why}): {figure}"
    if kind == "acknowledged":
        note = details.get("note") or ""
        return f"Acknowledged by {event.actor}" + (f": {note}" if note else "")
    if kind == "resolved":
        days = details.get("days")
        span = f" ({days} days)" if days is not None else ""
        return f"Resolved after {details.get('periods', '?')} period(s) in breach{span}: {figure}"
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
    d = _Discloser(facts, audience_policy)
    rows, headline = d.rows(), d.headline()
    if d.hid:
        rows.append(("Note", f"{audience_policy.symbol} = hidden: based on "
                     f"{audience_policy.low} to {audience_policy.high} people, who could be "
                     "identified (NHS Digital disclosure rule)"))
    if audience_policy.exact and finding.summary:
        rows.append(("Finding", finding.summary))
    if finding.action_owner:
        due = f", due {finding.action_due:%d %B %Y}" if finding.action_due else ""
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
        facts=tuple(rows), synthetic=bool(org is not None and org.synthetic))


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
