"""The figure makers (issue 17): built once per metric and breakdown, reading only the groups
a figure needs, they give exactly the figures the straightforward per-row code gave — held
here as the oracle — on every kind of row (counts, values only, suppressed, several
breakdowns, groups repeated across bands); and evaluation leaves the garbage collector as it
found it."""

from __future__ import annotations

import dataclasses
import gc
import inspect
import random
import re
from collections.abc import Sequence
from datetime import date

import pytest

from assurance.catalogue import Catalogue, MetricDef, load_catalogue
from assurance.collector import paused
from assurance.engine.data import DataView, MetricData, OrgInfo
from assurance.engine.figures import (
    Figure,
    GroupValue,
    Obs,
    _not,
    _outcome,
    _picked,
    _proportion_se,
    _share,
    compute,
    figure_maker,
)
from assurance.stats import relative_likelihood
from assurance.stats.proportions import proportion_counts


def _by_group_oracle(rows: Sequence[Obs], breakdown: str | Sequence[str]) -> dict[str, GroupValue]:
    """The grouping as it was written before the makers (one dict of every group)."""
    wanted = {breakdown} if isinstance(breakdown, str) else set(breakdown)
    num: dict[str, int] = {}
    den: dict[str, int] = {}
    last: dict[str, Obs] = {}
    for r in rows:
        if r.breakdown not in wanted:
            continue
        g = r.group
        if r.numerator is not None and r.denominator is not None:
            num[g] = num.get(g, 0) + r.numerator
            den[g] = den.get(g, 0) + r.denominator
        last[g] = r
    return {g: GroupValue(g, g, None, num[g], den[g]) if g in num else
            GroupValue(g, g, r.value, r.numerator, r.denominator, r.suppressed)
            for g, r in last.items()}


def _random_rows(rng: random.Random, groups: Sequence[str], breakdowns: Sequence[str]
                 ) -> list[Obs]:
    rows = []
    for _ in range(rng.randint(0, 12)):
        kind = rng.random()
        den = rng.randint(0, 60)
        if kind < 0.6:  # counts
            rows.append(Obs(rng.choice(groups), rng.choice(breakdowns), None,
                            rng.randint(0, den), den, False, None, "m"))
        elif kind < 0.8:  # a published value only
            rows.append(Obs(rng.choice(groups), rng.choice(breakdowns),
                            round(rng.uniform(0, 100), 1), None, rng.choice([None, den]),
                            False, None, "m"))
        else:  # suppressed
            rows.append(Obs(rng.choice(groups), rng.choice(breakdowns), None, None, None, True,
                            None, "m"))
    return rows


def test_picked_groups_equal_the_per_row_grouping_restricted_to_the_groups_named() -> None:
    rng = random.Random(17)
    groups, breakdowns = ("white", "bme", "unknown", "other"), ("", "band:5", "band:6", "vsm")
    for _ in range(3000):
        rows = _random_rows(rng, groups, breakdowns)
        bd: str | tuple[str, ...] = rng.choice(
            [*breakdowns, ("band:5", "band:6"), ("band:6", "vsm", "")])
        labels = {g: g.upper() for g in rng.sample(groups, rng.randint(1, 3))}
        want = {g: v._replace(label=labels[g]) for g, v in _by_group_oracle(rows, bd).items()
                if g in labels}
        assert _picked(rows, bd, labels) == want


def _label(cat: Catalogue, m: MetricDef, g: GroupValue | None) -> GroupValue | None:
    return None if g is None else g._replace(label=cat.group_label(m.characteristic, g.group))


