"""The store: migrations keep data, models match migrations, the audit chain detects tampering."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from assurance import audit
from assurance.db import current_revision, head_revision, make_engine, migrate, open_store
from conftest import AT
from helpers import register_orgs


def test_a_new_store_is_created_at_the_newest_schema(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()


def test_models_and_migrations_describe_the_same_schema(engine: Engine) -> None:
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    significant = [d for d in diffs if not (isinstance(d, tuple) and d[0] in (
        "remove_index", "add_index"))]  # index naming differences are checked separately
    assert significant == []


def test_upgrading_an_old_store_keeps_its_data(store_url: str, tmp_path: Path) -> None:
    engine = make_engine(store_url)
    migrate(engine, "0001")
    register_orgs(engine, tmp_path, "SYT01")
    engine.dispose()
    upgraded = open_store(store_url)
    assert current_revision(upgraded) == head_revision()
    with upgraded.connect() as conn:
        assert conn.execute(text("SELECT name FROM organisation")).scalar_one() == (
            "Synthetic Test Trust SYT01")
    upgraded.dispose()


def _append(engine: Engine, n: int) -> None:
    with Session(engine) as s, s.begin():
        for i in range(n):
            audit.append(s, at=AT, actor="test", action="test", subject=f"thing:{i}",
                         details={"i": i})


def test_audit_chain_verifies_when_untouched(engine: Engine) -> None:
    _append(engine, 5)
    with Session(engine) as s:
        report = audit.verify(s)
    assert report.ok and report.events == 5


def test_editing_a_past_audit_event_is_detected_and_named(engine: Engine) -> None:
    _append(engine, 5)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET details = :d WHERE seq = 3"), {"d": '{"i":99}'})
    with Session(engine) as s:
        report = audit.verify(s)
    assert not report.ok and report.problem == "event 3 (test) was altered after it was written"


@pytest.mark.parametrize("seq,expected", [(2, "event 2 is missing"),
                                          (5, "chain head does not match the last event")])
def test_deleting_audit_events_is_detected(engine: Engine, seq: int, expected: str) -> None:
    _append(engine, 5)
    with engine.begin() as conn:
        conn.execute(text(f"DELETE FROM audit_event WHERE seq = {seq}"))
    with Session(engine) as s:
        report = audit.verify(s)
    assert not report.ok and report.problem is not None and expected in report.problem


def _tamper(engine: Engine, seq: int) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET details = '{}' WHERE seq = :s"), {"s": seq})


def test_a_chain_verified_earlier_in_the_run_is_checked_from_where_it_ended(
        engine: Engine) -> None:
    # A batch of packs verifies the whole chain once, then what was appended since: an
    # event appended and then altered is found, and so is the event the last check ended
    # on, which sends the check back to the start of the chain.
    _append(engine, 5)
    with Session(engine) as s:
        first = audit.verify(s)
    _append(engine, 3)
    with Session(engine) as s:
        later = audit.verify(s, since=first)
    assert later.ok and later.events == 8
    _tamper(engine, 7)
    with Session(engine) as s:
        report = audit.verify(s, since=first)
    assert not report.ok and report.problem == "event 7 (test) was altered after it was written"


def test_when_the_event_the_last_check_ended_on_changed_the_whole_chain_is_verified(
        engine: Engine) -> None:
    _append(engine, 5)
    with Session(engine) as s:
        first = audit.verify(s)
    with engine.begin() as conn:  # the chain's end rewritten: event 5's hash differs
        conn.execute(text("UPDATE audit_event SET hash = :h WHERE seq = 5"), {"h": "f" * 64})
    _tamper(engine, 2)
    with Session(engine) as s:
        report = audit.verify(s, since=first)
    assert not report.ok and report.problem == "event 2 (test) was altered after it was written"
    with Session(engine) as s:  # a check that did not verify is no starting point
        assert audit.verify(s, since=report).problem == report.problem


def test_two_processes_appending_to_the_audit_chain_on_sqlite_queue_instead_of_failing(
        tmp_path: Path) -> None:
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 's.db'}"
    open_store(url).dispose()
    script = (
        "import sys\n"
        "from datetime import UTC, datetime\n"
        "from assurance import audit\n"
        "from assurance.db import open_store, session\n"
        "e = open_store(sys.argv[1])\n"
        "for i in range(40):\n"
        "    with session(e, write=True) as s, s.begin():\n"
        "        s.exec(audit.select(audit.AuditHead)).all()\n"
        "        audit.append(s, at=datetime.now(UTC), actor=sys.argv[2], action='t', subject=str(i))\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, url, name]) for name in ("a", "b")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    engine = open_store(url)
    with Session(engine) as s:
        report = audit.verify(s)
    assert report.ok and report.events == 80


def test_processes_opening_a_new_store_at_once_take_turns_to_migrate(store_url: str) -> None:
    # Several instances of the service starting together on an empty database: each opens
    # the store (which migrates it); none may fail on a half-created schema.
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def open_one() -> None:
        barrier.wait()
        try:
            open_store(store_url).dispose()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_one, daemon=True) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "migrations deadlocked"
    assert errors == []
    engine = make_engine(store_url)
    assert current_revision(engine) == head_revision()
    assert inspect(engine).has_table("apscheduler_jobs")  # the scheduler never creates it
    engine.dispose()
