"""``assurance figures`` end to end: the real command on a real store, disclosure applied.

The store is built through the command line too (``orgs import``, ``import``), from the
synthetic pay extract and the gov.uk download fixture.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from assurance.config import parse_settings
from assurance.figures_export import list_figures
from helpers import METRIC_HEADER, ORG_HEADER, import_metrics, register_orgs, write_csv

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


@pytest.mark.parametrize("args,expected", [
    (["--org", "Z9T0I"], "--org: error: unknown organisation 'Z9T0I' (did you mean 'Z9T01'?)"),
    (["--period", "wres:20x4"], "--period: error: found 'wres:20x4'; expected"),
    (["--metric", "paygp"], "--metric: error: no catalogue metric is 'paygp' or starts with "
                            "'paygp.'"),
])
def test_a_filter_no_figure_could_match_is_refused_not_answered_with_none(
        store: Path, args: list[str], expected: str) -> None:
    # These printed "0 figures." and exit 0: a typo read as "no figures stored".
    proc = run(["figures", *args, "--json"], store)
    assert proc.returncode == 2 and expected in proc.stderr, proc.stderr
    assert proc.stdout == ""


# ------------------------------------------------------- random stores through the export

@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_stores_never_show_the_network_a_small_count_or_a_rate_built_on_one(
        engine: Engine, tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    orgs = [f"Z9R{i:02d}" for i in range(12)]
    register_orgs(engine, tmp_path, *orgs)
    rows: list[tuple[object, ...]] = []
    for org in orgs:
        parts = [rng.choice([0, 1, 3, 7, 8, 12, 40, 300]) for _ in range(3)]
        total = sum(parts) or 1
        for g, n in zip(("white", "bme", "unknown"), parts, strict=True):
            rows.append((org, "wres:2025", "wres.1", g, "band:5", n, total, "", ""))
        for g in ("white", "bme"):
            d = rng.choice([5, 9, 20, 120])
            n = rng.randint(0, d)
            rows.append((org, "wres:2025", "wres.2", g, "", n, d, "", ""))
        rows.append((org, "survey:2024", "wres.5", "bme", "", "", rng.choice([4, 30]),
                     rng.uniform(5, 60), ""))
    import_metrics(engine, write_csv(tmp_path / "random.csv", METRIC_HEADER, rows))
    settings = parse_settings({}, base_dir=tmp_path, where="<test>", env={})
    exact = {(r.org, r.metric, r.group): r
             for r in list_figures(engine, settings, audience="board")}
    shown = list_figures(engine, settings)
    small = {str(n) for n in range(1, 8)}
    tables_with_small: set[tuple[str, str]] = set()
    for e in exact.values():
        for n in (e.numerator, e.denominator,
                  None if e.numerator is None or e.denominator is None
                  else e.denominator - e.numerator):
            if n is not None and 1 <= n <= 7:
                tables_with_small.add((e.org, e.metric))
    assert tables_with_small
    assert any(r.value is not None for r in shown)  # safe figures are still shown
    for r in shown:
        assert r.numerator is None and r.denominator is None
        assert r.numerator_text not in small and r.denominator_text not in small
        if (r.org, r.metric) in tables_with_small and r.metric == "wres.1":
            assert r.value is None  # one small group hides every rate of its table
        e = exact[(r.org, r.metric, r.group)]
        if e.numerator is not None and e.denominator is not None and (
                1 <= e.numerator <= 7 or 1 <= e.denominator - e.numerator <= 7):
            assert r.value is None
        if r.metric == "wres.5" and e.denominator is not None and e.denominator <= 7:
            assert r.value is None
