"""Pytest fixtures for the loopback servers in :mod:`servers` (``tests/servers.py``).

Use them with ``pytest_plugins = ["conftest_servers"]`` in a test module, or import them
into ``tests/conftest.py``. Each fixture starts a fresh server and stops it after the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, TypeVar

import pytest

from servers import SMTP_PASSWORD, SMTP_USER, FakeSlackServer, SmtpServer, WebhookReceiver

S = TypeVar("S")


def _serving(name: str, make: Callable[[], AbstractContextManager[S]], doc: str) -> Any:
    """A fixture named ``name`` that starts ``make()``, yields it and stops it after the test."""
    def serve() -> Iterator[S]:
        with make() as server:
            yield server
    serve.__doc__ = doc
    return pytest.fixture(serve, name=name)


slack_server = _serving("slack_server", FakeSlackServer,
                        "A fake Slack Web API accepting token ``xoxb-test-token``.")
webhook_receiver = _serving("webhook_receiver", WebhookReceiver,
                            "An HTTP receiver answering 202 (as Teams Workflows does) to every POST.")
smtp_server = _serving("smtp_server", SmtpServer, "An SMTP server needing no login.")
smtp_auth_server = _serving(
    "smtp_auth_server", lambda: SmtpServer(username=SMTP_USER, password=SMTP_PASSWORD),
    "An SMTP server requiring login ``servers.SMTP_USER`` / ``servers.SMTP_PASSWORD``.")
