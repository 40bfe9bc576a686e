"""CSV extracts for the evidence pack: every figure used, findings, events, audit excerpt.

Formula-injection safe: a **text** cell that begins with ``=``, ``+``, ``-``, ``@``, a tab,
a carriage return or a line feed (or a full-width ``＝ ＋ － ＠``, or any of these after
leading spaces) is prefixed with ``'`` so a spreadsheet shows it as text instead of running
it (OWASP "CSV injection"). Numbers are written as numbers — ``-3.2`` stays
``-3.2`` — because the neutralising is decided by the value's type, not its first
character. Output is UTF-8 with ``\\n`` line ends and a fixed column order, so the same
data gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from assurance.models import AuditEvent
from assurance.report_context import BoardContext, FindingView, OutcomeView

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n",
                 "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""What makes a spreadsheet read a text cell as a formula (OWASP's list, plus line feed and the
full-width forms some locales' spreadsheets also accept), possibly after leading spaces."""


def csv_cell(value: Any) -> str:
    """One cell: numbers as numbers, text neutralised when a spreadsheet would run it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    text = str(value)
    risky = text.startswith(FORMULA_START) or text.lstrip().startswith(FORMULA_START)
    return "'" + text if risky else text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([csv_cell(h) for h in header])
    for row in rows:
        w.writerow([csv_cell(v) for v in row])
    return buf.getvalue().encode("utf-8")


def _group(o: OutcomeView, role: str) -> tuple[Any, Any, Any, Any]:
    g = next((g for g in o.figure.groups if g.role == role), None) if o.figure else None
    if g is None:
        return None, None, None, None
    num = g.numerator if g.numerator is not None else (g.numerator_text or None)
    den = g.denominator if g.denominator is not None else (g.denominator_text or None)
    return g.label, num, den, g.value


OUTCOME_HEADER = (
    "org_code", "rule_id", "pack", "metric", "metric_label", "breakdown", "period", "status",
    "classification", "unit", "value", "ci_low", "ci_high", "focus_group", "focus_numerator",
    "focus_denominator", "focus_value", "reference_group", "reference_numerator",
    "reference_denominator", "reference_value", "declaration_rate", "direction", "summary",
    "source_file", "source_sha256")


def outcomes_csv(ctx: BoardContext) -> bytes:
    rows = []
    for o in ctx.outcomes:
        f = o.figure
        rows.append((
            ctx.organisation.code, o.rule_id, o.pack, o.metric, o.metric_label,
            o.breakdown.strip(" ()"), o.period, o.status, o.classification,
            f.unit if f else None, f.value if f else None, f.ci[0] if f and f.ci else None,
            f.ci[1] if f and f.ci else None, *_group(o, "focus"), *_group(o, "reference"),
            f.declaration_rate if f else None, o.direction, o.summary,
            o.source.filename if o.source else None, o.source.sha256 if o.source else None))
    return csv_bytes(OUTCOME_HEADER, rows)


def series_csv(ctx: BoardContext) -> bytes:
    rows = [(o.rule_id, o.metric, o.breakdown.strip(" ()"), p.period, p.value, p.reference,
             p.ci_low, p.ci_high) for o in ctx.outcomes for p in o.series]
    return csv_bytes(("rule_id", "metric", "breakdown", "period", "value", "reference",
                      "ci_low", "ci_high"), rows)


def spc_csv(ctx: BoardContext) -> bytes:
    rows = [(v.metric, p.period, p.value, p.mean, p.lpl, p.upl, p.lower_two_sigma,
             p.upper_two_sigma, p.point_type, v.variation, v.assurance)
            for v in ctx.spc for p in v.points]
    return csv_bytes(("metric", "period", "value", "mean", "lower_process_limit",
                      "upper_process_limit", "lower_two_sigma", "upper_two_sigma", "point_type",
                      "variation", "assurance"), rows)


def peers_csv(ctx: BoardContext) -> bytes:
    rows = [(p.metric, p.period, p.group, p.peers, p.value, p.median, p.q1, p.q3, p.low, p.high,
             p.better, p.position) for p in ctx.peers]
    return csv_bytes(("metric", "period", "benchmark_group", "peers", "value", "median", "q1",
                      "q3", "lowest", "highest", "better", "position"), rows)


def declarations_csv(ctx: BoardContext) -> bytes:
    rows = [(d.metric, d.period, d.rate, d.declared_text.replace(",", "") or None,
             d.headcount_text.replace(",", "") or None, d.status_label)
            for d in ctx.declarations]
    return csv_bytes(("metric", "period", "declaration_rate", "declared", "headcount",
                      "rule_status"), rows)


FINDING_HEADER = (
    "id", "fingerprint", "rule_id", "title", "severity", "status", "open", "level",
    "consecutive_periods", "first_breach_period", "opened_on", "resolved_on", "action_owner",
    "action_due", "action_note", "acknowledgement", "silenced_until", "silenced_reason",
    "summary")


def findings_csv(findings: Sequence[FindingView]) -> bytes:
    rows = [(f.id, f.fingerprint, f.rule_id, f.title, f.severity, f.status, f.open, f.level,
             f.consecutive_periods, f.first_breach_period, f.opened_on, f.resolved_on, f.owner,
             f.due, f.action_note, f.ack_text, f.silenced_until, f.silenced_reason, f.summary)
            for f in findings]
    return csv_bytes(FINDING_HEADER, rows)


def finding_events_csv(findings: Sequence[FindingView]) -> bytes:
    rows = [(f.id, f.fingerprint, f.rule_id, e.at, e.as_of, e.period, e.kind, e.level, e.status,
             e.summary, e.actor) for f in findings for e in f.history]
    return csv_bytes(("finding_id", "fingerprint", "rule_id", "at", "as_of", "period", "kind",
                      "level", "status", "summary", "actor"), rows)


def audit_csv(events: Sequence[AuditEvent]) -> bytes:
    rows = [(e.seq, e.at, e.actor, e.action, e.subject, e.details, e.prev_hash, e.hash)
            for e in events]
    return csv_bytes(("seq", "at", "actor", "action", "subject", "details", "prev_hash",
                      "hash"), rows)


def json_bytes(value: Any) -> bytes:
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False, default=str)
            + "\n").encode("utf-8")
