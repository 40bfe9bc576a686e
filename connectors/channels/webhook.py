"""Signed generic webhook: the message as JSON, HMAC-signed, for any receiver to act on.

Each delivery is one ``POST`` of ``{"schema": "assurance.notification/v1", ...}`` holding every
:class:`~assurance.channels.OutboundMessage` field (``facts`` as ``[label, value]`` pairs) and
``thread`` (the finding's first delivery, or null). Headers:

* ``X-Assurance-Signature: sha256=<hex>``: HMAC-SHA256 of the raw body bytes with the secret;
  receivers recompute it over the bytes they received and compare in constant time.
* ``X-Assurance-Timestamp``: Unix seconds when sent, so receivers can refuse stale deliveries.
* ``Idempotency-Key``: the same on every retry of one notification; receivers dedupe on it.

A digest (:mod:`assurance.outbox.digest`) has ``event = "digest"`` and, besides the fields
above, ``sections`` (per organisation: ``organisation_code``, ``organisation_name``,
``synthetic`` and ``entries``, each with the event, title, severity, headline, rule, period,
state, level, ``thread_key``, the ``idempotency_key`` of the message it stands for,
``report_url`` and ``facts``), ``since``, ``until`` (ISO 8601 UTC) and ``subscription``.

Options (``type = "webhook"``): ``url`` or ``url_env`` (a variable holding it, for URLs that
embed a token), ``secret_env`` (variable holding the signing secret), ``timeout`` (seconds,
default 10). The URL must be https; plain http is allowed only to loopback addresses, where
tests and local relays listen and nothing crosses a network unencrypted.

:func:`post` is the HTTP client shared with the Teams channel: 2xx is success, 429 is
retryable with ``Retry-After``, 408 and 5xx are retryable, other statuses (redirects too, so a
signed body is never replayed to another host) are not, and network errors are retryable.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from assurance.channels import ChannelError, DeliveryResult, OutboundMessage, ThreadRef
from connectors.channels import Options, builder, parse_retry_after, validator
from connectors.channels.escaping import plain, single_line

SCHEMA = "assurance.notification/v1"
OPTIONS = ("url", "url_env", "secret_env", "timeout")
ID_HEADERS = ("x-ms-workflow-run-id", "x-ms-request-id", "x-request-id", "request-id")
"""Response headers taken as the provider's message id, first found wins."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises HTTPError for the 3xx


_OPENER = urllib.request.build_opener(_NoRedirects)


def post(url: str, body: bytes, headers: Mapping[str, str], *, timeout: float,
         service: str) -> DeliveryResult:
    """POST ``body``; the result's id is an :data:`ID_HEADERS` value or the body's SHA-256.

    ``service`` names the destination in errors; the URL never appears in them (it may embed
    a secret).

    Raises:
        ChannelError: retryable for 429 (with ``retry_after``), 408, 5xx and network errors.
    """
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", **headers})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            response.read()
            found = {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        status = exc.code
        excerpt = plain(exc.read(300).decode("utf-8", "replace")).strip()[:200]
        said = f"{service} answered HTTP {status}" + (f": {excerpt}" if excerpt else "")
        if status == 429:
            raise ChannelError(f"{said} (rate limited)", retryable=True,
                               retry_after=parse_retry_after(exc.headers.get("Retry-After"))
                               ) from None
        if status >= 500 or status == 408:
            raise ChannelError(said, retryable=True) from None
        raise ChannelError(f"{said}; check the URL and the receiver's configuration",
                           retryable=False) from None
    except (OSError, http.client.HTTPException) as exc:  # refused, reset, dropped, timed out
        reason = getattr(exc, "reason", None) or exc
        raise ChannelError(f"{service}: could not deliver ({type(reason).__name__}: {reason})",
                           retryable=True) from None
    ids = [found[h] for h in ID_HEADERS if found.get(h)]
    provider_id = ids[0] if ids else hashlib.sha256(body).hexdigest()
    return DeliveryResult(provider_id, extra={"status": str(response.status)})


def sign(secret: str, body: bytes) -> str:
    """The ``X-Assurance-Signature`` value for ``body``: ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _clean(value: Any) -> Any:
    """Strings with control characters removed, all the way down (digest sections too)."""
    if isinstance(value, str):
        return plain(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def payload(message: OutboundMessage, thread: ThreadRef | None) -> dict[str, Any]:
    """The JSON document sent: every message field, control characters removed."""
    cleaned = _clean(dataclasses.asdict(message))
    ref = None if thread is None else {
        "provider_message_id": thread.provider_message_id, "extra": dict(thread.extra)}
    return {"schema": SCHEMA, **cleaned, "thread": ref}


class WebhookChannel:
    """POSTs signed JSON to one URL (see the module docstring).

    Args:
        name: the channel's name in config.
        url: where to POST (may embed a token: never shown in ``repr`` or errors).
        secret: the HMAC signing secret (never shown).
        timeout: seconds to wait for the receiver.
    """

    def __init__(self, name: str, url: str, secret: str, timeout: float = 10.0):
        self.name, self._url, self._secret, self._timeout = name, url, secret, timeout

    def __repr__(self) -> str:
        return f"WebhookChannel(name={self.name!r})"

    def check(self) -> list[str]:
        """Offline: nothing beyond what :func:`validate` checked at build time."""
        return []

    def send(self, message: OutboundMessage, thread: ThreadRef | None) -> DeliveryResult:
        """POST the signed notification."""
        body = json.dumps(payload(message, thread), ensure_ascii=False).encode("utf-8")
        headers = {
            "X-Assurance-Signature": sign(self._secret, body),
            "X-Assurance-Timestamp": str(int(time.time())),
            "Idempotency-Key": single_line(message.idempotency_key),
        }
        return post(self._url, body, headers, timeout=self._timeout,
                    service=f"webhook {self.name}")


def _parse(name: str, options: Mapping[str, Any], env: Mapping[str, str]) -> tuple[
        WebhookChannel | None, list[str]]:
    o = Options(name, options, env, OPTIONS)
    if ("url" in options) == ("url_env" in options):
        o.problem("url", "both url and url_env" if "url" in options else "missing",
                  "expected exactly one of url or url_env")
    url = o.url("url", o.text("url")) if "url" in options else None
    if "url_env" in options:
        url = o.url("url_env", o.secret("url_env", "the webhook URL in it"),
                    secret_from=str(options["url_env"]))
    secret = o.secret("secret_env", "the webhook signing secret in it")
    timeout = o.number("timeout", 10.0, minimum=0.1)
    if o.problems or url is None or secret is None:
        return None, o.problems
    return WebhookChannel(name, url, secret, timeout), []


validate = validator(_parse)
build = builder(_parse)
