"""Builders for the outbox tests: a store with real findings, channels, clocks, and readers of
what each loopback server received (by idempotency key).

Findings are made the way production makes them: organisations and metric counts imported
through the real importers, a rule pack evaluated, outcomes applied and the transitions
enqueued in the same transaction (as ``api.evaluate_and_record`` does once wired).

``python -c "…; outbox_support.main(CONFIG_JSON)"`` runs a deliverer in a child process (the
crash and PostgreSQL tests kill it or run two at once).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from assurance import outbox
from assurance.channels import Channel
from assurance.config import Settings, parse_settings
from assurance.db import open_store, session
from assurance.engine.evaluate import evaluate
from assurance.engine.rules import RulePack, load_packs
from assurance.findings import Transition, apply_outcomes
from assurance.ingest import run_import
from assurance.outbox.models import Notification
from conftest import AT
from connectors import SOURCES
from connectors.channels import build_channel
from helpers import METRIC_HEADER, ORG_HEADER, import_metrics, write_csv
from servers import FakeSlackServer, SmtpServer, WebhookReceiver

TESTS = Path(__file__).resolve().parent
HOSTILE = "<!channel> & <@U123>"
SLACK_TOKEN = "xoxb-test-token"
HOOK_SECRET = "hook-secret"
ENV = {"SLACK_TOKEN": SLACK_TOKEN, "HOOK_SECRET": HOOK_SECRET}

PACK = """
version: 1
pack: t
defaults:
  labels: {standard: WRES, characteristic: race, topic: recruitment}
rules:
  - id: t.wres2
    title: White applicants more likely to be appointed
    metric: wres.2
    when: {outside_range: {}}
    severity: high
    why: Outside the non-adverse range NHS England uses.
    action: Review each recruitment stage.
    escalate: {start: edi_lead, after_periods: ESCALATE_AFTER, max: board_committee,
               unacknowledged_working_days: 3}
"""


class FakeClock:
    """A clock that moves only when slept on (``sleep`` advances it instantly)."""

    def __init__(self, start: datetime = AT):
        self.at = start
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.at

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.at += timedelta(seconds=seconds)


def real_now() -> datetime:
    return datetime.now(UTC)


def slack_table(server: FakeSlackServer, channel: str = "C0001", **extra: Any) -> dict[str, Any]:
    """A Slack channel table; the SDK's own retries are off so the outbox does the retrying."""
    return {"type": "slack", "channel": channel, "token_env": "SLACK_TOKEN",
            "base_url": server.base_url, "max_retries": 0, "timeout": 5, **extra}


def hook_table(server: WebhookReceiver, path: str = "/hook", **extra: Any) -> dict[str, Any]:
    return {"type": "webhook", "url": f"{server.url}{path}", "secret_env": "HOOK_SECRET",
            "timeout": 5, **extra}


def mail_table(server: SmtpServer, **extra: Any) -> dict[str, Any]:
    return {"type": "email", "host": server.host, "port": server.port, "security": "none",
            "from": "bot@trust.nhs.uk", "to": ["edi@trust.nhs.uk"], "timeout": 5, **extra}


def subscriptions(*channels: str, **extra: Any) -> list[dict[str, Any]]:
    """One network subscription to every WRES finding per channel (``extra``: e.g. its mode)."""
    return [{"name": f"to-{c}", "channel": c, "audience": "network",
             "match": {"standard": ["WRES"]}, **extra} for c in channels]


def every_kind(slack: FakeSlackServer, hook: WebhookReceiver, mail: SmtpServer
               ) -> dict[str, dict[str, Any]]:
    """A Slack, a webhook and an email channel (named ``slack``, ``hook``, ``mail``)."""
    return {"slack": slack_table(slack), "hook": hook_table(hook), "mail": mail_table(mail)}


def make_settings(tmp: Path, url: str, channels: Mapping[str, Mapping[str, Any]],
                  subscriptions: Sequence[Mapping[str, Any]]) -> Settings:
    doc = {"database": {"url": url}, "channels": {k: dict(v) for k, v in channels.items()},
           "subscriptions": [dict(s) for s in subscriptions]}
    return parse_settings(doc, base_dir=tmp, where="<test>", env={})


def build_channels(settings: Settings, env: Mapping[str, str] = ENV) -> dict[str, Channel]:
    """Every configured channel, built by the real registry (outbox keys stripped)."""
    return {name: build_channel(name, outbox.transport_options(opts), env)
            for name, opts in settings.channels.items()}


