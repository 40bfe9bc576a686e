"""The attestation register: statements attested by a role until a date, evidence hashed into
the audit chain, every change audited; a rule requiring a current attestation opens a finding
before the attestation lapses and resolves once it is renewed."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

import assurance.cli.attestations  # noqa: F401  (registers the commands)
from assurance import api, attestations, audit
from assurance.config import load_settings
from assurance.engine.rules import RulePack, load_packs
from assurance.models import Attestation, AuditEvent, Finding
from assurance.problems import ProblemsError
from conftest import AT
from helpers import METRIC_HEADER, import_metrics, register_orgs, run_cli, sqlite_config, write_csv

TODAY = AT.date()  # 2025-06-01
STATEMENT = "hia.1.board-objectives"
TEXT = "Every board member has specific, measurable EDI objectives."

PACK = f"""
version: 1
pack: t
rules:
  - id: t.board-objectives
    title: Board members' EDI objectives not attested
    metric: wres.9
    when: {{attestation: {{statement: {STATEMENT}, text: "{TEXT}", warn_days: 30}}}}
"""


def board_rows(year: int) -> list[tuple[object, ...]]:
    return [row for org in ("SYT01", "SYT02") for row in (
        (org, f"wres:{year}", "wres.9", "bme", "board_voting", 2, 12, "", ""),
        (org, f"wres:{year}", "wres.9", "bme", "workforce", 500, 2000, "", ""))]


@pytest.fixture
def packs(tmp_path: Path) -> list[RulePack]:
    (tmp_path / "t.yaml").write_text(PACK)
    return load_packs([tmp_path / "t.yaml"])


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> Engine:
    register_orgs(engine, tmp_path, "SYT01", "SYT02")
    import_metrics(engine, write_csv(tmp_path / "m.csv", METRIC_HEADER,
                                     board_rows(2024) + board_rows(2025)))
    return engine


def add(engine: Engine, packs: list[RulePack], **kw: object) -> Attestation:
    args: dict[str, object] = dict(org="SYT01", statement=STATEMENT, attested_by="Chair",
                                   attested_on=date(2025, 4, 1), valid_until=date(2026, 3, 31),
                                   today=TODAY, actor="test", at=AT,
                                   statements=attestations.required_statements(packs))
    args.update(kw)
    with Session(engine) as s, s.begin():
        a = attestations.add(s, **args)  # type: ignore[arg-type]
        s.expunge(a)
    return a


def audit_events(engine: Engine, prefix: str = "attestation.") -> list[AuditEvent]:
    with Session(engine) as s:
        return list(s.exec(select(AuditEvent).where(col(AuditEvent.action).startswith(prefix))
                           .order_by(col(AuditEvent.seq))).all())


def test_adding_an_attestation_records_the_role_dates_and_evidence_hash_in_the_audit_chain(
        store: Engine, packs: list[RulePack], tmp_path: Path) -> None:
    minutes = tmp_path / "board-minutes-2025-03.pdf"
    minutes.write_bytes(b"%PDF minutes: objectives agreed for every board member")
    a = add(store, packs, evidence=minutes, attested_by="chair")  # roles match in any case
    assert (a.org_code, a.statement, a.attested_by, a.text) == ("SYT01", STATEMENT, "Chair", TEXT)
    digest = hashlib.sha256(minutes.read_bytes()).hexdigest()
    assert (a.evidence_sha256, a.evidence_name) == (digest, "board-minutes-2025-03.pdf")
    (ev,) = audit_events(store)
    assert ev.action == "attestation.add" and ev.subject == f"attestation:{a.id}"
    details = json.loads(ev.details)
    assert details["evidence_sha256"] == digest and details["valid_until"] == "2026-03-31"
    with Session(store) as s:
        assert audit.verify(s).ok


def test_bad_input_is_refused_with_every_problem_located_and_nothing_stored(
        store: Engine, packs: list[RulePack], tmp_path: Path) -> None:
    with pytest.raises(ProblemsError) as exc:
        add(store, packs, org="syt-01", statement="hia.1.board-objective",
            attested_by="Chiar", attested_on=date(2025, 4, 1), valid_until=date(2025, 3, 31),
            evidence=tmp_path)
    assert [str(p) for p in exc.value.problems] == [
        "--org: error: unknown organisation 'SYT-01' (did you mean 'SYT01'?); register it "
        "first (assurance orgs import)",
        "statement: error: no rule in force requires 'hia.1.board-objective' (did you mean "
        "'hia.1.board-objectives'?); expected one of: hia.1.board-objectives",
        "--text: error: no statement text; give --text (the rule requiring "
        "'hia.1.board-objective' has none to offer)",
        "--by: error: found 'Chiar'; expected a role (did you mean 'Chair'?): "
        + ", ".join(attestations.ROLES) + " (a person's name only with --person)",
        "--valid-until: error: found 2025-03-31, before the attestation date 2025-04-01; "
        "expected 2025-04-01 or later",
        f"--evidence: error: {tmp_path}: not a regular file; expected the evidence file "
        "itself (not a folder or a device)"]
    with Session(store) as s:
        assert s.exec(select(Attestation)).all() == []
    assert audit_events(store) == []


def test_an_attestation_cannot_be_dated_after_today_nor_name_a_person_unless_asked(
        store: Engine, packs: list[RulePack], tmp_path: Path) -> None:
    with pytest.raises(ProblemsError) as exc:
        add(store, packs, attested_on=TODAY + timedelta(days=1), attested_by="Dr A Smith",
            evidence=tmp_path / "missing.pdf")
    assert [p.where for p in exc.value.problems] == ["--by", "--on", "--evidence"]
    assert "no such file" in exc.value.problems[2].message
    a = add(store, packs, attested_by="Dr A Smith", person=True)
    assert a.attested_by == "Dr A Smith"


def test_state_follows_the_dates_and_a_withdrawal_from_the_day_it_takes_effect(
        store: Engine, packs: list[RulePack]) -> None:
    a = add(store, packs)
    assert attestations.state_on(a, date(2025, 3, 31)) == "not yet valid"
    assert attestations.state_on(a, date(2026, 3, 31)) == "current"  # its last valid day
    assert attestations.state_on(a, date(2026, 4, 1)) == "expired"
    with Session(store) as s, s.begin():
        w = attestations.expire(s, a.id or 0, on=date(2025, 9, 1), reason="objectives "
                                "not set for two new non-executive directors", actor="test",
                                at=AT)
        assert attestations.state_on(w, date(2025, 8, 31)) == "current"
        assert attestations.state_on(w, date(2025, 9, 1)) == "withdrawn"
    with Session(store) as s, pytest.raises(ProblemsError) as exc:
        attestations.expire(s, a.id or 0, on=date(2025, 10, 1), reason="again", actor="t",
                            at=AT)
    assert "already withdrawn on 2025-09-01" in str(exc.value)
    assert [e.action for e in audit_events(store)] == ["attestation.add", "attestation.expire"]


def test_replacing_the_evidence_keeps_both_hashes_in_the_audit_chain(
        store: Engine, packs: list[RulePack], tmp_path: Path) -> None:
    first, second = tmp_path / "plan-v1.pdf", tmp_path / "plan-v2.pdf"
    first.write_bytes(b"plan v1")
    second.write_bytes(b"plan v2")
    a = add(store, packs)
    for f in (first, second):
        with Session(store) as s, s.begin():
            attestations.attach_evidence(s, str(a.id), f, actor="test", at=AT)
    events = audit_events(store, "attestation.evidence")
    got = [(json.loads(e.details)["evidence_sha256"], json.loads(e.details)["replaces_sha256"])
           for e in events]
    h1, h2 = (hashlib.sha256(f.read_bytes()).hexdigest() for f in (first, second))
    assert got == [(h1, None), (h2, h1)]
    with Session(store) as s:
        assert s.get(Attestation, a.id).evidence_name == "plan-v2.pdf"  # type: ignore[union-attr]
        with pytest.raises(ProblemsError, match="no attestation '99'"):
            attestations.attach_evidence(s, "99", first, actor="test", at=AT)


def evaluate(engine: Engine, packs: list[RulePack], day: date) -> list[tuple[str, str]]:
    result = api.evaluate_and_record(engine, load_settings(None), as_of=day, at=AT,
                                     actor="test", packs=packs)
    return [(t.finding.org_code, t.event.kind) for t in result.transitions]


def test_an_attestation_about_to_lapse_opens_a_finding_before_it_lapses_and_renewal_resolves(
        store: Engine, packs: list[RulePack]) -> None:
    add(store, packs, attested_on=date(2024, 7, 1), valid_until=date(2025, 6, 30),
        today=date(2025, 1, 1))
    # SYT02 has board figures but attested nothing: it breaches from the first run.
    assert evaluate(store, packs, date(2025, 5, 1)) == [("SYT02", "opened")]
    assert evaluate(store, packs, date(2025, 6, 1)) == [("SYT01", "opened")]  # 29 days left
    with Session(store) as s:
        f = s.exec(select(Finding).where(Finding.org_code == "SYT01")).one()
        assert "lapses in 29 days" in f.summary and json.loads(f.facts)["days_left"] == 29
    add(store, packs, attested_on=date(2025, 6, 1), valid_until=date(2026, 5, 31))
    assert evaluate(store, packs, date(2025, 6, 2)) == [("SYT01", "resolved")]


def test_an_expired_attestation_opens_a_finding(store: Engine, packs: list[RulePack]) -> None:
    add(store, packs, attested_on=date(2024, 4, 1), valid_until=date(2025, 3, 31),
        today=date(2025, 1, 1))
    assert sorted(evaluate(store, packs, TODAY)) == [("SYT01", "opened"), ("SYT02", "opened")]
    with Session(store) as s:
        f = s.exec(select(Finding).where(Finding.org_code == "SYT01")).one()
    assert "expired after 31 March 2025; none is current" in f.summary


# ----------------------------------------------------------------------------- command line

def cli(config: Path, *args: str) -> tuple[int, str, str]:
    return run_cli(config, "attestations", *args)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return sqlite_config(tmp_path, "SYT01")


def test_the_commands_add_list_expire_and_attach_evidence(config: Path, tmp_path: Path) -> None:
    code, _, _ = cli(config, "--help")
    assert code == 0
    rule = "hia.5.international-induction"  # a statement the shipped HIA pack requires
    code, stdout, stderr = cli(config, "add", rule, "--org", "syt01", "--by",
                               "chief people officer", "--on", "2025-04-01",
                               "--valid-until", "2099-03-31")
    assert code == 0, stderr
    assert "added attestation 1: SYT01 hia.5.international-induction by the Chief People " \
           "Officer, 2025-04-01 to 2099-03-31; no evidence file yet" in stdout
    evidence = tmp_path / "induction-programme.docx"
    evidence.write_bytes(b"programme")
    code, stdout, _ = cli(config, "evidence", "1", str(evidence))
    assert code == 0 and hashlib.sha256(b"programme").hexdigest() in stdout
    code, stdout, _ = cli(config, "list", "--json", "--as-of", "2025-06-01")
    (row,) = json.loads(stdout)
    assert (row["state"], row["evidence_name"]) == ("current", "induction-programme.docx")
    assert row["text"]  # the wording comes from the rule requiring the statement
    code, stdout, _ = cli(config, "expire", "1", "--reason", "programme paused", "--on",
                          "2025-07-01")
    assert code == 0 and "withdrew attestation 1" in stdout
    code, stdout, _ = cli(config, "list", "--json", "--as-of", "2025-07-01")
    assert json.loads(stdout)[0]["state"] == "withdrawn"


def test_bad_input_on_the_command_line_exits_2_and_stores_nothing(config: Path,
                                                                  tmp_path: Path) -> None:
    code, _, stderr = cli(config, "add", "hia.5.international-induction", "--org", "SYT09",
                          "--by", "Chair", "--on", "2025-04-01", "--valid-until", "2025-01-01")
    assert code == 2
    assert "--org: error: unknown organisation 'SYT09' (did you mean 'SYT01'?)" in stderr
    assert "--valid-until: error: found 2025-01-01, before the attestation date" in stderr
    assert "nothing was changed" in stderr
    code, _, stderr = cli(config, "add", "hia.5.international-induction", "--org", "SYT01",
                          "--by", "Chair", "--valid-until", "next year")
    assert code == 2 and "--valid-until: error: found 'next year'" in stderr
    code, _, stderr = cli(config, "evidence", "7", str(tmp_path))
    assert code == 2 and "no attestation '7'" in stderr
    code, stdout, _ = cli(config, "list", "--json")
    assert json.loads(stdout) == []


def test_attested_wording_and_a_reason_are_one_clean_line(config: Path) -> None:
    # "Board objectives\x07\x1b[31m set" was stored and printed in the HIA document.
    code, _, err = cli(config, "add", "hia.1.board-objectives", "--org", "SYT01", "--by",
                       "Chair", "--valid-until", "2027-12-31", "--text",
                       "Board objectives\x07\x1b[31m set")
    assert code == 2 and "--text: error: found a text with a control character" in err, err
    code, _, err = cli(config, "add", "hia.1.board-objectives", "--org", "SYT01", "--by",
                       "Chair", "--valid-until", "2027-12-31", "--text", "x" * 1001)
    assert code == 2 and "--text: error: found a 1,001-character text" in err, err
