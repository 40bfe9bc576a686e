"""The dashboard over real HTTP (uvicorn on a loopback port) on a copy of the demo store:
headers on every response, nothing for anonymous visitors, CSRF, sessions, sign-in limits,
roles, and the finding forms calling the same lifecycle the CLI does."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from assurance import api, audit, routing
from assurance.config import Settings
from assurance.models import AuditEvent, AuditHead, Finding, FindingEvent
from conftest import DemoBuild, copy_demo
from web.accounts import add_account
from web_support import (
    PASSWORD,
    ROLE_USERS,
    Client,
    Served,
    add_users,
    ensure_division,
    serve,
    signed_in,
)

PAGES = ["/", "/org/SYN01", "/findings", "/findings?all=1", "/subscriptions", "/audit",
         "/downloads", "/org/SYN01/divisions"]


@pytest.fixture(scope="module")
def site(demo_build: DemoBuild, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[Served, Engine, Settings]]:
    settings = copy_demo(demo_build, tmp_path_factory.mktemp("web-http") / "demo")
    engine = api.connect(settings)
    add_users(engine)
    ensure_division(engine)  # the demo may register it already
    add_account(engine, username="dora.division", password=PASSWORD, role="division_owner",
                org_code="SYN01", division="surgery", actor="test", at=datetime.now(UTC))
    with serve(settings, engine) as served:
        yield served, engine, settings
    engine.dispose()


def open_finding(engine: Engine, org: str = "SYN01") -> Finding:
    with Session(engine) as s:
        return s.exec(select(Finding).where(col(Finding.open).is_(True),
                                            Finding.org_code == org, Finding.scope == "")
                      .order_by(col(Finding.id))).first()  # type: ignore[return-value]


def audit_seq(engine: Engine) -> int:
    with Session(engine) as s:
        return s.exec(select(AuditHead)).one().seq


def events_of(engine: Engine, finding_id: int | None) -> list[FindingEvent]:
    with Session(engine) as s:
        return list(s.exec(select(FindingEvent).where(FindingEvent.finding_id == finding_id)))


def test_every_response_carries_the_security_headers(site: tuple[Served, Engine, Settings]
                                                     ) -> None:
    served, _, _ = site
    anonymous, board = Client(served.url), signed_in(served.url, "board")
    responses = [anonymous.get("/login"), anonymous.get("/"), anonymous.get("/no-such-page"),
                 anonymous.get("/static/nhsuk/nhsuk-frontend.min.css"),
                 anonymous.post("/findings/1/acknowledge", data={"note": "x"}),
                 *(board.get(p) for p in PAGES)]
    for r in responses:
        csp = r.headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, r.url
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"
        assert r.headers["x-frame-options"] == "DENY"


def test_pages_are_nhsuk_frontend_markup_with_no_inline_script_or_style(
        site: tuple[Served, Engine, Settings]) -> None:
    served, _, _ = site
    board = signed_in(served.url, "board")
    for path in PAGES:
        html = board.get(path).text
        assert 'class="nhsuk-header"' in html and 'class="nhsuk-footer"' in html, path
        assert '/static/nhsuk/nhsuk-frontend.min.css' in html
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path  # every script is a file
        assert not re.search(r"\sstyle=|<style", html), path
    css = board.get("/static/nhsuk/nhsuk-frontend.min.css").text
    assert "https://" not in css and "http://" not in css  # no CDN at run time


def test_an_anonymous_visitor_is_sent_to_sign_in_and_reads_nothing(
        site: tuple[Served, Engine, Settings]) -> None:
    served, engine, _ = site
    f = open_finding(engine)
    anonymous = Client(served.url)
    for path in [*PAGES, f"/findings/{f.id}", "/org/SYN01/indicator/" + f.rule_id,
                 "/downloads/SYN01/board", "/org/SYN01/division/surgery"]:
        r = anonymous.get(path)
        assert r.status_code == 303 and r.headers["location"] == "/login", path
        assert f.title not in r.text and "SYN01" not in r.text
    page = anonymous.get("/login")
    assert page.status_code == 200 and "Sign in" in page.text and f.title not in page.text


def test_a_post_without_a_session_or_a_token_changes_nothing(
        site: tuple[Served, Engine, Settings]) -> None:
    served, engine, _ = site
    f = open_finding(engine, "SYN02")
    before_events, before_seq = len(events_of(engine, f.id)), audit_seq(engine)
    form = {"note": "forged"}
    anonymous = Client(served.url)
    assert anonymous.post(f"/findings/{f.id}/acknowledge", data=form).status_code == 403
    assert anonymous.post(f"/findings/{f.id}/acknowledge",
                          data={**form, "csrf_token": anonymous.token()}).status_code == 403
    board = signed_in(served.url, "board")
    after_sign_in = audit_seq(engine)
    assert board.post(f"/findings/{f.id}/acknowledge", data=form).status_code == 403
    assert board.post(f"/findings/{f.id}/acknowledge",
                      data={**form, "csrf_token": "x" * 43}).status_code == 403
    other = signed_in(served.url, "admin")  # another session's token is not this session's
    assert board.post(f"/findings/{f.id}/acknowledge",
                      data={**form, "csrf_token": other.token("/findings")}).status_code == 403
    assert len(events_of(engine, f.id)) == before_events
    assert audit_seq(engine) == after_sign_in + 1 == before_seq + 2  # the two sign-ins only
    with Session(engine) as s:
        assert s.get(Finding, f.id).ack_by is None  # type: ignore[union-attr]
    # The same form with the session's own token does change it.
    r = board.post(f"/findings/{f.id}/acknowledge",
                   data={**form, "csrf_token": board.token(f"/findings/{f.id}")})
    assert r.status_code == 303
    with Session(engine) as s:
        assert s.get(Finding, f.id).ack_by == ROLE_USERS["board"]  # type: ignore[union-attr]


def test_the_session_cookie_is_secure_httponly_and_samesite(
        site: tuple[Served, Engine, Settings]) -> None:
    served, _, _ = site
    c = Client(served.url)
    c.get("/login")
    r = c.sign_in(ROLE_USERS["board"])
    cookie = r.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "max-age=28800" in cookie  # web.session_minutes (480) by default
    c.post("/logout", data={"csrf_token": c.token("/")})
    assert c.get("/").status_code == 303  # signed out: back to the sign-in page


def test_finding_forms_go_through_the_lifecycle_and_the_audit_chain(
        site: tuple[Served, Engine, Settings]) -> None:
    served, engine, _ = site
    f = open_finding(engine, "SYN03")
    c = signed_in(served.url, "executive")
    page = f"/findings/{f.id}"
    assert c.post(page + "/assign", data={"owner": "Chief People Officer", "due": "2099-03-31",
                                          "note": "Review shortlisting",
                                          "csrf_token": c.token(page)}).status_code == 303
    assert c.post(page + "/comment", data={"text": "Discussed at committee",
                                           "csrf_token": c.token(page)}).status_code == 303
    bad = c.post(page + "/silence", data={"reason": "known", "approver": "Chair",
                                          "until": "2001-01-01", "csrf_token": c.token(page)})
    assert bad.status_code == 400 and "must be after" in bad.text
    kinds = [e.kind for e in events_of(engine, f.id)]
    assert kinds[-2:] == ["assigned", "commented"]
    with Session(engine) as s:
        row = s.get(Finding, f.id)
        assert row is not None and row.action_owner == "Chief People Officer"
        actions = [e.action for e in s.exec(select(AuditEvent).order_by(
            col(AuditEvent.seq).desc()).limit(3))]
    assert actions[:2] == ["finding.commented", "finding.assigned"]
    assert api.verify_audit(engine).ok
    shown = c.get("/audit").text
    assert "finding.commented" in shown and "finding.assigned" in shown


def test_read_only_roles_cannot_change_a_finding(site: tuple[Served, Engine, Settings]) -> None:
    served, engine, _ = site
    f = open_finding(engine, "SYN04")
    for role in ("network", "regulator"):
        c = signed_in(served.url, role)
        page = c.get(f"/findings/{f.id}")
        assert page.status_code == 200 and "/acknowledge" not in page.text
        r = c.post(f"/findings/{f.id}/acknowledge",
                   data={"note": "no", "csrf_token": c.token(f"/findings/{f.id}")})
        assert r.status_code == 403
    with Session(engine) as s:
        assert s.get(Finding, f.id).ack_by is None  # type: ignore[union-attr]


def test_downloads_are_for_exact_audiences_only(site: tuple[Served, Engine, Settings]) -> None:
    served, _, settings = site
    board, network = signed_in(served.url, "board"), signed_in(served.url, "network")
    r = board.get("/downloads/SYN01/board")
    assert r.status_code == 200 and r.content[:2] == b"PK"  # a .docx is a zip
    assert r.content == (settings.reports.output_dir / "SYN01-2025-06-01-board.docx").read_bytes()
    assert network.get("/downloads/SYN01/board").status_code == 403
    assert "/downloads/SYN01/board" not in network.get("/downloads").text


def test_a_division_owner_sees_their_division_only(site: tuple[Served, Engine, Settings]
                                                   ) -> None:
    served, engine, _ = site
    d = ensure_division(engine)
    c = Client(served.url)
    assert c.sign_in("dora.division").status_code == 303
    home = c.get("/")
    assert home.status_code == 303 and home.headers["location"] == "/org/SYN01/division/surgery"
    page = c.get("/org/SYN01/division/surgery")
    assert page.status_code == 200 and f"<h1>{d.name}</h1>" in page.text
    assert f"Accountable owner: {d.owner or 'not recorded'}." in page.text
    assert c.get("/org/SYN02").status_code == 403
    assert c.get("/org/SYN01/division/medicine").status_code == 403
    listed = c.get("/findings").text
    assert "SYN02" not in re.sub(r"<[^>]+>", " ", listed)


def test_sign_in_is_limited_per_account_and_per_address_and_every_attempt_is_audited(
        site: tuple[Served, Engine, Settings]) -> None:
    _, engine, settings = site
    limit = settings.web.login_attempts
    name = ROLE_USERS["regulator"]
    with serve(settings, engine) as own:  # its own limiter: the other tests' sign-ins count
        c = Client(own.url)
        for _ in range(limit):
            assert c.sign_in(name, "wrong password!").status_code == 401
        assert c.sign_in(name).status_code == 429  # even the right password, for a while
        with Session(engine) as s:
            rows = list(s.exec(select(AuditEvent).where(
                AuditEvent.subject == f"web_account:{name}").order_by(col(AuditEvent.seq))))
        failed = [json.loads(e.details) for e in rows if e.action == "web.login_failed"]
        assert [d["reason"] for d in failed][-limit - 1:] == ["wrong password"] * limit + [
            "too many attempts"]
        assert all(d["client"] == "127.0.0.1" for d in failed)
        assert "wrong password!" not in "".join(e.details for e in rows)  # never the password
    with serve(settings, engine) as own:  # per address: other accounts, the same client
        c = Client(own.url)
        for i in range(limit):
            assert c.sign_in(f"nobody{i}", "guess").status_code == 401
        assert c.sign_in(ROLE_USERS["board"]).status_code == 429


def test_web_users_commands_add_list_and_disable_accounts(
        site: tuple[Served, Engine, Settings]) -> None:
    served, _, settings = site
    env = {**os.environ, "ASSURANCE_CONFIG": str(settings.source), "NEW_PW": PASSWORD}
    run = lambda *a: subprocess.run([sys.executable, "-m", "assurance.cli", *a],  # noqa: E731
                                    env=env, capture_output=True, text=True, timeout=120)
    bad = run("web-users", "add", "sam", "--role", "bord", "--password-env", "NEW_PW")
    assert bad.returncode == 2 and "unknown role 'bord'" in bad.stderr
    assert run("web-users", "add", "sam", "--role", "board",
               "--password-env", "NEW_PW").returncode == 0
    listed = run("web-users", "list").stdout
    assert "sam" in listed and "board" in listed and "argon2" not in listed
    sam = Client(served.url)
    assert sam.sign_in("sam").status_code == 303 and sam.get("/").status_code == 200
    assert run("web-users", "disable", "sam").returncode == 0
    assert Client(served.url).sign_in("sam").status_code == 401
    assert sam.get("/").status_code == 303  # the open session ended with the account
    short = run("web-users", "add", "tia", "--role", "board", "--password-env", "SHORT")
    assert short.returncode == 2 and "SHORT is not set" in short.stderr


def test_the_findings_list_pages_fifty_at_a_time(site: tuple[Served, Engine, Settings]) -> None:
    served, engine, settings = site
    with Session(engine) as s:
        total = len(list(s.exec(select(Finding.id).where(
            col(Finding.org_code).in_(settings.accountable)))))
    assert total > 50  # the demo has enough for two pages
    c = signed_in(served.url, "board")
    first, second = c.get("/findings?all=1").text, c.get("/findings?all=1&page=2").text
    assert f"Showing 1 to 50 of {total}." in first and 'href="/findings?all=1&amp;page=2"' in first
    assert f"Showing 51 to {min(100, total)} of {total}." in second
    ids = lambda html: set(re.findall(r'href="/findings/(\d+)"', html))  # noqa: E731
    assert len(ids(first)) == 50 and not ids(first) & ids(second)
    beyond = c.get("/findings?all=1&page=999")
    assert beyond.status_code == 303 and beyond.headers["location"].startswith("/findings?all=1")


def test_a_network_member_reads_the_audit_chain_without_event_details(
        site: tuple[Served, Engine, Settings]) -> None:
    served, engine, _ = site
    network, regulator = signed_in(served.url, "network"), signed_in(served.url, "regulator")
    for c in (network, regulator):
        page = c.get("/audit").text
        with Session(engine) as s:
            head = s.exec(select(AuditHead)).one()  # nothing is written by reading the page
        assert f'<code class="app-hash">{head.hash}</code>' in page
    assert "<th scope=\"col\" class=\"nhsuk-table__header\">Details</th>" not in network.get(
        "/audit").text
    assert "Details</th>" in regulator.get("/audit").text
    assert "The whole chain verifies" in regulator.get("/audit?verify=1").text


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def _scoped_finding(engine: Engine, org: str, scope: str) -> Finding:
    """An open finding of ``org`` scoped to ``scope`` (added when the demo has none)."""
    with Session(engine) as s:
        found = s.exec(select(Finding).where(Finding.org_code == org, Finding.scope == scope,
                                             col(Finding.open).is_(True))).first()
        if found is None:
            found = Finding(fingerprint=f"test-{org}-{scope}"[:40], rule_id="test.division",
                            pack="test", org_code=org, scope=scope,
                            title=f"Test finding for {scope}", severity="warning",
                            labels="{}", evidence="[]", status="breach", open=True,
                            updated_at=datetime.now(UTC))
            s.add(found)
            s.commit()
            s.refresh(found)
        return found


@pytest.fixture(scope="module")
def org_accounts(site: tuple[Served, Engine, Settings]) -> dict[str, Client]:
    """A network member and a regulator whose accounts carry organisation SYN01."""
    served, engine, _ = site
    at = datetime.now(UTC)
    out = {}
    for name, role in (("nico.network", "network"), ("reg.syn01", "regulator")):
        add_account(engine, username=name, password=PASSWORD, role=role, org_code="SYN01",
                    actor="test", at=at)
        c = Client(served.url)
        assert c.sign_in(name).status_code == 303
        out[role] = c
    return out


def test_an_account_with_an_organisation_sees_that_organisation_only(
        site: tuple[Served, Engine, Settings], org_accounts: dict[str, Client]) -> None:
    served, engine, _ = site
    c = org_accounts["network"]
    other = open_finding(engine, "SYN02")
    own = open_finding(engine, "SYN01")
    for path in ("/org/SYN02", f"/org/SYN02/indicator/{other.rule_id}", "/org/SYN02/divisions",
                 "/org/SYN02/division/surgery", f"/findings/{other.id}",
                 "/downloads/SYN02/board"):
        r = c.get(path)
        assert r.status_code in (403, 404), path
        assert other.title not in r.text and "SYN02" not in _text(r.text), path
    assert c.get("/org/SYN01").status_code == 200
    assert c.get(f"/findings/{own.id}").status_code == 200
    home = _text(c.get("/").text)
    assert "SYN01" in home and "SYN02" not in home
    listed = _text(c.get("/findings?all=1").text)
    assert "SYN01" in listed and "SYN02" not in listed
    # An account without an organisation still sees every organisation, as before.
    everyone = signed_in(served.url, "network")
    assert everyone.get("/org/SYN02").status_code == 200
    assert everyone.get(f"/findings/{other.id}").status_code == 200


def test_the_download_route_refuses_another_organisation(
        site: tuple[Served, Engine, Settings], org_accounts: dict[str, Client]) -> None:
    _, _, settings = site
    assert (settings.reports.output_dir / "SYN02-2025-06-01-board.docx").is_file()
    regulator = org_accounts["regulator"]  # an exact audience: downloads are allowed
    assert regulator.get("/downloads/SYN01/board").status_code == 200
    assert regulator.get("/downloads/SYN02/board").status_code == 403
    assert "/downloads/SYN02/" not in regulator.get("/downloads").text
    assert "/downloads/SYN01/board" in regulator.get("/downloads").text


def test_a_division_owner_sees_and_changes_only_their_divisions_findings(
        site: tuple[Served, Engine, Settings]) -> None:
    served, engine, _ = site
    mine = _scoped_finding(engine, "SYN01", "division:surgery")
    theirs = _scoped_finding(engine, "SYN01", "division:medicine")
    trust = open_finding(engine, "SYN01")  # scope "": the whole trust's
    c = Client(served.url)
    assert c.sign_in("dora.division").status_code == 303
    assert c.get(f"/findings/{mine.id}").status_code == 200
    for f in (theirs, trust):
        r = c.get(f"/findings/{f.id}")
        assert r.status_code == 403 and f.title not in r.text
        page = f"/findings/{mine.id}"
        assert c.post(f"/findings/{f.id}/acknowledge",
                      data={"note": "no", "csrf_token": c.token(page)}).status_code == 403
    listed = c.get("/findings?all=1").text
    ids = set(re.findall(r'href="/findings/(\d+)"', listed))
    assert str(mine.id) in ids and str(theirs.id) not in ids and str(trust.id) not in ids
    with Session(engine) as s:
        scopes = {f.scope for f in s.exec(select(Finding).where(
            col(Finding.id).in_([int(i) for i in ids])))}
    assert scopes == {"division:surgery"}


def test_only_a_regulator_or_an_administrator_may_verify_the_whole_chain(
        site: tuple[Served, Engine, Settings]) -> None:
    served, _, _ = site
    for role in ("network", "board", "executive"):
        page = signed_in(served.url, role).get("/audit?verify=1")
        assert page.status_code == 200
        assert "The whole chain verifies" not in page.text and "Broken:" not in page.text
        assert "for regulators and administrators only" in page.text
        assert 'href="/audit?verify=1"' not in page.text
    for role in ("regulator", "admin"):
        assert "The whole chain verifies" in signed_in(served.url, role).get(
            "/audit?verify=1").text


def _audit_seqs(html: str) -> list[int]:
    rows = re.findall(r'<tr class="nhsuk-table__row">\s*<td class="nhsuk-table__cell">(\d+)</td>',
                      html)
    return [int(r) for r in rows]


def test_an_organisations_account_sees_only_its_audit_events_and_subscriptions(
        site: tuple[Served, Engine, Settings], org_accounts: dict[str, Client]) -> None:
    served, engine, settings = site
    at = datetime.now(UTC)
    with Session(engine) as s:
        for org in ("SYN01", "SYN02"):  # the newest events: each names one organisation
            audit.append(s, at=at, actor="test", action="test.event", subject=f"test:{org}",
                         details={"org": org})
        routing.add_subscription(s, settings, name="syn02-only", channel="board",
                                 audience="board", match={"organisation": ["SYN02"]},
                                 actor="test", at=at)
        s.commit()
    everyone = signed_in(served.url, "regulator")
    pages = {who: c.get("/audit").text for who, c in org_accounts.items()}
    division_owner = Client(served.url)
    assert division_owner.sign_in("dora.division").status_code == 303
    owner_page, every_page = division_owner.get("/audit").text, everyone.get("/audit").text
    with Session(engine) as s:  # read after the pages: signing in appends events
        details = {e.seq: (e.actor, e.details) for e in s.exec(select(AuditEvent))}
    assert any('"org":"SYN02"' in details[q][1] for q in _audit_seqs(every_page)), \
        "the whole service's account sees every organisation's events"
    for who, page in pages.items():
        seqs = _audit_seqs(page)
        assert seqs and "only the events that name it" in page, who
        for q in seqs:
            actor, said = details[q]
            assert '"org":"SYN01"' in said or actor in ("nico.network", "reg.syn01"), q
        subs = org_accounts[who].get("/subscriptions").text
        assert "syn02-only" not in subs and "race-equality-network" in subs
    assert "syn02-only" in everyone.get("/subscriptions").text
    assert all(details[q][0] == "dora.division" for q in _audit_seqs(owner_page))
