"""Typed configuration, loaded once from ``config.toml`` and passed down.

The :class:`Settings` object is frozen: nothing in the core reads the environment or the
config file again. Secrets never live in the file; the file names the environment variables
that hold them (``token_env = "SLACK_BOT_TOKEN"``) and only the edges read them.

Every problem in a config file is collected and reported with its key path, e.g.
``config.toml: error: database.ur: unknown key (did you mean 'url'?)``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assurance.problems import Problem, ProblemsError, did_you_mean

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

_TOP_KEYS = {
    "database", "organisations", "rules", "statistics", "ethnicity", "disclosure",
    "channels", "subscriptions", "escalation", "schedule", "reports", "imports",
}  # fmt: skip


MAX_NUMBER = 10**12
"""Largest magnitude of any number in config.toml (a 400-digit integer is a typo)."""
MAX_BYTES = 1_048_576
"""Largest config.toml read."""
_KIND_NAMES = {int: f"a whole number of at most {MAX_NUMBER:,}",
               float: f"a finite number of at most {MAX_NUMBER:,}",
               str: "text", bool: "true or false", list: "a list", dict: "a table"}


def _shown(value: Any) -> str:
    """A value as a problem quotes it: short, and huge integers by their length."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
        return f"a number of {len(str(abs(value)))} digits"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


class _Reader:
    """Walks the TOML document collecting problems with their key paths."""

    def __init__(self, where: str, base_dir: Path):
        self.where = where
        self.base_dir = base_dir
        self.problems: list[Problem] = []

    def error(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.where, f"{key}: {message}"))

    def table(self, doc: Mapping[str, Any], key: str, allowed: set[str]) -> Mapping[str, Any]:
        value = doc.get(key.rsplit(".", 1)[-1], {})
        if not isinstance(value, Mapping):
            self.error(key, f"expected a table, found {type(value).__name__}")
            return {}
        for k in value:
            if k not in allowed:
                self.error(f"{key}.{k}", f"unknown key{did_you_mean(k, allowed)}")
        return value

    def get(self, table: Mapping[str, Any], key: str, path: str, kind: type, default: Any) -> Any:
        if key not in table:
            return default
        value = table[key]
        ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True  # a whole number is a number
        if ok and kind in (int, float) and not abs(value) <= MAX_NUMBER:  # nan and inf too
            ok = False
        if not ok:
            self.error(f"{path}.{key}", f"expected {_KIND_NAMES.get(kind, kind.__name__)}, "
                       f"found {_shown(value)}")
            return default
        return float(value) if kind is float else value

    def path(self, value: str | None) -> Path | None:
        if value is None:
            return None
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)


