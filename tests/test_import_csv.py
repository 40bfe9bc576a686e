"""Tidy metrics CSV: good path, idempotence, supersession with history, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from assurance import api
from assurance.ingest import store_counts
from assurance.problems import ProblemsError
from helpers import METRIC_HEADER, all_rows, current_rows, import_metrics, register_orgs, write_csv

GOOD = [
    ("SYT01", "wres:2024", "wres.2", "white", "", 300, 1000, "", ""),
    ("SYT01", "wres:2024", "wres.2", "bme", "", 150, 800, "", ""),
    ("SYT01", "wres:2024", "wres.2", "unknown", "", 4, 20, "", ""),
    ("SYT01", "survey:2023", "wres.7", "bme", "", "", 412, "44.5", ""),
    ("SYT01", "wres:2024", "wdes.9b", "all", "", "", "", "1", "Network chaired by the CEO"),
]


def test_good_csv_stores_every_figure_with_counts_and_provenance(engine: Engine,
                                                                 tmp_path: Path) -> None:
    register_orgs(engine, tmp_path, "SYT01")
    path = write_csv(tmp_path / "m.csv", METRIC_HEADER, GOOD)
    result = import_metrics(engine, path)
    assert result.status == "imported" and result.observations == 5
    rows = {(r.metric, r.group): r for r in current_rows(engine)}
    assert (rows[("wres.2", "white")].numerator, rows[("wres.2", "white")].denominator) == (300,
                                                                                           1000)
    assert rows[("wres.7", "bme")].value == 44.5 and rows[("wres.7", "bme")].denominator == 412
    assert rows[("wdes.9b", "all")].note == "Network chaired by the CEO"
    assert all(r.import_id == result.import_id for r in rows.values())
    assert api.verify_audit(engine).ok


def test_a_spreadsheet_export_with_capitalised_names_and_empty_end_columns_imports(
        sqlite_engine: Engine, tmp_path: Path) -> None:
    register_orgs(sqlite_engine, tmp_path, "SYT01")
    header = tuple(h.title() for h in METRIC_HEADER) + ("", "")
    rows = [(*row, "", "") for row in GOOD]
    result = import_metrics(sqlite_engine, write_csv(tmp_path / "x.csv", header, rows))
    assert result.status == "imported" and result.observations == 5
    with pytest.raises(ProblemsError, match=r"x2.csv:2: error: found 11 cells; expected 9"):
        bad = [(*GOOD[0], "stray", ""), *GOOD[1:]]
        import_metrics(sqlite_engine, write_csv(tmp_path / "x2.csv", METRIC_HEADER, bad))


def test_same_file_twice_stores_nothing_new(engine: Engine, tmp_path: Path) -> None:
    register_orgs(engine, tmp_path, "SYT01")
    path = write_csv(tmp_path / "m.csv", METRIC_HEADER, GOOD)
    first = import_metrics(engine, path)
    before = store_counts(engine)
    again = import_metrics(engine, path)
    assert again.status == "unchanged" and again.import_id == first.import_id
    assert store_counts(engine) == before


def test_corrected_file_supersedes_and_keeps_history(engine: Engine, tmp_path: Path) -> None:
    register_orgs(engine, tmp_path, "SYT01")
    first = import_metrics(engine, write_csv(tmp_path / "a.csv", METRIC_HEADER, GOOD))
    corrected = [GOOD[0][:5] + (310, 1000, "", ""), GOOD[1], GOOD[2]]
    second = import_metrics(engine, write_csv(tmp_path / "b.csv", METRIC_HEADER, corrected))
    assert second.superseded == 3  # the whole wres.2 scope for SYT01/wres:2024
    current = {(r.metric, r.group): r for r in current_rows(engine)}
    assert current[("wres.2", "white")].numerator == 310
    assert current[("wres.2", "white")].import_id == second.import_id
    assert current[("wres.7", "bme")].import_id == first.import_id  # other scopes untouched
    old = [r for r in all_rows(engine) if r.import_id == first.import_id and r.metric == "wres.2"]
    assert len(old) == 3 and all(not r.current and r.superseded_by == second.import_id
                                 for r in old)


BAD_CASES = {
    "unknown_org": ([("XXX99",) + GOOD[0][1:]], "2:org_code: error: unknown organisation code"),
    "negative": ([GOOD[0][:5] + (-3, 1000, "", "")], "2:numerator: error: negative count -3"),
    "num_gt_den": ([GOOD[0][:5] + (1200, 1000, "", "")],
                   "2:numerator: error: numerator 1200 is larger than denominator 1000"),
    "unknown_metric": ([("SYT01", "wres:2024", "wres.22") + GOOD[0][3:]],
                       "2:metric: error: unknown metric 'wres.22' (did you mean 'wres.2'?)"),
    "bad_period": ([("SYT01", "2024") + GOOD[0][2:]], "2:period: error: found '2024'; expected"),
    "wrong_period_kind": ([("SYT01", "survey:2024") + GOOD[0][2:]],
                          "2:period: error: wres.2 is reported per wres_year"),
    "not_a_number": ([GOOD[0][:5] + ("lots", 1000, "", "")],
                     "2:numerator: error: found 'lots'; expected a whole number"),
    "bad_group": ([GOOD[0][:3] + ("disabled",) + GOOD[0][4:]],
                  "2:group: error: wres.2 is about race"),
    "percent_out_of_range": ([("SYT01", "survey:2023", "wres.7", "bme", "", "", 10, "140", "")],
                             "2:value: error: percentage 140.0 outside 0-100"),
    "duplicate": ([GOOD[0], GOOD[0]], "3: error: duplicate figure"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_row_is_reported_with_row_and_column_and_nothing_is_stored(
        case: str, engine: Engine, tmp_path: Path) -> None:
    register_orgs(engine, tmp_path, "SYT01")
    rows, expected = BAD_CASES[case]
    path = write_csv(tmp_path / "bad.csv", METRIC_HEADER, [*GOOD[3:], *rows])
    # Put the bad rows first so their row numbers are predictable.
    path = write_csv(tmp_path / "bad.csv", METRIC_HEADER, [*rows, *GOOD[3:]])
    before = store_counts(engine)
    with pytest.raises(ProblemsError) as exc:
        import_metrics(engine, path)
    assert any(str(p).startswith(f"{path}:") and expected in str(p)
               for p in exc.value.problems), exc.value
    assert store_counts(engine) == before


def test_every_bad_row_is_reported_at_once(sqlite_engine: Engine, tmp_path: Path) -> None:
    register_orgs(sqlite_engine, tmp_path, "SYT01")
    rows = [BAD_CASES["negative"][0][0], BAD_CASES["unknown_metric"][0][0], GOOD[1]]
    with pytest.raises(ProblemsError) as exc:
        import_metrics(sqlite_engine, write_csv(tmp_path / "bad.csv", METRIC_HEADER, rows))
    assert [p.line for p in exc.value.problems] == [2, 3]


def test_wrong_headers_name_the_column_and_suggest_the_right_one(sqlite_engine: Engine,
                                                                 tmp_path: Path) -> None:
    path = write_csv(tmp_path / "h.csv", ("org_code", "period", "metric", "numerater"), [])
    with pytest.raises(ProblemsError) as exc:
        import_metrics(sqlite_engine, path)
    assert f"{path}:1:4: error: unknown column 'numerater' (did you mean 'numerator'?)" in str(
        exc.value)


@pytest.mark.parametrize("content,expected", [
    (b"", "file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV text file"),
    (b"org_code,period,metric\n", "no data rows found"),
    (b"org_code,period,metric\n\xff\xfe,x,y\n", "not UTF-8 text"),
])
def test_unreadable_files_get_a_clear_message(sqlite_engine: Engine, tmp_path: Path,
                                              content: bytes, expected: str) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(content)
    with pytest.raises(ProblemsError) as exc:
        import_metrics(sqlite_engine, path)
    assert expected in str(exc.value)
    assert store_counts(sqlite_engine)["imports"] == 0


def test_the_register_file_renames_but_a_blank_cell_or_no_never_clears(
        sqlite_engine: Engine, tmp_path: Path) -> None:
    # A trust renamed (or merged) was impossible to record: the register file was treated
    # like a survey file, filling gaps only, and said "imported" all the same.
    from sqlmodel import Session

    from assurance.ingest import run_import
    from assurance.models import AuditEvent, Organisation
    from conftest import AT
    from connectors import SOURCES
    from helpers import ORG_HEADER

    register_orgs(sqlite_engine, tmp_path, "SYT01")
    later = write_csv(tmp_path / "later.csv", ORG_HEADER,
                      [("SYT01", "Another name", "community", "", "", "", "no")])
    result = run_import(sqlite_engine, SOURCES["organisations_csv"], later, actor="t", at=AT)
    assert "(1 with details changed: SYT01)" in result.message
    with Session(sqlite_engine) as s:
        org = s.get(Organisation, "SYT01")
        event = s.exec(select(AuditEvent).where(AuditEvent.subject
                                                == f"import:{result.import_id}")).one()
    assert org is not None and (org.name, org.org_type) == ("Another name", "community")
    assert org.region == "London" and org.synthetic is True
    assert json.loads(event.details)["register_changes"][0]["name"][1] == "Another name"


def test_a_file_that_is_not_the_register_only_fills_its_gaps(sqlite_engine: Engine,
                                                             tmp_path: Path) -> None:
    from sqlmodel import Session

    from assurance.ingest import _register
    from assurance.models import Organisation

    register_orgs(sqlite_engine, tmp_path, "SYT01")
    with Session(sqlite_engine) as s:
        changed = _register(s, Organisation(code="SYT01", name="As a survey names it",
                                            org_type="acute", region=None, synthetic=False),
                            authoritative=False)
        org = s.get(Organisation, "SYT01")
        assert org is not None and org.name == "Synthetic Test Trust SYT01"
        assert org.synthetic is True and "name" not in changed


def test_the_configured_organisation_file_is_registered_when_the_store_opens(
        tmp_path: Path) -> None:
    from assurance.config import load_settings
    from helpers import ORG_HEADER

    write_csv(tmp_path / "orgs.csv", ORG_HEADER, [("SYT09", "Synthetic Nine", "acute", "London",
                                                   "x", "Acute", "yes")])
    (tmp_path / "config.toml").write_text('[database]\nurl = "sqlite:///s.db"\n'
                                          '[organisations]\nfile = "orgs.csv"\n')
    settings = load_settings(tmp_path / "config.toml")
    api.connect(settings).dispose()
    engine = api.connect(settings)  # the second time the unchanged file stores nothing
    assert store_counts(engine)["organisations"] == 1 and store_counts(engine)["imports"] == 1


@pytest.mark.parametrize("rows,expected", [
    ([("SYT01", "wres:2025", "wres.1", "bme", "band:8c", 3, 40, "", ""),
      ("SYT01", "wres:2025", "wres.1", "white", "band:8c", 30, 33, "", "")],
     "wres.1 band:8c for SYT01 wres:2025: groups give different totals [33, 40] (rows 2, 3)"),
    ([("SYT01", "wres:2025", "wres.1", "bme", "band:8c", 13, 40, "", ""),
      ("SYT01", "wres:2025", "wres.1", "white", "band:8c", 30, 40, "", "")],
     "groups add up to 43, more than the total 40"),
    ([("SYT01", "wres:2025", "wres.1", "bme", "band:8c", 3, 40, "", ""),
      ("SYT01", "wres:2025", "wres.1", "white", "band:8c", 30, 40, "", ""),
      ("SYT01", "wres:2025", "wres.1", "unknown", "band:8c", 2, 40, "", "")],
     "every group is given but they add up to 35, not the total 40"),
])
def test_shares_must_split_one_total(sqlite_engine: Engine, tmp_path: Path,
                                     rows: list[tuple[object, ...]], expected: str) -> None:
    register_orgs(sqlite_engine, tmp_path, "SYT01")
    with pytest.raises(ProblemsError) as exc:
        import_metrics(sqlite_engine, write_csv(tmp_path / "s.csv", METRIC_HEADER, rows))
    assert expected in str(exc.value)
    assert store_counts(sqlite_engine)["observations"] == 0


def _wres2(period: str, white: str, bme: str, *, metric: str = "wres.2", breakdown: str = "",
           groups: tuple[str, str] = ("white", "bme")) -> list[list[str]]:
    """SYT01's two WRES 2 rows for ``period``: ``white`` and ``bme`` appointed of 200 each."""
    return [["SYT01", period, metric, g, breakdown, n, "200", "", ""]
            for g, n in zip(groups, (white, bme), strict=True)]


