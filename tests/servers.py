"""Loopback servers that tests start themselves: real protocols, recorded, able to misbehave.

* :class:`FakeSlackServer` speaks enough of Slack's Web API for the real ``slack_sdk.WebClient``
  (``auth.test``, ``chat.postMessage``, ``chat.update``, ``conversations.history`` and
  ``.replies`` with message metadata, and the three steps of ``files_upload_v2``), checks
  the bearer token and records per-channel post times (for rate assertions).
* :class:`WebhookReceiver` records any HTTP POST (Teams Workflows, signed webhooks).
* :class:`SmtpServer` is an aiosmtpd server recording mail, optionally requiring a login.

Every server listens on 127.0.0.1 with an ephemeral port, runs in its own thread, and is a
context manager. Failures are scripted with :class:`Misbehaviour` and used once each, in order::

    with FakeSlackServer() as slack:
        slack.misbehave("chat.postMessage", Misbehaviour.http(429, retry_after=1))
"""

from __future__ import annotations

import email
import email.policy
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse
from collections import defaultdict, deque
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal, Self, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

LOOPBACK = "127.0.0.1"
SMTP_USER = "assurance-bot"
SMTP_PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Misbehaviour:
    """One scripted failure for the next matching request.

    Build with :meth:`http`, :meth:`slack_error`, :meth:`drop`, :meth:`lose_reply` or
    :meth:`slow`.
    """

    kind: Literal["http", "slack_error", "drop", "lose_reply", "slow"]
    status: int = 200
    retry_after: float | None = None
    error: str = ""
    body: bytes = b""
    delay: float = 0.0

    @classmethod
    def http(cls, status: int, *, retry_after: float | None = None, body: bytes = b"",
             ) -> Misbehaviour:
        """Answer with HTTP ``status`` (and ``Retry-After`` when given)."""
        return cls("http", status=status, retry_after=retry_after, body=body)

    @classmethod
    def slack_error(cls, error: str) -> Misbehaviour:
        """Answer 200 ``{"ok": false, "error": error}`` as Slack does."""
        return cls("slack_error", error=error)

    @classmethod
    def drop(cls) -> Misbehaviour:
        """Read the request, then close the connection without any response."""
        return cls("drop")

    @classmethod
    def lose_reply(cls) -> Misbehaviour:
        """Act on the request (a post is stored), then close the connection without a
        response: the client cannot tell whether it worked."""
        return cls("lose_reply")

    @classmethod
    def slow(cls, delay: float) -> Misbehaviour:
        """Wait ``delay`` seconds, then answer normally."""
        return cls("slow", delay=delay)


@dataclass
class Received:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float  # time.monotonic() on arrival
    answer: str = ""  # "200", "429", "dropped", …

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    def params(self) -> dict[str, Any]:
        """The body as the Slack SDK sends it: JSON, or a url-encoded form; for a GET, the
        query string."""
        if self.body and self.headers.get("content-type", "").startswith("application/json"):
            return cast(dict[str, Any], self.json())
        query = self.body.decode() or urllib.parse.urlsplit(self.path).query
        return {k: v[0] for k, v in urllib.parse.parse_qs(query).items()}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        pass  # keep test output clean

    def do_GET(self) -> None:  # noqa: N802 - stdlib name (Slack's read methods are GETs)
        self.do_POST()

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        length = int(self.headers.get("Content-Length") or 0)
        request = Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                           self.rfile.read(length), time.monotonic())
        owner = self.server.owner
        with owner.lock:
            owner.received.append(request)
        owner.on_receive(request)
        bad = owner.next_misbehaviour(request)
        if bad is not None and bad.kind in ("drop", "lose_reply"):
            if bad.kind == "lose_reply":
                owner.answer(request)
            request.answer = "dropped"
            self.close_connection = True
            return
        if bad is not None and bad.kind == "slow":
            time.sleep(bad.delay)
            bad = None
        if bad is not None and bad.kind == "http":
            headers = {"Retry-After": f"{bad.retry_after:g}"} if bad.retry_after else {}
            self.reply(request, bad.status, bad.body or owner.error_body(bad.status), headers)
            return
        if bad is not None:  # slack_error
            self.reply(request, 200, json.dumps({"ok": False, "error": bad.error}).encode())
            return
        status, body, headers = owner.answer(request)
        self.reply(request, status, body, headers)

    def reply(self, request: Received, status: int, body: bytes,
              headers: dict[str, str] | None = None) -> None:
        request.answer = str(status)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: _HttpServer


