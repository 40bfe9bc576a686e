"""The evidence pack: reproducible to the byte, verifiable, formula-injection safe."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from docx import Document
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from assurance import api, audit, findings
from assurance.config import Settings
from assurance.db import session
from assurance.models import AuditEvent, Finding, Organisation
from assurance.report_context import board_context
from assurance.signing import signature_file
from conftest import DemoBuild, copy_demo
from reports.board import render_board_report
from reports.extracts import csv_bytes, csv_cell
from reports.outputs import sha256_file
from reports.pack import build_pack, verify_pack

AS_OF = date(2025, 6, 1)
AT = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
INJECTION = "=cmd|' /C calc'!A0"


@pytest.fixture(scope="module")
def demo(demo_build: DemoBuild, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[Engine, Settings]]:
    # A copy: a finding here gets an owner and a note the other report tests must not see.
    settings = copy_demo(demo_build, tmp_path_factory.mktemp("reports-pack") / "demo")
    engine = api.connect(settings)
    api.evaluate_and_record(engine, settings, as_of=AS_OF, at=AT, actor="demo")
    with session(engine) as s, s.begin():
        f = s.exec(select(Finding).where(Finding.org_code == "SYN01",
                                         Finding.rule_id == "wres.2.adverse")).one()
        # Assigned in April with a May date: overdue at the pack's 1 June.
        findings.assign(s, f.fingerprint, owner=INJECTION, due=date(2025, 5, 1),
                        note="+Recruitment review", actor="test", at=AT,
                        as_of=date(2025, 4, 1))
    yield engine, settings
    engine.dispose()


@pytest.fixture(scope="module")
def pack(demo: tuple[Engine, Settings], tmp_path_factory: pytest.TempPathFactory) -> Path:
    engine, settings = demo
    out = tmp_path_factory.mktemp("pack") / "SYN01-2025-06-01.zip"
    return build_pack(engine, settings, org_code="SYN01", as_of=AS_OF, out_path=out,
                      actor="test", at=AT)


def _read_csv(z: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(z.read(name).decode("utf-8"))))


def test_building_twice_gives_byte_identical_packs(demo: tuple[Engine, Settings], pack: Path,
                                                   tmp_path: Path) -> None:
    engine, settings = demo
    again = build_pack(engine, settings, org_code="SYN01", as_of=AS_OF,
                       out_path=tmp_path / "again.zip", actor="someone else")
    assert again.read_bytes() == pack.read_bytes()


def test_the_pack_holds_documents_figures_rules_findings_audit_and_a_manifest(
        demo: tuple[Engine, Settings], pack: Path) -> None:
    _, settings = demo
    with zipfile.ZipFile(pack) as z:
        names = z.namelist()
        assert names == sorted(names)
        assert {"documents/board-report.docx", "documents/well-led-evidence.docx",
                "documents/edi-improvement-plan.docx", "figures/outcomes.csv",
                "figures/series.csv", "figures/spc.csv",
                "figures/declarations.csv", "findings/findings.csv",
                "findings/finding-events.csv", "audit/audit-excerpt.csv",
                "audit/chain-head.json", "manifest.json"} <= set(names)
        assert {f"rules/{p.path.name}" for p in api.load_rules(settings)} <= set(names)
        assert all(i.date_time == (2025, 6, 1, 0, 0, 0) for i in z.infolist())
        plan = Document(z.open("documents/edi-improvement-plan.docx"))
        assert any("High Impact Actions" in p.text for p in plan.paragraphs)
        manifest = json.loads(z.read("manifest.json"))
        listed = {f["path"] for f in manifest["files"]}
        assert listed == set(names) - {"manifest.json", "signature.json"}  # the signed, the signer
        assert manifest["organisation"]["code"] == "SYN01" and manifest["as_of"] == "2025-06-01"
        imports = {i["filename"]: i for i in manifest["imports"]}
        assert "metrics.csv" in imports and "career-recruitment.csv" in imports
        assert all(len(i["sha256"]) == 64 for i in imports.values())
        imp = imports["metrics.csv"]
        outcomes = _read_csv(z, "figures/outcomes.csv")
        wres2 = next(r for r in outcomes if r["rule_id"] == "wres.2.adverse")
        assert float(wres2["value"]) == pytest.approx(1.672, abs=1e-3)
        assert wres2["focus_numerator"] == "868" and wres2["source_sha256"] == imp["sha256"]
        events = _read_csv(z, "findings/finding-events.csv")
        assert {"opened", "continuing", "escalated", "assigned"} <= {e["kind"] for e in events}
        assert all(e["as_of"] <= "2025-06-01" for e in events)
        audit_rows = _read_csv(z, "audit/audit-excerpt.csv")
        actions = {r["action"] for r in audit_rows}
        assert "import" in actions and "evaluate" in actions and "finding.opened" in actions
        assert not any(a.startswith(("report.", "pack.")) for a in actions)
        head = json.loads(z.read("audit/chain-head.json"))
        assert head["chain_verified"] and head["last_hash"] == audit_rows[-1]["hash"]


def test_text_cells_are_neutralised_and_numbers_stay_numeric(pack: Path) -> None:
    assert csv_cell("=cmd") == "'=cmd"
    for risky in ("+1", "-x", "@SUM(A1)", "\tx", "\rx", "\nx", "  =cmd", "\uff1dcmd",
                  "\uff0b1", "\uff0dx", "\uff20SUM(A1)", "\u00a0=cmd", "\u3000+1"):
        assert csv_cell(risky) == "'" + risky
    assert csv_cell("Trust A - Acute") == "Trust A - Acute" and csv_cell(" x") == " x"
    assert csv_cell(-3.2) == "-3.2" and csv_cell(7) == "7" and csv_cell(None) == ""
    assert csv_bytes(("a", "b"), [("=cmd", -3.2)]).decode() == "a,b\n'=cmd,-3.2\n"
    with zipfile.ZipFile(pack) as z:
        rows = _read_csv(z, "findings/findings.csv")
        wres2 = next(r for r in rows if r["rule_id"] == "wres.2.adverse")
        assert wres2["action_owner"] == "'" + INJECTION
        assert wres2["action_note"] == "'+Recruitment review"
        outcomes = _read_csv(z, "figures/outcomes.csv")
        board_gap = next(r for r in outcomes if r["rule_id"] == "wres.9.board-gap")
        assert board_gap["value"].startswith("-18.97") and float(board_gap["value"]) < 0


def test_verify_accepts_an_untouched_pack(pack: Path) -> None:
    assert verify_pack(pack) == []


def _rewrite(src: Path, dst: Path, *, change: str | None = None, drop: str | None = None,
             add: str | None = None) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == drop:
                continue
            if info.filename == change:
                data = data.replace(b"868", b"900", 1)
            zout.writestr(info, data)
        if add:
            zout.writestr(add, b"not listed")
    return dst


def test_verify_names_a_changed_a_missing_and_an_extra_file(pack: Path, tmp_path: Path) -> None:
    changed = _rewrite(pack, tmp_path / "changed.zip", change="figures/outcomes.csv")
    assert verify_pack(changed) == [verify_pack(changed)[0]]
    assert verify_pack(changed)[0].startswith("changed: figures/outcomes.csv")
    missing = _rewrite(pack, tmp_path / "missing.zip", drop="rules/wres.yaml")
    assert verify_pack(missing) == ["missing: rules/wres.yaml"]
    extra = _rewrite(pack, tmp_path / "extra.zip", add="figures/notes.csv")
    assert verify_pack(extra) == ["extra: figures/notes.csv (not in the manifest)"]
    no_manifest = _rewrite(pack, tmp_path / "nomanifest.zip", drop="manifest.json")
    assert verify_pack(no_manifest) == ["manifest.json: missing, so nothing can be checked"]
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"not a zip")
    assert "not a readable zip file" in verify_pack(garbage)[0]
    copy = shutil.copy(pack, tmp_path / "copy.zip")
    assert verify_pack(Path(copy)) == []


def test_the_documents_in_the_pack_are_the_rendered_reports(demo: tuple[Engine, Settings],
                                                            pack: Path, tmp_path: Path) -> None:
    engine, settings = demo
    ctx = board_context(engine, settings, org_code="SYN01", as_of=AS_OF)
    doc = render_board_report(ctx, settings, tmp_path / "board.docx", engine=engine)
    with zipfile.ZipFile(pack) as z:
        assert z.read("documents/board-report.docx") == doc.read_bytes()


def test_building_a_pack_is_recorded_in_the_audit_log(demo: tuple[Engine, Settings],
                                                      pack: Path) -> None:
    engine, _ = demo
    with session(engine) as s:
        events = s.exec(select(AuditEvent).where(col(AuditEvent.action) == "pack.build")).all()
    mine = [json.loads(e.details) for e in events if e.subject == "org:SYN01"]
    assert any(d["sha256"] == sha256_file(pack) and d["as_of"] == "2025-06-01" for d in mine)
    assert all(e.subject.startswith("org:") for e in events)
    assert api.verify_audit(engine).ok


def test_verify_against_the_store_catches_a_rewritten_manifest(
        demo: tuple[Engine, Settings], pack: Path, tmp_path: Path) -> None:
    engine, _ = demo
    assert verify_pack(pack, engine=engine) == []
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(pack) as zin, zipfile.ZipFile(forged, "w") as zout:
        manifest = json.loads(zin.read("manifest.json"))
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "figures/outcomes.csv":
                data = data.replace(b"868", b"900", 1)
                entry = next(f for f in manifest["files"] if f["path"] == info.filename)
                entry["sha256"] = hashlib.sha256(data).hexdigest()
            if info.filename not in ("manifest.json", "signature.json"):
                zout.writestr(info, data)
        rewritten = json.dumps(manifest).encode()
        zout.writestr("manifest.json", rewritten)
        # A careful forger signs the rewritten manifest too, with a key of their own.
        zout.writestr("signature.json", signature_file(Ed25519PrivateKey.generate(), rewritten))
    assert verify_pack(forged) == []  # consistent with itself …
    (problem,) = verify_pack(forged, engine=engine)  # … but not what the tool produced
    assert problem.startswith("manifest.json: no pack.build event in the audit log")


HOSTILE_NAMES = {
    "controls": "Trust\x00 with\x01 bell\x07, escape \x1b[31mred\x1b[0m, form\x0cfeed, "
                "non-characters \ufffe\uffff, tab\tand\nnewline",
    "long": "Synthetic Hospitals NHS Foundation Trust " * 8,  # 328 characters
}


@pytest.mark.parametrize("kind", sorted(HOSTILE_NAMES))
def test_an_organisation_name_word_refuses_still_gives_documents_and_a_pack(
        demo_build: DemoBuild, tmp_path: Path, kind: str) -> None:
    settings = copy_demo(demo_build, tmp_path / "demo")
    engine = api.connect(settings)
    name = HOSTILE_NAMES[kind]
    with session(engine) as s, s.begin():  # straight into the store, past any importer
        org = s.get(Organisation, "SYN01")
        assert org is not None
        org.name = name
        s.add(org)
    paths = {r: api.render(engine, settings, r, org_code="SYN01", as_of=AS_OF, actor="test",
                           at=AT, out_path=tmp_path / f"{r}.{'zip' if r == 'pack' else 'docx'}")
             for r in ("board", "well-led", "pack")}
    shown = "".join(c if c in "\t\n" or (c >= " " and c not in "\ufffe\uffff") else "\ufffd"
                    for c in name)
    for r in ("board", "well-led"):
        doc = Document(str(paths[r]))
        text = "\n".join(p.text for p in doc.paragraphs)
        assert shown.split("\n")[0] in text, r  # every character shown, the invalid as U+FFFD
        assert len(doc.core_properties.title) <= 255
    assert verify_pack(paths["pack"]) == []
    with zipfile.ZipFile(paths["pack"]) as z:
        assert json.loads(z.read("manifest.json"))["organisation"]["name"] == name
    engine.dispose()


def test_packs_built_from_shared_inputs_check_what_was_appended_to_the_chain_since(
        demo_build: DemoBuild, tmp_path: Path) -> None:
    # A batch builds every pack from one read of the store (load_inputs for every
    # organisation): the first pack verifies the whole chain, later ones what was appended
    # since the check before, so an event appended and altered between two packs is caught.
    from sqlalchemy import text

    from assurance.report_context import load_inputs
    from reports.pack import pack_files

    settings = copy_demo(demo_build, tmp_path / "demo")
    engine = api.connect(settings)
    inputs = load_inputs(engine, settings, as_of=AS_OF, org_codes=None)
    files, _ = pack_files(engine, settings, org_code="SYN01", as_of=AS_OF, inputs=inputs)
    assert json.loads(files["audit/chain-head.json"])["chain_verified"]
    with session(engine) as s:
        events = len(s.exec(select(AuditEvent)).all())
    with session(engine, write=True) as s, s.begin():
        audit.append(s, at=AT, actor="test", action="note", subject="org:SYN02")
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET actor = 'someone' WHERE seq = :s"),
                     {"s": events + 1})
    files, _ = pack_files(engine, settings, org_code="SYN02", as_of=AS_OF, inputs=inputs)
    head = json.loads(files["audit/chain-head.json"])
    assert not head["chain_verified"]
    assert head["problem"] == f"event {events + 1} (note) was altered after it was written"
    engine.dispose()
