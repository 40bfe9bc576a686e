"""The service's state, as ``assurance status`` shows it.

Scheduled jobs (last run and outcome from the audit log, next run from the scheduler's job
table in the same store), open findings by level, the outbox, the store's counts and the
audit chain's head. The scheduler's table is read with plain SQL so the core never imports
the scheduler library; before the first ``assurance run`` it does not exist yet.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from assurance import audit, outbox
from assurance.config import Settings, scheduled_jobs
from assurance.db import session
from assurance.ingest import store_counts
from assurance.models import AuditEvent, Finding


def _next_runs(engine: Engine) -> dict[str, float]:
    """Each scheduled job's next run (a POSIX timestamp), from the scheduler's job table."""
    if not inspect(engine).has_table("apscheduler_jobs"):
        return {}
    with engine.connect() as conn:
        return {r[0]: r[1] for r in conn.execute(
            text("SELECT id, next_run_time FROM apscheduler_jobs"))}


def service_status(engine: Engine, settings: Settings) -> dict[str, Any]:
    """What ``assurance status`` shows: jobs, findings by level, store, audit head."""
    next_runs = _next_runs(engine)
    jobs = []
    with session(engine) as s:
        for job in scheduled_jobs(settings):
            last = s.exec(select(AuditEvent).where(
                AuditEvent.action == "job.run",
                col(AuditEvent.subject).startswith(f"job:{job.name}@"))
                .order_by(col(AuditEvent.seq).desc())).first()
            details = json.loads(last.details) if last else {}
            nxt = next_runs.get(job.name)
            jobs.append({"name": job.name, "type": job.type, "cron": job.cron,
                         "next_run": datetime.fromtimestamp(nxt, UTC) if nxt else None,
                         "last_run": last.at if last else None,
                         "last_outcome": details.get("outcome"),
                         "last_summary": details.get("summary")})
        by_level = dict(s.exec(select(Finding.level, func.count()).where(
            col(Finding.open).is_(True)).group_by(Finding.level)).all())
        report = audit.verify(s)
    return {"jobs": jobs, "open_findings_by_level": by_level, "store": store_counts(engine),
            "notifications": outbox.status_report(engine, limit=0).counts,
            "audit_ok": report.ok, "audit_events": report.events, "audit_head": report.head}
