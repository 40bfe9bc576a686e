"""The library API: the one place the CLI, the scheduler and the web layer call.

Each function takes the frozen :class:`~assurance.config.Settings` (or an engine built from
it) and explicit ``actor``/``at`` values, and the environment (``env``) where a secret is
needed; neither caller contains logic the other lacks. This module is the composition root:
it is the only core module that looks up the edge registries (``connectors``, ``reports``),
and it does so by name. The work itself lives in modules named for it, re-exported here so
callers keep one entry point:

* :mod:`assurance.rulepacks` — the packs in force, loading them, their YAML test cases;
* :mod:`assurance.evaluation` — evaluating and recording findings in one transaction;
* :mod:`assurance.findings` — the findings register (``list_findings``, ``open_findings``);
* :mod:`assurance.backtest` — replaying the packs over stored history;
* :mod:`assurance.distribution` — board papers queued for channels board members read;
* :mod:`assurance.status` — what ``assurance status`` shows;
* :mod:`assurance.demo` — the offline demo store;
* :mod:`connectors.detect` — which importer reads a file.
"""

from __future__ import annotations

import hashlib
import time
import zipfile
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from assurance import audit, outbox, signing
from assurance.backtest import BacktestEvent, backtest
from assurance.channels import Channel, ChannelError, OutboundMessage
from assurance.config import Settings
from assurance.db import open_existing_store, open_store, session
from assurance.demo import DEMO_AS_OF, DemoResult, demo_settings, run_demo
from assurance.distribution import board_paper_problems, distribute
from assurance.engine.rules import RulePack
from assurance.evaluation import EvaluationResult, check_accountable, evaluate_and_record
from assurance.findings import FindingList, Transition, list_findings, open_findings
from assurance.ingest import ImportResult, Source, run_import
from assurance.outbox import digest
from assurance.problems import Problem, ProblemsError
from assurance.rulepacks import (
    RuleTestReport,
    load_rules,
    rule_paths,
    shipped_rules_dir,
    test_rules,
)
from assurance.safeinput import check_file, output_problems
from assurance.signing import PackCheck
from assurance.status import service_status

if TYPE_CHECKING:
    from reports.batch import BatchResult, Written

__all__ = [
    "DEMO_AS_OF", "BacktestEvent", "DemoResult", "EvaluationResult", "FindingList", "PackCheck",
    "RuleTestReport",
    "alert_operators", "backtest", "board_paper_problems", "build_channels", "change_finding",
    "check_accountable", "check_channels", "connect", "demo_settings", "distribute", "escalate",
    "evaluate_and_record", "import_file", "list_findings", "load_rules", "notify",
    "open_findings", "render", "render_all",
    "rule_paths", "run_demo", "service_status", "shipped_rules_dir", "sources", "test_rules",
    "verify_audit", "verify_pack", "open_existing",
]  # fmt: skip


def connect(settings: Settings) -> Engine:
    """Open the configured store, creating or upgrading its schema, and register the
    configured organisation file (``organisations.file``; idempotent: unchanged files store
    nothing)."""
    engine = open_store(settings.database_url)
    if settings.organisations_file is not None:
        run_import(engine, sources()["organisations_csv"], settings.organisations_file,
                   actor="config", at=datetime.now(UTC))
    return engine


def open_existing(settings: Settings) -> Engine:
    """Open the configured store as it is, to read: nothing created, upgraded or imported."""
    return open_existing_store(settings.database_url)


def sources(settings: Settings | None = None) -> dict[str, Source]:
    """The importers by name (:data:`connectors.SOURCES`), with options from ``settings``."""
    from connectors import SOURCES, configured

    return configured(settings) if settings is not None else SOURCES


def import_file(engine: Engine, settings: Settings, path: Path, *, actor: str, at: datetime,
                source: str | None = None) -> ImportResult:
    """Import one file with the named (or detected) source."""
    from connectors.detect import detect_source

    name = source or detect_source(path)
    registry = sources(settings)
    if name not in registry:
        raise ProblemsError([Problem(str(path), f"unknown source {name!r}; expected one of "
                                     + ", ".join(registry))])
    return run_import(engine, registry[name], path, actor=actor, at=at,
                      ethnicity_map=settings.ethnicity_map)


def verify_audit(engine: Engine) -> audit.ChainReport:
    """Recompute the whole audit hash chain."""
    with session(engine) as s:
        return audit.verify(s)


# ----------------------------------------------------------------------------- reports

def render(engine: Engine, settings: Settings, name: str, *, org_code: str, as_of: date,
           actor: str, at: datetime, out_path: Path | None = None) -> Path:
    """Write one document (``board``, ``well-led``, ``hia``) or evidence pack (``pack``)."""
    from reports import output_path, renderer

    chosen = renderer(name)
    path = out_path or output_path(settings, name, org_code, as_of)
    if refused := output_problems(path):
        raise ProblemsError(refused)
    path.parent.mkdir(parents=True, exist_ok=True)
    return chosen.render(engine, settings, org_code=org_code, as_of=as_of, out_path=path,
                         actor=actor, at=at)


