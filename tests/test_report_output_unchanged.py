"""A board report says the same whichever way it is produced: alone (``report board --org``),
in a batch (``report board --all``: the store read once per worker and shared), and with its
charts drawn afresh or taken from the per-process chart cache.

"The same" is every fact a reader gets: each paragraph's text in order, each table cell's
lines, every picture's alt text and title, and every picture's bytes (a chart's data is its
picture). The store is a small one built here (six synthetic trusts, evaluated once), so the
comparison runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assurance import api
from assurance.config import Settings
from assurance.report_context import board_context, load_inputs
from report_support import AS_OF, AT, CODES, document_facts, small_store, store_url_for
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
    charts.clear_cache()  # the forked workers draw every chart afresh
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


def test_a_cached_chart_is_the_chart_drawn_afresh(store: Settings) -> None:
    engine = api.connect(store)
    ctx = board_context(engine, store, org_code="SYN01", as_of=AS_OF)
    engine.dispose()
    colour = ctx.branding.primary_colour
    low, high = ctx.non_adverse_range
    drawers = [lambda: charts.likelihood_chart(ctx.outcomes, low, high, colour),
               lambda: charts.gap_chart(ctx.outcomes, colour),
               lambda: charts.peer_chart(ctx.peers, colour),
               *[lambda v=v: charts.spc_chart(v, colour) for v in ctx.spc],
               *[lambda o=o: charts.trend_chart(o, ctx.organisation.name, colour)
                 for o in ctx.outcomes if sum(p.value is not None for p in o.series) >= 2]]
    drawn = 0
    for draw in drawers:
        charts.clear_cache()
        fresh = draw()
        again = draw()  # from the cache
        charts.clear_cache()
        redrawn = draw()
        if fresh is None:
            assert again is None and redrawn is None
            continue
        drawn += 1
        assert again == fresh and redrawn == fresh
        assert fresh.png.startswith(b"\x89PNG") and fresh.alt
    assert drawn >= 4
