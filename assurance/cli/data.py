"""Commands about data: import, organisations, returns, the store, audit, status, synthetic sets, the demo."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from assurance import api
from assurance.cli.base import (
    EXIT_BAD_CONFIG,
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    actor,
    app,
    audit_app,
    config_app,
    config_path,
    db_app,
    err,
    fail,
    now,
    orgs_app,
    out,
    redact,
    refused,
    returns_app,
    settings,
    synth_app,
)
from assurance.config import Settings, read_settings
from assurance.models import Finding
from assurance.periods import FIRST_YEAR, LAST_YEAR
from assurance.problems import Problem, ProblemsError
from assurance.wording import counted


@config_app.command("check")
def config_check() -> None:
    """Validate the configuration and print every problem with its key path."""
    from assurance.api import check_channels
    from assurance.routing import scope_warnings
    from assurance.scheduler import check as check_jobs
    from assurance.signing import key_problems

    # The file's own problems do not hide the rest: each wrong value stands at its default
    # while channels, jobs, the database and the signing key are checked.
    s, shape = read_settings(config_path(), env=os.environ)
    if s is None:
        raise fail(ProblemsError(shape), EXIT_BAD_CONFIG)
    checks: list[Callable[[Settings], list[Problem]]] = [
        lambda s: check_channels(s, os.environ), check_jobs, _database_problems,
        lambda s: key_problems(key_env=s.reports.signing_key_env, env=os.environ,
                               key_dir=s.base_dir, config=str(s.source or "<config>")),
        scope_warnings]
    found = list(shape)
    for check in checks:
        try:
            found += check(s)
        except Exception:
            if not shape:
                raise
            # A value the file's own problems name may still trip a check: those problems
            # say what to fix, and the check runs once they are fixed.
    found = list(dict.fromkeys(found))  # a notify job checks the channels too: each once
    errors = [p for p in found if p.severity == "error"]
    if errors:
        raise fail(ProblemsError(errors), EXIT_BAD_CONFIG)
    for warning in found:
        out.print(str(warning), markup=False, highlight=False)
    warned = f" ({counted(len(found), 'warning')} above)" if found else ""
    out.print(f"config OK{warned}: {s.source or 'built-in defaults'}; database "
              f"{redact(s.database_url)}")



def _database_problems(s: Settings) -> list[Problem]:
    """What would fail only at run time: connect to the store read-only, with a short
    timeout, and say why not (the password hidden). Nothing is created or written."""
    import sqlite3
    from urllib.parse import quote

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError
    from sqlalchemy.pool import NullPool

    where = str(s.source or "<config>")
    try:
        url = make_url(s.database_url)
    except (ArgumentError, ValueError):
        return [Problem(where, "database.url: found a URL that cannot be parsed; expected e.g. "
                        "sqlite:///assurance.db or postgresql+psycopg://user@host/db")]
    shown = url.render_as_string(hide_password=True)

    def problem(found: str, expected: str) -> list[Problem]:
        if url.password:  # a driver may quote its connection string
            found = found.replace(str(url.password), "***")
        return [Problem(where, f"database.url: {shown}: {found}; expected {expected}")]

    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return []
        path = Path(url.database)
        if not path.exists():
            if not path.parent.is_dir():
                return problem(f"the folder {path.parent} does not exist",
                               "an existing folder (the store file is created in it)")
            if not os.access(path.parent, os.W_OK):
                return problem(f"the folder {path.parent} is not writable",
                               "a folder the store file can be created in")
            return []
        if not path.is_file():
            return problem(f"{path} is not a file", "an SQLite database file")
        try:
            lite = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=5)
            try:
                lite.execute("SELECT count(*) FROM sqlite_master").fetchone()
            finally:
                lite.close()
        except sqlite3.Error as exc:
            return problem(f"cannot open it read-only ({exc})", "an SQLite database file")
        return []
    timeout = ({"connect_timeout": 5} if url.get_backend_name() in ("postgresql", "mysql")
               else {})
    try:
        engine = create_engine(url, connect_args=timeout, poolclass=NullPool)
    except Exception as exc:  # unknown dialect, driver not installed: never a traceback
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return problem(f"unknown or uninstalled database driver {url.drivername!r} ({first})",
                       "sqlite:///… or postgresql+psycopg://… (pip install -e '.[postgres]')")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver's connection error, reported, never raised
        orig = getattr(exc, "orig", None) or exc
        first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
        return problem(f"cannot connect ({first})", "a database that accepts connections "
                       "within 5 seconds")
    finally:
        engine.dispose()
    return []


@app.command("import")
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="files to import, one transaction each")],
    source: Annotated[str | None, typer.Option(help="importer name (default: detected)")] = None,
) -> None:
    """Import files (tidy CSV, organisation register, annual return, Staff Survey)."""
    s = settings()
    engine = api.connect(s)
    refusals = 0
    for f in files:
        try:
            r = api.import_file(engine, s, f, actor=actor(), at=now(), source=source)
        except ProblemsError as exc:
            # Each file is its own transaction: with several, the others still count.
            fail(exc, EXIT_BAD_INPUT, unchanged="nothing was changed" if len(files) == 1
                 else f"nothing from {f} was stored")
            refusals += 1
            continue
        out.print(f"{f}: {r.status}: {r.message} (import #{r.import_id}, sha256 "
                  f"{r.sha256[:12]}…)", markup=False)
    if refusals:
        if len(files) > 1:
            print(f"{refusals} of {len(files)} files refused; each file is imported on its "
                  "own, so the rest were imported (see above)", file=sys.stderr)
        raise typer.Exit(EXIT_BAD_INPUT)


@orgs_app.command("import")
def orgs_import(file: Path) -> None:
    """Register organisations from a CSV (code, name, type, region, ics, …)."""
    import_cmd([file], source="organisations_csv")


@returns_app.command("template")
def returns_template(
    out_file: Path,
    org: Annotated[str | None, typer.Option(help="pre-fill the ODS code")] = None,
    year: Annotated[int | None, typer.Option(help="pre-fill the WRES/WDES year")] = None,
) -> None:
    """Write a blank WRES/WDES annual return workbook for a trust to fill in."""
    from assurance.safeinput import InputError, check_ods_code, output_problems
    from connectors.returns_template import write_template

    problems = output_problems(out_file, "OUT_FILE")
    if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:  # as the importer refuses
        problems.append(Problem("--year", f"found {year}; expected the 31 March snapshot year, "
                                f"{FIRST_YEAR} to {LAST_YEAR}"))
    try:
        org = check_ods_code(org) if org else org
    except InputError as exc:
        problems.append(Problem("--org", str(exc)))
    if problems:
        raise fail(ProblemsError(problems), EXIT_BAD_INPUT)
    write_template(out_file, org_code=org, year=year)
    out.print(f"wrote {out_file}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Upgrade the store's schema to this release (data kept)."""
    from assurance.db import current_revision, head_revision

    engine = api.connect(settings())
    out.print(f"schema at {current_revision(engine)} (this release: {head_revision()})")


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the whole audit hash chain; exit 1 naming the first broken event."""
    report = api.verify_audit(api.connect(settings()))
    if not report.ok:
        err.print(f"audit chain BROKEN after {report.events} good events: {report.problem}",
                  style="bold red")
        raise typer.Exit(EXIT_FAILED)
    out.print(f"audit chain OK: {report.events} events, head {report.head}")


@app.command("status")
def status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Jobs (last and next run, outcome), notifications, open findings by level, the store
    and the audit chain's head."""
    s = settings()
    data = api.service_status(api.connect(s), s)
    if as_json:
        out.print_json(json.dumps(data, default=str))
        return
    t = Table("job", "type", "cron", "next run", "last run", "outcome", "summary", title="Jobs")
    for j in data["jobs"]:
        t.add_row(j["name"], j["type"], j["cron"], str(j["next_run"] or ""),
                  str(j["last_run"] or ""), j["last_outcome"] or "", (j["last_summary"] or "")[:60])
    out.print(t)
    t = Table("level", "open findings", title="Findings")
    for level, n in data["open_findings_by_level"].items():
        t.add_row(level, str(n))
    out.print(t)
    if "notifications" in data:
        out.print("notifications: " + ", ".join(f"{v} {k}" for k, v in
                                                data["notifications"].items()))
    out.print("store: " + ", ".join(f"{v:,} {k}" for k, v in data["store"].items()))
    audit_state = "OK" if data["audit_ok"] else "BROKEN"
    out.print(f"audit chain {audit_state}: {data['audit_events']} events, head {data['audit_head']}")



