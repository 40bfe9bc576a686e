"""One function per config.toml section, each reading its table with a
:class:`~assurance.config.reader.Reader` and returning that section's settings; problems are
collected, not raised, so a user sees every mistake at once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assurance.config.model import (
    AUDIENCES,
    DEFAULT_AUDIENCES,
    DEFAULT_LEVELS,
    AudienceSettings,
    BrandingSettings,
    FindingsSettings,
    JobSettings,
    PaygapSettings,
    ReportSettings,
    StatisticsSettings,
    SubscriptionSettings,
)
from assurance.config.reader import Reader, shown
from assurance.frameworks import DEFAULT_FRAMEWORK, framework_names
from assurance.problems import did_you_mean


def _database_url(url: str, base_dir: Path) -> str:
    """Resolve a relative SQLite path against the config file's folder."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite://":
        rel = url[len(prefix):]
        if rel and rel != ":memory:":
            return prefix + str((base_dir / rel).resolve())
    return url


def read_database(r: Reader, doc: Mapping[str, Any], env: Mapping[str, str]) -> str:
    """``[database]``: the store's URL, from ``url`` or the variable ``url_env`` names."""
    db = r.table(doc, "database", {"url", "url_env"})
    url = r.get(db, "url", "database", str, "sqlite:///assurance.db")
    url_env = r.get(db, "url_env", "database", str, None)
    if url_env:
        if env.get(url_env):
            url = env[url_env]
        else:
            r.error("database.url_env", f"environment variable {url_env} is not set")
    return _database_url(url, r.base_dir)


def read_organisations(r: Reader, doc: Mapping[str, Any]) -> tuple[Path | None, tuple[str, ...]]:
    """``[organisations]``: the register file, and the codes held to account."""
    orgs = r.table(doc, "organisations", {"file", "accountable"})
    org_file = r.path(r.get(orgs, "file", "organisations", str, None))
    if org_file is not None and not org_file.is_file():
        r.error("organisations.file", f"file not found: {org_file}")
    accountable_raw = r.get(orgs, "accountable", "organisations", list, [])
    accountable = tuple(str(c).strip().upper() for c in accountable_raw
                        if isinstance(c, str) and c.strip())
    if len(accountable) != len(accountable_raw):
        r.error("organisations.accountable", f"expected a list of organisation codes like "
                f"[\"RXX\", \"RYY\"], found {accountable_raw!r}")
    return org_file, accountable


def read_rules(r: Reader, doc: Mapping[str, Any]) -> tuple[Path, ...]:
    """``[rules]``: rule pack files or folders beyond the shipped ones."""
    rules_t = r.table(doc, "rules", {"paths"})
    rule_paths_raw = r.get(rules_t, "paths", "rules", list, [])
    rule_paths = tuple(p for p in (r.path(str(x)) for x in rule_paths_raw) if p is not None)
    for p in rule_paths:
        if not p.exists():
            r.error("rules.paths", f"not found: {p}")
    return rule_paths


def read_statistics(r: Reader, doc: Mapping[str, Any]) -> StatisticsSettings:
    """``[statistics]``: the non-adverse range and the WDES 3 rolling average."""
    st = r.table(doc, "statistics", set(StatisticsSettings.__dataclass_fields__) - {"confidence"})
    stats = StatisticsSettings(
        non_adverse_low=r.get(st, "non_adverse_low", "statistics", float, 0.80),
        non_adverse_high=r.get(st, "non_adverse_high", "statistics", float, 1.25),
        wdes3_rolling_years=r.get(st, "wdes3_rolling_years", "statistics", int, 1),
        spc_method=r.get(st, "spc_method", "statistics", str, "mdc"),
        trend_alpha=r.get(st, "trend_alpha", "statistics", float, 0.05),
    )
    if not 0 < stats.non_adverse_low < 1 < stats.non_adverse_high:
        r.error("statistics", "non_adverse_low must be below 1 and non_adverse_high above 1 "
                f"(found {stats.non_adverse_low} and {stats.non_adverse_high}); expected e.g. "
                "0.80 and 1.25")
    if stats.wdes3_rolling_years not in (1, 2):
        r.error("statistics.wdes3_rolling_years", "expected 1 or 2")
    if stats.spc_method not in ("mdc", "nhsr"):
        r.error("statistics.spc_method", f"expected 'mdc' (Making Data Count) or 'nhsr' "
                f"(NHSRplotthedots), found {stats.spc_method!r}")
    if not 0 < stats.trend_alpha < 1:
        r.error("statistics.trend_alpha", f"expected a significance level between 0 and 1 "
                f"(e.g. 0.05), found {stats.trend_alpha:g}")
    return stats


