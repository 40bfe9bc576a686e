"""Pytest fixtures for the loopback servers in :mod:`servers` (``tests/servers.py``).

Use them with ``pytest_plugins = ["conftest_servers"]`` in a test module, or import them
into ``tests/conftest.py``. Each fixture starts a fresh server and stops it after the test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from servers import SMTP_PASSWORD, SMTP_USER, FakeSlackServer, SmtpServer, WebhookReceiver


@pytest.fixture
def slack_server() -> Iterator[FakeSlackServer]:
    """A fake Slack Web API accepting token ``xoxb-test-token``."""
    with FakeSlackServer() as server:
        yield server


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """An HTTP receiver answering 202 (as Teams Workflows does) to every POST."""
    with WebhookReceiver() as server:
        yield server


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """An SMTP server needing no login."""
    with SmtpServer() as server:
        yield server


@pytest.fixture
def smtp_auth_server() -> Iterator[SmtpServer]:
    """An SMTP server requiring login ``servers.SMTP_USER`` / ``servers.SMTP_PASSWORD``."""
    with SmtpServer(username=SMTP_USER, password=SMTP_PASSWORD) as server:
        yield server
