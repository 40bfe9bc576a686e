"""Every organisation's report at one date, written in parallel processes.

``assurance report board --all`` (and ``report well-led --all``, ``pack build --all``) call
:func:`render_all`: the organisations are shared out among ``workers`` processes
(:class:`concurrent.futures.ProcessPoolExecutor`); each worker opens its own engine on the
store (SQLite or PostgreSQL: a connection is never shared across processes). What every
report of the batch shares — the store read once for every organisation
(:func:`~assurance.report_context.load_inputs` with ``org_codes=None``: figures, periods,
rule packs, organisations) — is read once, in the parent before the workers start, and the
forked workers inherit it (on a platform without ``fork`` each worker reads it once for
itself); the Word documents and the evidence packs reuse it for every report. Each report is written by the
same renderer, to the same file name, as the single-organisation command, and records the
same ``report.*`` audit event, so a batch report is the single report.

One organisation's failure (a template error, a locked file) is reported against it and
the others are still written: the result lists each organisation with its file or its error.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import col

from assurance.config import Settings
from assurance.db import open_store
from assurance.db import session as open_session
from assurance.evaluation import check_accountable
from assurance.models import Observation
from assurance.problems import Problem, ProblemsError
from assurance.report_context import ReportInputs, load_inputs
from reports.document import DocumentRenderer


@dataclass(frozen=True)
class Written:
    """One organisation's outcome in a batch: its file, or why it has none."""

    org_code: str
    path: Path | None
    seconds: float
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.path is not None and not self.error


@dataclass(frozen=True)
class BatchResult:
    """What :func:`render_all` did, organisation by organisation, in the order given."""

    name: str
    written: tuple[Written, ...]
    seconds: float
    workers: int

    @property
    def failed(self) -> tuple[Written, ...]:
        return tuple(w for w in self.written if not w.ok)


def render_every(settings: Settings, name: str, *, as_of: date, actor: str, at: datetime,
                 out_dir: Path | None = None, workers: int | None = None,
                 progress: Callable[[Written], None] = lambda _: None) -> BatchResult:
    """:func:`render_all` for every organisation :func:`batch_orgs` names, after checking
    the report name and ``organisations.accountable`` against the register.

    Raises:
        ProblemsError: unknown report name, an accountable code not in the register, or no
            organisation to report on.
    """
    from reports import renderer

    renderer(name)
    engine = open_store(settings.database_url)
    try:
        with open_session(engine) as s:
            check_accountable(s, settings)
        codes = batch_orgs(engine, settings)
    finally:
        engine.dispose()  # each worker opens its own
    if not codes:
        raise ProblemsError([Problem("--all", "no organisation to report on: "
                                     "organisations.accountable is empty and the store holds "
                                     "no figures; expected an import first, or "
                                     "organisations.accountable = [...]")])
    return render_all(settings, name, org_codes=codes, as_of=as_of,
                      out_dir=out_dir or settings.reports.output_dir, actor=actor, at=at,
                      workers=workers, progress=progress)


def batch_orgs(engine: Engine, settings: Settings) -> list[str]:
    """The organisations a batch reports on: ``organisations.accountable`` when configured
    (the trusts this deployment holds to account, as evaluation treats them), else every
    organisation with a current figure in the store, in code order."""
    if settings.accountable:
        return list(settings.accountable)
    with open_session(engine) as s:
        codes = s.execute(select(col(Observation.org_code)).where(
            col(Observation.current).is_(True)).distinct()).scalars().all()
    return sorted(codes)


# Per worker process: its engine, and the store read once for the batch's reports.
_worker: dict[str, object] = {}
# In the parent, while its pool starts: the inputs the forked workers inherit.
_inherited: dict[str, ReportInputs] = {}


def shares_inputs(name: str) -> bool:
    """Whether the renderer called ``name`` takes the store read once for many reports."""
    from reports import RENDERERS
    from reports.pack import PackRenderer

    return isinstance(RENDERERS[name], DocumentRenderer | PackRenderer)


def _shared_inputs(settings: Settings, as_of: date) -> ReportInputs:
    engine = open_store(settings.database_url, upgrade=False)
    try:
        return load_inputs(engine, settings, as_of=as_of, org_codes=None)
    finally:
        engine.dispose()  # a forked worker must never use a connection of its parent's


