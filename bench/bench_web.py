"""Benchmark: dashboard page response times on the national-scale store (issue 16: p95 ≤ 200 ms).

Builds (or reuses, ``--reuse``) the national store as ``bench/run.py`` does: the synthetic set of
215 trusts × 10 WRES years + 120 months (:func:`assurance.synthetic.write_national_set`),
imported into SQLite and evaluated with findings recorded as of 2025-06-01. Then serves the
real dashboard with uvicorn on a loopback port and times HTTP requests from a signed-in board
member and a staff network member:

* ``first``  the first page after the server starts: it waits for every organisation's figures
            to be read (done once per import, started in the background at start);
* ``cold``  the first view of each other organisation's overview for an audience: its board
            report context is built (then cached until figures or findings change);
* ``warm``  each page again: start page, overview, an indicator, the findings list, a finding,
            the audit chain, a division page.

Usage: ``python bench/bench_web.py [--out DIR] [--reuse] [--orgs N] [--repeat N]``. Prints
p50 / p95 / max milliseconds per page and writes ``OUT/bench_web.json``.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
AS_OF = date(2025, 6, 1)
PASSWORD = "benchmark password 2025"


def build(out: Path, reuse: bool) -> str:
    from assurance import api
    from assurance.config import parse_settings
    from assurance.synthetic import write_national_set

    db = out / "national.db"
    url = f"sqlite:///{db}"
    if reuse and db.is_file():
        return url
    db.unlink(missing_ok=True)
    s = parse_settings({"database": {"url": url}}, base_dir=out, where="<bench>", env={})
    t0 = time.perf_counter()
    write_national_set(out / "national")
    engine = api.connect(s)
    at = datetime.now(UTC)
    api.import_file(engine, s, out / "national" / "organisations.csv", actor="bench", at=at)
    api.import_file(engine, s, out / "national" / "metrics.csv", actor="bench", at=at)
    api.evaluate_and_record(engine, s, as_of=AS_OF, at=at, actor="bench")
    print(f"built the national store in {time.perf_counter() - t0:.0f} s", flush=True)
    return url


def serve(settings: Any, engine: Any) -> tuple[str, Any]:
    import socket

    import uvicorn

    from web import create_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings, {}, engine=engine),
                                           host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


class Session:
    """Keeps the (Secure) session cookie by hand over loopback http, as a browser would."""

    def __init__(self, base: str) -> None:
        import httpx

        self.http, self.base, self.cookie = httpx.Client(timeout=60), base, ""

    def get(self, path: str) -> tuple[float, Any]:
        t0 = time.perf_counter()
        r = self.http.get(self.base + path, headers={"cookie": self.cookie})
        ms = (time.perf_counter() - t0) * 1000
        assert r.status_code == 200, (path, r.status_code)
        return ms, r

    def sign_in(self, user: str) -> None:
        r = self.http.get(self.base + "/login")
        self.cookie = r.headers["set-cookie"].split(";", 1)[0]
        token = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
        assert token
        r = self.http.post(self.base + "/login", headers={"cookie": self.cookie},
                           data={"username": user, "password": PASSWORD,
                                 "csrf_token": token.group(1)})
        assert r.status_code == 303, r.text[-300:]
        self.cookie = r.headers["set-cookie"].split(";", 1)[0]


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {"n": len(times), "p50": round(statistics.median(times), 1), "p95": round(p95, 1),
            "max": round(ordered[-1], 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("/tmp/bench-web"))
    ap.add_argument("--reuse", action="store_true", help="reuse OUT/national.db if present")
    ap.add_argument("--orgs", type=int, default=20, help="organisations viewed cold")
    ap.add_argument("--repeat", type=int, default=20, help="warm requests per page")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    url = build(args.out, args.reuse)

    from sqlmodel import Session as Db
    from sqlmodel import col, select

    from assurance import api
    from assurance.config import parse_settings
    from assurance.models import Division, Finding, WebAccount
    from web.accounts import add_account

    settings = parse_settings({"database": {"url": url}}, base_dir=args.out, where="<bench>",
                              env={})
    engine = api.connect(settings)
    with Db(engine) as db:
        have = set(db.exec(select(WebAccount.username)).all())
        findings = list(db.exec(select(Finding).where(col(Finding.open).is_(True))
                                .order_by(col(Finding.id))).all())
        division = db.exec(select(Division)).first()
    for user, role in (("bench.board", "board"), ("bench.network", "network")):
        if user not in have:
            add_account(engine, username=user, password=PASSWORD, role=role, actor="bench",
                        at=datetime.now(UTC))
    orgs = sorted({f.org_code for f in findings})[: args.orgs]
    base, server = serve(settings, engine)
    results: dict[str, dict[str, float]] = {}
    try:
        for user in ("bench.board", "bench.network"):
            who = user.split(".")[1]
            s = Session(base)
            s.sign_in(user)
            if who == "board":  # the first view waits for the figures read at start
                results["board overview, first view after start"] = summary(
                    [s.get(f"/org/{orgs[0]}")[0]])
            results[f"{who} overview, cold (first view of each organisation)"] = summary(
                [s.get(f"/org/{o}")[0] for o in orgs[1:]])
            f = next(f for f in findings if f.org_code == orgs[0])
            pages = {"start page": "/", "overview": f"/org/{orgs[0]}",
                     "indicator": f"/org/{orgs[0]}/indicator/{f.rule_id}",
                     "findings list": "/findings", "finding": f"/findings/{f.id}",
                     "audit chain": "/audit"}
            if division is not None:
                pages["division"] = f"/org/{division.org_code}/division/{division.code}"
            for name, path in pages.items():
                s.get(path)  # the first request may build the division's figures
                results[f"{who} {name}, warm"] = summary(
                    [s.get(path)[0] for _ in range(args.repeat)])
    finally:
        server.should_exit = True
    width = max(len(k) for k in results)
    print(f"{'page':<{width}}  {'n':>3}  {'p50 ms':>7}  {'p95 ms':>7}  {'max ms':>7}")
    for k, v in results.items():
        print(f"{k:<{width}}  {v['n']:>3.0f}  {v['p50']:>7.1f}  {v['p95']:>7.1f}  {v['max']:>7.1f}")
    (args.out / "bench_web.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
