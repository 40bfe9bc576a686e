"""What every response and every form of the dashboard carries for safety.

* :class:`SecurityHeaders` — ASGI middleware adding a strict Content-Security-Policy (no
  ``'unsafe-inline'``: the pages have no inline script or style, so an injected one will not
  run), ``frame-ancestors 'none'``, ``X-Content-Type-Options: nosniff``, ``Referrer-Policy``
  and ``Cache-Control: no-store`` (pages hold special category aggregates) on every response,
  errors and static files included.
* CSRF: a random token per session (:func:`csrf_token`), put in every form and checked on every
  POST (:func:`csrf_ok`) before anything is read or changed; without a session there is no
  token, so a POST from another site changes nothing.
* :class:`LoginLimiter` — failed sign-ins counted per account and per client address in a
  sliding window, in this process's memory (a restart forgets them; several instances each
  count their own: put them behind one sticky load balancer or accept N × the limit).
"""

from __future__ import annotations

import secrets
import time
from collections import defaultdict, deque
from collections.abc import Callable, MutableMapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
       "object-src 'none'; frame-ancestors 'none'")
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    "cache-control": "no-store",
}
CSRF_KEY = "csrf"
CSRF_FIELD = "csrf_token"


class SecurityHeaders:
    """Adds :data:`HEADERS` to every HTTP response (``Strict-Transport-Security`` too when
    cookies are Secure, i.e. the site is served over HTTPS)."""

    def __init__(self, app: ASGIApp, *, hsts: bool = True) -> None:
        self.app = app
        self.extra = [(k.encode(), v.encode()) for k, v in HEADERS.items()]
        if hsts:
            self.extra.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in self.extra if k not in names]
            await send(message)

        await self.app(scope, receive, with_headers)


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's CSRF token, made on first use."""
    token = session.get(CSRF_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session[CSRF_KEY] = token
    return token


def csrf_ok(session: MutableMapping[str, Any], submitted: object) -> bool:
    """Whether a POSTed token matches the session's (constant-time; no session: never)."""
    expected = session.get(CSRF_KEY)
    return (isinstance(expected, str) and isinstance(submitted, str) and len(expected) >= 32
            and secrets.compare_digest(expected, submitted))


class LoginLimiter:
    """At most ``attempts`` failed sign-ins per key (``user:<name>``, ``ip:<address>``) in
    ``window`` seconds; a success clears the account's count (not the address's)."""

    def __init__(self, attempts: int, window: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.attempts, self.window, self.clock = attempts, window, clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str) -> deque[float]:
        q, cutoff = self._failures[key], self.clock() - self.window
        while q and q[0] <= cutoff:
            q.popleft()
        return q

    def blocked(self, *keys: str) -> bool:
        """Whether any of the keys has used up its attempts."""
        return any(len(self._recent(k)) >= self.attempts for k in keys)

    def failed(self, *keys: str) -> None:
        now = self.clock()
        for k in keys:
            self._recent(k).append(now)

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)
