"""The dashboard in a real browser: Debian's chromium driven by Playwright (never a
downloaded browser), on the real app served by uvicorn.

* Every page of a copy of the demo store passes axe-core with no serious or critical
  violation (WCAG 2.2 AA rules), and a screenshot of each is kept in ``tests/web/artefacts``.
* A board member signs in with a local account, acknowledges a finding, sees the
  acknowledgement in the audit chain page, and the delivery that follows replies in the
  finding's thread on the loopback Slack server.

Skipped, saying why, only when ``/usr/bin/chromium`` is not installed (``.ci/run`` installs it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from assurance import api, outbox
from assurance.config import Settings, parse_settings
from assurance.models import Finding
from conftest import AT, DemoBuild, copy_demo
from outbox_support import ENV, FakeClock, build_channels, make_world, slack_table
from servers import FakeSlackServer
from web_support import PASSWORD, ROLE_USERS, add_users, ensure_division, serve

pytest_plugins = ["conftest_servers"]

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "web" / "axe" / "axe.min.js"
ARTEFACTS = Path(__file__).parent / "web" / "artefacts"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.is_file(), reason="Debian's chromium is not installed "
                       "(apt-get install chromium; .ci/run does it): browser tests skipped"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM),
                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()


def artefact(name: str) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / ".gitignore").write_text("*\n")
    return ARTEFACTS / name


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/$"))


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page (WCAG 2.x A/AA + best practice)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))  # evaluated by the driver, not a <script>
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values:
            ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}});
        return {passes: r.passes.length, violations: r.violations.map(v => ({id: v.id,
                impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))};
    }""")
    assert result["passes"] > 10  # axe really ran its rules on this page
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.fixture(scope="module")
def demo_site(demo_build: DemoBuild, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[tuple[str, Engine]]:
    settings = copy_demo(demo_build, tmp_path_factory.mktemp("web-browser") / "demo")
    engine = api.connect(settings)
    add_users(engine)
    ensure_division(engine)
    with serve(settings, engine) as served:
        yield served.url, engine
    engine.dispose()


def test_every_page_has_no_serious_or_critical_accessibility_violation(
        browser: Any, demo_site: tuple[str, Engine]) -> None:
    base, engine = demo_site
    with Session(engine) as s:
        f = s.exec(select(Finding).where(Finding.org_code == "SYN01",
                                         col(Finding.open).is_(True))).first()
    assert f is not None
    pages = {"login": "/login", "organisations": "/", "overview": "/org/SYN01",
             "indicator": f"/org/SYN01/indicator/{f.rule_id}", "findings": "/findings",
             "finding": f"/findings/{f.id}", "subscriptions": "/subscriptions",
             "audit": "/audit", "downloads": "/downloads", "divisions": "/org/SYN01/divisions",
             "division": "/org/SYN01/division/surgery"}
    context = browser.new_context()
    page = context.new_page()
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text)
            if "Content Security Policy" in m.text else None)
    found: dict[str, list[dict[str, Any]]] = {}
    page.goto(base + "/login")
    found["login"] = axe_violations(page)
    page.screenshot(path=str(artefact("login.png")), full_page=True)
    sign_in(page, base, ROLE_USERS["board"])
    for name, path in pages.items():
        if name == "login":
            continue
        response = page.goto(base + path)
        assert response is not None and response.status == 200, path
        assert page.locator("header.nhsuk-header").count() == 1
        found[name] = axe_violations(page)
        page.screenshot(path=str(artefact(f"{name}.png")), full_page=True)
    context.close()
    assert {k: v for k, v in found.items() if v} == {}
    assert csp_errors == []  # the page's own scripts and styles all load under the CSP


def _world(engine: Engine, tmp: Path, slack: FakeSlackServer) -> tuple[Settings, Any]:
    channel = slack_table(slack)
    base = {"database": {"url": str(engine.url)}, "organisations": {"accountable": ["SYT01"]},
            "channels": {"edi": channel},
            "subscriptions": [{"name": "edi-team", "channel": "edi", "audience": "board"}]}
    w = make_world(engine, tmp, parse_settings(base, base_dir=tmp, where="<test>", env={}))
    w.settings = parse_settings({**base, "rules": {"paths": [str(tmp / "t.yaml")]}},
                                base_dir=tmp, where="<test>", env={})
    return w.settings, w


def test_a_board_member_acknowledges_a_finding_and_sees_it_in_the_audit_chain_and_thread(
        browser: Any, sqlite_engine: Engine, tmp_path: Path, slack_server: FakeSlackServer
        ) -> None:
    settings, w = _world(sqlite_engine, tmp_path, slack_server)
    opened = w.breach(2024, as_of=date(2024, 6, 1))
    assert [t.event.kind for t in opened] == ["opened"]
    clock = FakeClock(AT)
    outbox.deliver(sqlite_engine, settings, build_channels(settings), now=clock.now,
                   sleep=clock.sleep)
    assert len(slack_server.calls("chat.postMessage")) == 1
    threads = {m.get("thread_ts") for m in slack_server.messages.values()}
    assert threads == {None}  # one parent message, no replies yet
    finding_id = opened[0].finding.id
    add_users(sqlite_engine)
    with serve(settings, sqlite_engine) as served:
        context = browser.new_context()
        page = context.new_page()
        sign_in(page, served.url, ROLE_USERS["board"])
        page.get_by_role("link", name="Findings").first.click()
        page.get_by_role("link", name=re.compile(r"t\.wres2")).click()
        page.wait_for_url(re.compile(rf".*/findings/{finding_id}$"))
        page.screenshot(path=str(artefact("finding-before-ack.png")), full_page=True)
        page.locator("#ack-note").fill("Recruitment review commissioned")
        page.get_by_role("button", name="Acknowledge").click()
        page.wait_for_url(re.compile(rf".*/findings/{finding_id}$"))
        assert page.get_by_role("status").inner_text().strip().endswith(
            "Recruitment review commissioned")
        assert f"Acknowledged by {ROLE_USERS['board']}" in page.content()
        page.get_by_role("link", name="Audit chain").click()
        row = page.locator("tr", has_text="finding.acknowledged").first
        assert ROLE_USERS["board"] in row.inner_text()
        page.screenshot(path=str(artefact("audit-after-ack.png")), full_page=True)
        context.close()
    api.notify(sqlite_engine, settings, ENV)  # the acknowledgement was made now, in real time
    replies = [m for m in slack_server.messages.values() if m.get("thread_ts")]
    parent_message = next(m for m in slack_server.messages.values() if not m.get("thread_ts"))
    assert len(replies) == 1 and replies[0]["thread_ts"] == parent_message["ts"]
    assert "Recruitment review commissioned" in json.dumps(replies[0])
