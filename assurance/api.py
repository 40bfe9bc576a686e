"""The library API: the one place the CLI and the scheduler call.

Each function takes the frozen :class:`~assurance.config.Settings` (or an engine built from
it) and explicit ``actor``/``at`` values; neither caller contains logic the other lacks.
This module is the composition root: it is the only core module that looks up the edge
registries (``connectors``, ``reports``), and it does so by name.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from assurance import audit, outbox, routing
from assurance.catalogue import load_statements
from assurance.channels import Channel
from assurance.config import Settings, load_settings, scheduled_jobs
from assurance.db import open_store, session
from assurance.engine.cases import CaseResult, run_case_file
from assurance.engine.evaluate import Outcome, evaluate
from assurance.engine.rules import RulePack, load_packs
from assurance.findings import Transition, apply_outcomes
from assurance.ingest import ImportResult, Source, run_import, store_counts
from assurance.models import Finding
from assurance.problems import Problem, ProblemsError, did_you_mean

REAL_NSS_NAME = "nss2024_detailed_organisational_results.xlsx"
DEMO_AS_OF = date(2025, 6, 1)  # fixed, so the demo's output is the same every run
DEMO_FIRST_YEAR = 2021


def connect(settings: Settings) -> Engine:
    """Open the configured store, creating or upgrading its schema, and register the
    configured organisation file (``organisations.file``; idempotent: unchanged files store
    nothing)."""
    engine = open_store(settings.database_url)
    if settings.organisations_file is not None:
        run_import(engine, sources()["organisations_csv"], settings.organisations_file,
                   actor="config", at=datetime.now(UTC))
    return engine


def sources() -> dict[str, Source]:
    from connectors import SOURCES

    return SOURCES


def detect_source(path: Path) -> str:
    """Guess a file's format from its name and first bytes (``--source`` overrides)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            head = path.open(encoding="utf-8-sig").readline()
        except (OSError, UnicodeDecodeError):
            return "metrics_csv"
        cols = {c.strip() for c in head.split(",")}
        if {"code", "name"} <= cols:
            return "organisations_csv"
        return "esr_csv" if "ethnic_category" in cols else "metrics_csv"
    if suffix in (".xlsx", ".xlsm"):
        try:
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True)
            names = set(wb.sheetnames)
            wb.close()
        except Exception:  # noqa: BLE001 - the chosen importer reports the real problem
            return "nss_xlsx"
        return "returns_xlsx" if "Workforce" in names else "nss_xlsx"
    raise ProblemsError([Problem(str(path), f"cannot tell the format of a '{suffix}' file; "
                                 "pass --source (" + ", ".join(sources()) + ")")])


def import_file(engine: Engine, settings: Settings, path: Path, *, actor: str, at: datetime,
                source: str | None = None) -> ImportResult:
    """Import one file with the named (or detected) source."""
    name = source or detect_source(path)
    registry = sources()
    if name not in registry:
        raise ProblemsError([Problem(str(path), f"unknown source {name!r}; expected one of "
                                     + ", ".join(registry))])
    return run_import(engine, registry[name], path, actor=actor, at=at,
                      ethnicity_map=settings.ethnicity_map)


def verify_audit(engine: Engine) -> audit.ChainReport:
    with session(engine) as s:
        return audit.verify(s)


@dataclass
class DemoResult:
    workdir: Path
    database_url: str
    imports: list[ImportResult] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    evaluation: EvaluationResult | None = None
    findings: list[Finding] = field(default_factory=list)
    history: list[Transition] = field(default_factory=list)
    delivery: outbox.DeliveryReport | None = None


def find_real_nss(start: Path) -> Path | None:
    """The real Staff Survey 2024 file shipped beside the project (../shared/data)."""
    for base in (start, *start.parents):
        for cand in (base / "shared" / "data" / REAL_NSS_NAME,
                     base / "data" / REAL_NSS_NAME):
            if cand.is_file():
                return cand
    return None