@synth_app.command("demo")
def synth_demo(out_dir: Path) -> None:
    """Write the demo set (6 synthetic trusts) as CSV files."""
    from assurance.synthetic import write_demo_set

    for p in write_demo_set(out_dir):
        out.print(f"wrote {p}")


@synth_app.command("national")
def synth_national(out_dir: Path) -> None:
    """Write the national-scale set (215 synthetic trusts × 10 years) as CSV files."""
    from assurance.synthetic import write_national_set

    for p in write_national_set(out_dir):
        out.print(f"wrote {p}")


@app.command("demo")
def demo(
    workdir: Annotated[Path, typer.Option("--dir", help="working folder (recreated)")] = Path(
        "assurance-demo"),
    nss: Annotated[Path | None, typer.Option(help="the Staff Survey 2024 file")] = None,
) -> None:
    """Build a demo store from synthetic data and the real Staff Survey file, offline."""
    with err.status("running the demo…"), refused():
        result = api.run_demo(workdir, at=now(), nss_file=nss,
                              progress=lambda m: err.log(m))
    out.rule("assurance demo (SYNTHETIC organisations + real NHS Staff Survey 2024)")
    out.print(f"working folder: {result.workdir.resolve()}")
    out.print(f"store: {result.database_url}")
    out.print(f"config: {result.workdir.resolve() / 'config.toml'} — run further commands from "
              "that folder, e.g. `assurance findings list`, `assurance status`", markup=False)
    t = Table("file", "importer", "result", title="Imports (with provenance)")
    for r in result.imports:
        t.add_row(r.filename, r.source, r.message)
    out.print(t)
    out.print("store holds: " + ", ".join(f"{v:,} {k}" for k, v in result.counts.items()))
    if result.evaluation is not None:
        counts: dict[str, int] = {}
        for o in result.evaluation.outcomes:
            counts[o.status] = counts.get(o.status, 0) + 1
        out.print(f"evaluated as of {result.evaluation.as_of} (years replayed so findings have "
                  "history): " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    out.rule("Open findings for the synthetic trusts (longest-running first; all: "
             "assurance findings list)")
    by_org: dict[str, list[Finding]] = {}
    for f in result.findings:
        by_org.setdefault(f.org_code, []).append(f)
    for code, found in sorted(by_org.items()):
        ranked = sorted(found, key=lambda f: (-f.consecutive_periods, f.severity != "high"))
        out.print(f"[bold]{code}[/bold]: {len(found)} open")
        for f in ranked[:4]:
            periods = f"{f.consecutive_periods} period" + ("s" if f.consecutive_periods != 1
                                                           else "")
            out.print(f"  {f.rule_id} ({(f.level or '').replace('_', ' ')}, {periods}): "
                      f"{f.summary}", markup=False,
                      highlight=False, overflow="ellipsis", no_wrap=True)
    key_rules = ("dq.", "board.", "wres.2.", "wres.1.", "wres.appointments.")
    changes = sorted((t for t in result.history if t.finding.rule_id.startswith(key_rules)),
                     key=lambda t: (t.event.as_of, t.finding.org_code))
    if changes:
        out.rule("Board, data-quality, WRES 1-2 and monthly appointment findings opened and "
                 "closed, 2021-2025")
        for tr in changes[:40]:
            out.print(f"  {tr.event.as_of}  {tr.finding.org_code}  {tr.event.kind:<9} "
                      f"{tr.finding.rule_id}: {tr.event.summary}", markup=False,
                      highlight=False, overflow="ellipsis", no_wrap=True)
    for note in result.notes:
        out.print(f"note: {note}", style="yellow")
    if result.delivery is not None:
        out.rule("Escalations sent through the demo's console channels")
        out.print(f"{result.delivery.sent} notifications delivered, {result.delivery.dead} "
                  "dead-lettered; one file per channel:")
        for log_file in sorted(result.workdir.glob("notifications-*.jsonl")):
            lines = log_file.read_text(encoding="utf-8").splitlines()
            out.print(f"  {log_file} ({len(lines)} messages)", markup=False, highlight=False)
        sample = result.workdir / "notifications-race-network.jsonl"
        if sample.is_file():
            first = json.loads(sample.read_text(encoding="utf-8").splitlines()[0])
            msg = first.get("message", first)
            out.print(f"  e.g. to the race equality network: [{msg.get('event')}] "
                      f"{msg.get('organisation_name')}: {msg.get('title')} — "
                      f"{msg.get('headline')}", markup=False, highlight=False)
    if result.outputs:
        out.rule("Documents (open the .docx in Word or LibreOffice)")
        for label, path in result.outputs.items():
            out.print(f"{label}: {path}", markup=False, highlight=False, soft_wrap=True)


