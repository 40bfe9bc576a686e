"""Signing in and out: local accounts (argon2, rate-limited) and OpenID Connect (Entra ID).

Every attempt is in the audit chain (``web.login_succeeded`` / ``web.login_failed``, with the
client address); the session is renewed on sign-in (a fresh CSRF token, nothing carried over
from before) and cleared on sign-out. OIDC uses Authlib's Starlette client with PKCE, ``state``
and ``nonce``; the client secret is read from the variable ``web.oidc.client_secret_env`` names
and is never logged. The role comes from the ID token's ``web.oidc.role_claim`` through
``web.oidc.role_map``; a person whose claims map to no role is refused (and audited).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from assurance import audit
from assurance.config import Settings
from assurance.config.web import ROLES
from assurance.db import session
from web.accounts import authenticate
from web.render import now, render, state, viewer_of
from web.roles import Viewer
from web.security import CSRF_FIELD, csrf_ok

log = logging.getLogger("assurance.web")
ROLE_PRIORITY = ("admin", "board", "regulator", "executive", "division_owner", "network")
"""When a person's claims map to several roles, the first here wins."""


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def login_page(request: Request) -> Response:
    if viewer_of(request) is not None:
        return RedirectResponse("/", status_code=303)
    return render(request, "login.html", title="Sign in",
                  oidc=state(request).oidc is not None, errors=[])


async def login(request: Request) -> Response:
    """Check the form's CSRF token, the rate limits, then the password."""
    form = await request.form()
    st = state(request)
    if not csrf_ok(request.session, form.get(CSRF_FIELD)):
        return render(request, "login.html", 403, title="Sign in", oidc=st.oidc is not None,
                      errors=["The sign-in form expired. Try again."])
    username = str(form.get("username") or "").strip()[:80]
    password = str(form.get("password") or "")
    client = _client(request)
    keys = (f"user:{username.lower()}", f"ip:{client}")
    if st.limiter.blocked(*keys):
        with session(st.engine, write=True) as s, s.begin():
            audit.append(s, at=now(), actor=username or "anonymous", action="web.login_failed",
                         subject=f"web_account:{username}",
                         details={"client": client, "method": "password",
                                  "reason": "too many attempts"})
        return render(request, "login.html", 429, title="Sign in", oidc=st.oidc is not None,
                      errors=["Too many failed attempts. Wait a few minutes and try again."])
    account = await run_in_threadpool(authenticate, st.engine, username, password,
                                      client=client, at=now())  # argon2 takes a while
    if account is None:
        st.limiter.failed(*keys)
        return render(request, "login.html", 401, title="Sign in", oidc=st.oidc is not None,
                      errors=["The username or password is not right."])
    st.limiter.succeeded(keys[0])
    _start_session(request, Viewer(account.username, account.role, account.org_code,
                                   account.division, "password"))
    return RedirectResponse("/", status_code=303)


def _start_session(request: Request, viewer: Viewer) -> None:
    request.session.clear()
    request.session["viewer"] = viewer.to_session()


async def logout(request: Request) -> Response:
    form = await request.form()
    if csrf_ok(request.session, form.get(CSRF_FIELD)):
        request.session.clear()
    return RedirectResponse("/login", status_code=303)


# ----------------------------------------------------------------------------- OIDC

def oidc_client(settings: Settings, env: Mapping[str, str]) -> Any:
    """An Authlib client for ``[web.oidc]``, or None when it is not configured (or its secret
    variable is not set: then only local accounts can sign in, and the log says why)."""
    o = settings.web.oidc
    if o is None:
        return None
    secret = env.get(o.client_secret_env)
    if not secret:
        log.warning("web.oidc: %s is not set; single sign-on is off", o.client_secret_env)
        return None
    from authlib.integrations.starlette_client import OAuth

    oauth = OAuth()
    return oauth.register(
        "entra", client_id=o.client_id, client_secret=secret,
        server_metadata_url=o.issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": o.scopes, "code_challenge_method": "S256"})


async def oidc_start(request: Request) -> Response:
    client = state(request).oidc
    if client is None:
        return RedirectResponse("/login", status_code=303)
    redirect_uri = str(request.url_for("oidc_callback"))
    return await client.authorize_redirect(request, redirect_uri)


def role_from_claims(claims: Mapping[str, Any], role_claim: str,
                     role_map: Mapping[str, str]) -> str | None:
    """The role the ID token's claim values map to (highest in :data:`ROLE_PRIORITY`)."""
    raw = claims.get(role_claim)
    values = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, list) else []
    roles = {role_map[v] for v in values if isinstance(v, str) and v in role_map}
    return next((r for r in ROLE_PRIORITY if r in roles and r in ROLES), None)


async def oidc_callback(request: Request) -> Response:
    st = state(request)
    client, o = st.oidc, st.settings.web.oidc
    if client is None or o is None:
        return RedirectResponse("/login", status_code=303)
    try:
        token = await client.authorize_access_token(request)
    except Exception as exc:  # noqa: BLE001 - any failure of the exchange refuses sign-in
        log.warning("OIDC sign-in failed: %s", type(exc).__name__)
        return render(request, "login.html", 401, title="Sign in", oidc=True,
                      errors=["Single sign-on did not complete. Try again."])
    claims = token.get("userinfo") or {}
    username = str(claims.get("preferred_username") or claims.get("email")
                   or claims.get("sub") or "")[:80]
    role = role_from_claims(claims, o.role_claim, o.role_map)
    with session(st.engine, write=True) as s, s.begin():
        audit.append(s, at=now(), actor=username or "anonymous",
                     action="web.login_succeeded" if role else "web.login_failed",
                     subject=f"oidc:{username}",
                     details={"client": _client(request), "method": "oidc",
                              **({"role": role} if role else {"reason": "no role claim"})})
    if role is None or not username:
        return render(request, "login.html", 403, title="Sign in", oidc=True,
                      errors=["Your account has no role for this dashboard. Ask your EDI "
                              "lead to add you to one."])
    _start_session(request, Viewer(username, role, via="oidc"))
    return RedirectResponse("/", status_code=303)