DEMO_CONFIG = """\
# Written by `assurance demo`: the demo's own configuration. Run commands from this folder
# (e.g. `assurance findings list`, `assurance notify --status`) and they use this store.
[database]
url = "sqlite:///assurance.db"

[organisations]
# The trusts this deployment holds to account: a missing return is flagged for them even if
# they have never submitted anything. (The register also holds every trust in the Staff
# Survey file, as peers.)
accountable = ["SYN01", "SYN02", "SYN03", "SYN04", "SYN05", "SYN06"]

[reports]
output_dir = "reports"
committee = "People Committee (demo)"

# No chat workspace in the demo: every channel is a console channel writing JSON lines.
{channels}
# `assurance run` in this folder runs these every minute, so you can watch jobs fire: drop a
# metrics CSV into inbox/ and it is imported (or moved to inbox/rejected/ with the reason),
# evaluated, and any new escalations delivered. `assurance status` shows each job's last run.
[schedule.jobs.inbox]
type = "import"
cron = "*/1 * * * *"
folder = "inbox"

[schedule.jobs.evaluate]
type = "evaluate"
cron = "*/1 * * * *"

[schedule.jobs.notify]
type = "notify"
cron = "*/1 * * * *"

[[subscriptions]]
name = "race-equality-network"
channel = "race-network"
audience = "network"
match = {{characteristic = ["race"]}}

[[subscriptions]]
name = "disability-network"
channel = "disability-network"
audience = "network"
match = {{characteristic = ["disability"]}}

[[subscriptions]]
name = "executive-leads"
channel = "executive"
audience = "executive"
min_level = "executive_lead"

[[subscriptions]]
name = "board-assurance-committee"
channel = "board"
audience = "board"
min_level = "board_committee"
"""
DEMO_CHANNELS = ("race-network", "disability-network", "executive", "board", "operations")


def demo_settings(workdir: Path) -> Settings:
    """Write the demo's config.toml into ``workdir`` and load it (one source of truth)."""
    channels = "".join(
        f'[channels.{name}]\ntype = "console"\npath = "{workdir.resolve() / f"notifications-{name}.jsonl"}"\n'
        f"rate_per_second = 1000\n" + ("fallback = true\n" if name == "operations" else "")
        + "\n" for name in DEMO_CHANNELS)
    path = workdir / "config.toml"
    path.write_text(DEMO_CONFIG.format(channels=channels), encoding="utf-8")
    (workdir / "inbox").mkdir(exist_ok=True)
    return load_settings(path)


def run_demo(workdir: Path, *, at: datetime, nss_file: Path | None = None,
             progress: Callable[[str], None] = lambda _: None) -> DemoResult:
    """Create a demo store from scratch and run the main job on it, offline."""
    from assurance.synthetic import write_demo_set

    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    settings = demo_settings(workdir)
    engine = connect(settings)
    result = DemoResult(workdir=workdir, database_url=settings.database_url)
    progress("writing the synthetic demo set")
    orgs, metrics = write_demo_set(workdir / "data")
    files: list[tuple[Path, str]] = [(orgs, "organisations_csv"), (metrics, "metrics_csv")]
    nss = nss_file or find_real_nss(Path.cwd().resolve()) or find_real_nss(
        Path(__file__).resolve().parent)
    if nss is not None:
        files.append((nss, "nss_xlsx"))
    else:
        result.notes.append(f"real Staff Survey file {REAL_NSS_NAME} not found beside the "
                            "project; skipped (pass --nss FILE)")
    for path, source in files:
        progress(f"importing {path.name}")
        result.imports.append(import_file(engine, settings, path, actor="demo", at=at,
                                          source=source))
    result.counts = store_counts(engine)
    packs = load_rules(settings)
    # Replay the years so findings build a real history (continuing, escalated, resolved).
    for year in range(DEMO_FIRST_YEAR, DEMO_AS_OF.year + 1):
        as_of = date(year, DEMO_AS_OF.month, DEMO_AS_OF.day)
        progress(f"evaluating {sum(len(p.rules) for p in packs)} rules as of {as_of}")
        result.evaluation = evaluate_and_record(engine, settings, as_of=as_of, at=at,
                                                actor="demo", packs=packs)
        result.history.extend(t for t in result.evaluation.transitions
                              if t.finding.org_code.startswith("SYN")
                              and t.event.kind in ("opened", "resolved", "reopened"))
    result.findings = open_findings(engine, synthetic_only=True)
    progress("delivering notifications to the demo's console channels")
    result.delivery = notify(engine, settings, {})
    synthetic = sorted({f.org_code for f in result.findings} | {
        r for r in _synthetic_codes(engine)})
    for code in synthetic:
        progress(f"writing the board report, well-led evidence and evidence pack for {code}")
        for name in ("board", "well-led", "pack"):
            result.outputs[f"{code} {name}"] = render(engine, settings, name, org_code=code,
                                                      as_of=DEMO_AS_OF, actor="demo", at=at)
    engine.dispose()
    return result


