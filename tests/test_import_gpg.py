"""The gov.uk gender pay gap download imports as published: every row, every figure exactly,
external employers kept as flagged peers and listed, nobody's name stored.

The fixtures are written in the service's published layout with each of its quirks: a UTF-8
byte-order mark, CRLF line ends, addresses and SIC codes quoted across lines, negative gaps,
blank bonus fields, mixed-case names, a late submission, an employer name starting like a
formula, and an older copy without EmployerId, PostCode, DueDate or DateSubmitted.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from assurance.ingest import run_import, store_counts
from assurance.models import Import, Organisation
from assurance.problems import ProblemsError
from conftest import AT
from connectors import SOURCES
from connectors.detect import detect_source
from connectors.gpg_csv import FIGURES, GenderPayGapCsv
from helpers import current_rows, register_orgs

FIXTURES = Path(__file__).parent / "fixtures"
CURRENT = FIXTURES / "gpg_2024_to_2025.csv"
OLDER = FIXTURES / "UK Gender Pay Gap Data - 2017 to 2018.csv"
MAPPING = FIXTURES / "gpg_mapping.csv"


def _published(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return [{k.lower(): v for k, v in row.items()} for row in csv.DictReader(fh)]


def _import(engine: Engine, tmp_path: Path, path: Path = CURRENT, mapping: Path | None = MAPPING):
    register_orgs(engine, tmp_path, "Z9T01", "Z9T02")
    return run_import(engine, GenderPayGapCsv(mapping), path, actor="test", at=AT)


def _stored(engine: Engine) -> dict[tuple[str, str, str, str], float | None]:
    return {(r.org_code, r.period_key, r.metric, r.group): r.value for r in current_rows(engine)}


def test_every_published_row_and_figure_imports_exactly_as_published(engine: Engine,
                                                                      tmp_path: Path) -> None:
    result = _import(engine, tmp_path)
    published = _published(CURRENT)
    assert result.rows_read == len(published) == 5
    stored = _stored(engine)
    codes = {"10001": "Z9T01", "20417": "Z9T02", "345678": "GPGX7EQ6", "98765": "GPG98765",
             "5123": "GPG5123"}
    expected = 0
    for row in published:
        org = codes[row["employerid"]]
        for column, (metric, group) in FIGURES.items():
            if row[column] == "":
                assert (org, "wres:2024", f"paygap.gender.{metric}", group) not in stored
                continue
            expected += 1
            # exactly the published decimal: 12.3 is stored as the float 12.3
            assert stored[(org, "wres:2024", f"paygap.gender.{metric}", group)] == float(
                row[column])
    assert result.observations == expected + len(published)  # + submitted_late per row


def test_negative_gaps_and_blank_bonus_fields(engine: Engine, tmp_path: Path) -> None:
    _import(engine, tmp_path)
    stored = _stored(engine)
    assert stored[("GPGX7EQ6", "wres:2024", "paygap.gender.mean_hourly", "women")] == -12.3
    assert stored[("GPGX7EQ6", "wres:2024", "paygap.gender.median_hourly", "women")] == -4.0
    assert stored[("GPG98765", "wres:2024", "paygap.gender.mean_bonus", "women")] == -250.5
    assert ("GPGX7EQ6", "wres:2024", "paygap.gender.mean_bonus", "women") not in stored
    assert stored[("Z9T01", "wres:2024", "paygap.gender.bonus_received", "men")] == 0.0


def test_a_late_submission_is_a_figure(engine: Engine, tmp_path: Path) -> None:
    _import(engine, tmp_path)
    stored = _stored(engine)
    assert stored[("GPG98765", "wres:2024", "paygap.gender.submitted_late", "all")] == 1.0
    assert stored[("Z9T01", "wres:2024", "paygap.gender.submitted_late", "all")] == 0.0


def test_unmatched_employers_are_external_peers_listed_in_the_import(engine: Engine,
                                                                      tmp_path: Path) -> None:
    _import(engine, tmp_path)
    with Session(engine) as s:
        external = {o.code: o for o in s.exec(select(Organisation).where(
            Organisation.org_type == "external")).all()}
        note = s.exec(select(Import.note).where(Import.source == "gpg_csv")).one()
    assert set(external) == {"GPGX7EQ6", "GPG98765", "GPG5123"}
    assert external["GPGX7EQ6"].name == "bloggs & co ltd"  # published case kept
    assert external["GPG5123"].name == "Home Care Ltd"  # never starts like a formula
    assert not any(o.synthetic for o in external.values())
    assert note is not None
    assert "2 matched to the register (Z9T01, Z9T02)" in note
    assert "3 kept as external peers" in note
    for code in external:
        assert code in note


def test_multi_line_addresses_and_the_responsible_person_are_never_stored(
        engine: Engine, tmp_path: Path) -> None:
    _import(engine, tmp_path)
    with engine.connect() as conn:
        dump = " ".join(str(v) for table in ("observation", "organisation", "import_batch",
                                             "audit_event")
                        for row in conn.execute(text(f"SELECT * FROM {table}")) for v in row)
    for row in _published(CURRENT):
        assert row["responsibleperson"].split(" (")[0] not in dump
        if row["address"]:
            assert row["address"] not in dump


def test_an_older_copy_without_employer_id_or_due_date_reads_its_year_from_its_name(
        engine: Engine, tmp_path: Path) -> None:
    result = _import(engine, tmp_path, OLDER, mapping=None)
    assert result.rows_read == 3
    stored = _stored(engine)
    periods = {k[1] for k in stored}
    assert periods == {"wres:2017"}
    gaps = sorted(v for k, v in stored.items() if k[2] == "paygap.gender.mean_hourly")
    assert gaps == sorted(float(r["diffmeanhourlypercent"]) for r in _published(OLDER))
    with Session(engine) as s:
        codes = s.exec(select(Organisation.code).where(
            Organisation.org_type == "external")).all()
    assert len(codes) == 3 and all(c.startswith("GPH") and len(c) == 8 for c in codes)


def test_reimport_is_idempotent(engine: Engine, tmp_path: Path) -> None:
    first = _import(engine, tmp_path)
    counts = store_counts(engine)
    again = run_import(engine, GenderPayGapCsv(MAPPING), CURRENT, actor="test", at=AT)
    assert (first.status, again.status) == ("imported", "unchanged")
    assert store_counts(engine) == counts
    copy = tmp_path / "renamed.csv"
    shutil.copyfile(CURRENT, copy)
    assert run_import(engine, GenderPayGapCsv(MAPPING), copy, actor="test",
                      at=AT).status == "unchanged"


def test_a_bad_cell_is_located_and_nothing_is_stored(engine: Engine, tmp_path: Path) -> None:
    register_orgs(engine, tmp_path, "Z9T01", "Z9T02")
    raw = CURRENT.read_bytes().replace(b'"-12.3"', b'"minus 12.3"')
    bad = tmp_path / "bad.csv"
    bad.write_bytes(raw)
    before = store_counts(engine)
    with pytest.raises(ProblemsError) as exc:
        run_import(engine, GenderPayGapCsv(MAPPING), bad, actor="test", at=AT)
    assert [(p.line, p.column) for p in exc.value.problems] == [(4, "diffmeanhourlypercent")]
    assert store_counts(engine) == before


def test_a_stray_quote_in_a_multi_line_address_refuses_the_file_at_its_line(
        engine: Engine, tmp_path: Path) -> None:
    # Read leniently, a quote opening a line inside a quoted address would close the field
    # early and fold the rest into it; the file is refused, at the physical line, instead.
    register_orgs(engine, tmp_path, "Z9T01", "Z9T02")
    lines = CURRENT.read_bytes().split(b"\n")
    assert lines[1].endswith(b'"Trust Headquarters,') and not lines[3].startswith(b'"')
    lines[3] = b'"' + lines[3]
    bad = tmp_path / "stray-quote.csv"
    bad.write_bytes(b"\n".join(lines))
    before = store_counts(engine)
    with pytest.raises(ProblemsError) as exc:
        run_import(engine, GenderPayGapCsv(MAPPING), bad, actor="test", at=AT)
    [problem] = exc.value.problems
    assert problem.line == 4 and "a quote that is never closed" in problem.message
    assert store_counts(engine) == before


def test_the_download_is_detected_and_registered() -> None:
    assert detect_source(CURRENT) == "gpg_csv"
    assert detect_source(OLDER) == "gpg_csv"
    assert "gpg_csv" in SOURCES and "pay_csv" in SOURCES


def test_a_mapping_to_an_unregistered_organisation_is_refused(engine: Engine,
                                                              tmp_path: Path) -> None:
    mapping = tmp_path / "map.csv"
    mapping.write_text("org_code,employer_id\nZ9T99,10001\n")
    register_orgs(engine, tmp_path, "Z9T01")
    with pytest.raises(ProblemsError) as exc:
        run_import(engine, GenderPayGapCsv(mapping), CURRENT, actor="test", at=AT)
    assert [(p.where, p.line, p.column) for p in exc.value.problems] == [
        (str(mapping), 2, "org_code")]
    with Session(engine) as s:
        assert not s.exec(select(Organisation).where(
            col(Organisation.org_type) == "external")).all()


def test_a_control_character_in_a_published_address_does_not_stop_the_row(
        engine: Engine, tmp_path: Path) -> None:
    register_orgs(engine, tmp_path, "Z9T01", "Z9T02")
    odd = tmp_path / "odd.csv"
    odd.write_bytes(CURRENT.read_bytes().replace(b"2 High Street, York",
                                                 b"2 High Street,\x0b York")
                    .replace(b'"bloggs & co ltd"', b'"bloggs &\x07 co ltd"'))
    result = run_import(engine, GenderPayGapCsv(MAPPING), odd, actor="test", at=AT)
    assert result.rows_read == 5
    with Session(engine) as s:
        name = s.get(Organisation, "GPGX7EQ6").name  # type: ignore[union-attr]
    assert name == "bloggs & co ltd"


def test_the_config_names_the_mapping_and_the_ethnicity_reference(engine: Engine,
                                                                  tmp_path: Path) -> None:
    from assurance import api
    from assurance.config import load_settings

    register_orgs(engine, tmp_path, "Z9T01", "Z9T02")
    shutil.copy(MAPPING, tmp_path / "map.csv")
    cfg = tmp_path / "config.toml"
    cfg.write_text('[paygap]\ngpg_mapping = "map.csv"\nethnicity_reference = "white_british"\n')
    settings = load_settings(cfg)
    assert settings.paygap.gpg_mapping == tmp_path / "map.csv"
    registry = api.sources(settings)
    assert registry["pay_csv"].reference == "white_british"  # type: ignore[attr-defined]
    api.import_file(engine, settings, CURRENT, actor="test", at=AT)
    with Session(engine) as s:
        matched = {o.code for o in s.exec(select(Organisation)) if o.code in ("Z9T01", "Z9T02")}
    assert matched == {"Z9T01", "Z9T02"}
    assert ("Z9T01", "paygap.gender.mean_hourly") in {(k[0], k[2]) for k in _stored(engine)}
    cfg.write_text('[paygap]\ngpg_mapping = "nowhere.csv"\nethnicity_reference = "whit"\n')
    with pytest.raises(ProblemsError) as e:
        load_settings(cfg)
    assert "paygap.gpg_mapping: mapping file not found" in str(e.value)
    assert "paygap.ethnicity_reference" in str(e.value) and "did you mean 'white'" in str(e.value)


def test_a_column_the_service_adds_later_is_not_read_but_a_typo_is_refused(
        engine: Engine, tmp_path: Path) -> None:
    with CURRENT.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    added = tmp_path / "gpg_added.csv"
    with added.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([[*row, "EmployerSector" if i == 0 else "Health"]
                                  for i, row in enumerate(table)])
    register_orgs(engine, tmp_path, "Z9T01", "Z9T02")
    result = run_import(engine, GenderPayGapCsv(MAPPING), added, actor="test", at=AT)
    assert result.observations > 0
    typo = tmp_path / "gpg_typo.csv"
    with typo.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([[c.replace("DiffMeanBonusPercent", "DiffMeanBonusPercnt")
                                   for c in table[0]], *table[1:]])
    with pytest.raises(ProblemsError, match="unknown column .*did you mean"):
        run_import(engine, GenderPayGapCsv(MAPPING), typo, actor="test", at=AT)