def _rl_oracle(cat: Catalogue, m: MetricDef, org: str, period: str, rows: Sequence[Obs],
               breakdown: str | Sequence[str], confidence: float = 0.95) -> Figure:
    """fig_relative_likelihood as it was written before the makers."""
    g = _by_group_oracle(rows, breakdown)
    focus, ref = _label(cat, m, g.get(m.focus or "")), _label(cat, m, g.get(m.reference or ""))
    unknown = _label(cat, m, g.get("unknown"))
    if focus is None or ref is None or focus.numerator is None or ref.numerator is None:
        return _not(m, org, period, "counts for both groups are needed", focus=focus,
                    reference=ref)
    noun = "applicants" if "shortlist" in str((m.counts or {}).get("denominator", "")) else "staff"
    rl = relative_likelihood(focus.numerator, focus.denominator or 0, ref.numerator,
                             ref.denominator or 0, confidence, focus_label=f"{focus.label} {noun}",
                             reference_label=f"{ref.label} {noun}", outcome=_outcome(m))
    focus = _share(focus, focus.denominator)
    ref = _share(ref, ref.denominator)
    if not rl.calculable:
        return _not(m, org, period, rl.reason or "not calculable", rl=rl, focus=focus,
                    reference=ref, unknown=unknown)
    ci = (rl.ci_low, rl.ci_high) if rl.ci_low is not None and rl.ci_high is not None else None
    return Figure(m.id, org, period, m.unit, rl.value, se=rl.log_se, ci=ci, rl=rl, focus=focus,
                  reference=ref, unknown=unknown)


def _group_value_oracle(cat: Catalogue, m: MetricDef, org: str, period: str,
                        rows: Sequence[Obs], breakdown: str | Sequence[str],
                        confidence: float = 0.95) -> Figure:
    """fig_group_value as it was written before the makers."""
    g = _by_group_oracle(rows, breakdown)
    focus, ref = _label(cat, m, g.get(m.focus or "")), _label(cat, m, g.get(m.reference or ""))
    if focus is None or focus.value is None:
        why = "suppressed (fewer than 10 responses)" if focus and focus.suppressed else (
            f"no figure for {cat.group_label(m.characteristic, m.focus or '')} staff")
        return _not(m, org, period, why, focus=focus, reference=ref)
    se = _proportion_se(focus.value, focus.denominator) if m.unit == "percent" else None
    z = 1.959963984540054
    ci = (focus.value - z * se, focus.value + z * se) if se is not None else None
    return Figure(m.id, org, period, m.unit, focus.value, se=se, ci=ci, focus=focus,
                  reference=ref)


def _monthly_oracle(cat: Catalogue, m: MetricDef, org: str, period: str, rows: Sequence[Obs],
                    breakdown: str | Sequence[str], confidence: float = 0.95) -> Figure:
    """fig_monthly_rate as it was written before the makers."""
    g = _by_group_oracle(rows, breakdown)
    focus = _share(_label(cat, m, g.get(m.focus or "all")), None)
    if focus is None or focus.numerator is None or not focus.denominator:
        return _not(m, org, period, "no counts for this month")
    value = 100.0 * focus.numerator / focus.denominator
    return Figure(m.id, org, period, m.unit, value, se=_proportion_se(value, focus.denominator),
                  focus=GroupValue(focus.group, focus.label, value, focus.numerator,
                                   focus.denominator), count=focus.numerator)


ORACLES = {"relative_likelihood": _rl_oracle, "group_percent": _group_value_oracle,
           "group_score": _group_value_oracle, "percent": _group_value_oracle,
           "monthly_rate": _monthly_oracle}


@pytest.mark.parametrize("kind", sorted(ORACLES))
def test_a_maker_gives_the_figure_the_per_row_code_gave_for_every_row_shape(kind: str) -> None:
    cat = load_catalogue()
    metrics = [m for m in cat.metrics.values() if m.kind == kind]
    assert metrics, kind
    rng = random.Random(kind)
    checked = 0
    for m in metrics[:4]:
        groups = [g for g in (m.focus, m.reference, "unknown", "all") if g] + ["other"]
        bds = ["", "band:5", "vsm"]
        for bd in ("", "band:5", ("band:5", "vsm")):
            make = figure_maker(cat, m, bd)
            for i in range(200):
                rows = _random_rows(rng, groups, bds)
                try:
                    want = ORACLES[kind](cat, m, f"O{i}", "wres:2025", rows, bd)
                except (TypeError, ValueError) as exc:
                    with pytest.raises(type(exc), match=re.escape(str(exc))):
                        make(f"O{i}", "wres:2025", rows)
                    continue
                assert make(f"O{i}", "wres:2025", rows) == want
                assert compute(cat, m, f"O{i}", "wres:2025", rows, bd) == want
                checked += want.calculable
    assert checked > 20  # calculable figures were compared, not only refusals


