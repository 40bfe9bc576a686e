"""Signed evidence packs: the Ed25519 key, the signature, and checking a pack anywhere.

A pack's ``signature.json`` signs the statement
``assurance-evidence-pack/1 manifest.json sha256:<hex digest of manifest.json>`` with
Ed25519 and carries the public key, so a recipient who has only the zip can check that
nothing in it changed since it was signed (:func:`check_pack` opens nothing but the zip and
writes nothing). Which key signed is for the recipient to judge: the fingerprint is printed,
and ``--public-key`` pins the one they expect.

The key: ``[reports] signing_key_env`` names an environment variable holding the private
key (PEM, or base64 of the raw 32 bytes). Without it, the first pack built makes a key and
keeps it owner-only (0600) in ``signing-key.pem`` beside config.toml, as an SSH server keeps
its host key, so packs are signed out of the box and one deployment signs every pack with
the same key. Whoever can read that file can sign as the deployment: packs that leave the
organisation, or several instances sharing one store, want the key held as a secret.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from assurance import audit
from assurance.db import session as open_session
from assurance.models import AuditEvent
from assurance.problems import Problem, ProblemsError

FORMAT = "assurance-evidence-pack/1"
MANIFEST = "manifest.json"
SIGNATURE = "signature.json"
CHAIN_HEAD = "audit/chain-head.json"
ALGORITHM = "Ed25519"
KEY_FILE = "signing-key.pem"
_SIGNATURE_KEYS = {"algorithm", "fingerprint", "manifest_sha256", "public_key", "signature",
                   "signed_file"}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(public_raw: bytes) -> str:
    """``SHA256:`` and the unpadded base64 of the public key's SHA-256 (as OpenSSH shows)."""
    return "SHA256:" + _b64(hashlib.sha256(public_raw).digest()).rstrip("=")


def statement(manifest_sha256: str) -> bytes:
    """What is signed: the format, the file and its digest (a domain-separated statement, so
    the key's signature over anything else can never pass for a pack's)."""
    return f"{FORMAT} {MANIFEST} sha256:{manifest_sha256}".encode("ascii")


def canonical(value: Mapping[str, Any]) -> bytes:
    """The one byte form ``signature.json`` is written in (and must be found in)."""
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=True) + "\n").encode()


def parse_private_key(text: str) -> Ed25519PrivateKey:
    """A private key from PEM (PKCS#8) or base64 of the raw 32-byte seed.

    Raises:
        ValueError: neither, or not an Ed25519 key (the message never contains the key).
    """
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        except (ValueError, TypeError, UnicodeEncodeError):
            raise ValueError("not a readable unencrypted PEM private key") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the PEM key is not an Ed25519 key")
        return key
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("neither PEM nor base64") from None
    if len(raw) != 32:
        raise ValueError(f"base64 of {len(raw)} bytes; expected the raw 32-byte Ed25519 key")
    return Ed25519PrivateKey.from_private_bytes(raw)


def parse_public_key(text: str) -> str:
    """The fingerprint a ``--public-key`` value stands for: a fingerprint (``SHA256:…``),
    base64 of the raw 32-byte public key, or a PEM public key.

    Raises:
        ValueError: none of these.
    """
    text = text.strip()
    if text.startswith("SHA256:"):
        return text
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise ValueError("not a readable PEM public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the PEM key is not an Ed25519 key")
        return fingerprint(raw_public(key))
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("expected a fingerprint (SHA256:…), base64 of the 32-byte public key "
                         "or a PEM public key") from None
    if len(raw) != 32:
        raise ValueError(f"base64 of {len(raw)} bytes; expected the 32-byte Ed25519 public key")
    return fingerprint(raw)


def pack_key(*, key_env: str | None, env: Mapping[str, str], key_dir: Path,
             config: str = "<config>") -> Ed25519PrivateKey:
    """The key packs are signed with: from the variable ``key_env`` names, else this
    deployment's own key file ``key_dir/signing-key.pem`` (made on first use).

    Raises:
        ProblemsError: ``key_env`` is named but unset or not an Ed25519 private key, or the
            key file cannot be read or made.
    """
    if key_env:
        where = "reports.signing_key_env: environment variable"
        if not env.get(key_env):
            raise ProblemsError([Problem(config, f"{where} {key_env} is not set; "
                                         "expected the Ed25519 private key that signs packs")])
        try:
            return parse_private_key(env[key_env])
        except ValueError as exc:
            raise ProblemsError([Problem(config, f"{where} {key_env}: {exc}; "
                                         "expected a PEM private key or base64 of its raw "
                                         "32 bytes")]) from None
    return _local_key(key_dir / KEY_FILE)


