"""``report board --all`` (and ``report well-led --all``, ``pack build --all``): every
accountable organisation's output, one file each under the single command's name, written
in parallel processes; one failure is named and the others are still written."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import col, select

from assurance import api
from assurance.config import Settings, parse_settings
from assurance.db import session
from assurance.models import AuditEvent
from helpers import register_orgs
from report_support import AS_OF, AT, CODES, small_store, store_url_for
from reports.outputs import sha256_file
from reports.prose import BUILTIN

ACCOUNTABLE = ("SYN01", "SYN02", "SYN03")


def _names(name: str, codes: tuple[str, ...], suffix: str = ".docx") -> set[str]:
    return {f"{c}-{AS_OF.isoformat()}-{name}{suffix}" for c in codes}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small SQLite store with three accountable trusts, built once for the module."""
    folder = tmp_path_factory.mktemp("report-all")
    with store_url_for("sqlite", folder) as url:
        small_store(url, folder, organisations={"accountable": list(ACCOUNTABLE)})
    return folder


def _config(folder: Path, *, accountable: tuple[str, ...] = ACCOUNTABLE,
            templates: Path | None = None) -> Path:
    cfg = folder / "config.toml"
    codes = ", ".join(f'"{c}"' for c in accountable)
    cfg.write_text(f'[database]\nurl = "sqlite:///{folder / "store.db"}"\n\n'
                   f"[organisations]\naccountable = [{codes}]\n\n"
                   f'[reports]\noutput_dir = "{folder / "out"}"\n'
                   + (f'templates_dir = "{templates}"\n' if templates else ""))
    return cfg


