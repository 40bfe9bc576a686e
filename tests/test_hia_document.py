"""The EDI Improvement Plan document per trust (issue 15, item 1): the six High Impact Actions
in the plan's order, each measure's status from the HIA pack and the attestation register,
its evidence, owner and date; an expired or withdrawn attestation is a gap. Read back with
python-docx, checked for accessibility like the board report, and opened by LibreOffice.

Most tests read the shared demo store; the ones that change it (an owner assigned, an
attestation withdrawn) work on a copy.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from typer.testing import CliRunner

from assurance import api, attestations, findings
from assurance.cli import base as cli_base
from assurance.config import Settings
from assurance.db import session
from assurance.improvement_plan import load_plan
from assurance.models import AuditEvent, Finding
from assurance.report_context.hia import HiaContext, HiaMeasure, hia_context
from conftest import DemoBuild, copy_demo
from reports.hia import write_hia_docx
from reports.outputs import sha256_file

AS_OF = date(2025, 6, 1)
AT = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


def _measure(ctx: HiaContext, rule_id: str) -> HiaMeasure:
    return next(m for a in ctx.actions for m in a.measures if m.rule_id == rule_id)


def _read(path: Path) -> tuple[list[tuple[int, str]], str, docx.document.Document]:
    d = docx.Document(str(path))
    heads = [(int(p.style.name.split()[-1]), p.text) for p in d.paragraphs
             if p.style is not None and p.style.name.startswith("Heading ")]
    text = "\n".join([p.text for p in d.paragraphs]
                     + [c.text for t in d.tables for r in t.rows for c in r.cells])
    return heads, text, d


@pytest.fixture(scope="module")
def rendered(demo_store: tuple[Engine, Settings], tmp_path_factory: pytest.TempPathFactory
             ) -> dict[str, tuple[HiaContext, Path]]:
    engine, settings = demo_store
    out = tmp_path_factory.mktemp("hia")
    docs = {}
    for org in ("SYN01", "SYN02", "SYN03", "SYN06"):
        ctx = hia_context(engine, settings, org_code=org, as_of=AS_OF)
        docs[org] = (ctx, write_hia_docx(ctx, settings, out / f"{org}-hia.docx"))
    return docs


def test_the_document_lists_the_six_actions_in_the_plans_order(
        rendered: dict[str, tuple[HiaContext, Path]]) -> None:
    plan = load_plan()
    assert [a.number for a in plan.actions] == [1, 2, 3, 4, 5, 6]
    heads, text, _ = _read(rendered["SYN01"][1])
    h1 = [t for level, t in heads if level == 1]
    expected = [f"HIA {a.number}: {a.title}" for a in plan.actions]
    assert [t for t in h1 if t.startswith("HIA ")] == expected
    assert h1.index("Summary of the six actions") < h1.index(expected[0])
    assert "NHS equality, diversity, and inclusion improvement plan' (June 2023)" in text
    assert "paraphrased" in text
    for a in plan.actions:  # every success metric, held or not, has its row
        for m in a.metrics:
            assert f"Success metric {m.id}" in text, m.id


def test_an_expired_attestation_is_a_gap_with_its_evidence_shown(
        rendered: dict[str, tuple[HiaContext, Path]], demo_store: tuple[Engine, Settings]
        ) -> None:
    ctx, path = rendered["SYN03"]
    m = _measure(ctx, "hia.3.pay-gap-plans")  # the demo's SYN03 attestation lapsed in 2024
    assert m.state == "gap" and m.attestation is not None
    assert m.attestation.state == "expired"
    assert m.status_text == "Gap: the attestation expired after 29 March 2024"
    hia3 = next(a for a in ctx.actions if a.number == 3)
    assert hia3.state == "gap" and hia3.status_label == "Gap: 1 of 1 measure"
    _, settings = demo_store
    evidence = settings.base_dir / "data" / "evidence" / "SYN03-hia.3.pay-gap-plans.txt"
    digest = hashlib.sha256(evidence.read_bytes()).hexdigest()
    _, text, _ = _read(path)
    assert "Gap: the attestation expired after 29 March 2024" in text
    assert ("Attested by the Director of Workforce on 30 March 2023, valid until 29 March "
            "2024 (expired).") in text
    # (a long digest is printed in groups, so that it wraps in a table cell)
    assert f"Evidence:SYN03-hia.3.pay-gap-plans.txt,SHA-256{digest}" in text.replace(" ", "")
    assert "Gap: not attested" in text  # and statements never attested are gaps too


def test_owners_and_dates_come_from_the_attestation_or_the_finding(
        rendered: dict[str, tuple[HiaContext, Path]]) -> None:
    ctx, path = rendered["SYN01"]
    chair = _measure(ctx, "hia.1a.board-objectives")
    assert (chair.state, chair.owner, chair.date_text) == (
        "in_place", "Chair (attested)", "Valid until 31 March 2026")
    unattested = _measure(ctx, "hia.1.baf-tracking")
    assert unattested.state == "gap" and unattested.owner == "No action owner assigned"
    assert unattested.date_text.startswith("Finding open since ")
    hia1 = next(a for a in ctx.actions if a.number == 1)
    assert "Chair (attested)" in hia1.owners
    assert hia1.next_date == "attestation hia.1.plan-published lapses on 29 September 2025"
    _, text, _ = _read(path)
    assert "Chair (attested)\nValid until 31 March 2026" in text
    # A figure rule the pack ships disabled is judged here and names the finding it defers to.
    wres2 = _measure(ctx, "hia.2a.appointment-race")
    assert not wres2.enabled and wres2.state == "gap"
    assert any("wres.2.adverse" in line for line in wres2.evidence)
    assert any(line.startswith("WRES 2 (") and "1.67" in line for line in wres2.evidence)


def test_an_attestation_lapsing_within_its_warning_is_at_risk_not_in_place(
        rendered: dict[str, tuple[HiaContext, Path]]) -> None:
    ctx, _ = rendered["SYN02"]
    m = _measure(ctx, "hia.1a.board-objectives")  # valid until 30 June 2025, warning 60 days
    assert m.state == "at_risk" and m.attestation is not None
    assert m.status_text.startswith("Renew: the attestation lapses on 30 June 2025")
    good = rendered["SYN06"][0]  # Lakeside attests every statement on time
    assert all(a.state == "in_place" for a in good.actions), [a.status_label
                                                              for a in good.actions]
    assert good.gaps == 0 and good.summary_text.startswith("0 of 6 actions have gaps")


def test_a_measure_in_place_is_headed_by_what_it_checks_a_gap_by_the_concern(
        rendered: dict[str, tuple[HiaContext, Path]]) -> None:
    # The rules' titles name what goes wrong ("... not attested", "... more likely to be
    # appointed"); beside "In place" or "Met" they would read as the failing itself.
    good, path = rendered["SYN06"]
    placed = [m for a in good.actions for m in a.measures if m.state == "in_place"]
    assert placed and not any(m.title.endswith("not attested") for m in placed)
    chair = _measure(good, "hia.1a.board-objectives")
    assert chair.state == "in_place"
    assert chair.title.startswith("The chair, the chief executive and every board member have "
                                  "specific, measurable EDI objectives")
    assert not chair.title.endswith(".")
    figures = [m for m in placed if m.kind == "figure"]
    assert figures and all(not m.title.startswith("HIA ") for m in figures), [
        m.title for m in figures]
    _, text, _ = _read(path)
    assert "not attested" not in text.split("Gaps")[0]
    gap = _measure(rendered["SYN03"][0], "hia.3.pay-gap-plans")
    assert gap.state == "gap" and gap.title == "HIA 3: pay gap improvement plans not attested"


@pytest.mark.parametrize("org", ["SYN01", "SYN03"])
def test_the_document_is_accessible_by_construction(
        rendered: dict[str, tuple[HiaContext, Path]], org: str) -> None:
    heads, _, d = _read(rendered[org][1])
    assert d.core_properties.title == ("EDI Improvement Plan: High Impact Actions: "
                                       + rendered[org][0].organisation.name)
    assert d.core_properties.language == "en-GB"
    levels = [level for level, _ in heads]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False))
    for pr in d.element.body.findall(".//" + qn("wp:docPr")):  # any picture has alt text
        assert len(pr.get("descr", "")) > 20
    assert len(d.tables) == 7  # the summary and one per action
    for t in d.tables:
        tr_pr = t.rows[0]._tr.trPr
        assert tr_pr is not None and tr_pr.find(qn("w:tblHeader")) is not None
        assert len(t.rows) > 1


@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice (soffice) and pdftotext are needed")
def test_libreoffice_opens_the_document_and_the_pdf_says_what_the_docx_says(
        rendered: dict[str, tuple[HiaContext, Path]], tmp_path: Path) -> None:
    path = rendered["SYN03"][1]
    profile = (tmp_path / "lo-profile").as_uri()
    proc = subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless",
                           "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    text = subprocess.run(["pdftotext", str(tmp_path / f"{path.stem}.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    for expected in ("EDI Improvement Plan: High Impact Actions", "Summary of the six actions",
                     "HIA 6: Eliminate bullying", "Riverside Synthetic Teaching Hospitals"):
        assert expected in text, expected


# ----------------------------------------------------------------------------- on a copy

@pytest.fixture(scope="module")
def copy(demo_build: DemoBuild, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[Engine, Settings]]:
    settings = copy_demo(demo_build, tmp_path_factory.mktemp("hia-copy") / "demo")
    engine = api.connect(settings)
    yield engine, settings
    engine.dispose()


def test_a_withdrawn_attestation_is_a_gap_and_an_assigned_owner_is_shown(
        copy: tuple[Engine, Settings]) -> None:
    engine, settings = copy
    with session(engine, write=True) as s, s.begin():
        chair = next(a for a in attestations.list_attestations(s, org="SYN01")
                     if a.statement == "hia.1.board-objectives")
        attestations.expire(s, chair.id or 0, on=date(2025, 5, 20), reason="objectives not "
                            "yet agreed for two new members", actor="test", at=AT)
        f = s.exec(select(Finding).where(Finding.org_code == "SYN01",
                                         Finding.rule_id == "hia.1.baf-tracking")).one()
        findings.assign(s, f.fingerprint, owner="Company Secretary", due=date(2025, 9, 30),
                        note="add the EDI risks to the BAF", actor="test", at=AT, as_of=AS_OF)
    ctx = hia_context(engine, settings, org_code="SYN01", as_of=AS_OF)
    withdrawn = _measure(ctx, "hia.1a.board-objectives")
    assert withdrawn.state == "gap"
    assert withdrawn.status_text == "Gap: the attestation was withdrawn on 20 May 2025"
    assert any("objectives not yet agreed" in line for line in withdrawn.evidence)
    owned = _measure(ctx, "hia.1.baf-tracking")
    assert owned.owner == "Company Secretary (action owner)"
    assert owned.date_text == "Action due 30 September 2025"


def test_report_hia_writes_through_the_registry_and_records_its_digest(
        copy: tuple[Engine, Settings], tmp_path: Path) -> None:
    engine, settings = copy
    out = tmp_path / "SYN06-hia.docx"
    cli_base._state.clear()
    r = CliRunner().invoke(cli_base.app, ["--config", str(settings.source), "report", "hia",
                                          "--org", "SYN06", "--as-of", "2025-06-01",
                                          "--out", str(out)])
    cli_base._state.clear()
    assert r.exit_code == 0, r.output
    assert out.is_file()
    with session(engine) as s:
        events = s.exec(select(AuditEvent).where(col(AuditEvent.action) == "report.hia")).all()
    assert any(sha256_file(out) in e.details for e in events)
    _, text, _ = _read(out)
    assert "Lakeside" in text and "In place" in text
