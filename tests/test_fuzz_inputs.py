"""Hypothesis-generated malformed inputs for every importer family, kept as tests (issue 13).

Each family starts from a valid file written at test time (a metrics CSV, an organisation
register, the gov.uk pay gap download, a WRES/WDES return and a Staff Survey workbook, a rule
pack, a config file, an ESR and a pay extract) and damages it the way careless and hostile
users do: a cell replaced with hostile text (huge or non-ASCII numbers, formulas, quotes,
control characters, NUL, carriage returns, a 200,000-character field), lines duplicated,
dropped, truncated or cut mid-line, bytes inserted, deleted or flipped, line ends mixed,
a byte-order mark or UTF-16 added; for workbooks, a cell set to a hostile value or the zip
itself damaged. The property, for every input:

* either a **clean located refusal**: a ``ProblemsError`` whose every problem names the file
  (or the config key path), with no traceback text and no Python exception name in it, and
  the store unchanged; where the damage is to one row of a tabular file, some problem has a
  line number;
* or a **correct import**: the file's figures are stored for registered organisations, and
  importing the same file again changes nothing (idempotent);
* never another exception, and never a hang (each input is given a few seconds).

Examples are bounded (derandomised, a fixed count per family) so the suite runs in well under
a minute on a quiet machine.
"""

from __future__ import annotations

import csv
import io
import random
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from assurance.config import load_settings
from assurance.db import open_store
from assurance.engine.rules import load_packs
from assurance.ingest import run_import, store_counts
from assurance.problems import ProblemsError
from conftest import AT
from connectors import SOURCES
from connectors.pay_csv import PayCsv
from connectors.returns_template import write_template
from helpers import METRIC_HEADER, ORG_HEADER, current_rows, register_orgs, write_csv
from test_bad_input_yaml_config import wall_clock_guard
from test_import_nss import mini_nss
from test_returns_xlsx import fill

FIXTURES = Path(__file__).parent / "fixtures"
ORGS = ("SYT01", "SYT02", "Z9T01")
SECONDS = 20  # per input: far above any real one here, far below a hang

HOSTILE = st.sampled_from([
    "", " ", "-", "1e308", "1" * 400, "-5", "2,5", "1.5", "٣", "１２", "½", "NaN", "inf",
    "=HYPERLINK(\"x\")", "+1", "@SUM(A1)", "\"", "\"\"", "a\"b", ",", "\r", "\n", "\r\n",
    "\x00", "\x07", "\u202e", "\ufeff", "Ω" * 50, "x" * 200_000, "Robert'); DROP TABLE--",
    "9" * 20, "0x10", "١٢٣", "2025-02-30", "31/03/2025", "A", "Z", "99", "yes", "NO",
])


# --------------------------------------------------------------------------- the damage
def _cut(data: bytes, rng: random.Random) -> bytes:
    return data[:rng.randrange(len(data) + 1)]


def _insert(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data) + 1)
    junk = rng.choice([b"\x00", b"\r", b"\n", b"\xff\xfe", b"\"", b",", b"\xe2\x80",
                       bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))])
    return data[:at] + junk + data[at:]


