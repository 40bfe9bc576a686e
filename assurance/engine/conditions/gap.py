"""``gap``: the focus group fares worse than the reference group by more than a margin.

What it does: for figures published per group (Staff Survey based WRES 5–8, WDES 4–9a),
breaches when the focus group (BME, Disabled) is worse off than the reference group (White,
non-disabled) by more than ``max``: in percentage points (``unit: pp``, the default), or as a
ratio (``unit: ratio``) of the likelihood of the adverse answer — e.g. BME staff twice as
likely **not** to believe the organisation offers equal opportunities:
(100 − BME %) ÷ (100 − White %). With ``significant: true`` a two-proportion z test on the
groups' percentages and bases must also give p < ``alpha``; a gap beyond ``max`` that the
test cannot tell from chance is ``outside`` (not significant), never ``ok``.

Why it matters: the reviews name exactly these gaps; the board should see the two groups'
figures side by side and whether the difference is beyond chance.

Example::

    when: {gap: {max: 5}}                          # WRES 7: BME 5+ points below White
    when: {gap: {max: 1.5, unit: ratio}}

Options: ``max`` (required), ``unit`` (``pp`` | ``ratio``), ``significant`` (default false),
``alpha`` (0.05), ``breakdown``.

Known limitations: survey percentages are weighted; the test uses the published base as the
sample size, which ignores the design effect of weighting (slightly anti-conservative).

References: domain.md §1 (WRES 5–8), §2 (WDES 4–9a), §5.
"""

from __future__ import annotations

from typing import Any

from assurance.engine.conditions.base import (
    Condition,
    EvalContext,
    FactSpec,
    ParseContext,
    Verdict,
    beyond,
    usable_figure,
    verdict,
)
from assurance.engine.conditions.common import (
    MEASURE,
    MEASURED,
    P_VALUE,
    Breakdown,
    breakdown,
    describe_breakdown,
    params,
)
from assurance.engine.yamlsrc import Pos
from assurance.stats import two_proportion_z_test

KIND = "gap"


class Gap(Condition):
    kind = KIND
    facts = {
        "focus_value": FactSpec("Focus group value", "derived"),
        "reference_value": FactSpec("Reference group value", "derived"),
        "adverse_gap": FactSpec("Adverse gap", "derived", "percentage_points"),
        "measured": MEASURED,  # the adverse gap, or the ratio with unit: ratio
        "measure": MEASURE,  # "gap" or "ratio": how the measured figure is worded
        "p_value": P_VALUE,
    }

    def __init__(self, maximum: float, unit: str, significant: bool, alpha: float,
                 focus_higher_worse: bool, value_unit: str, labels: tuple[str, str],
                 bd: Breakdown):
        self.max, self.unit, self.significant, self.alpha = maximum, unit, significant, alpha
        self.focus_higher_worse, self.value_unit = focus_higher_worse, value_unit
        self.labels, self.breakdown = labels, bd

    def describe(self) -> str:
        f, r = self.labels
        worse = "higher" if self.focus_higher_worse else "lower"
        if self.unit == "ratio":
            text = (f"{f} staff are more than {self.max:g} times as likely as {r} staff to give "
                    "the adverse answer")
        else:
            pts = "points" if self.value_unit == "score" else "percentage points"
            text = f"the figure for {f} staff is more than {self.max:g} {pts} {worse} than for {r} staff"
        if self.significant:
            text += f", and the difference is statistically significant (p < {self.alpha:g})"
        return text + describe_breakdown(self.breakdown)

    def evaluate(self, ctx: EvalContext) -> Verdict:
        fig = usable_figure(ctx, self.breakdown)
        if isinstance(fig, Verdict):
            return fig
        fg, rg = fig.focus, fig.reference
        if fg is None or rg is None or fg.value is None or rg.value is None:
            return Verdict("not_calculable", "Both groups' figures are needed for a gap.",
                           figure=fig, period=fig.period_key)
        adverse_gap = (fg.value - rg.value) if self.focus_higher_worse else (rg.value - fg.value)
        facts: dict[str, Any] = {"focus_value": fg.value, "reference_value": rg.value,
                                 "adverse_gap": adverse_gap}
        if self.unit == "ratio":
            fa = fg.value if self.focus_higher_worse else 100 - fg.value
            ra = rg.value if self.focus_higher_worse else 100 - rg.value
            if ra <= 0:
                return Verdict("not_calculable", "The reference group's adverse share is 0, so "
                               "the ratio would divide by zero.", figure=fig,
                               period=fig.period_key)
            measured = fa / ra
            shown = f"{measured:.2f} times"
        else:
            measured = adverse_gap
            shown = f"{adverse_gap:.1f} points"
        facts["measured"], facts["measure"] = measured, "ratio" if self.unit == "ratio" else "gap"
        sym = "%" if self.value_unit == "percent" else ""
        pair = (f"{self.labels[0]} {fg.value:.1f}{sym} vs {self.labels[1]} {rg.value:.1f}{sym}")
        if not beyond(measured, self.max):
            return verdict("ok", f"{pair}: gap {shown}, within {self.max:g}.", ctx, fig,
                           self.breakdown, movement_measure="gap", **facts)
        if self.significant:
            if not (fg.denominator and rg.denominator and self.value_unit == "percent"):
                return verdict("not_calculable", f"{pair}: gap {shown}, but without response "
                               "bases it cannot be tested.", ctx, fig, self.breakdown,
                               movement_measure="gap", **facts)
            t = two_proportion_z_test(round(fg.value / 100 * fg.denominator), fg.denominator,
                                      round(rg.value / 100 * rg.denominator), rg.denominator)
            if t is not None:
                facts["p_value"] = t.p_value
                if t.p_value >= self.alpha:
                    return verdict("outside", f"{pair}: gap {shown}, more than {self.max:g}, "
                                   f"but it could be chance (p = {t.p_value:.2f}): not "
                                   "statistically significant.", ctx, fig, self.breakdown,
                                   movement_measure="gap", **facts)
        return verdict("breach", f"{pair}: gap {shown}, more than {self.max:g}.", ctx, fig,
                       self.breakdown, movement_measure="gap", **facts)


def parse(spec: Any, pos: Pos, pc: ParseContext) -> Condition | None:
    p = params(spec, pos, pc, KIND, ("max", "unit", "significant", "alpha"), required=("max",))
    if p is None or pc.metric is None:
        return None
    m = pc.metric
    if m.reference is None or m.kind not in ("group_percent", "group_score"):
        pc.chk.error(p.pos, f"'gap' compares two groups; {m.id} ({m.kind}) has no reference "
                     "group published per group")
        return None
    unit = pc.chk.choice(p, "unit", ("pp", "ratio"), "pp") or "pp"
    if unit == "ratio" and m.unit != "percent":
        pc.chk.error(p.value_pos["unit"], "unit: ratio needs a percentage metric")
    maximum = pc.chk.number(p, "max")
    if maximum is None:
        return None
    if maximum < 0:
        pc.chk.error(p.value_pos["max"], "max must be 0 or more")
    labels = (pc.catalogue.group_label(m.characteristic, m.focus or ""),
              pc.catalogue.group_label(m.characteristic, m.reference))
    return Gap(maximum, unit, pc.chk.boolean(p, "significant"),
               pc.chk.number(p, "alpha", 0.05) or 0.05, m.adverse != "focus_lower", m.unit,
               labels, breakdown(p, pc))
