"""Channels: where finding messages go (Slack, Microsoft Teams, email, signed webhook, console).

Each channel is one module in this package exposing two functions, and is registered by name
in :data:`REGISTRY` below (explicitly: no entry points, no import-time scanning):

``build(name, options, env) -> Channel``
    Turn the channel's raw TOML table (``[channels.<name>]``, including its ``type`` key) into
    a ready :class:`assurance.channels.Channel`; raises :class:`ChannelConfigError` listing every
    problem at once.
``validate(name, options, env) -> list[str]``
    The same checks without building: every problem as
    ``channels.<name>.<key>: what was found; what was expected``.

A module writes one parser, ``_parse(name, options, env) -> (channel or None, problems)``, and
gets both from it: ``build = builder(_parse)`` and ``validate = validator(_parse)``.

Secrets are never options: an option ending in ``_env`` names the environment variable holding
the secret, and ``env`` (passed in, never read from ``os.environ`` here) supplies it. Secret
values never appear in problems, exception messages, reprs or logs.

Adding a channel: its module, one line in :data:`REGISTRY`, one entry in
``tests/test_channel_contract.py`` (that test fails if a registered channel has no entry).
"""

from __future__ import annotations

import ipaddress
import math
import re
import time
import urllib.parse
from collections.abc import Callable, Collection, Mapping
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, TypeVar

from assurance.channels import Channel, OutboundMessage, Trend
from assurance.outbox.digest import DigestEntry, DigestMessage, DigestSection
from assurance.problems import did_you_mean

__all__ = [
    "EVENT_WORDS",
    "REGISTRY",
    "TREND_WORDS",
    "ChannelConfigError",
    "ChannelFactory",
    "Options",
    "build_channel",
    "builder",
    "digest_sections",
    "event_words",
    "is_loopback",
    "parse_retry_after",
    "trend_words",
    "url_problem",
    "validate_channel",
    "validator",
]


class ChannelFactory(Protocol):
    """What a channel module provides (modules satisfy this protocol structurally)."""

    def build(self, name: str, options: Mapping[str, Any], env: Mapping[str, str]) -> Channel:
        """Build the channel, raising :class:`ChannelConfigError` with every problem."""
        ...

    def validate(self, name: str, options: Mapping[str, Any], env: Mapping[str, str]) -> list[str]:
        """Return every problem with the options (empty when they are fine)."""
        ...


class ChannelConfigError(ValueError):
    """A channel's options are wrong; ``problems`` holds every one of them.

    Args:
        problems: one line per problem, ``channels.<name>.<key>: found; expected``.
    """

    def __init__(self, problems: list[str]):
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


C = TypeVar("C", bound=Channel)
Parser = Callable[[str, Mapping[str, Any], Mapping[str, str]], tuple[C | None, list[str]]]
"""A channel module's one parser: the channel (None when there are problems) and every problem."""


def builder(parse: Parser[C]) -> Callable[[str, Mapping[str, Any], Mapping[str, str]], C]:
    """A module's ``build`` from its parser: the channel, or ChannelConfigError with every problem."""
    def build(name: str, options: Mapping[str, Any], env: Mapping[str, str]) -> C:
        channel, problems = parse(name, options, env)
        if channel is None:
            raise ChannelConfigError(problems)
        return channel
    return build


def validator(parse: Parser[C]) -> Callable[[str, Mapping[str, Any], Mapping[str, str]], list[str]]:
    """A module's ``validate`` from its parser: every problem with the options, built or not."""
    def validate(name: str, options: Mapping[str, Any], env: Mapping[str, str]) -> list[str]:
        return parse(name, options, env)[1]
    return validate


# --- reading options: every problem is collected, never only the first -----------------------

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CONVENTIONAL_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


