"""Recording what was produced: the output's SHA-256 goes into the hash-chained audit log.

Every writing entry point (board report, well-led evidence, evidence pack) calls
:func:`record` once, so the audit log says who produced which file, for which organisation
and date, and its digest — a reader can later prove a paper is the one the tool produced.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from assurance import audit
from assurance.config import Settings
from assurance.db import open_store
from assurance.db import session as open_session
from assurance.ingest import file_sha256 as sha256_file

__all__ = ["record", "sha256_file"]


def record(engine: Engine | None, settings: Settings, *, action: str, org_code: str,
           as_of: date, path: Path, actor: str, at: datetime | None = None,
           details: dict[str, Any] | None = None) -> str:
    """Append ``action`` (``report.board`` …) with the file's SHA-256; return the digest.

    ``engine`` defaults to the configured store. ``at`` defaults to now (the audit log
    records when a paper was produced; the paper itself never contains this time).
    """
    digest = sha256_file(path)
    own = engine is None
    eng = engine if engine is not None else open_store(settings.database_url)
    body = {"as_of": as_of.isoformat(), "file": path.name, "sha256": digest,
            "bytes": path.stat().st_size, **(details or {})}
    try:
        # A write session: concurrent writers (e.g. parallel report workers) queue for the
        # lock rather than racing for the audit chain's head.
        with open_session(eng, write=True) as s, s.begin():
            audit.append(s, at=at or datetime.now(UTC), actor=actor, action=action,
                         subject=f"org:{org_code}", details=body)
    finally:
        if own:
            eng.dispose()
    return digest