def key_problems(*, key_env: str | None, env: Mapping[str, str], key_dir: Path,
                 config: str = "<config>") -> list[Problem]:
    """What ``config check`` says about the signing key, without making one: an error when
    ``key_env`` is named but unset or not a key (every pack build would fail), a warning when
    no variable is named (packs are signed with the key file beside config.toml)."""
    if key_env:
        try:
            pack_key(key_env=key_env, env=env, key_dir=key_dir, config=config)
        except ProblemsError as exc:
            return list(exc.problems)
        return []
    where = key_dir / KEY_FILE
    state = "it exists" if where.exists() else "not made yet: the first pack built makes it"
    return [Problem(config, f"reports.signing_key_env is not set: evidence packs are signed "
                    f"with the key file {where} ({state}); expected signing_key_env naming an "
                    "environment variable for packs that leave the organisation",
                    severity="warning")]


def _local_key(path: Path) -> Ed25519PrivateKey:
    """The key in ``path``, made (owner-only, 0600) the first time: like an SSH host key."""
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())
        part = path.with_name(f".{path.name}.{os.getpid()}.part")
        try:
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
                fh.flush()
                os.fsync(fh.fileno())
            with contextlib.suppress(FileExistsError):  # another builder made one first
                os.link(part, path)  # link, not rename: never replaces an existing key
        except OSError as exc:
            raise ProblemsError([Problem(str(path), "cannot make the pack signing key "
                                         f"({exc.strerror or exc}); set "
                                         "reports.signing_key_env instead")]) from None
        finally:
            part.unlink(missing_ok=True)
    try:
        return parse_private_key(path.read_text("ascii"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ProblemsError([Problem(str(path), f"cannot use the pack signing key ({exc})")]
                            ) from None


def signature_file(key: Ed25519PrivateKey, manifest: bytes) -> bytes:
    """``signature.json`` for these manifest bytes (deterministic: Ed25519 signs alike)."""
    digest = hashlib.sha256(manifest).hexdigest()
    public = raw_public(key.public_key())
    return canonical({"algorithm": ALGORITHM, "fingerprint": fingerprint(public),
                      "manifest_sha256": digest, "public_key": _b64(public),
                      "signature": _b64(key.sign(statement(digest))), "signed_file": MANIFEST})


@dataclass(frozen=True)
class PackCheck:
    """What checking a pack found: one message per problem (empty: it verifies), and the
    fingerprint of the key that signed it when the signature verifies."""

    problems: list[str] = field(default_factory=list)
    signer: str | None = None
    store_checked: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def _signer(raw: bytes, manifest: bytes) -> tuple[str | None, list[str]]:
    """The verified signer's fingerprint, or the problems that name what changed."""
    def changed(why: str) -> tuple[None, list[str]]:
        return None, [f"changed: {SIGNATURE} ({why})"]

    try:
        sig = json.loads(raw)
    except ValueError:
        return changed("not valid JSON")
    if not isinstance(sig, dict) or set(sig) != _SIGNATURE_KEYS or not all(
            isinstance(v, str) for v in sig.values()):
        return changed("not the fields the tool writes")
    if canonical(sig) != raw:
        return changed("not in the exact form the tool writes")
    if sig["algorithm"] != ALGORITHM or sig["signed_file"] != MANIFEST:
        return changed(f"expected algorithm {ALGORITHM} over {MANIFEST}")
    try:
        public = base64.b64decode(sig["public_key"], validate=True)
        signature = base64.b64decode(sig["signature"], validate=True)
        Ed25519PublicKey.from_public_bytes(public).verify(signature,
                                                          statement(sig["manifest_sha256"]))
    except (binascii.Error, ValueError, InvalidSignature):
        return changed("the signature does not verify with the public key it carries")
    if _b64(public) != sig["public_key"] or _b64(signature) != sig["signature"]:
        return changed("not in the exact form the tool writes")  # base64's spare bits
    if sig["fingerprint"] != fingerprint(public):
        return changed("the fingerprint is not the public key's")
    digest = hashlib.sha256(manifest).hexdigest()
    if digest != sig["manifest_sha256"]:
        return None, [f"changed: {MANIFEST} (SHA-256 {digest[:12]}…, signed "
                      f"{sig['manifest_sha256'][:12]}…)"]
    return fingerprint(public), []


def check_pack(path: Path, *, engine: Engine | None = None,
               expected_signer: str | None = None) -> PackCheck:
    """Check a pack from the zip alone; with ``engine``, against that store too.

    Every member is checked against the SHA-256 the manifest lists, the manifest against
    the signature, the signature against the public key it carries (and ``expected_signer``,
    a fingerprint, when given). With ``engine``: a ``pack.build`` event must record this
    manifest (and the same signer), and the chain head the pack names must be in the store's
    verified audit log.
    """
    try:
        z = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return PackCheck([f"{path}: not a readable zip file ({exc})"])
    with z:
        entries = z.infolist()
        names = {e.filename for e in entries}
        shape = _shape_problems(entries)
        if shape:  # a name twice or an unsafe name: no reading of the members can be trusted
            return PackCheck(shape)
        if MANIFEST not in names:
            return PackCheck([f"{MANIFEST}: missing, so nothing can be checked"])
        raw, unreadable = _read(z, MANIFEST)
        if raw is None:
            return PackCheck([f"changed: {MANIFEST} ({unreadable})"])
        problems: list[str] = []
        signer = None
        if SIGNATURE in names:
            sig, unreadable = _read(z, SIGNATURE)
            if sig is None:
                problems.append(f"changed: {SIGNATURE} ({unreadable})")
            else:
                signer, problems = _signer(sig, raw)
        else:
            problems.append(f"missing: {SIGNATURE} (the pack is not signed)")
        if signer is not None and expected_signer is not None and signer != expected_signer:
            problems.append(f"{SIGNATURE}: signed by {signer}, not by the expected key "
                            f"{expected_signer}")
        try:
            listed = {f["path"]: f for f in json.loads(raw)["files"]}
        except (ValueError, KeyError, TypeError) as exc:
            return PackCheck([*problems, f"{MANIFEST}: not a valid manifest ({exc})"], signer)
        for name in sorted(listed):
            if name not in names:
                problems.append(f"missing: {name}")
                continue
            data, unreadable = _read(z, name)
            if data is None:
                problems.append(f"changed: {name} ({unreadable})")
                continue
            digest = hashlib.sha256(data).hexdigest()
            if digest != listed[name].get("sha256"):
                problems.append(f"changed: {name} (SHA-256 {digest[:12]}…, manifest "
                                f"{str(listed[name].get('sha256'))[:12]}…)")
        problems.extend(f"extra: {name} (not in the manifest)"
                        for name in sorted(names - set(listed) - {MANIFEST, SIGNATURE}))
        head = _json(z, CHAIN_HEAD) if CHAIN_HEAD in names else None
    if engine is not None:
        problems += _against_store(engine, raw, signer, head)
    return PackCheck(problems, signer, store_checked=engine is not None)


MAX_MEMBER_BYTES = 512 * 1024 * 1024
"""No member of a pack is read past this size (a zip bomb is named, not read into memory)."""


def _shape_problems(entries: list[zipfile.ZipInfo]) -> list[str]:
    """Names a reader could resolve two ways: the same name twice, or not a plain relative path."""
    seen: set[str] = set()
    out = []
    for e in entries:
        name = e.filename
        if name in seen:
            out.append(f"duplicate: {name} (the zip holds it more than once; a reader could be "
                       "shown either copy)")
        seen.add(name)
        parts = name.split("/")
        if name.startswith("/") or "\\" in name or any(p in ("", ".", "..") for p in parts):
            out.append(f"unsafe name: {name!r} (expected a plain relative path)")
    return out


def _read(z: zipfile.ZipFile, name: str) -> tuple[bytes | None, str]:
    """A member's bytes, or None and why it cannot be read (damaged, too large)."""
    info = z.getinfo(name)
    if info.file_size > MAX_MEMBER_BYTES:
        return None, f"{info.file_size:,} bytes, over the {MAX_MEMBER_BYTES:,}-byte limit"
    try:
        with z.open(info) as fh:
            data = fh.read(MAX_MEMBER_BYTES + 1)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as exc:
        return None, f"cannot be read: {exc}"
    if len(data) > MAX_MEMBER_BYTES:
        return None, f"over the {MAX_MEMBER_BYTES:,}-byte limit"
    return data, ""


def _json(z: zipfile.ZipFile, name: str) -> Any:
    data, _ = _read(z, name)
    try:
        return None if data is None else json.loads(data)
    except ValueError:
        return None


def _against_store(engine: Engine, manifest: bytes, signer: str | None, head: Any) -> list[str]:
    digest = hashlib.sha256(manifest).hexdigest()
    problems = []
    with open_session(engine) as s:
        builds = [json.loads(e.details) for e in s.exec(
            select(AuditEvent).where(col(AuditEvent.action) == "pack.build")).all()]
        mine = [d for d in builds if d.get("manifest_sha256") == digest]
        if not mine:
            problems.append(f"{MANIFEST}: no pack.build event in the audit log records this "
                            f"manifest (SHA-256 {digest[:12]}…)")
        elif signer is not None and not any(d.get("signer") in (None, signer) for d in mine):
            problems.append(f"{SIGNATURE}: signed by {signer}, not by the key the store "
                            "recorded when it built this pack")
        problems += _chain_head(s, head)
    return problems


def _chain_head(s: Session, head: Any) -> list[str]:
    """The pack's chain head must be an event of the store's verified chain."""
    if not isinstance(head, dict) or head.get("last_seq") is None:
        return []  # an excerpt with no events names no head
    event = s.get(AuditEvent, head["last_seq"])
    if event is None or event.hash != head.get("last_hash"):
        return [f"{CHAIN_HEAD}: event {head['last_seq']} in the store's audit log "
                "does not have the hash this pack names"]
    chain = audit.verify(s)
    if not chain.ok:
        return [f"{CHAIN_HEAD}: the store's audit chain does not verify ({chain.problem})"]
    return []