def _delete(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + data[at + rng.randrange(1, 40):]


def _flip(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return data
    out = bytearray(data)
    for _ in range(rng.randrange(1, 6)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def _lines(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    i = rng.randrange(len(lines))
    how = rng.choice(["dup", "drop", "swap", "crlf", "lone_cr"])
    if how == "dup":
        lines.insert(i, lines[i])
    elif how == "drop":
        del lines[i]
    elif how == "swap" and len(lines) > 1:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif how == "crlf":
        lines[i] += b"\r"
    else:
        lines[i] = lines[i].replace(b",", b"\r", 1)
    return b"\n".join(lines)


def _encoding(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8", "replace")
    return rng.choice([b"\xef\xbb\xbf" + data, text.encode("utf-16"), text.encode("latin-1",
                       "replace"), data.replace(b"\n", b"\r")])


BYTE_DAMAGE = (_cut, _insert, _delete, _flip, _lines, _encoding)


@st.composite
def damaged_text(draw: st.DrawFn, seed: bytes) -> tuple[bytes, int | None]:
    """(bytes, the 1-based line of a replaced cell, or None for byte-level damage)."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    if draw(st.booleans()):
        rows = list(csv.reader(io.StringIO(seed.decode("utf-8-sig"), newline="")))
        r = draw(st.integers(0, len(rows) - 1))
        c = draw(st.integers(0, max(0, len(rows[r]) - 1)))
        if rows[r]:
            rows[r][c] = draw(HOSTILE)
        out = io.StringIO()
        csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))).writerows(rows)
        return out.getvalue().encode("utf-8"), r + 1
    data = seed
    for _ in range(draw(st.integers(1, 3))):
        data = rng.choice(BYTE_DAMAGE)(data, rng)
    return data, None


# ------------------------------------------------------------------------ the property
def _clean_refusal(exc: ProblemsError, where: str) -> None:
    assert exc.problems, "a refusal names at least one problem"
    for p in exc.problems:
        text = str(p)
        assert p.where.startswith(where), (p, where)
        assert p.message and p.message.strip(), text
        for leak in ("Traceback", 'File "', " object at 0x", "KeyError", "IndexError",
                     "AttributeError", "UnboundLocalError", "RecursionError"):
            assert leak not in text, text


def _import_or_refuse(engine: Engine, source: Any, path: Path, data: bytes,
                      row: int | None) -> None:
    path.write_bytes(data)
    before = store_counts(engine)
    try:
        with wall_clock_guard(SECONDS):
            result = run_import(engine, source, path, actor="fuzz", at=AT)
    except ProblemsError as exc:
        event("refused")
        _clean_refusal(exc, str(path))
        assert store_counts(engine) == before, "a refused file changed the store"
        if row is not None and row > 1 and not any(
                "not UTF-8" in p.message or "line end" in p.message for p in exc.problems):
            assert any(p.line is not None for p in exc.problems), exc.problems
        return
    # A correct import: figures for registered organisations only, and the same file again
    # stores nothing new.
    event("imported")
    known = {r.org_code for r in current_rows(engine)}
    assert result.status in ("imported", "unchanged", "restored")
    assert known <= set(ORGS) | {o for o in known if o.startswith(("GP", "ZZ"))}
    with wall_clock_guard(SECONDS):
        again = run_import(engine, source, path, actor="fuzz", at=AT)
    assert again.status == "unchanged", again


FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    folder = tmp_path_factory.mktemp("fuzz")
    engine = open_store(f"sqlite:///{folder / 'store.db'}")
    register_orgs(engine, folder, *ORGS)
    return engine


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("seeds")
    metrics = write_csv(folder / "metrics.csv", METRIC_HEADER, [
        ("SYT01", "wres:2024", "wres.2", g, "", n, d, "", "")
        for g, n, d in (("white", 40, 200), ("bme", 12, 90))] + [
        ("SYT02", "survey:2024", "wres.5", "bme", "", "", 120, "23.5", "")])
    orgs = write_csv(folder / "orgs.csv", ORG_HEADER, [
        ("SYT01", "Synthetic Test Trust SYT01", "acute", "London", "Synthetic ICS",
         "Acute and Acute & Community Trusts", "yes")])
    person = (FIXTURES / "pay_extract.csv").read_bytes()
    esr_lines = ["staff_number,org_code,snapshot_date,band,ethnic_category,disability"] + [
        f"9{i:05d},SYT01,2025-03-31,Band {2 + i % 7},{'ACHJZ'[i % 5]},{['Yes', 'No', ''][i % 3]}"
        for i in range(60)]
    return {"metrics_csv": metrics.read_bytes(), "organisations_csv": orgs.read_bytes(),
            "gpg_csv": (FIXTURES / "gpg_2024_to_2025.csv").read_bytes(),
            "esr_csv": ("\n".join(esr_lines) + "\n").encode(),
            "pay_csv": b"\n".join(person.splitlines()[:120]) + b"\n"}


# ---------------------------------------------------------------------- CSV families
def _csv_family(name: str) -> Callable[..., None]:
    @FUZZ
    @given(data=st.data())
    def test(store: Engine, seeds: dict[str, bytes], tmp_path: Path, data: st.DataObject
             ) -> None:
        raw, row = data.draw(damaged_text(seeds[name]))
        source = PayCsv() if name == "pay_csv" else SOURCES[name]
        _import_or_refuse(store, source, tmp_path / f"{name}.csv", raw, row)

    test.__name__ = f"test_a_damaged_{name}_file_is_refused_where_it_is_wrong_or_imported"
    return test


test_damaged_metrics_csv = _csv_family("metrics_csv")
test_damaged_organisations_csv = _csv_family("organisations_csv")
test_damaged_gpg_csv = _csv_family("gpg_csv")
test_damaged_esr_person_level_csv = _csv_family("esr_csv")
test_damaged_pay_person_level_csv = _csv_family("pay_csv")


# --------------------------------------------------------------------- XLSX families
def _xlsx_seed(kind: str, folder: Path) -> bytes:
    path = folder / f"{kind}.xlsx"
    if kind == "returns_xlsx":
        write_template(path)
        fill(path)  # as a trust's analyst fills it in (Z9T01, 2024)
    else:
        mini_nss(path)
    return path.read_bytes()


_WORKBOOKS: dict[str, bytes] = {}
"""Each workbook seed, built once (the first example that needs it)."""


@st.composite
def damaged_workbook(draw: st.DrawFn, seed: bytes) -> bytes:
    rng = random.Random(draw(st.integers(0, 2**32)))
    if draw(st.booleans()):  # a hostile value in a cell of any sheet
        wb = load_workbook(io.BytesIO(seed))
        ws = wb.worksheets[draw(st.integers(0, len(wb.worksheets) - 1))]
        r = draw(st.integers(1, max(1, min(ws.max_row, 12))))
        c = draw(st.integers(1, max(1, min(ws.max_column, 12))))
        value = draw(HOSTILE | st.sampled_from([1e308, -1, 10**20, float("nan"), True]))
        try:
            ws.cell(r, c).value = value
        except (ValueError, TypeError, AttributeError):  # a merged cell, or a character
            # openpyxl itself refuses to write: a formula instead
            ws.cell(1, 1).value = "=1/0"
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()
    how = draw(st.sampled_from(["bytes", "member", "junk"]))
    if how == "bytes":
        return rng.choice(BYTE_DAMAGE)(seed, rng)
    src = zipfile.ZipFile(io.BytesIO(seed))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        victim = rng.choice(src.namelist())
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == victim:
                content = _flip(content, rng) if how == "junk" else _cut(content, rng)
            dst.writestr(item, content)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["returns_xlsx", "nss_xlsx"])
@settings(max_examples=15, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_damaged_workbook_is_refused_as_unreadable_or_where_it_is_wrong(
        store: Engine, tmp_path: Path, kind: str, data: st.DataObject) -> None:
    seed = _WORKBOOKS.get(kind) or _WORKBOOKS.setdefault(kind, _xlsx_seed(kind, tmp_path))
    raw = data.draw(damaged_workbook(seed))
    _import_or_refuse(store, SOURCES[kind], tmp_path / f"{kind}.xlsx", raw, None)


# ------------------------------------------------------------ YAML and TOML documents
def _damaged_lines(data: st.DataObject, text: bytes, sep: bytes,
                   hostile: st.SearchStrategy[bytes]) -> bytes:
    """``text`` with one line's value (after ``sep``; without one, the whole line) replaced
    by a hostile one, or damaged one to three times byte by byte."""
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    if data.draw(st.booleans()):
        lines = text.split(b"\n")
        i = data.draw(st.integers(0, len(lines) - 1))
        head, found, _ = lines[i].partition(sep)
        lines[i] = head + found + data.draw(hostile) if found else data.draw(hostile)
        return b"\n".join(lines)
    for _ in range(data.draw(st.integers(1, 3))):
        text = rng.choice(BYTE_DAMAGE)(text, rng)
    return text


def _loaded_or_refused(load: Callable[[], object], path: Path) -> None:
    """``load`` returns, or refuses cleanly naming ``path``, within the time allowed."""
    try:
        with wall_clock_guard(SECONDS):
            load()
    except ProblemsError as exc:
        event("refused")
        _clean_refusal(exc, str(path))
        return
    event("loaded")


# ------------------------------------------------------------------ YAML rule packs
PACK = b"""version: 1
pack: fuzz
title: Fuzzed pack
defaults:
  severity: high
  labels: {standard: WRES, topic: recruitment}
rules:
  - id: fuzz.wres2
    title: White applicants far more likely to be appointed
    metric: wres.2
    when: {outside_range: {low: 0.8, high: 1.25}}
    escalate: {start: edi_lead, after_periods: 1}
    why: A test rule.
    action: A test action.
  - id: fuzz.wres5
    title: Harassment by the public
    metric: wres.5
    when: {threshold: {above: 30.0}}
"""

YAML_HOSTILE = st.sampled_from([
    b"&a [*a]", b"!!python/object:os.system", b"!!binary AAAA", b"2025-02-30", b"<<: *x",
    b"{", b"]", b"- - - - - - - - - - - - -", b"\t", b"~", b".inf", b".nan", b"- [1, 2]",
    b"\"\\u0000\"", b"'", b"? [a]", b"%YAML 9.9", b"---", b"...", b"*undefined",
    b"[" * 200, b"&x " + b"x" * 10_000,
])


def _loaded_whole(path: Path) -> None:
    packs = load_packs([path])
    assert all(r.id and r.metric for p in packs for r in p.rules)


# ----------------------------------------------------------------------- config TOML
CONFIG = b"""[database]
url = "sqlite:///assurance.db"

[statistics]
non_adverse_low = 0.80
non_adverse_high = 1.25

[disclosure.audiences.network]
exact_counts = false
rounding = 5

[escalation]
levels = ["edi_lead", "executive_lead", "board_committee", "regulator"]

[schedule]
timezone = "Europe/London"

[channels.demo]
type = "console"

[[subscriptions]]
name = "everyone"
channel = "demo"
audience = "network"
match = {standard = ["WRES"]}
"""

TOML_HOSTILE = st.sampled_from([
    b"0", b"-1", b"1e400", b"nan", b"inf", b"\"\"", b"[]", b"{}", b"true", b"\"\\u0000\"",
    b"\"x\"", b"2025-02-30", b"[[]]", b"\"" + b"y" * 5000 + b"\"", b"'''", b"{a = {b = {}}}",
    b"\"Mars/Olympus\"", b"\"withhold\"", b"\"postgresql://u:p@/x\"",
])


@pytest.mark.parametrize(("name", "seed", "sep", "hostile", "load"), [
    pytest.param("pack.yaml", PACK, b": ", YAML_HOSTILE, _loaded_whole, id="rule-pack"),
    pytest.param("config.toml", CONFIG, b" = ", TOML_HOSTILE,
                 lambda path: load_settings(path, env={}), id="config"),
])
@settings(max_examples=80, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_damaged_rule_pack_or_config_is_refused_where_it_is_wrong_or_loads(
        tmp_path: Path, name: str, seed: bytes, sep: bytes, hostile: st.SearchStrategy[bytes],
        load: Callable[[Path], object], data: st.DataObject) -> None:
    """A value on one line (after ``sep``) made hostile, or the bytes damaged: a clean refusal
    naming the file, or a document that loads (a rule pack: every rule whole)."""
    path = tmp_path / name
    path.write_bytes(_damaged_lines(data, seed, sep, hostile))
    _loaded_or_refused(lambda: load(path), path)


def test_the_seeds_themselves_are_valid(store: Engine, seeds: dict[str, bytes],
                                        tmp_path: Path) -> None:
    """Without this the properties could pass by refusing everything."""
    for name, raw in seeds.items():
        path = tmp_path / f"{name}.csv"
        path.write_bytes(raw)
        source = PayCsv() if name == "pay_csv" else SOURCES[name]
        assert run_import(store, source, path, actor="fuzz", at=AT).status in (
            "imported", "unchanged")
    for kind in ("returns_xlsx", "nss_xlsx"):
        path = tmp_path / f"{kind}.xlsx"
        path.write_bytes(_xlsx_seed(kind, tmp_path))
        assert run_import(store, SOURCES[kind], path, actor="fuzz", at=AT).status in (
            "imported", "unchanged")
    pack, config = tmp_path / "pack.yaml", tmp_path / "config.toml"
    pack.write_bytes(PACK)
    config.write_bytes(CONFIG)
    assert [r.id for p in load_packs([pack]) for r in p.rules] == ["fuzz.wres2", "fuzz.wres5"]
    assert "demo" in load_settings(config, env={}).channels