def _start_worker(settings: Settings, name: str, as_of: date) -> None:
    """Open this process's own engine (never one inherited from the parent) and take the
    inputs the parent read (forked) or read them once here (spawned)."""
    from reports import RENDERERS

    engine = open_store(settings.database_url, upgrade=False)
    inputs = _inherited.get("inputs")
    if inputs is None and shares_inputs(name):
        inputs = load_inputs(engine, settings, as_of=as_of, org_codes=None)
        gc.collect()
        gc.freeze()  # as the parent does before forking
    _worker.update(engine=engine, settings=settings, renderer=RENDERERS[name], inputs=inputs)


def render_one(engine: Engine, settings: Settings, name: str, *, org_code: str, as_of: date,
               out_path: Path, actor: str, at: datetime,
               inputs: ReportInputs | None = None) -> Path:
    """One organisation's output, as the single command writes it; with ``inputs`` (from
    :func:`load_inputs` for the same ``as_of``) a Word document or pack reuses them."""
    from reports import RENDERERS
    from reports.pack import PackRenderer

    renderer = RENDERERS[name]
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(renderer, DocumentRenderer | PackRenderer) and inputs is not None:
        return renderer.render(engine, settings, org_code=org_code, as_of=as_of,
                               out_path=out_path, actor=actor, at=at, inputs=inputs)
    return renderer.render(engine, settings, org_code=org_code, as_of=as_of,
                           out_path=out_path, actor=actor, at=at)


def _work(name: str, org_code: str, as_of: date, out_path: Path, actor: str,
          at: datetime) -> Written:
    t = time.perf_counter()
    engine: Engine = _worker["engine"]  # type: ignore[assignment]
    settings: Settings = _worker["settings"]  # type: ignore[assignment]
    inputs = _worker["inputs"]
    shared = inputs if isinstance(inputs, ReportInputs) else None
    try:
        path = render_one(engine, settings, name, org_code=org_code, as_of=as_of,
                          out_path=out_path, actor=actor, at=at, inputs=shared)
    except ProblemsError as exc:
        return Written(org_code, None, time.perf_counter() - t,
                       "; ".join(str(p) for p in exc.problems))
    except Exception as exc:  # noqa: BLE001 - one report's failure must not stop the others
        return Written(org_code, None, time.perf_counter() - t,
                       f"{type(exc).__name__}: {exc}")
    finally:
        if shared is not None:
            shared.release(org_code)
    return Written(org_code, path, time.perf_counter() - t)


def _context() -> multiprocessing.context.BaseContext:
    # fork on Linux: a worker starts in milliseconds, with the modules already imported.
    # The parent disposes its engine before the pool starts, and every worker opens its own.
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    return multiprocessing.get_context(method)


def render_all(settings: Settings, name: str, *, org_codes: Sequence[str], as_of: date,
               out_dir: Path, actor: str, at: datetime, workers: int | None = None,
               progress: Callable[[Written], None] = lambda _: None) -> BatchResult:
    """Write ``name`` (``board``, ``well-led``, ``pack``) for every organisation in
    ``org_codes`` into ``out_dir``, each under the name the single command gives it
    (``<ORG>-<as_of>-<name><suffix>``), in ``workers`` processes (default: the CPUs).

    ``progress`` is told each organisation as its report is written or fails. A worker
    that dies takes its unfinished reports with it: they are reported as failed.
    """
    from reports import RENDERERS, output_path

    suffix = RENDERERS[name].suffix
    target = {code: out_dir / output_path(settings, name, code, as_of).name for code in org_codes}
    assert all(p.suffix == suffix for p in target.values())
    n = max(1, min(workers or os.cpu_count() or 1, len(org_codes) or 1))
    out_dir.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    done: dict[str, Written] = {}
    context = _context()
    if context.get_start_method() == "fork" and shares_inputs(name):
        _inherited["inputs"] = _shared_inputs(settings, as_of)
        # The shared figures are millions of objects that never become garbage: out of the
        # collector's sight, a worker neither rescans them at every full collection nor
        # copies their pages by touching them.
        gc.collect()
        gc.freeze()
    try:
        with ProcessPoolExecutor(n, mp_context=context, initializer=_start_worker,
                                 initargs=(settings, name, as_of)) as pool:
            futures: dict[Future[Written], str] = {
                pool.submit(_work, name, code, as_of, target[code], actor, at): code
                for code in org_codes}
            for fut in as_completed(futures):
                code = futures[fut]
                try:
                    w = fut.result()
                except BrokenProcessPool as exc:
                    w = Written(code, None, 0.0, f"the worker process stopped: {exc}")
                done[code] = w
                progress(w)
    finally:
        _inherited.clear()
        gc.unfreeze()
    return BatchResult(name, tuple(done[c] for c in org_codes), time.perf_counter() - t, n)
