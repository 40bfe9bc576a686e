"""A board report says the same whichever way it is produced, and what it said before the
reports were made fast (issue 17).

* Alone (``report board --org``) and in a batch (``report board --all``: the store read once
  and shared by the workers), and the second report of a process (rule packs, periods and
  templates taken from the per-process caches) as the first: byte-for-byte the same facts,
  chart parts and icons included.
* Against a snapshot (``tests/snapshots/reports-before.json``) of every board and well-led
  document of the six trusts as the code before the speed-up wrote them (e731814, when the
  charts were matplotlib pictures): each paragraph's text in order, each table cell's lines,
  every chart's and icon's title and alt text (the chart's facts in words). The charts
  changed form (native Word charts, :mod:`reports.chartxml`) but not their words; the
  numbers each chart part carries are checked against the context's figures here too.

The snapshot fails when a report's wording or a figure changes on purpose as well: check the
difference it prints, then write the snapshot afresh with ``ASSURANCE_WRITE_SNAPSHOT=1``.
The store is a small one built here (six synthetic trusts, evaluated once), so the
comparison runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from assurance import api
from assurance.config import Settings
from assurance.report_context import board_context, load_inputs
from report_support import (
    AS_OF,
    AT,
    CODES,
    chart_parts,
    document_facts,
    read_snapshot,
    reader_facts,
    small_store,
    store_url_for,
    write_snapshot,
)
from reports import charts
from reports.batch import render_all
from reports.board import build_document


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Settings]:
    """The small store, built once per backend for this module (the tests only render)."""
    folder = tmp_path_factory.mktemp(f"unchanged-{request.param}")
    with store_url_for(request.param, folder) as url:
        yield small_store(url, folder, organisations={"accountable": list(CODES)})


def test_a_batch_report_says_exactly_what_the_single_report_says(store: Settings,
                                                                  tmp_path: Path) -> None:
    engine = api.connect(store)
    single = {c: api.render(engine, store, "board", org_code=c, as_of=AS_OF, actor="test",
                            at=AT, out_path=tmp_path / "single" / f"{c}.docx") for c in CODES}
    engine.dispose()
    result = render_all(store, "board", org_codes=CODES, as_of=AS_OF,
                        out_dir=tmp_path / "batch", actor="test", at=AT, workers=2)
    assert not result.failed, result.failed
    for w in result.written:
        assert w.path is not None
        facts = document_facts(w.path)
        assert any(f.startswith("ALT ") for f in facts)  # charts are compared, not absent
        assert facts == document_facts(single[w.org_code]), w.org_code


def test_shared_inputs_give_the_same_document_as_reading_one_organisation(
        store: Settings, tmp_path: Path) -> None:
    engine = api.connect(store)
    shared = load_inputs(engine, store, as_of=AS_OF, org_codes=None)
    for code in CODES:
        alone = build_document(board_context(engine, store, org_code=code, as_of=AS_OF), store)
        batch = build_document(board_context(engine, store, org_code=code, as_of=AS_OF,
                                             inputs=shared), store)
        alone.save(str(tmp_path / "alone.docx"))
        batch.save(str(tmp_path / "batch.docx"))
        assert document_facts(tmp_path / "batch.docx") == document_facts(
            tmp_path / "alone.docx"), code
    engine.dispose()


SNAPSHOT = "reports-before"


def test_every_document_says_what_it_said_before_the_speed_up(store: Settings,
                                                              tmp_path: Path) -> None:
    engine = api.connect(store)
    now = {f"{c} {kind}": reader_facts(api.render(
        engine, store, kind, org_code=c, as_of=AS_OF, actor="test", at=AT,
        out_path=tmp_path / f"{c}-{kind}.docx")) for c in CODES for kind in ("board", "well-led")}
    engine.dispose()
    if os.environ.get("ASSURANCE_WRITE_SNAPSHOT") == "1":
        write_snapshot(SNAPSHOT, now)
    before = read_snapshot(SNAPSHOT)
    assert sorted(now) == sorted(before)
    for key, facts in now.items():
        assert any(f.startswith("ALT ") for f in facts) or "well-led" in key
        diff = "\n".join(difflib.unified_diff(before[key], facts, "before", "now", n=1,
                                               lineterm=""))
        assert facts == before[key], f"{key}:\n{diff[:4000]}"


def test_each_chart_carries_the_figures_of_the_context_it_was_drawn_from(
        store: Settings, tmp_path: Path) -> None:
    engine = api.connect(store)
    ctx = board_context(engine, store, org_code="SYN01", as_of=AS_OF)
    path = api.render(engine, store, "board", org_code="SYN01", as_of=AS_OF, actor="test",
                      at=AT, out_path=tmp_path / "SYN01.docx")
    engine.dispose()
    drawn = {c.title.replace("\n", " "): c for c in chart_parts(path)}
    rl = drawn["Relative likelihoods with 95% confidence intervals"]
    ratios = {o.metric_label: o.figure.value for o in ctx.outcomes
              if o.figure is not None and o.figure.unit == "ratio"}
    assert dict(zip(rl.categories, rl.series["Relative likelihood"], strict=True)) == ratios
    for v in ctx.spc:
        spc = drawn[f"SPC: {v.title}"]
        assert spc.series["Monthly values"] == [p.value for p in v.points]
        assert spc.series["Process limits"] == [p.upl for p in v.points]
        assert spc.series["Lower process limit"] == [p.lpl for p in v.points]
    trends = [c for t, c in drawn.items() if not t.startswith(("SPC", "Relative", "NHS"))]
    assert len(trends) >= 2
    for c in trends:
        o = next(o for o in ctx.outcomes if f"{o.metric_label}{o.breakdown}" == c.title
                 and [p.label for p in o.series if p.value is not None] == c.categories)
        shown = [p for p in o.series if p.value is not None]
        assert c.series[o.series_label or o.metric_label] == [p.value for p in shown]
        if o.reference_label and any(p.reference is not None for p in shown):
            assert c.series[o.reference_label] == [p.reference for p in shown]


def test_a_chart_is_the_same_bytes_each_time_it_is_written(store: Settings) -> None:
    engine = api.connect(store)
    ctx = board_context(engine, store, org_code="SYN01", as_of=AS_OF)
    engine.dispose()
    colour = ctx.branding.primary_colour
    low, high = ctx.non_adverse_range
    rls = charts.likelihood_charts(ctx.outcomes, low, high, colour)
    drawers = [*[lambda k=k: charts.likelihood_charts(ctx.outcomes, low, high, colour)[k]
                 for k in range(len(rls))],
               lambda: charts.gap_chart(ctx.outcomes, colour),
               lambda: charts.peer_chart(ctx.peers, colour),
               *[lambda v=v: charts.spc_chart(v, colour) for v in ctx.spc],
               *[lambda o=o: charts.trend_chart(o, ctx.organisation.name, colour)
                 for o in ctx.outcomes if sum(p.value is not None for p in o.series) >= 2]]
    drawn = 0
    for draw in drawers:
        first, again = draw(), draw()
        if first is None:
            assert again is None
            continue
        drawn += 1
        assert again == first and first.part.startswith(b"<?xml") and first.alt
    assert drawn >= 4
