"""The demo shows what it is built to show: one test per designed situation.

The demo set embeds situations in six synthetic trusts (assurance/synthetic.py and
README "What the demo shows"). Each test finds its situation in what the demo leaves behind:
the board report (python-docx), the signed evidence pack (its findings, finding events and
SPC figures) and the messages the console channels delivered. So the demo cannot silently
stop showing one.

The tests assert stable facts: which finding exists with which status and level, which
rule (by id, title or metric label) sits in which Alert / Advise / Assure section, which
channel a rule's message went to. Never whole sentences: the report's wording is free to
change. Tests on the demo build are marked ``slow`` by conftest (one build per run).

The Alert / Advise / Assure classification of issue 11 is checked too: Alert holds every
open finding at board or regulator level,
every breach past its due date or without an owner after 10 working days, every new
significant breach and every special-cause concern; a figure outside the range but not
significant reads "Outside range, not significant".
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.table import Table
from docx.text.paragraph import Paragraph

from assurance import api
from assurance import spc as xmr
from assurance.catalogue import load_catalogue
from assurance.config import load_settings
from assurance.synthetic import DEMO_PROFILES, write_demo_set
from conftest import DemoBuild

CATALOGUE = load_catalogue()
MONTHLY = "recruit.bme_appointed_share"
SECTIONS = ("Alert", "Advise", "Assure")

# The two ways of reading an SPC chart a board may be trained on (domain.md §7).
NHSR = xmr.SpcSettings(improvement="increase", run_length=7, screen_outliers=True)
MDC = xmr.SpcSettings(improvement="increase", run_length=6, screen_outliers=False)
RULES = {r.id: r for pack in api.load_rules(load_settings(None)) for r in pack.rules}


def label(metric: str) -> str:
    """The short label the report gives a metric (``WRES 2``, or the title)."""
    return CATALOGUE[metric].label


def rule(rule_id: str, *, by_label: bool = False) -> tuple[str, ...]:
    """How a report may name one rule: its id, its title, or its metric's label when no other
    rule shares it (WDES 10 has two rules; ``by_label`` accepts the label anyway, for a
    situation where every rule on the metric belongs in the same section)."""
    r = RULES[rule_id]
    shared = sum(other.metric == r.metric for other in RULES.values()) > 1
    return (rule_id, r.title) + ((label(r.metric),) if by_label or not shared else ())


def _names(line: str, names: tuple[str, ...]) -> bool:
    """Whether the line names any of ``names`` as a whole phrase, in any case (a list may
    lower-case a title; ``WDES 1`` is not named by ``WDES 10``)."""
    return any(re.search(rf"(?<![\w.]){re.escape(n)}(?![\w])", line, re.IGNORECASE)
               for n in names)


# ----------------------------------------------------------------------------- reading outputs


def _blocks(document: Any) -> Iterator[Paragraph | Table]:
    """The body's paragraphs and tables in document order."""
    for element in document.element.body.iterchildren():
        if element.tag.endswith("}p"):
            yield Paragraph(element, document)
        elif element.tag.endswith("}tbl"):
            yield Table(element, document)


def _heading_level(p: Paragraph) -> int | None:
    name = p.style.name if p.style is not None else ""
    if name == "Title":
        return 0
    if name.startswith("Heading "):
        return int(name.split()[1])
    return None


def _table_text(t: Table) -> list[str]:
    return [" | ".join(c.text for c in row.cells) for row in t.rows]


