"""Routing: subscriptions match findings on labels and level, and say why they do or do not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from assurance import routing
from assurance.config import Settings, parse_settings
from assurance.models import AuditEvent, Finding
from assurance.problems import ProblemsError
from assurance.routing import Subscription
from conftest import AT


def settings(**extra: Any) -> Settings:
    doc = {"channels": {"race-network": {"type": "console"}, "board": {"type": "console"},
                        "edi": {"type": "console"}},
           "subscriptions": [
               {"name": "race", "channel": "race-network", "audience": "network",
                "match": {"characteristic": ["race"]}},
               {"name": "disability", "channel": "race-network", "audience": "network",
                "match": {"characteristic": "disability"}},
               {"name": "board", "channel": "board", "audience": "board",
                "min_level": "board_committee"},
               {"name": "wres-high", "channel": "edi", "audience": "executive",
                "match": {"standard": ["wres"], "severity": ["high", "critical"],
                          "rule": ["wres.2"]}},
           ], **extra}
    return parse_settings(doc, base_dir=Path.cwd(), where="<test>", env={})


def finding(**changes: Any) -> Finding:
    base: dict[str, Any] = dict(
        fingerprint="f" * 40, rule_id="wres.2.adverse", pack="wres", org_code="RXX",
        title="t", severity="high", labels=json.dumps({"standard": ["WRES"],
                                                        "characteristic": ["race"]}),
        evidence="[]", status="breach", open=True, level="edi_lead", updated_at=AT)
    return Finding(**{**base, **changes})


def decisions(f: Finding, s: Settings | None = None, **kw: Any) -> dict[str, routing.RouteDecision]:
    return {d.subscription.name: d for d in routing.explain(f, s or settings(), **kw)}


def test_a_staff_network_hears_about_its_characteristic_only() -> None:
    got = decisions(finding())
    assert got["race"].matched and not got["disability"].matched
    assert got["race"].reasons == ["characteristic race matches [race]"]
    assert got["disability"].reasons == ["characteristic race is not in [disability]"]


def test_min_level_holds_back_a_finding_until_it_reaches_that_level() -> None:
    low = decisions(finding())["board"]
    assert not low.matched
    assert low.reasons == ["level edi_lead is below min_level board_committee"]
    high = decisions(finding(), level="board_committee")["board"]
    assert high.matched and high.reasons == [
        "level board_committee is at or above min_level board_committee"]
    assert decisions(finding(level="regulator"))["board"].matched


def test_every_criterion_must_match_and_values_ignore_case() -> None:
    got = decisions(finding())["wres-high"]
    assert got.matched, got.reasons
    assert len(got.reasons) == 3
    assert not decisions(finding(severity="medium"))["wres-high"].matched
    assert not decisions(finding(rule_id="wres.20.x"))["wres-high"].matched  # dot boundary


def test_a_label_the_finding_lacks_is_named_in_the_reason() -> None:
    f = finding(labels=json.dumps({"standard": ["WDES"]}))
    assert decisions(f)["race"].reasons == [
        "the finding has no characteristic; the subscription wants [race]"]


def test_rule_prefix_and_organisation_matching() -> None:
    f = finding()
    for match, expected in [({"rule": ["wres"]}, True), ({"rule": ["wres.2.*"]}, True),
                            ({"rule": ["wres.2.adv"]}, False), ({"organisation": ["rxx"]}, True),
                            ({"organisation": ["RYY"]}, False), ({"pack": ["wres"]}, True),
                            ({"level": ["edi_lead", "board_committee"]}, True)]:
        sub = Subscription("s", "edi", "network", {k: tuple(v) for k, v in match.items()})
        assert routing.decide(sub, f, ("edi_lead", "board_committee")).matched is expected, match


def test_adding_a_subscription_reports_every_problem_at_once(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as s, pytest.raises(ProblemsError) as err:
        routing.add_subscription(s, settings(), name="race", channel="bord", audience="netwrk",
                                 match={"charcteristic": ["race"], "level": ["boss"]},
                                 min_level="board_comittee", repeat_every=-1, actor="t", at=AT)
    messages = [p.message for p in err.value.problems]
    assert messages == [
        "channel: unknown channel 'bord' (did you mean 'board'?); expected one of "
        "race-network, board, edi",
        "audience: unknown audience 'netwrk' (did you mean 'network'?); expected one of "
        "network, executive, board, regulator, public",
        "min_level: unknown level 'board_comittee' (did you mean 'board_committee'?); expected one of "
        "edi_lead, executive_lead, board_committee, regulator",
        "repeat_every: expected a whole number of periods >= 0, found -1",
        "match.charcteristic: unknown label (did you mean 'characteristic'?); expected one of "
        "standard, characteristic, topic, audience, severity, organisation, level, rule, pack",
        "match.level: unknown level 'boss'; expected one of edi_lead, executive_lead, "
        "board_committee, regulator",
        "name: 'race' already exists"]


def test_run_time_subscriptions_are_listed_routed_removed_and_audited(
        sqlite_engine: Engine) -> None:
    cfg = settings()
    with Session(sqlite_engine) as s, s.begin():
        added = routing.add_subscription(s, cfg, name="org-rxx", channel="edi", audience="board",
                                         match={"organisation": ["RXX"]}, actor="ops", at=AT)
    assert added.source == "store" and added.created_by == "ops"
    with Session(sqlite_engine) as s:
        subs = routing.list_subscriptions(s, cfg)
    assert [x.name for x in subs] == ["race", "disability", "board", "wres-high", "org-rxx"]
    assert routing.explain(finding(), cfg, subs)[-1].matched
    with Session(sqlite_engine) as s, s.begin():
        routing.remove_subscription(s, cfg, "org-rxx", actor="ops", at=AT)
    with Session(sqlite_engine) as s, pytest.raises(ProblemsError, match="defined in"):
        routing.remove_subscription(s, cfg, "race", actor="ops", at=AT)
    with Session(sqlite_engine) as s, pytest.raises(ProblemsError, match="did you mean 'race'"):
        routing.remove_subscription(s, cfg, "rase", actor="ops", at=AT)
    with Session(sqlite_engine) as s:
        actions = [e.action for e in s.exec(select(AuditEvent)).all()]
        assert [x.name for x in routing.list_subscriptions(s, cfg)][-1] == "wres-high"
    assert actions == ["subscription.add", "subscription.remove"]


def test_config_subscriptions_with_unknown_match_keys_are_reported() -> None:
    cfg = parse_settings({"channels": {"c": {"type": "console"}}, "subscriptions": [
        {"name": "a", "channel": "c", "match": {"severty": "high"}},
        {"name": "a", "channel": "c", "match": {"severity": "hgh"}}]},
        base_dir=Path.cwd(), where="<config>", env={})
    assert [str(p) for p in routing.check_subscriptions(cfg)] == [
        "<config>: error: subscriptions[0].match.severty: unknown label (did you mean "
        "'severity'?); expected one of standard, characteristic, topic, audience, severity, "
        "organisation, level, rule, pack",
        "<config>: error: subscriptions[1].match.severity: unknown severity 'hgh' (did you "
        "mean 'high'?); expected one of low, medium, high, critical",
        "<config>: error: subscriptions: name 'a' is used more than once"]


# ----------------------------------------------------------------------------- scope


def scoped(**sub: Any) -> Settings:
    """One network subscription (``sub`` adds scope keys) and organisations.accountable."""
    doc: dict[str, Any] = {
        "organisations": {"accountable": ["RXX", "RYY"]},
        "channels": {"race-network": {"type": "console"}},
        "subscriptions": [{"name": "race", "channel": "race-network", "audience": "network",
                           "match": {"characteristic": ["race"]}, **sub}]}
    return parse_settings(doc, base_dir=Path.cwd(), where="<test>", env={})


def test_a_subscription_hears_only_about_the_accountable_organisations_by_default() -> None:
    own, peer = decisions(finding(), scoped())["race"], decisions(
        finding(org_code="R1H"), scoped())["race"]
    assert own.matched and own.reasons == [
        "organisation RXX is in organisations.accountable",
        "characteristic race matches [race]"]
    assert not peer.matched
    assert peer.reasons[0] == ("organisation R1H is a peer, not in organisations.accountable "
                               "[RXX, RYY]; set peers = true to hear about peers")


def test_a_subscriptions_own_orgs_replace_the_accountable_list() -> None:
    cfg = scoped(orgs=["ryy"])
    assert not decisions(finding(), cfg)["race"].matched  # RXX is accountable, not its org
    got = decisions(finding(org_code="RYY"), cfg)["race"]
    assert got.matched and got.reasons[0] == "organisation RYY is in its orgs"


def test_peers_true_opts_in_to_every_organisation_and_labels_still_apply() -> None:
    cfg = scoped(peers=True)
    got = decisions(finding(org_code="R1H"), cfg)["race"]
    assert got.matched and got.reasons[0] == "peers = true: hears about every organisation"
    disability = finding(org_code="R1H", labels=json.dumps({"characteristic": ["disability"]}))
    assert not decisions(disability, cfg)["race"].matched


def test_without_any_scope_every_organisation_is_heard_and_config_check_warns() -> None:
    cfg = settings()  # no organisations.accountable, no orgs
    assert decisions(finding(org_code="R1H"), cfg)["race"].matched
    warnings = routing.scope_warnings(cfg)
    assert [p.severity for p in warnings] == ["warning"] * 4
    assert str(warnings[0]) == (
        "<config>: warning: subscriptions[0]: 'race' hears about every organisation in the "
        "register, peers included: it has no orgs and organisations.accountable is empty; "
        "expected orgs = [...] or organisations.accountable = [...] (or peers = true to say so)")
    assert routing.scope_warnings(scoped()) == []
    assert routing.scope_warnings(scoped(peers=True)) == []


def test_a_subscription_with_divisions_hears_only_about_those_divisions() -> None:
    cfg = scoped(divisions=["Surgery & Theatres"])
    own = decisions(finding(scope="division:surgery_theatres"), cfg)["race"]
    other = decisions(finding(scope="division:medicine"), cfg)["race"]
    trust = decisions(finding(), cfg)["race"]
    assert own.matched and "division surgery_theatres is in [Surgery & Theatres]" in own.reasons
    assert not other.matched
    assert "division medicine is not in [Surgery & Theatres]" in other.reasons
    assert not trust.matched
    assert trust.reasons[1].startswith("the finding is about the whole organisation")
    assert routing.scope_warnings(cfg) == []


def test_a_subscription_without_divisions_hears_about_division_findings_too() -> None:
    assert decisions(finding(scope="division:medicine"), scoped())["race"].matched


def test_run_time_subscriptions_are_scoped_to_the_accountable_organisations(
        sqlite_engine: Engine) -> None:
    cfg = scoped()
    with Session(sqlite_engine) as s, s.begin():
        routing.add_subscription(s, cfg, name="all-wres", channel="race-network",
                                 audience="network", match={"standard": ["WRES"]}, actor="ops",
                                 at=AT)
    with Session(sqlite_engine) as s:
        subs = routing.list_subscriptions(s, cfg)
    assert [x.name for x in routing.matching(finding(), cfg, subs)] == ["race", "all-wres"]
    assert routing.matching(finding(org_code="R1H"), cfg, subs) == []