class Options:
    """Reads one channel's raw option table, collecting problems in :attr:`problems`.

    Args:
        name: the channel's name in config (``[channels.<name>]``).
        raw: the raw TOML table, including ``type``.
        env: environment variables; secrets are read only from here.
        known: the option keys this channel accepts (``type`` is always accepted).
    """

    def __init__(
        self, name: str, raw: Mapping[str, Any], env: Mapping[str, str], known: Collection[str]
    ):
        self.name, self.raw, self.env = name, raw, env
        self.problems: list[str] = []
        accepted = sorted({"type", *known})
        for key in raw:
            if key not in accepted:
                self.problem(
                    key,
                    "unknown option",
                    f"expected one of {', '.join(accepted)}{did_you_mean(key, accepted)}",
                )

    def problem(self, key: str, found: str, expected: str) -> None:
        """Record ``channels.<name>.<key>: found; expected``."""
        self.problems.append(f"channels.{self.name}.{key}: {found}; {expected}")

    def text(self, key: str, default: str | None = None, *, required: bool = False) -> str | None:
        """A non-empty string option, or ``default`` when absent."""
        value = self.raw.get(key)
        if value is None:
            if required:
                self.problem(key, "missing", "expected a non-empty string")
            return default
        if not isinstance(value, str) or not value.strip():
            found = f"found {type(value).__name__} {value!r}"
            self.problem(key, found, "expected a non-empty string")
            return default
        return value.strip()

    def number(self, key: str, default: float, *, minimum: float = 0.0) -> float:
        """A number option (int or float, not bool) at least ``minimum``."""
        value = self.raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            self.problem(key, f"found {value!r}", f"expected a number >= {minimum:g}")
            return default
        return float(value)

    def integer(self, key: str, default: int, *, minimum: int = 0) -> int:
        """An integer option at least ``minimum``."""
        value = self.raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.problem(key, f"found {value!r}", f"expected a whole number >= {minimum}")
            return default
        return value

    def choice(self, key: str, choices: Collection[str], default: str) -> str:
        """One of ``choices``."""
        value = self.raw.get(key, default)
        if value not in choices:
            hint = did_you_mean(str(value), choices)
            self.problem(key, f"found {value!r}", f"expected one of {', '.join(choices)}{hint}")
            return default
        return str(value)

    def text_list(self, key: str) -> list[str]:
        """A required non-empty list of non-empty strings."""
        value = self.raw.get(key)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(
            isinstance(v, str) and v.strip() for v in value
        ):
            self.problem(key, f"found {value!r}", "expected a non-empty list of strings")
            return []
        return [v.strip() for v in value]

    def secret(self, key: str, what: str, *, required: bool = True) -> str | None:
        """The secret held by the environment variable named by option ``key`` (``*_env``).

        The value is returned but never written into a problem.
        """
        raw = self.raw.get(key)
        if raw is not None and not isinstance(raw, str):
            self.problem(key, f"found {type(raw).__name__}", "expected a variable name")
            return None
        var = self.text(key, required=required)
        if var is None:
            return None
        # Someone may paste the secret itself here: echo only what looks like a variable name.
        shown = var if _CONVENTIONAL_ENV_NAME.match(var) else "(value not shown)"
        if not _ENV_NAME.match(var):
            self.problem(key, f"found {shown}, which is not an environment variable name",
                         f"expected the NAME of the variable holding {what.removesuffix(' in it')}")
            return None
        value = self.env.get(var, "").strip()
        if not value:
            self.problem(key, f"environment variable {shown} is not set or empty",
                         f"expected {what}")
            return None
        return value

    def url(self, key: str, value: str | None, *, secret_from: str | None = None) -> str | None:
        """Check ``value`` is an https URL, or http to a loopback address.

        Plain http is accepted only for loopback hosts: tests and local relays listen there, and
        nothing leaves the machine unencrypted. When the URL came from an environment variable
        (``secret_from``), problems name the variable and never show the URL (Teams webhook URLs
        carry their signature).
        """
        if value is None:
            return None
        shown = f"the URL in {secret_from}" if secret_from else repr(value)
        problem = url_problem(value)
        if problem:
            self.problem(key, f"{shown} {problem}", "expected https://…, or http:// to 127.0.0.1")
            return None
        return value


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` is ``localhost`` or a loopback IP address (127.0.0.0/8, ::1)."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def url_problem(url: str) -> str | None:
    """Why ``url`` may not be posted to (see :meth:`Options.url`), or None if it may."""
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return "contains spaces or control characters"
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "is not an absolute http(s) URL"
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        return "uses plain http to a host that is not loopback"
    return None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if value is None or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


# --- wording every channel shares, so a finding reads the same everywhere ---------------------

TREND_WORDS: Mapping[Trend, str] = {"up": "↑ rising", "down": "↓ falling", "flat": "→ no change"}
"""Arrow plus word: meaning is never carried by a symbol (or a colour) alone."""

EVENT_WORDS: Mapping[str, str] = {
    "opened": "New finding",
    "reopened": "In breach again",
    "repeat": "Still in breach",
    "escalated": "Escalated",
    "acknowledged": "Acknowledged",
    "assigned": "Action assigned",
    "silenced": "Silenced",
    "resolved": "Resolved",
    "silence_expired": "Silence expired",
    "dead_letter": "Delivery failed",
    "job_error": "Job error",
    "heartbeat": "Heartbeat",
    "report_ready": "Report ready",
    "digest": "Digest",
    "reminder": "Reminder",
}


def trend_words(trend: Trend | None) -> str:
    """``"↑ rising"`` etc., or ``""`` when there is no trend."""
    return TREND_WORDS[trend] if trend else ""


def event_words(event: str) -> str:
    """``"New finding"`` for ``"opened"`` etc."""
    return EVENT_WORDS.get(event, event)


def digest_sections(message: OutboundMessage, limit: int | None = None) -> tuple[
        list[tuple[DigestSection, tuple[DigestEntry, ...]]], int]:
    """A digest's sections with at most ``limit`` lines in all, and how many were left out.

    Channels with message size limits (Slack, Teams) pass ``limit``; a message that is not a
    digest has no sections.
    """
    if not isinstance(message, DigestMessage):
        return [], 0
    shown: list[tuple[DigestSection, tuple[DigestEntry, ...]]] = []
    left = limit if limit is not None else sum(len(s.entries) for s in message.sections)
    omitted = 0
    for section in message.sections:
        take = section.entries[:max(0, left)]
        left -= len(take)
        omitted += len(section.entries) - len(take)
        if take:
            shown.append((section, take))
    return shown, omitted


# The channel modules use the helpers above, so they are imported last.
from connectors.channels import console, email, slack, teams, webhook  # noqa: E402

REGISTRY: dict[str, ChannelFactory] = {
    "slack": slack,
    "teams": teams,
    "email": email,
    "webhook": webhook,
    "console": console,
}
"""Channel modules by the ``type`` used in config."""


def _factory(name: str, options: Mapping[str, Any]) -> tuple[ChannelFactory | None, list[str]]:
    kind = options.get("type")
    factory = REGISTRY.get(kind) if isinstance(kind, str) else None
    if factory is None:
        hint = did_you_mean(str(kind), REGISTRY)
        found = "missing" if kind is None else f"found {kind!r}"
        expected = f"expected one of {', '.join(REGISTRY)}{hint}"
        return None, [f"channels.{name}.type: {found}; {expected}"]
    return factory, []


def validate_channel(name: str, options: Mapping[str, Any], env: Mapping[str, str]) -> list[str]:
    """Every problem with one ``[channels.<name>]`` table, dispatching on its ``type``."""
    factory, problems = _factory(name, options)
    return factory.validate(name, options, env) if factory else problems


def build_channel(name: str, options: Mapping[str, Any], env: Mapping[str, str]) -> Channel:
    """Build the channel for one ``[channels.<name>]`` table, dispatching on its ``type``.

    Raises:
        ChannelConfigError: with every problem found.
    """
    factory, problems = _factory(name, options)
    if factory is None:
        raise ChannelConfigError(problems)
    return factory.build(name, options, env)