@dataclass
class Report:
    """A board report: the text under each heading, and its table rows."""

    path: Path
    under: dict[str, list[str]] = field(default_factory=dict)
    rows: list[list[str]] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path) -> Report:
        report = cls(path)
        open_headings: list[tuple[int, str]] = []
        for block in _blocks(docx.Document(str(path))):
            if isinstance(block, Table):
                report.rows.extend([c.text for c in row.cells] for row in block.rows)
                lines = _table_text(block)
            else:
                level = _heading_level(block)
                if level is not None:
                    open_headings = [(lv, h) for lv, h in open_headings if lv < level]
                    open_headings.append((level, block.text.strip()))
                    report.under.setdefault(block.text.strip(), [])
                    continue
                lines = [block.text] if block.text.strip() else []
            for _, heading in open_headings:
                report.under[heading].extend(lines)
        return report

    def section(self, name: str) -> list[str]:
        """Everything under the headings that start with ``name`` (Alert, Advise or Assure:
        the summary's section and any other, such as an executive summary's "Alert
        items")."""
        found = [line for heading, lines in self.under.items() if heading.startswith(name)
                 for line in lines]
        assert any(h.startswith(name) for h in self.under), (
            f"{self.path.name}: no '{name}' section; headings: {list(self.under)}")
        return found

    def sections_naming(self, names: tuple[str, ...]) -> set[str]:
        """Which of Alert, Advise and Assure name any of ``names``."""
        return {s for s in SECTIONS if any(_names(line, names) for line in self.section(s))}

    def cells(self, first_cell: str) -> set[str]:
        """The first line of every cell in the table rows whose first cell is
        ``first_cell`` (up to a line break): ``WRES 3`` but not ``WRES 3 (…)``. A status
        reads e.g. ``Breach``, a figure ``1.89``, wherever the columns are."""
        found = {cell.split("\n", 1)[0].strip() for cells in self.rows
                 if cells[0].split("\n", 1)[0].strip() == first_cell for cell in cells[1:]}
        assert found, f"{self.path.name}: no table row for {first_cell!r}"
        return found


@dataclass
class Pack:
    """An evidence pack's findings, finding events and SPC figures."""

    path: Path

    def _csv(self, name: str) -> list[dict[str, str]]:
        with zipfile.ZipFile(self.path) as z:
            return list(csv.DictReader(io.StringIO(z.read(name).decode("utf-8"))))

    @cached_property
    def findings(self) -> list[dict[str, str]]:
        return self._csv("findings/findings.csv")

    @cached_property
    def events(self) -> list[dict[str, str]]:
        return self._csv("findings/finding-events.csv")

    @cached_property
    def spc(self) -> list[dict[str, str]]:
        return self._csv("figures/spc.csv")

    def finding(self, rule_id: str) -> dict[str, str]:
        rows = [f for f in self.findings if f["rule_id"] == rule_id]
        assert len(rows) == 1, f"{self.path.name}: {len(rows)} findings for {rule_id}"
        return rows[0]

    def history(self, rule_id: str) -> list[tuple[str, str]]:
        """(as_of, kind) of every event on the rule's finding, oldest first."""
        return sorted((e["as_of"], e["kind"]) for e in self.events if e["rule_id"] == rule_id)

    def latest_variation(self, metric: str) -> str:
        rows = sorted((r for r in self.spc if r["metric"] == metric), key=lambda r: r["period"])
        assert rows, f"{self.path.name}: no SPC figures for {metric}"
        return rows[-1]["variation"]


@dataclass
class Demo:
    """The demo's folder, each document read once."""

    folder: Path
    _reports: dict[str, Report] = field(default_factory=dict)
    _packs: dict[str, Pack] = field(default_factory=dict)

    def _one(self, pattern: str) -> Path:
        found = sorted((self.folder / "reports").glob(pattern))
        assert len(found) == 1, f"expected one {pattern} in {self.folder / 'reports'}: {found}"
        return found[0]

    def board(self, org: str) -> Report:
        if org not in self._reports:
            self._reports[org] = Report.read(self._one(f"{org}-*-board.docx"))
        return self._reports[org]

    def pack(self, org: str) -> Pack:
        if org not in self._packs:
            self._packs[org] = Pack(self._one(f"{org}-*-pack.zip"))
        return self._packs[org]

    def messages(self, channel: str, org: str, rule_id: str) -> list[dict[str, Any]]:
        """What the demo delivered on a console channel for one organisation and rule: each
        message, and each line of a digest (the networks take daily digests)."""
        path = self.folder / f"notifications-{channel}.jsonl"
        out = []
        for m in map(json.loads, path.read_text(encoding="utf-8").splitlines()):
            if m.get("sections"):
                out += [{**e, "organisation_code": sec["organisation_code"]}
                        for sec in m["sections"] for e in sec["entries"]]
            else:
                out.append(m)
        return [m for m in out if m["organisation_code"] == org and m["rule_id"] == rule_id]


