"""Opening the store: engine, migrations to the current schema, sessions.

SQLite by default (zero set-up), any SQLAlchemy URL otherwise. The schema is versioned with
Alembic (``assurance/migrations``); opening a store upgrades it in place, never recreates it,
so an existing store keeps its data across releases.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, create_engine

from assurance.problems import Problem, ProblemsError

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets foreign keys on and a busy timeout."""
    if url.startswith("sqlite"):
        # The driver's own transaction handling is switched off so that we emit BEGIN
        # ourselves: write sessions take SQLite's write lock up front (BEGIN IMMEDIATE), so
        # two processes appending to the audit chain queue instead of both reading the same
        # head and one failing (SQLAlchemy's documented pysqlite recipe).
        engine = create_engine(url, connect_args={"timeout": 30, "isolation_level": None})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            write = conn.get_execution_options().get("assurance_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    """The newest schema revision this release knows."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The schema revision a store is at (None: empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


MIGRATION_LOCK = 0x617373757261  # "assura": PostgreSQL advisory lock held while migrating


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the store's schema to ``revision`` in place, keeping its data.

    Processes opening a store at the same moment take turns — on PostgreSQL an advisory lock
    held for the transaction, on SQLite the write lock taken when it begins (BEGIN
    IMMEDIATE) — and the later one finds the schema current and does nothing.
    """
    cfg = _alembic_config()
    with engine.execution_options(assurance_write=True).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def _sqlite_file(url: str) -> Path | None:
    """The file behind a SQLite URL (None: another database, or SQLite in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database))


@contextmanager
def _opening_lock(url: str) -> Iterator[None]:
    """Held while a store is opened and migrated: processes starting together on a new SQLite
    file take turns. SQLite's own locks are not enough there: the first connections switch
    the file to WAL while others read its schema, and SQLite answers some of those clashes
    with "database is locked" at once, without waiting (seen in CI under load). PostgreSQL
    needs nothing here: ``migrate`` holds an advisory lock.
    """
    path = _sqlite_file(url)
    if path is None or not path.parent.is_dir():
        yield
        return
    try:
        lock = open(path.with_name(path.name + ".open-lock"), "a")  # noqa: SIM115 - closed below
    except OSError:  # a read-only folder: nothing can be created or migrated there anyway
        yield
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def open_store(url: str, *, upgrade: bool = True) -> Engine:
    """Engine for ``url`` with its schema at head (created or upgraded)."""
    if not upgrade:
        return make_engine(url)
    with _opening_lock(url):
        engine = make_engine(url)
        if current_revision(engine) != head_revision():
            migrate(engine)
        return engine


def open_existing_store(url: str) -> Engine:
    """Engine for a store that must already exist at head, for reading: nothing is created,
    migrated or imported (``pack verify --store`` must not change what it checks).

    Raises:
        ProblemsError: no store at ``url`` (a SQLite file that does not exist), or its schema
            is not at head.
    """
    sqlite_file = _sqlite_file(url)
    if sqlite_file is not None and not sqlite_file.is_file():
        raise ProblemsError([Problem("database.url", f"no store at {sqlite_file}; "
                                         "expected an existing assurance store")])
    engine = make_engine(url)
    revision = current_revision(engine)
    if revision != head_revision():
        engine.dispose()
        raise ProblemsError([Problem("database.url", f"the store is at schema revision "
                                     f"{revision or 'none'}; expected {head_revision()} "
                                     "(run assurance db upgrade)")])
    return engine


def session(engine: Engine, *, write: bool = False) -> Session:
    """A session that keeps loaded objects usable after commit.

    ``write=True`` for sessions that change the store: on SQLite it takes the write lock when
    the transaction begins, so concurrent writers wait their turn (busy timeout 30 s).
    """
    bind = engine.execution_options(assurance_write=True) if write else engine
    return Session(bind, expire_on_commit=False)


#: Rows below which an insert is left to SQLite's indexes as they are.
_REBUILD_AT = 10_000
#: The page cache (KiB) of a connection during a bulk load (SQLite's default is 2 MiB).
_BULK_CACHE_KIB = 64 * 1024
#: Rows ``ANALYZE`` samples per index after a bulk load (SQLite's ``analysis_limit``).
_ANALYSIS_ROWS = 1000


@contextmanager
def sqlite_bulk_load(conn: Connection, table: str, rows: int) -> Iterator[None]:
    """Around a bulk insert of ``rows`` rows into ``table``, inside the caller's transaction.

    On SQLite the connection gets a larger page cache for the insert, and when the rows at
    least match those the table already holds (a first national load), the table's
    secondary indexes are dropped and built again afterwards from their own stored
    definitions: sorted once rather than grown row by row, about half the insert's cost.
    Both happen in the transaction, so a failure leaves the indexes as they were, and
    readers (WAL) see the old table and indexes until the commit. Afterwards the planner's
    statistics are refreshed (``ANALYZE``, sampled). Durability settings are untouched.
    Elsewhere nothing is done.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    quoted = conn.dialect.identifier_preparer.quote
    indexes: list[tuple[str, str]] = []
    if rows >= _REBUILD_AT:
        # Rows are never deleted, so the largest row id is about how many the table holds.
        held = conn.exec_driver_sql(f"SELECT max(rowid) FROM {quoted(table)}").scalar() or 0
        if rows >= held:
            indexes = [(str(name), str(sql)) for name, sql in conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL ORDER BY name", (table,))]
    cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size = {-_BULK_CACHE_KIB}")
    try:
        for name, _ in indexes:
            conn.exec_driver_sql(f"DROP INDEX {quoted(name)}")
        yield
        for _, sql in indexes:
            conn.exec_driver_sql(sql)
        # Planner statistics, sampled (a few milliseconds at national scale): without them
        # SQLite reads one organisation's figures through the metric index, scanning every
        # organisation's rows (about 25x slower for a single report).
        conn.exec_driver_sql(f"PRAGMA analysis_limit = {_ANALYSIS_ROWS}")
        conn.exec_driver_sql("ANALYZE")
        conn.exec_driver_sql("PRAGMA analysis_limit = 0")
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(cache or -2000)}")
