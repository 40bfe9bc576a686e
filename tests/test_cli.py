"""The command line end to end: the demo, imports with exit codes, audit verification."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import NSS_FILE, DemoBuild
from helpers import METRIC_HEADER, write_csv


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assurance.cli", *args], cwd=cwd,
                          capture_output=True, text=True, env={**os.environ, **(env or {})},
                          timeout=600)


def test_demo_builds_a_populated_store_offline_and_says_where(demo_build: DemoBuild) -> None:
    stdout = demo_build.stdout
    assert "SYNTHETIC" in stdout and "metrics.csv" in stdout
    assert (demo_build.folder / "assurance.db").is_file()
    if NSS_FILE.is_file():
        assert "263" in stdout


def test_importing_a_bad_file_exits_2_and_names_the_cell(demo_build: DemoBuild,
                                                         tmp_path: Path) -> None:
    shutil.copytree(demo_build.folder, tmp_path / "out")  # the import is tried on a copy
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "out" / "assurance.db"}"\n')
    bad = write_csv(tmp_path / "bad.csv", METRIC_HEADER,
                    [("SYN01", "wres:2024", "wres.2", "white", "", 5, 3, "", "")])
    proc = run(["--config", str(cfg), "import", str(bad)], cwd=tmp_path)
    assert proc.returncode == 2
    assert f"{bad}:2:numerator: error: numerator 5 is larger than denominator 3" in proc.stderr
    assert "nothing was changed" in proc.stderr
    status = run(["--config", str(cfg), "audit", "verify"], cwd=tmp_path)
    assert status.returncode == 0 and "audit chain OK" in status.stdout


def test_a_bad_config_exits_3_listing_every_problem(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("[databse]\n[statistics]\nconfidence = 2.0\n")
    proc = run(["--config", str(cfg), "status"], cwd=tmp_path)
    assert proc.returncode == 3
    assert "databse: unknown section (did you mean 'database'?)" in proc.stderr
    assert "statistics.confidence: unknown key" in proc.stderr


def test_the_demo_folder_is_ready_to_run_as_a_service(demo_build: DemoBuild) -> None:
    # A newcomer can `cd` into the demo folder and run the bot: its config passes the same
    # checks `assurance run` applies, and status lists the jobs that will fire.
    folder = demo_build.folder
    check = run(["config", "check"], cwd=folder)
    assert check.returncode == 0, check.stderr
    status = run(["status", "--json"], cwd=folder)
    assert status.returncode == 0, status.stderr
    for job in ('"name": "inbox"', '"name": "evaluate"', '"name": "notify"',
                '"name": "heartbeat"'):
        assert job in status.stdout


def test_config_check_reports_a_channel_problem_once_even_with_a_notify_job(
        tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "s.db"}"\n'
                   '[channels.team]\ntype = "slack"\nchannel = "C1"\ntoken_env = "NO_SUCH_VAR"\n'
                   '[schedule.jobs.notify]\ntype = "notify"\ncron = "*/5 * * * *"\n')
    proc = run(["--config", str(cfg), "config", "check"], cwd=tmp_path,
               env={"NO_SUCH_VAR": ""})
    assert proc.returncode == 3
    assert proc.stderr.count("channels.team.token_env") == 1, proc.stderr
    assert f"{cfg}: error: {cfg}" not in proc.stderr
