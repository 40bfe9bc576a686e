"""Email channel: HTML and plain-text mail over SMTP, one conversation per finding.

Each message gets a deterministic ``Message-ID`` of ``<{idempotency_key}@{domain}>``, so a
retried delivery carries the same id and receiving systems can drop the duplicate. The first
message of a finding is the thread root; later ones set ``In-Reply-To`` and ``References`` to
the root's id (``thread.provider_message_id``) and prefix the subject with ``Re:``, which is how
mail clients group a conversation. ``Auto-Submitted: auto-generated`` stops auto-replies.

Options (``type = "email"``): ``host``, ``port`` (default 587, 465 for ssl, 25 for none),
``from``, ``to`` (list), ``security`` (``"starttls"`` default, ``"ssl"`` or ``"none"``),
``username`` and ``password_env`` (together), ``timeout`` (seconds, default 30),
``message_id_domain`` (default: the domain of ``from``), ``ca_file`` (PEM of CAs to trust
instead of the system's, for relays with an internal CA). Documents (board reports) are
attached to the mail. A digest (:mod:`assurance.outbox.digest`) is one mail, not
threaded: its counts, then a heading per organisation and a list item per event, every line
included, each linking to its report where there is one. ``security = "none"`` with a login is
refused unless ``host`` is loopback: the password would cross the network in clear.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Any

from assurance.channels import ChannelError, DeliveryResult, OutboundMessage, ThreadRef
from assurance.outbox.digest import is_digest
from connectors.channels import (
    Options,
    builder,
    digest_sections,
    event_words,
    is_loopback,
    trend_words,
    validator,
)
from connectors.channels.escaping import html_text as _h
from connectors.channels.escaping import plain, safe_url, single_line

OPTIONS = ("host", "port", "from", "to", "security", "username", "password_env", "timeout",
           "message_id_domain", "ca_file")
_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


def message_id(key: str, domain: str) -> str:
    """``<{key}@{domain}>``, with characters not allowed in a Message-ID as ``=XX`` (UTF-8)."""
    safe = re.sub(r"[^A-Za-z0-9_-]", lambda m: "".join(f"={b:02X}" for b in m[0].encode()), key)
    return f"<{safe}@{domain}>"


def _rows(m: OutboundMessage) -> list[tuple[str, str]]:
    return [("Organisation", f"{m.organisation_name} ({m.organisation_code})"),
            ("Period", m.period), ("State", m.state), ("Escalation level", m.level),
            *m.facts, ("Rule", m.rule_id), ("Reference", m.thread_key)]


def subject(m: OutboundMessage, *, reply: bool) -> str:
    """``[assurance] {severity}: {title} — {organisation_name}``, ``Re:`` for replies."""
    what = event_words(m.event) if m.attachments or is_digest(m) else m.severity
    text = f"[assurance] {what}: {m.title} — {m.organisation_name}"
    return single_line(("Re: " if reply else "") + text)


def _digest_plain(m: OutboundMessage) -> list[str]:
    lines = [f"{m.severity.upper()} · {event_words(m.event)}: {m.title}", m.headline, "",
             *(f"{label}: {value}" for label, value in m.facts), f"Period: {m.period}"]
    for section, entries in digest_sections(m)[0]:
        lines += ["", f"{section.organisation_name} ({section.organisation_code})"]
        for e in entries:
            lines.append(f"- {event_words(e.event)} ({e.period}): {e.title} — {e.headline} · {e.thread_key}")
            if url := safe_url(e.report_url):
                lines.append(f"  Report: {url}")
    return lines


def _digest_html(m: OutboundMessage) -> list[str]:
    rows = "".join(f'<tr><th scope="row" style="text-align:left">{_h(k)}</th><td>{_h(v)}</td>'
                   "</tr>" for k, v in (*m.facts, ("Period", m.period)))
    parts = [f"<h1>{_h(m.title)}</h1>",
             f"<p><strong>{_h(m.severity.upper())}</strong> · {_h(event_words(m.event))}</p>",
             f"<p>{_h(m.headline)}</p>", f"<table>{rows}</table>"]
    for section, entries in digest_sections(m)[0]:
        parts.append(f"<h2>{_h(section.organisation_name)} "
                     f"({_h(section.organisation_code)})</h2>")
        items = []
        for e in entries:
            link = (f' <a href="{_h(url)}">Open the report</a>'
                    if (url := safe_url(e.report_url)) else "")
            items.append(f"<li>{_h(event_words(e.event))} ({_h(e.period)}): {_h(e.title)} — "
                         f"{_h(e.headline)} · {_h(e.thread_key)}{link}</li>")
        parts.append(f"<ul>{''.join(items)}</ul>")
    return parts


def plain_body(m: OutboundMessage) -> str:
    """The text/plain part."""
    lines = ["SYNTHETIC DEMO DATA", ""] if m.synthetic else []
    if is_digest(m):
        return plain("\n".join(lines + _digest_plain(m))) + "\n"
    lines += [f"{m.severity.upper()} · {event_words(m.event)}: {m.title}",
              f"{m.headline} {trend_words(m.trend)}".rstrip(), ""]
    lines += [f"{label}: {value}" for label, value in _rows(m)]
    for label, text in (("Why it matters", m.why), ("What to do", m.action)):
        if text:
            lines += ["", f"{label}:", text]
    if url := safe_url(m.report_url):
        lines += ["", f"Report: {url}"]
    return plain("\n".join(lines)) + "\n"


def html_body(m: OutboundMessage) -> str:
    """The text/html part: semantic HTML, data escaped, meaning never in colour alone."""
    rows = "".join(f'<tr><th scope="row" style="text-align:left">{_h(k)}</th><td>{_h(v)}</td>'
                   "</tr>" for k, v in _rows(m))
    parts = ['<p><strong>SYNTHETIC DEMO DATA</strong></p>'] if m.synthetic else []
    if is_digest(m):
        parts += _digest_html(m)
        return ('<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
                f"<title>{_h(m.title)}</title></head><body>{''.join(parts)}</body></html>\n")
    parts += [f"<h1>{_h(m.title)}</h1>",
              f"<p><strong>{_h(m.severity.upper())}</strong> · {_h(event_words(m.event))}</p>",
              f"<p>{_h(m.headline)} {_h(trend_words(m.trend))}</p>",
              f"<table>{rows}</table>"]
    for label, text in (("Why it matters", m.why), ("What to do", m.action)):
        if text:
            parts += [f"<h2>{label}</h2>", f"<p>{_h(text)}</p>"]
    if url := safe_url(m.report_url):
        parts.append(f'<p><a href="{_h(url)}">Open the report</a></p>')
    return ('<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
            f"<title>{_h(m.title)}</title></head><body>{''.join(parts)}</body></html>\n")


class EmailChannel:
    """Sends findings by SMTP (see the module docstring). The password is never shown."""

    def __init__(self, name: str, *, host: str, port: int, sender: str, to: list[str],
                 security: str, username: str | None, password: str | None, timeout: float,
                 domain: str, ca_file: str | None = None):
        self.name, self._host, self._port, self._sender, self._to = name, host, port, sender, to
        self._security, self._username, self._password = security, username, password
        self._timeout, self._domain, self._ca_file = timeout, domain, ca_file

    def __repr__(self) -> str:
        return (f"EmailChannel(name={self.name!r}, host={self._host!r}, port={self._port}, "
                f"security={self._security!r}, username={self._username!r})")

    def check(self) -> list[str]:
        """Offline: nothing beyond what :func:`validate` checked at build time."""
        return []

    def compose(self, message: OutboundMessage, thread: ThreadRef | None) -> EmailMessage:
        """The email for ``message``, threaded under ``thread`` when given."""
        mail = EmailMessage()
        mail["Subject"] = subject(message, reply=thread is not None)
        mail["From"], mail["To"] = self._sender, ", ".join(self._to)
        mail["Date"] = formatdate(usegmt=True)
        mail["Message-ID"] = message_id(message.idempotency_key, self._domain)
        if thread is not None:
            root = single_line(thread.provider_message_id).strip("<>")
            mail["In-Reply-To"] = mail["References"] = f"<{root}>"
        mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(plain_body(message))
        mail.add_alternative(html_body(message), subtype="html")
        for a in message.attachments:
            maintype, _, subtype = a.content_type.partition("/")
            mail.add_attachment(a.read(), maintype=maintype, subtype=subtype,
                                filename=a.filename)
        return mail

    def send(self, message: OutboundMessage, thread: ThreadRef | None) -> DeliveryResult:
        """Send one email; the result's id is its Message-ID."""
        mail = self.compose(message, thread)
        where = f"email {self.name} (SMTP {self._host}:{self._port})"
        try:
            refused = self._deliver(mail)
        except smtplib.SMTPAuthenticationError:
            raise ChannelError(f"{where}: SMTP server refused the login for user "
                               f"{self._username}; check the password in channels.{self.name}."
                               "password_env", retryable=False) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise ChannelError(f"{where}: every recipient was refused "
                               f"({', '.join(exc.recipients)}); check channels.{self.name}.to",
                               retryable=False) from None
        except smtplib.SMTPNotSupportedError:
            raise ChannelError(f"{where}: the server does not offer {self._security.upper()} "
                               "or AUTH; check security and port", retryable=False) from None
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, …
            said = exc.smtp_error
            said = said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)
            raise ChannelError(f"{where}: server answered {exc.smtp_code} {plain(said)[:200]}",
                               retryable=400 <= exc.smtp_code < 500) from None
        except ssl.SSLCertVerificationError as exc:
            raise ChannelError(f"{where}: the server's TLS certificate was not trusted "
                               f"({exc.verify_message})", retryable=False) from None
        except (OSError, smtplib.SMTPException) as exc:  # refused, timed out, disconnected
            raise ChannelError(f"{where}: could not deliver ({type(exc).__name__}: {exc})",
                               retryable=True) from None
        extra = {"refused": ", ".join(sorted(refused))} if refused else {}
        return DeliveryResult(str(mail["Message-ID"]), extra=extra)

    def _deliver(self, mail: EmailMessage) -> dict[str, Any]:
        context = ssl.create_default_context(cafile=self._ca_file)
        smtp: smtplib.SMTP
        if self._security == "ssl":
            smtp = smtplib.SMTP_SSL(self._host, self._port, timeout=self._timeout,
                                    context=context)
        else:
            smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        with smtp:
            if self._security == "starttls":
                smtp.starttls(context=context)
            if self._username and self._password:
                smtp.login(self._username, self._password)
            return dict(smtp.send_message(mail, from_addr=parseaddr(self._sender)[1],
                                          to_addrs=self._to))