def _cli(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assurance.cli", "--config", str(cfg), *args],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(params=["sqlite", "postgres"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    with store_url_for(request.param, tmp_path) as url:
        yield small_store(url, tmp_path, organisations={"accountable": list(ACCOUNTABLE)})


def test_board_all_writes_each_accountable_organisations_report_under_the_single_name(
        any_store: Settings, tmp_path: Path) -> None:
    seen: list[str] = []
    result = api.render_all(any_store, "board", as_of=AS_OF, actor="batch-test", at=AT,
                            out_dir=tmp_path / "papers", workers=2,
                            progress=lambda w: seen.append(w.org_code))
    assert not result.failed and result.workers == 2
    assert sorted(seen) == list(ACCOUNTABLE)  # a line per report, as each is written
    assert {p.name for p in (tmp_path / "papers").iterdir()} == _names("board", ACCOUNTABLE)
    assert [w.org_code for w in result.written] == list(ACCOUNTABLE)
    # Each records report.board with the file's digest, as the single command does.
    engine = api.connect(any_store)
    with session(engine) as s:
        events = s.exec(select(AuditEvent).where(col(AuditEvent.action) == "report.board",
                                                 col(AuditEvent.actor) == "batch-test")).all()
    engine.dispose()
    digests = {e.subject: json.loads(e.details)["sha256"] for e in events}
    assert digests == {f"org:{w.org_code}": sha256_file(w.path) for w in result.written
                       if w.path is not None}


def test_without_accountable_organisations_every_one_with_figures_gets_a_report(
        folder: Path, tmp_path: Path) -> None:
    work = tmp_path / "copy"
    shutil.copytree(folder, work, ignore=shutil.ignore_patterns("out"))
    settings = parse_settings({"database": {"url": f"sqlite:///{work / 'store.db'}"}},
                              base_dir=work, where="<test>", env={})
    engine = api.connect(settings)
    register_orgs(engine, tmp_path, "RZZ")  # in the register, but no figures
    engine.dispose()
    result = api.render_all(settings, "board", as_of=AS_OF, actor="test", at=AT,
                            out_dir=tmp_path / "all", workers=2)
    assert [w.org_code for w in result.written] == list(CODES)
    assert not result.failed


def test_one_failing_report_is_named_the_others_are_written_and_the_exit_is_1(
        folder: Path, tmp_path: Path) -> None:
    templates = tmp_path / "templates" / "board"
    templates.mkdir(parents=True)
    cover = (BUILTIN / "board" / "cover.j2").read_text(encoding="utf-8")
    # Fails for one organisation only: an undefined name is an error (StrictUndefined).
    (templates / "cover.j2").write_text(
        cover + '\n{% if ctx.organisation.code == "SYN02" %}{{ ctx.no_such_field }}{% endif %}\n',
        encoding="utf-8")
    out = tmp_path / "papers"
    run = _cli(_config(folder, templates=tmp_path / "templates"), "report", "board", "--all",
               "--as-of", AS_OF.isoformat(), "--out", str(out), "--workers", "2")
    assert run.returncode == 1, run.stderr
    assert {p.name for p in out.iterdir()} == _names("board", ("SYN01", "SYN03"))
    assert "SYN02: error: " in run.stderr and "cover.j2" in run.stderr
    assert "no_such_field" in run.stderr
    assert "2 of 3 board outputs written" in run.stdout and "1 failed: SYN02" in run.stdout
    for code in ("SYN01", "SYN03"):
        assert f"wrote {out / f'{code}-{AS_OF.isoformat()}-board.docx'}" in run.stdout


@pytest.mark.parametrize(("args", "expected"), [
    (["--all", "--org", "SYN01"], "--org: error: found 'SYN01' with --all"),
    ([], "--org: error: missing; expected an organisation code"),
])
def test_all_with_an_organisation_or_neither_is_refused_with_exit_2(
        folder: Path, tmp_path: Path, args: list[str], expected: str) -> None:
    run = _cli(_config(folder), "report", "board", "--as-of", AS_OF.isoformat(),
               "--out", str(tmp_path / "x"), *args)
    assert run.returncode == 2
    assert expected in run.stderr
    assert not (tmp_path / "x").exists()


def test_an_accountable_code_not_in_the_register_is_refused_with_exit_2(
        folder: Path, tmp_path: Path) -> None:
    run = _cli(_config(folder, accountable=("SYN01", "RNOPE")), "report", "board", "--all",
               "--as-of", AS_OF.isoformat(), "--out", str(tmp_path / "x"))
    assert run.returncode == 2
    assert "RNOPE" in run.stderr
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(("command", "name", "suffix"), [
    (["report", "well-led"], "well-led", ".docx"),
    (["pack", "build"], "pack", ".zip"),
])
def test_well_led_and_packs_take_all_too(folder: Path, tmp_path: Path, command: list[str],
                                         name: str, suffix: str) -> None:
    out = tmp_path / name
    run = _cli(_config(folder), *command, "--all", "--as-of", AS_OF.isoformat(),
               "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert {p.name for p in out.iterdir()} == _names(name, ACCOUNTABLE, suffix)
    assert f"3 of 3 {name} outputs written" in run.stdout
    if name == "pack":
        verify = _cli(_config(folder), "pack", "verify", str(out / f"SYN01-{AS_OF}-pack.zip"))
        assert verify.returncode == 0, verify.stdout + verify.stderr


def test_all_on_a_store_without_figures_or_accountable_organisations_is_refused(
        tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "empty.db"}"\n')
    run = _cli(cfg, "report", "board", "--all", "--as-of", AS_OF.isoformat(),
               "--out", str(tmp_path / "x"))
    assert run.returncode == 2
    assert "--all: error: no organisation to report on" in run.stderr
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("args,expected", [
    (["report", "board", "--org", "SYN01", "--out", "{folder}"], "--out: error: {folder} is a "
     "folder; expected the path of the file to write"),
    (["pack", "build", "--org", "SYN01", "--out", "{folder}"], "--out: error: {folder} is a "
     "folder"),
    (["report", "board", "--org", "SYN01", "--as-of", "9999-12-31"], "--as-of: error: found "
     "'9999-12-31'; expected a date from 1990-01-01 to 2100-12-31"),
    (["returns", "template", "{folder}", "--year", "0"], "--year: error: found 0"),
])
def test_an_output_that_cannot_be_written_is_refused_before_anything_is_made(
        folder: Path, tmp_path: Path, args: list[str], expected: str) -> None:
    # A folder as --out was a traceback (IsADirectoryError) leaving 'out.part' behind; a
    # date past 2107 was a traceback from the zip's timestamps.
    target = tmp_path / "out"
    target.mkdir()
    run = _cli(_config(folder), *[a.format(folder=target) for a in args])
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    assert expected.format(folder=target) in run.stderr, run.stderr
    assert list(tmp_path.iterdir()) == [target] and not list(target.iterdir())
