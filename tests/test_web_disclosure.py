"""Through the web layer, a staff network member never sees an exact small count.

A property test: Hypothesis draws an organisation's WRES return (relative likelihood of
appointment, board membership, bands, and a division's figures) with small groups forced in;
the store is built through the real importers and the shipped rule packs; then a network
member's session reads every page the dashboard has for it (overview, every indicator, the
division, the findings list and every finding, audit, subscriptions). On every page each count
cell and each "a/b" pair is the suppression symbol or a rounded count, never 1 to the policy's
threshold; and the exact-counts notice of a board paper never appears.

The app is the real one (Starlette's TestClient drives it in-process; the HTTP tests serve it
with uvicorn). Cookies are not ``Secure`` here only because TestClient's base URL is http.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from assurance import api
from assurance.disclosure import policy_for
from helpers import METRIC_HEADER, write_csv
from web import create_app
from web.accounts import add_account
from web_support import store_with_divisions

ORG = "WEB01"
AT = datetime(2025, 6, 1, 9, tzinfo=UTC)
AS_OF = date(2025, 6, 1)
PASSWORD = "correct horse battery staple"
CELL = re.compile(r'<span class="app-count">([^<]*)</span>')
PAIR = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})*|\*)/(\d{1,3}(?:,\d{3})*|\*)(?![\d.,/])")
LINK = re.compile(r'href="(/(?:org|findings)/[^"?#]+)"')

small = st.integers(1, 7)
group = st.one_of(small, st.integers(8, 40), st.integers(41, 2500))


@st.composite
def returns(draw: st.DrawFn) -> list[tuple[object, ...]]:
    """Two years of one organisation's figures, small groups likely, plus a division's."""
    rows: list[tuple[object, ...]] = []
    for year in (2024, 2025):
        p = f"wres:{year}"
        for breakdown in ("", "division:surgery"):
            white, bme = draw(group), draw(group)
            rows += [(ORG, p, "wres.2", "white", breakdown, draw(st.integers(0, white)), white,
                      "", ""),
                     (ORG, p, "wres.2", "bme", breakdown, draw(st.integers(0, bme)), bme, "", "")]
        voting = draw(st.integers(8, 14))
        bme_b = draw(st.integers(0, 3))
        for g, n in (("bme", bme_b), ("white", voting - bme_b - 1), ("unknown", 1)):
            rows.append((ORG, p, "wres.9", g, "board_voting", n, voting, "", ""))
        sizes = [draw(st.one_of(small, st.integers(8, 400), st.just(0))) for _ in range(3)]
        sizes[1] = max(sizes[1], 8)
        for band in ("band:5", "band:8c"):
            rows += [(ORG, p, "wres.1", g, band, n, sum(sizes), "", "")
                     for g, n in zip(("bme", "white", "unknown"), sizes, strict=True)]
    return rows


def _number(text: str) -> int | None:
    t = text.replace(",", "").strip()
    return int(t) if t.isdigit() else None


def _pages(client: TestClient) -> dict[str, str]:
    """Every page a network member can reach from the start page, by following links."""
    seen: dict[str, str] = {}
    todo = ["/", f"/org/{ORG}", "/findings?all=1", "/audit", "/subscriptions", "/downloads",
            f"/org/{ORG}/division/surgery"]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        r = client.get(path, follow_redirects=False)
        assert r.status_code in (200, 303), (path, r.status_code)
        seen[path] = r.text
        todo += [p for p in LINK.findall(r.text) if p not in seen and "/downloads/" not in p]
    return seen


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=returns())
def test_a_network_member_never_sees_a_count_below_the_threshold_on_any_page(
        rows: list[tuple[object, ...]], _sqlite_template: Path,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    tmp = tmp_path_factory.mktemp(f"web-{uuid.uuid4().hex[:6]}")
    s, engine = store_with_divisions(tmp, _sqlite_template, ORG, ("surgery",))
    api.import_file(engine, s, write_csv(tmp / "m.csv", METRIC_HEADER, rows), actor="test",
                    at=AT)
    api.evaluate_and_record(engine, s, as_of=AS_OF, at=AT, actor="test")
    add_account(engine, username="nia", password=PASSWORD, role="network", actor="t", at=AT)
    policy = policy_for(s, s.web.roles["network"])
    assert not policy.exact
    with TestClient(create_app(s, {}, engine=engine)) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token
        r = client.post("/login", data={"username": "nia", "password": PASSWORD,
                                        "csrf_token": token.group(1)}, follow_redirects=False)
        assert r.status_code == 303
        pages = _pages(client)
    engine.dispose()
    assert any("/indicator/" in p for p in pages) and any("/findings/" in p for p in pages)
    assert any(CELL.search(html) for html in pages.values())  # counts were shown somewhere
    for path, html in pages.items():
        assert "Restricted: this paper shows exact counts" not in html, path
        shown = CELL.findall(html) + [x for pair in PAIR.findall(html) for x in pair]
        for text in shown:
            n = _number(text)
            assert text.strip() in ("", policy.symbol) or n is not None, (path, text)
            if n is not None:
                assert not policy.low <= n <= policy.high, (path, text)
                assert n % policy.rounding == 0, (path, text)
