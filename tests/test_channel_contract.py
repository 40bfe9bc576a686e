"""One contract every registered channel keeps, run against each one's loopback server.

For each channel in ``connectors.channels.REGISTRY``: it builds from its config table, its
offline check passes, an *opened* message and then a *resolved* message in the same thread both
arrive, the second is tied to the first, a digest arrives as one message naming every
organisation and every line, and hostile data (mentions, links, HTML, Markdown, terminal
escapes), in a message or a digest, arrives with no live markup. A channel added to the
registry without an entry in ``HARNESSES`` fails :func:`test_every_registered_channel_has_a_contract_harness`.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from assurance.channels import Attachment, Channel, ThreadRef
from assurance.outbox import digest
from channel_support import hostile_message
from connectors.channels import REGISTRY, build_channel, validate_channel
from connectors.channels.console import ConsoleChannel
from servers import FakeSlackServer, SmtpServer, WebhookReceiver

SECRET = "s3cret-value-never-shown"
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# An *opened* message whose every free-text field is hostile.
finding = partial(
    hostile_message, title="WRES indicator 2 <b>outside</b> the range",
    headline="Relative likelihood 1.62 @here",
    why="<script>alert('x')</script> matters\x1b[31m", action="Read [x](http://evil) now\u202e",
    facts=(("@everyone", "<!here> *"),))


def hostile_digest() -> digest.DigestMessage:
    """A digest of hostile messages about two organisations, with a good, a hostile and a
    pipe-and-bracket report link."""
    messages = [
        finding(idempotency_key="k1", thread_key="ref-rxx-opened"),
        finding(idempotency_key="k2", event="resolved", thread_key="ref-rxx-resolved",
                report_url="javascript:alert(1)"),
        finding(idempotency_key="k3", event="escalated", thread_key="ref-ryy-escalated",
                organisation_code="RYY", organisation_name="*Bold* [Trust](http://evil) <b>",
                report_url="https://reports.example/a|b>c"),
    ]
    at = datetime(2025, 6, 2, 7, tzinfo=UTC)
    return digest.build(messages, key="digest-key-1", subscription="race <!here>",
                        mode="daily", audience="network", since=at - timedelta(days=1),
                        until=at, timezone="Europe/London")


DIGEST_MARKERS = (b"ref-rxx-opened", b"ref-rxx-resolved", b"ref-ryy-escalated", b"RXX", b"RYY")
"""What every rendering of :func:`hostile_digest` must carry: each line's reference and each
organisation's code."""
OUR_LINK = re.compile(r"^<https://reports\.example/[^<>|\s]*\|Open report>$")


@dataclass
class Delivery:
    """What a server received for one message, reduced to what the contract inspects."""

    visible: list[str]  # every data-bearing text as the platform will read it
    reply_to: str | None  # the thread reference this delivery names, if any
    own_id: str | None = None  # the id it was delivered under, when the server sees one


@dataclass
class Harness:
    """How to build one channel type against its server and read back what arrived."""

    options: dict[str, Any]
    env: dict[str, str]
    received: Callable[[], list[Delivery]]
    live_markup: Callable[[str], list[str]]  # live constructs found in one visible text
    raw: Callable[[], bytes]  # everything the receiver got, as bytes


def _strings(doc: Any, keys: tuple[str, ...] = ("text", "title", "value")) -> list[str]:
    if isinstance(doc, dict):
        own = [v for k, v in doc.items() if k in keys and isinstance(v, str)]
        return own + [t for v in doc.values() for t in _strings(v, keys)]
    if isinstance(doc, list):
        return [t for v in doc for t in _strings(v, keys)]
    return []


SECTION_TEXT = ("organisation_name", "title", "headline", "thread_key")


def _slack(stack: ExitStack, tmp: Path) -> Harness:
    server = stack.enter_context(FakeSlackServer(token=f"xoxb-{SECRET}"))

    def received() -> list[Delivery]:
        return [Delivery(_strings(p := c.params()) + [p["text"]], p.get("thread_ts"),
                         p.get("thread_ts"))
                for c in server.calls("chat.postMessage")]

    def live(text: str) -> list[str]:  # our own links to a safe report URL are not data's
        found = re.findall(r"<[^>]*>|@(?:here|channel|everyone)\b", text)
        return [f for f in found if not OUR_LINK.match(f)]

    options = {"type": "slack", "channel": "C0123", "token_env": "SLACK_TOKEN",
               "base_url": server.base_url, "retry_backoff": 0.01}
    return Harness(options, {"SLACK_TOKEN": f"xoxb-{SECRET}"}, received, live,
                   lambda: b"".join(r.body for r in server.received))


