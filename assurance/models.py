"""The store's tables (SQLModel). Schema changes go through ``assurance/migrations``.

Only aggregates are stored: counts and percentages per organisation, period, metric, group
and breakdown. Person-level records never reach these tables (design.md, domain.md §9).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Float, Index, LargeBinary, Table, Unicode, UniqueConstraint
from sqlmodel import Field, SQLModel


class Organisation(SQLModel, table=True):
    """An NHS organisation (ODS code) or a clearly synthetic one (codes starting ``Z9``)."""

    code: str = Field(primary_key=True, max_length=8)
    name: str
    org_type: str | None = None
    region: str | None = None
    ics: str | None = None
    benchmark_group: str | None = None
    synthetic: bool = False


class Period(SQLModel, table=True):
    """An explicit period: ``wres:2024`` (snapshot 31 March 2024), ``survey:2024``
    (autumn 2024 fieldwork), ``month:2024-03``. Never a bare integer."""

    key: str = Field(primary_key=True, max_length=24)
    kind: str = Field(index=True)  # wres_year | survey_year | month
    label: str
    start: date
    end: date


class Import(SQLModel, table=True):
    """Provenance of one load: every observation points at the import it came from."""

    __tablename__ = "import_batch"
    __table_args__ = (UniqueConstraint("source", "sha256", name="uq_import_batch_source_sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(index=True)  # connector name, e.g. "metrics_csv"
    filename: str
    sha256: str = Field(index=True, max_length=64)
    rows_read: int
    observations: int  # figures the file holds (``note`` says how many were new/changed)
    superseded_observations: int = 0
    importer_version: str
    imported_at: datetime
    imported_by: str
    note: str | None = None


class Observation(SQLModel, table=True):
    """One stored figure. Ratios are derived from counts at evaluation time.

    ``scope`` is ``org|period|metric``: a later import that covers the same scope supersedes
    every current row of it, or for a source that supersedes per figure only the rows whose
    figure differs (``current`` false, ``superseded_by`` set), keeping history. Re-importing an
    earlier file adds rows attributed to that file's import, so ``superseded_by`` may name an
    older import than ``import_id``: order history by ``id``.
    """

    __table_args__ = (
        Index("ix_observation_metric_current", "metric", "current"),
        Index("ix_observation_scope_current", "scope", "current"),
    )

    id: int | None = Field(default=None, primary_key=True)
    import_id: int = Field(foreign_key="import_batch.id", index=True)
    org_code: str = Field(foreign_key="organisation.code", index=True, max_length=8)
    period_key: str = Field(foreign_key="period.key", max_length=24)
    metric: str = Field(max_length=64)
    group: str = Field(default="all", max_length=32)
    breakdown: str = Field(default="", max_length=64)
    value: float | None = None
    numerator: int | None = None
    denominator: int | None = None
    suppressed: bool = False
    note: str | None = None
    scope: str = Field(max_length=120)
    current: bool = True
    superseded_by: int | None = None


class SurveyQuestion(SQLModel, table=True):
    """Question text as published in a Staff Survey file (numbers change between years)."""

    __table_args__ = (UniqueConstraint("survey_year", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_year: int
    code: str = Field(max_length=24)  # "q14a", "staff_engagement"
    text: str
    sheet: str
    responses: str  # "|"-separated response slugs in published order


class AuditEvent(SQLModel, table=True):
    """Append-only, hash-chained: ``hash = sha256(prev_hash + canonical(event))``."""

    __tablename__ = "audit_event"

    seq: int = Field(primary_key=True)
    at: datetime
    actor: str
    action: str = Field(index=True)
    subject: str
    details: str  # canonical JSON
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """Single row locked while appending, so concurrent writers cannot fork the chain."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(default="0" * 64, max_length=64)


class Finding(SQLModel, table=True):
    """One accountability finding per (rule, organisation, scope), with its lifecycle.

    ``fingerprint`` is stable across runs and releases: sha256 of ``rule|org|scope``.
    """

    id: int | None = Field(default=None, primary_key=True)
    fingerprint: str = Field(unique=True, max_length=40)
    rule_id: str = Field(index=True, max_length=120)
    pack: str
    org_code: str = Field(foreign_key="organisation.code", index=True, max_length=8)
    scope: str = ""
    title: str
    severity: str
    labels: str  # canonical JSON {label: [values]}
    evidence: str  # JSON list of quality statement ids
    status: str  # last evaluation: breach | ok | no_data | not_calculable | error
    open: bool = Field(default=False, index=True)
    level: str | None = None
    consecutive_periods: int = 0
    first_breach_period: str | None = None
    last_breach_period: str | None = None
    last_period: str | None = None
    opened_on: date | None = None
    resolved_on: date | None = None
    times_opened: int = 0
    summary: str = ""
    value: float | None = None
    facts: str = "{}"  # canonical JSON of the numbers that decided the last evaluation
    ack_by: str | None = None
    ack_at: datetime | None = None
    ack_note: str | None = None
    action_owner: str | None = None
    action_due: date | None = None
    action_note: str | None = None
    silenced_reason: str | None = None
    silenced_by: str | None = None
    silenced_until: date | None = None
    updated_at: datetime


