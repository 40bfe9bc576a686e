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

  in both modes a scope is **of one lineage** (:mod:`assurance.lineage`): a file supersedes
  only figures that came from the same kind of source. A gov.uk gender pay gap download
  (``gpg_csv``, figures stored as *published* under breakdown ``published:gov.uk``) and the
  trust's own pay extract (``pay_csv``) both stay current for the same organisation, period
  and metric; a figure of a published breakdown from any other source is refused;
* **re-importing an earlier file** (same SHA-256) is *unchanged* only when every figure it
  holds is current; otherwise its figures are made current again (new rows attributed to the
  original import, the displaced ones superseded by it, an ``import_restore`` audit event);
* **provenance** — an ``import_batch`` row (source, file name, SHA-256, rows, importer
  version, time, who) and an audit event, committed with the data.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice, repeat
from pathlib import Path
from typing import Any, Literal, Protocol

from sqlalchemy import Table, func, insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from assurance import audit
from assurance.catalogue import Catalogue, load_catalogue
from assurance.collector import paused
from assurance.db import session as open_session
from assurance.db import sqlite_bulk_load
from assurance.figure_checks import import_checks_pass, import_problems
from assurance.figure_columns import FigureColumns, pick
from assurance.figure_columns import ObservationRow as ObservationRow
from assurance.lineage import OWN, Lineage, lineage_of, scope_of
from assurance.models import AuditEvent, AuditHead, Import, Observation, Organisation, Period, SurveyQuestion
from assurance.periods import parse_period_key, short_label
from assurance.problems import Problem, ProblemsError
from assurance.safeinput import cap_problems, require_file


@dataclass
class Parsed:
    """What a source read from one file."""

    rows_read: int = 0
    observations: list[ObservationRow] = field(default_factory=list)
    #: The figures as columns, for a source that reads them so (then ``observations`` is
    #: empty); :func:`run_import` takes either.
    figures: FigureColumns | None = None
    organisations: list[Organisation] = field(default_factory=list)
    questions: list[SurveyQuestion] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    note: str | None = None
    #: ``"scope"``: the file replaces every figure of each org|period|metric it covers;
    #: ``"figure"``: only figures that differ are superseded (see the module docstring).
    supersede: Literal["scope", "figure"] = "scope"
    #: The file is the organisation register: the names, types, regions, ICSs and benchmark
    #: groups it gives replace the registered ones (other files only fill gaps).
    register: bool = False


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


def _period_rows(keys: Iterable[str]) -> list[Period]:
    out = []
    for key in sorted(set(keys)):
        p = parse_period_key(key)
        assert p is not None
        out.append(Period(key=p.key, kind=p.kind, label=p.label, start=p.start, end=p.end))
    return out


