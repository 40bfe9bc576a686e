"""``assurance spc`` end to end: the real command on real CSV files.

Most tests drive the real Typer app in process with ``--method`` given (so no config is read);
the tests about the configured default and about clean failures run the installed module
as a subprocess, as a user would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assurance.cli import app

# HAND (tests/test_spc.py) plus a 13th point on its mean: mean 12, mean moving range 16/12,
# limits 12 ± 2.66 × 4/3 = 8.4533 to 15.5467.
HAND13 = [10, 12, 11, 13, 12, 14, 13, 12, 11, 13, 12, 11, 12]
LPL, UPL = 12 - 2.66 * 4 / 3, 12 + 2.66 * 4 / 3


def months(n: int) -> list[str]:
    return [f"{2023 + i // 12}-{i % 12 + 1:02d}" for i in range(n)]


def write_series(path: Path, values: Sequence[float], header: str = "period,value") -> Path:
    rows = [f"{p},{v}" for p, v in zip(months(len(values)), values, strict=True)]
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["spc", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ASSURANCE_CONFIG"}
    return subprocess.run([sys.executable, "-m", "assurance.cli", "spc", *args], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=300)


def test_table_lists_every_point_with_its_lines_rules_and_reading(tmp_path: Path) -> None:
    # After the 13 baseline points, six at 16: above the frozen upper limit and a shift of
    # six above the mean under mdc; the shift decides the reading (improvement).
    csv = write_series(tmp_path / "s.csv", [*HAND13, *[16] * 6])
    code, out, _ = cli(str(csv), "--method", "mdc", "--baseline", "13", "--target", "17")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["period", "value", "mean", "lpl", "upl", "rules", "variation"]
    assert lines[1].split() == ["2023-01", "10", "12", "8.4533", "15.5467", "-", "common_cause"]
    assert lines[14].split() == ["2024-02", "16", "12", "8.4533", "15.5467",
                                 "astronomical,shift", "improvement"]
    assert "Variation: Special cause variation: improvement." in out
    assert ("Assurance: The target will consistently be missed unless the process changes."
            in out)
    assert "the last 6 points are all above the mean (run rule)" in out
    assert "Method: Making Data Count (mdc); run length 6" in out


def test_json_has_exactly_the_documented_shape(tmp_path: Path) -> None:
    csv = write_series(tmp_path / "s.csv", [*HAND13, *[16] * 6])
    code, out, _ = cli(str(csv), "--method", "mdc", "--baseline", "13", "--target", "17",
                       "--json")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) == {"points", "variation", "assurance"}
    assert (doc["variation"], doc["assurance"]) == ("improvement", "consistent_fail")
    assert len(doc["points"]) == 19
    first, last = doc["points"][0], doc["points"][-1]
    assert set(first) == {"period", "value", "mean", "lpl", "upl", "rules", "variation"}
    assert (first["period"], first["value"], first["rules"], first["variation"]) == (
        "2023-01", 10.0, [], "common_cause")
    assert (first["mean"], first["lpl"], first["upl"]) == (
        pytest.approx(12), pytest.approx(LPL), pytest.approx(UPL))
    assert (last["rules"], last["variation"]) == (["astronomical", "shift"], "improvement")


def test_rebase_recalculates_the_limits_from_that_period(tmp_path: Path) -> None:
    # HAND13 then HAND13 + 20 from the 14th month (2024-02): the second part has its own
    # mean 32 and the same spread.
    csv = write_series(tmp_path / "s.csv", [*HAND13, *[v + 20 for v in HAND13]])
    code, out, _ = cli(str(csv), "--method", "mdc", "--rebase", "2024-02", "--json")
    assert code == 0
    points = json.loads(out)["points"]
    assert [p["mean"] for p in points[:13]] == pytest.approx([12] * 13)
    assert points[13]["period"] == "2024-02"
    assert (points[13]["mean"], points[13]["upl"]) == (pytest.approx(32), pytest.approx(UPL + 20))
    assert all(p["rules"] == [] for p in points)
    # Without the rebase the jump is one process: every second-part point is special cause.
    code, out, _ = cli(str(csv), "--method", "mdc", "--json")
    assert {p["variation"] for p in json.loads(out)["points"][13:]} == {"improvement"}


def test_baseline_fixes_the_limits_on_the_first_points(tmp_path: Path) -> None:
    csv = write_series(tmp_path / "s.csv", [*HAND13, *[16] * 6])
    frozen = json.loads(cli(str(csv), "--method", "nhsr", "--baseline", "13", "--json")[1])
    assert [p["upl"] for p in frozen["points"]] == pytest.approx([UPL] * 19)
    moving = json.loads(cli(str(csv), "--method", "nhsr", "--json")[1])
    assert moving["points"][0]["mean"] == pytest.approx((156 + 96) / 19)


def test_twelve_points_show_the_mean_and_say_why_there_are_no_limits(tmp_path: Path) -> None:
    csv = write_series(tmp_path / "s.csv", HAND13[:12])
    code, out, _ = cli(str(csv), "--method", "mdc")
    assert code == 0
    assert out.splitlines()[1].split() == ["2023-01", "10", "12", "-", "-", "-", "common_cause"]
    assert "at least 13 are needed to calculate process limits. The mean is 12.0." in out


def test_svg_and_png_charts_are_written(tmp_path: Path) -> None:
    csv = write_series(tmp_path / "s.csv", [*HAND13, *[16] * 6])
    svg, png = tmp_path / "chart.svg", tmp_path / "chart.png"
    code, _, _ = cli(str(csv), "--method", "mdc", "--svg", str(svg), "--png", str(png))
    assert code == 0
    root = ET.fromstring(svg.read_bytes())
    assert root.tag.endswith("svg")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = tmp_path / "again.svg"
    cli(str(csv), "--method", "mdc", "--svg", str(again))
    assert again.read_bytes() == svg.read_bytes()  # no date or random ids in the SVG


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("2024-01,5\n2024-02,6\n", ":1: error: no recognised header row"),
        ("period,value\n2024-01,5\n2024-02,five\n", ":3:value: error: found 'five'; expected "
         "a number"),
        ("period,value\n2024-01,5\n2024-02,6\n2024-01,7\n", ":4:period: error: duplicate "
         "period '2024-01' (first on line 2); expected each period once"),
        ("", ": error: file is empty; expected a header row"),
        ("period,value\n", ":2: error: no data rows"),
        ("period,amount\n2024-01,5\n", ":1: error: missing column(s) value"),
    ],
    ids=["no-header", "not-a-number", "duplicate-period", "empty", "header-only",
         "missing-column"],
)
def test_a_bad_csv_exits_2_with_a_located_message(tmp_path: Path, content: str,
                                                  expected: str) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(content, encoding="utf-8")
    code, out, err = cli(str(bad), "--method", "mdc")
    assert code == 2
    assert f"{bad}{expected}" in err
    assert "no chart was drawn" in err and out == ""


def test_bad_options_are_all_reported_at_once(tmp_path: Path) -> None:
    csv = write_series(tmp_path / "s.csv", HAND13)
    code, _, err = cli(str(csv), "--method", "excel", "--improvement", "sideways",
                       "--rebase", "2099-01", "--baseline", "99")
    assert code == 2
    assert "--method: error: found 'excel'; expected mdc or nhsr" in err
    assert "--improvement: error: found 'sideways'; expected up, down or neither" in err
    assert "--rebase: error: found '2099-01'" in err and "expected a period in" in err
    assert "--baseline: error: found 99; expected at most the 13 points" in err


def test_the_method_defaults_to_the_config_else_mdc(tmp_path: Path) -> None:
    write_series(tmp_path / "s.csv", HAND13)
    plain = run(["s.csv"], cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert "Method: Making Data Count (mdc)" in plain.stdout
    (tmp_path / "config.toml").write_text('[statistics]\nspc_method = "nhsr"\n')
    configured = run(["s.csv"], cwd=tmp_path)
    assert configured.returncode == 0, configured.stderr
    assert "Method: NHSRplotthedots (nhsr)" in configured.stdout


def test_a_bad_file_in_a_real_process_prints_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_bytes(b"period,value\n2024-01,\xff\xfe\n")
    proc = run(["bad.csv", "--method", "mdc"], cwd=tmp_path)
    assert proc.returncode == 2
    assert "bad.csv:2" in proc.stderr and "Traceback" not in proc.stderr
