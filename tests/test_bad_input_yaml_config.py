"""Malformed and hostile rule packs, case files, catalogues and config files are refused.

Each family of bad input (issue 13) gets several variants, written into ``tmp_path`` at test
time: every one must end in a ProblemsError whose first problem is located
(``file:line:col``, or the config key path) and says what was found and what was expected;
nothing is returned half-loaded; the command line exits with the documented code and never
prints a traceback. Hypothesis then feeds random bytes and random YAML-ish text to the pack
loader, which may raise nothing but ProblemsError.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assurance.catalogue import load_catalogue, load_statements
from assurance.config import load_settings
from assurance.engine.cases import load_cases
from assurance.engine.rules import load_packs
from assurance.engine.yamlsrc import MAX_BYTES, Checker
from assurance.problems import Problem, ProblemsError
from assurance.scheduler import check as check_jobs
from conftest import ROOT

PACK = """\
version: 1
pack: x
rules:
  - id: {id}
    title: {title}
    metric: {metric}
    when: {{threshold: {{above: {above}}}}}
    escalate: {{after_periods: {after}}}
"""
GOOD = {"id": "x.a", "title": "A title", "metric": "wres.2", "above": "1.25", "after": "1"}


def pack(**changes: str) -> str:
    return PACK.format(**{**GOOD, **changes})


def write(tmp_path: Path, content: str | bytes, name: str = "pack.yaml") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def refused_pack(path: Path) -> list[str]:
    """Load the pack; it must be refused with located problems and nothing returned."""
    with pytest.raises(ProblemsError) as exc:
        load_packs([path])
    return [str(p) for p in exc.value.problems]


@contextmanager
def wall_clock_guard(seconds: int) -> Iterator[None]:
    """Fail (instead of hanging the suite) if the block runs longer than ``seconds``."""
    def _timeout(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assurance.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "ASSURANCE_CONFIG": ""})


def laughs(levels: int = 9, fan: int = 10) -> str:
    """The "billion laughs" document: ``fan ** levels`` values from a few hundred bytes."""
    lines = ["lol0: &lol0 [lol]"]
    for i in range(1, levels + 1):
        lines.append(f"lol{i}: &lol{i} [" + ", ".join([f"*lol{i - 1}"] * fan) + "]")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- rule packs

LOCATED = [
    # (pack text or bytes, the line the first problem points at, words it must contain)
    # scalars that cannot be built
    pytest.param(pack(above="2024-02-30"), 7, "found '2024-02-30'", id="impossible-date"),
    pytest.param(pack(above="2023-02-29"), 7, "expected a date that exists",
                 id="29-february-in-a-common-year"),
    pytest.param(pack(above="1" + "0" * 5000), 7, "more than 4,300 digits",
                 id="integer-too-long-to-read"),
    pytest.param(pack(above="!!int twelve"), 7, "expected a whole number", id="bad-int-tag"),
    # tags
    pytest.param(pack(metric="!!binary d3Jlcy4y"), 6, "found the tag !!binary", id="binary"),
    pytest.param(pack(metric="!!python/name:os.system"), 6, "!!python/name:os.system",
                 id="python-name"),
    pytest.param(pack().replace("  - id: x.a", "  - !!python/object:os.system\n    id: x.a"),
                 4, "found the tag !!python/object:os.system", id="python-object"),
    pytest.param(pack(metric="!!python/object/apply:os.system [ls]"), 6,
                 "!!python/object/apply:os.system", id="python-object-apply"),
    pytest.param(pack(metric="!custom wres.2"), 6, "found the tag !custom", id="unknown-tag"),
    pytest.param(pack(metric="!!set {wres.2}"), 6, "found the tag !!set", id="set"),
    pytest.param(pack(metric="!!omap [a: 1]"), 6, "found the tag !!omap", id="omap"),
    # merge keys
    pytest.param("version: 1\npack: x\nrules:\n  - <<: {id: x.a, title: T}\n    metric: wres.2\n"
                 "    when: {threshold: {above: 1}}\n", 4, "found a merge key (<<)",
                 id="merge-key-inline"),
    pytest.param("version: 1\npack: x\ndescription: &d {title: T}\nrules:\n  - <<: *d\n", 5,
                 "merge keys are not supported", id="merge-key-alias"),
    # timestamps (and other non-text) where text is expected
    pytest.param(pack(title="2024-01-01"), 5, "'title': found the date 2024-01-01",
                 id="date-as-title"),
    pytest.param(pack(title="2024-01-01 10:30:00"), 5, "'title': found the date",
                 id="timestamp-as-title"),
    pytest.param(pack(title="12"), 5, "'title': found 12; expected text", id="number-as-title"),
    # a list or mapping where a word belongs (unhashable)
    pytest.param(pack(metric="[wres.2]"), 6, "'metric': found a list; expected a metric id",
                 id="list-as-metric"),
    pytest.param(pack(metric="{wres.2: 1}"), 6, "'metric': found a mapping", id="map-as-metric"),
    pytest.param(pack(id="[x.a]"), 4, "'id': found a list; expected text", id="list-as-id"),
    pytest.param(pack().replace("{above: 1.25}", "{above: 1.25, metric: [wres.3]}"), 7,
                 "'metric': found a list", id="list-as-child-metric"),
    pytest.param(pack().replace("  - id: x.a", "  - ? [x, y]\n    : 1\n    id: x.a"), 4,
                 "found a list as a mapping key; expected a plain word", id="list-as-key"),
    # null silently dropping a rule
    pytest.param(pack(metric="~"), 6, "'metric': found null", id="null-metric"),
    pytest.param(pack(metric=""), 6, "'metric': found null", id="empty-metric"),
    pytest.param(pack(metric="null"), 6, "'metric': found null", id="null-word-metric"),
    pytest.param(pack(id="~"), 4, "'id': found null", id="null-id"),
    # non-finite, huge and boolean numbers
    pytest.param(pack(above=".inf"), 7, "'above': found .inf; expected a finite number",
                 id="inf"),
    pytest.param(pack(above="-.inf"), 7, "'above': found -.inf", id="minus-inf"),
    pytest.param(pack(above=".nan"), 7, "'above': found .nan", id="nan"),
    pytest.param(pack(above="1.0e+400"), 7, "'above': found .inf", id="float-overflow"),
    pytest.param(pack(above="1" + "0" * 400), 7, "'above': found a number of 401 digits",
                 id="400-digit-integer"),
    pytest.param(pack(after="1" + "0" * 30), 8, "'after_periods': found a number of 31 digits",
                 id="huge-limit"),
    pytest.param(pack(above="true"), 7, "'above': found true; expected a finite number",
                 id="boolean-as-number"),
    pytest.param(pack(after="yes"), 8, "'after_periods': found true; expected a whole number",
                 id="yes-as-count"),
    # bytes that are not text
    pytest.param(pack().encode().replace(b"A title", b"A \x00title"), 5,
                 "found the control character U+0000", id="nul-byte"),
    pytest.param(pack().encode().replace(b"A title", b"A \x1btitle"), 5,
                 "found the control character U+001B", id="escape-character"),
    pytest.param(pack().encode().replace(b"A title", "Café".encode("latin-1")), 5,
                 "found the byte 0xe9", id="latin-1"),
    pytest.param(pack().encode("utf-16"), 1, "found UTF-16 text", id="utf-16-with-bom"),
    pytest.param(pack().encode("utf-16-le"), 1, "found the control character U+0000",
                 id="utf-16-without-bom"),
    pytest.param(b"\xc3\x28" + pack().encode(), 1, "which is not UTF-8", id="garbage"),
    # nesting that would exhaust the stack
    pytest.param("a: " + "[" * 10_000 + "]" * 10_000 + "\n", 1, "found nesting deeper than 32",
                 id="flow-lists-10000-deep"),
    pytest.param("a: " + "{a: " * 10_000 + "1" + "}" * 10_000 + "\n", 1,
                 "found nesting deeper than 32", id="flow-maps-10000-deep"),
    pytest.param("".join(" " * i + "a:\n" for i in range(200)), 32,
                 "found nesting deeper than 32", id="block-maps-200-deep"),
    pytest.param("".join(" " * i + "- \n" for i in range(0, 400, 2)), 33,
                 "found nesting deeper than 32", id="block-lists-200-deep"),
    # aliases
    pytest.param("a: [" + ", ".join(["x"] * 25_000) + "]\n", 1, "found more than 20,000 values",
                 id="too-many-values"),
    pytest.param("a: &a [*a]\n", 1, "inside the node it names (a cycle)", id="alias-cycle"),
    pytest.param("a: &a x\nb: [" + ", ".join(["*a"] * 150) + "]\n", 2,
                 "found more than 100 aliases", id="too-many-aliases"),
    pytest.param(laughs(), 5, "aliases that repeat more than 10,000 values", id="billion-laughs"),
    pytest.param(laughs(levels=3, fan=40), 4, "repeat more than 10,000", id="wide-laughs"),
]


@pytest.mark.parametrize(("content", "line", "words"), LOCATED)
def test_a_malformed_pack_is_refused_with_a_located_problem_saying_what_was_expected(
        tmp_path: Path, content: str | bytes, line: int, words: str) -> None:
    path = write(tmp_path, content)
    with wall_clock_guard(20):
        problems = refused_pack(path)
    first = problems[0]
    assert first.startswith(f"{path}:{line}:"), problems
    assert words in first and "expected" in first, problems


def test_an_oversized_pack_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = write(tmp_path, pack() + "#" * MAX_BYTES)
    assert refused_pack(path) == [f"{path}: error: found a file over {MAX_BYTES:,} bytes; "
                                  f"expected a YAML file of at most {MAX_BYTES:,} bytes"]


def test_a_pack_that_is_not_a_regular_file_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pack.yaml"
    os.mkfifo(fifo)
    with wall_clock_guard(10):
        problems = refused_pack(fifo)
    assert problems == [f"{fifo}: error: found a named pipe (FIFO); expected a regular file "
                        "(nothing was read from it)"]


def test_a_pack_that_does_not_exist_is_not_found(tmp_path: Path) -> None:
    # It was "cannot read: not a regular file", as for a pipe.
    assert refused_pack(tmp_path / "nonexist.yaml") == [
        f"{tmp_path / 'nonexist.yaml'}: error: file not found; expected the path of a YAML file"]


def test_a_billion_laughs_is_refused_quickly_in_bounded_memory(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\npack: x\nrules: []\ndescription:\n"
                 + "".join("  " + line + "\n" for line in laughs().splitlines()))
    tracemalloc.start()
    started = time.monotonic()
    try:
        with wall_clock_guard(10):
            problems = refused_pack(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 10  # a guard against a hang, not a benchmark
    assert peak < 50_000_000, f"peak {peak:,} bytes"
    assert "aliases that repeat more than" in problems[0]


def test_every_scalar_problem_in_a_pack_is_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, pack(title="!!binary eA==", above="2024-02-30", metric="!foo x"))
    problems = refused_pack(path)
    assert [p.split(": error: ")[0] for p in problems] == [
        f"{path}:5:12", f"{path}:6:13", f"{path}:7:31"]


def test_a_repeated_rule_id_and_the_repeat_s_own_problems_are_reported_together(
        tmp_path: Path) -> None:
    # The repeat was checked only once the rule was otherwise right: fix one problem, get
    # the next.
    rule = ("  - id: x.1\n    title: T\n    metric: wres.2\n    when: {{outside_range: "
            "{{significant: true{extra}}}}}\n    severity: high\n    why: w\n    action: a\n")
    text = ("version: 1\npack: mine\ntitle: Mine\nrules:\n" + rule.format(extra="")
            + rule.format(extra=", foo: 1"))
    problems = refused_pack(write(tmp_path, text))
    assert [p.split(": error: ")[1].split(" (")[0].split(";")[0] for p in problems] == [
        "duplicate rule id 'x.1'", "unknown key 'foo' in 'outside_range'"], problems


def test_an_id_of_the_wrong_type_does_not_hide_the_rule_s_other_problems(
        tmp_path: Path) -> None:
    text = ("version: 1\npack: mine\ntitle: Mine\nrules:\n  - id: 12\n    title: [a]\n"
            "    metric: wres.2\n    when: {outside_range: {significant: true}}\n"
            "    severity: high\n    why: w\n    action: a\n    enabled: 'no'\n")
    problems = refused_pack(write(tmp_path, text))
    assert [p.split(": error: ")[1].split(";")[0] for p in problems] == [
        "'id': found 12", "'title': found a list", "'enabled': found 'no'"], problems


def test_a_few_aliases_to_small_nodes_still_load(tmp_path: Path) -> None:
    text = pack().replace("version: 1", "version: 1\ndescription: &d Shared words") \
        .replace("title: A title", "title: *d")
    packs = load_packs([write(tmp_path, text)])
    assert packs[0].rules[0].title == "Shared words"


def test_a_bad_pack_exits_2_one_problem_per_line_without_a_traceback(tmp_path: Path) -> None:
    bad = write(tmp_path, pack(metric="!!python/name:os.system", above=".nan"))
    proc = cli(["rules", "check", str(bad)], cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.splitlines()
    assert lines[0].startswith(f"{bad}:6:13: error: found the tag !!python/name:os.system")
    assert lines[-1] == "1 problem; nothing was changed."
    assert not (tmp_path / "assurance.db").exists()  # nothing stored


def test_a_billion_laughs_pack_exits_2_quickly_from_the_command_line(tmp_path: Path) -> None:
    bad = write(tmp_path, laughs())
    started = time.monotonic()
    proc = cli(["rules", "check", str(bad)], cwd=tmp_path)
    assert time.monotonic() - started < 60  # generous: a guard against a hang
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{bad}:5:" in proc.stderr


# ----------------------------------------------------------------------------- other YAML


def test_a_malformed_case_file_is_refused_with_located_problems(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\ncases:\n  - name: a\n    as_of: 2024-02-30\n"
                 "  - !!python/object:x {name: b}\n", name="x.cases.yaml")
    problems: list[Problem] = []
    assert list(load_cases(path, Checker(str(path), problems))) == []
    assert [str(p).split(": error: ")[0] for p in problems] == [f"{path}:4:12", f"{path}:5:5"]


@pytest.mark.parametrize("loader", [load_catalogue, load_statements], ids=["catalogue",
                                                                           "well-led"])
def test_a_malformed_catalogue_is_refused_with_a_located_problem(tmp_path: Path,
                                                                 loader: object) -> None:
    path = write(tmp_path, laughs(), name="data.yaml")
    with pytest.raises(ProblemsError) as exc:
        loader(path)  # type: ignore[operator]
    assert str(exc.value.problems[0]).startswith(f"{path}:5:")


def test_the_shipped_yaml_still_loads() -> None:
    assert "wres.2" in load_catalogue() and load_statements()
    assert sum(len(p.rules) for p in load_packs([ROOT / "rules"])) > 30


# ----------------------------------------------------------------------------- fuzzing

TOKENS = [
    "version: 1\n", "pack: x\n", "rules:\n", "  - id: x.a\n", "    metric: ", "wres.2", "\n",
    "    when: ", "{threshold: {above: ", "}}", "[", "]", "{", "}", ": ", "- ", ", ", "&a ",
    "*a", "*b", "!!binary ", "!!python/object:os.system ", "!x ", "<<: ", "~", ".inf", ".nan",
    "2024-02-30", "1e400", "9" * 50, '"', "'", "#", "\t", "\x00", "é", "? ", "|\n", ">-\n",
    "---\n", "...\n", "%YAML 1.1\n", "    ", "  ", "true", "title: ", "=", "\ufeff", "\r",
]


@contextmanager
def scratch_pack(content: bytes) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pack.yaml"
        path.write_bytes(content)
        yield path


def only_problems(content: bytes) -> None:
    with scratch_pack(content) as path:
        try:
            load_packs([path])
        except ProblemsError as exc:
            assert exc.problems and all(str(p).startswith(str(path)) for p in exc.problems)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_into_the_pack_loader_raise_only_problems(content: bytes) -> None:
    only_problems(content)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=60).map("".join))
def test_random_yaml_ish_text_into_the_pack_loader_raises_only_problems(text: str) -> None:
    only_problems(text.encode("utf-8", "surrogatepass"))


HOSTILE = st.sampled_from(["~", "", "[a]", "{a: 1}", ".inf", "-.nan", "1e999", "9" * 30,
                           "true", "2024-02-30", "2024-01-01", "!!binary eA==", "'x'", "0",
                           "-1", "x.a", "wres.2", "*missing", "!!str 1", "!!float x"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(HOSTILE, HOSTILE, HOSTILE, HOSTILE, HOSTILE)
def test_hostile_values_in_every_rule_field_raise_only_problems(
        id_: str, title: str, metric: str, above: str, after: str) -> None:
    only_problems(pack(id=id_, title=title, metric=metric, above=above, after=after).encode())


# ----------------------------------------------------------------------------- config.toml


def config_problems(tmp_path: Path, content: str | bytes) -> tuple[Path, list[str]]:
    path = write(tmp_path, content, name="config.toml")
    with pytest.raises(ProblemsError) as exc:
        load_settings(path, env={})
    return path, [str(p) for p in exc.value.problems]


CONFIG = [
    # (config text or bytes, what the first problem must say after "<path>")
    pytest.param('[reports]\ncommittee = "People"\n'.encode("utf-16"),
                 ":1:1: error: found UTF-16 text", id="utf-16-with-bom"),
    pytest.param('[reports]\ncommittee = "People"\n'.encode("utf-16-le"),
                 ":1:2: error: found a NUL byte", id="utf-16-without-bom"),
    pytest.param('[reports]\ncommittee = "Caf\xe9"\n'.encode("latin-1"),
                 ":2:17: error: found the byte 0xe9 (byte 27 of the file), which is not UTF-8",
                 id="latin-1"),
    pytest.param('[database\nurl = "x"\n', ":1:10: error: not valid TOML", id="syntax"),
    pytest.param('[statistics]\nnon_adverse_low = 0.8\nnon_adverse_low = 0.9\n',
                 ":3:", id="duplicate-key"),
    pytest.param("[disclosure.audiences.network]\nrounding = 0\n",
                 ": error: disclosure.audiences.network: found low = 1, high = 7, rounding = 0: "
                 "rounding must be at least 1", id="rounding-zero"),
    pytest.param("[disclosure.audiences.public]\nrounding = -5\n",
                 ": error: disclosure.audiences.public: found", id="rounding-negative"),
    pytest.param("[disclosure.audiences.network]\nlow = -1\n", "low must not be negative",
                 id="low-negative"),
    pytest.param("[disclosure.audiences.network]\nlow = 9\nhigh = 3\n",
                 "high (3) must not be less than low (9)", id="low-above-high"),
    pytest.param("[disclosure.audiences.network]\nrounding = 50\n", "would show a count of 8",
                 id="rounding-shows-zero"),
    pytest.param("[statistics]\nnon_adverse_low = 1.3\nnon_adverse_high = 1.2\n",
                 ": error: statistics: non_adverse_low must be below 1", id="range-inverted"),
    pytest.param("[statistics]\nnon_adverse_high = inf\n",
                 ": error: statistics.non_adverse_high: expected a finite number", id="inf"),
    pytest.param("[statistics]\nnon_adverse_low = nan\n",
                 ": error: statistics.non_adverse_low: expected a finite number", id="nan"),
    pytest.param("[statistics]\nnon_adverse_high = 1e400\n", "found inf", id="float-overflow"),
    pytest.param("[statistics]\nwdes3_rolling_years = " + "9" * 40 + "\n",
                 "found a number of 40 digits", id="huge-integer"),
    pytest.param("[statistics]\nwdes3_rolling_years = " + "9" * 5000 + "\n",
                 ": error: found a number of more than 4,300 digits", id="unreadable-integer"),
    pytest.param("[statistics]\nwdes3_rolling_years = true\n",
                 "wdes3_rolling_years: expected a whole number", id="boolean-as-number"),
    pytest.param("a = " + "[" * 5000 + "]" * 5000 + "\n", ": error: found arrays or tables "
                 "nested too deep", id="deep-arrays"),
    pytest.param("[escalation]\nlevels = []\n",
                 ": error: escalation.levels: found []; expected a non-empty list",
                 id="empty-escalation-levels"),
    pytest.param('[escalation]\nlevels = [["a"], "b"]\n', "escalation.levels: found",
                 id="unhashable-escalation-level"),
    pytest.param('[escalation]\nlevels = ["a", "a"]\n', "distinct level names",
                 id="repeated-escalation-level"),
    pytest.param('[database]\nurll = "sqlite:///x.db"\n',
                 ": error: database.urll: unknown key (did you mean 'url'?)", id="unknown-key"),
]


@pytest.mark.parametrize(("content", "message"), CONFIG)
def test_a_bad_config_is_refused_with_its_place_or_key_path(
        tmp_path: Path, content: str | bytes, message: str) -> None:
    path, problems = config_problems(tmp_path, content)
    assert problems[0].startswith(str(path)) and message in problems[0], problems


@pytest.mark.parametrize(("content", "message"), [
    *CONFIG,
    pytest.param('[schedule]\ntimezone = "Europe/Londn"\n', "schedule.timezone: unknown time "
                 "zone 'Europe/Londn'", id="unknown-time-zone"),
    pytest.param('[schedule]\ntimezone = "../../etc/passwd"\n', "schedule.timezone: unknown "
                 "time zone", id="path-as-time-zone"),
])
def test_config_check_reports_each_bad_config_without_a_traceback(
        tmp_path: Path, content: str | bytes, message: str) -> None:
    # config check goes on past the file's own problems to the checks that need a whole
    # Settings; a wrong value those checks read must not crash them (a bad time zone did).
    from helpers import run_cli

    path = write(tmp_path, content, name="config.toml")
    code, _, err = run_cli(path, "config", "check")
    assert code == 3 and message in err and "Traceback" not in err, err


def scheduled(tmp_path: Path, job: str) -> list[str]:
    (tmp_path / "inbox").mkdir(exist_ok=True)
    path = write(tmp_path, f'[imports]\nwatch_dir = "{tmp_path / "inbox"}"\n'
                 f"[schedule.jobs.j]\n{job}\n", name="config.toml")
    return [str(p) for p in check_jobs(load_settings(path, env={}))]


@pytest.mark.parametrize(("job", "message"), [
    ('type = "heartbeat"\ncron = "0 0 30 2 *"', "j.cron: '0 0 30 2 *' never fires; expected a "
     "schedule that fires within 400 days"),
    ('type = "heartbeat"\ncron = "0 0 31 4,6,9,11 *"', "never fires"),
    ('type = "heartbeat"\ncron = "0 0 31 2 mon"', "never fires"),
    ('type = "heartbeat"\ncron = "0 0 99 * *"', "j.cron: Error validating expression '99'"),
    ('type = "heartbeat"\ncron = "0 0 * foo *"', "j.cron: Invalid month name"),
    ('type = "heartbeat"\ncron = "0 0 */0 * *"', "Increment must be higher than 0"),
    ('type = "heartbeat"\ncron = ""', "j.cron: '' has 0 fields"),
    ('type = "heartbeat"\ncron = "0 6 * * 1"', "uses numbers; write day names"),
    ('type = "import"\ncron = "* * * * *"\nsettle_seconds = -5',
     "j.settle_seconds: found -5; expected a number of seconds from 0 to 86400"),
    ('type = "import"\ncron = "* * * * *"\nsettle_seconds = nan', "j.settle_seconds: found nan"),
    ('type = "board_reports"\ncron = "0 7 * * mon-fri"\norgs = ["RXX"]\n'
     'committee_dates = [2026-01-30]\ndays_before = 100000000000',
     "j.days_before: expected a whole number of days from 0 to 366"),
    ('type = "board_reports"\ncron = "0 7 * * mon-fri"\norgs = ["RXX"]\n'
     'committee_dates = ["2026-02-30"]', "j.committee_dates: day is out of range for month"),
])
def test_a_job_that_would_fail_or_never_run_is_a_config_problem(
        tmp_path: Path, job: str, message: str) -> None:
    problems = scheduled(tmp_path, job)
    assert len(problems) == 1 and message in problems[0], problems


def test_a_schedule_that_fires_yearly_passes(tmp_path: Path) -> None:
    assert scheduled(tmp_path, 'type = "heartbeat"\ncron = "0 6 1 jan *"') == []


@pytest.mark.parametrize(("url", "message"), [
    ("sqlite:////nonexistent-folder/x/assurance.db",
     "database.url: sqlite:////nonexistent-folder/x/assurance.db: the folder "
     "/nonexistent-folder/x does not exist"),
    ("nosuchdriver://u:hunter2secret@db.example/x",
     "database.url: nosuchdriver://u:***@db.example/x: unknown or uninstalled database driver"),
    ("postgresql+psycopg://u:hunter2secret@127.0.0.1:1/x",
     "database.url: postgresql+psycopg://u:***@127.0.0.1:1/x: cannot connect"),
])
def test_config_check_connects_to_the_database_and_hides_the_password(
        tmp_path: Path, url: str, message: str) -> None:
    cfg = write(tmp_path, f'[database]\nurl = "{url}"\n', name="config.toml")
    proc = cli(["--config", str(cfg), "config", "check"], cwd=tmp_path)
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "hunter2secret" not in proc.stderr + proc.stdout
    assert proc.stderr.splitlines()[0].startswith(f"{cfg}: error: {message}"), proc.stderr
    assert not (tmp_path / "assurance.db").exists()


def test_config_check_reports_a_wrong_value_and_what_only_a_run_would_find_together(
        tmp_path: Path) -> None:
    # A wrong type in one section used to stop the check there: the missing inbox folder of
    # a scheduled import (found only once the file was fixed) is reported in the same run.
    cfg = write(tmp_path, '[organisations]\naccountable = "SYN01"\n[imports]\n'
                'watch_dir = "nowhere/inbox"\n[schedule.jobs.inbox]\ntype = "import"\n'
                'cron = "0 6 * * mon-fri"\n', name="config.toml")
    proc = cli(["--config", str(cfg), "config", "check"], cwd=tmp_path)
    assert proc.returncode == 3 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.splitlines()[:2] == [
        f"{cfg}: error: organisations.accountable: expected a list, found 'SYN01'",
        f"{cfg}: error: schedule.jobs.inbox.folder: {tmp_path}/nowhere/inbox does not exist "
        "or is not a folder"], proc.stderr
    assert "2 problems" in proc.stderr


def test_a_config_that_ends_inside_a_string_names_its_last_line(tmp_path: Path) -> None:
    path, problems = config_problems(tmp_path, '[database]\nurl = "sqlite:///x.db')
    assert problems == [f"{path}:2: error: not valid TOML: Unterminated string (the file "
                        "ended first)"], problems


def test_config_check_opens_an_existing_sqlite_store_read_only(tmp_path: Path) -> None:
    not_a_db = write(tmp_path, "just text\n", name="store.db")
    cfg = write(tmp_path, f'[database]\nurl = "sqlite:///{not_a_db}"\n', name="config.toml")
    proc = cli(["--config", str(cfg), "config", "check"], cwd=tmp_path)
    assert proc.returncode == 3 and "cannot open it read-only (file is not a database)" \
        in proc.stderr
    assert not_a_db.read_text() == "just text\n"


def test_a_utf16_config_exits_3_without_a_traceback(tmp_path: Path) -> None:
    cfg = write(tmp_path, '[reports]\ncommittee = "People"\n'.encode("utf-16"),
                name="config.toml")
    proc = cli(["--config", str(cfg), "config", "check"], cwd=tmp_path)
    assert proc.returncode == 3 and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[0].startswith(f"{cfg}:1:1: error: found UTF-16 text")


def test_the_demo_config_and_defaults_still_pass(tmp_path: Path) -> None:
    from assurance.demo import demo_settings

    s = demo_settings(tmp_path)
    assert check_jobs(s) == [] and load_settings(None).escalation_levels[0] == "edi_lead"


def test_a_list_where_a_count_belongs_in_a_case_file_is_located(tmp_path: Path) -> None:
    from assurance import api

    shutil.copy(ROOT / "rules" / "board.yaml", tmp_path)
    text = (ROOT / "rules" / "board.cases.yaml").read_text(encoding="utf-8")
    row = "- [T1, wres:2025, wdes.10, disabled, board_voting, 0, 12]"
    path = write(tmp_path, text.replace(row, row.replace(" 0, 12]", " [0], 12]"), 1),
                 name="board.cases.yaml")
    report = api.test_rules(load_settings(None), [tmp_path])
    line = text.index(row)
    assert any(str(p).startswith(f"{path}:{text.count(chr(10), 0, line) + 1}:")
               and "numerator: found a list; expected a whole number" in str(p)
               for p in report.problems), report.problems


TOML_TOKENS = [
    "[database]\n", "[statistics]\n", "[schedule.jobs.a]\n", "[[subscriptions]]\n",
    "[disclosure.audiences.network]\n", "[escalation]\n", "url = ", "levels = ", "low = ",
    "rounding = ", "non_adverse_high = ", "cron = ", "type = ", '"x"', '"0 0 30 2 *"', "nan",
    "inf", "-0", "1e400", "9" * 30, "[", "]", "{", "}", ", ", "true", "1979-05-27", "\n",
    "\x00", "é", '"""', "'", "#", "=", ".", "\ufeff", "\r\n",
]