def test_the_relative_likelihood_fast_path_matches_the_checked_path() -> None:
    rng = random.Random(2)
    for _ in range(5000):
        n1, n2 = rng.randint(0, 500), rng.randint(0, 500)
        a, c = rng.randint(0, n1), rng.randint(0, n2)
        fast = relative_likelihood(a, n1, c, n2, 0.95, focus_label="F", reference_label="R")
        # The same counts as a type the quick check does not take (an int subclass that is
        # not bool): the full checks run and must give the same result.
        slow = relative_likelihood(_Int(a), _Int(n1), _Int(c), _Int(n2), 0.95,
                                   focus_label="F", reference_label="R")
        assert fast == slow
        assert proportion_counts(a, n1, "F") == (a, n1)
    with pytest.raises(ValueError, match="F numerator \\(3\\) is greater"):
        relative_likelihood(3, 2, 1, 2, focus_label="F")
    with pytest.raises(TypeError, match="boolean"):
        relative_likelihood(True, 2, 1, 2)


class _Int(int):
    pass


def test_series_reads_cached_figures_and_computes_the_rest_alike() -> None:
    cat = load_catalogue()
    rows = {"SYT01": {f"wres:{y}": [Obs("white", "", None, 30 + y % 7, 100, False, None,
                                        "wres.2"),
                                    Obs("bme", "", None, 20, 80, False, None, "wres.2")]
                      for y in range(2018, 2026)}}
    data = {"wres.2": MetricData(cat["wres.2"], rows)}
    orgs = {"SYT01": OrgInfo("SYT01", "Trust", None, True)}
    view = DataView(cat, data, orgs, date(2025, 6, 1))
    first = view.figure("wres.2", "SYT01", "wres:2020")  # one cached before the series
    series = view.series("wres.2", "SYT01")
    fresh = DataView(cat, data, orgs, date(2025, 6, 1)).series("wres.2", "SYT01")
    assert series == fresh and len(series) == 8
    assert series[2] is first


def test_evaluation_leaves_the_garbage_collector_as_it_found_it() -> None:
    assert gc.isenabled()
    with paused():
        assert not gc.isenabled()
        with paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves it to the outer
    assert gc.isenabled()
    gc.disable()
    try:
        with paused():
            pass
        assert not gc.isenabled()  # off before, off after
    finally:
        gc.enable()
    with pytest.raises(RuntimeError), paused():
        raise RuntimeError("a failing evaluation")
    assert gc.isenabled()


def test_a_figure_is_built_with_exactly_its_declared_fields_and_stays_frozen() -> None:
    fields = dataclasses.fields(Figure)
    params = list(inspect.signature(Figure.__init__).parameters.values())[1:]
    assert [p.name for p in params] == [f.name for f in fields]
    for p, f in zip(params, fields, strict=True):
        if f.default is not dataclasses.MISSING:
            assert p.default == f.default, f.name
        elif f.default_factory is not dataclasses.MISSING:
            assert p.default is None, f.name  # None: a fresh one per figure
        else:
            assert p.default is inspect.Parameter.empty, f.name
    fig = Figure("wres.2", "SYT01", "wres:2025", "ratio", 1.2, se=0.1)
    assert vars(fig) == {f.name: getattr(fig, f.name) for f in fields}
    assert fig.extra == {} and fig.extra is not Figure("m", "o", "p", "ratio", 1.0).extra
    assert dataclasses.replace(fig, value=1.3) == Figure("wres.2", "SYT01", "wres:2025",
                                                         "ratio", 1.3, se=0.1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fig.value = 2.0  # type: ignore[misc]
