"""``assurance figures`` end to end: the real command on a real store, disclosure applied.

The store is built through the command line too (``orgs import``, ``import``), from the
synthetic pay extract and the gov.uk download fixture.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers import ORG_HEADER, write_csv

FIXTURES = Path(__file__).parent / "fixtures"
PAY = FIXTURES / "pay_extract.csv"
GPG = FIXTURES / "gpg_2024_to_2025.csv"
ORG = "Z9T01"


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assurance.cli", "--config",
                           str(cwd / "config.toml"), *args], cwd=cwd, capture_output=True,
                          text=True, env={**os.environ, "ASSURANCE_ACTOR": "test"}, timeout=600)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("figures")
    (folder / "config.toml").write_text(
        f'[database]\nurl = "sqlite:///{folder / "assurance.db"}"\n')
    orgs = write_csv(folder / "orgs.csv", ORG_HEADER, [
        (ORG, "Synthetic Teaching Hospitals NHS Foundation Trust", "acute", "North East and "
         "Yorkshire", "Synthetic ICS", "Acute and Acute & Community Trusts", "yes")])
    for args in (["orgs", "import", str(orgs)], ["import", str(PAY)], ["import", str(GPG)]):
        proc = run(args, folder)
        assert proc.returncode == 0, proc.stderr
    return folder


def figures(store: Path, *args: str) -> list[dict[str, Any]]:
    proc = run(["figures", *args], store)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_figures_for_an_organisation_and_metric_prefix_are_listed_as_json(store: Path) -> None:
    got = figures(store, "--org", ORG, "--metric", "paygap", "--json")
    assert got and {r["org"] for r in got} == {ORG}
    assert all(r["metric"].startswith("paygap.") for r in got)
    assert {"metric", "period", "group", "value"} <= set(got[0])
    keyed = {(r["metric"], r["group"], r["breakdown"]): r for r in got}
    for scheme, comp in (("gender", "women"), ("ethnicity", "bme"), ("disability", "disabled")):
        for stat in ("mean_hourly", "median_hourly"):
            row = keyed[(f"paygap.{scheme}.{stat}", comp, "")]
            assert row["period"] == "wres:2025"
            assert isinstance(row["value"], float)  # built on enough people to be shown


def test_the_network_view_never_shows_a_small_count_or_what_is_built_on_one(
        store: Path) -> None:
    network = figures(store, "--org", ORG, "--metric", "paygap", "--json")
    board = {(r["metric"], r["group"], r["breakdown"]): r
             for r in figures(store, "--org", ORG, "--metric", "paygap", "--json",
                              "--audience", "board")}
    small = 0
    for r in network:
        assert r["numerator"] is None and r["denominator"] is None  # never exact counts
        assert r["numerator_text"] not in {str(n) for n in range(1, 8)}
        assert r["denominator_text"] not in {str(n) for n in range(1, 8)}
        exact = board[(r["metric"], r["group"], r["breakdown"])]
        if exact["numerator"] is not None and 1 <= exact["numerator"] <= 7:
            small += 1
            assert r["numerator_text"] == "*" and r["value"] is None and r["hidden"]
    assert small  # the fixture has small groups (a small division's disabled staff)


def test_a_division_filter_selects_its_figures(store: Path) -> None:
    got = figures(store, "--org", ORG, "--division", "Surgery & Theatres", "--metric",
                  "paygap.gender", "--json")
    assert got and {r["breakdown"] for r in got} == {"division:surgery_theatres"}


def test_every_published_gender_pay_gap_is_returned_exactly(store: Path) -> None:
    got = figures(store, "--metric", "paygap.gender", "--json", "--audience", "board")
    with GPG.open(newline="", encoding="utf-8-sig") as fh:
        published = list(csv.DictReader(fh))
    for column, metric in (("DiffMeanHourlyPercent", "paygap.gender.mean_hourly"),
                           ("DiffMedianHourlyPercent", "paygap.gender.median_hourly")):
        values = sorted(r["value"] for r in got if r["metric"] == metric
                        and r["period"] == "wres:2024")
        assert values == sorted(float(p[column]) for p in published)


def test_csv_is_spreadsheet_safe_with_numbers_as_numbers(store: Path) -> None:
    proc = run(["figures", "--metric", "paygap.gender.mean_hourly", "--csv", "--audience",
                "board"], store)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    negative = [r for r in rows if r["value"].startswith("-")]
    assert negative and all(float(r["value"]) < 0 for r in negative)  # not neutralised text
    assert not any(v.startswith(("=", "+", "@")) for r in rows for v in r.values())


def test_an_unknown_audience_is_refused_with_exit_2(store: Path) -> None:
    proc = run(["figures", "--audience", "everyone", "--json"], store)
    assert proc.returncode == 2
    assert "unknown audience 'everyone'" in proc.stderr
