"""The dashboard's small parts on their own: the sign-in limiter, CSRF tokens, the roles an
OIDC claim maps to, the ``[web]`` config section, chart geometry and the vendored frontend."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assurance.config import parse_settings
from assurance.problems import ProblemsError
from assurance.report_context import SeriesPoint
from web.auth import role_from_claims
from web.charts import trend_chart
from web.security import LoginLimiter, csrf_ok, csrf_token

STATIC = Path(__file__).resolve().parents[1] / "web" / "static"


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_the_limiter_blocks_a_key_after_its_attempts_until_the_window_passes() -> None:
    clock = Clock()
    lim = LoginLimiter(3, 60, clock)
    for _ in range(3):
        assert not lim.blocked("user:a", "ip:1")
        lim.failed("user:a", "ip:1")
    assert lim.blocked("user:a") and lim.blocked("ip:1") and not lim.blocked("user:b")
    clock.t = 59.9
    assert lim.blocked("user:a")
    clock.t = 60.1
    assert not lim.blocked("user:a", "ip:1")


def test_a_success_clears_the_account_but_not_the_address() -> None:
    lim = LoginLimiter(2, 60, Clock())
    lim.failed("user:a", "ip:1")
    lim.failed("user:a", "ip:1")
    lim.succeeded("user:a")
    assert not lim.blocked("user:a") and lim.blocked("ip:1")


def test_a_csrf_token_matches_only_its_own_session() -> None:
    mine: dict[str, object] = {}
    token = csrf_token(mine)
    assert csrf_token(mine) == token and len(token) >= 32
    assert csrf_ok(mine, token)
    assert not csrf_ok(mine, token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert not csrf_ok({}, token) and not csrf_ok(mine, None) and not csrf_ok(mine, "")
    assert not csrf_ok({"csrf": "short"}, "short")


def test_the_highest_role_a_persons_claims_map_to_wins() -> None:
    roles = {"EDI.Board": "board", "EDI.Network": "network", "EDI.Admin": "admin"}
    assert role_from_claims({"roles": ["EDI.Network", "EDI.Board"]}, "roles", roles) == "board"
    assert role_from_claims({"roles": "EDI.Network"}, "roles", roles) == "network"
    assert role_from_claims({"groups": ["EDI.Admin"]}, "groups", roles) == "admin"
    assert role_from_claims({"roles": ["Other"]}, "roles", roles) is None
    assert role_from_claims({}, "roles", roles) is None


def test_the_web_section_is_read_and_every_mistake_is_named() -> None:
    s = parse_settings({"web": {"session_minutes": 30, "roles": {"division_owner": "board"},
                                "oidc": {"issuer": "https://login.example/v2.0",
                                         "client_id": "abc", "client_secret_env": "OIDC_SECRET",
                                         "role_map": {"EDI.Board": "board"}}}},
                       base_dir=Path("."), where="config.toml", env={})
    assert s.web.session_minutes == 30 and s.web.roles["division_owner"] == "board"
    assert s.web.roles["network"] == "network"
    assert s.web.oidc is not None and s.web.oidc.role_map == {"EDI.Board": "board"}
    with pytest.raises(ProblemsError) as exc:
        parse_settings({"web": {"sesion_minutes": 30, "login_attempts": 0,
                                "roles": {"network": "board", "boss": "board"},
                                "oidc": {"issuer": "http://x", "client_secret": "s3cret",
                                         "role_map": {"X": "king"}}}},
                       base_dir=Path("."), where="config.toml", env={})
    text = "\n".join(str(p) for p in exc.value.problems)
    for expected in ("web.sesion_minutes: unknown key (did you mean 'session_minutes'?)",
                     "web.login_attempts: expected a whole number of at least 1",
                     "web.roles.boss: unknown role", "web.roles.network: a network member",
                     "web.oidc.client_secret: secrets never go in config.toml",
                     "web.oidc.client_id: required", "web.oidc.issuer: expected an https://",
                     "web.oidc.role_map.X: unknown role 'king'"):
        assert expected in text
    assert "s3cret" not in text


def test_a_trend_chart_leaves_withheld_points_as_gaps_and_says_so() -> None:
    series = [SeriesPoint("2023", "2023", 1.2, 1.0, 1.0, 1.4),
              SeriesPoint("2024", "2024", None, None),
              SeriesPoint("2025", "2025", 1.5, 1.1, 1.3, 1.7)]
    chart = trend_chart(series, unit="ratio", title="WRES 2", series_label="Relative likelihood")
    assert [p.label for p in chart.points] == ["2023", "2025"]
    line = dict(chart.paths)["app-chart__line"]
    assert line.count("M") == 2 and "L" not in line  # no line drawn through the withheld year
    assert "1 withheld or not calculable" in chart.description
    assert trend_chart([SeriesPoint("2024", "2024", None)], unit="ratio", title="t",
                       series_label="x").empty


def test_the_vendored_frontend_loads_nothing_from_another_site() -> None:
    css = (STATIC / "nhsuk" / "nhsuk-frontend.min.css").read_text()
    assert not re.search(r"url\((?!/static/)", css) and "@font-face" not in css
    assert (STATIC / "nhsuk" / "LICENSE").read_text().startswith("MIT License")
    assert "10.6.1" in (STATIC / "nhsuk" / "VENDORED.md").read_text()
    for name in re.findall(r"url\(/static/([^)]+)\)", css):
        assert (STATIC / name).is_file(), name