@paused()  # no reference cycles among the columns: the collector would only rescan them
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
    with open_session(engine) as s:
        last = _last_import(s)
        known = frozenset(s.exec(select(Organisation.code)).all())
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The file's SHA-256 tells whether it is the last import's file again, when that was
        # of this source: then nothing is parsed. Otherwise the file is hashed while it is
        # parsed (hashlib and DuckDB let go of Python's lock as they work).
        digest = pool.submit(file_sha256, path)
        if (last is not None and last.source == source.name
                and last.importer_version == source.version and digest.result() == last.sha256):
            # Nothing was imported or restored since this file: all of it is still current
            # (read by this version of its importer: a newer one may read it differently).
            return ImportResult(
                last.id or 0, "unchanged", source.name, path.name, last.sha256,
                last.rows_read, 0, 0, 0, f"identical to import #{last.id} of "
                f"{last.imported_at:%Y-%m-%d %H:%M}; nothing new stored")
        # An earlier file is parsed again: "unchanged" must mean every figure it holds is
        # still current, which only its figures can tell (a later copy may have changed any).
        cat = load_catalogue()
        parsed = source.parse(path, ParseContext(cat, known, ethnicity_map or {}))
        sha = digest.result()
    figures = (parsed.figures if parsed.figures is not None
               else FigureColumns.from_rows(parsed.observations))
    problems = list(parsed.problems)
    lineage = lineage_of(source.name)
    defined = known | {o.code for o in parsed.organisations}
    if problems or not import_checks_pass(figures, cat, defined, lineage):
        # Something is wrong (or the source found something): each figure is checked on its
        # own, for messages naming its row and column.
        problems.extend(import_problems(figures.rows(), cat, defined, lineage, where))
    if problems:
        raise ProblemsError(cap_problems(sorted(problems, key=lambda p: (p.where, p.line or 0)),
                                         where))
    if not len(figures) and not parsed.organisations:
        raise ProblemsError([Problem(where, "no data rows found; expected "
                                     + source.description)])

    with open_session(engine, write=True) as s, s.begin():
        # One figure-changing import at a time: the audit head row is locked before the
        # store is compared (on SQLite the write session's lock already does this), so two
        # imports cannot both make a figure current.
        s.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one_or_none()
        prior = s.exec(
            select(Import).where(Import.source == source.name, Import.sha256 == sha)
        ).first()
        scopes = _scopes(figures, lineage)
        plan = _plan(s, figures, scopes, parsed.supersede, restoring=prior is not None,
                     lineage=lineage)
        if prior is not None and prior.id is not None:
            if not plan.insert and not plan.supersede:
                return ImportResult(
                    prior.id, "unchanged", source.name, path.name, sha, prior.rows_read, 0, 0,
                    0, f"identical to import #{prior.id} of {prior.imported_at:%Y-%m-%d %H:%M}; "
                    "every figure in it is current; nothing new stored",
                    unchanged=plan.unchanged)
            return _restore(s, prior, plan, figures, scopes, path, actor=actor, at=at)
        updated = [c for org in parsed.organisations
                   if (c := _register(s, org, authoritative=parsed.register))]
        existing_periods = set(s.exec(select(Period.key)).all())
        for p in _period_rows(set(figures.period_key) - existing_periods):
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
                       rows_read=parsed.rows_read, observations=len(figures),
                       superseded_observations=superseded,
                       importer_version=source.version, imported_at=at,
                       imported_by=actor, note=_note(parsed.note, plan)
                       if parsed.supersede == "figure" else parsed.note)
        s.add(batch)
        s.flush()
        assert batch.id is not None
        _write(s, plan, batch.id, figures, scopes)
        audit.append(s, at=at, actor=actor, action="import", subject=f"import:{batch.id}",
                     details={"source": source.name, "file": path.name, "sha256": sha,
                              "rows": parsed.rows_read,
                              "observations": len(figures),
                              "superseded": superseded, "new": plan.new,
                              "changed": plan.changed, "unchanged": plan.unchanged,
                              "organisations": len(parsed.organisations),
                              "register_changes": updated})
        import_id = batch.id
    msg = (f"imported {len(figures):,} figures from {parsed.rows_read:,} rows"
           + (f", superseding {superseded:,} earlier figures of {_periods(plan.periods)}"
              if superseded else "")
           + (f", {len(parsed.organisations)} organisations" if parsed.organisations else "")
           + (f" ({len(updated)} with details changed: "
              + ", ".join(c["code"] for c in updated[:5])
              + (" …" if len(updated) > 5 else "") + ")" if updated else ""))
    if parsed.supersede == "figure" and (plan.changed or plan.unchanged):
        msg += (f" ({plan.new:,} new, {plan.changed:,} changed, {plan.unchanged:,} unchanged "
                "and still attributed to the import they came from)")
    return ImportResult(import_id, "imported", source.name, path.name, sha, parsed.rows_read,
                        len(figures), superseded, len(parsed.organisations), msg,
                        new=plan.new, changed=plan.changed, unchanged=plan.unchanged)


def _scopes(figures: FigureColumns, lineage: Lineage) -> list[str]:
    """Each figure's :func:`assurance.lineage.scope_of`, one string per distinct scope."""
    of = {k: scope_of(*k, lineage) for k in set(zip(figures.org_code, figures.period_key,
                                                    figures.metric, strict=True))}
    return list(map(of.__getitem__, zip(figures.org_code, figures.period_key, figures.metric,
                                        strict=True)))


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

    #: The file's figures to add, by position (``range(len(figures))``: all of them).
    insert: Sequence[int] = ()
    supersede: list[int] = field(default_factory=list)
    #: The periods of the figures superseded (named in the import's message).
    periods: set[str] = field(default_factory=set)
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    lineage: Lineage = OWN


