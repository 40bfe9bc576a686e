"""Loading files into the store: the ``Source`` protocol and the one import routine.

A source (``connectors/*.py``) only *parses*: it turns a file into a :class:`Parsed` batch
and a list of problems located by file, row and column. :func:`run_import` does the rest for
every source alike:

* **idempotent** — a file whose SHA-256 was already imported by the same source stores
  nothing new;
* **atomic** — any problem means nothing from the file is written (one transaction);
* **supersedes with history** — for each ``org|period|metric`` scope the file covers, the
  previous current figures are marked superseded by this import, never deleted;
* **provenance** — an ``import_batch`` row (source, file name, SHA-256, rows, importer
  version, time, who) and an audit event, committed with the data.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import func, insert, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from assurance import audit
from assurance.catalogue import Catalogue, load_catalogue
from assurance.db import session as open_session
from assurance.models import Import, Observation, Organisation, Period, SurveyQuestion
from assurance.periods import parse_period_key
from assurance.problems import Problem, ProblemsError
from assurance.safeinput import cap_problems, require_file

COUNT_KINDS = {"share", "relative_likelihood", "representation_gap", "monthly_rate", "count"}
PERCENT_KINDS = {"group_percent", "percent", "survey_response"}


@dataclass(frozen=True)
class ObservationRow:
    """One figure parsed from a file, with where it came from (for error messages)."""

    org_code: str
    period_key: str
    metric: str
    group: str = "all"
    breakdown: str = ""
    value: float | None = None
    numerator: int | None = None
    denominator: int | None = None
    suppressed: bool = False
    note: str | None = None
    line: int | None = None


@dataclass
class Parsed:
    """What a source read from one file."""

    rows_read: int = 0
    observations: list[ObservationRow] = field(default_factory=list)
    organisations: list[Organisation] = field(default_factory=list)
    questions: list[SurveyQuestion] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    note: str | None = None


@dataclass(frozen=True)
class ParseContext:
    """What a source may consult while parsing (never the database session itself)."""

    catalogue: Catalogue
    known_orgs: frozenset[str]
    ethnicity_map: Mapping[str, str] = field(default_factory=dict)


class Source(Protocol):
    """A file format the product can import. Implementations live in ``connectors/``."""

    name: str
    version: str
    description: str

    def parse(self, path: Path, ctx: ParseContext) -> Parsed:
        """Read ``path``; put every problem in ``Parsed.problems`` rather than raising."""
        ...


@dataclass(frozen=True)
class ImportResult:
    import_id: int
    status: str  # "imported" | "unchanged"
    source: str
    filename: str
    sha256: str
    rows_read: int
    observations: int
    superseded: int
    organisations: int
    message: str


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_figure(row: ObservationRow, kind: str, where: str) -> list[Problem]:
    """Checks shared by every source: counts non-negative, numerator ≤ denominator, ranges."""
    out: list[Problem] = []

    def bad(column: str, msg: str) -> None:
        out.append(Problem(where, msg, row.line, column))

    for column, v in (("numerator", row.numerator), ("denominator", row.denominator)):
        if v is not None and v < 0:
            bad(column, f"negative count {v}; expected a whole number of people, 0 or more")
    if (row.numerator is not None and row.denominator is not None
            and row.numerator > row.denominator >= 0):
        bad("numerator", f"numerator {row.numerator} is larger than denominator "
            f"{row.denominator}; a group cannot have more events than people")
    if row.suppressed:
        return out
    if kind in COUNT_KINDS and (row.numerator is None or row.denominator is None):
        bad("numerator", f"metric {row.metric} is built from counts; expected numerator and "
            "denominator")
    if row.value is not None and (math.isnan(row.value) or math.isinf(row.value)):
        bad("value", f"value {row.value} is not a number")
    elif kind in PERCENT_KINDS and row.value is None and row.numerator is None:
        bad("value", f"metric {row.metric} is a percentage; expected value (0-100)")
    elif kind in PERCENT_KINDS and row.value is not None and not 0 <= row.value <= 100:
        bad("value", f"percentage {row.value} outside 0-100")
    return out


PARTITION_KINDS = {"share", "representation_gap"}


def check_partitions(rows: Iterable[ObservationRow], cat: Catalogue, where: str
                     ) -> list[Problem]:
    """Shares split one total: every group's row in a band must carry the same denominator
    (the band's head count), and the groups' numerators cannot add up to more than it — or to
    anything but it when every group (including unknown) is given."""
    bands: dict[tuple[str, str, str, str], list[ObservationRow]] = {}
    for r in rows:
        m = cat.metrics.get(r.metric)
        if m is not None and m.kind in PARTITION_KINDS and not r.suppressed:
            bands.setdefault((r.org_code, r.period_key, r.metric, r.breakdown), []).append(r)
    out: list[Problem] = []
    for (org, period, metric, breakdown), group_rows in bands.items():
        dens = {r.denominator for r in group_rows}
        lines = ", ".join(str(r.line) for r in group_rows if r.line is not None)
        what = f"{metric} {breakdown or 'overall'} for {org} {period}"
        if len(dens) > 1:
            out.append(Problem(where, f"{what}: groups give different totals "
                               f"{sorted(d for d in dens if d is not None)} (rows {lines}); "
                               "every group's denominator is the same head count",
                               group_rows[0].line, "denominator"))
            continue
        total = next(iter(dens))
        numerators = sum(r.numerator or 0 for r in group_rows)
        characteristic = cat.metrics[metric].characteristic
        every = set(cat.characteristics.get(characteristic or "", {}).get("groups", {}))
        given = {r.group for r in group_rows}
        if total is not None and numerators > total:
            out.append(Problem(where, f"{what}: groups add up to {numerators}, more than the "
                               f"total {total} (rows {lines})", group_rows[0].line, "numerator"))
        elif total is not None and every and given >= every and numerators != total:
            out.append(Problem(where, f"{what}: every group is given but they add up to "
                               f"{numerators}, not the total {total} (rows {lines})",
                               group_rows[0].line, "numerator"))
    return out


def _period_rows(keys: Iterable[str]) -> list[Period]:
    out = []
    for key in sorted(set(keys)):
        p = parse_period_key(key)
        assert p is not None
        out.append(Period(key=p.key, kind=p.kind, label=p.label, start=p.start, end=p.end))
    return out


def run_import(
    engine: Engine,
    source: Source,
    path: Path,
    *,
    actor: str,
    at: datetime,
    ethnicity_map: Mapping[str, str] | None = None,
) -> ImportResult:
    """Import one file atomically and idempotently; raise ProblemsError on any bad input.

    Args:
        engine: the store.
        source: the parser for this file's format.
        path: the file.
        actor: who is importing (recorded in provenance and the audit log).
        at: when (passed in so provenance and tests are reproducible).
        ethnicity_map: extra ethnic-category code → group mappings from config.
    """
    where = str(path)
    require_file(path)  # regular file within the size limit, checked before any open
    if path.stat().st_size == 0:
        raise ProblemsError([Problem(where, "file is empty; expected " + source.description)])
    sha = file_sha256(path)
    with open_session(engine) as s:
        prior = s.exec(
            select(Import).where(Import.source == source.name, Import.sha256 == sha)
        ).first()
        if prior is not None:
            return ImportResult(
                prior.id or 0, "unchanged", source.name, path.name, sha, prior.rows_read, 0, 0,
                0, f"identical to import #{prior.id} of {prior.imported_at:%Y-%m-%d %H:%M}; "
                "nothing new stored",
            )
        known = frozenset(s.exec(select(Organisation.code)).all())

    cat = load_catalogue()
    parsed = source.parse(path, ParseContext(cat, known, ethnicity_map or {}))
    problems = list(parsed.problems)
    defined = known | {o.code for o in parsed.organisations}
    seen: dict[tuple[str, str, str, str, str], int | None] = {}
    for row in parsed.observations:
        metric = cat.metrics.get(row.metric)
        if row.org_code not in defined:
            problems.append(Problem(where, f"unknown organisation code {row.org_code!r}; "
                                    "register it first (assurance orgs import)", row.line,
                                    "org_code"))
        if metric is not None:
            problems.extend(check_figure(row, metric.kind, where))
        key = (row.org_code, row.period_key, row.metric, row.group, row.breakdown)
        if key in seen:
            problems.append(Problem(where, f"duplicate figure for {'/'.join(key)} "
                                    f"(first on row {seen[key]})", row.line))
        else:
            seen[key] = row.line
    problems.extend(check_partitions(parsed.observations, cat, where))
    if problems:
        raise ProblemsError(cap_problems(sorted(problems, key=lambda p: (p.where, p.line or 0)),
                                         where))
    if not parsed.observations and not parsed.organisations:
        raise ProblemsError([Problem(where, "no data rows found; expected "
                                     + source.description)])

    with open_session(engine, write=True) as s, s.begin():
        for org in parsed.organisations:
            _register(s, org)
        existing_periods = set(s.exec(select(Period.key)).all())
        for p in _period_rows({r.period_key for r in parsed.observations} - existing_periods):
            s.add(p)
        for q in parsed.questions:
            old = s.exec(select(SurveyQuestion).where(SurveyQuestion.survey_year == q.survey_year,
                                                      SurveyQuestion.code == q.code)).first()
            if old is None:
                s.add(q)
            else:
                old.text, old.sheet, old.responses = q.text, q.sheet, q.responses
        batch = Import(source=source.name, filename=path.name, sha256=sha,
                       rows_read=parsed.rows_read, observations=len(parsed.observations),
                       importer_version=source.version, imported_at=at,
                       imported_by=actor, note=parsed.note)
        s.add(batch)
        s.flush()
        assert batch.id is not None
        if parsed.observations:
            s.execute(insert(Observation), [
                {"import_id": batch.id, "org_code": r.org_code, "period_key": r.period_key,
                 "metric": r.metric, "group": r.group, "breakdown": r.breakdown,
                 "value": r.value, "numerator": r.numerator, "denominator": r.denominator,
                 "suppressed": r.suppressed, "note": r.note,
                 "scope": f"{r.org_code}|{r.period_key}|{r.metric}", "current": True,
                 "superseded_by": None}
                for r in parsed.observations
            ])
        superseded = _supersede(s, batch.id)
        batch.superseded_observations = superseded
        audit.append(s, at=at, actor=actor, action="import", subject=f"import:{batch.id}",
                     details={"source": source.name, "file": path.name, "sha256": sha,
                              "rows": parsed.rows_read,
                              "observations": len(parsed.observations),
                              "superseded": superseded,
                              "organisations": len(parsed.organisations)})
        import_id = batch.id
    msg = (f"imported {len(parsed.observations):,} figures from {parsed.rows_read:,} rows"
           + (f", superseding {superseded:,} earlier figures" if superseded else "")
           + (f", {len(parsed.organisations)} organisations" if parsed.organisations else ""))
    return ImportResult(import_id, "imported", source.name, path.name, sha, parsed.rows_read,
                        len(parsed.observations), superseded, len(parsed.organisations), msg)


def _register(s: Session, org: Organisation) -> None:
    """Add an organisation, or fill in what the register does not know yet.

    A file never overwrites what is already registered (a survey file must not blank a
    trust's region or clear the synthetic flag); the organisation register file is the place
    to change a name or type.
    """
    existing = s.get(Organisation, org.code)
    if existing is None:
        s.add(org)
        return
    for field_name in ("org_type", "region", "ics", "benchmark_group"):
        if getattr(existing, field_name) is None and getattr(org, field_name) is not None:
            setattr(existing, field_name, getattr(org, field_name))


def _supersede(s: Session, import_id: int) -> int:
    """Mark earlier current figures in the scopes this import covers as superseded."""
    scopes = (select(Observation.scope).where(Observation.import_id == import_id)
              .distinct().scalar_subquery())
    stmt = (update(Observation)
            .where(col(Observation.current).is_(True),
                   col(Observation.import_id) != import_id,
                   col(Observation.scope).in_(scopes))
            .values(current=False, superseded_by=import_id)
            .execution_options(synchronize_session=False))
    return int(s.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


def store_counts(engine: Engine) -> dict[str, int]:
    """Row counts for the summary: organisations, periods, imports, current figures."""
    with open_session(engine) as s:
        return {
            "organisations": s.scalar(select(func.count()).select_from(Organisation)) or 0,
            "periods": s.scalar(select(func.count()).select_from(Period)) or 0,
            "imports": s.scalar(select(func.count()).select_from(Import)) or 0,
            "observations": s.scalar(select(func.count()).select_from(Observation)
                                     .where(col(Observation.current).is_(True))) or 0,
            "superseded": s.scalar(select(func.count()).select_from(Observation)
                                   .where(col(Observation.current).is_(False))) or 0,
        }