def _synthetic_codes(engine: Engine) -> list[str]:
    from sqlmodel import col

    from assurance.models import Organisation

    with session(engine) as s:
        return list(s.exec(select(Organisation.code).where(col(Organisation.synthetic).is_(True))))


def open_findings(engine: Engine, *, synthetic_only: bool = False,
                  org: str | None = None) -> list[Finding]:
    """Open findings, most severe and highest level first."""
    from sqlmodel import col

    from assurance.models import Organisation

    with session(engine) as s:
        q = select(Finding).where(col(Finding.open).is_(True))
        if synthetic_only:
            q = q.join(Organisation).where(col(Organisation.synthetic).is_(True))
        if org:
            q = q.where(Finding.org_code == org)
        rows = list(s.exec(q).all())
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    return sorted(rows, key=lambda f: (f.org_code, order.get(f.severity, 9), f.rule_id))


def check_channels(settings: Settings, env: Mapping[str, str]) -> list[Problem]:
    """Check every configured channel offline (types, options, secrets present)."""
    from connectors.channels import REGISTRY

    problems = []
    where = str(settings.source or "<config>")
    for name, options in settings.channels.items():
        kind = str(options.get("type"))
        if kind not in REGISTRY:
            problems.append(Problem(where, f"channels.{name}.type: unknown channel type "
                                    f"{kind!r}{did_you_mean(kind, REGISTRY)}; expected one of "
                                    + ", ".join(REGISTRY)))
            continue
        problems.extend(Problem(where, msg) for msg in REGISTRY[kind].validate(
            name, outbox.transport_options(options), env))
    return problems + outbox.check_outbox_options(settings) + routing.check_subscriptions(settings)


# ----------------------------------------------------------------------------- rules

def shipped_rules_dir() -> Path:
    import rules

    return Path(rules.__file__).resolve().parent


def rule_paths(settings: Settings, paths: Sequence[Path] | None = None) -> list[Path]:
    """Explicit paths, else the shipped packs plus any configured in ``rules.paths``."""
    if paths:
        return list(paths)
    return [shipped_rules_dir(), *settings.rule_paths]


def load_rules(settings: Settings, paths: Sequence[Path] | None = None) -> list[RulePack]:
    """Load rule packs, all or nothing (ProblemsError lists every problem)."""
    return load_packs(rule_paths(settings, paths), stats=settings.statistics,
                      levels=settings.escalation_levels, statements=load_statements())


@dataclass
class RuleTestReport:
    results: list[CaseResult]
    problems: list[Problem]
    uncovered: list[str]  # "rule: missing breach/ok case"

    @property
    def ok(self) -> bool:
        return not self.problems and not self.uncovered and all(r.passed for r in self.results)


