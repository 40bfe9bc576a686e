"""Well-led framework versions are data: each shipped version loads, a bad file is refused
with located problems, the document's structure and scoring follow the version (no
percentage where the version has none), and the evidence pack records and signs which
version it used (issue 15, item 5).

The document tests read a copy of the demo store (the shared one, read only).
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import zipfile
from datetime import date
from pathlib import Path

import docx
import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from assurance.cli import base as cli_base
from assurance.config import Settings, load_settings
from assurance.frameworks import (
    BASE_FRAMEWORK,
    DEFAULT_FRAMEWORK,
    FRAMEWORKS_DIR,
    framework_names,
    load_framework,
)
from assurance.problems import ProblemsError
from assurance.report_context import board_context, well_led_context
from assurance.report_context.model import WellLedContext
from assurance.rulepacks import load_rules
from reports.pack import build_pack, verify_pack
from reports.wellled import write_well_led_docx

AS_OF = date(2025, 6, 1)
VERSIONS = ("cqc-saf-2024", "cqc-2026", "nhse-people-culture")
PERCENT_IN_BRACKETS = re.compile(r"\(\d+(?:\.\d+)?%\)")  # "Good (72.5%)"


def _with_framework(settings: Settings, name: str) -> Settings:
    return dataclasses.replace(settings, reports=dataclasses.replace(
        settings.reports, well_led_framework=name))


# ----------------------------------------------------------------------------- loading

def test_the_three_versions_ship_and_the_default_is_the_2024_framework() -> None:
    assert set(VERSIONS) <= set(framework_names())
    assert DEFAULT_FRAMEWORK == "cqc-saf-2024"
    assert load_settings(None).reports.well_led_framework == DEFAULT_FRAMEWORK


@pytest.mark.parametrize("name", VERSIONS)
def test_each_version_loads_with_its_sections_scoring_and_wording_marks(name: str) -> None:
    fw = load_framework(name)
    assert fw.id == name and fw.sections and fw.source and fw.publisher
    assert fw.scoring.percentages == (name == "cqc-saf-2024")
    assert fw.scoring.sections_scored == (name != "cqc-2026")
    assert set(fw.accountable) <= {s.id for s in fw.sections} and fw.accountable
    verbatim = {s.number for s in fw.sections if s.verbatim}
    # domain.md confirms only the 2024 statements 4 and 5 word for word.
    assert verbatim == ({"4", "5"} if name == BASE_FRAMEWORK else set())


@pytest.mark.parametrize("name", VERSIONS)
def test_every_evidence_id_the_shipped_rules_name_has_a_place_in_every_version(
        name: str) -> None:
    fw = load_framework(name)
    named = {e for p in load_rules(load_settings(None)) for r in p.rules for e in r.evidence}
    assert named and named <= {s.id for s in load_framework(BASE_FRAMEWORK).sections}
    if fw.id != BASE_FRAMEWORK:  # every id is translated on purpose, even to nothing
        assert named <= dict(fw.maps).keys()
    workforce_equality = fw.evidence_for("any.rule", ["well-led.4"])
    assert len(workforce_equality) == 1
    assert "equal" in fw.section(workforce_equality[0]).name.lower() or \
        "inclusive" in fw.section(workforce_equality[0]).name.lower()


def _copy_with(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """A copy of a shipped version with one edit, beside a copy of the base version (which a
    version's maps: are checked against)."""
    folder = tmp_path / "frameworks"
    folder.mkdir(exist_ok=True)
    shutil.copy(FRAMEWORKS_DIR / f"{BASE_FRAMEWORK}.yaml", folder)
    text = (FRAMEWORKS_DIR / f"{name}.yaml").read_text(encoding="utf-8")
    assert old in text, old
    path = folder / f"{name}.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


@pytest.mark.parametrize(("name", "old", "new", "needle", "column", "message"), [
    ("cqc-2026", "  well-led.4: [cqc26.wl.culture]", "  well-led.4: [cqc26.wl.cultur]",
     "well-led.4: [cqc26.wl.cultur]", 16, "'well-led.4': unknown section 'cqc26.wl.cultur' "
     "(did you mean 'cqc26.wl.culture'?)"),
    ("cqc-2026", "  well-led.8: [cqc26.wl.improvement]", "  well-led.9: [cqc26.wl.improvement]",
     "well-led.9:", 3, "'well-led.9': not a cqc-saf-2024 statement (did you mean "
     "'well-led.8'?)"),
    ("cqc-2026", "  key_question: overall", "  key_question: percentage", "key_question:",
     17, "'key_question': found percentage with sections: not-scored"),
    ("nhse-people-culture", "  sections: scored", "  sectoins: scored", "sectoins:", 3,
     "unknown key 'sectoins' in 'scoring' (did you mean 'sections'?)"),
    ("nhse-people-culture", "framework: nhse-people-culture", "framework: nhse-people",
     "framework: nhse-people", 12, "'framework': found 'nhse-people'; expected "
     "'nhse-people-culture'"),
    ("cqc-saf-2024", "    verbatim: true", "    verbatim: yes please", "verbatim: yes please",
     15, "'verbatim': found 'yes please'; expected true or false"),
])
def test_a_bad_framework_file_is_refused_with_located_problems(
        tmp_path: Path, name: str, old: str, new: str, needle: str, column: int,
        message: str) -> None:
    path = _copy_with(tmp_path, name, old, new)
    with pytest.raises(ProblemsError) as exc:
        load_framework(path=path)
    shown = [str(p) for p in exc.value.problems]
    assert f"{path}:{_line_of(path, needle)}:{column}: error: {message}" in \
        [s[:len(f"{path}:{_line_of(path, needle)}:{column}: error: {message}")]
         for s in shown], shown


def test_every_problem_in_a_framework_file_is_reported_at_once(tmp_path: Path) -> None:
    path = _copy_with(tmp_path, "cqc-2026", "accountable: [cqc26.wl.leadership, "
                      "cqc26.wl.governance]", "accountable: [cqc26.wl.leader]\nextra: 1")
    with pytest.raises(ProblemsError) as exc:
        load_framework(path=path)
    messages = [p.message for p in exc.value.problems]
    assert any("unknown key 'extra'" in m for m in messages)
    assert any("unknown section 'cqc26.wl.leader'" in m for m in messages)


def test_an_unknown_version_is_refused_in_config_and_on_the_command_line(
        tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[reports]\nwell_led_framework = "cqc-2025"\n', encoding="utf-8")
    with pytest.raises(ProblemsError) as exc:
        load_settings(cfg)
    assert "reports.well_led_framework: unknown well-led framework 'cqc-2025'" in str(exc.value)
    cli_base._state.clear()
    r = CliRunner().invoke(cli_base.app, ["report", "well-led", "--org", "SYN01",
                                          "--framework", "nhse"])
    cli_base._state.clear()
    assert r.exit_code == 2, r.output
    assert "--framework: error: unknown well-led framework 'nhse'" in r.stderr


# ----------------------------------------------------------------------------- documents

@pytest.fixture(scope="module")
def contexts(demo_store: tuple[Engine, Settings]) -> dict[str, WellLedContext]:
    engine, settings = demo_store
    board = board_context(engine, settings, org_code="SYN01", as_of=AS_OF)
    return {name: well_led_context(engine, settings, org_code="SYN01", as_of=AS_OF,
                                   board=board, framework=name) for name in VERSIONS}


@pytest.fixture(scope="module")
def documents(contexts: dict[str, WellLedContext], demo_store: tuple[Engine, Settings],
              tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[list[str], str]]:
    _, settings = demo_store
    out = tmp_path_factory.mktemp("frameworks")
    docs = {}
    for name, ctx in contexts.items():
        d = docx.Document(str(write_well_led_docx(ctx, settings, out / f"{name}.docx")))
        heads = [p.text for p in d.paragraphs
                 if p.style is not None and p.style.name.startswith("Heading ")]
        text = "\n".join([p.text for p in d.paragraphs]
                         + [c.text for t in d.tables for r in t.rows for c in r.cells])
        docs[name] = (heads, text)
    return docs


def test_the_document_has_one_section_per_section_of_its_version(
        documents: dict[str, tuple[list[str], str]]) -> None:
    for name, (heads, _) in documents.items():
        fw = load_framework(name)
        for s in fw.sections:
            assert f"{s.number}. {s.name}" in heads, (name, s.name)
    saf, kloe, nhse = (documents[n][0] for n in VERSIONS)
    assert "Summary of suggested scores" in saf and "Suggested score" in saf
    assert "Summary of the evidence" in kloe and "What the evidence shows" in kloe
    assert "Suggested score" not in kloe and "Suggested position" not in kloe
    assert "Summary of suggested positions" in nhse and "Suggested position" in nhse
    assert len({tuple(h) for h, _ in documents.values()}) == 3


def test_a_version_without_percentages_prints_none(
        contexts: dict[str, WellLedContext], documents: dict[str, tuple[list[str], str]]
        ) -> None:
    saf = contexts["cqc-saf-2024"]
    assert saf.key_question_percent is not None
    assert f"({saf.key_question_percent:g}%)" in documents["cqc-saf-2024"][1]
    for name in ("cqc-2026", "nhse-people-culture"):
        ctx = contexts[name]
        assert ctx.key_question_percent is None
        assert PERCENT_IN_BRACKETS.search(ctx.key_question_label) is None
        assert PERCENT_IN_BRACKETS.search(documents[name][1]) is None, name
        assert not any("percentage is the sum" in step for step in ctx.scoring_method)
    assert all(s.score is None for s in contexts["cqc-2026"].statements)
    assert contexts["cqc-2026"].key_question_label.split(" \u2013 ")[0] in (
        "Inadequate", "Requires improvement", "Good", "Outstanding")
    assert any(s.score is not None for s in contexts["nhse-people-culture"].statements)


def test_the_evidence_is_the_same_whatever_the_version_only_filed_differently(
        contexts: dict[str, WellLedContext]) -> None:
    def rules(ctx: WellLedContext) -> set[str]:
        return {i.rule_id for s in ctx.statements for i in s.items}

    saf, kloe, nhse = (contexts[n] for n in VERSIONS)
    assert rules(saf) == rules(kloe)  # every 2024 statement maps somewhere in 2026
    assert rules(nhse) <= rules(saf)
    equality = next(s for s in kloe.statements if s.id == "cqc26.wl.culture")
    wres2 = next(i for i in equality.items if i.rule_id == "wres.2.adverse")
    assert wres2.status == "breach"


# ----------------------------------------------------------------------------- the pack

@pytest.mark.parametrize("name", ["cqc-saf-2024", "cqc-2026"])
def test_the_pack_records_the_version_it_used_and_verifies(
        demo_store: tuple[Engine, Settings], tmp_path: Path, name: str) -> None:
    engine, settings = demo_store
    path = build_pack(engine, _with_framework(settings, name), org_code="SYN01", as_of=AS_OF,
                      out_path=tmp_path / f"{name}.zip", actor="test")
    assert verify_pack(path) == []
    with zipfile.ZipFile(path) as z:
        manifest = json.loads(z.read("manifest.json"))
        readme = z.read("README.txt").decode("utf-8")
        assert manifest["well_led_framework"]["id"] == name
        inside = manifest["well_led_framework"]["file"]
        assert z.read(inside) == (FRAMEWORKS_DIR / f"{name}.yaml").read_bytes()
        assert inside in {f["path"] for f in manifest["files"]}  # signed with the rest
        heads = [p.text for p in docx.Document(z.open("documents/well-led-evidence.docx"))
                 .paragraphs if p.style is not None and p.style.name == "Heading 1"]
    assert f"({name})" in readme
    first = load_framework(name).sections[0]
    assert f"{first.number}. {first.name}" in heads


def test_a_version_copied_alone_is_checked_against_the_shipped_base(tmp_path: Path) -> None:
    alone = tmp_path / "cqc-2026.yaml"
    alone.write_text((FRAMEWORKS_DIR / "cqc-2026.yaml").read_text(encoding="utf-8")
                     .replace("  well-led.6:", "  well-led.60:"), encoding="utf-8")
    with pytest.raises(ProblemsError) as exc:
        load_framework(path=alone)
    assert [p.message for p in exc.value.problems] == [
        "'well-led.60': not a cqc-saf-2024 statement (did you mean 'well-led.6'?); expected "
        "one of well-led.1, well-led.2, well-led.3, well-led.4, well-led.5, well-led.6, "
        "well-led.7, well-led.8"]