@pytest.fixture(scope="module")
def demo(demo_build: DemoBuild) -> Demo:
    return Demo(demo_build.folder)


def _open_breach(finding: dict[str, str]) -> bool:
    return finding["open"] == "true" and finding["status"] == "breach"


# ----------------------------------------------------------------------------- SYN01 Northmoor


def test_northmoor_wres2_is_a_significant_breach_for_years_escalated_to_the_regulator(
        demo: Demo) -> None:
    finding = demo.pack("SYN01").finding("wres.2.adverse")
    assert _open_breach(finding)
    assert finding["level"] == "regulator"
    assert int(finding["consecutive_periods"]) >= 4
    assert "Breach" in demo.board("SYN01").cells(label("wres.2"))
    escalations = [m for m in demo.messages("race-network", "SYN01", "wres.2.adverse")
                   if m["event"] == "escalated"]
    assert escalations and escalations[-1]["level"] == "regulator"
    assert demo.messages("board", "SYN01", "wres.2.adverse"), "board committee not told"


def test_northmoor_wres2_is_found_flatlining(demo: Demo) -> None:
    finding = demo.pack("SYN01").finding("wres.2.flatline")
    assert _open_breach(finding)
    assert int(finding["consecutive_periods"]) >= 3


def test_northmoor_wres2_at_regulator_level_is_an_alert(demo: Demo) -> None:
    assert "Alert" in demo.board("SYN01").sections_naming(rule("wres.2.adverse", by_label=True))


def test_northmoor_monthly_fall_in_bme_appointments_is_found_as_special_cause_concern(
        demo: Demo) -> None:
    pack = demo.pack("SYN01")
    finding = pack.finding("wres.appointments.spc-concern")
    assert _open_breach(finding)
    assert pack.latest_variation(MONTHLY) == "special_cause_concern"
    opened = [m for m in demo.messages("race-network", "SYN01", "wres.appointments.spc-concern")
              if m["event"] == "opened"]
    assert len(opened) == 1
    monthly = demo.board("SYN01").under[label(MONTHLY)]
    assert any("concern" in line.lower() for line in monthly)


def test_northmoor_monthly_fall_is_an_alert(demo: Demo) -> None:
    assert "Alert" in demo.board("SYN01").sections_naming(rule("wres.appointments.spc-concern"))


def test_northmoor_wres3_outside_the_range_reads_not_significant(demo: Demo) -> None:
    report = demo.board("SYN01")
    cells = report.cells(label("wres.3"))
    assert "Outside range, not significant" in cells
    assert "1.89" in cells
    assert "Assure" not in report.sections_naming(rule("wres.3.adverse"))


@pytest.mark.parametrize("method", [NHSR, MDC], ids=["nhsrplotthedots", "mdc"])
def test_only_northmoors_designed_fall_is_special_cause_concern(
        method: xmr.SpcSettings, tmp_path: Path) -> None:
    """The demo set's own monthly series, without building the demo: Northmoor's fall is a
    signal whichever way the board reads SPC (NHSRplotthedots: run 7, moving ranges
    screened; Making Data Count tools: run 6, none screened), and no other trust's latest
    month is special cause of concern."""
    _, metrics = write_demo_set(tmp_path)
    series: dict[str, list[float]] = {}
    with metrics.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["metric"] == MONTHLY:
                value = 100 * int(row["numerator"]) / int(row["denominator"])
                series.setdefault(row["org_code"], []).append(value)
    assert sorted(series) == sorted(p.code for p in DEMO_PROFILES)
    concern = {org for org, values in series.items()
               if xmr.analyse(values, method).variation == "special_cause_concern"}
    assert concern == {"SYN01"}


# ----------------------------------------------------------------------------- SYN02 Eastbrook


def test_eastbrook_has_no_disabled_voting_board_member(demo: Demo) -> None:
    finding = demo.pack("SYN02").finding("board.no-disabled-voting-member")
    assert _open_breach(finding)
    assert finding["level"] == "board_committee"
    assert "Breach" in demo.board("SYN02").cells(f"{label('wdes.10')} (voting board members)")
    assert demo.messages("disability-network", "SYN02", "board.no-disabled-voting-member")
    assert demo.messages("board", "SYN02", "board.no-disabled-voting-member")