def read_ethnicity(r: Reader, doc: Mapping[str, Any]) -> dict[str, str]:
    """``[ethnicity]``: extra ethnic-category codes mapped to white, bme or unknown."""
    eth = r.table(doc, "ethnicity", {"map"})
    eth_map = r.get(eth, "map", "ethnicity", dict, {})
    for code, group in eth_map.items():
        if group not in ("white", "bme", "unknown"):
            r.error(f"ethnicity.map.{code}", f"expected white, bme or unknown, found {group!r}")
    return dict(eth_map)


def read_disclosure(r: Reader, doc: Mapping[str, Any]) -> dict[str, AudienceSettings]:
    """``[disclosure.audiences.<name>]``: each audience's small-number rule, over defaults."""
    audiences = dict(DEFAULT_AUDIENCES)
    disc = r.table(doc, "disclosure", {"audiences"})
    aud_t = r.get(disc, "audiences", "disclosure", dict, {})
    for name, a in aud_t.items():
        key = f"disclosure.audiences.{name}"
        if name not in AUDIENCES:
            r.error(key, f"unknown audience{did_you_mean(name, AUDIENCES)}; expected one of "
                    + ", ".join(AUDIENCES))
            continue
        a = r.table({name: a}, key, {"exact_counts", "low", "high", "rounding", "rates"})
        audiences[name] = AudienceSettings(
            name,
            exact_counts=r.get(a, "exact_counts", key, bool, audiences[name].exact_counts),
            low=r.get(a, "low", key, int, 1),
            high=r.get(a, "high", key, int, 7),
            rounding=r.get(a, "rounding", key, int, 5),
            rates=r.get(a, "rates", key, str, "recompute"),
        )
        _check_policy(r, key, audiences[name])
    return audiences


def _check_policy(r: Reader, key: str, a: AudienceSettings) -> None:
    """The small-number rule must be one the disclosure module can apply (checked by the
    same code, so config check and every output agree)."""
    from assurance.disclosure.rule import RATE_CHOICES, DisclosurePolicy  # it imports this

    if a.rates not in RATE_CHOICES:
        r.error(f"{key}.rates", f"found {a.rates!r}{did_you_mean(a.rates, RATE_CHOICES)}; "
                "expected one of " + ", ".join(RATE_CHOICES))
        return
    try:
        DisclosurePolicy(exact=a.exact_counts, low=a.low, high=a.high, rounding=a.rounding,
                         rates=a.rates)
    except (ValueError, TypeError) as exc:
        r.error(key, f"found low = {a.low}, high = {a.high}, rounding = {a.rounding}: {exc}; "
                "expected 0 <= low <= high and a rounding of at least 1 that shows no count "
                "above high as 0")


