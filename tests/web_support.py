"""Support for the dashboard tests: the real app served by uvicorn on a loopback port, a
small HTTP client that keeps the session cookie the way a browser does, and accounts.

The session cookie is ``Secure`` (the default, as in production). A browser sends a Secure
cookie to ``http://127.0.0.1`` (a loopback origin is trustworthy), but Python's cookie jar does
not, so :class:`Client` carries the cookie itself: the server under test is unchanged.
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from assurance.config import Settings, parse_settings
from assurance.db import open_store
from assurance.models import Division
from helpers import register_orgs
from web import create_app
from web.accounts import add_account

PASSWORD = "correct horse battery staple"
ROLE_USERS = {"board": "bella.board", "executive": "eddie.exec", "network": "nia.network",
              "regulator": "rex.regulator", "admin": "ada.admin"}
SESSION_SECRET = "test-session-key-" + "x" * 32


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    url: str
    server: uvicorn.Server


@contextmanager
def serve(settings: Settings, engine: Engine, env: Mapping[str, str] | None = None
          ) -> Iterator[Served]:
    """The dashboard under uvicorn in a thread on a free loopback port."""
    app = create_app(settings, env if env is not None else {}, engine=engine)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield Served(f"http://127.0.0.1:{port}", server)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def add_users(engine: Engine, **extra: Any) -> None:
    """One local account per role in :data:`ROLE_USERS` (password :data:`PASSWORD`)."""
    at = datetime.now(UTC)
    for role, name in ROLE_USERS.items():
        add_account(engine, username=name, password=PASSWORD, role=role, actor="test", at=at)


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Client:
    """A browser-like client: follows no redirects, keeps the session cookie."""

    base: str
    cookie: str | None = None
    headers_seen: list[httpx.Headers] = field(default_factory=list)

    def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = dict(kw.pop("headers", {}))
        if self.cookie:
            headers["cookie"] = self.cookie
        r = httpx.request(method, self.base + path, headers=headers, follow_redirects=False,
                          timeout=30, **kw)
        for value in r.headers.get_list("set-cookie"):
            pair = value.split(";", 1)[0]
            self.cookie = None if pair.endswith("=null") or "=;" in value else pair
        self.headers_seen.append(r.headers)
        return r

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", path, **kw)

    def token(self, path: str = "/login") -> str:
        m = CSRF.search(self.get(path).text)
        assert m, f"no CSRF token on {path}"
        return m.group(1)

    def sign_in(self, username: str, password: str = PASSWORD) -> httpx.Response:
        return self.post("/login", data={"username": username, "password": password,
                                         "csrf_token": self.token()})


def signed_in(base: str, role: str) -> Client:
    c = Client(base)
    r = c.sign_in(ROLE_USERS[role])
    assert r.status_code == 303 and r.headers["location"] == "/", r.text[-500:]
    return c


def ensure_division(engine: Engine, org: str = "SYN01", code: str = "surgery") -> Division:
    """The organisation's division ``code``, registered if the store does not have it yet."""
    with Session(engine) as s:
        found = s.exec(select(Division).where(Division.org_code == org,
                                              Division.code == code)).first()
        if found is None:
            found = Division(org_code=org, code=code, name=code.title(),
                             owner=f"Divisional Director, {code.title()}")
            s.add(found)
            s.commit()
            s.refresh(found)
        return found


def store_with_divisions(tmp: Path, template: Path, org: str, divisions: Sequence[str]
                         ) -> tuple[Settings, Engine]:
    """A copy of the empty-store ``template`` in ``tmp`` holding ``org`` and its
    ``divisions``, and settings for it with cookies not ``Secure`` (TestClient speaks http)."""
    shutil.copyfile(template, tmp / "store.db")
    url = f"sqlite:///{tmp / 'store.db'}"
    settings = parse_settings({"database": {"url": url}, "organisations": {"accountable": [org]},
                               "web": {"secure_cookies": False}}, base_dir=tmp, where="<test>",
                              env={})
    engine = open_store(url)
    register_orgs(engine, tmp, org)
    with Session(engine) as db:
        for code in divisions:
            db.add(Division(org_code=org, code=code, name=code.title(), owner="Director"))
        db.commit()
    return settings, engine