def _database_url(url: str, base_dir: Path) -> str:
    """Resolve a relative SQLite path against the config file's folder."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite://":
        rel = url[len(prefix):]
        if rel and rel != ":memory:":
            return prefix + str((base_dir / rel).resolve())
    return url


def load_settings(path: Path | None = None, *, env: Mapping[str, str] | None = None) -> Settings:
    """Load and validate ``config.toml``; raise ProblemsError listing every problem.

    Args:
        path: the config file. ``None`` gives the built-in defaults (the demo).
        env: environment used only to resolve ``database.url_env``; defaults to empty.
    """
    env = env or {}
    if path is None:
        return parse_settings({}, base_dir=Path.cwd(), where="<defaults>", env=env)
    where = str(path)
    text = _read_config(path, where)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11 puts the position only in the message: "... (at line 2, column 20)".
        m = re.search(r"^(.*?)\s*\(at line (\d+), column (\d+)\)$", str(exc))
        msg, line, col = (m.group(1), int(m.group(2)), int(m.group(3))) if m else (
            str(exc), None, None)
        raise ProblemsError([Problem(where, f"not valid TOML: {msg}", line, col)]) from exc
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise ProblemsError([Problem(where, "found a number of more than 4,300 digits; "
                                     "expected numbers of a few digits")]) from exc
    except RecursionError as exc:  # [[[[…]]]] thousands deep
        raise ProblemsError([Problem(where, "found arrays or tables nested too deep to read; "
                                     "expected a config nested a few levels")]) from exc
    settings = parse_settings(doc, base_dir=path.resolve().parent, where=where, env=env)
    return settings.__class__(**{**settings.__dict__, "source": path})


def _read_config(path: Path, where: str) -> str:
    """The config file as text; a file that is not a regular file, too big or not UTF-8
    (UTF-16 with a byte-order mark, Latin-1 bytes) is refused with the place of the byte."""
    try:
        if not path.is_file():  # a FIFO would block, a folder is a mistake
            raise ProblemsError([Problem(where, "cannot read config: not a regular file")])
        with path.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ProblemsError([Problem(where, f"cannot read config: {exc.strerror}")]) from exc
    if len(raw) > MAX_BYTES:
        raise ProblemsError([Problem(where, f"found a file over {MAX_BYTES:,} bytes; expected a "
                                     "config.toml of at most that size")])
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ProblemsError([Problem(where, "found UTF-16 text (it starts with a UTF-16 "
                                     "byte-order mark); expected UTF-8: save the file as UTF-8",
                                     1, 1)])
    if b"\x00" in raw:  # valid UTF-8, but what UTF-16 without a byte-order mark looks like
        at = raw.index(b"\x00")
        raise ProblemsError([Problem(
            where, f"found a NUL byte (byte {at + 1} of the file); expected UTF-8 text (is it "
            "UTF-16? save the file as UTF-8)", raw.count(b"\n", 0, at) + 1,
            at - raw.rfind(b"\n", 0, at))])
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = len(raw[raw.rfind(b"\n", 0, exc.start) + 1:exc.start].decode("utf-8", "replace"))
        raise ProblemsError([Problem(
            where, f"found the byte 0x{raw[exc.start]:02x} (byte {exc.start + 1} of the file), "
            "which is not UTF-8; expected UTF-8 text: save the file as UTF-8 (TOML requires it)",
            line, col + 1)]) from None


def parse_settings(
    doc: Mapping[str, Any], *, base_dir: Path, where: str, env: Mapping[str, str]
) -> Settings:
    """Validate a parsed TOML document into Settings (all problems at once).

    Each section is read by its own function below, in this order, so problems are listed
    in the order of the sections.
    """
    r = _Reader(where, base_dir)
    for k in doc:
        if k not in _TOP_KEYS:
            r.error(k, f"unknown section{did_you_mean(k, _TOP_KEYS)}")
    url = _database(r, doc, env)
    org_file, accountable = _organisations(r, doc)
    rule_paths = _rules(r, doc)
    stats = _statistics(r, doc)
    eth_map = _ethnicity(r, doc)
    audiences = _disclosure(r, doc)
    channels = _channels(r, doc)
    levels = _escalation(r, doc)
    subs = _subscriptions(r, doc, channels, levels)
    tz, jobs = _schedule(r, doc)
    watch_dir = _imports(r, doc)
    reports = _reports(r, doc)
    if r.problems:
        raise ProblemsError(r.problems)
    return Settings(
        base_dir=base_dir, source=None, database_url=url, organisations_file=org_file,
        accountable=accountable,
        rule_paths=rule_paths, timezone=tz, statistics=stats,
        ethnicity_map=MappingProxyType(eth_map),
        audiences=MappingProxyType(audiences), channels=MappingProxyType(channels),
        subscriptions=subs, escalation_levels=levels, jobs=jobs,
        reports=reports, watch_dir=watch_dir,
    )


def _database(r: _Reader, doc: Mapping[str, Any], env: Mapping[str, str]) -> str:
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


def _organisations(r: _Reader, doc: Mapping[str, Any]) -> tuple[Path | None, tuple[str, ...]]:
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


def _rules(r: _Reader, doc: Mapping[str, Any]) -> tuple[Path, ...]:
    """``[rules]``: rule pack files or folders beyond the shipped ones."""
    rules_t = r.table(doc, "rules", {"paths"})
    rule_paths_raw = r.get(rules_t, "paths", "rules", list, [])
    rule_paths = tuple(p for p in (r.path(str(x)) for x in rule_paths_raw) if p is not None)
    for p in rule_paths:
        if not p.exists():
            r.error("rules.paths", f"not found: {p}")
    return rule_paths


def _statistics(r: _Reader, doc: Mapping[str, Any]) -> StatisticsSettings:
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


def _ethnicity(r: _Reader, doc: Mapping[str, Any]) -> dict[str, str]:
    """``[ethnicity]``: extra ethnic-category codes mapped to white, bme or unknown."""
    eth = r.table(doc, "ethnicity", {"map"})
    eth_map = r.get(eth, "map", "ethnicity", dict, {})
    for code, group in eth_map.items():
        if group not in ("white", "bme", "unknown"):
            r.error(f"ethnicity.map.{code}", f"expected white, bme or unknown, found {group!r}")
    return dict(eth_map)


def _disclosure(r: _Reader, doc: Mapping[str, Any]) -> dict[str, AudienceSettings]:
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
        a = r.table({name: a}, key, {"exact_counts", "low", "high", "rounding"})
        audiences[name] = AudienceSettings(
            name,
            exact_counts=r.get(a, "exact_counts", key, bool, audiences[name].exact_counts),
            low=r.get(a, "low", key, int, 1),
            high=r.get(a, "high", key, int, 7),
            rounding=r.get(a, "rounding", key, int, 5),
        )
        _check_policy(r, key, audiences[name])
    return audiences


def _check_policy(r: _Reader, key: str, a: AudienceSettings) -> None:
    """The small-number rule must be one the disclosure module can apply (checked by the
    same code, so config check and every output agree)."""
    from assurance.disclosure.rule import DisclosurePolicy  # it imports this module

    try:
        DisclosurePolicy(exact=a.exact_counts, low=a.low, high=a.high, rounding=a.rounding)
    except (ValueError, TypeError) as exc:
        r.error(key, f"found low = {a.low}, high = {a.high}, rounding = {a.rounding}: {exc}; "
                "expected 0 <= low <= high and a rounding of at least 1 that shows no count "
                "above high as 0")


def _channels(r: _Reader, doc: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
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


def _escalation(r: _Reader, doc: Mapping[str, Any]) -> tuple[str, ...]:
    """``[escalation]``: the ladder of levels, lowest first."""
    esc = r.table(doc, "escalation", {"levels"})
    levels = tuple(r.get(esc, "levels", "escalation", list, list(DEFAULT_LEVELS)))
    if (not levels or not all(isinstance(x, str) and x.strip() for x in levels)
            or len(set(levels)) != len(levels)):
        r.error("escalation.levels", f"found {_shown(list(levels))}; expected a non-empty list "
                "of distinct level names, lowest first")
        return DEFAULT_LEVELS
    return levels


_SUBSCRIPTION_KEYS = {"name", "channel", "audience", "match", "min_level", "repeat_every",
                      "orgs", "divisions", "peers", "mode", "digest_time", "digest_weekday"}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _subscriptions(r: _Reader, doc: Mapping[str, Any], channels: Mapping[str, Any],
                   levels: Sequence[str]) -> tuple[SubscriptionSettings, ...]:
    """``[[subscriptions]]``: which findings each channel hears about, and as whom."""
    subs_raw = doc.get("subscriptions", [])
    if not isinstance(subs_raw, list):
        r.error("subscriptions", "expected an array of tables ([[subscriptions]])")
        subs_raw = []
    return tuple(_subscription(r, i, s, channels, levels) for i, s in enumerate(subs_raw))


def _subscription(r: _Reader, i: int, raw: Any, channels: Mapping[str, Any],
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


def _codes(r: _Reader, table: Mapping[str, Any], name: str, key: str, *,
           upper: bool) -> tuple[str, ...]:
    """A list of codes (``orgs = ["RXX"]``), stripped, upper-cased for ODS codes."""
    raw = r.get(table, name, key, list, [])
    codes = tuple((str(c).strip().upper() if upper else str(c).strip()) for c in raw
                  if isinstance(c, str) and c.strip())
    if len(codes) != len(raw):
        r.error(f"{key}.{name}", f"expected a list of codes like [\"RXX\"], found {raw!r}")
    return codes


def _schedule(r: _Reader, doc: Mapping[str, Any]) -> tuple[str, tuple[JobSettings, ...]]:
    """``[schedule]``: the time zone and the scheduled jobs (each job type checks its own
    options when ``assurance run`` starts)."""
    sched = r.table(doc, "schedule", {"timezone", "jobs"})
    tz = r.get(sched, "timezone", "schedule", str, "Europe/London")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        r.error("schedule.timezone", f"unknown time zone {tz!r}; expected e.g. 'Europe/London'")
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


def _imports(r: _Reader, doc: Mapping[str, Any]) -> Path | None:
    """``[imports]``: the folder watched for new files."""
    imp = r.table(doc, "imports", {"watch_dir"})
    return r.path(r.get(imp, "watch_dir", "imports", str, None))


def _reports(r: _Reader, doc: Mapping[str, Any]) -> ReportSettings:
    """``[reports]``: where documents go, the committee's name, templates and branding."""
    rep = r.table(doc, "reports", {"output_dir", "committee", "templates_dir", "reference_docx",
                                   "branding", "signing_key_env",
                                   "alert_unowned_after_working_days"})
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
    )
    if not 0 <= settings.alert_unowned_after_working_days <= 260:
        r.error("reports.alert_unowned_after_working_days", "expected a number of working "
                f"days from 0 to 260, found {settings.alert_unowned_after_working_days}")
    return settings


def _branding(r: _Reader, rep: Mapping[str, Any]) -> BrandingSettings:
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
