"""The settings themselves: frozen dataclasses, one per config.toml section, and the
built-in defaults. Read by :mod:`assurance.config.sections`; used everywhere else."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assurance.config.calendar import CalendarSettings
from assurance.config.web import WebSettings

AUDIENCES = ("network", "executive", "board", "regulator", "public")
DEFAULT_LEVELS = ("edi_lead", "executive_lead", "board_committee", "regulator")


@dataclass(frozen=True)
class AudienceSettings:
    """Disclosure level for one audience (domain.md §9)."""

    name: str
    exact_counts: bool
    low: int = 1
    high: int = 7
    rounding: int = 5
    # A group's rate beside its rounded counts: "recompute" (from the counts as shown, NHS
    # Digital's method) or "withhold"; see assurance.disclosure.rule.RATE_CHOICES.
    rates: str = "recompute"


@dataclass(frozen=True)
class SubscriptionSettings:
    """A channel's interest in findings, matched on labels; see ``assurance.routing``."""

    name: str
    channel: str
    audience: str
    match: Mapping[str, tuple[str, ...]]
    min_level: str | None = None
    repeat_every: int = 1  # periods between "still in breach" messages (0: never)
    # Scope: the organisations (ODS codes) and divisions this subscription is accountable
    # for; empty orgs = the configured organisations.accountable. Peers only with peers=true.
    orgs: tuple[str, ...] = ()
    divisions: tuple[str, ...] = ()
    peers: bool = False
    # Delivery: "each" (one message per event), or a "daily"/"weekly" digest sent at
    # digest_time (HH:MM, schedule timezone) and, for weekly, on digest_weekday.
    mode: str = "each"
    digest_time: str = "08:00"
    digest_weekday: str = "monday"


@dataclass(frozen=True)
class JobSettings:
    """One scheduled job (cron expression in ``Settings.timezone``)."""

    name: str
    type: str
    cron: str
    options: Mapping[str, Any]


@dataclass(frozen=True)
class BrandingSettings:
    organisation_name: str = "Synthetic NHS Trust"
    logo: Path | None = None
    primary_colour: str = "005EB8"  # NHS Blue
    secondary_colour: str = "003087"  # NHS Dark Blue


@dataclass(frozen=True)
class ReportSettings:
    output_dir: Path
    committee: str = "People Committee"
    templates_dir: Path | None = None
    reference_docx: Path | None = None
    branding: BrandingSettings = field(default_factory=BrandingSettings)
    signing_key_env: str | None = None  # variable holding the evidence packs' Ed25519 key
    # Alert: a breach still without an action owner this many working days after it opened.
    alert_unowned_after_working_days: int = 10
    # Which well-led framework version the well-led document follows (catalogue/frameworks/).
    well_led_framework: str = "cqc-saf-2024"


@dataclass(frozen=True)
class StatisticsSettings:
    """Defaults where sources disagree (domain.md): each documented in README."""

    non_adverse_low: float = 0.80
    non_adverse_high: float = 1.25
    confidence: float = 0.95  # fixed: every interval the product prints is labelled 95 %
    wdes3_rolling_years: int = 1  # 2 = two-year rolling average for WDES metric 3
    # SPC method for board documents: "mdc" (NHS England's Making Data Count tools, which
    # boards are trained on) or "nhsr" (NHS-R's NHSRplotthedots); domain.md section 7.
    spc_method: str = "mdc"
    # Significance level for calling a year-on-year change "improving" or "worsening".
    trend_alpha: float = 0.05


@dataclass(frozen=True)
class FindingsSettings:
    """``[findings]``: how findings settle, so a figure hovering at a limit does not flap."""

    resolve_after_annual: int = 1  # periods in a row met before an annual finding resolves
    resolve_after_monthly: int = 2  # the same for monthly series (noisier)
    reopen_within_periods: int = 1  # a breach this soon after resolving reopens the finding


@dataclass(frozen=True)
class PaygapSettings:
    """``[paygap]``: the ethnicity pay gap's reference group and the gov.uk employer map."""

    ethnicity_reference: str = "white"  # "white" (WRES practice) or "white_british"
    gpg_mapping: Path | None = None  # CSV org_code,employer_id,company_number


@dataclass(frozen=True)
class Settings:
    """Everything the product is configured with. Build with :func:`load_settings`."""

    base_dir: Path
    source: Path | None
    database_url: str
    organisations_file: Path | None
    rule_paths: tuple[Path, ...]
    timezone: str
    statistics: StatisticsSettings
    ethnicity_map: Mapping[str, str]
    audiences: Mapping[str, AudienceSettings]
    channels: Mapping[str, Mapping[str, Any]]
    subscriptions: tuple[SubscriptionSettings, ...]
    escalation_levels: tuple[str, ...]
    jobs: tuple[JobSettings, ...]
    reports: ReportSettings
    watch_dir: Path | None = None
    accountable: tuple[str, ...] = ()  # organisations expected to submit every return
    findings: FindingsSettings = field(default_factory=FindingsSettings)
    paygap: PaygapSettings = field(default_factory=PaygapSettings)
    web: WebSettings = field(default_factory=WebSettings)  # the dashboard (assurance serve)
    calendar: CalendarSettings = field(default_factory=CalendarSettings)  # assurance calendar


DEFAULT_HEARTBEAT = JobSettings("heartbeat", "heartbeat", "0 7 * * *", {})
"""Added when config.toml declares no heartbeat: the service says daily that it is alive."""


def scheduled_jobs(settings: Settings) -> list[JobSettings]:
    """The jobs ``assurance run`` schedules: those declared, plus the default heartbeat."""
    jobs = list(settings.jobs)
    if not any(j.type == "heartbeat" for j in jobs):
        jobs.append(DEFAULT_HEARTBEAT)
    return jobs


DEFAULT_AUDIENCES = {
    "network": AudienceSettings("network", exact_counts=False),
    "public": AudienceSettings("public", exact_counts=False),
    "executive": AudienceSettings("executive", exact_counts=False),
    "board": AudienceSettings("board", exact_counts=True),
    "regulator": AudienceSettings("regulator", exact_counts=True),
}
