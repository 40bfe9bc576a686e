"""``assurance notifications preview``: what a channel would receive, disclosure applied,
without sending anything or changing the store."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from assurance.cli import app
from assurance.cli import base as cli_base
from assurance.config import load_settings
from assurance.db import open_store
from assurance.outbox.messages import from_json
from outbox_support import FakeClock, World, make_world

CONFIG = (Path(__file__).parent / "fixtures" / "notifications_preview.toml").read_text(
    encoding="utf-8")


@pytest.fixture
def world(tmp_path: Path) -> Any:
    cfg = tmp_path / "config.toml"
    cfg.write_text(CONFIG.format(db=tmp_path / "store.db", tmp=tmp_path), encoding="utf-8")
    settings = load_settings(cfg)
    engine = open_store(settings.database_url)
    w = make_world(engine, tmp_path, settings, orgs=("SYT01", "SYT02"))
    w.breach(2021)
    yield w, cfg
    engine.dispose()


def preview(cfg: Path, *args: str) -> Any:
    cli_base._state.clear()  # settings are cached per process: each run loads its own
    return CliRunner().invoke(app, ["--config", str(cfg), "notifications", "preview", *args])


def _snapshot(engine: Engine) -> tuple[Any, ...]:
    with engine.connect() as conn:
        return (conn.execute(text("SELECT * FROM notification ORDER BY id")).all(),
                conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one(),
                conn.execute(text("SELECT count(*) FROM thread")).scalar_one())


def test_preview_shows_each_message_and_the_digest_to_come_and_changes_nothing(
        world: tuple[World, Path], tmp_path: Path) -> None:
    w, cfg = world
    before = _snapshot(w.engine)
    network = preview(cfg, "--channel", "network")
    assert network.exit_code == 0, network.output
    assert "digest due · digest for race" in network.output
    assert "Daily digest for race" in network.output
    held = [from_json(n.message) for n in w.notifications() if n.subscription == "race"]
    for m in held:  # each line is the held message's own, disclosed headline
        assert m.headline in network.output
    executive = preview(cfg, "--channel", "exec")
    assert executive.exit_code == 0
    assert executive.output.count("pending · finding for leads") == 2
    assert "nothing was sent" in executive.output
    assert _snapshot(w.engine) == before
    assert not (tmp_path / "network.jsonl").exists() and not (tmp_path / "exec.jsonl").exists()


def test_the_previewed_digest_is_the_one_then_sent(world: tuple[World, Path],
                                                  tmp_path: Path) -> None:
    from assurance import outbox
    from outbox_support import build_channels

    w, cfg = world
    (doc,) = json.loads(preview(cfg, "--channel", "network", "--format", "json").output)
    assert doc["status"] == "digest due" and doc["message"]["event"] == "digest"
    clock = FakeClock(datetime.fromisoformat(doc["when"]) + timedelta(minutes=1))
    outbox.deliver(w.engine, w.settings, build_channels(w.settings), now=clock.now,
                   sleep=clock.sleep, per_channel_rate=1000.0)
    (sent,) = [json.loads(x) for x in (tmp_path / "network.jsonl").read_text().splitlines()]
    assert sent["idempotency_key"] == doc["message"]["idempotency_key"]
    assert sent["sections"] == doc["message"]["sections"]
    # Once sent, it is only shown when asked for what was sent since a date.
    after = preview(cfg, "--channel", "network").output
    assert "0 messages for channel network" in after
    since = preview(cfg, "--channel", "network", "--since", "2020-01-01").output
    assert "sent · digest for race" in since


def test_preview_as_csv_has_a_row_per_digest_line(world: tuple[World, Path]) -> None:
    w, cfg = world
    result = preview(cfg, "--channel", "network", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [(r["kind"], r["event"], r["organisation_code"]) for r in rows] == [
        ("digest", "opened", "SYT01"), ("digest", "opened", "SYT02")]


def test_an_unknown_channel_is_refused_with_a_hint(world: tuple[World, Path]) -> None:
    _, cfg = world
    result = preview(cfg, "--channel", "netwrok")
    assert result.exit_code == 2
    assert "no channel named 'netwrok' (did you mean 'network'?)" in result.output


def test_notify_digests_now_sends_the_previewed_digest_before_its_time(
        world: tuple[World, Path], tmp_path: Path) -> None:
    w, cfg = world
    cli_base._state.clear()
    result = CliRunner().invoke(app, ["--config", str(cfg), "notify", "--digests-now"])
    assert result.exit_code == 0, result.output
    assert "1 digest written early" in result.output
    (sent,) = [json.loads(x) for x in (tmp_path / "network.jsonl").read_text().splitlines()]
    assert sent["event"] == "digest" and len(sent["sections"]) == 2
    assert "0 messages for channel network" in preview(cfg, "--channel", "network").output