def only_config_problems(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.toml"
        path.write_bytes(content)
        try:
            check_jobs(load_settings(path, env={}))
        except ProblemsError as exc:
            assert exc.problems and all(str(p).startswith(str(path)) for p in exc.problems)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=300),
                 st.lists(st.sampled_from(TOML_TOKENS), max_size=40).map(
                     lambda parts: "".join(parts).encode("utf-8"))))
def test_random_config_files_raise_only_problems(content: bytes) -> None:
    only_config_problems(content)


@pytest.mark.parametrize(("content", "message"), [
    ("statements: [a]\n", ":1:1: error: found no 'statements' mapping"),
    ("statements:\n  w1: {name: [x], we: y}\n", ":2:14: error: 'name': found a list; expected text"),
    ("statements:\n  w1: 5\n", ":2:7: error: 'w1': found 5; expected a mapping"),
])
def test_a_well_led_file_of_the_wrong_shape_is_located(tmp_path: Path, content: str,
                                                       message: str) -> None:
    path = write(tmp_path, content, name="wellled.yaml")
    with pytest.raises(ProblemsError) as exc:
        load_statements(path)
    assert str(exc.value.problems[0]).startswith(f"{path}{message}")


@pytest.mark.parametrize("content", ["metrics: [a]\n", "metrics: {a: {title: x}}\n", "x: 1\n"])
def test_a_catalogue_of_the_wrong_shape_is_refused_naming_the_file(tmp_path: Path,
                                                                   content: str) -> None:
    path = write(tmp_path, content, name="metrics.yaml")
    with pytest.raises(ProblemsError) as exc:
        load_catalogue(path)
    assert str(exc.value.problems[0]).startswith(f"{path}: error: found a catalogue that cannot "
                                                 "be read")


def test_config_check_reports_the_signing_key_without_making_one(tmp_path: Path) -> None:
    cfg = write(tmp_path, '[reports]\nsigning_key_env = "PACK_KEY"\n', name="config.toml")
    proc = cli(["--config", str(cfg), "config", "check"], cwd=tmp_path)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "reports.signing_key_env: environment variable PACK_KEY is not set" in proc.stderr
    plain = write(tmp_path, '[reports]\ncommittee = "People"\n', name="plain.toml")
    proc = cli(["--config", str(plain), "config", "check"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = " ".join(proc.stdout.split())
    assert "warning: reports.signing_key_env is not set" in text and "config OK" in text
    assert not (tmp_path / "signing-key.pem").exists()  # checking makes no key
