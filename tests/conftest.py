"""Shared fixtures: a fresh store per test on SQLite and, when configured, PostgreSQL.

PostgreSQL tests read ``ASSURANCE_TEST_POSTGRES_URL`` (``.ci/run`` sets it) and are skipped
when it is unset. Each PostgreSQL test gets its own schema, dropped afterwards, so tests never
see each other's rows.

The demo (``assurance demo``) is built once per run and shared read-only (``demo_build``).
Tests that take seconds of real processes or real time are marked ``slow``; the default run
includes them (``-m "not slow"`` leaves them out while working).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from assurance.config import Settings
from assurance.db import open_store

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
NSS_FILE = SHARED / "nss2024_detailed_organisational_results.xlsx"
AE_FILE = SHARED / "ae_attendances_nhs_trusts_2016_2019.csv"
PG_ENV = "ASSURANCE_TEST_POSTGRES_URL"
AT = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


def _uses_demo(item: pytest.Item) -> bool:
    return "demo_build" in getattr(item, "fixturenames", ())


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests on the demo build are ``slow`` (``-m "not slow"`` should not pay for the build)
    and run last, whole modules at a time so their module fixtures are built once: the build
    starts in the background as the run begins (``_demo_started``) and overlaps the rest."""
    late = {item.path for item in items if _uses_demo(item)}
    for item in items:
        if _uses_demo(item):
            item.add_marker(pytest.mark.slow)
    items[:] = [i for i in items if i.path not in late] + [i for i in items if i.path in late]


def _pg_url_with_schema(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema (skipped when not configured)."""
    with pg_schema_url() as url:
        yield url


@contextmanager
def pg_schema_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards (the test is
    skipped when ``ASSURANCE_TEST_POSTGRES_URL`` is not set)."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} not set")
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_url_with_schema(base, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run the test once on SQLite and once on PostgreSQL (when configured)."""
    if request.param == "postgres":
        return str(request.getfixturevalue("pg_url"))
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new SQLite store, made by ``open_store`` once per run; each ``engine`` is a copy, so
    the migrations run once rather than for every test."""
    path = tmp_path_factory.mktemp("template") / "store.db"
    open_store(f"sqlite:///{path}").dispose()  # closing the last connection empties the WAL
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A new store at the newest schema, once on SQLite (a copy of ``_sqlite_template``) and
    once on PostgreSQL (skipped when not configured)."""
    if request.param == "postgres":
        # Cloning a migrated PostgreSQL database (CREATE DATABASE … TEMPLATE) measured no
        # faster than migrating a fresh schema, so PostgreSQL stores are still migrated.
        url = str(request.getfixturevalue("pg_url"))
    else:
        path = tmp_path / "store.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        url = f"sqlite:///{path}"
    eng = open_store(url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path, _sqlite_template: Path) -> Iterator[Engine]:
    path = tmp_path / "store.db"
    shutil.copyfile(_sqlite_template, path)
    eng = open_store(f"sqlite:///{path}")
    yield eng
    eng.dispose()


@dataclass(frozen=True)
class DemoBuild:
    """What ``assurance demo`` left behind: its folder and what it printed."""

    workdir: Path  # where the command ran (its cwd)
    folder: Path  # the demo's own folder: assurance.db, config.toml, reports/
    stdout: str


_RUN_THEN_RECORD = (
    "import os, subprocess, sys\n"
    "rc = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1] + '.tmp', 'w').write(str(rc))\n"
    "os.replace(sys.argv[1] + '.tmp', sys.argv[1])\n")
"""Run a command, then write its exit status to a file (atomically): any process can wait
for the demo build by that file, not only the one that started it."""


def _claim_demo(tmp_path_factory: pytest.TempPathFactory
                ) -> tuple[Path, subprocess.Popen[bytes] | None]:
    """The run's one demo folder, and the build this process started there (None: another
    pytest-xdist worker claimed the folder first and builds it). Workers share the parent of
    their base temp folders; creating the folder is the claim."""
    base = tmp_path_factory.getbasetemp()
    work = (base.parent if "PYTEST_XDIST_WORKER" in os.environ else base) / "demo-build"
    try:
        work.mkdir()
    except FileExistsError:
        return work, None
    args = [sys.executable, "-m", "assurance.cli", "demo", "--dir", str(work / "out")]
    if NSS_FILE.is_file():
        args += ["--nss", str(NSS_FILE)]
    with (work / "stdout.txt").open("wb") as out, (work / "stderr.txt").open("wb") as err:
        proc = subprocess.Popen([sys.executable, "-c", _RUN_THEN_RECORD, str(work / "rc"),
                                 *args], cwd=work, stdout=out, stderr=err)
    return work, proc


@pytest.fixture(scope="session", autouse=True)
def _demo_started(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[Path | None]:
    """Start the demo build as the run begins, when any selected test needs it."""
    if not any(_uses_demo(item) for item in request.session.items):
        yield None
        return
    work, proc = _claim_demo(tmp_path_factory)
    try:
        yield work
    finally:
        # The run stopped before any test waited for it; under xdist another worker may
        # still be waiting, so the build is left to finish.
        if proc is not None and proc.poll() is None and "PYTEST_XDIST_WORKER" not in os.environ:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def demo_build(_demo_started: Path | None, tmp_path_factory: pytest.TempPathFactory
               ) -> DemoBuild:
    """``assurance demo``, run once per test run as the real command (with the real Staff
    Survey 2024 file when it is beside the project); it evaluates as of 2025-06-01 and renders
    every demo trust's documents, which is the slowest thing the tests do. Under pytest-xdist
    the workers share one build.

    Shared and read-only: a test that changes the store or the folder works on a copy
    (:func:`copy_demo`).
    """
    work = _demo_started or _claim_demo(tmp_path_factory)[0]
    deadline = time.monotonic() + 900
    while not (work / "rc").is_file():
        assert time.monotonic() < deadline, f"the demo build in {work} took over 900 s"
        time.sleep(0.2)
    assert (work / "rc").read_text() == "0", (work / "stderr.txt").read_text()
    return DemoBuild(work, work / "out", (work / "stdout.txt").read_text())


def copy_demo(build: DemoBuild, dest: Path) -> Settings:
    """Copy the demo folder to ``dest`` and load the copy's settings (its config.toml is
    rewritten so the console channels write into the copy, not the shared folder)."""
    from assurance import api

    shutil.copytree(build.folder, dest)
    return api.demo_settings(dest)


@pytest.fixture(scope="session")
def demo_store(demo_build: DemoBuild, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[tuple[Engine, Settings]]:
    """A copy of the demo's store, shared by the report tests: they render from it (which
    records audit events) but never change what it holds."""
    from assurance import api

    settings = copy_demo(demo_build, tmp_path_factory.mktemp("demo-store") / "demo")
    engine = api.connect(settings)
    yield engine, settings
    engine.dispose()
