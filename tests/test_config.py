"""Configuration: defaults, the shipped config.toml, and every problem reported with its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from assurance.config import load_settings
from assurance.problems import ProblemsError
from conftest import ROOT


def test_defaults_need_no_file() -> None:
    s = load_settings(None)
    assert s.database_url.startswith("sqlite:///") and s.statistics.non_adverse_high == 1.25
    assert s.audiences["network"].exact_counts is False and s.audiences["board"].exact_counts


def test_shipped_config_is_valid() -> None:
    s = load_settings(ROOT / "config.toml", env={})
    assert s.timezone == "Europe/London"
    assert s.database_url.startswith("sqlite:///") and str(ROOT) in s.database_url


def test_every_config_problem_is_reported_with_its_key_path(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("""
[database]
ur = "sqlite:///x.db"
[statistics]
non_adverse_low = 1.1
confidence = "high"
[disclosure.audiences.netwrk]
exact_counts = true
[schedule]
timezone = "Europe/Londn"
[[subscriptions]]
channel = "slack-race"
audience = "everyone"
[reprots]
""")
    with pytest.raises(ProblemsError) as exc:
        load_settings(path)
    text = str(exc.value)
    for expected in [
        "database.ur: unknown key (did you mean 'url'?)",
        "statistics: non_adverse_low must be below 1",
        "statistics.confidence: unknown key",
        "disclosure.audiences.netwrk: unknown audience (did you mean 'network'?)",
        "schedule.timezone: unknown time zone 'Europe/Londn'",
        "subscriptions[0].channel: unknown channel 'slack-race'",
        "subscriptions[0].audience: unknown audience 'everyone'",
        "reprots: unknown section (did you mean 'reports'?)",
    ]:
        assert f"{path}: error: {expected}" in text
    assert len(exc.value.problems) == 8


def test_secrets_come_from_the_environment_variable_the_config_names(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[database]\nurl_env = "ASSURANCE_DB_URL"\n')
    with pytest.raises(ProblemsError, match="environment variable ASSURANCE_DB_URL is not set"):
        load_settings(path, env={})
    s = load_settings(path, env={"ASSURANCE_DB_URL": "postgresql+psycopg://u:secret@h/db"})
    assert s.database_url == "postgresql+psycopg://u:secret@h/db"


def test_invalid_toml_gives_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[database]\nurl = "unterminated\n')
    with pytest.raises(ProblemsError) as exc:
        load_settings(path)
    assert str(exc.value).startswith(f"{path}:2:")


def test_accountable_organisations_are_codes(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[organisations]\naccountable = ["rxx ", "RYY"]\n')
    assert load_settings(path, env={}).accountable == ("RXX", "RYY")
    path.write_text('[organisations]\naccountable = ["RXX", 7]\n')
    with pytest.raises(ProblemsError) as exc:
        load_settings(path, env={})
    assert "organisations.accountable: expected a list of organisation codes" in str(exc.value)


def test_subscription_scope_and_digest_settings_are_read_and_checked(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[channels.c]\ntype = "console"\n[[subscriptions]]\nchannel = "c"\n'
                    'orgs = ["ryj", "RXX"]\npeers = true\nmode = "weekly"\n'
                    'digest_time = "07:30"\ndigest_weekday = "Friday"\n')
    sub = load_settings(good).subscriptions[0]
    assert (sub.orgs, sub.peers, sub.mode, sub.digest_time, sub.digest_weekday) == (
        ("RYJ", "RXX"), True, "weekly", "07:30", "friday")
    bad = tmp_path / "bad.toml"
    bad.write_text('[channels.c]\ntype = "console"\n[[subscriptions]]\nchannel = "c"\n'
                   'orgs = "RYJ"\nmode = "hourly"\ndigest_time = "25:00"\n'
                   'digest_weekday = "mondy"\n')
    with pytest.raises(ProblemsError) as e:
        load_settings(bad)
    text = str(e.value)
    for where in ("subscriptions[0].orgs", "subscriptions[0].mode",
                  "subscriptions[0].digest_time", "subscriptions[0].digest_weekday"):
        assert where in text
    assert "did you mean 'monday'" in text