def test_rules(settings: Settings, paths: Sequence[Path] | None = None) -> RuleTestReport:
    """Run every ``*.cases.yaml`` beside the packs; check each rule has breach and ok cases."""
    packs = load_rules(settings, paths)
    problems: list[Problem] = []
    results: list[CaseResult] = []
    for pack in packs:
        case_file = pack.path.with_name(pack.path.stem + ".cases.yaml")
        if not case_file.is_file():
            problems.append(Problem(str(pack.path), f"no test cases: expected {case_file.name} "
                                    "beside the pack"))
            continue
        results.extend(run_case_file(case_file, [pack], problems, settings.statistics))
    uncovered = []
    for pack in packs:
        for rule in pack.rules:
            seen = {st for r in results if r.rule == rule.id for st in r.expected.values()}
            for need in ("breach", "ok"):
                if need not in seen:
                    uncovered.append(f"{rule.source}: rule {rule.id} has no case expecting "
                                     f"'{need}'")
    return RuleTestReport(results, problems, uncovered)


@dataclass
class EvaluationResult:
    as_of: date
    outcomes: list[Outcome]
    transitions: list[Transition]


def check_accountable(s: Session, settings: Settings) -> None:
    """Every ``organisations.accountable`` code must be in the register (findings name a
    registered organisation); raise ProblemsError naming the unknown ones."""
    from sqlmodel import col

    from assurance.models import Organisation

    if not settings.accountable:
        return
    known = set(s.exec(select(Organisation.code).where(
        col(Organisation.code).in_(settings.accountable))).all())
    unknown = [c for c in settings.accountable if c not in known]
    if unknown:
        raise ProblemsError([Problem(str(settings.source or "<config>"),
                                     "organisations.accountable: not in the organisation "
                                     f"register: {', '.join(unknown)}; register them first "
                                     "(organisations.file, or assurance import a file with "
                                     "code,name columns)")])


def evaluate_and_record(engine: Engine, settings: Settings, *, as_of: date, at: datetime,
                        actor: str, orgs: Iterable[str] | None = None,
                        packs: Sequence[RulePack] | None = None) -> EvaluationResult:
    """Evaluate the packs and apply the outcomes to findings in one transaction."""
    packs = list(packs) if packs is not None else load_rules(settings)
    with session(engine, write=True) as s, s.begin():
        check_accountable(s, settings)
        outcomes = evaluate(s, packs, as_of, settings.statistics, orgs=orgs,
                            accountable=settings.accountable)
        transitions = apply_outcomes(s, outcomes, settings.escalation_levels, as_of=as_of,
                                     at=at, actor=actor)
        queued = outbox.enqueue(s, transitions, settings, at=at,
                                rules_by_id={r.id: r for p in packs for r in p.rules})
        counts: dict[str, int] = {}
        for o in outcomes:
            counts[o.status] = counts.get(o.status, 0) + 1
        audit.append(s, at=at, actor=actor, action="evaluate", subject=f"as_of:{as_of}",
                     details={"rules": sum(len(p.rules) for p in packs), "outcomes": counts,
                              "transitions": len(transitions), "notifications": queued})
    return EvaluationResult(as_of, outcomes, transitions)


@dataclass(frozen=True)
class BacktestEvent:
    as_of: date
    rule_id: str
    org_code: str
    kind: str  # opened | resolved | escalated
    summary: str