def _parse(name: str, options: Mapping[str, Any], env: Mapping[str, str]) -> tuple[
        EmailChannel | None, list[str]]:
    o = Options(name, options, env, OPTIONS)
    host, sender = o.text("host", required=True), o.text("from", required=True)
    to = o.text_list("to")
    security = o.choice("security", tuple(_PORTS), "starttls")
    username = o.text("username")
    password = o.secret("password_env", "the SMTP password in it", required=username is not None)
    if password and not username:
        o.problem("password_env", "set without username", "expected both or neither")
    if username and security == "none" and not is_loopback(host):
        o.problem("security", "'none' with a login to a non-loopback host",
                  "expected starttls or ssl so the password is not sent in clear")
    domain = o.text("message_id_domain")
    for key, address in [("from", sender), *(("to", a) for a in to)]:
        addr = parseaddr(address or "")[1]
        try:
            parsed = Address(addr_spec=addr)
        except (ValueError, IndexError):
            parsed = None
        if address and (parsed is None or not parsed.domain):
            o.problem(key, f"found {address!r}", "expected an email address like name@nhs.net")
        elif key == "from" and parsed is not None and domain is None:
            domain = parsed.domain
    ca_file = o.text("ca_file")
    if ca_file and not Path(ca_file).is_file():
        o.problem("ca_file", f"no file at {ca_file!r}", "expected a PEM file of CA certificates")
    port = o.integer("port", _PORTS[security], minimum=1)
    timeout = o.number("timeout", 30.0, minimum=0.1)
    if o.problems or host is None or sender is None or domain is None:
        return None, o.problems
    return EmailChannel(name, host=host, port=port, sender=sender, to=to, security=security,
                        username=username, password=password, timeout=timeout,
                        domain=domain, ca_file=ca_file), []


validate = validator(_parse)
build = builder(_parse)