def read_channels(r: Reader, doc: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """``[channels.<name>]``: each channel's options, checked later by its own module."""
    channels_t = doc.get("channels", {})
    channels: dict[str, Mapping[str, Any]] = {}
    if not isinstance(channels_t, Mapping):
        r.error("channels", "expected a table of channels")
        return channels
    for name, c in channels_t.items():
        if not isinstance(c, Mapping) or not isinstance(c.get("type"), str):
            r.error(f"channels.{name}", "expected a table with a 'type' key")
            continue
        channels[name] = MappingProxyType(dict(c))
    return channels


def read_escalation(r: Reader, doc: Mapping[str, Any]) -> tuple[str, ...]:
    """``[escalation]``: the ladder of levels, lowest first."""
    esc = r.table(doc, "escalation", {"levels"})
    levels = tuple(r.get(esc, "levels", "escalation", list, list(DEFAULT_LEVELS)))
    if (not levels or not all(isinstance(x, str) and x.strip() for x in levels)
            or len(set(levels)) != len(levels)):
        r.error("escalation.levels", f"found {shown(list(levels))}; expected a non-empty list "
                "of distinct level names, lowest first")
        return DEFAULT_LEVELS
    return levels


_SUBSCRIPTION_KEYS = {"name", "channel", "audience", "match", "min_level", "repeat_every",
                      "orgs", "divisions", "peers", "mode", "digest_time", "digest_weekday"}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def read_subscriptions(r: Reader, doc: Mapping[str, Any], channels: Mapping[str, Any],
                   levels: Sequence[str]) -> tuple[SubscriptionSettings, ...]:
    """``[[subscriptions]]``: which findings each channel hears about, and as whom."""
    subs_raw = doc.get("subscriptions", [])
    if not isinstance(subs_raw, list):
        r.error("subscriptions", "expected an array of tables ([[subscriptions]])")
        subs_raw = []
    return tuple(_subscription(r, i, s, channels, levels) for i, s in enumerate(subs_raw))


def _subscription(r: Reader, i: int, raw: Any, channels: Mapping[str, Any],
                  levels: Sequence[str]) -> SubscriptionSettings:
    """One ``[[subscriptions]]`` table (the ``i``-th)."""
    key = f"subscriptions[{i}]"
    s = r.table({key: raw}, key, _SUBSCRIPTION_KEYS) if isinstance(raw, Mapping) else {}
    channel = r.get(s, "channel", key, str, "")
    if channel not in channels:
        r.error(f"{key}.channel", f"unknown channel {channel!r}{did_you_mean(channel, channels)}")
    audience = r.get(s, "audience", key, str, "network")
    if audience not in AUDIENCES:
        r.error(f"{key}.audience",
                f"unknown audience {audience!r}{did_you_mean(audience, AUDIENCES)}")
    min_level = r.get(s, "min_level", key, str, None)
    if min_level is not None and min_level not in levels:
        r.error(f"{key}.min_level", f"unknown level {min_level!r}{did_you_mean(min_level, levels)}")
    match = {
        k: tuple(str(x) for x in (v if isinstance(v, list) else [v]))
        for k, v in r.get(s, "match", key, dict, {}).items()
    }
    repeat_every = r.get(s, "repeat_every", key, int, 1)
    if repeat_every < 0:
        r.error(f"{key}.repeat_every", f"expected 0 (never) or more periods, found {repeat_every}")
    orgs = _codes(r, s, "orgs", key, upper=True)
    divisions = _codes(r, s, "divisions", key, upper=False)
    mode = r.get(s, "mode", key, str, "each")
    if mode not in ("each", "daily", "weekly"):
        r.error(f"{key}.mode", f"expected 'each', 'daily' or 'weekly', found {mode!r}")
    digest_time = r.get(s, "digest_time", key, str, "08:00")
    hh, _, mm = digest_time.partition(":")
    if not (len(hh) == 2 and len(mm) == 2 and hh.isdigit() and mm.isdigit()
            and int(hh) < 24 and int(mm) < 60):
        r.error(f"{key}.digest_time", f"expected a time like '08:00' (24-hour HH:MM), "
                f"found {digest_time!r}")
    weekday = r.get(s, "digest_weekday", key, str, "monday").lower()
    if weekday not in WEEKDAYS:
        r.error(f"{key}.digest_weekday", f"expected a day such as 'monday', found "
                f"{weekday!r}{did_you_mean(weekday, WEEKDAYS)}")
    return SubscriptionSettings(
        name=r.get(s, "name", key, str, f"{channel}-{i}"),
        channel=channel, audience=audience, match=MappingProxyType(match),
        min_level=min_level, repeat_every=repeat_every, orgs=orgs, divisions=divisions,
        peers=r.get(s, "peers", key, bool, False), mode=mode, digest_time=digest_time,
        digest_weekday=weekday,
    )


def _codes(r: Reader, table: Mapping[str, Any], name: str, key: str, *,
           upper: bool) -> tuple[str, ...]:
    """A list of codes (``orgs = ["RXX"]``), stripped, upper-cased for ODS codes."""
    raw = r.get(table, name, key, list, [])
    codes = tuple((str(c).strip().upper() if upper else str(c).strip()) for c in raw
                  if isinstance(c, str) and c.strip())
    if len(codes) != len(raw):
        r.error(f"{key}.{name}", f"expected a list of codes like [\"RXX\"], found {raw!r}")
    return codes


def read_schedule(r: Reader, doc: Mapping[str, Any]) -> tuple[str, tuple[JobSettings, ...]]:
    """``[schedule]``: the time zone and the scheduled jobs (each job type checks its own
    options when ``assurance run`` starts)."""
    sched = r.table(doc, "schedule", {"timezone", "jobs"})
    tz = r.get(sched, "timezone", "schedule", str, "Europe/London")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        r.error("schedule.timezone", f"unknown time zone {tz!r}; expected e.g. 'Europe/London'")
        tz = "Europe/London"  # what the rest of the checks use meanwhile
    jobs: list[JobSettings] = []
    for name, j in r.get(sched, "jobs", "schedule", dict, {}).items():
        key = f"schedule.jobs.{name}"
        if not isinstance(j, Mapping):
            r.error(key, "expected a table")
            continue
        opts = {k: v for k, v in j.items() if k not in ("type", "cron")}
        jobs.append(JobSettings(name, str(j.get("type", "")), str(j.get("cron", "")),
                                MappingProxyType(opts)))
        for required in ("type", "cron"):
            if required not in j:
                r.error(f"{key}.{required}", "missing")
    return tz, tuple(jobs)


def read_imports(r: Reader, doc: Mapping[str, Any]) -> Path | None:
    """``[imports]``: the folder watched for new files."""
    imp = r.table(doc, "imports", {"watch_dir"})
    return r.path(r.get(imp, "watch_dir", "imports", str, None))


def read_reports(r: Reader, doc: Mapping[str, Any]) -> ReportSettings:
    """``[reports]``: where documents go, the committee's name, templates and branding."""
    rep = r.table(doc, "reports", {"output_dir", "committee", "templates_dir", "reference_docx",
                                   "branding", "signing_key_env",
                                   "alert_unowned_after_working_days", "well_led_framework"})
    branding = _branding(r, rep)
    settings = ReportSettings(
        output_dir=r.path(r.get(rep, "output_dir", "reports", str, "reports-out")) or r.base_dir,
        committee=r.get(rep, "committee", "reports", str, "People Committee"),
        templates_dir=r.path(r.get(rep, "templates_dir", "reports", str, None)),
        reference_docx=r.path(r.get(rep, "reference_docx", "reports", str, None)),
        branding=branding,
        signing_key_env=r.get(rep, "signing_key_env", "reports", str, None),
        alert_unowned_after_working_days=r.get(rep, "alert_unowned_after_working_days",
                                               "reports", int, 10),
        well_led_framework=r.get(rep, "well_led_framework", "reports", str, DEFAULT_FRAMEWORK),
    )
    if settings.well_led_framework not in framework_names():
        names = framework_names()
        r.error("reports.well_led_framework", f"unknown well-led framework "
                f"{settings.well_led_framework!r}"
                f"{did_you_mean(settings.well_led_framework, names)}; expected one of "
                f"{', '.join(names)}")
    if not 0 <= settings.alert_unowned_after_working_days <= 260:
        r.error("reports.alert_unowned_after_working_days", "expected a number of working "
                f"days from 0 to 260, found {settings.alert_unowned_after_working_days}")
    return settings


def _branding(r: Reader, rep: Mapping[str, Any]) -> BrandingSettings:
    """``[reports.branding]``: the organisation's name, logo and colours on documents."""
    brand_t = r.table(rep, "reports.branding",
                      {"organisation_name", "logo", "primary_colour", "secondary_colour"})
    logo = r.path(r.get(brand_t, "logo", "reports.branding", str, None))
    if logo is not None and not logo.is_file():
        r.error("reports.branding.logo", f"logo file not found: {logo}")
    branding = BrandingSettings(
        organisation_name=r.get(brand_t, "organisation_name", "reports.branding", str,
                                BrandingSettings.organisation_name),
        logo=logo,
        primary_colour=r.get(brand_t, "primary_colour", "reports.branding", str, "005EB8"),
        secondary_colour=r.get(brand_t, "secondary_colour", "reports.branding", str, "003087"),
    )
    for ck in ("primary_colour", "secondary_colour"):
        colour = getattr(branding, ck).lstrip("#")
        if len(colour) != 6 or any(ch not in "0123456789abcdefABCDEF" for ch in colour):
            r.error(f"reports.branding.{ck}",
                    f"expected a hex colour like '005EB8', found {colour!r}")
    return branding


def read_findings(r: Reader, doc: Mapping[str, Any]) -> FindingsSettings:
    """``[findings]``: periods met before a finding resolves, and the reopening window."""
    t = r.table(doc, "findings", set(FindingsSettings.__dataclass_fields__))
    d = FindingsSettings()
    out = FindingsSettings(
        resolve_after_annual=r.get(t, "resolve_after_annual", "findings", int,
                                   d.resolve_after_annual),
        resolve_after_monthly=r.get(t, "resolve_after_monthly", "findings", int,
                                    d.resolve_after_monthly),
        reopen_within_periods=r.get(t, "reopen_within_periods", "findings", int,
                                    d.reopen_within_periods))
    for key in ("resolve_after_annual", "resolve_after_monthly"):
        if not 1 <= getattr(out, key) <= 24:
            r.error(f"findings.{key}", f"expected 1 to 24 periods, found {getattr(out, key)}")
    if not 0 <= out.reopen_within_periods <= 24:
        r.error("findings.reopen_within_periods",
                f"expected 0 to 24 periods, found {out.reopen_within_periods}")
    return out


PAYGAP_REFERENCES = ("white", "white_british")


def read_paygap(r: Reader, doc: Mapping[str, Any]) -> PaygapSettings:
    """``[paygap]``: the ethnicity reference group and the gov.uk gender pay gap employer map."""
    t = r.table(doc, "paygap", {"ethnicity_reference", "gpg_mapping"})
    reference = r.get(t, "ethnicity_reference", "paygap", str, "white")
    if reference not in PAYGAP_REFERENCES:
        r.error("paygap.ethnicity_reference", f"expected 'white' or 'white_british', found "
                f"{reference!r}{did_you_mean(reference, PAYGAP_REFERENCES)}")
    mapping = r.path(r.get(t, "gpg_mapping", "paygap", str, None))
    if mapping is not None and not mapping.is_file():
        r.error("paygap.gpg_mapping", f"mapping file not found: {mapping}; expected a CSV "
                "org_code,employer_id,company_number")
    return PaygapSettings(reference, mapping)
