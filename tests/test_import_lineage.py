"""A file supersedes only figures of its own lineage (assurance.lineage): the gov.uk gender pay
gap download and a trust's own pay extract both stay current for the same organisation,
period and metric, told apart by the published breakdown; each keeps its history, restores
and idempotence within its lineage.

Real imports through ``run_import`` on the real fixtures (the synthetic pay extract moved to
the download's year, so both cover Z9T01 for ``wres:2024``).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from assurance.ingest import ImportResult, run_import, store_counts
from assurance.lineage import GOV_UK_GPG, LINEAGES, OWN, is_published, lineage_of
from assurance.problems import ProblemsError
from conftest import AT
from connectors import SOURCES
from connectors.gpg_csv import GenderPayGapCsv
from connectors.pay_csv import PayCsv
from helpers import METRIC_HEADER, all_rows, current_rows, import_metrics, register_orgs, write_csv

FIXTURES = Path(__file__).parent / "fixtures"
GPG = FIXTURES / "gpg_2024_to_2025.csv"
MAPPING = FIXTURES / "gpg_mapping.csv"
ORG = "Z9T01"
MEAN = "paygap.gender.mean_hourly"


def _published_mean() -> float:
    """Z9T01's mean hourly gap as the download publishes it (EmployerId 10001)."""
    with GPG.open(newline="", encoding="utf-8-sig") as fh:
        return next(float(r["DiffMeanHourlyPercent"]) for r in csv.DictReader(fh)
                    if r["EmployerId"] == "10001")


PUBLISHED_MEAN = _published_mean()


def _pay_2024(tmp_path: Path) -> Path:
    """The synthetic pay extract with its snapshot moved to the download's year."""
    path = tmp_path / "pay_2024.csv"
    path.write_bytes((FIXTURES / "pay_extract.csv").read_bytes()
                     .replace(b"2025-03-31", b"2024-03-31"))
    return path


def _gpg(engine: Engine, path: Path = GPG) -> ImportResult:
    return run_import(engine, GenderPayGapCsv(MAPPING), path, actor="test", at=AT)


def _pay(engine: Engine, path: Path) -> ImportResult:
    return run_import(engine, PayCsv(), path, actor="test", at=AT)


def _current(engine: Engine) -> dict[tuple[str, str, str, str, str], tuple[float | None, int]]:
    return {(r.org_code, r.period_key, r.metric, r.group, r.breakdown): (r.value, r.import_id)
            for r in current_rows(engine)}


@pytest.fixture
def orgs(engine: Engine, tmp_path: Path) -> None:
    register_orgs(engine, tmp_path, ORG, "Z9T02")


@pytest.mark.usefixtures("orgs")
@pytest.mark.parametrize("pay_first", [True, False], ids=["pay-then-gpg", "gpg-then-pay"])
def test_the_published_gap_and_the_trusts_own_both_stay_current(
        engine: Engine, tmp_path: Path, pay_first: bool) -> None:
    pay_path = _pay_2024(tmp_path)
    first, second = ((_pay(engine, pay_path), _gpg(engine)) if pay_first
                     else (_gpg(engine), _pay(engine, pay_path)))
    assert first.status == second.status == "imported"
    assert first.superseded == second.superseded == 0
    pay_id, gpg_id = ((first, second) if pay_first else (second, first))[0].import_id, (
        (second if pay_first else first).import_id)
    now = _current(engine)
    own = now[(ORG, "wres:2024", MEAN, "women", "")]
    published = now[(ORG, "wres:2024", MEAN, "women", GOV_UK_GPG.breakdown or "")]
    assert own[1] == pay_id and published[1] == gpg_id
    assert published[0] == PUBLISHED_MEAN and own[0] != published[0]  # the fixture's published figure
    # Every figure of both files is current; the trust's divisions are still there.
    assert not [r for r in all_rows(engine) if not r.current]
    assert any(k[4].startswith("division:") for k in now if k[0] == ORG and k[2] == MEAN)
    # The published ones are exactly the download's, all marked as published.
    assert {is_published(k[4]) for k, (_, imp) in now.items() if imp == gpg_id} == {True}
    assert {is_published(k[4]) for k, (_, imp) in now.items() if imp == pay_id} == {False}


