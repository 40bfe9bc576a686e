"""Shared fixtures: a fresh store per test on SQLite and, when configured, PostgreSQL.

PostgreSQL tests read ``ASSURANCE_TEST_POSTGRES_URL`` (``.ci/run`` sets it) and are skipped
when it is unset. Each PostgreSQL test gets its own schema, dropped afterwards, so tests never
see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from assurance.db import open_store

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
NSS_FILE = SHARED / "nss2024_detailed_organisational_results.xlsx"
AE_FILE = SHARED / "ae_attendances_nhs_trusts_2016_2019.csv"
PG_ENV = "ASSURANCE_TEST_POSTGRES_URL"
AT = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


def _pg_url_with_schema(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema (skipped when not configured)."""
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


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    eng = open_store(store_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    eng = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, object]]:
    """The demo's store, built once per test run (it evaluates as of 2025-06-01 and renders
    every demo trust's documents): shared by the report tests, which only read it."""
    from assurance import api

    work = tmp_path_factory.mktemp("demo-store") / "demo"
    api.run_demo(work, at=AT, nss_file=NSS_FILE if NSS_FILE.is_file() else None)
    settings = api.demo_settings(work)
    engine = api.connect(settings)
    yield engine, settings
    engine.dispose()
