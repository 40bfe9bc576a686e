"""A signed evidence pack checks anywhere: nothing but the zip, no store, no config, no file
written; a one-byte change in any member is named; the signer can be pinned."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assurance import api, signing
from assurance.config import load_settings
from assurance.db import session
from assurance.models import AuditEvent
from assurance.problems import ProblemsError
from conftest import DemoBuild, copy_demo
from reports.pack import build_pack, signing_key, verify_pack

AS_OF_TEXT = "2025-06-01"


def demo_pack(build: DemoBuild) -> Path:
    (pack,) = sorted(build.folder.rglob(f"SYN01-{AS_OF_TEXT}-pack.zip"))
    return pack


def assurance(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real command, with no config to find and no ASSURANCE_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSURANCE_")}
    return subprocess.run([sys.executable, "-m", "assurance.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def rewrite(src: Path, dst: Path, member: str, change: int = 0) -> Path:
    """A copy of ``src`` with one byte of ``member`` changed (entry order and names kept)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = bytearray(zin.read(info.filename))
            if info.filename == member:
                i = len(data) // 2 + change
                data[i] = data[i] ^ 0x01
            zout.writestr(info, bytes(data))
    return dst


def test_a_demo_pack_copied_to_an_empty_folder_verifies_and_nothing_is_written(
        demo_build: DemoBuild, tmp_path: Path) -> None:
    folder = tmp_path / "recipient"
    folder.mkdir()
    shutil.copy(demo_pack(demo_build), folder / "pack.zip")
    before = sorted(p.name for p in folder.iterdir())
    result = assurance("pack", "verify", "pack.zip", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "every file matches its manifest, signed by key SHA256:" in result.stdout
    assert sorted(p.name for p in folder.iterdir()) == before == ["pack.zip"]


def test_one_changed_byte_in_any_member_is_named_and_fails_the_command(
        demo_build: DemoBuild, tmp_path: Path) -> None:
    pack = demo_pack(demo_build)
    with zipfile.ZipFile(pack) as z:
        members = z.namelist()
    assert {"manifest.json", "signature.json", "README.txt"} <= set(members)
    for member in members:
        bad = rewrite(pack, tmp_path / "bad.zip", member)
        problems = verify_pack(bad)
        assert problems, member
        assert problems[0].startswith(f"changed: {member} "), (member, problems)
    bad = rewrite(pack, tmp_path / "bad.zip", "figures/outcomes.csv")
    result = assurance("pack", "verify", str(bad), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("changed: figures/outcomes.csv")


def test_every_byte_of_the_signature_file_is_covered(demo_build: DemoBuild,
                                                     tmp_path: Path) -> None:
    pack = demo_pack(demo_build)
    with zipfile.ZipFile(pack) as z:
        size = len(z.read("signature.json"))
    for offset in range(-(size // 2), size - size // 2):
        problems = verify_pack(rewrite(pack, tmp_path / "bad.zip", "signature.json", offset))
        assert problems and problems[0].startswith("changed: signature.json"), offset


def test_a_pinned_signer_is_checked_and_an_unsigned_pack_fails(demo_build: DemoBuild,
                                                               tmp_path: Path) -> None:
    pack = demo_pack(demo_build)
    with zipfile.ZipFile(pack) as z:
        sig = json.loads(z.read("signature.json"))
    assert verify_pack(pack, public_key=sig["fingerprint"]) == []
    assert verify_pack(pack, public_key=sig["public_key"]) == []
    other = signing.fingerprint(signing.raw_public(Ed25519PrivateKey.generate().public_key()))
    (problem,) = verify_pack(pack, public_key=other)
    assert problem == f"signature.json: signed by {sig['fingerprint']}, not by the expected key {other}"
    result = assurance("pack", "verify", str(pack), "--public-key", other, cwd=tmp_path)
    assert result.returncode == 1 and "not by the expected key" in result.stderr
    result = assurance("pack", "verify", str(pack), "--public-key", "nonsense!", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("--public-key: ")
    unsigned = tmp_path / "unsigned.zip"
    with zipfile.ZipFile(pack) as zin, zipfile.ZipFile(unsigned, "w") as zout:
        for info in zin.infolist():
            if info.filename != "signature.json":
                zout.writestr(info, zin.read(info.filename))
    assert verify_pack(unsigned) == ["missing: signature.json (the pack is not signed)"]


def test_the_readme_in_the_pack_names_the_signer(demo_build: DemoBuild) -> None:
    with zipfile.ZipFile(demo_pack(demo_build)) as z:
        readme = z.read("README.txt").decode()
        sig = json.loads(z.read("signature.json"))
    assert sig["fingerprint"] in readme and sig["public_key"] in readme


@pytest.mark.parametrize("form", ["pem", "base64"])
def test_a_key_from_the_named_environment_variable_signs_packs_byte_identically(
        demo_build: DemoBuild, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        form: str) -> None:
    key = Ed25519PrivateKey.generate()
    if form == "pem":
        text = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()
    else:
        text = base64.b64encode(key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
            serialization.NoEncryption())).decode()
    settings = copy_demo(demo_build, tmp_path / "demo")
    config = settings.source
    assert config is not None
    config.write_text(config.read_text().replace(
        "[reports]", '[reports]\nsigning_key_env = "TEST_PACK_SIGNING_KEY"', 1))
    settings = load_settings(config)
    assert settings.reports.signing_key_env == "TEST_PACK_SIGNING_KEY"
    engine = api.connect(settings)
    with pytest.raises(ProblemsError) as refused:
        signing_key(settings)
    assert str(refused.value.problems[0]).startswith(
        f"{config}: error: reports.signing_key_env: environment variable TEST_PACK_SIGNING_KEY "
        "is not set")
    monkeypatch.setenv("TEST_PACK_SIGNING_KEY", "not a key")
    with pytest.raises(ProblemsError) as refused:
        signing_key(settings)
    assert "not a key" not in str(refused.value.problems[0])  # a secret is never echoed
    monkeypatch.setenv("TEST_PACK_SIGNING_KEY", text)
    first, second = (build_pack(engine, settings, org_code="SYN01", as_of=date(2025, 6, 1),
                                out_path=tmp_path / f"{n}.zip") for n in ("a", "b"))
    assert first.read_bytes() == second.read_bytes()
    expected = signing.fingerprint(signing.raw_public(key.public_key()))
    assert verify_pack(first, public_key=expected) == []
    assert verify_pack(first, engine=engine) == []
    engine.dispose()


def test_with_the_store_the_chain_head_must_be_in_its_verified_audit_log(
        demo_build: DemoBuild, tmp_path: Path) -> None:
    settings = copy_demo(demo_build, tmp_path / "demo")
    engine = api.connect(settings)
    (pack,) = sorted((tmp_path / "demo").rglob(f"SYN01-{AS_OF_TEXT}-pack.zip"))
    assert verify_pack(pack, engine=engine) == []
    with zipfile.ZipFile(pack) as z:
        head = json.loads(z.read("audit/chain-head.json"))
    with session(engine) as s, s.begin():  # someone edits the store's history afterwards
        event = s.get(AuditEvent, head["last_seq"])
        assert event is not None
        event.details = event.details.replace("}", ', "edited": true}', 1)
        s.add(event)
    (problem,) = verify_pack(pack, engine=engine)
    assert problem.startswith("audit/chain-head.json: the store's audit chain does not verify")
    assert verify_pack(pack) == []  # the zip alone cannot know
    result = assurance("--config", str(settings.source), "pack", "verify", str(pack),
                       cwd=tmp_path)
    assert result.returncode == 1 and "audit chain does not verify" in result.stderr
    engine.dispose()


def test_a_byte_flipped_in_the_zip_itself_is_named_not_a_traceback(demo_build: DemoBuild,
                                                                   tmp_path: Path) -> None:
    pack = demo_pack(demo_build)
    data = bytearray(pack.read_bytes())
    with zipfile.ZipFile(pack) as z:
        info = z.getinfo("figures/outcomes.csv")
    # the member's compressed bytes start after its 30-byte local header, name and extra field
    name_len = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little")
    extra_len = int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    data[start + info.compress_size // 2] ^= 0x01
    bad = tmp_path / "crc.zip"
    bad.write_bytes(bytes(data))
    problems = verify_pack(bad)
    assert problems and problems[0].startswith("changed: figures/outcomes.csv"), problems
    result = assurance("pack", "verify", str(bad), cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("changed: figures/outcomes.csv")


def test_a_member_stored_twice_is_refused_whichever_copy_a_reader_would_show(
        demo_build: DemoBuild, tmp_path: Path) -> None:
    pack = demo_pack(demo_build)
    bad = tmp_path / "twice.zip"
    with zipfile.ZipFile(pack) as zin, zipfile.ZipFile(bad, "w") as zout, \
            pytest.warns(UserWarning, match="Duplicate name"):  # as a forger's tool would
        zout.writestr("documents/board-report.docx", b"TAMPERED")
        for info in zin.infolist():
            zout.writestr(info, zin.read(info.filename))
    problems = verify_pack(bad)
    assert problems == ["duplicate: documents/board-report.docx (the zip holds it more than "
                        "once; a reader could be shown either copy)"]


def test_verifying_against_a_store_that_is_not_there_creates_nothing(
        demo_build: DemoBuild, tmp_path: Path) -> None:
    folder = tmp_path / "recipient"
    folder.mkdir()
    shutil.copy(demo_pack(demo_build), folder / "pack.zip")
    (folder / "config.toml").write_text('[database]\nurl = "sqlite:///absent.db"\n')
    result = assurance("--config", "config.toml", "pack", "verify", "pack.zip", cwd=folder)
    assert result.returncode == 3, result.stderr
    assert "database.url: error: no store at" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["config.toml", "pack.zip"]


@pytest.mark.parametrize("make,expected", [
    (lambda p: p.write_text("org_code,period\n"), "not a zip file; expected an evidence pack"),
    (lambda p: p.mkdir(), "found a directory; expected a regular file"),
    (lambda p: None, "file not found; expected the path of an evidence pack"),
])
def test_something_that_is_not_a_pack_is_bad_input_not_a_failed_check(
        tmp_path: Path, make: Any, expected: str) -> None:
    # A CSV given by mistake was "not a readable zip file" with exit 1 (a pack that fails
    # its check); a folder was "file not found".
    target = tmp_path / "upload.zip"
    make(target)
    result = assurance("pack", "verify", str(target), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"{target}: error: {expected}"), result.stderr
