"""What a process keeps between reports is kept only while it is still true.

Rule packs are parsed once per process and the period list is read once per store state
(:mod:`assurance.rulepacks`, :mod:`assurance.report_context.inputs`); these tests change the
thing each depends on — a pack file, the store's figures — within one process and check the
next report sees the change, and that an unchanged one is reused rather than read again.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from assurance import api
from assurance.config import Settings, parse_settings
from assurance.problems import ProblemsError
from assurance.report_context import load_inputs
from report_support import AS_OF, AT, CODES, small_store

MONTHLY = "recruit.bme_appointed_share"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    folder = tmp_path_factory.mktemp("caches")
    yield small_store(f"sqlite:///{folder / 'store.db'}", folder,
                      organisations={"accountable": list(CODES)})


def _with_rules(folder: Path, pack: Path) -> Settings:
    return parse_settings({"rules": {"paths": [str(pack)]}}, base_dir=folder, where="<test>",
                          env={})


PACK = """version: 1
pack: extra
title: Extra board rules
rules:
  - id: {id}
    title: No voting board member is BME
    metric: wres.9
    when: {{equals: {{value: 0, breakdown: board_voting}}}}
    severity: high
    why: A board with no BME voting member cannot reflect the workforce it leads.
    action: The nominations committee to set out how the next appointments will change this.
"""


def test_rule_packs_are_parsed_once_and_again_when_a_pack_file_changes(tmp_path: Path) -> None:
    pack = tmp_path / "extra.yaml"
    pack.write_text(PACK.format(id="extra.no-bme"), encoding="utf-8")
    settings = _with_rules(tmp_path, pack)
    first = api.load_rules(settings)
    again = api.load_rules(settings)
    assert [id(p) for p in again] == [id(p) for p in first]  # reused, not parsed again
    extra = next(p for p in first if p.path == pack)
    assert [r.id for r in extra.rules] == ["extra.no-bme"]
    pack.write_text(PACK.format(id="extra.edited"), encoding="utf-8")
    st = pack.stat()
    os.utime(pack, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # even on a coarse clock
    edited = next(p for p in api.load_rules(settings) if p.path == pack)
    assert [r.id for r in edited.rules] == ["extra.edited"]
    pack.unlink()  # a pack removed is no longer in force
    assert all(p.path != pack for p in api.load_rules(_with_rules(tmp_path, tmp_path)))


def test_a_broken_pack_is_reported_every_time_it_is_loaded(tmp_path: Path) -> None:
    pack = tmp_path / "broken.yaml"
    pack.write_text("pack: broken\nrules: [ {id: x\n", encoding="utf-8")
    settings = _with_rules(tmp_path, pack)
    for _ in range(2):
        with pytest.raises(ProblemsError, match="broken.yaml"):
            api.load_rules(settings)


def test_a_new_import_gives_the_next_report_the_new_periods(store: Settings,
                                                           tmp_path: Path) -> None:
    engine = api.connect(store)
    before = load_inputs(engine, store, as_of=AS_OF, org_codes=["SYN02"]).view.periods(MONTHLY)
    assert before[-1] == "month:2025-03"
    again = load_inputs(engine, store, as_of=AS_OF, org_codes=["SYN02"]).view.periods(MONTHLY)
    assert again == before
    # Another trust reports April: SYN02's report must now see April as the latest month.
    extra = tmp_path / "april.csv"
    extra.write_text("org_code,period,metric,group,breakdown,numerator,denominator,value,note\n"
                     f"SYN01,month:2025-04,{MONTHLY},bme,,9,70,,\n", encoding="utf-8")
    api.import_file(engine, store, extra, actor="test", at=AT, source="metrics_csv")
    after = load_inputs(engine, store, as_of=AS_OF, org_codes=["SYN02"]).view.periods(MONTHLY)
    engine.dispose()
    assert after == [*before, "month:2025-04"]
