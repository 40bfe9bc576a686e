"""Single sign-on end to end against a loopback OpenID Connect provider: Authlib's client in
the real app (PKCE, state, nonce, an RS256-signed ID token checked against the provider's
JWKS), the claim → role mapping, and the audit events of a success and a refusal.

The provider is plain HTTP on loopback, so its settings are built directly here: the config
reader only accepts an ``https://`` issuer (a test below checks that too)."""

from __future__ import annotations

import base64
import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from assurance.config import parse_settings
from assurance.config.web import OidcSettings
from assurance.models import AuditEvent
from web_support import Client, serve

CLIENT_ID, SECRET_ENV, SECRET = "dashboard", "OIDC_SECRET", "loopback-client-secret"
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})


class Provider(ThreadingHTTPServer):
    """Discovery, authorize (redirects straight back with a code), token and JWKS endpoints."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.issuer = f"http://127.0.0.1:{self.server_address[1]}"
        self.codes: dict[str, dict[str, Any]] = {}  # code → authorize request
        self.next_claims: dict[str, Any] = {}
        self.signing_key = KEY  # the JWKS always publishes KEY
        self.token_requests: list[tuple[dict[str, list[str]], str]] = []  # (form, auth)


class _Handler(BaseHTTPRequestHandler):
    server: Provider

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        pass

    def _json(self, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        url = urlparse(self.path)
        iss = self.server.issuer
        if url.path == "/.well-known/openid-configuration":
            self._json({"issuer": iss, "authorization_endpoint": iss + "/authorize",
                        "token_endpoint": iss + "/token", "jwks_uri": iss + "/jwks",
                        "response_types_supported": ["code"],
                        "id_token_signing_alg_values_supported": ["RS256"]})
        elif url.path == "/jwks":
            self._json({"keys": [KEY.as_dict(private=False)]})
        elif url.path == "/authorize":
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            code = f"code-{len(self.server.codes)}"
            self.server.codes[code] = q
            self.send_response(302)
            self.send_header("location", q["redirect_uri"] + "?" + urlencode(
                {"code": code, "state": q["state"]}))
            self.end_headers()
        else:
            self.send_error(404)

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        form = parse_qs(self.rfile.read(int(self.headers["content-length"])).decode())
        self.server.token_requests.append((form, self.headers.get("authorization", "")))
        asked = self.server.codes[form["code"][0]]
        now = int(time.time())
        claims = {"iss": self.server.issuer, "aud": CLIENT_ID, "sub": "entra-123",
                  "iat": now, "exp": now + 300, "nonce": asked.get("nonce"),
                  **self.server.next_claims}
        token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.server.signing_key)
        self._json({"access_token": "at", "token_type": "Bearer", "expires_in": 300,
                    "id_token": token})


@pytest.fixture
def provider() -> Iterator[Provider]:
    p = Provider()
    thread = threading.Thread(target=p.serve_forever, daemon=True)
    thread.start()
    yield p
    p.shutdown()
    p.server_close()


def sso(client: Client, provider: Provider) -> Any:
    """Start sign-in, let the provider redirect back, finish on the callback."""
    start = client.get("/login/oidc")
    assert start.status_code == 302, start.text[-300:]
    to_provider = Client(provider.issuer)
    back = to_provider.get(start.headers["location"][len(provider.issuer):])
    assert back.status_code == 302
    callback = urlparse(back.headers["location"])
    return client.get(f"{callback.path}?{callback.query}")


def test_a_person_signs_in_with_single_sign_on_and_gets_the_role_their_claim_maps_to(
        sqlite_engine: Engine, tmp_path: Path, provider: Provider) -> None:
    base = parse_settings({"database": {"url": str(sqlite_engine.url)}}, base_dir=tmp_path,
                          where="<test>", env={})
    oidc = OidcSettings(provider.issuer, CLIENT_ID, SECRET_ENV, "roles",
                        {"EDI.Board": "board", "EDI.Network": "network"})
    settings = dataclasses.replace(base, web=dataclasses.replace(base.web, oidc=oidc))
    with serve(settings, sqlite_engine, {SECRET_ENV: SECRET}) as served:
        assert "Sign in with your NHS organisation account" in Client(served.url).get(
            "/login").text
        provider.next_claims = {"preferred_username": "priya@trust.nhs.uk",
                                "roles": ["EDI.Network", "Other"]}
        c = Client(served.url)
        done = sso(c, provider)
        assert done.status_code == 303 and done.headers["location"] == "/"
        home = c.get("/")
        assert home.status_code == 200 and "priya@trust.nhs.uk (Staff network member)" in home.text
        asked = next(iter(provider.codes.values()))
        assert asked["code_challenge_method"] == "S256" and asked["nonce"]
        form, auth = provider.token_requests[0]
        assert form["code_verifier"] and "client_secret" not in form  # sent as Basic auth
        assert base64.b64decode(auth.removeprefix("Basic ")).decode() == f"{CLIENT_ID}:{SECRET}"

        provider.next_claims = {"preferred_username": "sam@trust.nhs.uk", "roles": ["Other"]}
        refused = sso(other := Client(served.url), provider)
        assert refused.status_code == 403 and "no role for this dashboard" in refused.text
        assert other.get("/").status_code == 303  # still signed out
    with Session(sqlite_engine) as s:
        events = [(e.action, e.actor, json.loads(e.details)) for e in s.exec(
            select(AuditEvent).where(col(AuditEvent.subject).startswith("oidc:")))]
    assert [(a, who) for a, who, _ in events] == [
        ("web.login_succeeded", "priya@trust.nhs.uk"), ("web.login_failed", "sam@trust.nhs.uk")]
    assert events[0][2]["role"] == "network" and events[1][2]["reason"] == "no role claim"
    assert SECRET not in json.dumps(events)


def test_a_token_signed_by_another_key_is_refused(sqlite_engine: Engine, tmp_path: Path,
                                                  provider: Provider) -> None:
    base = parse_settings({"database": {"url": str(sqlite_engine.url)}}, base_dir=tmp_path,
                          where="<test>", env={})
    oidc = OidcSettings(provider.issuer, CLIENT_ID, SECRET_ENV, "roles", {"EDI.Board": "board"})
    settings = dataclasses.replace(base, web=dataclasses.replace(base.web, oidc=oidc))
    provider.next_claims = {"preferred_username": "mallory", "roles": ["EDI.Board"]}
    with serve(settings, sqlite_engine, {SECRET_ENV: SECRET}) as served:
        provider.signing_key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        c = Client(served.url)
        r = sso(c, provider)
        assert r.status_code == 401 and "did not complete" in r.text
        assert c.get("/").status_code == 303
        provider.signing_key = KEY  # the same flow with the published key signs in
        assert sso(Client(served.url), provider).status_code == 303


def test_the_config_reader_wants_an_https_issuer() -> None:
    from assurance.problems import ProblemsError

    with pytest.raises(ProblemsError, match="web.oidc.issuer: expected an https:// URL"):
        parse_settings({"web": {"oidc": {"issuer": "http://idp", "client_id": "x",
                                         "client_secret_env": "Y"}}},
                       base_dir=Path("."), where="config.toml", env={})