def backtest(engine: Engine, settings: Settings, *, start: date, end: date, step_months: int = 12,
             orgs: Iterable[str] | None = None,
             packs: Sequence[RulePack] | None = None) -> list[BacktestEvent]:
    """Replay the packs over stored history in a scratch copy of the findings (nothing kept).

    Evaluates at each ``as_of`` from ``start`` to ``end`` and reports when findings would
    have opened, escalated and resolved.
    """
    from sqlmodel import SQLModel, create_engine

    packs = list(packs) if packs is not None else load_rules(settings)
    scratch = create_engine("sqlite://")
    SQLModel.metadata.create_all(scratch)
    events: list[BacktestEvent] = []
    with session(engine) as s, session(scratch) as sc:
        from assurance.models import AuditHead, Organisation

        check_accountable(s, settings)
        sc.add(AuditHead(id=1))
        for o in s.exec(select(Organisation)).all():
            sc.merge(o)
        sc.commit()
        d = start
        while d <= end:
            outcomes = evaluate(s, packs, d, settings.statistics, orgs=orgs,
                                accountable=settings.accountable)
            for t in apply_outcomes(sc, outcomes, settings.escalation_levels, as_of=d,
                                    at=datetime.combine(d, datetime.min.time(), tzinfo=UTC),
                                    actor="backtest"):
                if t.event.kind in ("opened", "reopened", "escalated", "resolved"):
                    events.append(BacktestEvent(d, t.finding.rule_id, t.finding.org_code,
                                                t.event.kind, t.event.summary))
            sc.commit()
            month = d.month - 1 + step_months
            d = date(d.year + month // 12, month % 12 + 1, min(d.day, 28))
    return events


def alert_operators(engine: Engine, settings: Settings, *, title: str, text: str,
                    at: datetime) -> bool:
    """Tell the operators (the channel marked ``fallback = true``) about a job error or a
    missed run, directly rather than through the outbox, so an alert still goes out when
    the outbox itself is the problem. Returns whether a channel took it."""
    import hashlib
    import os

    from assurance.channels import ChannelError, OutboundMessage
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
            build_channel(name, settings.channels[name], os.environ).send(msg, None)
            sent = True
        except (ChannelError, ValueError):
            continue
    return sent


def service_status(engine: Engine, settings: Settings) -> dict[str, Any]:
    """What ``assurance status`` shows: jobs, findings by level, store, audit head."""
    from sqlalchemy import func, inspect, text
    from sqlmodel import col

    from assurance.models import AuditEvent

    jobs = []
    next_runs: dict[str, float] = {}
    if inspect(engine).has_table("apscheduler_jobs"):
        with engine.connect() as conn:
            next_runs = {r[0]: r[1] for r in conn.execute(
                text("SELECT id, next_run_time FROM apscheduler_jobs"))}
    with session(engine) as s:
        for job in scheduled_jobs(settings):
            last = s.exec(select(AuditEvent).where(
                AuditEvent.action == "job.run",
                col(AuditEvent.subject).startswith(f"job:{job.name}@"))
                .order_by(col(AuditEvent.seq).desc())).first()
            details = json.loads(last.details) if last else {}
            nxt = next_runs.get(job.name)
            jobs.append({"name": job.name, "type": job.type, "cron": job.cron,
                         "next_run": datetime.fromtimestamp(nxt, UTC) if nxt else None,
                         "last_run": last.at if last else None,
                         "last_outcome": details.get("outcome"),
                         "last_summary": details.get("summary")})
        by_level = dict(s.exec(select(Finding.level, func.count()).where(
            col(Finding.open).is_(True)).group_by(Finding.level)).all())
    report = verify_audit(engine)
    return {"jobs": jobs, "open_findings_by_level": by_level, "store": store_counts(engine),
            "notifications": outbox.status_report(engine, limit=0).counts,
            "audit_ok": report.ok, "audit_events": report.events, "audit_head": report.head}


# ----------------------------------------------------------------------------- reports

def render(engine: Engine, settings: Settings, name: str, *, org_code: str, as_of: date,
           actor: str, at: datetime, out_path: Path | None = None) -> Path:
    """Write one document (``board``, ``well-led``) or evidence pack (``pack``)."""
    from reports import RENDERERS, output_path

    if name not in RENDERERS:
        raise ProblemsError([Problem(name, f"unknown report {name!r}; expected one of "
                                     + ", ".join(RENDERERS))])
    path = out_path or output_path(settings, name, org_code, as_of)
    path.parent.mkdir(parents=True, exist_ok=True)
    return RENDERERS[name].render(engine, settings, org_code=org_code, as_of=as_of,
                                  out_path=path, actor=actor, at=at)


def board_paper_problems(subscriptions: Iterable[routing.Subscription], settings: Settings,
                         channels: Iterable[str]) -> list[str]:
    """Channels that must not receive board papers: a board report carries exact counts, so
    a channel that any subscription with a small-number-suppressed audience (a staff
    network, the public) uses is refused."""
    out = []
    for name in channels:
        for sub in subscriptions:
            audience = settings.audiences.get(sub.audience)
            if sub.channel == name and not (audience is not None and audience.exact_counts):
                out.append(f"channel {name!r} also receives the {sub.audience!r} audience's "
                           f"messages (subscription {sub.name!r}), whose small numbers are "
                           "suppressed; board reports carry exact counts — send them to a "
                           "channel only board members read")
                break
    return out


def distribute(engine: Engine, settings: Settings, path: Path, *, channels: Sequence[str],
               org_code: str, committee: date, actor: str, at: datetime) -> int:
    """Queue a built board report for each channel with the file attached (the outbox sends
    it; each committee's report goes to each channel once). Returns how many messages were
    queued. Raises ProblemsError if a channel also serves a suppressed audience."""
    from assurance.models import Organisation

    if not channels:
        return 0
    headline = (f"The board assurance report for the {settings.reports.committee} on "
                f"{committee.day} {committee:%B %Y} is attached.")
    with session(engine, write=True) as s, s.begin():
        refused = board_paper_problems(routing.list_subscriptions(s, settings), settings,
                                       channels)
        if refused:
            raise ProblemsError([Problem(str(settings.source or "<config>"), p)
                                 for p in refused])
        org = s.get(Organisation, org_code)
        document = f"board|{org_code}|{committee.isoformat()}"
        queued = [c for c in channels if outbox.enqueue_document(
            s, document=document, channel=c, sender=actor, path=path, organisation=org,
            org_code=org_code,
            title="Board assurance report", period=f"committee {committee.isoformat()}",
            headline=headline, at=at)]
        if queued:
            audit.append(s, at=at, actor=actor, action="report.queued",
                         subject=f"report:{path.name}", details={"channels": queued})
    return len(queued)


def verify_pack(path: Path, engine: Engine | None = None) -> list[str]:
    """Every changed, missing or extra file in an evidence pack (empty: it verifies)."""
    from reports import verify_pack as verify

    if not path.is_file():
        raise ProblemsError([Problem(str(path), "file not found")])
    return verify(path, engine=engine)


# ----------------------------------------------------------------------------- escalations

def build_channels(settings: Settings, env: Mapping[str, str]) -> dict[str, Channel]:
    """Every configured channel, built (secrets from ``env``), plus the fallback console."""
    from connectors.channels import ChannelConfigError, build_channel
    from connectors.channels.console import ConsoleChannel

    where = str(settings.source or "<config>")
    built: dict[str, Channel] = {}
    problems: list[Problem] = []
    for name, options in settings.channels.items():
        try:
            built[name] = build_channel(name, outbox.transport_options(options), env)
        except ChannelConfigError as exc:
            problems += [Problem(where, p) for p in exc.problems]
    if problems:
        raise ProblemsError(problems)
    fallback = outbox.fallback_channel(settings)
    built.setdefault(fallback, ConsoleChannel(fallback))
    return built


def notify(engine: Engine, settings: Settings, env: Mapping[str, str], *,
           now: Callable[[], datetime] = lambda: datetime.now(UTC),
           sleep: Callable[[float], None] = time.sleep,
           wait_for_retries: float = 0.0) -> outbox.DeliveryReport:
    """Deliver pending notifications, paced per channel, with retries and dead letters."""
    return outbox.deliver(engine, settings, build_channels(settings, env), now=now, sleep=sleep,
                          per_channel_rate=outbox.channel_rates(settings),
                          wait_for_retries=wait_for_retries)


def escalate(engine: Engine, settings: Settings, *, as_of: date, at: datetime, actor: str,
             packs: Sequence[RulePack] | None = None) -> int:
    """Raise open findings left unacknowledged past their rule's working days; notify."""
    from assurance.escalation import escalate_unacknowledged

    packs = list(packs) if packs is not None else load_rules(settings)
    rules = {r.id: r for p in packs for r in p.rules}
    with session(engine, write=True) as s, s.begin():
        ts = escalate_unacknowledged(s, settings, as_of, at, rules, actor=actor)
        outbox.enqueue(s, ts, settings, at=at, rules_by_id=rules)
    return len(ts)
