"""Benchmark the outbox deliverer (a script that prints figures, not a test).

10,000 pending notifications (200 findings × 50 subscriptions, one Slack channel each) are
delivered at 20 messages per second per channel through the real ``slack_sdk`` channel to a
loopback ``FakeSlackServer`` (``tests/servers.py``) running in its own process, so the server
does not compete with the deliverer for the interpreter lock. The store is set up as the outbox
tests set it up (``tests/outbox_support.py``: real importers, the WRES 2 rule, one
transaction that evaluates and enqueues). Prints wall time, messages per
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
# servers.py (the loopback servers) and outbox_support.py (the store set-up) the tests use
sys.path.insert(0, str(ROOT / "tests"))


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
    from assurance.db import open_store
    from connectors.channels import build_channel
    from outbox_support import make_settings, make_world, max_in_window  # tests/ (above)

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
    settings = make_settings(tmp, db_url, channels, subs)
    engine = open_store(db_url)
    # The tests' world: its organisations, the WRES 2 rule, and breaching counts for each.
    world = make_world(engine, tmp, settings,
                       orgs=[f"Z9{i:03d}" for i in range(args.findings)])
    world.counts(2024, (300, 1000), (150, 1000))

    def evaluate_and_enqueue() -> int:
        world.evaluate(date(2024, 6, 1), at=at)
        return world.queued

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
