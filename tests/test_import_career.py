"""The career-stage extracts (recruitment, formal cases, development, appraisal) are aggregated
in DuckDB and stored as counts that an independent reading of the same file gives; a bad row
refuses the file, located, without quoting anything from it; the shipped rules find the
synthetic funnel's gap at shortlisting."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text as sql
from sqlalchemy.engine import Engine
from sqlmodel import Session

from assurance.config import load_settings
from assurance.engine.evaluate import evaluate
from assurance.ingest import run_import, store_counts
from assurance.problems import ProblemsError
from assurance.rulepacks import load_rules
from assurance.synthetic_career import write_career_extracts
from conftest import AT, ROOT
from connectors import SOURCES
from helpers import current_rows, register_orgs

ORGS = ["SYN01", "SYN03"]
DIVISIONS = ["Medicine", "Surgery", "Women and Children", "Clinical Support"]
FILES = ("recruitment_csv", "cases_csv", "development_csv", "appraisal_csv")


# ------------------------------------------------------------------ an independent reading
def ethnic(code: str) -> str:
    c = code.strip().upper()
    if c in ("", "Z", "99"):
        return "unknown"
    if c[0] in "ABC":
        return "white"
    assert c[0] in "DEFGHJKLMNPRS", code
    return "bme"


def disabled(text: str) -> str:
    return {"yes": "disabled", "y": "disabled", "no": "non_disabled", "n": "non_disabled"}.get(
        text.strip().lower(), "unknown")


def division(text: str) -> str | None:
    t = text.strip().lower().removeprefix("division:")
    return re.sub("[^a-z0-9]+", "_", t).strip("_") or None


def band(text: str) -> str | None:
    t = " ".join(text.strip().lower().split())
    if not t:
        return None
    if t == "consultant":
        return "medical:consultant"
    m = re.fullmatch(r"(?:band\s*)?([1-9]|8[a-d])", t)
    assert m, text
    return f"band:{m.group(1)}"


def year(text: str) -> int:
    t = text.strip()
    return int(t[:4]) + (1 if re.fullmatch(r"\d{4}[-/]\d{2}", t) else 0)


def word(text: str) -> str:
    return re.sub(r"[\s_-]+", "_", text.strip().lower())


STAGE = {"applied": 1, "shortlisted": 2, "interviewed": 3, "offered": 4, "appointed": 5}


def recruitment(row: dict[str, str]) -> dict[str, tuple[bool, bool]]:
    s = STAGE[word(row["furthest_stage"])]
    return {"career.shortlisting": (s >= 2, True), "career.interview": (s >= 3, s >= 2),
            "career.offer": (s >= 4, s >= 3), "career.appointment": (s >= 5, s >= 4),
            "career.appointed_from_shortlisting": (s >= 5, s >= 2)}


def cases(row: dict[str, str]) -> dict[str, tuple[bool, bool]]:
    kind = word(row["case_type"])
    return {f"career.{k}": (kind == k, kind == "staff")
            for k in ("disciplinary", "capability", "grievance", "bullying_harassment")}


def development(row: dict[str, str]) -> dict[str, tuple[bool, bool]]:
    yes = {k: row[k].strip().lower() in ("yes", "y", "true", "1")
           for k in ("training", "acting_up", "secondment", "talent_pool") if k in row}
    out = {f"career.{k}": (v, True) for k, v in yes.items()}
    out["career.stretch"] = (any(v for k, v in yes.items() if k != "training"), True)
    return out


def appraisal(row: dict[str, str]) -> dict[str, tuple[bool, bool]]:
    rating = row.get("rating", "").strip().lower()
    return {"career.appraisal": (word(row["appraisal"]) == "completed", True),
            "career.appraisal_low_rating": (rating == "low", rating != "")}


READERS: dict[str, Callable[[dict[str, str]], dict[str, tuple[bool, bool]]]] = {
    "recruitment_csv": recruitment, "cases_csv": cases, "development_csv": development,
    "appraisal_csv": appraisal}
GROUPS = {"race": ("white", "bme", "unknown"),
          "disability": ("disabled", "non_disabled", "unknown")}


def expected(path: Path, source: str) -> dict[tuple[str, ...], tuple[int, int]]:
    """(org, period, metric, group, breakdown) → (numerator, denominator), by reading the file
    with the csv module and the documented rules, every group in every scope present."""
    counts: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0, 0])
    scopes: set[tuple[str, str, str, str]] = set()
    with path.open(newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            period = f"wres:{year(row['year_end'])}"
            where = [""]
            b, d = band(row.get("band", "")), division(row.get("division", ""))
            where += [b] if b else []
            where += [f"division:{d}"] if d else []
            groups = {"race": ethnic(row["ethnic_category"]),
                      "disability": disabled(row["disability"])}
            for metric, (num, den) in READERS[source](row).items():
                org = row["org_code"].strip().upper()
                for char, group in groups.items():
                    for scope in where:
                        counts[(org, period, f"{metric}.{char}", group, scope)][0] += num
                        counts[(org, period, f"{metric}.{char}", group, scope)][1] += den
                        scopes.add((org, period, f"{metric}.{char}", scope))
    out: dict[tuple[str, ...], tuple[int, int]] = {}
    for org, period, metric, scope in scopes:
        for g in GROUPS[metric.rsplit(".", 1)[1]]:
            got = counts.get((org, period, metric, g, scope), [0, 0])
            out[(org, period, metric, g, scope)] = (got[0], got[1])
    return out


def stored(engine: Engine) -> dict[tuple[str, ...], tuple[int, int]]:
    return {(r.org_code, r.period_key, r.metric, r.group, r.breakdown):
            (r.numerator or 0, r.denominator or 0) for r in current_rows(engine)}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("career")
    paths = write_career_extracts(out, ORGS, [2024, 2025], seed=3, divisions=DIVISIONS)
    return dict(zip(FILES, paths, strict=True))


# ------------------------------------------------------------------ round trips
@pytest.mark.parametrize("source", FILES)
def test_each_importer_stores_the_counts_an_independent_reading_of_the_file_gives(
        sqlite_engine: Engine, tmp_path: Path, synthetic: dict[str, Path], source: str) -> None:
    register_orgs(sqlite_engine, tmp_path, *ORGS)
    result = run_import(sqlite_engine, SOURCES[source], synthetic[source], actor="t", at=AT)
    want = expected(synthetic[source], source)
    if source == "appraisal_csv":
        assert any(k[2].startswith("career.appraisal_low_rating") for k in want)
    assert result.observations == len(want)
    assert stored(sqlite_engine) == want
    breakdowns = {k[4] for k in want}
    assert {"", "division:surgery", "division:women_and_children", "band:5"} <= breakdowns


MESSY_COMMON = ["org_code", "year_end", "ethnic_category", "disability", "division", "band"]
MESSY_ROWS = [
    ["SYT01", "2025-03-31", "A", "No", "Surgery", "Band 5"],
    ["syt01 ", " 2024/25", "c2", "Y", " Women & Children ", "8C"],
    ["SYT01", "2024-25", "H", "not declared", "", ""],
    ["SYT01", "2025-03-31", "z", "", "division:Surgery", "5"],
    ["SYT01", "2024/25", "S1", "yes", "Medicine", "Consultant"],
    ["SYT01", "2023/24", "99", "No", "Medicine", "band 6"],
]
MESSY_OWN = {
    "recruitment_csv": (["furthest_stage"], [["Appointed"], [" shortlisted "], ["OFFERED"],
                                             ["applied"], ["interviewed"], ["Appointed"]]),
    "cases_csv": (["case_type"], [["staff"], ["staff"], ["Staff"], ["staff"], ["staff"],
                                  ["staff"]]),
    "development_csv": (["training", "talent_pool"], [["Yes", "n"], ["no", "Y"], ["TRUE", "0"],
                                                      ["1", "false"], ["n", "no"],
                                                      ["y", "yes"]]),
    "appraisal_csv": (["appraisal", "rating"], [["Completed", "High"], ["not completed", ""],
                                                ["NOT_COMPLETED", ""], ["completed", "low"],
                                                ["completed", "Medium"], ["completed", "LOW"]]),
}


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def refused(engine: Engine, source: str, path: Path) -> str:
    """The problems refusing ``path``, which must have stored nothing."""
    before = store_counts(engine)["observations"]
    with pytest.raises(ProblemsError) as exc:
        run_import(engine, SOURCES[source], path, actor="t", at=AT)
    assert store_counts(engine)["observations"] == before
    return str(exc.value)


def table_of(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def messy(tmp_path: Path, source: str, extra: list[list[str]] | None = None) -> Path:
    own, cells = MESSY_OWN[source]
    rows = [[*c, *o] for c, o in zip(MESSY_ROWS, cells, strict=True)]
    if source == "cases_csv":
        rows += [[*MESSY_ROWS[0], "Disciplinary"], [*MESSY_ROWS[4], "bullying-harassment"],
                 [*MESSY_ROWS[1], "capability "]]
    return _write(tmp_path / f"{source}.csv", ["person", *MESSY_COMMON, *own],
                  [[f"Person {i}", *r] for i, r in enumerate([*rows, *(extra or [])])])


@pytest.mark.parametrize("source", FILES)
def test_every_documented_form_of_a_cell_is_read_as_the_documentation_says(
        sqlite_engine: Engine, tmp_path: Path, source: str) -> None:
    register_orgs(sqlite_engine, tmp_path, "SYT01")
    path = messy(tmp_path, source)
    want = expected(path, source)
    run_import(sqlite_engine, SOURCES[source], path, actor="t", at=AT)
    assert stored(sqlite_engine) == want
    assert {k[1] for k in want} == {"wres:2024", "wres:2025"}


def test_a_stage_reached_counts_at_every_stage_before_it(tmp_path: Path,
                                                         sqlite_engine: Engine) -> None:
    register_orgs(sqlite_engine, tmp_path, "SYT01")
    rows = [["SYT01", "2024/25", code, "No", "", "", stage] for code, stage in (
        ("A", "appointed"), ("A", "applied"), ("A", "interviewed"), ("D", "offered"),
        ("D", "shortlisted"))]
    path = _write(tmp_path / "r.csv", [*MESSY_COMMON, "furthest_stage"], rows)
    run_import(sqlite_engine, SOURCES["recruitment_csv"], path, actor="t", at=AT)
    got = {(r.metric, r.group): (r.numerator, r.denominator) for r in current_rows(sqlite_engine)
           if r.breakdown == "" and r.metric.endswith(".race")}
    assert got[("career.shortlisting.race", "white")] == (2, 3)
    assert got[("career.interview.race", "white")] == (2, 2)
    assert got[("career.offer.race", "white")] == (1, 2)
    assert got[("career.appointment.race", "white")] == (1, 1)
    assert got[("career.appointed_from_shortlisting.race", "white")] == (1, 2)
    assert got[("career.shortlisting.race", "bme")] == (2, 2)
    assert got[("career.offer.race", "bme")] == (1, 1)
    assert got[("career.appointment.race", "bme")] == (0, 1)


# ------------------------------------------------------------------ extract-specific rules
def test_more_case_rows_than_staff_rows_are_refused(sqlite_engine: Engine,
                                                    tmp_path: Path) -> None:
    register_orgs(sqlite_engine, tmp_path, "SYT01")
    rows = [["SYT01", "2024/25", "D", "No", "Surgery", "", kind]
            for kind in ("staff", "disciplinary", "disciplinary")]
    path = _write(tmp_path / "c.csv", [*MESSY_COMMON, "case_type"], rows)
    assert refused(sqlite_engine, "cases_csv", path).splitlines() == [
        f"{path}: error: found more disciplinary case rows than staff rows for the {group} "
        "group of SYT01 in 2025 (in 2 of the trust, band and division breakdowns); expected "
        "one staff row for every member of staff, beside their case rows"
        for group in ("non_disabled", "bme")]


def test_a_development_file_stores_only_the_opportunities_it_has(sqlite_engine: Engine,
                                                                 tmp_path: Path) -> None:
    register_orgs(sqlite_engine, tmp_path, "SYT01")
    path = _write(tmp_path / "d.csv", [*MESSY_COMMON, "secondment"],
                  [["SYT01", "2024/25", "A", "No", "", "", "yes"]])
    run_import(sqlite_engine, SOURCES["development_csv"], path, actor="t", at=AT)
    assert {r.metric for r in current_rows(sqlite_engine)} == {
        "career.secondment.race", "career.secondment.disability", "career.stretch.race",
        "career.stretch.disability"}
    none = _write(tmp_path / "none.csv", MESSY_COMMON, [["SYT01", "2024/25", "A", "No", "", ""]])
    assert refused(sqlite_engine, "development_csv", none).startswith(
        f"{none}:1: error: no opportunity column; expected at least one of training, "
        "acting_up, secondment, talent_pool")


def test_an_appraisal_file_without_ratings_stores_no_rating_figure(sqlite_engine: Engine,
                                                                   tmp_path: Path) -> None:
    register_orgs(sqlite_engine, tmp_path, "SYT01")
    path = _write(tmp_path / "a.csv", [*MESSY_COMMON, "appraisal"],
                  [["SYT01", "2024/25", "A", "No", "", "", "completed"]])
    run_import(sqlite_engine, SOURCES["appraisal_csv"], path, actor="t", at=AT)
    assert {r.metric for r in current_rows(sqlite_engine)} == {
        "career.appraisal.race", "career.appraisal.disability"}


# ------------------------------------------------------------------ bad input
SECRET = "Okonkwo"
OWN_COLUMN = {"recruitment_csv": "furthest_stage", "cases_csv": "case_type",
              "development_csv": "training", "appraisal_csv": "appraisal"}


def _bad(tmp_path: Path, source: str, row: int, column: str, value: str) -> Path:
    """The messy file of ``source`` with one cell of data row ``row`` (1-based) replaced."""
    path = messy(tmp_path, source)
    with path.open(newline="", encoding="utf-8") as fh:
        table = list(csv.reader(fh))
    table[row][table[0].index(column)] = value
    return _write(path, table[0], table[1:])


BAD_CELLS = [
    ("own", f"{SECRET}s", "found a 8-character text; expected "),
    ("ethnic_category", "T9", "found a value with no WRES group"),
    ("year_end", "2025-04-30", "found a date that is not 31 March"),
    ("year_end", "2024/26", "found a financial year whose second year does not follow"),
    ("year_end", "31/03/2025", "found a 10-character text; expected the year end"),
    ("year_end", "2025-02-30", "found an impossible date"),
    ("org_code", "", "blank; expected"),
    ("org_code", "NOPE1", "found an organisation code of 5 characters that is not "
     "registered"),
    ("disability", SECRET, "found a 7-character text; expected yes, no or not declared"),
    ("band", "Band 12", "found a 7-character text; expected a pay band"),
    ("division", f"Sur\x07gery {SECRET}", "found a text with a control character (U+0007) at "
     "character 4"),
    ("division", "Surgery " * 8, "found a division name of 63 letters, digits and "
     "separators; expected at most 55"),
]


@pytest.mark.parametrize("source", FILES)
@pytest.mark.parametrize(("column", "value", "message"), BAD_CELLS,
                         ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(BAD_CELLS)])
def test_a_bad_cell_refuses_the_file_naming_row_and_column_and_never_its_value(
        sqlite_engine: Engine, tmp_path: Path, source: str, column: str, value: str,
        message: str) -> None:
    register_orgs(sqlite_engine, tmp_path, "SYT01")
    name = OWN_COLUMN[source] if column == "own" else column
    path = _bad(tmp_path, source, 3, name, value)
    text = refused(sqlite_engine, source, path)
    assert text.startswith(f"{path}:4:{name}: error: {message}"), text
    assert len(text.splitlines()) == 1
    assert SECRET not in text and "Person" not in text and "gery" not in text


MISSING = {"development_csv": ("training", "talent_pool")}
"""The development file needs one opportunity column: removing both is its missing column."""


@pytest.mark.parametrize("source", FILES)
@pytest.mark.parametrize("column", ["year_end", "ethnic_category", "own"])
def test_a_missing_column_is_named_and_nothing_stored(sqlite_engine: Engine, tmp_path: Path,
                                                      source: str, column: str) -> None:
    register_orgs(sqlite_engine, tmp_path, "SYT01")
    gone = MISSING.get(source, (OWN_COLUMN[source],)) if column == "own" else (column,)
    path = messy(tmp_path, source)
    table = table_of(path)
    keep = [i for i, h in enumerate(table[0]) if h not in gone]
    path = _write(path, [table[0][i] for i in keep], [[r[i] for i in keep] for r in table[1:]])
    text = refused(sqlite_engine, source, path)
    if source == "development_csv" and column == "own":
        assert text.startswith(f"{path}:1: error: no opportunity column; expected at least "
                               "one of training, acting_up, secondment, talent_pool"), text
    else:
        assert text.startswith(f"{path}:1: error: missing column '{gone[0]}'"), text


@pytest.mark.parametrize("source", FILES)
def test_a_duplicate_header_column_is_refused(sqlite_engine: Engine, tmp_path: Path,
                                              source: str) -> None:
    register_orgs(sqlite_engine, tmp_path, "SYT01")
    path = messy(tmp_path, source)
    table = table_of(path)
    at = table[0].index("division")
    path = _write(path, [*table[0], "division"], [[*r, r[at]] for r in table[1:]])
    assert refused(sqlite_engine, source, path) == (
        f"{path}:1:{len(table[0]) + 1}: error: duplicate column 'division' (columns {at + 1} "
        f"and {len(table[0]) + 1}); expected each column once")


@pytest.mark.parametrize("source", FILES)
@pytest.mark.parametrize("kind", ["latin1", "binary", "utf16"])
def test_files_that_are_not_utf8_text_are_refused(sqlite_engine: Engine, tmp_path: Path,
                                                  source: str, kind: str) -> None:
    register_orgs(sqlite_engine, tmp_path, "SYT01")
    good = messy(tmp_path, source).read_bytes()
    path = tmp_path / "bad.csv"
    if kind == "latin1":
        path.write_bytes(good.replace(b"Medicine", "Médicine".encode("latin-1"), 1))
    elif kind == "binary":
        path.write_bytes(good[:200] + b"\x00\x01\x02" + good[200:])
    else:
        path.write_bytes(good.decode("utf-8").encode("utf-16"))
    text = refused(sqlite_engine, source, path)
    assert text.startswith(f"{path}:"), text
    assert "Person" not in text and "dicine" not in text
    if kind == "latin1":
        line = good[:good.index(b"Medicine")].count(b"\n") + 1
        assert text.startswith(f"{path}:{line}:"), text


@pytest.mark.parametrize("source", FILES)
def test_nothing_from_the_file_reaches_the_store(sqlite_engine: Engine, tmp_path: Path,
                                                 source: str) -> None:
    register_orgs(sqlite_engine, tmp_path, "SYT01")
    path = messy(tmp_path, source)
    run_import(sqlite_engine, SOURCES[source], path, actor="t", at=AT)
    with sqlite_engine.connect() as conn:
        dump = " ".join(str(v) for table in ("observation", "import_batch", "audit_event")
                        for row in conn.execute(sql(f"SELECT * FROM {table}")) for v in row)
    assert "Person" not in dump and "Women & Children" not in dump
    assert "division:women_children" in dump  # the breakdown, as esr_csv writes it


# ------------------------------------------------------------------ rules on the synthetic files
def test_the_funnel_rule_finds_the_synthetic_gap_at_shortlisting(
        sqlite_engine: Engine, tmp_path: Path, synthetic: dict[str, Path]) -> None:
    register_orgs(sqlite_engine, tmp_path, *ORGS)
    for source in FILES:
        run_import(sqlite_engine, SOURCES[source], synthetic[source], actor="t", at=AT)
    settings = load_settings(None)
    packs = [p for p in load_rules(settings) if p.name == "career"]
    with Session(sqlite_engine) as s:
        outcomes = evaluate(s, packs, date(2025, 6, 1), settings.statistics)
    status = {(o.org.code, o.rule.id): o for o in outcomes}
    funnel = status[("SYN01", "career.funnel.race")]
    assert funnel.status == "breach"
    assert funnel.summary.startswith("The gap opens at shortlisting: ")
    assert status[("SYN01", "career.shortlisting.race.adverse")].status == "breach"
    for later in ("interview", "offer", "appointment"):
        assert status[("SYN01", f"career.{later}.race.adverse")].status in ("ok", "outside")
    assert status[("SYN03", "career.funnel.race")].status != "breach"
    assert status[("SYN03", "career.shortlisting.race.adverse")].status != "breach"


def test_the_synthetic_surgery_division_is_clearly_failing(
        sqlite_engine: Engine, tmp_path: Path, synthetic: dict[str, Path]) -> None:
    register_orgs(sqlite_engine, tmp_path, *ORGS)
    run_import(sqlite_engine, SOURCES["recruitment_csv"], synthetic["recruitment_csv"],
               actor="t", at=AT)
    rate = {}
    for r in current_rows(sqlite_engine, "career.shortlisting.race"):
        if r.org_code == "SYN01" and r.period_key == "wres:2025" and r.denominator:
            rate[(r.breakdown, r.group)] = (r.numerator or 0) / r.denominator
    surgery = rate[("division:surgery", "white")] / rate[("division:surgery", "bme")]
    medicine = rate[("division:medicine", "white")] / rate[("division:medicine", "bme")]
    assert surgery > 2.0 and surgery > medicine + 0.5


def test_the_shipped_examples_are_what_the_generator_writes(tmp_path: Path) -> None:
    """The module docstring says how to regenerate them; this holds it to that."""
    paths = write_career_extracts(tmp_path, ["SYN01", "SYN03"], [2025], seed=14,
                                  divisions=["Medicine", "Surgery", "Women and Children",
                                             "Clinical Support"])
    for path in paths:
        assert (ROOT / "connectors" / "examples" / path.name).read_bytes() == path.read_bytes()


# ------------------------------------------------------------------ detection and the CLI
@pytest.mark.parametrize("source", FILES)
def test_each_career_extract_is_recognised_by_its_columns(source: str) -> None:
    from connectors.detect import detect_source

    name = {"recruitment_csv": "recruitment", "cases_csv": "cases",
            "development_csv": "development", "appraisal_csv": "appraisal"}[source]
    assert detect_source(ROOT / "connectors" / "examples" / f"career-{name}.csv") == source


def test_the_cli_imports_an_example_and_refuses_a_bad_row_with_exit_2(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "s.db"}"\n')
    orgs = tmp_path / "orgs.csv"
    orgs.write_text("code,name,type,region,ics,benchmark_group,synthetic\n" + "".join(
        f"{c},Synthetic {c},acute,London,Synthetic ICS,Acute,yes\n" for c in ORGS))

    def cli(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "assurance.cli", "--config", str(cfg),
                               "import", str(path)], cwd=tmp_path, capture_output=True,
                              text=True, env=dict(os.environ), timeout=600)

    assert cli(orgs).returncode == 0
    example = ROOT / "connectors" / "examples" / "career-recruitment.csv"
    good = cli(example)
    assert good.returncode == 0, good.stderr
    rows = len(example.read_text(encoding="utf-8").splitlines()) - 1
    figures = len(expected(example, "recruitment_csv"))
    assert f"imported {figures:,} figures from {rows:,} rows" in " ".join(good.stdout.split())
    bad = _write(tmp_path / "bad.csv", ["application_id", *MESSY_COMMON, "furthest_stage"],
                 [["A1", "SYN01", "2024/25", "A", "No", "", "", "hired"]])
    proc = cli(bad)
    assert proc.returncode == 2
    assert f"{bad}:2:furthest_stage: error: found a 5-character text" in proc.stderr
    assert "hired" not in proc.stderr