def test_eastbrook_board_level_finding_is_an_alert(demo: Demo) -> None:
    assert "Alert" in demo.board("SYN02").sections_naming(rule("board.no-disabled-voting-member"))


def test_eastbrook_wdes10_gap_flaps_open_resolved_and_open_again(demo: Demo) -> None:
    kinds = [kind for _, kind in demo.pack("SYN02").history("board.wdes10-gap")]
    assert "resolved" in kinds
    first_resolved = kinds.index("resolved")
    assert kinds[0] == "opened"
    assert "reopened" in kinds[first_resolved:]
    sent = [m for m in demo.messages("disability-network", "SYN02", "board.wdes10-gap")
            if m["event"] in ("opened", "reopened")]
    assert len(sent) >= 2, "the network should hear each time the gap opens"


# ----------------------------------------------------------------------------- SYN03 Riverside


def test_riverside_improves_so_its_wres2_finding_is_resolved_and_assured(demo: Demo) -> None:
    finding = demo.pack("SYN03").finding("wres.2.adverse")
    assert finding["open"] == "false" and finding["resolved_on"]
    assert any(m["event"] == "resolved"
               for m in demo.messages("race-network", "SYN03", "wres.2.adverse"))
    report = demo.board("SYN03")
    assert report.sections_naming(rule("wres.2.adverse", by_label=True)) == {"Assure"}
    assert "Met" in report.cells(label("wres.2"))


def test_riverside_rising_bme_appointments_are_special_cause_improvement(demo: Demo) -> None:
    pack = demo.pack("SYN03")
    assert pack.latest_variation(MONTHLY) == "special_cause_improvement"
    assert not any(f["rule_id"] == "wres.appointments.spc-concern" and f["open"] == "true"
                   for f in pack.findings)


# ----------------------------------------------------------------------------- SYN04 Hillcrest


@pytest.mark.parametrize(("rule_id", "metric", "channel"), [
    ("dq.ethnicity-declaration", "wres.declaration", "race-network"),
    ("dq.disability-declaration", "wdes.declaration", "disability-network"),
])
def test_hillcrest_poor_declaration_on_esr_is_found(demo: Demo, rule_id: str, metric: str,
                                                   channel: str) -> None:
    assert _open_breach(demo.pack("SYN04").finding(rule_id))
    assert "Breach" in demo.board("SYN04").cells(label(metric))
    assert demo.messages(channel, "SYN04", rule_id)


@pytest.mark.parametrize("rule_id", ["dq.ethnicity-declaration", "dq.disability-declaration"])
def test_hillcrest_declaration_breach_without_an_owner_is_an_alert(demo: Demo,
                                                                   rule_id: str) -> None:
    assert "Alert" in demo.board("SYN04").sections_naming(rule(rule_id))


# ----------------------------------------------------------------------------- SYN05 Westvale


def test_westvale_missing_2023_return_is_flagged_then_resolved(demo: Demo) -> None:
    history = demo.pack("SYN05").history("dq.wres-return-missing")
    assert history[0] == ("2023-06-01", "opened")
    assert ("2024-06-01", "resolved") in history
    events = {m["event"] for m in demo.messages("executive", "SYN05", "dq.wres-return-missing")}
    assert {"opened", "resolved"} <= events


# ----------------------------------------------------------------------------- SYN06 Lakeside


def test_lakeside_is_the_good_news_case(demo: Demo) -> None:
    pack = demo.pack("SYN06")
    assert not [f["rule_id"] for f in pack.findings if f["open"] == "true"]
    report = demo.board("SYN06")
    named = tuple({m.label for m in CATALOGUE.metrics.values()} | {r.title for r in RULES.values()})
    assert not [line for line in report.section("Alert") if _names(line, named)]
    assert "Assure" in report.sections_naming(rule("wres.1.senior-trajectory", by_label=True))
    assert any(m["event"] == "resolved"
               for m in demo.messages("race-network", "SYN06", "wres.1.senior-trajectory"))
