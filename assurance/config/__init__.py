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
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from assurance.config.calendar import read_calendar
from assurance.config.model import (
    AUDIENCES,
    DEFAULT_AUDIENCES,
    DEFAULT_HEARTBEAT,
    DEFAULT_LEVELS,
    AudienceSettings,
    BrandingSettings,
    FindingsSettings,
    JobSettings,
    PaygapSettings,
    ReportSettings,
    Settings,
    StatisticsSettings,
    SubscriptionSettings,
    scheduled_jobs,
)
from assurance.config.reader import MAX_BYTES, MAX_NUMBER, Reader, read_config
from assurance.config.sections import (
    read_channels,
    read_database,
    read_disclosure,
    read_escalation,
    read_ethnicity,
    read_findings,
    read_imports,
    read_organisations,
    read_paygap,
    read_reports,
    read_rules,
    read_schedule,
    read_statistics,
    read_subscriptions,
)
from assurance.config.web import read_web
from assurance.problems import Problem, ProblemsError, did_you_mean

_TOP_KEYS = {
    "database", "organisations", "rules", "statistics", "ethnicity", "disclosure",
    "channels", "subscriptions", "escalation", "schedule", "reports", "imports", "findings",
    "paygap",
    "web",
    "calendar",
}  # fmt: skip


def load_settings(path: Path | None = None, *, env: Mapping[str, str] | None = None) -> Settings:
    """Load and validate ``config.toml``; raise ProblemsError listing every problem.

    Args:
        path: the config file. ``None`` gives the built-in defaults (the demo).
        env: environment used only to resolve ``database.url_env``; defaults to empty.
    """
    settings, problems = read_settings(path, env=env)
    if problems or settings is None:
        raise ProblemsError(problems)
    return settings


def read_settings(path: Path | None = None, *, env: Mapping[str, str] | None = None
                  ) -> tuple[Settings | None, list[Problem]]:
    """The settings and every problem in the file, without raising: each value that is wrong
    replaced by its default, so the checks that need a whole Settings (channels, jobs, the
    database) can still run and report theirs beside these (``assurance config check``).
    ``None`` when the file cannot be read or is not TOML at all."""
    env = env or {}
    if path is None:
        return _parse(Reader("<defaults>", Path.cwd()), {}, env)
    where = str(path)
    try:
        text = read_config(path, where)
    except ProblemsError as exc:
        return None, list(exc.problems)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11 puts the position only in the message: "... (at line 2, column 20)".
        m = re.search(r"^(.*?)\s*\(at line (\d+), column (\d+)\)$", str(exc))
        msg, line, col = (m.group(1), int(m.group(2)), int(m.group(3))) if m else (
            str(exc), None, None)
        if msg.endswith("(at end of document)"):  # e.g. an unterminated string: its last line
            msg, line = msg.removesuffix(" (at end of document)"), text.count("\n") + 1
            msg += " (the file ended first)"
        return None, [Problem(where, f"not valid TOML: {msg}", line, col)]
    except ValueError:  # an integer of more than 4,300 digits
        return None, [Problem(where, "found a number of more than 4,300 digits; "
                              "expected numbers of a few digits")]
    except RecursionError:  # [[[[…]]]] thousands deep
        return None, [Problem(where, "found arrays or tables nested too deep to read; "
                              "expected a config nested a few levels")]
    settings, problems = _parse(Reader(where, path.resolve().parent), doc, env)
    return settings.__class__(**{**settings.__dict__, "source": path}), problems


def parse_settings(
    doc: Mapping[str, Any], *, base_dir: Path, where: str, env: Mapping[str, str]
) -> Settings:
    """Validate a parsed TOML document into Settings (all problems at once)."""
    settings, problems = _parse(Reader(where, base_dir), doc, env)
    if problems:
        raise ProblemsError(problems)
    return settings


def _parse(r: Reader, doc: Mapping[str, Any], env: Mapping[str, str]
           ) -> tuple[Settings, list[Problem]]:
    """Settings from a parsed TOML document, each wrong value replaced by its default, and
    the problems. Each section is read by its own function, in this order, so problems are
    listed in the order of the sections."""
    for k in doc:
        if k not in _TOP_KEYS:
            r.error(k, f"unknown section{did_you_mean(k, _TOP_KEYS)}")
    url = read_database(r, doc, env)
    org_file, accountable = read_organisations(r, doc)
    rule_paths = read_rules(r, doc)
    stats = read_statistics(r, doc)
    eth_map = read_ethnicity(r, doc)
    audiences = read_disclosure(r, doc)
    channels = read_channels(r, doc)
    levels = read_escalation(r, doc)
    findings = read_findings(r, doc)
    paygap = read_paygap(r, doc)
    web = read_web(r, doc)
    subs = read_subscriptions(r, doc, channels, levels)
    tz, jobs = read_schedule(r, doc)
    watch_dir = read_imports(r, doc)
    reports = read_reports(r, doc)
    calendar = read_calendar(r, doc, [s.name for s in subs])
    return Settings(
        base_dir=r.base_dir, source=None, database_url=url, organisations_file=org_file,
        accountable=accountable,
        rule_paths=rule_paths, timezone=tz, statistics=stats,
        ethnicity_map=MappingProxyType(eth_map),
        audiences=MappingProxyType(audiences), channels=MappingProxyType(channels),
        subscriptions=subs, escalation_levels=levels, jobs=jobs,
        reports=reports, watch_dir=watch_dir, findings=findings,
        paygap=paygap, web=web,
        calendar=calendar,
    ), r.problems


__all__ = ["AUDIENCES", "DEFAULT_AUDIENCES", "DEFAULT_HEARTBEAT", "DEFAULT_LEVELS", "MAX_BYTES",
           "MAX_NUMBER", "AudienceSettings", "BrandingSettings", "FindingsSettings", "JobSettings",
           "PaygapSettings",
           "ReportSettings", "Settings", "StatisticsSettings", "SubscriptionSettings",
           "load_settings", "parse_settings", "read_settings", "scheduled_jobs"]