@dataclass
class World:
    """A store with organisations, a rule pack and settings, ready to breach."""

    engine: Engine
    settings: Settings
    packs: list[RulePack]
    tmp: Path
    orgs: tuple[str, ...]
    transitions: list[Transition] = field(default_factory=list)
    queued: int = 0  # notifications enqueued by :meth:`evaluate`, all runs

    @property
    def rules(self) -> dict[str, Any]:
        return {r.id: r for p in self.packs for r in p.rules}

    def counts(self, year: int, white: tuple[int, int], bme: tuple[int, int],
               orgs: Sequence[str] | None = None) -> None:
        """Import WRES 2 counts (appointed, shortlisted) for ``year``."""
        rows: list[tuple[object, ...]] = []
        for org in orgs or self.orgs:
            rows += [(org, f"wres:{year}", "wres.2", "white", "", *white, "", ""),
                     (org, f"wres:{year}", "wres.2", "bme", "", *bme, "", "")]
        name = f"m-{year}-{len(list(self.tmp.glob('m-*.csv')))}.csv"
        import_metrics(self.engine, write_csv(self.tmp / name, METRIC_HEADER, rows))

    def evaluate(self, as_of: date, at: datetime = AT) -> list[Transition]:
        """Evaluate, apply and enqueue in one transaction, as the API does once wired."""
        with session(self.engine) as s, s.begin():
            outcomes = evaluate(s, self.packs, as_of, self.settings.statistics)
            ts = apply_outcomes(s, outcomes, self.settings.escalation_levels, as_of=as_of,
                                at=at, actor="test")
            self.queued += outbox.enqueue(s, ts, self.settings, at=at, rules_by_id=self.rules)
        self.transitions += ts
        return ts

    def breach(self, year: int, as_of: date | None = None) -> list[Transition]:
        """A breach year (RL = 2.0 on large counts) evaluated on 1 June."""
        self.counts(year, (300, 1000), (150, 1000))
        return self.evaluate(as_of or date(year, 6, 1))

    def ok(self, year: int) -> list[Transition]:
        self.counts(year, (200, 1000), (190, 1000))
        return self.evaluate(date(year, 6, 1))

    def notifications(self) -> list[Notification]:
        with Session(self.engine) as s:
            return list(s.exec(select(Notification).order_by(Notification.id)).all())  # type: ignore[arg-type]

    def keys(self, channel: str | None = None, kind: str | None = None) -> set[str]:
        """The idempotency keys of the notifications queued (for ``channel``, of ``kind``)."""
        return {n.idempotency_key for n in self.notifications()
                if channel in (None, n.channel) and kind in (None, n.kind)}


def make_world(engine: Engine, tmp: Path, settings: Settings, *, orgs: Sequence[str] = ("SYT01",),
               names: Mapping[str, str] | None = None, escalate_after: int = 1) -> World:
    """Register ``orgs`` (``names`` overrides their names) and load the test pack."""
    rows: list[tuple[object, ...]] = [
        (c, (names or {}).get(c, f"Synthetic Test Trust {c}"), "acute", "London",
         "Synthetic ICS", "Acute", "yes") for c in orgs]
    path = write_csv(tmp / "orgs.csv", ORG_HEADER, rows)
    run_import(engine, SOURCES["organisations_csv"], path, actor="test", at=AT)
    (tmp / "t.yaml").write_text(PACK.replace("ESCALATE_AFTER", str(escalate_after)))
    return World(engine, settings, load_packs([tmp / "t.yaml"]), tmp, tuple(orgs))


def breached_world(engine: Engine, tmp: Path, url: str, channels: Mapping[str, Mapping[str, Any]],
                   subs: Sequence[Mapping[str, Any]], **kw: Any) -> World:
    """A world on ``url`` whose organisations (``kw``: as :func:`make_world`) breach in 2021."""
    w = make_world(engine, tmp, make_settings(tmp, url, channels, subs), **kw)
    w.breach(2021)
    return w


def deliver(w: World, clock: FakeClock | None = None, **kw: Any) -> outbox.DeliveryReport:
    """One delivery run through the real channels on a fake clock (retries waited for)."""
    clock = clock or FakeClock()
    kw.setdefault("wait_for_retries", 3600.0)
    kw.setdefault("per_channel_rate", 50.0)
    return outbox.deliver(w.engine, w.settings, build_channels(w.settings), now=clock.now,
                          sleep=clock.sleep, **kw)


