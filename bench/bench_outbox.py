"""Benchmark the outbox deliverer (a script that prints figures, not a test).

10,000 pending notifications (200 findings × 50 subscriptions, one Slack channel each) are
delivered at 20 messages per second per channel through the real ``slack_sdk`` channel to a
loopback ``FakeSlackServer`` (``tests/servers.py``) running in its own process, so the server
does not compete with the deliverer for the interpreter lock. Prints wall time, messages per
second, the most posts any channel saw in any one-second window (must not exceed the rate),
responses other than 200, and peak memory of the deliverer process.

Usage: ``python bench/bench_outbox.py [--findings 200] [--channels 50] [--rate 20]
[--db-url URL] [--via slack|webhook]``. Target (2-core machine): ≤ 30 s for 10,000 messages.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # servers.py: the loopback servers the tests use

PACK = """
version: 1
pack: bench
defaults:
  labels: {standard: WRES, characteristic: race}
rules:
  - id: bench.wres2
    title: White applicants more likely to be appointed
    metric: wres.2
    when: {outside_range: {}}
    severity: high
"""


def serve(kind: str, pipe: Connection) -> None:
    """Child process: run the server, send its URL, then its records when asked."""
    from servers import FakeSlackServer, WebhookReceiver

    server: Any = FakeSlackServer() if kind == "slack" else WebhookReceiver(status=200)
    with server:
        pipe.send(server.url)
        pipe.recv()  # "report"
        if kind == "slack":
            times = {c: list(ts) for c, ts in server.post_times.items()}
        else:
            times = {}
            for r in server.received:
                times.setdefault(r.path, []).append(r.at)
        answers: dict[str, int] = {}
        for r in server.received:
            answers[r.answer] = answers.get(r.answer, 0) + 1
        pipe.send({"times": times, "answers": answers})


def max_in_window(times: list[float], window: float = 1.0) -> int:
    ordered, best, j = sorted(times), 0, 0
    for i, t in enumerate(ordered):
        while ordered[j] < t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


def timed(label: str, fn: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = fn()
    print(f"{label:<28} {time.perf_counter() - started:8.2f} s", flush=True)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--findings", type=int, default=200)
    ap.add_argument("--channels", type=int, default=50)
    ap.add_argument("--rate", type=float, default=20.0)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--db-url")
    ap.add_argument("--via", choices=("slack", "webhook"), default="slack")
    args = ap.parse_args()

    parent, child = mp.Pipe()
    server = mp.get_context("spawn").Process(target=serve, args=(args.via, child), daemon=True)
    server.start()
    url = parent.recv()

    from assurance import outbox
    from assurance.config import parse_settings
    from assurance.db import open_store, session
    from assurance.engine.evaluate import evaluate
    from assurance.engine.rules import load_packs
    from assurance.findings import apply_outcomes
    from assurance.ingest import run_import
    from connectors import SOURCES
    from connectors.channels import build_channel
    from helpers import METRIC_HEADER, ORG_HEADER, write_csv  # tests/ (on sys.path above)

    tmp = Path(tempfile.mkdtemp(prefix="bench-outbox-"))
    db_url = args.db_url or f"sqlite:///{tmp / 'store.db'}"
    schema = None
    if db_url.startswith("postgresql"):  # a throwaway schema, dropped at the end
        from sqlalchemy import create_engine, text

        schema = f"bench_outbox_{int(time.time())}"
        admin = create_engine(db_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        db_url += ("&" if "?" in db_url else "?") + f"options=-csearch_path%3D{schema}"
    at = datetime.now(UTC)
    channels: dict[str, dict[str, Any]] = {}
    for i in range(args.channels):
        if args.via == "slack":
            channels[f"s{i:02d}"] = {"type": "slack", "channel": f"C{i:04d}", "token_env": "T",
                                     "base_url": f"{url}/api/", "max_retries": 0,
                                     "rate_per_second": args.rate}
        else:
            channels[f"s{i:02d}"] = {"type": "webhook", "url": f"{url}/h{i}", "secret_env": "S",
                                     "rate_per_second": args.rate}
    subs = [{"name": f"sub-{n}", "channel": n, "audience": "network"} for n in channels]
    settings = parse_settings({"database": {"url": db_url}, "channels": channels,
                               "subscriptions": subs}, base_dir=tmp, where="<bench>", env={})
    engine = open_store(db_url)
    orgs: list[tuple[object, ...]] = [(f"Z9{i:03d}", f"Synthetic Trust {i}", "acute", "London",
                                       "ICS", "Acute", "yes") for i in range(args.findings)]
    rows: list[tuple[object, ...]] = []
    for code, *_ in orgs:
        rows += [(code, "wres:2024", "wres.2", "white", "", 300, 1000, "", ""),
                 (code, "wres:2024", "wres.2", "bme", "", 150, 1000, "", "")]
    run_import(engine, SOURCES["organisations_csv"],
               write_csv(tmp / "orgs.csv", ORG_HEADER, orgs), actor="bench", at=at)
    run_import(engine, SOURCES["metrics_csv"], write_csv(tmp / "m.csv", METRIC_HEADER, rows),
               actor="bench", at=at)
    (tmp / "bench.yaml").write_text(PACK)
    packs = load_packs([tmp / "bench.yaml"])

    def evaluate_and_enqueue() -> int:
        with session(engine) as s, s.begin():
            outcomes = evaluate(s, packs, date(2024, 6, 1), settings.statistics)
            transitions = apply_outcomes(s, outcomes, settings.escalation_levels,
                                         as_of=date(2024, 6, 1), at=at, actor="bench")
            return outbox.enqueue(s, transitions, settings, at=at)

    queued = timed("evaluate + enqueue", evaluate_and_enqueue)
    env = {"T": "xoxb-test-token", "S": "bench-secret"}
    built = {n: build_channel(n, outbox.transport_options(o), env)
             for n, o in settings.channels.items()}
    started = time.perf_counter()
    report = outbox.deliver(engine, settings, built, now=lambda: datetime.now(UTC),
                            sleep=time.sleep, per_channel_rate=outbox.channel_rates(settings),
                            batch=1000, workers=args.workers, wait_for_retries=120)
    wall = time.perf_counter() - started
    parent.send("report")
    seen = parent.recv()
    server.join(5)
    peaks = {c: max_in_window(ts) for c, ts in seen["times"].items()}
    print(json.dumps({
        "notifications": queued, "sent": report.sent, "dead": report.dead,
        "retrying": report.retrying, "pending": report.pending,
        "wall_s": round(wall, 2), "msgs_per_s": round(report.sent / wall, 1),
        "rate_limit_per_channel": args.rate, "channels": len(peaks),
        "max_per_channel_in_any_1s": max(peaks.values()) if peaks else 0,
        "server_answers": seen["answers"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "target_s": 30, "ok": wall <= 30 and 0 < queued == report.sent and
        max(peaks.values(), default=0) <= args.rate,
    }, indent=2))
    engine.dispose()
    if schema is not None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