class _Serving:
    """A server as a context manager: started on entry, stopped on exit."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _HttpServer(_Serving):
    """Shared machinery: thread, recording, scripted misbehaviour."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self._script: dict[str, deque[Misbehaviour]] = defaultdict(deque)
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        assert self._httpd is not None, "server not started"
        return f"http://{LOOPBACK}:{self._httpd.server_address[1]}"

    def misbehave(self, path: str, *failures: Misbehaviour) -> None:
        """Queue ``failures`` for the next requests whose path ends with ``path``."""
        with self.lock:
            self._script[path].extend(failures)

    def next_misbehaviour(self, request: Received) -> Misbehaviour | None:
        with self.lock:
            for path, queue in self._script.items():
                if queue and request.path.split("?")[0].endswith(path):
                    return queue.popleft()
        return None

    def on_receive(self, request: Received) -> None:
        """Called for every request on arrival, before any misbehaviour."""

    def error_body(self, status: int) -> bytes:
        return b'{"error": "scripted failure"}'

    def answer(self, request: Received) -> tuple[int, bytes, dict[str, str]]:
        raise NotImplementedError

    def start(self) -> None:
        self._httpd = _Server((LOOPBACK, 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        name=type(self).__name__, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None


class WebhookReceiver(_HttpServer):
    """Records every POST and answers ``status`` (202 by default, as Teams Workflows does).

    Args:
        status: the normal answer.
        headers: extra response headers (e.g. ``x-ms-workflow-run-id``).
    """

    def __init__(self, status: int = 202, headers: dict[str, str] | None = None):
        super().__init__()
        self.status, self.headers = status, dict(headers or {})

    def answer(self, request: Received) -> tuple[int, bytes, dict[str, str]]:
        return self.status, b"", self.headers

    def delivered(self) -> list[Received]:
        """Requests answered 2xx."""
        return [r for r in self.received if r.answer.startswith("2")]


class FakeSlackServer(_HttpServer):
    """Slack's Web API, enough for ``slack_sdk.WebClient``; base URL is :attr:`base_url`.

    Args:
        token: the bearer token it accepts.
        min_interval: when set, a second post to one channel sooner than this many seconds is
            answered 429 with ``Retry-After: 1``, as Slack's per-channel limit does.
    """

    def __init__(self, token: str = "xoxb-test-token", min_interval: float | None = None):
        super().__init__()
        self.token, self.min_interval = token, min_interval
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}  # (channel, ts) -> message
        self.post_times: dict[str, list[float]] = defaultdict(list)  # every post received
        self.files: dict[str, dict[str, Any]] = {}  # file id -> name, data, channel, comment
        self._last_accepted: dict[str, float] = {}
        self._counter = 0

    @property
    def base_url(self) -> str:
        """What to pass as ``WebClient(base_url=…)``."""
        return f"{self.url}/api/"

    def calls(self, method: str) -> list[Received]:
        """Requests received for one API method (``chat.postMessage`` …), in order."""
        return [r for r in self.received if r.path.split("?")[0].endswith("/" + method)]

    def on_receive(self, request: Received) -> None:
        if request.path.split("?")[0].endswith("/chat.postMessage") and request.body:
            with self.lock:
                self.post_times[str(request.params().get("channel"))].append(request.at)

    def error_body(self, status: int) -> bytes:
        error = "ratelimited" if status == 429 else "fatal_error"
        return json.dumps({"ok": False, "error": error}).encode()

    def answer(self, request: Received) -> tuple[int, bytes, dict[str, str]]:
        if request.path.startswith("/upload/v1/"):  # the upload URL: raw bytes, no token
            with self.lock:
                record = self.files.get(request.path.rsplit("/", 1)[-1])
                if record is None or len(request.body) != record["length"]:
                    return 400, b"bad upload", {}
                record["data"] = request.body
            return 200, b"OK - " + str(len(request.body)).encode(), {}
        method = request.path.split("?")[0].rsplit("/", 1)[-1]
        params = request.params()
        auth = request.headers.get("authorization", "")
        if not auth:
            return self._ok({"ok": False, "error": "not_authed"})
        if auth != f"Bearer {self.token}":
            return self._ok({"ok": False, "error": "invalid_auth"})
        if method == "auth.test":
            return self._ok({"ok": True, "url": self.url, "team": "Test", "user": "assurance",
                             "team_id": "T0001", "user_id": "U0001", "bot_id": "B0001"})
        if method == "chat.postMessage":
            return self._post(params, request.at)
        if method == "chat.update":
            return self._update(params)
        if method in ("conversations.history", "conversations.replies"):
            return self._read_back(method, params)
        if method == "files.getUploadURLExternal":
            return self._upload_url(params)
        if method == "files.completeUploadExternal":
            return self._complete_upload(params)
        return self._ok({"ok": False, "error": "unknown_method"})

    def _read_back(self, method: str, params: dict[str, Any]) -> tuple[int, bytes, dict[str, str]]:
        """``conversations.history`` (top-level messages) or ``conversations.replies`` (a
        thread), newest first, with metadata only when ``include_all_metadata`` is set, as
        Slack answers. ``oldest`` is accepted and not applied: this server's ``ts`` values are
        counters, not clock times. One page (no cursor)."""
        channel, parent = str(params.get("channel", "")), params.get("ts")
        with_metadata = str(params.get("include_all_metadata")).lower() in ("true", "1")
        with self.lock:
            found = [dict(m) for (c, ts), m in self.messages.items() if c == channel and (
                m.get("thread_ts") in (None, ts) if method == "conversations.history"
                else ts == parent or m.get("thread_ts") == parent)]
        if method == "conversations.replies" and not found:
            return self._ok({"ok": False, "error": "thread_not_found"})
        for m in found:
            if not with_metadata:
                m.pop("metadata", None)
        found.sort(key=lambda m: str(m["ts"]), reverse=True)
        return self._ok({"ok": True, "messages": found, "has_more": False})

    def _upload_url(self, params: dict[str, Any]) -> tuple[int, bytes, dict[str, str]]:
        with self.lock:
            self._counter += 1
            file_id = f"F{self._counter:06d}"
            self.files[file_id] = {"id": file_id, "name": str(params.get("filename")),
                                   "length": int(params.get("length") or 0), "data": None}
        return self._ok({"ok": True, "file_id": file_id,
                         "upload_url": f"{self.url}/upload/v1/{file_id}"})

    def _complete_upload(self, params: dict[str, Any]) -> tuple[int, bytes, dict[str, str]]:
        shared = []
        with self.lock:
            for item in json.loads(str(params.get("files") or "[]")):
                record = self.files.get(str(item.get("id")))
                if record is None or record["data"] is None:
                    return self._ok({"ok": False, "error": "file_not_found"})
                record.update(title=item.get("title"), channel=params.get("channel_id"),
                              comment=params.get("initial_comment"), shared=True)
                shared.append({"id": record["id"], "name": record["name"],
                               "title": record["title"]})
        return self._ok({"ok": True, "files": shared})

    def _post(self, params: dict[str, Any], at: float) -> tuple[int, bytes, dict[str, str]]:
        channel = str(params.get("channel", ""))
        with self.lock:
            last = self._last_accepted.get(channel)
            if self.min_interval and last is not None and at - last < self.min_interval:
                body = json.dumps({"ok": False, "error": "ratelimited"}).encode()
                return 429, body, {"Retry-After": "1"}
            self._last_accepted[channel] = at
            self._counter += 1
            ts = f"1700000000.{self._counter:06d}"
            message = {"type": "message", "ts": ts, "text": params.get("text", ""),
                       "blocks": params.get("blocks", []), "user": "U0001"}
            if params.get("thread_ts"):
                message["thread_ts"] = params["thread_ts"]
            metadata = params.get("metadata")
            if metadata:
                message["metadata"] = json.loads(metadata) if isinstance(metadata, str) \
                    else metadata
            self.messages[(channel, ts)] = message
        return self._ok({"ok": True, "channel": channel, "ts": ts, "message": message})

    def _update(self, params: dict[str, Any]) -> tuple[int, bytes, dict[str, str]]:
        key = (str(params.get("channel")), str(params.get("ts")))
        with self.lock:
            if key not in self.messages:
                return self._ok({"ok": False, "error": "message_not_found"})
            message = self.messages[key]
            message.update(text=params.get("text", ""), blocks=params.get("blocks", []),
                           edited={"user": "U0001"})
        return self._ok({"ok": True, "channel": key[0], "ts": key[1], "text": message["text"],
                         "message": message})

    @staticmethod
    def _ok(doc: dict[str, Any]) -> tuple[int, bytes, dict[str, str]]:
        return 200, json.dumps(doc).encode(), {}


@dataclass
class ReceivedMail:
    """One message accepted by :class:`SmtpServer`."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    message: EmailMessage = field(repr=False)


class _SmtpHandler:
    def __init__(self, owner: SmtpServer):
        self.owner = owner

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,  # noqa: N802
                          address: str, rcpt_options: list[str]) -> str:
        if address in self.owner.refuse_recipients:
            return "550 5.1.1 Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session,  # noqa: N802
                          envelope: Envelope) -> str:
        if self.owner.data_failures:
            return self.owner.data_failures.popleft()
        data = cast(bytes, envelope.original_content or envelope.content)
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        self.owner.messages.append(ReceivedMail(str(envelope.mail_from),
                                                list(envelope.rcpt_tos), data,
                                                cast(EmailMessage, parsed)))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    # aiosmtpd's Controller cannot bind port 0 (it connects to its own port to check it is up).
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def self_signed_cert(folder: Path) -> tuple[Path, Path] | None:
    """A certificate and key for 127.0.0.1 made with the openssl CLI, or None without it.

    The certificate is its own CA: pass it as the email channel's ``ca_file``.
    """
    if shutil.which("openssl") is None:
        return None
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


class SmtpServer(_Serving):
    """An SMTP server on loopback (aiosmtpd) recording :attr:`messages`.

    Args:
        username: when set with ``password``, AUTH is required and other logins are refused.
        password: the password accepted for ``username``.
        cert: (certificate, key) to offer TLS with (see :func:`self_signed_cert`).
        tls: with ``cert``: ``"starttls"`` (required before MAIL) or ``"ssl"`` (implicit TLS).
    """

    def __init__(self, username: str | None = None, password: str | None = None,
                 cert: tuple[Path, Path] | None = None,
                 tls: Literal["starttls", "ssl"] = "starttls"):
        self.username, self.password, self.cert, self.tls = username, password, cert, tls
        self.messages: list[ReceivedMail] = []
        self.logins: list[tuple[str, bool]] = []  # (user, accepted)
        self.refuse_recipients: set[str] = set()
        self.data_failures: deque[str] = deque()  # e.g. "451 4.3.0 Try again later"
        self.host, self.port = LOOPBACK, 0
        self._controller: Controller | None = None

    def _authenticate(self, server: SMTP, session: Session, envelope: Envelope,
                      mechanism: str, auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        user = auth_data.login.decode()
        ok = user == self.username and auth_data.password.decode() == self.password
        self.logins.append((user, ok))
        return AuthResult(success=ok, handled=False)

    def start(self) -> None:
        self.port = _free_port()
        auth = self.username is not None
        tls: dict[str, Any] = {}
        if self.cert is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*self.cert)
            tls = ({"ssl_context": context} if self.tls == "ssl"
                   else {"tls_context": context, "require_starttls": True})
        self._controller = Controller(
            _SmtpHandler(self), hostname=self.host, port=self.port,
            authenticator=self._authenticate if auth else None, auth_required=auth,
            # aiosmtpd counts only STARTTLS as TLS for AUTH; implicit TLS is TLS all along.
            auth_require_tls=self.cert is not None and self.tls == "starttls", **tls)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