def _plan(s: Session, figures: FigureColumns, scopes: list[str], mode: str, *,
          restoring: bool, lineage: Lineage = OWN) -> _Plan:
    """Compare the file's figures (in file order, no key twice) with the current ones in the
    scopes it covers (``scopes``: each figure's).

    In ``"figure"`` mode, and when an earlier file is imported again in either mode, only
    figures that differ are written. A new file in ``"scope"`` mode replaces each covered scope
    whole, as the sources that use it promise. Only scopes of the file's ``lineage`` are
    covered: figures another kind of source stored are never compared or superseded.
    """
    plan = _Plan(lineage=lineage)
    n = len(figures)
    if not n:
        return plan
    covered = set(scopes)
    # SQLAlchemy's own select: SQLModel's is typed for at most four columns.
    columns = [col(getattr(Observation, name)) for name in _Current.__dataclass_fields__]
    stmt = sa_select(*columns).where(
        col(Observation.current).is_(True),
        col(Observation.period_key).in_(sorted(set(figures.period_key))),
        col(Observation.metric).in_(sorted(set(figures.metric))))
    current: dict[str, list[_Current]] = {}
    for row in s.execute(stmt):
        o = _Current(*row)
        if o.scope in covered:
            current.setdefault(o.scope, []).append(o)
    if not current:  # nothing to compare with (a first load): every figure is new
        plan.new, plan.insert = n, range(n)
        return plan
    keys = list(figures.keys())
    index = dict(zip(keys, range(n), strict=True))
    mine: dict[str, list[int]] = {}
    if mode == "scope":
        for i, scope in enumerate(scopes):
            if scope in current:
                mine.setdefault(scope, []).append(i)
    same: set[int] = set()
    for scope, olds in current.items():
        keyed = {(o.org_code, o.period_key, o.metric, o.group, o.breakdown): o for o in olds}
        matches = {k for k, o in keyed.items()
                   if (at := index.get(k)) is not None and _same(figures.row(at), o)}
        theirs = mine.get(scope, [])
        if mode == "scope" and not restoring:
            replace_all = True
        elif mode == "scope":  # an earlier file again: a scope is whole or restored whole
            replace_all = len(matches) < len(keyed) or any(keys[i] not in keyed for i in theirs)
        else:
            replace_all = False
        for k, o in keyed.items():
            if k in matches:
                plan.unchanged += 1
                if not replace_all:
                    same.add(index[k])
                    continue
            elif k in index:
                plan.changed += 1
            else:
                plan.withdrawn += 1
            plan.supersede.append(o.id)
            plan.periods.add(o.period_key)
        if mode == "scope" and not replace_all:
            same.update(theirs)
    had = {(o.org_code, o.period_key, o.metric, o.group, o.breakdown)
           for olds in current.values() for o in olds}
    plan.new = sum(1 for k in keys if k not in had)
    plan.insert = [i for i in range(n) if i not in same]
    return plan


def _periods(keys: set[str]) -> str:
    """The periods an import superseded figures of, as people read them: a file that
    replaces a year it was not meant to (one stray row) says so where it is reported."""
    shown = sorted(keys)
    text = ", ".join(short_label(k) for k in shown[:4])
    return text + (f" and {len(shown) - 4} more periods" if len(shown) > 4 else "")


def _last_import(s: Session) -> Import | None:
    """The import the last import or restore event names (``import:<id>``), whatever its
    source: the store's figures are all current as that file left them."""
    subject = s.exec(select(AuditEvent.subject)
                     .where(col(AuditEvent.action).in_(("import", "import_restore")))
                     .order_by(col(AuditEvent.seq).desc()).limit(1)).first()
    if subject is None or not subject.startswith("import:"):
        return None
    return s.get(Import, int(subject.removeprefix("import:")))


def _note(note: str | None, plan: _Plan) -> str:
    """The import row's note, with what the file's figures were against the store."""
    counts = (f"figures: {plan.new:,} new, {plan.changed:,} changed, {plan.unchanged:,} "
              f"unchanged, {plan.withdrawn:,} withdrawn")
    return f"{note}; {counts}" if note else counts


def _write(s: Session, plan: _Plan, import_id: int, figures: FigureColumns,
           scopes: list[str]) -> None:
    """Supersede first, then add: at no moment are two figures current for one key."""
    table = _OBSERVATION
    for i in range(0, len(plan.supersede), _SUPERSEDE_CHUNK):
        s.execute(update(table)
                  .where(table.c.id.in_(plan.supersede[i:i + _SUPERSEDE_CHUNK]))
                  .values(current=False, superseded_by=import_id))
    if plan.insert:
        _insert(s, figures, scopes, plan.insert, import_id)


