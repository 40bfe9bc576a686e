"""The demo: a store built from scratch, offline, that shows the whole product working.

:func:`run_demo` writes the demo's ``config.toml`` (console channels, scheduled jobs,
subscriptions), the synthetic demo set and, when it is beside the project, the real NHS
Staff Survey 2024 file; imports them through the same importers a trust would use; replays
the rule packs year by year so findings build a history; delivers the escalations; and
writes each synthetic trust's board report, well-led evidence and evidence pack. It drives
the product through :mod:`assurance.api`, as any other caller does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from assurance.config import Settings, load_settings
from assurance.db import session
from assurance.findings import Transition
from assurance.ingest import ImportResult, store_counts
from assurance.models import Finding, Organisation

if TYPE_CHECKING:
    from assurance.engine.rules import RulePack
    from assurance.evaluation import EvaluationResult
    from assurance.outbox import DeliveryReport

REAL_NSS_NAME = "nss2024_detailed_organisational_results.xlsx"
DEMO_AS_OF = date(2025, 6, 1)  # fixed, so the demo's output is the same every run
DEMO_FIRST_YEAR = 2021


@dataclass
class DemoResult:
    """What the demo did and where it put everything (``assurance demo`` prints it)."""

    workdir: Path
    database_url: str
    imports: list[ImportResult] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    evaluation: EvaluationResult | None = None
    findings: list[Finding] = field(default_factory=list)
    history: list[Transition] = field(default_factory=list)
    delivery: DeliveryReport | None = None


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

{networks}
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
# The staff networks' subscriptions: (name, channel, the characteristic it follows).
DEMO_NETWORKS = (("race-equality-network", "race-network", "race"),
                 ("disability-network", "disability-network", "disability"))


def demo_settings(workdir: Path) -> Settings:
    """Write the demo's config.toml into ``workdir`` and load it (one source of truth)."""
    channels = "".join(
        f'[channels.{name}]\ntype = "console"\npath = "{workdir.resolve() / f"notifications-{name}.jsonl"}"\n'
        f"rate_per_second = 1000\n" + ("fallback = true\n" if name == "operations" else "")
        + "\n" for name in DEMO_CHANNELS)
    networks = "\n".join(
        f'[[subscriptions]]\nname = "{name}"\nchannel = "{channel}"\naudience = "network"\n'
        f'match = {{characteristic = ["{characteristic}"]}}\n'
        'mode = "daily"                          # one digest a day for the network\n'
        for name, channel, characteristic in DEMO_NETWORKS)
    path = workdir / "config.toml"
    path.write_text(DEMO_CONFIG.format(channels=channels, networks=networks), encoding="utf-8")
    (workdir / "inbox").mkdir(exist_ok=True)
    return load_settings(path)


# Attestations the demo records (EDI Improvement Plan, rules/hia.yaml), so the HIA document
# shows each state: current (SYN01), about to lapse within the rule's warning (SYN02: its
# finding opens on 1 June 2025, before the attestation lapses on 30 June), expired (SYN03)
# and every statement attested (SYN06).
# Each attestation holds from its date, so the year-by-year replay sees them appear.
DEMO_ATTESTATIONS: tuple[tuple[str, str, str, date, date], ...] = (
    ("SYN01", "hia.1.board-objectives", "Chair", date(2025, 4, 1), date(2026, 3, 31)),
    ("SYN01", "hia.1.plan-published", "Chief Executive", date(2024, 9, 30), date(2025, 9, 29)),
    ("SYN01", "hia.6.reduction-targets", "Chief People Officer", date(2024, 3, 28),
     date(2026, 3, 27)),
    ("SYN02", "hia.1.board-objectives", "Chair", date(2024, 7, 1), date(2025, 6, 30)),
    ("SYN03", "hia.3.pay-gap-plans", "Director of Workforce", date(2023, 3, 30),
     date(2024, 3, 29)),
    # Lakeside, the good-news case, attests every statement on time (before 31 March 2024).
    *(("SYN06", statement, role, date(2024, 3, 28), date(2026, 3, 27)) for statement, role in (
        ("hia.1.board-objectives", "Chair"), ("hia.1.baf-tracking", "Company Secretary"),
        ("hia.1.plan-published", "Chief Executive"),
        ("hia.2.recruitment-overhaul", "Chief People Officer"),
        ("hia.3.pay-gap-plans", "Director of Workforce"),
        ("hia.4.wellbeing-plan", "Director of Workforce"),
        ("hia.5.international-induction", "Chief Nursing Officer"),
        ("hia.6.reduction-targets", "Chief People Officer"),
        ("hia.6.policy-reviewed", "Chief People Officer"))),
)


def record_demo_attestations(engine: Engine, packs: Sequence[RulePack], workdir: Path,
                             at: datetime) -> None:
    """Record :data:`DEMO_ATTESTATIONS`, each with a small synthetic evidence file whose
    SHA-256 enters the audit chain (the file stays in the demo folder, not the store)."""
    from assurance import attestations

    statements = attestations.required_statements(packs)
    folder = workdir / "data" / "evidence"
    folder.mkdir(parents=True, exist_ok=True)
    with session(engine, write=True) as s, s.begin():
        for org, statement, role, on, until in DEMO_ATTESTATIONS:
            evidence = folder / f"{org}-{statement}.txt"
            evidence.write_text(f"SYNTHETIC demo evidence: {org} attests {statement} "
                                f"(board paper of {on}).\n", encoding="utf-8")
            attestations.add(s, org=org, statement=statement, attested_by=role,
                             attested_on=on, valid_until=until, today=DEMO_AS_OF,
                             actor="demo", at=at, evidence=evidence, statements=statements)


