"""``assurance run`` as real processes: scheduled jobs fire, bad files are moved aside, the
service survives, SQLite refuses a second instance, on PostgreSQL several instances never
run the same scheduled run twice — even when one is killed mid-job — and a run missed while
the service was down is caught up once.

No test waits for a cron time on the wall clock: jobs fire every second or two, and the
missed run is set up by an instance driven by an injected clock, an hour in the past.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from assurance.config import JobSettings, load_settings, parse_settings
from assurance.db import open_store
from assurance.jobs import run_import, run_subject
from assurance.scheduler import Service, latest_fire_time, trigger_for
from helpers import METRIC_HEADER, ORG_HEADER, write_csv

SETTLED = 60.0  # seconds since a file was last written: long past the inbox's settle time


def start(cfg: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "assurance.cli", "--config", str(cfg), "run",
                             "--recovery-seconds", "3", *extra], cwd=cfg.parent, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait_for(predicate, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def job_runs(url: str, job: str) -> list[str]:
    engine = open_store(url)
    with engine.connect() as conn:
        rows = [r[0] for r in conn.execute(text(
            "SELECT subject FROM audit_event WHERE action = 'job.run' AND subject LIKE :p"),
            {"p": f"job:{job}@%"})]
    engine.dispose()
    return rows


def config(tmp_path: Path, url: str, watch: Path | None = None, cron: str = "*/2 * * * * *",
           extra: str = "") -> Path:
    cfg = tmp_path / "config.toml"
    body = f'[database]\nurl = "{url}"\n[schedule.jobs.evaluate]\ntype = "evaluate"\n' \
           f'cron = "{cron}"\n'
    if watch is not None:
        body += f'[schedule.jobs.inbox]\ntype = "import"\ncron = "*/1 * * * * *"\n' \
                f'folder = "{watch}"\n'
    cfg.write_text(body + extra)
    return cfg


def settled(path: Path) -> Path:
    """Date the file back, as if it finished copying in a minute ago (the inbox leaves a file
    alone until it has not changed for ``settle_seconds``, 5 by default)."""
    then = time.time() - SETTLED
    os.utime(path, (then, then))
    return path


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    return out


@pytest.mark.slow
def test_service_imports_watched_files_moves_bad_ones_aside_and_keeps_running(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    watch = tmp_path / "inbox"
    watch.mkdir()
    proc = start(config(tmp_path, url, watch))
    try:
        settled(write_csv(watch / "orgs.csv", ORG_HEADER, [
            ("SYT01", "Synthetic Test Trust", "acute", "London", "x", "Acute", "yes")]))
        assert wait_for(lambda: (watch / "processed" / "orgs.csv").exists())
        settled(write_csv(watch / "bad.csv", METRIC_HEADER, [
            ("SYT01", "wres:2025", "wres.2", "white", "", 9, 3, "", "")]))
        assert wait_for(lambda: (watch / "rejected" / "bad.csv").exists())
        reason = (watch / "rejected" / "bad.csv.reason.txt").read_text()
        assert "bad.csv:2:numerator: error: numerator 9 is larger than denominator 3" in reason
        settled(write_csv(watch / "good.csv", METRIC_HEADER, [
            ("SYT01", "wres:2025", "wres.2", "white", "", 3, 9, "", "")]))
        assert wait_for(lambda: (watch / "processed" / "good.csv").exists())
        assert wait_for(lambda: len(job_runs(url, "evaluate")) >= 2)
    finally:
        out = stop(proc)
    assert "Scheduler has been shut down" in out
    status = subprocess.run([sys.executable, "-m", "assurance.cli", "--config",
                             str(tmp_path / "config.toml"), "status", "--json"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert '"name": "inbox"' in status.stdout and '"last_outcome": "ok"' in status.stdout


def test_a_file_still_being_copied_in_is_left_for_a_later_run(tmp_path: Path) -> None:
    settings = parse_settings({"database": {"url": f"sqlite:///{tmp_path / 's.db'}"}},
                              base_dir=tmp_path, where="<t>", env={})
    engine = open_store(settings.database_url)
    watch = tmp_path / "inbox"
    watch.mkdir()
    job = JobSettings("inbox", "import", "* * * * *", {"folder": str(watch)})
    orgs = write_csv(watch / "orgs.csv", ORG_HEADER, [
        ("SYT01", "Synthetic Test Trust", "acute", "London", "x", "Acute", "yes")])
    (watch / "metrics.csv.part").write_text("half a file")
    written = datetime.fromtimestamp(orgs.stat().st_mtime, UTC)

    early = run_import(engine, settings, job, written + timedelta(seconds=4))
    later = run_import(engine, settings, job, written + timedelta(seconds=6))

    assert early.details == {"imported": [], "rejected": []}
    assert later.details == {"imported": ["orgs.csv: imported"], "rejected": []}
    assert (watch / "processed" / "orgs.csv").exists()
    assert (watch / "metrics.csv.part").exists()  # a partial download is never picked up
    engine.dispose()


@pytest.mark.slow
def test_a_second_instance_on_sqlite_refuses_to_start(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    cfg = config(tmp_path, url)
    first = start(cfg)
    try:
        assert wait_for(lambda: len(job_runs(url, "evaluate")) >= 1)
        second = start(cfg)
        out, _ = second.communicate(timeout=60)
        assert second.returncode == 3
        assert "only one instance may run on SQLite" in out
    finally:
        stop(first)


def test_bad_job_configuration_is_refused_with_every_problem(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "s.db"}"\n'
                   '[schedule.jobs.a]\ntype = "evaluat"\ncron = "* * * * *"\n'
                   '[schedule.jobs.b]\ntype = "evaluate"\ncron = "61 * * * *"\n'
                   '[schedule.jobs.c]\ntype = "evaluate"\ncron = "0 6 * * 1"\n'
                   f'[schedule.jobs.d]\ntype = "import"\ncron = "* * * * *"\n'
                   f'folder = "{tmp_path / "missing"}"\n')
    proc = subprocess.run([sys.executable, "-m", "assurance.cli", "--config", str(cfg), "run"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 3
    err = proc.stderr
    assert "schedule.jobs.a.type: unknown job type 'evaluat' (did you mean 'evaluate'?)" in err
    assert "schedule.jobs.b.cron:" in err
    assert "schedule.jobs.c.cron: weekday field '1' uses numbers" in err
    assert "schedule.jobs.d.folder:" in err and "does not exist" in err


@pytest.mark.slow
def test_two_instances_on_postgresql_never_run_the_same_scheduled_run_twice_even_after_a_kill(
        pg_url: str, tmp_path: Path) -> None:
    cfg = config(tmp_path, pg_url, cron="*/1 * * * * *")
    a, b = start(cfg), start(cfg)
    try:
        assert wait_for(lambda: len(job_runs(pg_url, "evaluate")) >= 4)
        os.kill(a.pid, signal.SIGKILL)  # the instance dies wherever it is, perhaps mid-job
        a.wait(timeout=10)
        before = len(job_runs(pg_url, "evaluate"))
        assert wait_for(lambda: len(job_runs(pg_url, "evaluate")) >= before + 4, timeout=20)
    finally:
        if a.poll() is None:
            a.kill()
        stop(b)
    runs = job_runs(pg_url, "evaluate")
    dupes = {k: v for k, v in Counter(runs).items() if v > 1}
    assert dupes == {}


def test_board_reports_job_writes_each_report_once_before_the_committee(tmp_path: Path) -> None:
    from assurance import api
    from assurance.jobs import run_board_reports
    from assurance.synthetic import write_demo_set

    settings = parse_settings({"database": {"url": f"sqlite:///{tmp_path / 's.db'}"},
                               "reports": {"output_dir": "out"}}, base_dir=tmp_path,
                              where="<t>", env={})
    engine = api.connect(settings)
    orgs, metrics = write_demo_set(tmp_path / "data")
    at = datetime(2025, 6, 3, 7, 0, tzinfo=UTC)
    for f in (orgs, metrics):
        api.import_file(engine, settings, f, actor="t", at=at)
    job = JobSettings("papers", "board_reports", "0 7 * * *",
                      {"orgs": ["SYN02"], "committee_dates": ["2025-06-10", "2025-09-10"],
                       "days_before": 7})
    first = run_board_reports(engine, settings, job, at)
    again = run_board_reports(engine, settings, job, at)
    assert first.details["written"] == [str(tmp_path / "out" / "committee-2025-06-10" /
                                            "SYN02-board.docx")]
    assert again.details["written"] == []


@pytest.mark.slow
def test_a_run_missed_while_the_service_was_down_is_caught_up_once_after_restart(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    # An hourly job whose latest fire time was half an hour ago: no fire time falls inside
    # the test, so only the restarted service's catch-up can run it.
    cron = f"{(datetime.now(UTC).minute + 30) % 60} * * * *"
    cfg = config(tmp_path, url, cron=cron)
    settings = load_settings(cfg)
    trigger = trigger_for(cron, settings.timezone)
    missed = latest_fire_time(trigger, datetime.now(ZoneInfo(settings.timezone)))
    assert missed is not None
    ran = latest_fire_time(trigger, missed - timedelta(seconds=1))
    assert ran is not None
    # The first instance, on a clock an hour back: its scheduler fires the job on time, then
    # the instance dies (no shutdown, nothing more recorded) and stays down past ``missed``.
    first = Service(settings, recovery_seconds=3, clock=lambda: ran + timedelta(seconds=1))
    assert first.fire("evaluate") == "ran"
    first.engine.dispose()
    assert job_runs(url, "evaluate") == [run_subject("evaluate", ran)]

    second = start(cfg, "--recovery-seconds", "1")  # the real service, on the real clock
    try:
        assert wait_for(lambda: len(job_runs(url, "evaluate")) >= 2, timeout=30)
    finally:
        out = stop(second)
    assert "was missed; running it now as a catch-up" in out
    runs = job_runs(url, "evaluate")
    assert len(runs) == len(set(runs))
    assert sorted(runs) == sorted(run_subject("evaluate", t) for t in (ran, missed))
    engine = open_store(url)
    with engine.connect() as conn:
        missed_alerts = conn.execute(text(
            "SELECT count(*) FROM audit_event WHERE action = 'job.missed'")).scalar_one()
    engine.dispose()
    assert missed_alerts == 1
