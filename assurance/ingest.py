"""Loading files into the store: the ``Source`` protocol and the one import routine.

A source (``connectors/*.py``) only *parses*: it turns a file into a :class:`Parsed` batch
and a list of problems located by file, row and column. :func:`run_import` does the rest for
every source alike:

* **idempotent** — a file whose SHA-256 was already imported by the same source stores
  nothing new;
* **atomic** — any problem means nothing from the file is written (one transaction);
* **supersedes with history** — never deleting anything. How depends on what the file says
  it is (:attr:`Parsed.supersede`):

  - ``"scope"`` (returns and metric files): for each ``org|period|metric`` scope the file
    covers, every previous current figure is marked superseded by this import — the groups of
    a band share one total, so a corrected return replaces the whole set;
  - ``"figure"`` (the Staff Survey publication, 167,005 independent cells): a figure
    (``org|period|metric|group|breakdown``) is superseded only when the file's figure differs
    in value, numerator, denominator, suppression or note; an identical figure stays current
    and keeps pointing at the import it first came from. Figures of a covered scope that the
    file no longer holds are superseded in both modes;
* **re-importing an earlier file** (same SHA-256) is *unchanged* only when every figure it
  holds is current; otherwise its figures are made current again (new rows attributed to the
  original import, the displaced ones superseded by it, an ``import_restore`` audit event);
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
from typing import Literal, Protocol

from sqlalchemy import func, insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from assurance import audit
from assurance.catalogue import Catalogue, load_catalogue
from assurance.db import session as open_session
from assurance.models import AuditEvent, AuditHead, Import, Observation, Organisation, Period, SurveyQuestion
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
    #: ``"scope"``: the file replaces every figure of each org|period|metric it covers;
    #: ``"figure"``: only figures that differ are superseded (see the module docstring).
    supersede: Literal["scope", "figure"] = "scope"


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
    status: str  # "imported" | "unchanged" | "restored"
    source: str
    filename: str
    sha256: str
    rows_read: int
    observations: int
    superseded: int
    organisations: int
    message: str
    new: int = 0
    changed: int = 0
    unchanged: int = 0


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
        if prior is not None and _last_import_event(s) == f"import:{prior.id}":
            # Nothing was imported or restored since this file: all of it is still current.
            return ImportResult(
                prior.id or 0, "unchanged", source.name, path.name, sha, prior.rows_read, 0, 0,
                0, f"identical to import #{prior.id} of {prior.imported_at:%Y-%m-%d %H:%M}; "
                "nothing new stored")
        known = frozenset(s.exec(select(Organisation.code)).all())

    # An earlier file is parsed again: "unchanged" must mean every figure it holds is still
    # current, which only its figures can tell (a later copy may have changed any of them).
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
        # One figure-changing import at a time: the audit head row is locked before the
        # store is compared (on SQLite the write session's lock already does this), so two
        # imports cannot both make a figure current.
        s.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one_or_none()
        plan = _plan(s, parsed.observations, parsed.supersede, restoring=prior is not None)
        if prior is not None and prior.id is not None:
            if not plan.insert and not plan.supersede:
                return ImportResult(
                    prior.id, "unchanged", source.name, path.name, sha, prior.rows_read, 0, 0,
                    0, f"identical to import #{prior.id} of {prior.imported_at:%Y-%m-%d %H:%M}; "
                    "every figure in it is current; nothing new stored",
                    unchanged=plan.unchanged)
            return _restore(s, prior, plan, path, actor=actor, at=at)
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
        superseded = len(plan.supersede)
        batch = Import(source=source.name, filename=path.name, sha256=sha,
                       rows_read=parsed.rows_read, observations=len(parsed.observations),
                       superseded_observations=superseded,
                       importer_version=source.version, imported_at=at,
                       imported_by=actor, note=_note(parsed.note, plan)
                       if parsed.supersede == "figure" else parsed.note)
        s.add(batch)
        s.flush()
        assert batch.id is not None
        _write(s, plan, batch.id)
        audit.append(s, at=at, actor=actor, action="import", subject=f"import:{batch.id}",
                     details={"source": source.name, "file": path.name, "sha256": sha,
                              "rows": parsed.rows_read,
                              "observations": len(parsed.observations),
                              "superseded": superseded, "new": plan.new,
                              "changed": plan.changed, "unchanged": plan.unchanged,
                              "organisations": len(parsed.organisations)})
        import_id = batch.id
    msg = (f"imported {len(parsed.observations):,} figures from {parsed.rows_read:,} rows"
           + (f", superseding {superseded:,} earlier figures" if superseded else "")
           + (f", {len(parsed.organisations)} organisations" if parsed.organisations else ""))
    if parsed.supersede == "figure" and (plan.changed or plan.unchanged):
        msg += (f" ({plan.new:,} new, {plan.changed:,} changed, {plan.unchanged:,} unchanged "
                "and still attributed to the import they came from)")
    return ImportResult(import_id, "imported", source.name, path.name, sha, parsed.rows_read,
                        len(parsed.observations), superseded, len(parsed.organisations), msg,
                        new=plan.new, changed=plan.changed, unchanged=plan.unchanged)


FigureKey = tuple[str, str, str, str, str]


@dataclass(frozen=True)
class _Current:
    """A current figure as stored (a plain row: 167,005 ORM objects would be slow)."""

    id: int
    org_code: str
    period_key: str
    metric: str
    group: str
    breakdown: str
    value: float | None
    numerator: int | None
    denominator: int | None
    suppressed: bool
    note: str | None
    scope: str


def _figure(o: ObservationRow | _Current) -> tuple[object, ...]:
    """What makes two figures the same figure (the import they came from does not)."""
    return (o.numerator, o.denominator, bool(o.suppressed), o.note)


def _same(new: ObservationRow, old: ObservationRow | _Current) -> bool:
    """The same figure, allowing for the last digits a spreadsheet program changes when it
    saves a copy (Excel keeps 15 significant digits, the published file 17): a real change to
    a percentage or score is many orders of magnitude larger than 1e-12 of it."""
    if _figure(new) != _figure(old):
        return False
    if new.value is None or old.value is None:
        return new.value is old.value
    return math.isclose(new.value, old.value, rel_tol=1e-12, abs_tol=1e-12)


@dataclass
class _Plan:
    """What an import changes: rows to add, current rows to supersede, and the counts."""

    insert: list[ObservationRow] = field(default_factory=list)
    supersede: list[int] = field(default_factory=list)
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    withdrawn: int = 0


def _plan(s: Session, rows: list[ObservationRow], mode: str, *, restoring: bool) -> _Plan:
    """Compare the file's figures with the current ones in the scopes it covers.

    In ``"figure"`` mode, and when an earlier file is imported again in either mode, only
    figures that differ are written. A new file in ``"scope"`` mode replaces each covered scope
    whole, as the sources that use it promise.
    """
    plan = _Plan()
    if not rows:
        return plan
    incoming: dict[FigureKey, ObservationRow] = {
        (r.org_code, r.period_key, r.metric, r.group, r.breakdown): r for r in rows}
    scopes = {f"{k[0]}|{k[1]}|{k[2]}" for k in incoming}
    # SQLAlchemy's own select: SQLModel's is typed for at most four columns.
    columns = [col(getattr(Observation, name)) for name in _Current.__dataclass_fields__]
    stmt = sa_select(*columns).where(
        col(Observation.current).is_(True),
        col(Observation.period_key).in_(sorted({r.period_key for r in rows})),
        col(Observation.metric).in_(sorted({r.metric for r in rows})))
    current: dict[str, list[_Current]] = {}
    for row in s.execute(stmt):
        o = _Current(*row)
        if o.scope in scopes:
            current.setdefault(o.scope, []).append(o)
    same: set[FigureKey] = set()
    for scope, olds in current.items():
        keyed = {(o.org_code, o.period_key, o.metric, o.group, o.breakdown): o for o in olds}
        differs = [k for k, o in keyed.items()
                   if k not in incoming or not _same(incoming[k], o)]
        theirs = [k for k in incoming if f"{k[0]}|{k[1]}|{k[2]}" == scope] if (
            mode == "scope") else []
        if mode == "scope" and not restoring:
            replace_all = True
        elif mode == "scope":  # an earlier file again: a scope is whole or restored whole
            replace_all = bool(differs) or any(k not in keyed for k in theirs)
        else:
            replace_all = False
        for k, o in keyed.items():
            if k in incoming and _same(incoming[k], o):
                plan.unchanged += 1
                if not replace_all:
                    same.add(k)
                    continue
            elif k in incoming:
                plan.changed += 1
            else:
                plan.withdrawn += 1
            plan.supersede.append(o.id)
        if mode == "scope" and not replace_all:
            same.update(theirs)
    had = {(o.org_code, o.period_key, o.metric, o.group, o.breakdown)
           for olds in current.values() for o in olds}
    plan.new = sum(1 for k in incoming if k not in had)
    plan.insert = [r for k, r in incoming.items() if k not in same]
    return plan


def _last_import_event(s: Session) -> str | None:
    """The subject (``import:<id>``) of the last import or restore, whatever its source."""
    return s.exec(select(AuditEvent.subject)
                  .where(col(AuditEvent.action).in_(("import", "import_restore")))
                  .order_by(col(AuditEvent.seq).desc()).limit(1)).first()


def _note(note: str | None, plan: _Plan) -> str:
    """The import row's note, with what the file's figures were against the store."""
    counts = (f"figures: {plan.new:,} new, {plan.changed:,} changed, {plan.unchanged:,} "
              f"unchanged, {plan.withdrawn:,} withdrawn")
    return f"{note}; {counts}" if note else counts


def _write(s: Session, plan: _Plan, import_id: int) -> None:
    """Supersede first, then add: at no moment are two figures current for one key."""
    for i in range(0, len(plan.supersede), 500):
        chunk = plan.supersede[i:i + 500]
        s.execute(update(Observation).where(col(Observation.id).in_(chunk))
                  .values(current=False, superseded_by=import_id)
                  .execution_options(synchronize_session=False))
    if plan.insert:
        s.execute(insert(Observation), [
            {"import_id": import_id, "org_code": r.org_code, "period_key": r.period_key,
             "metric": r.metric, "group": r.group, "breakdown": r.breakdown,
             "value": r.value, "numerator": r.numerator, "denominator": r.denominator,
             "suppressed": r.suppressed, "note": r.note,
             "scope": f"{r.org_code}|{r.period_key}|{r.metric}", "current": True,
             "superseded_by": None}
            for r in plan.insert
        ])


def _restore(s: Session, prior: Import, plan: _Plan, path: Path, *, actor: str,
             at: datetime) -> ImportResult:
    """Make an earlier file's figures current again, attributed to the import that first
    stored them (the same file cannot be a second import: one import per source and SHA)."""
    assert prior.id is not None
    _write(s, plan, prior.id)
    restored = len(plan.insert)
    audit.append(s, at=at, actor=actor, action="import_restore", subject=f"import:{prior.id}",
                 details={"source": prior.source, "file": path.name, "sha256": prior.sha256,
                          "restored": restored, "superseded": len(plan.supersede),
                          "new": plan.new, "changed": plan.changed,
                          "unchanged": plan.unchanged, "withdrawn": plan.withdrawn})
    msg = (f"identical to import #{prior.id} of {prior.imported_at:%Y-%m-%d %H:%M}, but "
           f"{restored:,} of its figures were no longer current: made them current again "
           f"from import #{prior.id}, superseding {len(plan.supersede):,} later figures "
           f"({plan.unchanged:,} figures were already current)")
    return ImportResult(prior.id, "restored", prior.source, path.name, prior.sha256,
                        prior.rows_read, restored, len(plan.supersede), 0, msg, new=plan.new,
                        changed=plan.changed, unchanged=plan.unchanged)


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