# The demo trusts' divisions (the division register), each with its accountable role. Career-
# stage extracts are written for these divisions; Northmoor's (SYN01) Surgery division is where
# its recruitment gap opens (at shortlisting), and its intervention there is evaluated.
DEMO_DIVISIONS: tuple[tuple[str, str], ...] = (
    ("Medicine", "Divisional Director, Medicine"),
    ("Surgery", "Divisional Director, Surgery"),
    ("Women and Children", "Divisional Director, Women and Children"),
    ("Clinical Support", "Divisional Director, Clinical Support"),
)
DEMO_DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    ("Surgery", "Theatres", "General Manager, Theatres"),
    ("Surgery", "Trauma and Orthopaedics", "Clinical Director, Trauma and Orthopaedics"),
    ("Medicine", "Emergency Department", "Clinical Director, Emergency Medicine"),
)
DEMO_CAREER_YEARS = (2022, 2023, 2024, 2025)
DEMO_PAY_HEADCOUNTS = {"Medicine": 420, "Surgery": 310, "Women and Children": 260,
                       "Clinical Support": 180}
CAREER_SOURCES = ("recruitment_csv", "cases_csv", "development_csv", "appraisal_csv")


def record_demo_divisions(engine: Engine, orgs: Sequence[str], at: datetime) -> None:
    """The division register for the demo trusts (:data:`DEMO_DIVISIONS`, audited)."""
    from assurance.divisions import DivisionRow, division_code, replace_register

    rows = [DivisionRow(org, name, "division", None, owner, 0) for org in orgs
            for name, owner in DEMO_DIVISIONS]
    rows += [DivisionRow(org, name, "department", division_code(parent), owner, 0)
             for org in orgs for parent, name, owner in DEMO_DEPARTMENTS]
    with session(engine, write=True) as s, s.begin():
        replace_register(s, rows, where="demo division register", sha256="", actor="demo",
                         at=at)


def record_demo_intervention(engine: Engine, at: datetime) -> None:
    """Northmoor's action on its failing division, evaluated in its board report."""
    from assurance import interventions

    with session(engine, write=True) as s, s.begin():
        interventions.add(s, org="SYN01", title="Anonymised shortlisting and a second "
                          "shortlister for every post in Surgery",
                          metric="career.shortlisting.race", division="surgery",
                          start=date(2024, 4, 1), owner="Divisional Director, Surgery",
                          actor="demo", at=at)


def run_demo(workdir: Path, *, at: datetime, nss_file: Path | None = None,
             progress: Callable[[str], None] = lambda _: None) -> DemoResult:
    """Create a demo store from scratch and run the main job on it, offline.

    Args:
        workdir: the demo's folder; removed and recreated.
        at: when the demo runs (provenance and audit times).
        nss_file: the Staff Survey 2024 file; default: found beside the project, or skipped.
        progress: told each step as it starts.
    """
    import shutil

    # The facade re-exports this module, so it is imported when the demo runs, not before.
    from assurance import api
    from assurance.synthetic import write_demo_set
    from assurance.synthetic_career import write_career_extracts
    from assurance.synthetic_pay import write_pay_extract

    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    settings = demo_settings(workdir)
    engine = api.connect(settings)
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
    # Career-stage extracts (person-level, synthetic) for the accountable trusts, by division.
    accountable = list(settings.accountable)
    career = write_career_extracts(workdir / "data", accountable, DEMO_CAREER_YEARS, seed=14,
                                   divisions=[name for name, _ in DEMO_DIVISIONS])
    files += list(zip(career, CAREER_SOURCES, strict=True))
    # A person-level pay extract (gender, ethnicity and disability pay gaps by division).
    pay = write_pay_extract(workdir / "data" / "pay-extract.csv", accountable, seed=14,
                            divisions=DEMO_PAY_HEADCOUNTS)
    files.append((pay, "pay_csv"))
    for path, source in files:
        progress(f"importing {path.name}")
        result.imports.append(api.import_file(engine, settings, path, actor="demo", at=at,
                                              source=source))
    result.counts = store_counts(engine)
    packs = api.load_rules(settings)
    progress("recording the division register, attestations and interventions")
    record_demo_divisions(engine, accountable, at)
    record_demo_attestations(engine, packs, workdir, at)
    record_demo_intervention(engine, at)
    # Replay the years so findings build a real history (continuing, escalated, resolved).
    for year in range(DEMO_FIRST_YEAR, DEMO_AS_OF.year + 1):
        as_of = date(year, DEMO_AS_OF.month, DEMO_AS_OF.day)
        progress(f"evaluating {sum(len(p.rules) for p in packs)} rules as of {as_of}")
        result.evaluation = api.evaluate_and_record(engine, settings, as_of=as_of, at=at,
                                                    actor="demo", packs=packs)
        result.history.extend(t for t in result.evaluation.transitions
                              if t.finding.org_code.startswith("SYN")
                              and t.event.kind in ("opened", "resolved", "reopened"))
    result.findings = api.open_findings(engine, synthetic_only=True)
    progress("delivering notifications to the demo's console channels")
    # The networks take a daily digest; the demo sends it now rather than at 08:00.
    result.delivery = api.notify(engine, settings, {}, digests_now=True)
    synthetic = sorted({f.org_code for f in result.findings} | set(_synthetic_codes(engine)))
    for code in synthetic:
        progress(f"writing the board report, well-led evidence and evidence pack for {code}")
        for name in ("board", "well-led", "hia", "pack"):
            result.outputs[f"{code} {name}"] = api.render(
                engine, settings, name, org_code=code, as_of=DEMO_AS_OF, actor="demo", at=at)
    engine.dispose()
    return result


def _synthetic_codes(engine: Engine) -> list[str]:
    with session(engine) as s:
        return list(s.exec(select(Organisation.code).where(col(Organisation.synthetic).is_(True))))
