"""What the pages read from the store, through the product's own code paths.

Figures come only from :func:`assurance.report_context.board_context` (the board report's
context, disclosed for an audience) and, for a division, from the report context's
:func:`~assurance.report_context.views.figure_view` and ``series_points`` on the division's
breakdown: the web never reads a disclosure policy's fields or a figure's raw counts itself.

The figures of every organisation are read once (:func:`load_inputs` with ``org_codes=None``,
as a batch of reports does) and kept until a new import; each organisation's context is then
built from them (about 0.1 s on the national store) and cached per (organisation, date,
audience) until the figures or the findings change (the newest import and finding event ids).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from assurance import audit
from assurance.config import Settings
from assurance.db import session
from assurance.disclosure import DisclosurePolicy, quotable
from assurance.disclosure.divisions import combined_divisions
from assurance.engine.data import DataView, OrgInfo, division_breakdown
from assurance.engine.rules import RulePack
from assurance.findings import LIFECYCLE_KINDS
from assurance.models import (
    AuditEvent,
    AuditHead,
    Division,
    Finding,
    FindingEvent,
    Import,
    WebAccount,
)
from assurance.models import Organisation as OrgRow
from assurance.report_context import BoardContext, FigureView, SeriesPoint, board_context
from assurance.report_context.board import ordered_rules
from assurance.report_context.divisions import _counts, _people
from assurance.report_context.inputs import ReportInputs, load_inputs
from assurance.report_context.views import figure_view, series_points

CACHE_SIZE = 64


@dataclass(frozen=True)
class OrgLink:
    code: str
    name: str
    synthetic: bool
    open_findings: int


@dataclass(frozen=True)
class DivisionFigure:
    """One rule's metric for one division, disclosed for the audience. A division the board
    report shows only combined (:func:`~assurance.disclosure.divisions.combined_divisions`)
    has no figure and no series, only ``combined_with`` (the other divisions' names)."""

    rule_id: str
    title: str
    metric_label: str
    figure: FigureView | None
    series: tuple[SeriesPoint, ...]
    unit: str
    combined_with: tuple[str, ...] = ()

    @property
    def combined_note(self) -> str:
        """The board report's words for a division shown only combined."""
        if self.figure is not None:
            return ""
        if not self.combined_with:  # the organisation's only division with figures
            return ("Not shown on its own: its figures rest on numbers small enough to "
                    "identify people.")
        return (f"Shown combined with {', '.join(self.combined_with)}: their figures rest on "
                "numbers small enough to identify people, and showing one alone would let "
                "the others give it away.")


@dataclass(frozen=True)
class DivisionView:
    code: str
    name: str
    level: str
    owner: str | None
    parent: str | None
    figures: tuple[DivisionFigure, ...]
    findings: tuple[Finding, ...]
    combined_rules: frozenset[str] = frozenset()  # rules whose metric is shown combined


def combined_with(view: DataView, metric: str, org: OrgInfo, period: str, code: str,
                  policy: DisclosurePolicy) -> tuple[str, ...] | None:
    """The other divisions ``code`` is shown combined with for the metric's ``period``, as
    the board report's division table decides it over all the organisation's divisions
    (None: the division is shown on its own)."""
    if quotable(policy):
        return None
    figures = {c: f for c in view.divisions(metric, org.code)
               if (f := view.figure(metric, org.code, period, division_breakdown(c)))
               is not None}
    pooled = combined_divisions({c: _counts(f) for c, f in figures.items()},
                                {c: _people(f) for c, f in figures.items()}, policy)
    if code not in pooled:
        return None
    return tuple(sorted(org.division(c).name for c in pooled if c != code))


@dataclass(frozen=True)
class Download:
    org_code: str
    kind: str  # board | pack | well-led
    label: str
    path: Path
    as_of: str
    size: int


class Store:
    """The dashboard's reads, with the rule packs loaded once and contexts cached."""

    def __init__(self, engine: Engine, settings: Settings, packs: Sequence[RulePack]) -> None:
        self.engine, self.settings, self.packs = engine, settings, list(packs)
        self._cache: OrderedDict[tuple[object, ...], BoardContext] = OrderedDict()
        self._lock = threading.Lock()
        self._inputs: tuple[tuple[date, int], ReportInputs] | None = None
        self._inputs_lock = threading.Lock()

    # ------------------------------------------------------------------ versions and dates
    def version(self) -> tuple[int, int]:
        """Changes whenever figures are imported or a finding changes."""
        with session(self.engine) as s:
            imp = s.exec(select(func.max(Import.id))).one()
            ev = s.exec(select(func.max(FindingEvent.id))).one()
        return int(imp or 0), int(ev or 0)

    def inputs(self, as_of: date) -> ReportInputs:
        """Every organisation's figures as of ``as_of``, read once per import."""
        key = (as_of, self.version()[0])
        with self._inputs_lock:
            if self._inputs is None or self._inputs[0] != key:
                self._inputs = (key, load_inputs(self.engine, self.settings, as_of=as_of,
                                                 org_codes=None, packs=self.packs))
            return self._inputs[1]

    def as_of(self) -> date:
        """The date of the latest evaluation recorded (the findings register's position), or
        today when nothing has been evaluated: pages show the position the board sees."""
        with session(self.engine) as s:
            latest = s.exec(select(func.max(FindingEvent.as_of)).where(
                col(FindingEvent.kind).in_(LIFECYCLE_KINDS))).one()
        return latest or datetime.now(UTC).date()

    # ------------------------------------------------------------------ organisations
    def organisations(self) -> list[OrgLink]:
        """The accountable organisations (all with findings when none are configured)."""
        with session(self.engine) as s:
            counts = dict(s.exec(select(Finding.org_code, func.count()).where(
                col(Finding.open).is_(True)).group_by(col(Finding.org_code))).all())
            codes = list(self.settings.accountable) or sorted(
                set(s.exec(select(Finding.org_code).distinct()).all()))
            rows = {o.code: o for o in s.exec(select(OrgRow).where(col(OrgRow.code).in_(codes)))}
        return [OrgLink(c, rows[c].name, rows[c].synthetic, int(counts.get(c, 0)))
                for c in codes if c in rows]

    def account_active(self, username: str) -> bool:
        """Whether a local account still exists and is enabled (checked on every request, so
        disabling an account ends its sessions at once)."""
        with session(self.engine) as s:
            row = s.exec(select(WebAccount).where(WebAccount.username == username)).first()
        return row is not None and not row.disabled

    def org_exists(self, code: str) -> bool:
        with session(self.engine) as s:
            return s.get(OrgRow, code) is not None

    def board(self, org: str, as_of: date, audience: str) -> BoardContext:
        """The board report's context for ``audience`` (cached until the store changes)."""
        key = (org, as_of, audience, self.version())
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        inputs = self.inputs(as_of)
        ctx = board_context(self.engine, self.settings, org_code=org, as_of=as_of,
                            inputs=inputs, audience=audience)
        with self._lock:
            self._cache[key] = ctx
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return ctx

    # ------------------------------------------------------------------ divisions
    def divisions(self, org: str) -> list[Division]:
        with session(self.engine) as s:
            return list(s.exec(select(Division).where(Division.org_code == org)
                               .order_by(col(Division.name))).all())

    def division(self, org: str, code: str, as_of: date, policy: DisclosurePolicy
                 ) -> DivisionView | None:
        """A division's figures (breakdown ``division:<code>``) for every rule whose metric
        the division has, at the metric's latest period up to ``as_of``, disclosed."""
        with session(self.engine) as s:
            d = s.exec(select(Division).where(Division.org_code == org,
                                              Division.code == code)).first()
            findings = tuple(s.exec(select(Finding).where(
                Finding.org_code == org, Finding.scope == f"division:{code}")
                .order_by(col(Finding.rule_id))).all())
        if d is None:
            return None
        inputs = self.inputs(as_of)
        info = inputs.orgs.get(org) or OrgInfo(org, org, None, False)
        breakdown = f"division:{code}"
        out, seen, combined = [], set(), set()
        for rule in ordered_rules(inputs):
            m = inputs.catalogue[rule.metric]
            if rule.metric in seen or rule.metric not in inputs.view.data:
                continue
            period = inputs.view.current_period(rule.metric)
            fig = inputs.view.figure(rule.metric, org, period, breakdown) if period else None
            if fig is None or period is None:
                continue
            seen.add(rule.metric)
            others = combined_with(inputs.view, rule.metric, info, period, code, policy)
            if others is not None:  # the board report shows it only combined: so here
                combined.add(rule.metric)
                out.append(DivisionFigure(rule.id, rule.title, m.label, None, (), fig.unit,
                                          others))
                continue
            series = series_points(inputs.view, m, org, breakdown, policy)
            if not fig.calculable and all(p.value is None for p in series):
                continue  # the division's rows cannot make this figure (no headcount …)
            out.append(DivisionFigure(
                rule.id, rule.title, m.label,
                figure_view(fig, m, policy, self.settings.statistics.confidence), series,
                fig.unit))
        hidden = frozenset(r.id for r in inputs.rules if r.metric in combined)
        return DivisionView(d.code, d.name, d.level, d.owner, d.parent, tuple(out), findings,
                            hidden)

    def combined_note(self, f: Finding, as_of: date, policy: DisclosurePolicy) -> str:
        """For a division-scoped finding whose division the board report shows only combined
        for this policy (its rule's metric, current period): the words saying so ("": the
        finding's figure may be shown)."""
        if quotable(policy) or not f.scope.startswith("division:"):
            return ""
        inputs = self.inputs(as_of)
        rule = next((r for r in inputs.rules if r.id == f.rule_id), None)
        if rule is None or rule.metric not in inputs.view.data:
            return ""
        period = inputs.view.current_period(rule.metric)
        if period is None:
            return ""
        info = inputs.orgs.get(f.org_code) or OrgInfo(f.org_code, f.org_code, None, False)
        others = combined_with(inputs.view, rule.metric, info, period,
                               f.scope[len("division:"):], policy)
        if others is None:
            return ""
        return DivisionFigure(rule.id, rule.title, "", None, (), "", others).combined_note

    # ------------------------------------------------------------------ findings
    def findings(self, *, org: str | None = None, scope: str | None = None,
                 open_only: bool = True, offset: int = 0, limit: int | None = None
                 ) -> tuple[list[Finding], int]:
        """One page of findings (by organisation and rule) and how many there are in all:
        the accountable organisations', or one organisation's (``scope``: of that scope
        only, e.g. ``division:<code>``)."""
        with session(self.engine) as s:
            q = select(Finding)
            n = select(func.count()).select_from(Finding)
            conditions: list[Any] = []
            if open_only:
                conditions.append(col(Finding.open).is_(True))
            if org:
                conditions.append(Finding.org_code == org)
            elif self.settings.accountable:
                conditions.append(col(Finding.org_code).in_(self.settings.accountable))
            if scope is not None:
                conditions.append(Finding.scope == scope)
            for c in conditions:
                q, n = q.where(c), n.where(c)
            q = q.order_by(col(Finding.org_code), col(Finding.rule_id), col(Finding.id))
            q = q.offset(offset) if limit is None else q.offset(offset).limit(limit)
            return list(s.exec(q).all()), int(s.exec(n).one())

    def finding(self, finding_id: int) -> tuple[Finding, list[FindingEvent]] | None:
        with session(self.engine) as s:
            f = s.get(Finding, finding_id)
            if f is None:
                return None
            events = list(s.exec(select(FindingEvent).where(FindingEvent.finding_id == f.id)
                                 .order_by(col(FindingEvent.id))).all())
            return f, events

    # ------------------------------------------------------------------ audit
    def audit_tail(self, limit: int = 50, about: tuple[str, str] | None = None,
                   ) -> tuple[AuditHead, list[AuditEvent]]:
        """The chain's head and its latest ``limit`` events; with ``about`` = (organisation,
        username) only the events whose details name that organisation (canonical JSON:
        ``"org":"CODE"``) or that the user did (an organisation's account sees no other's)."""
        query = select(AuditEvent)
        if about is not None:
            org, username = about
            mine = col(AuditEvent.actor) == username
            query = query.where(or_(mine, col(AuditEvent.details).contains(
                f'"org":{json.dumps(org)}', autoescape=True)) if org else mine)
        with session(self.engine) as s:
            head = s.exec(select(AuditHead).where(AuditHead.id == 1)).one()
            events = list(s.exec(query.order_by(col(AuditEvent.seq).desc()).limit(limit)).all())
        return head, events

    def verify_audit(self) -> audit.ChainReport:
        with session(self.engine) as s:
            return audit.verify(s)

    # ------------------------------------------------------------------ downloads
    def downloads(self) -> list[Download]:
        """The latest board report, well-led document and evidence pack of each organisation
        in ``reports.output_dir`` (files named ``<ORG>-<YYYY-MM-DD>-<kind><suffix>``)."""
        folder = self.settings.reports.output_dir
        if not folder.is_dir():
            return []
        labels = {"board.docx": "Board assurance report (Word)",
                  "well-led.docx": "CQC well-led evidence (Word)",
                  "pack.zip": "Evidence pack (zip)"}
        latest: dict[tuple[str, str], Download] = {}
        for p in folder.iterdir():
            parts = p.name.split("-", 4)
            if not p.is_file() or len(parts) < 5:
                continue
            org, day, kind = parts[0], "-".join(parts[1:4]), parts[4]
            if kind not in labels or not _is_day(day):
                continue
            d = Download(org, kind.split(".")[0], labels[kind], p, day, p.stat().st_size)
            if (org, kind) not in latest or latest[(org, kind)].as_of < day:
                latest[(org, kind)] = d
        return sorted(latest.values(), key=lambda d: (d.org_code, d.kind))


def _is_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True