#: The table itself, for Core statements (no ORM objects or ORM-enabled statements).
_OBSERVATION: Table = Observation.__table__  # type: ignore[attr-defined]
#: Ids per ``UPDATE … WHERE id IN (…)``: well inside SQLite's 32,766 and PostgreSQL's 65,535
#: bound parameters a statement.
_SUPERSEDE_CHUNK = 5_000
#: Rows per ``executemany`` through SQLAlchemy (a database other than SQLite or PostgreSQL).
_INSERT_BATCH = 10_000
#: The columns an import writes, in the order of :func:`_values`.
_COLUMNS = ("import_id", "org_code", "period_key", "metric", "group", "breakdown", "value",
            "numerator", "denominator", "suppressed", "note", "scope", "current",
            "superseded_by")


def _values(figures: FigureColumns, scopes: list[str], at: Sequence[int], import_id: int
            ) -> Iterator[tuple[object, ...]]:
    """The stored rows of the figures at ``at``, as tuples zipped from the columns (no Python
    code runs per row)."""
    columns: list[Sequence[object]] = [
        figures.org_code, figures.period_key, figures.metric, figures.group, figures.breakdown,
        figures.value, figures.numerator, figures.denominator, figures.suppressed,
        figures.note, scopes]
    if not (isinstance(at, range) and at == range(len(figures))):
        columns = [pick(c, at) for c in columns]
    n = len(at)
    return zip(repeat(import_id, n), *columns, repeat(True, n), repeat(None, n), strict=True)


def _insert(s: Session, figures: FigureColumns, scopes: list[str], at: Sequence[int],
            import_id: int) -> None:
    """Add the figures at ``at`` as current, in bulk, in the import's transaction: PostgreSQL
    through psycopg takes them as one ``COPY`` stream; SQLite as one ``executemany`` fed
    tuples straight from the columns (see :func:`assurance.db.sqlite_bulk_load`); any other
    database through SQLAlchemy Core's ``executemany``."""
    conn = s.connection()
    table = _OBSERVATION
    rows = _values(figures, scopes, at, import_id)
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        quote = conn.dialect.identifier_preparer.quote
        names = ", ".join(quote(c) for c in _COLUMNS)
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur, cur.copy(
                f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=list(_COLUMNS))
    if conn.dialect.name == "sqlite" and tuple(compiled.positiontup or ()) == _COLUMNS:
        with sqlite_bulk_load(conn, table.name, len(at)):
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.executemany(str(compiled), rows)
            finally:
                cursor.close()
        return
    while batch := list(islice(rows, _INSERT_BATCH)):
        conn.execute(insert(table), [dict(zip(_COLUMNS, v, strict=True)) for v in batch])


def _restore(s: Session, prior: Import, plan: _Plan, figures: FigureColumns,
             scopes: list[str], path: Path, *, actor: str, at: datetime) -> ImportResult:
    """Make an earlier file's figures current again, attributed to the import that first
    stored them (the same file cannot be a second import: one import per source and SHA)."""
    assert prior.id is not None
    _write(s, plan, prior.id, figures, scopes)
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


def _register(s: Session, org: Organisation, *, authoritative: bool) -> dict[str, Any]:
    """Add an organisation, or bring the registered one up to date; what changed (``{}``:
    nothing), for the audit log.

    The register file (``authoritative``) replaces a name, type, region, ICS or benchmark
    group it gives; any other file only fills in what the register does not know yet (a
    survey file must not rename a trust or blank its region). A blank cell never clears a
    value, and the synthetic flag can be set but never cleared: synthetic data must not be
    relabelled as real by a later file.
    """
    existing = s.get(Organisation, org.code)
    if existing is None:
        s.add(org)
        return {}
    changes: dict[str, Any] = {}
    for field_name in ("name", "org_type", "region", "ics", "benchmark_group"):
        old, new = getattr(existing, field_name), getattr(org, field_name)
        if new is not None and new != old and (authoritative or old is None):
            changes[field_name] = [old, new]
            setattr(existing, field_name, new)
    if org.synthetic and not existing.synthetic:
        changes["synthetic"] = [False, True]
        existing.synthetic = True
    return {"code": org.code, **changes} if changes else {}


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

