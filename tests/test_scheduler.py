"""``assurance run`` as real processes: scheduled jobs fire, bad files are moved aside, the
service survives, SQLite refuses a second instance, and on PostgreSQL several instances never
run the same scheduled run twice — even when one is killed mid-job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import text

from assurance.db import open_store
from helpers import METRIC_HEADER, ORG_HEADER, write_csv


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


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    return out


def test_service_imports_watched_files_moves_bad_ones_aside_and_keeps_running(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    watch = tmp_path / "inbox"
    watch.mkdir()
    proc = start(config(tmp_path, url, watch))
    try:
        write_csv(watch / "orgs.csv", ORG_HEADER, [("SYT01", "Synthetic Test Trust", "acute",
                                                    "London", "x", "Acute", "yes")])
        assert wait_for(lambda: (watch / "processed" / "orgs.csv").exists())
        write_csv(watch / "bad.csv", METRIC_HEADER, [("SYT01", "wres:2025", "wres.2", "white",
                                                      "", 9, 3, "", "")])
        assert wait_for(lambda: (watch / "rejected" / "bad.csv").exists())
        reason = (watch / "rejected" / "bad.csv.reason.txt").read_text()
        assert "bad.csv:2:numerator: error: numerator 9 is larger than denominator 3" in reason
        write_csv(watch / "good.csv", METRIC_HEADER, [("SYT01", "wres:2025", "wres.2", "white",
                                                       "", 3, 9, "", "")])
        assert wait_for(lambda: (watch / "processed" / "good.csv").exists())
        assert wait_for(lambda: len(job_runs(url, "evaluate")) >= 2)
    finally:
        out = stop(proc)
    assert "Scheduler has been shut down" in out
    status = subprocess.run([sys.executable, "-m", "assurance.cli", "--config",
                             str(tmp_path / "config.toml"), "status", "--json"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert '"name": "inbox"' in status.stdout and '"last_outcome": "ok"' in status.stdout


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
    from datetime import UTC, datetime

    from assurance import api
    from assurance.config import JobSettings, parse_settings
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


def test_a_run_missed_while_the_service_was_killed_is_caught_up_once_after_restart(
        tmp_path: Path) -> None:
    from datetime import datetime

    url = f"sqlite:///{tmp_path / 's.db'}"
    cfg = config(tmp_path, url, cron="*/20 * * * * *")
    first = start(cfg)
    try:
        assert wait_for(lambda: len(job_runs(url, "evaluate")) >= 1, timeout=40)
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    # Stay down across the next fire time, then come back.
    now = datetime.now()
    time.sleep(20 - now.second % 20 + 4)
    second = start(cfg)
    try:
        assert wait_for(lambda: len(job_runs(url, "evaluate")) >= 2, timeout=30)
    finally:
        out = stop(second)
    assert "was missed; running it now as a catch-up" in out
    runs = job_runs(url, "evaluate")
    assert len(runs) == len(set(runs))
    engine = open_store(url)
    with engine.connect() as conn:
        missed = conn.execute(text("SELECT count(*) FROM audit_event WHERE action = 'job.missed'"
                                   )).scalar_one()
    engine.dispose()
    assert missed == 1
