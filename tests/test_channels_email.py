"""Email channel against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import socket
from email.message import EmailMessage
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from assurance.channels import ChannelError, ThreadRef
from channel_support import HOSTILE_ORG, hostile_message
from connectors.channels import email as email_channel
from servers import SMTP_PASSWORD, SMTP_USER, SmtpServer, self_signed_cert

pytest_plugins = ["conftest_servers"]
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


# A finding message with hostile data in its free-text fields.
finding = partial(hostile_message, report_url="https://reports.example/rxx?a=1&b=2")


def channel_for(server: SmtpServer, env: dict[str, str] | None = None,
                **options: Any) -> email_channel.EmailChannel:
    table = {"type": "email", "host": server.host, "port": server.port, "security": "none",
             "from": "Assurance bot <assurance@trust.nhs.uk>",
             "to": ["edi-lead@trust.nhs.uk", "board-sec@trust.nhs.uk"], "timeout": 5, **options}
    return email_channel.build("board", table, env or {})


def html_part(mail: EmailMessage) -> str:
    part = mail.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def text_part(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_first_message_has_deterministic_message_id_subject_and_both_parts(
        smtp_server: SmtpServer) -> None:
    result = channel_for(smtp_server).send(finding(), None)
    (received,) = smtp_server.messages
    mail = received.message
    expected_id = "<wres=2E2=2Eadverse=2FRXX=2F2024=2Fopened@trust.nhs.uk>"
    assert result.provider_message_id == expected_id == mail["Message-ID"]
    # Python's header folder may leave a double space where it wrapped the encoded "—".
    assert " ".join(mail["Subject"].split()) == (
        f"[assurance] high: WRES indicator 2 outside the non-adverse range — {HOSTILE_ORG}")
    assert mail["In-Reply-To"] is None and mail["Auto-Submitted"] == "auto-generated"
    assert received.rcpt_tos == ["edi-lead@trust.nhs.uk", "board-sec@trust.nhs.uk"]
    assert received.mail_from == "assurance@trust.nhs.uk"
    assert "SYNTHETIC DEMO DATA" in text_part(mail) and "SYNTHETIC DEMO DATA" in html_part(mail)
    assert "↑ rising" in text_part(mail)


def test_same_message_twice_gets_the_same_message_id(smtp_server: SmtpServer) -> None:
    channel = channel_for(smtp_server)
    assert channel.send(finding(), None) == channel.send(finding(), None)


def test_reply_threads_under_the_root_with_re_subject(smtp_server: SmtpServer) -> None:
    channel = channel_for(smtp_server)
    root = channel.send(finding(), None)
    resolved = finding(event="resolved", idempotency_key="k2")
    channel.send(resolved, ThreadRef(root.provider_message_id))
    reply = smtp_server.messages[1].message
    assert reply["In-Reply-To"] == root.provider_message_id
    assert reply["References"] == root.provider_message_id
    assert reply["Subject"].startswith("Re: [assurance] high: ")
    assert reply["Message-ID"] == "<k2@trust.nhs.uk>"


def test_html_part_escapes_data_and_links_only_the_report(smtp_server: SmtpServer) -> None:
    channel_for(smtp_server).send(finding(), None)
    html = html_part(smtp_server.messages[0].message)
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "&lt;!channel&gt; Trust &amp; &lt;@U123&gt;" in html
    assert 'href="http://evil' not in html and "<https://evil" not in html
    assert '<a href="https://reports.example/rxx?a=1&amp;b=2">' in html
    assert '<html lang="en-GB">' in html and '<th scope="row"' in html


def test_header_injection_through_the_title_is_impossible(smtp_server: SmtpServer) -> None:
    channel_for(smtp_server).send(finding(title="Alert\r\nBcc: attacker@evil.example"), None)
    mail = smtp_server.messages[0].message
    assert mail["Bcc"] is None and "attacker@evil.example" not in smtp_server.messages[0].rcpt_tos
    assert "\n" not in mail["Subject"]


def test_login_with_the_right_password_sends(smtp_auth_server: SmtpServer) -> None:
    channel = channel_for(smtp_auth_server, {"SMTP_PASSWORD": SMTP_PASSWORD},
                          username=SMTP_USER, password_env="SMTP_PASSWORD")
    channel.send(finding(), None)
    assert smtp_auth_server.logins == [(SMTP_USER, True)] and len(smtp_auth_server.messages) == 1


def test_refused_login_is_final_and_names_the_user_not_the_password(
        smtp_auth_server: SmtpServer) -> None:
    wrong = "hunter2-wrong"
    channel = channel_for(smtp_auth_server, {"SMTP_PASSWORD": wrong}, username=SMTP_USER,
                          password_env="SMTP_PASSWORD")
    with pytest.raises(ChannelError) as caught:
        channel.send(finding(), None)
    assert not caught.value.retryable
    assert f"SMTP server refused the login for user {SMTP_USER}" in str(caught.value)
    assert wrong not in str(caught.value) and wrong not in repr(channel)
    assert smtp_auth_server.messages == []


def test_refused_recipients_are_final(smtp_server: SmtpServer) -> None:
    smtp_server.refuse_recipients = {"edi-lead@trust.nhs.uk", "board-sec@trust.nhs.uk"}
    with pytest.raises(ChannelError) as caught:
        channel_for(smtp_server).send(finding(), None)
    assert not caught.value.retryable and "edi-lead@trust.nhs.uk" in str(caught.value)


def test_one_refused_recipient_is_reported_but_the_rest_receive(smtp_server: SmtpServer) -> None:
    smtp_server.refuse_recipients = {"board-sec@trust.nhs.uk"}
    result = channel_for(smtp_server).send(finding(), None)
    assert result.extra["refused"] == "board-sec@trust.nhs.uk"
    assert smtp_server.messages[0].rcpt_tos == ["edi-lead@trust.nhs.uk"]


def test_temporary_failure_is_retryable(smtp_server: SmtpServer) -> None:
    smtp_server.data_failures.append("451 4.3.0 Try again later")
    with pytest.raises(ChannelError) as caught:
        channel_for(smtp_server).send(finding(), None)
    assert caught.value.retryable and "451" in str(caught.value)


def test_permanent_failure_is_final(smtp_server: SmtpServer) -> None:
    smtp_server.data_failures.append("554 5.6.0 Message rejected")
    with pytest.raises(ChannelError) as caught:
        channel_for(smtp_server).send(finding(), None)
    assert not caught.value.retryable


def test_connection_refused_is_retryable() -> None:
    with socket.socket() as s:  # a port that was free a moment ago, with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    table = {"type": "email", "host": "127.0.0.1", "port": port, "security": "none",
             "from": "a@trust.nhs.uk", "to": ["b@trust.nhs.uk"]}
    with pytest.raises(ChannelError) as caught:
        email_channel.build("board", table, {}).send(finding(), None)
    assert caught.value.retryable


def test_starttls_refused_by_a_plain_server_is_final(smtp_server: SmtpServer) -> None:
    with pytest.raises(ChannelError) as caught:
        channel_for(smtp_server, security="starttls").send(finding(), None)
    assert not caught.value.retryable and "STARTTLS" in str(caught.value)


def test_validate_collects_every_problem() -> None:
    problems = email_channel.validate("board", {
        "type": "email", "host": "smtp.example.org", "from": "not an address", "to": [],
        "security": "tls", "username": "bot", "password_env": "NOPE", "prot": 25}, {})
    text = "\n".join(problems)
    assert "channels.board.prot: unknown option" in text and "did you mean 'port'" in text
    assert "channels.board.security: found 'tls'" in text
    assert "channels.board.to:" in text and "channels.board.from:" in text
    assert "channels.board.password_env: environment variable NOPE is not set" in text


def test_plain_smtp_login_is_refused_unless_loopback() -> None:
    base = {"type": "email", "from": "a@trust.nhs.uk", "to": ["b@trust.nhs.uk"],
            "security": "none", "username": "bot", "password_env": "P"}
    remote = email_channel.validate("board", {**base, "host": "smtp.example.org"}, {"P": "x"})
    assert any("channels.board.security:" in p and "in clear" in p for p in remote)
    assert email_channel.validate("board", {**base, "host": "127.0.0.1"}, {"P": "x"}) == []


@pytest.fixture
def cert(tmp_path: Path) -> tuple[Path, Path]:
    made = self_signed_cert(tmp_path)
    if made is None:
        pytest.skip("openssl CLI not available to make a test certificate")
    return made


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_login_and_delivery_with_a_trusted_ca(cert: tuple[Path, Path], security: str) -> None:
    server = SmtpServer(SMTP_USER, SMTP_PASSWORD, cert=cert, tls="ssl" if security == "ssl"
                        else "starttls")
    with server:
        channel = channel_for(server, {"P": SMTP_PASSWORD}, security=security,
                              username=SMTP_USER, password_env="P", ca_file=str(cert[0]))
        channel.send(finding(), None)
    assert server.logins == [(SMTP_USER, True)] and len(server.messages) == 1


def test_untrusted_certificate_is_final_and_says_so(cert: tuple[Path, Path]) -> None:
    with SmtpServer(cert=cert) as server, pytest.raises(ChannelError) as caught:
        channel_for(server, security="starttls").send(finding(), None)
    assert not caught.value.retryable and "certificate was not trusted" in str(caught.value)
    assert server.messages == []


def test_missing_ca_file_is_a_config_problem() -> None:
    problems = email_channel.validate("board", {
        "type": "email", "host": "smtp.example.org", "from": "a@trust.nhs.uk",
        "to": ["b@trust.nhs.uk"], "ca_file": "/nowhere/ca.pem"}, {})
    assert problems == ["channels.board.ca_file: no file at '/nowhere/ca.pem'; "
                        "expected a PEM file of CA certificates"]
