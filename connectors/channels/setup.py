"""The configured channels: checked offline (``assurance config check``) and built for delivery.

The composition layer (:mod:`assurance.api`) calls these; each channel kind's own checks live
with the kind (``connectors.channels.REGISTRY``).
"""

from __future__ import annotations

from collections.abc import Mapping

from assurance import outbox, routing
from assurance.channels import Channel
from assurance.config import Settings
from assurance.problems import Problem, ProblemsError, did_you_mean
from connectors.channels import REGISTRY, ChannelConfigError, build_channel
from connectors.channels.console import ConsoleChannel


def check_configured(settings: Settings, env: Mapping[str, str]) -> list[Problem]:
    """Check every configured channel offline (types, options, secrets present), the outbox
    options and the subscriptions."""
    problems = []
    where = str(settings.source or "<config>")
    for name, options in settings.channels.items():
        kind = str(options.get("type"))
        if kind not in REGISTRY:
            problems.append(Problem(where, f"channels.{name}.type: unknown channel type "
                                    f"{kind!r}{did_you_mean(kind, REGISTRY)}; expected one of "
                                    + ", ".join(REGISTRY)))
            continue
        problems.extend(Problem(where, msg) for msg in REGISTRY[kind].validate(
            name, outbox.transport_options(options), env))
    return problems + outbox.check_outbox_options(settings) + routing.check_subscriptions(settings)


def build_configured(settings: Settings, env: Mapping[str, str]) -> dict[str, Channel]:
    """Every configured channel, built (secrets from ``env``), plus the fallback console.

    Raises:
        ProblemsError: every channel whose options are unusable.
    """
    where = str(settings.source or "<config>")
    built: dict[str, Channel] = {}
    problems: list[Problem] = []
    for name, options in settings.channels.items():
        try:
            built[name] = build_channel(name, outbox.transport_options(options), env)
        except ChannelConfigError as exc:
            problems += [Problem(where, p) for p in exc.problems]
    if problems:
        raise ProblemsError(problems)
    fallback = outbox.fallback_channel(settings)
    built.setdefault(fallback, ConsoleChannel(fallback))
    return built
