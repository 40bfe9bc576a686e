"""Request plumbing shared by the page, action and sign-in handlers: the app's state, the
signed-in viewer, rendering a template with the viewer's audience and CSRF token, and the
``signed_in`` guard that keeps anonymous requests from reading or changing anything."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from assurance.config import Settings
from web.queries import Store
from web.roles import Viewer, audience, policy
from web.security import LoginLimiter, csrf_token


@dataclass
class WebState:
    """What every handler reaches through ``request.app.state.web``."""

    settings: Settings
    engine: Engine
    store: Store
    templates: Environment
    limiter: LoginLimiter
    env: Mapping[str, str]
    oidc: Any = None  # an Authlib client when [web.oidc] is configured


def state(request: Request) -> WebState:
    return request.app.state.web


def viewer_of(request: Request) -> Viewer | None:
    """The signed-in viewer; None when signed out, or when their local account has been
    disabled since they signed in (the session is then cleared)."""
    viewer = Viewer.from_session(request.session.get("viewer"))
    if viewer is not None and viewer.via == "password" and \
            not state(request).store.account_active(viewer.username):
        request.session.clear()
        return None
    return viewer


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page from ``web/templates``, with the viewer, its audience and a CSRF token."""
    st = state(request)
    viewer = viewer_of(request)
    body = st.templates.get_template(template).render(
        request=request, viewer=viewer, csrf_token=csrf_token(request.session),
        audience=audience(st.settings, viewer) if viewer else None,
        exact=bool(viewer and policy(st.settings, viewer).exact),
        flash=request.session.pop("flash", None), **context)
    return HTMLResponse(body, status_code=status)


Handler = Callable[[Request], Awaitable[Response]]


def signed_in(handler: Callable[[Request, Viewer], Awaitable[Response] | Response]) -> Handler:
    """Run ``handler`` only for a signed-in viewer; anyone else goes to the sign-in page (a
    POST is refused and changes nothing). A plain (not ``async``) handler runs in the thread
    pool, so a page that reads the store does not hold up other requests."""
    async def wrapped(request: Request) -> Response:
        viewer = await run_in_threadpool(viewer_of, request)
        if viewer is None:
            if request.method != "GET":
                return render(request, "error.html", 403, title="Sign in first",
                              message="Your session has ended. Sign in and try again: "
                              "nothing was changed.")
            return RedirectResponse("/login", status_code=303)
        if inspect.iscoroutinefunction(handler):
            return await handler(request, viewer)
        return await run_in_threadpool(handler, request, viewer)  # type: ignore[arg-type]
    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


def now() -> datetime:
    return datetime.now(UTC)