def _teams(stack: ExitStack, tmp: Path) -> Harness:
    server = stack.enter_context(WebhookReceiver())
    ours = {"**Why it matters**", "**What to do**", "Open report"}

    def received() -> list[Delivery]:
        out = []
        for r in server.received:
            card = r.json()["attachments"][0]["content"]
            facts = {f["title"]: f["value"] for f in _find_facts(card)}
            out.append(Delivery([t for t in _strings(card) if t not in ours],
                                facts["Reference"]))
        return out

    def live(text: str) -> list[str]:
        return re.findall(r"(?<!\\)[\[\]<>*_`]|https?://", text)

    url = f"{server.url}/workflows/1?sig={SECRET}"
    return Harness({"type": "teams", "url_env": "TEAMS_URL"}, {"TEAMS_URL": url}, received, live,
                   lambda: b"".join(r.body for r in server.received))


def _find_facts(card: Any) -> list[dict[str, str]]:
    return [f for block in card["body"] if block["type"] == "FactSet" for f in block["facts"]]


def _email(stack: ExitStack, tmp: Path) -> Harness:
    server = stack.enter_context(SmtpServer())

    def received() -> list[Delivery]:
        out = []
        for m in server.messages:
            html, text = (str(m.message.get_body((k,)).get_content())  # type: ignore[union-attr]
                          .replace("\r\n", "\n") for k in ("html", "plain"))  # SMTP's CRLF
            out.append(Delivery([html, text, str(m.message["Subject"])],
                                m.message["In-Reply-To"], m.message["Message-ID"]))
        return out

    def live(text: str) -> list[str]:  # HTML part: only our own tags, never data's
        tags = re.findall(r"<(/?[a-zA-Z!][^>]*)>", text)
        allowed = re.compile(r"^(/?(html|head|body|meta|title|h1|h2|p|strong|table|tr|th|td|ul|"
                             r"li)\b.*|!DOCTYPE html|a href=\"https://reports\.example/[^\"<>]*\"|"
                             r"/a)$")
        return [t for t in tags if not allowed.match(t)] if "<html" in text else []

    options = {"type": "email", "host": server.host, "port": server.port, "security": "none",
               "from": "bot@trust.nhs.uk", "to": ["edi@trust.nhs.uk"]}
    return Harness(options, {}, received, live, lambda: b"".join(
        part.get_payload(decode=True) or b"" for m in server.messages for part in m.message.walk()))


def _webhook(stack: ExitStack, tmp: Path) -> Harness:
    server = stack.enter_context(WebhookReceiver(status=200))

    def received() -> list[Delivery]:
        out = []
        for r in server.received:
            expected = hmac.new(SECRET.encode(), r.body, hashlib.sha256).hexdigest()
            assert r.headers["x-assurance-signature"] == f"sha256={expected}"
            doc = r.json()
            thread = doc["thread"]["provider_message_id"] if doc["thread"] else None
            out.append(Delivery([doc["organisation_name"], doc["why"], doc["action"],
                                 *_strings(doc.get("sections", []), SECTION_TEXT)], thread))
        return out

    options = {"type": "webhook", "url": f"{server.url}/hook", "secret_env": "HOOK_SECRET"}
    return Harness(options, {"HOOK_SECRET": SECRET}, received, lambda text: [],
                   lambda: b"".join(r.body for r in server.received))


def _console(stack: ExitStack, tmp: Path) -> Harness:
    path = tmp / "messages.jsonl"

    def received() -> list[Delivery]:
        docs = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
        return [Delivery([d["organisation_name"], d["why"], d["action"],
                          *_strings(d.get("sections", []), SECTION_TEXT)],
                         d["thread"]["provider_message_id"] if d["thread"] else None)
                for d in docs]

    return Harness({"type": "console", "path": str(path)}, {}, received, lambda text: [],
                   path.read_bytes)


HARNESSES: dict[str, Callable[[ExitStack, Path], Harness]] = {
    "slack": _slack, "teams": _teams, "email": _email, "webhook": _webhook, "console": _console,
}


def test_every_registered_channel_has_a_contract_harness() -> None:
    assert set(HARNESSES) == set(REGISTRY)


@pytest.fixture(params=sorted(REGISTRY))
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    with ExitStack() as stack:
        yield HARNESSES[request.param](stack, tmp_path)


def _build(h: Harness) -> Channel:
    assert validate_channel("contract", h.options, h.env) == []
    channel = build_channel("contract", h.options, h.env)
    assert channel.name == "contract" and channel.check() == []
    return channel


