"""``benchmark``: worse than the organisation's peer group.

What it does: compares this period's figure with the figures of every organisation in the
same Staff Survey benchmarking group (acute, mental health, community, ambulance …; kept from
the published file) and breaches when it is worse than the peer ``median`` by more than
``margin``, or — with ``against: worst_quartile`` — falls in the worst quarter of its peers.
Quartiles use the inclusive method (statistics.quantiles, method="inclusive").

Why it matters: the CQC and NHS England regions compare like with like; "worse than most
trusts like us" is a question a well-led board must be able to answer.

Example::

    when: {benchmark: {against: median, margin: 2.0}}
    when: {benchmark: {against: worst_quartile, min_peers: 8}}

Options: ``against`` (``median`` | ``worst_quartile``), ``margin`` (default 0, metric units),
``min_peers`` (default 5: fewer peers with data is reported as no data), ``breakdown``.

Known limitations: the organisation itself is included among its peers, as in NHS England's
benchmark reports; organisations without a benchmarking group (synthetic ones without one,
or those missing from the survey file) cannot be compared.

References: domain.md §3, §10; NHS Staff Survey benchmark reports.
"""

from __future__ import annotations

import statistics
from typing import Any

from assurance.engine.conditions.base import (
    Condition,
    EvalContext,
    FactSpec,
    ParseContext,
    Verdict,
    beyond,
    fmt_value,
    higher_is_worse,
    usable_figure,
    verdict,
)
from assurance.engine.conditions.common import Breakdown, breakdown, describe_breakdown, params
from assurance.engine.yamlsrc import Pos

KIND = "benchmark"


class Benchmark(Condition):
    kind = KIND
    per_division = False  # peers are organisations, not divisions
    facts = {
        "peer_group": FactSpec("Peer group", "parameter", "text"),
        "peers": FactSpec("Peers", "parameter", "count"),
        "median": FactSpec("Peer median", "statistic"),
        "q1": FactSpec("Peer lower quartile", "statistic"),
        "q3": FactSpec("Peer upper quartile", "statistic"),
        "rank_worse_than": FactSpec("Peers it is worse than", "statistic", "count"),
    }

    def __init__(self, against: str, margin: float, min_peers: int, unit: str, bd: Breakdown,
                 higher_worse: bool):
        self.against, self.margin, self.min_peers = against, margin, min_peers
        self.unit, self.breakdown, self.higher_worse = unit, bd, higher_worse

    def describe(self) -> str:
        worse = "higher" if self.higher_worse else "lower"
        if self.against == "median":
            text = f"the figure{describe_breakdown(self.breakdown)} is {worse} than its peer " \
                   "group's median"
            if self.margin:
                pts = "percentage points" if self.unit == "percent" else "points"
                text += f" by more than {self.margin:g} {pts}"
            return text
        return f"the figure{describe_breakdown(self.breakdown)} is in the worst quarter of its " \
               "peer group"

    def evaluate(self, ctx: EvalContext) -> Verdict:
        fig = usable_figure(ctx, self.breakdown)
        if isinstance(fig, Verdict):
            return fig
        assert fig.value is not None and ctx.period is not None
        peers = ctx.data.peers(ctx.metric.id, ctx.org.code, ctx.period, self.breakdown)
        group = ctx.org.benchmark_group or "none"
        if len(peers) < self.min_peers:
            return Verdict("no_data", f"Only {len(peers)} organisation"
                           f"{'' if len(peers) == 1 else 's'} in the benchmarking "
                           f"group '{group}' have this figure; at least {self.min_peers} are "
                           "needed.", figure=fig, period=fig.period_key)
        values = sorted(p.value for p in peers if p.value is not None)
        median = statistics.median(values)
        q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
        facts: dict[str, Any] = {"peer_group": group, "peers": len(values), "median": median,
                                 "q1": q1, "q3": q3}
        f = lambda v: fmt_value(v, self.unit)  # noqa: E731
        where = (f"{f(fig.value)} against a peer median of {f(median)} (quartiles {f(q1)} to "
                 f"{f(q3)}, {len(values)} organisations in '{group}')")
        if self.against == "median":
            worse_by = (fig.value - median) if self.higher_worse else (median - fig.value)
            breach = beyond(worse_by, self.margin)
        else:
            breach = fig.value > q3 if self.higher_worse else fig.value < q1
        facts["rank_worse_than"] = sum(1 for v in values if (
            v < fig.value if self.higher_worse else v > fig.value))
        return verdict("breach" if breach else "ok",
                       ("Worse than peers: " if breach else "Not worse than peers: ") + where
                       + ".", ctx, fig, self.breakdown, **facts)


def parse(spec: Any, pos: Pos, pc: ParseContext) -> Condition | None:
    p = params(spec, pos, pc, KIND, ("against", "margin", "min_peers"))
    if p is None or pc.metric is None:
        return None
    m = pc.metric
    against = pc.chk.choice(p, "against", ("median", "worst_quartile"), "median") or "median"
    min_peers = pc.chk.integer(p, "min_peers", 5, minimum=2) or 5
    return Benchmark(against, pc.chk.number(p, "margin", 0.0) or 0.0, min_peers, m.unit,
                     breakdown(p, pc), higher_is_worse(m))
