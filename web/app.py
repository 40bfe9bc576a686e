"""The dashboard's ASGI application: :func:`create_app` wires settings, store, templates,
middleware and routes. ``assurance serve`` runs it under uvicorn.

Every request passes :class:`~web.security.SecurityHeaders` and the signed session cookie
(Starlette's ``SessionMiddleware``: itsdangerous-signed, HttpOnly, SameSite=Lax, Secure unless
``web.secure_cookies = false``, expiring after ``web.session_minutes``). Pages other than the
sign-in page need a signed-in viewer; an anonymous request is sent to ``/login`` and reads
nothing.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Mapping
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from assurance import api
from assurance.config import Settings
from assurance.engine.figures import fmt_value
from web import actions, auth, pages
from web.queries import Store
from web.render import WebState, render
from web.security import LoginLimiter, SecurityHeaders

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "assurance_session"
log = logging.getLogger("assurance.web")


async def _http_error(request: Request, exc: Exception) -> Response:
    code = exc.status_code if isinstance(exc, HTTPException) else 500
    words = {403: ("Not allowed", "Your role cannot see or do this."),
             404: ("Page not found", "There is nothing at this address.")}
    title, message = words.get(code, ("Something went wrong", "Try again later."))
    return render(request, "error.html", code, title=title, message=message)


def _templates() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["dt"] = lambda d: "" if d is None else f"{d.day} {d:%B %Y %H:%M} UTC"
    env.filters["day"] = lambda d: "" if d is None else f"{d.day} {d:%B %Y}"
    env.filters["fmt"] = fmt_value
    return env


def session_key(settings: Settings, env: Mapping[str, str]) -> str:
    """The key signing session cookies: from ``web.session_secret_env``, else a random one
    for this process (sessions end when it restarts)."""
    name = settings.web.session_secret_env
    if name and env.get(name):
        return env[name]
    if name:
        log.warning("%s is not set: session cookies are signed with a key for this process "
                    "only", name)
    return secrets.token_urlsafe(48)


def create_app(settings: Settings, env: Mapping[str, str], *, engine: Engine | None = None
               ) -> Starlette:
    """The dashboard for ``settings`` (its store opened once; rule packs loaded once)."""
    engine = engine or api.connect(settings)
    store = Store(engine, settings, api.load_rules(settings))
    w = settings.web
    routes = [
        Route("/", pages.home),
        Route("/org/{org}", pages.overview),
        Route("/org/{org}/indicator/{rule_id}", pages.indicator),
        Route("/org/{org}/divisions", pages.divisions),
        Route("/org/{org}/division/{code}", pages.division),
        Route("/findings", pages.findings),
        Route("/findings/{finding_id:int}", pages.finding),
        Route("/findings/{finding_id:int}/{change}", actions.change, methods=["POST"]),
        Route("/subscriptions", pages.subscriptions),
        Route("/audit", pages.audit_chain),
        Route("/downloads", pages.downloads),
        Route("/downloads/{org}/{kind}", pages.download),
        Route("/login", auth.login_page),
        Route("/login", auth.login, methods=["POST"]),
        Route("/logout", auth.logout, methods=["POST"]),
        Route("/login/oidc", auth.oidc_start),
        Route("/login/oidc/callback", auth.oidc_callback, name="oidc_callback"),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders, hsts=w.secure_cookies),
        Middleware(SessionMiddleware, secret_key=session_key(settings, env),
                   session_cookie=SESSION_COOKIE, max_age=w.session_minutes * 60,
                   same_site="lax", https_only=w.secure_cookies),
    ]
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={HTTPException: _http_error, Exception: _http_error})
    # Read every organisation's figures now, off the request path (a few seconds on the
    # national store); the first page view waits for it only if it comes sooner.
    threading.Thread(target=lambda: store.inputs(store.as_of()), daemon=True,
                     name="web-warm-up").start()
    app.state.web = WebState(settings, engine, store, _templates(),
                             LoginLimiter(w.login_attempts, w.login_window_seconds), env,
                             auth.oidc_client(settings, env))
    return app