def test_opened_then_resolved_arrive_in_one_thread(harness: Harness) -> None:
    channel = _build(harness)
    first = channel.send(finding(), None)
    resolved = finding(event="resolved", state="ok", idempotency_key="k-resolved", trend="down")
    second = channel.send(resolved, ThreadRef(first.provider_message_id, first.extra))
    assert first.provider_message_id and second.provider_message_id
    opened_delivery, resolved_delivery = harness.received()
    assert opened_delivery.reply_to in (None, "wres.2.adverse/RXX")  # Teams: reference only
    if resolved_delivery.reply_to != "wres.2.adverse/RXX":  # channels that really thread
        assert resolved_delivery.reply_to is not None
        assert resolved_delivery.reply_to in first.provider_message_id


def test_hostile_data_arrives_without_live_markup_or_control_characters(
        harness: Harness) -> None:
    channel = _build(harness)
    channel.send(finding(), None)
    (delivery,) = harness.received()
    assert delivery.visible
    for text in delivery.visible:
        assert harness.live_markup(text) == [], text
        assert CONTROL.search(text) is None, repr(text)


def test_a_document_arrives_as_the_file_or_as_its_name_and_checksum(
        harness: Harness, tmp_path: Path) -> None:
    # Slack and email carry the file itself; Teams, webhooks and the console say which file
    # it is and where it was saved, with its SHA-256 so the reader can check the copy.
    doc = tmp_path / "RXX-board.docx"
    doc.write_bytes(b"PK\x03\x04 board report bytes " + SECRET.encode()[::-1])
    attachment = Attachment.of(doc)
    message = finding(event="report_ready", attachments=(attachment,),
                      facts=(("File", doc.name), ("SHA-256", attachment.sha256)))
    assert _build(harness).send(message, None).provider_message_id
    raw = harness.raw()
    assert doc.read_bytes() in raw or (doc.name.encode() in raw
                                        and attachment.sha256.encode() in raw)


def test_a_digest_arrives_as_one_message_with_every_organisation_and_line(
        harness: Harness) -> None:
    channel = _build(harness)
    result = channel.send(hostile_digest(), None)
    assert result.provider_message_id
    (delivery,) = harness.received()
    assert delivery.reply_to in (None, "digest:race <!here>", "digest:race \\<!here\\>")
    raw = harness.raw()
    for marker in DIGEST_MARKERS:
        assert marker in raw, marker
    for link in (b'href="javascript', b"<javascript", b'"url": "javascript', b'"url":"javascript'):
        assert link not in raw  # a hostile report link is never made a link


def test_a_hostile_digest_arrives_without_live_markup_or_control_characters(
        harness: Harness) -> None:
    _build(harness).send(hostile_digest(), None)
    (delivery,) = harness.received()
    assert len(delivery.visible) >= 3
    for text in delivery.visible:
        assert harness.live_markup(text) == [], text
        assert CONTROL.search(text) is None, repr(text)


def test_secrets_never_appear_in_repr(harness: Harness) -> None:
    channel = _build(harness)
    assert SECRET not in repr(channel) and SECRET not in str(channel)


def test_a_secret_pasted_into_an_env_option_is_never_echoed(harness: Harness) -> None:
    keys = [k for k in harness.options if k.endswith("_env")]
    if not keys:
        pytest.skip("this channel has no secret options")
    for key in keys:
        for pasted in ("xoxb-1234-pasted-secret", "hunter2pasted", "https://x.example/?sig=a"):
            problems = validate_channel("contract", {**harness.options, key: pasted}, {})
            assert problems and not any(pasted in p for p in problems), problems


def test_unknown_option_is_reported_with_a_hint(harness: Harness) -> None:
    problems = validate_channel("contract", {**harness.options, "timout": 5}, harness.env)
    assert any(p.startswith("channels.contract.timout: unknown option") for p in problems)


def test_unknown_channel_type_is_reported_with_a_hint() -> None:
    assert validate_channel("x", {"type": "slak"}, {}) == [
        "channels.x.type: found 'slak'; expected one of slack, teams, email, webhook, console "
        "(did you mean 'slack'?)"]


def test_console_text_block_is_readable_and_cannot_drive_the_terminal() -> None:
    out = io.StringIO()
    ConsoleChannel("demo", stream=out).send(finding(), ThreadRef("console:first"))
    text = out.getvalue()
    assert "SYNTHETIC DEMO DATA" in text and "[HIGH] New finding" in text
    assert "↑ rising" in text and "reply to console:first" in text
    assert CONTROL.search(text) is None