class FindingEvent(SQLModel, table=True):
    """Every transition of a finding (also written to the audit log)."""

    __tablename__ = "finding_event"

    id: int | None = Field(default=None, primary_key=True)
    finding_id: int = Field(foreign_key="finding.id", index=True)
    at: datetime
    as_of: date
    period: str | None = None
    kind: str  # opened | continuing | escalated | resolved | no_data | error | acknowledged …
    level: str | None = None
    status: str
    summary: str
    actor: str
    details: str = "{}"


# The scheduler's job store (APScheduler 3.x ``SQLAlchemyJobStore``, its own column layout).
# The table is created by migration 0005 rather than by the scheduler on start-up: two
# instances starting at once on PostgreSQL would both run CREATE TABLE and one would fail.
scheduler_jobs = Table(
    "apscheduler_jobs",
    SQLModel.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


class SubscriptionRecord(SQLModel, table=True):
    """A subscription added at run time (``assurance subscriptions add``).

    Subscriptions in ``config.toml`` are not stored here; :func:`assurance.routing.
    list_subscriptions` merges both. ``match`` is canonical JSON ``{label: [values]}``.
    """

    __tablename__ = "subscription"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=80)
    channel: str = Field(max_length=80)
    audience: str = Field(max_length=20)
    match: str = "{}"
    min_level: str | None = Field(default=None, max_length=40)
    repeat_every: int = 1
    created_by: str
    created_at: datetime


class Attestation(SQLModel, table=True):
    """A statement an organisation attests to (``assurance attestations add``), e.g. "every
    board member has a specific, measurable EDI objective" (EDI Improvement Plan, HIA 1).

    ``attested_by`` is a role (Chair, Chief People Officer …), not a person's name. The evidence
    file is not stored: its SHA-256 and name are, and the hash also enters the audit chain.
    An attestation is current from ``attested_on`` through ``valid_until`` unless withdrawn
    earlier (``withdrawn_on``); a renewal is a new row, so the history is kept.
    """

    __table_args__ = (Index("ix_attestation_org_statement", "org_code", "statement"),)

    id: int | None = Field(default=None, primary_key=True)
    org_code: str = Field(foreign_key="organisation.code", max_length=8)
    statement: str = Field(max_length=120)  # e.g. hia.1.board-objectives
    text: str
    attested_by: str = Field(max_length=120)
    attested_on: date
    valid_until: date
    evidence_sha256: str | None = Field(default=None, max_length=64)
    evidence_name: str | None = None
    withdrawn_on: date | None = None
    withdrawn_reason: str | None = None
    recorded_by: str
    recorded_at: datetime


class Division(SQLModel, table=True):
    """A division or department of an organisation (``assurance divisions import``).

    ``code`` is the key its figures are stored under: a division's figures carry the breakdown
    ``division:<code>`` (the name in lower case, as the person-level importers write it). A
    department names its division in ``parent``. ``owner`` is the accountable role ("Divisional
    Director, Surgery"), not a person's name: findings scoped to the division escalate to it.
    """

    __table_args__ = (UniqueConstraint("org_code", "code", name="uq_division_org_code"),)

    id: int | None = Field(default=None, primary_key=True)
    org_code: str = Field(foreign_key="organisation.code", index=True, max_length=8)
    code: str = Field(max_length=55)
    name: str
    level: str = Field(default="division", max_length=12)  # division | department
    parent: str | None = Field(default=None, max_length=55)  # a department's division code
    owner: str | None = Field(default=None, max_length=120)


class Intervention(SQLModel, table=True):
    """An action an organisation takes to move one indicator (``assurance interventions add``),
    e.g. "de-biased shortlisting in Surgery" against ``wres.2``, so that the board can see
    whether it worked (issue 15; EDI Improvement Plan: actions are judged by their effect).

    ``metric_id`` is a catalogue metric id. ``division`` is a division code: the figures judged
    are then those stored under breakdown ``division:<code>``. ``owner`` is the accountable role,
    not a person's name. ``peers`` is an optional comma-separated list of ODS codes to compare
    against (difference in differences); without it the organisation's benchmark group is used.
    Withdrawing keeps the row (``withdrawn_on``), so the history is kept.
    """

    id: int | None = Field(default=None, primary_key=True)
    org_code: str = Field(foreign_key="organisation.code", index=True, max_length=8)
    title: str = Field(max_length=200)
    metric_id: str = Field(max_length=80)
    division: str | None = Field(default=None, max_length=55)
    start_date: date
    owner: str = Field(max_length=120)
    peers: str | None = None
    recorded_by: str
    recorded_at: datetime
    withdrawn_on: date | None = None
    withdrawn_reason: str | None = None


class WebAccount(SQLModel, table=True):
    """A local account of the web dashboard (``assurance web-users add``), for deployments
    without single sign-on. ``password_hash`` is an argon2id hash (never the password);
    ``role`` decides the disclosure audience (``web.roles``); a division owner names its
    organisation and division code. Disabling keeps the row, so the audit log's actor names
    stay meaningful.
    """

    __tablename__ = "web_account"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=80)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=20)
    org_code: str | None = Field(default=None, max_length=8)
    division: str | None = Field(default=None, max_length=55)
    disabled: bool = False
    created_by: str
    created_at: datetime
    last_login_at: datetime | None = None