def deliver_now(w: World, channels: Mapping[str, Channel] | None = None,
                **kw: Any) -> outbox.DeliveryReport:
    """One delivery run on the real clock, paced at each channel's configured rate."""
    kw.setdefault("per_channel_rate", outbox.channel_rates(w.settings))
    return outbox.deliver(w.engine, w.settings, channels or build_channels(w.settings),
                          now=real_now, sleep=time.sleep, **kw)


def slack_keys(server: FakeSlackServer) -> list[str]:
    """Idempotency keys of posts answered 200, from each post's message metadata.

    A scripted ``slack_error`` is also answered 200 (``ok: false``), so tests using one count
    ``server.messages`` instead.
    """
    keys = []
    for r in server.calls("chat.postMessage"):
        if r.answer != "200":
            continue
        meta = r.params().get("metadata") or {}
        meta = json.loads(meta) if isinstance(meta, str) else meta
        keys.append(meta["event_payload"]["idempotency_key"])
    return keys


def hook_keys(server: WebhookReceiver) -> list[str]:
    return [r.headers["idempotency-key"] for r in server.delivered()]


def mail_keys(server: SmtpServer) -> list[str]:
    return [str(m.message["Message-ID"]).strip("<>").split("@")[0] for m in server.messages]


def received_keys(slack: FakeSlackServer, hook: WebhookReceiver, mail: SmtpServer
                  ) -> dict[str, list[str]]:
    """What each server of :func:`every_kind` received, by channel name."""
    return {"slack": slack_keys(slack), "hook": hook_keys(hook), "mail": mail_keys(mail)}


def once_each(keys: Sequence[str], expected: set[str]) -> tuple[int, int, int]:
    """(received, unique, duplicates) and checks the unique keys are exactly ``expected``."""
    unique = set(keys)
    assert unique == expected, (len(unique), len(expected))
    return len(keys), len(unique), sum(n - 1 for n in Counter(keys).values())


def max_in_window(times: Sequence[float], window: float = 1.0) -> int:
    """The most arrivals in any closed window of ``window`` seconds."""
    ordered, best, j = sorted(times), 0, 0
    for i, t in enumerate(ordered):
        while ordered[j] < t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


def main(config: str) -> None:
    """A deliverer process: ``config`` is JSON {url, channels, subscriptions, rate, lease, …}."""
    cfg = json.loads(config)
    settings = make_settings(Path.cwd(), cfg["url"], cfg["channels"], [])
    engine = open_store(cfg["url"])
    channels = build_channels(settings, {**ENV, **cfg.get("env", {})})
    report = outbox.deliver(engine, settings, channels, now=real_now,
                            sleep=time.sleep, per_channel_rate=cfg.get("rate", 50.0),
                            lease_seconds=cfg.get("lease", 60.0),
                            wait_for_retries=cfg.get("wait", 0.0), deliverer=cfg.get("name"),
                            batch=cfg.get("batch", 500))
    print(json.dumps(asdict(report)), flush=True)
    engine.dispose()


def deliverer_command(config: Mapping[str, Any]) -> list[str]:
    code = (f"import sys; sys.path.insert(0, {str(TESTS)!r}); import outbox_support; "
            "outbox_support.main(sys.argv[1])")
    return [sys.executable, "-c", code, json.dumps(config)]


def start_deliverer(config: Mapping[str, Any]) -> subprocess.Popen[str]:
    """A deliverer process (see :func:`main`), its output piped."""
    return subprocess.Popen(deliverer_command(config), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def run_deliverers(config: Mapping[str, Any], *names: str) -> list[dict[str, Any]]:
    """Run one deliverer per name at once on ``config``; the report each printed."""
    children = [start_deliverer({**config, "name": n}) for n in names]
    outputs = [c.communicate(timeout=120) for c in children]
    assert [c.returncode for c in children] == [0] * len(names), [e for _, e in outputs]
    return [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def kill_deliverer_when(config: Mapping[str, Any], condition: Callable[[], bool]) -> None:
    """Start a deliverer named "doomed" on ``config``; SIGKILL it once ``condition`` holds."""
    child = start_deliverer({**config, "name": "doomed"})
    wait_for(condition)
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    assert child.returncode == -signal.SIGKILL
