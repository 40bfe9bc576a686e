"""Shared pieces of the command line: the Typer apps, options, output and error handling."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from assurance.config import Settings, load_settings
from assurance.periods import FIRST_YEAR, LAST_YEAR
from assurance.problems import MoreProblems, Problem, ProblemsError
from assurance.wording import counted

EXIT_FAILED, EXIT_BAD_INPUT, EXIT_BAD_CONFIG = 1, 2, 3

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Regulatory assurance and accountability for NHS workforce equality.")
db_app = typer.Typer(no_args_is_help=True, help="The store: schema version and upgrades.")
audit_app = typer.Typer(no_args_is_help=True, help="The hash-chained audit log.")
config_app = typer.Typer(no_args_is_help=True, help="Configuration.")
returns_app = typer.Typer(no_args_is_help=True, help="WRES/WDES annual return workbooks.")
orgs_app = typer.Typer(no_args_is_help=True, help="The organisation register.")
synth_app = typer.Typer(no_args_is_help=True, help="Synthetic data sets.")
rules_app = typer.Typer(no_args_is_help=True, help="Rule packs: check, test, backtest.")
subs_app = typer.Typer(no_args_is_help=True, help="Who hears about which findings.")
report_app = typer.Typer(no_args_is_help=True, help="Word documents for boards and regulators.")
pack_app = typer.Typer(no_args_is_help=True, help="Verifiable evidence packs (zip + manifest).")
findings_app = typer.Typer(no_args_is_help=True, help="Findings: list, show, acknowledge, "
                           "assign, silence.")
notifications_app = typer.Typer(no_args_is_help=True, help="What channels receive: preview.")
attestations_app = typer.Typer(no_args_is_help=True, help="Attestations: add, list, expire, evidence.")
for sub, name in ((db_app, "db"), (audit_app, "audit"), (config_app, "config"),
                  (returns_app, "returns"), (orgs_app, "orgs"), (synth_app, "synth"),
                  (rules_app, "rules"), (findings_app, "findings"), (report_app, "report"),
                  (pack_app, "pack"), (subs_app, "subscriptions"),
                  (notifications_app, "notifications"), (attestations_app, "attestations")):
    app.add_typer(sub, name=name)

out = Console()
err = Console(stderr=True)
_state: dict[str, object] = {}

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", envvar="ASSURANCE_CONFIG",
                                                help="config.toml (default: ./config.toml)")]


@app.callback()
def _main(config: ConfigOpt = None) -> None:
    _state["config"] = config


def now() -> datetime:
    return datetime.now(UTC)


def actor() -> str:
    try:
        return os.environ.get("ASSURANCE_ACTOR") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def fail(exc: ProblemsError, code: int, *, unchanged: str = "nothing was changed") -> typer.Exit:
    """Print every problem and the count (``unchanged`` says what was left as it was)."""
    for p in exc.problems:  # plain print: one problem per line, never wrapped
        print(str(p), file=sys.stderr)
    print(f"{counted(problem_count(exc.problems), 'problem')}; {unchanged}.", file=sys.stderr)
    return typer.Exit(code)


def problem_count(problems: Sequence[Problem]) -> int:
    """How many problems there were, those a capped list leaves out included."""
    return sum(p.hidden if isinstance(p, MoreProblems) else 1 for p in problems)


@contextmanager
def refused(code: int = EXIT_BAD_INPUT) -> Iterator[None]:
    """Turn a ProblemsError raised inside into every problem printed and exit ``code``."""
    try:
        yield
    except ProblemsError as exc:
        raise fail(exc, code) from None


def config_path() -> Path | None:
    """The config file this command reads: ``--config``, $ASSURANCE_CONFIG, or
    ./config.toml when there is one (``None``: the built-in defaults)."""
    path = _state.get("config")
    if path is None and Path("config.toml").is_file():
        path = Path("config.toml")
    return path if isinstance(path, Path) else None


def settings() -> Settings:
    """Load config once per command (``--config``, $ASSURANCE_CONFIG, ./config.toml)."""
    if "settings" in _state:
        return _state["settings"]  # type: ignore[return-value]
    try:
        s = load_settings(config_path(), env=os.environ)
    except ProblemsError as exc:
        raise fail(exc, EXIT_BAD_CONFIG) from None
    _state["settings"] = s
    return s



def redact(url: str) -> str:
    """Hide a password in a database URL before printing it."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparseable URL may still hold a password: never echo it
        return "<unparseable URL>"



PathsArg = Annotated[list[Path] | None, typer.Argument(help="pack files or folders "
                                                     "(default: shipped + configured)")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="evaluation date YYYY-MM-DD "
                                             "(default: today)")]


def parse_day(value: str | None, what: str = "--as-of") -> date:
    if value is None:
        return now().date()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise fail(ProblemsError([Problem(what, f"found {value!r}; expected a date like "
                                          "2025-06-01")]), EXIT_BAD_INPUT) from None
    if not FIRST_DAY <= day <= LAST_DAY:  # the years a period may name (a zip dates to 2107)
        raise fail(ProblemsError([Problem(what, f"found {value!r}; expected a date from "
                                          f"{FIRST_DAY} to {LAST_DAY}")]), EXIT_BAD_INPUT)
    return day


FIRST_DAY, LAST_DAY = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)
"""The dates a command's date options may name: the years a period may name."""



OrgOpt = Annotated[str, typer.Option("--org", help="organisation code (ODS)")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="output file (default: "
                                             "reports.output_dir)")]

