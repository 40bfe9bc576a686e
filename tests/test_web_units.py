"""The dashboard's small parts on their own: the sign-in limiter, CSRF tokens, the roles an
OIDC claim maps to, the ``[web]`` config section, chart geometry and the vendored frontend."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from assurance import api
from assurance.config import parse_settings
from assurance.models import Finding
from assurance.problems import ProblemsError
from assurance.report_context import SeriesPoint
from helpers import METRIC_HEADER, write_csv
from web import create_app
from web.accounts import add_account
from web.auth import role_from_claims
from web.charts import trend_chart
from web.security import LoginLimiter, csrf_ok, csrf_token
from web_support import store_with_divisions

STATIC = Path(__file__).resolve().parents[1] / "web" / "static"
ORG = "WEB01"
AT = datetime(2025, 6, 1, 9, tzinfo=UTC)
PASSWORD = "correct horse battery staple"


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


def _small_division_store(tmp: Path, template: Path) -> tuple[Any, Any]:
    """One organisation with three divisions' WRES 2 figures: Surgery's rest on small counts
    (so it and Medicine, the next smallest, are shown only combined), Estates' do not."""
    s, engine = store_with_divisions(tmp, template, ORG, ("surgery", "medicine", "estates"))
    sizes = {"": ((100, 480), (10, 155)), "division:surgery": ((20, 60), (2, 5)),
             "division:medicine": ((30, 120), (10, 50)),
             "division:estates": ((50, 300), (20, 100))}
    rows = [(ORG, f"wres:{year}", "wres.2", g, b, n, d, "", "")
            for year in (2024, 2025) for b, groups in sizes.items()
            for g, (n, d) in zip(("white", "bme"), groups, strict=True)]
    api.import_file(engine, s, write_csv(tmp / "m.csv", METRIC_HEADER, rows), actor="test",
                    at=AT)
    api.evaluate_and_record(engine, s, as_of=AT.date(), at=AT, actor="test")
    for name, role in (("nia", "network"), ("bea", "board")):
        add_account(engine, username=name, password=PASSWORD, role=role, actor="t", at=AT)
    return s, engine


def _client_for(app: Any, username: str) -> TestClient:
    client = TestClient(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    r = client.post("/login", data={"username": username, "password": PASSWORD,
                                    "csrf_token": token.group(1)}, follow_redirects=False)
    assert r.status_code == 303
    return client


COMBINED_WORDS = ("their figures rest on numbers small enough to identify people, and showing "
                  "one alone would let the others give it away")


def test_a_small_division_is_shown_only_combined_to_a_suppressed_audience(
        _sqlite_template: Path, tmp_path: Path) -> None:
    s, engine = _small_division_store(tmp_path, _sqlite_template)
    app = create_app(s, {}, engine=engine)
    network, board = _client_for(app, "nia"), _client_for(app, "bea")
    page = lambda c, code: c.get(f"/org/{ORG}/division/{code}").text  # noqa: E731
    surgery, medicine, estates = (page(network, c) for c in ("surgery", "medicine", "estates"))
    assert f"Shown combined with Medicine: {COMBINED_WORDS}." in surgery
    assert f"Shown combined with Surgery: {COMBINED_WORDS}." in medicine
    for name, html in (("Surgery", surgery), ("Medicine", medicine)):
        assert f"in {name} by period" not in html  # no history
        assert 'class="app-count"' not in html and "app-chart" not in html  # no figure
    assert "in Estates by period" in estates and "Shown combined" not in estates
    listed = network.get(f"/org/{ORG}/divisions").text
    assert "Surgery" in listed and 'class="app-count"' not in listed
    assert "Relative likelihood" not in listed
    # A finding scoped to the combined division shows its figure no more than the page does.
    with Session(engine) as db:
        trust = db.exec(select(Finding).where(Finding.org_code == ORG, Finding.scope == "",
                                              col(Finding.rule_id).startswith("wres.2"))
                        ).first()
        assert trust is not None and trust.facts != "{}"
        trust_id = trust.id
        scoped = Finding(**{**trust.model_dump(), "id": None, "scope": "division:surgery",
                            "fingerprint": "test-surgery", "open": True})
        db.add(scoped)
        db.commit()
        db.refresh(scoped)
        scoped_id = scoped.id
    shown = network.get(f"/findings/{scoped_id}").text
    assert f"Shown combined with Medicine: {COMBINED_WORDS}." in shown
    assert 'class="app-count"' not in shown and "Counts behind the figure" not in shown
    assert "Counts behind the figure" in network.get(f"/findings/{trust_id}").text
    # An exact audience (a board member) sees every division on its own, as before.
    exact = page(board, "surgery")
    assert "in Surgery by period" in exact and "Shown combined" not in exact
    assert "Shown combined" not in board.get(f"/findings/{scoped_id}").text
    engine.dispose()