@pytest.mark.usefixtures("orgs")
def test_a_corrected_download_supersedes_only_the_earlier_download_with_history(
        engine: Engine, tmp_path: Path) -> None:
    pay = _pay(engine, _pay_2024(tmp_path))
    gpg = _gpg(engine)
    own_before = {k: v for k, v in _current(engine).items() if v[1] == pay.import_id}
    changed = tmp_path / "gpg corrected.csv"
    changed.write_bytes(GPG.read_bytes().replace(
        f'"{PUBLISHED_MEAN}"'.encode(), b'"11.9"', 1))
    again = _gpg(engine, changed)
    assert again.status == "imported" and again.superseded > 0
    now = _current(engine)
    assert now[(ORG, "wres:2024", MEAN, "women", GOV_UK_GPG.breakdown or "")][0] == 11.9
    assert {k: v for k, v in now.items() if v[1] == pay.import_id} == own_before
    superseded = [r for r in all_rows(engine) if not r.current]
    assert superseded and {r.import_id for r in superseded} == {gpg.import_id}
    assert {r.superseded_by for r in superseded} == {again.import_id}
    # The first download again: its figures current once more, the pay extract untouched.
    restored = _gpg(engine)
    assert restored.status == "restored"
    now = _current(engine)
    assert now[(ORG, "wres:2024", MEAN, "women", GOV_UK_GPG.breakdown or "")][0] == PUBLISHED_MEAN
    assert {k: v for k, v in now.items() if v[1] == pay.import_id} == own_before
    counts = store_counts(engine)
    assert _gpg(engine).status == "unchanged" and store_counts(engine) == counts
    assert _pay(engine, _pay_2024(tmp_path)).status == "unchanged"
    assert store_counts(engine) == counts


@pytest.mark.usefixtures("orgs")
def test_an_own_file_supersedes_the_trusts_computation_but_not_the_published_figure(
        engine: Engine, tmp_path: Path) -> None:
    _pay(engine, _pay_2024(tmp_path))
    gpg = _gpg(engine)
    path = write_csv(tmp_path / "metrics.csv", METRIC_HEADER,
                     [(ORG, "wres:2024", MEAN, "women", "", "", "", "9.5", "")])
    corrected = import_metrics(engine, path)
    assert corrected.superseded > 0
    mine = {k: v for k, v in _current(engine).items() if k[0] == ORG and k[2] == MEAN}
    assert mine[(ORG, "wres:2024", MEAN, "women", "")] == (9.5, corrected.import_id)
    assert mine[(ORG, "wres:2024", MEAN, "women", GOV_UK_GPG.breakdown or "")] == (
        PUBLISHED_MEAN, gpg.import_id)


@pytest.mark.usefixtures("orgs")
def test_a_published_breakdown_from_another_source_is_refused_and_nothing_stored(
        engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "metrics.csv", METRIC_HEADER,
                     [(ORG, "wres:2024", "wres.2", "white", "", "10", "100", "", ""),
                      (ORG, "wres:2024", MEAN, "women", "published:gov.uk", "", "", "9.5", "")])
    before = store_counts(engine)
    with pytest.raises(ProblemsError) as exc:
        import_metrics(engine, path)
    [problem] = exc.value.problems
    assert (problem.line, problem.column) == (3, "breakdown")
    assert "reserved for figures copied from a publication" in problem.message
    assert store_counts(engine) == before


def test_only_the_gov_uk_download_is_published_and_new_sources_are_the_trusts_own() -> None:
    assert {name for name in SOURCES if lineage_of(name).published} == {"gpg_csv"}
    assert {name for name, lin in LINEAGES.items() if lin.published} == {"gpg_csv"}
    assert lineage_of("a new importer") == OWN