def render_all(settings: Settings, name: str, *, as_of: date, actor: str, at: datetime,
               out_dir: Path | None = None, workers: int | None = None,
               progress: Callable[[Written], None] = lambda _: None) -> BatchResult:
    """Write ``name`` for every organisation the batch covers (``organisations.accountable``,
    else every organisation with figures) in parallel processes (:mod:`reports.batch`)."""
    from reports.batch import render_every

    return render_every(settings, name, as_of=as_of, actor=actor, at=at, out_dir=out_dir,
                        workers=workers, progress=progress)


def verify_pack(path: Path, engine: Engine | None = None, *,
                public_key: str | None = None) -> PackCheck:
    """Check an evidence pack from the zip alone (``engine``: against that store too).

    Opens nothing but the zip unless ``engine`` is given, and writes nothing. The result's
    problems name every changed, missing or extra file (empty: it verifies); its signer is
    the fingerprint of the key that signed it.

    Raises:
        ProblemsError: no such file, or ``public_key`` is not a key or fingerprint.
    """
    what = "an evidence pack (the .zip 'assurance pack' writes)"
    refused = check_file(path, what=what)
    if not refused and not zipfile.is_zipfile(path):
        refused = [Problem(str(path), f"not a zip file; expected {what}")]
    if refused:
        raise ProblemsError(refused)
    try:
        expected = signing.parse_public_key(public_key) if public_key else None
    except ValueError as exc:
        raise ProblemsError([Problem("--public-key", str(exc))]) from None
    return signing.check_pack(path, engine=engine, expected_signer=expected)


# ----------------------------------------------------------------------------- channels

def check_channels(settings: Settings, env: Mapping[str, str]) -> list[Problem]:
    """Check every configured channel offline (types, options, secrets present)."""
    from connectors.channels.setup import check_configured

    return check_configured(settings, env)


def build_channels(settings: Settings, env: Mapping[str, str]) -> dict[str, Channel]:
    """Every configured channel, built (secrets from ``env``), plus the fallback console."""
    from connectors.channels.setup import build_configured

    return build_configured(settings, env)


def alert_operators(engine: Engine, settings: Settings, *, title: str, text: str,
                    at: datetime, env: Mapping[str, str]) -> bool:
    """Tell the operators (the channel marked ``fallback = true``) about a job error or a
    missed run, directly rather than through the outbox, so an alert still goes out when
    the outbox itself is the problem. Returns whether a channel took it."""
    from connectors.channels import build_channel

    targets = [n for n, o in settings.channels.items() if o.get("fallback")]
    if not targets:
        return False
    key = hashlib.sha256(f"{title}|{text}|{at.isoformat()}".encode()).hexdigest()[:32]
    msg = OutboundMessage(idempotency_key=key, event="job_error", thread_key="operations",
                          title=title, severity="high", organisation_code="-",
                          organisation_name="assurance service", rule_id="-", period="-",
                          state="error", level="operations", headline=text)
    sent = False
    for name in targets:
        try:
            build_channel(name, outbox.transport_options(settings.channels[name]), env).send(
                msg, None)
            sent = True
        except (ChannelError, ValueError):
            continue
    return sent


# ----------------------------------------------------------------------------- escalations

def notify(engine: Engine, settings: Settings, env: Mapping[str, str], *,
           now: Callable[[], datetime] = lambda: datetime.now(UTC),
           sleep: Callable[[float], None] = time.sleep,
           wait_for_retries: float = 0.0, digests_now: bool = False) -> outbox.DeliveryReport:
    """Deliver pending notifications, paced per channel, with retries and dead letters;
    ``digests_now`` first sends held digest lines without waiting for their digest time."""
    if digests_now:
        digest.assemble_due(engine, settings, at=now(), early=True)
    return outbox.deliver(engine, settings, build_channels(settings, env), now=now, sleep=sleep,
                          per_channel_rate=outbox.channel_rates(settings),
                          wait_for_retries=wait_for_retries)


def change_finding(engine: Engine, settings: Settings, change: Callable[..., Transition],
                   ref: str, *, at: datetime, as_of: date, **options: object) -> Transition:
    """A person's step (``findings.acknowledge``, ``assign``, ``silence``, ``resolve``) and its
    notifications to the finding's thread, in one transaction."""
    try:
        rules = {r.id: r for p in load_rules(settings) for r in p.rules}
    except ProblemsError:  # a broken pack must not stop an acknowledgement; messages lack why
        rules = {}
    with session(engine, write=True) as s, s.begin():
        t = change(s, ref, at=at, as_of=as_of, **options)
        outbox.enqueue(s, [t], settings, at=at, rules_by_id=rules)
    return t


def escalate(engine: Engine, settings: Settings, *, as_of: date, at: datetime, actor: str,
             packs: Sequence[RulePack] | None = None) -> int:
    """Raise open findings left unacknowledged or with an overdue action; notify."""
    from assurance.escalation import escalate_unacknowledged

    packs = list(packs) if packs is not None else load_rules(settings)
    rules = {r.id: r for p in packs for r in p.rules}
    with session(engine, write=True) as s, s.begin():
        ts = escalate_unacknowledged(s, settings, as_of, at, rules, actor=actor)
        outbox.enqueue(s, ts, settings, at=at, rules_by_id=rules)
    return len(ts)