def test_an_import_that_supersedes_figures_names_their_periods(sqlite_engine: Engine,
                                                               tmp_path: Path) -> None:
    # One stray row of another year replaces that year's figures: the message says which.
    register_orgs(sqlite_engine, tmp_path, "SYT01")
    import_metrics(sqlite_engine, write_csv(tmp_path / "a.csv", METRIC_HEADER,
                                            _wres2("wres:2024", "90", "10")))
    later = _wres2("wres:2025", "80", "20") + _wres2("wres:2024", "80", "20")
    result = import_metrics(sqlite_engine, write_csv(tmp_path / "b.csv", METRIC_HEADER, later))
    assert "superseding 2 earlier figures of 2024" in result.message, result.message


def test_identifiers_are_read_in_any_case_as_the_header_is(sqlite_engine: Engine,
                                                           tmp_path: Path) -> None:
    # "unknown group 'BME'" (with no suggestion): the catalogue's ids are lower case.
    register_orgs(sqlite_engine, tmp_path, "SYT01")
    rows = _wres2("wres:2024", "90", "10", metric="WRES.2", breakdown="Band:5",
                  groups=("White", "BME"))
    import_metrics(sqlite_engine, write_csv(tmp_path / "a.csv", METRIC_HEADER, rows))
    assert {(r.metric, r.group, r.breakdown) for r in current_rows(sqlite_engine)} == {
        ("wres.2", "white", "band:5"), ("wres.2", "bme", "band:5")}
