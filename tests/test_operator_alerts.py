"""Operators hear about job errors and missed runs on the channel marked ``fallback``."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.engine import Engine

from assurance import api
from assurance.config import parse_settings
from conftest import AT


def test_an_operator_alert_reaches_the_fallback_channel(sqlite_engine: Engine, tmp_path: Path
                                                       ) -> None:
    ops = tmp_path / "ops.jsonl"
    settings = parse_settings({"channels": {
        "ops": {"type": "console", "path": str(ops), "fallback": True, "rate_per_second": 5},
        "network": {"type": "console", "path": str(tmp_path / "network.jsonl")}}},
        base_dir=tmp_path, where="<test>", env={})
    assert api.alert_operators(sqlite_engine, settings, title="job.error evaluate", text="it broke",
                               at=AT, env={})
    (line,) = ops.read_text(encoding="utf-8").splitlines()
    assert "it broke" in json.dumps(json.loads(line))
    assert not (tmp_path / "network.jsonl").exists()


def test_without_a_fallback_channel_an_alert_is_reported_as_not_sent(sqlite_engine: Engine,
                                                                   tmp_path: Path) -> None:
    settings = parse_settings({"channels": {"network": {"type": "console",
                                                        "path": str(tmp_path / "n.jsonl")}}},
                              base_dir=tmp_path, where="<test>", env={})
    assert not api.alert_operators(sqlite_engine, settings, title="t", text="x", at=AT, env={})
