"""From stored counts to the figure a rule judges: one function per metric kind.

A :class:`Figure` always carries what decided it — the groups' counts, the interval, whether
it could be calculated and why not — so a board paper can show the number, its uncertainty
and its provenance side by side. Relative likelihoods are computed here from counts, never
stored (domain.md §4).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from assurance.catalogue import Catalogue, MetricDef
from assurance.periods import period_year
from assurance.stats import RelativeLikelihood, relative_likelihood, wilson_interval


class Obs(NamedTuple):
    """One current stored observation, as the engine needs it (no ORM object; a tuple, as
    hundreds of thousands are built per evaluation)."""

    group: str
    breakdown: str
    value: float | None
    numerator: int | None
    denominator: int | None
    suppressed: bool
    note: str | None
    metric: str = ""


class GroupValue(NamedTuple):
    """One group's counts or value behind a figure."""

    group: str
    label: str
    value: float | None  # percent, score or share in the metric's unit
    numerator: int | None = None
    denominator: int | None = None
    suppressed: bool = False


@dataclass(frozen=True, init=False)
class Figure:
    """The figure for one metric, organisation and period."""

    metric: str
    org_code: str
    period_key: str
    unit: str
    value: float | None
    calculable: bool = True
    reason: str | None = None
    se: float | None = None  # standard error of value (of ln value for ratios)
    ci: tuple[float, float] | None = None
    rl: RelativeLikelihood | None = None
    focus: GroupValue | None = None
    reference: GroupValue | None = None
    unknown: GroupValue | None = None
    count: int | None = None  # focus-group head count where the metric has one
    declaration_rate: float | None = None
    note: str | None = None
    extra: Mapping[str, float | None] = field(default_factory=dict)

    def __init__(self, metric: str, org_code: str, period_key: str, unit: str,
                 value: float | None, calculable: bool = True, reason: str | None = None,
                 se: float | None = None, ci: tuple[float, float] | None = None,
                 rl: RelativeLikelihood | None = None, focus: GroupValue | None = None,
                 reference: GroupValue | None = None, unknown: GroupValue | None = None,
                 count: int | None = None, declaration_rate: float | None = None,
                 note: str | None = None, extra: Mapping[str, float | None] | None = None
                 ) -> None:
        # The generated __init__ of a frozen dataclass sets each field through
        # object.__setattr__, which made building a figure cost as much as computing it
        # (over 80,000 are built nationally); the fields are set at once instead, exactly as
        # declared above (a test holds this signature to the fields).
        self.__dict__.update(
            metric=metric, org_code=org_code, period_key=period_key, unit=unit, value=value,
            calculable=calculable, reason=reason, se=se, ci=ci, rl=rl, focus=focus,
            reference=reference, unknown=unknown, count=count,
            declaration_rate=declaration_rate, note=note,
            extra={} if extra is None else extra)

    @property
    def gap(self) -> float | None:
        """Focus minus reference (percentage points or score points)."""
        if self.focus is None or self.reference is None:
            return None
        if self.focus.value is None or self.reference.value is None:
            return None
        return self.focus.value - self.reference.value

    def counts(self) -> dict[str, tuple[int | None, int | None]]:
        """Group → (numerator, denominator), for tables and disclosure control."""
        return {g.group: (g.numerator, g.denominator)
                for g in (self.focus, self.reference, self.unknown) if g is not None}


Maker = Callable[[str, str, Sequence[Obs]], Figure]
"""One metric and breakdown's figure from an organisation, a period and its rows."""


def fmt_value(value: float | None, unit: str) -> str:
    """A figure as a board member reads it: ``1.62``, ``34.5%``, ``-3.2 pp``, ``6.8``."""
    if value is None:
        return "not available"
    if unit == "ratio":
        return f"{value:.2f}"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "percentage_points":
        return f"{value:+.1f} pp"
    if unit == "score":
        return f"{value:.2f}"
    if unit == "yes_no":
        return "yes" if value >= 0.5 else "no"
    if unit == "p_value":  # three decimals below 0.1, so 0.0499 never reads as 0.05
        return "< 0.001" if value < 0.001 else f"{value:.3f}" if value < 0.1 else f"{value:.2f}"
    if unit == "count":
        return f"{value:,.0f}"
    return plain_number(value)


def plain_number(value: float) -> str:
    """A number without a unit as people read it: a whole number as it is (years and codes
    too, so no thousands separator), others to 2 decimal places, or 2 significant figures
    when smaller than 0.01 (``28.08``, ``-0.07``, ``0.0031``)."""
    if float(value).is_integer():
        return f"{value:.0f}"
    if abs(value) < 0.01:
        return f"{value:.2g}"
    return f"{value:.2f}"


def p_text(p: float) -> str:
    """A p-value as people read it: ``p < 0.001``, ``p = 0.003``, ``p = 0.81``."""
    text = fmt_value(p, "p_value")
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def headline(fig: Figure) -> str:
    """One line: value, interval and the counts that decided it."""
    if not fig.calculable:
        return f"not calculable: {fig.reason}"
    text = fmt_value(fig.value, fig.unit)
    if fig.ci is not None:
        text += f" (95% CI {fmt_value(fig.ci[0], fig.unit)} to {fmt_value(fig.ci[1], fig.unit)})"
    parts = []
    for g in (fig.focus, fig.reference):
        if g is None:
            continue
        if g.numerator is not None and g.denominator is not None:
            parts.append(f"{g.label} {g.numerator:,}/{g.denominator:,}")
        elif g.value is not None and fig.unit != "percent":
            parts.append(f"{g.label} {g.value:.1f}" + (
                "%" if fig.unit == "percentage_points" else ""))
        elif g.value is not None:
            parts.append(f"{g.label} {g.value:.1f}%")
    if parts:
        text += "; " + ", ".join(parts)
    return text


def _by_group(rows: Sequence[Obs], breakdown: str | Sequence[str]) -> dict[str, GroupValue]:
    """:func:`_picked` for every group of the breakdown, each labelled by its code."""
    return _picked(rows, breakdown, {r[0]: r[0] for r in rows})


def _picked(rows: Sequence[Obs], breakdown: str | Sequence[str], labels: Mapping[str, str]
            ) -> dict[str, GroupValue]:
    """Sum numerators/denominators per group named in ``labels``, over one breakdown or a set
    of them, each group with its label (a group without counts keeps its last row's value)."""
    wanted = (breakdown,) if isinstance(breakdown, str) else frozenset(breakdown)
    num: dict[str, int] = {}
    den: dict[str, int] = {}
    last: dict[str, Obs] = {}
    for r in rows:  # the hot loop of every figure: fields by position, no attribute look-ups
        g = r[0]
        if r[1] not in wanted or g not in labels:
            continue
        n, d = r[3], r[4]
        if n is not None and d is not None:
            if g in num:
                num[g] += n
                den[g] += d
            else:
                num[g], den[g] = n, d
        last[g] = r
    return {g: GroupValue(g, labels[g], None, num[g], den[g]) if g in num else
            GroupValue(g, labels[g], r.value, r.numerator, r.denominator, r.suppressed)
            for g, r in last.items()}


def _share(g: GroupValue | None, total: int | None) -> GroupValue | None:
    if g is None or g.numerator is None or not total:
        return g
    return GroupValue(g.group, g.label, 100.0 * g.numerator / total, g.numerator, total)


def _proportion_se(p: float, n: int | None) -> float | None:
    if not n:
        return None
    return 100.0 * math.sqrt(max(p / 100 * (1 - p / 100), 0.0) / n)


def _not(m: MetricDef, org: str, period: str, reason: str, **kw: object) -> Figure:
    return Figure(m.id, org, period, m.unit, None, calculable=False, reason=reason, **kw)  # type: ignore[arg-type]


def _outcome(m: MetricDef) -> str:
    """Past-tense wording of the counted event, e.g. "were appointed from shortlisting"."""
    text = str((m.counts or {}).get("numerator", "had the outcome"))
    for present, past in (("entering", "entered"), ("accessing", "accessed"),
                          ("appointed", "were appointed")):
        if text.startswith(present):
            return past + text[len(present):]
    return text


def _group_labels(cat: Catalogue, m: MetricDef, *keys: str) -> dict[str, str]:
    """Each group key's label for ``m``'s characteristic, in the order given."""
    return {k: cat.group_label(m.characteristic, k) for k in keys}


def fig_relative_likelihood(cat: Catalogue, m: MetricDef, org: str, period: str,
                            rows: Sequence[Obs], breakdown: str | Sequence[str] = "",
                            confidence: float = 0.95) -> Figure:
    return _relative_likelihood_maker(cat, m, breakdown, confidence)(org, period, rows)


def _relative_likelihood_maker(cat: Catalogue, m: MetricDef, breakdown: str | Sequence[str],
                               confidence: float) -> Maker:
    fkey, rkey = m.focus or "", m.reference or ""
    labels = _group_labels(cat, m, "unknown", rkey, fkey)
    noun = "applicants" if "shortlist" in str((m.counts or {}).get("denominator", "")) else "staff"
    fphrase, rphrase = f"{labels[fkey]} {noun}", f"{labels[rkey]} {noun}"
    outcome = _outcome(m)

    def make(org: str, period: str, rows: Sequence[Obs]) -> Figure:
        g = _picked(rows, breakdown, labels)
        focus, ref, unknown = g.get(fkey), g.get(rkey), g.get("unknown")
        if focus is None or ref is None or focus.numerator is None or ref.numerator is None:
            return _not(m, org, period, "counts for both groups are needed", focus=focus,
                        reference=ref)
        rl = relative_likelihood(focus.numerator, focus.denominator or 0, ref.numerator,
                                 ref.denominator or 0, confidence, focus_label=fphrase,
                                 reference_label=rphrase, outcome=outcome)
        focus = _share(focus, focus.denominator)
        ref = _share(ref, ref.denominator)
        if not rl.calculable:
            return _not(m, org, period, rl.reason or "not calculable", rl=rl, focus=focus,
                        reference=ref, unknown=unknown)
        ci = (rl.ci_low, rl.ci_high) if rl.ci_low is not None and rl.ci_high is not None \
            else None
        return Figure(m.id, org, period, m.unit, rl.value, se=rl.log_se, ci=ci, rl=rl,
                      focus=focus, reference=ref, unknown=unknown)
    return make


def fig_share(cat: Catalogue, m: MetricDef, org: str, period: str, rows: Sequence[Obs],
              breakdown: str | Sequence[str] = "overall", confidence: float = 0.95) -> Figure:
    return _share_maker(cat, m, breakdown, confidence)(org, period, rows)


def _share_maker(cat: Catalogue, m: MetricDef, breakdown: str | Sequence[str],
                 confidence: float) -> Maker:
    fkey, rkey = m.focus or "", m.reference or ""
    labels = _group_labels(cat, m, fkey, rkey, "unknown")
    wanted = {breakdown} if isinstance(breakdown, str) else set(breakdown)
    return lambda org, period, rows: _share_figure(m, org, period, rows, breakdown, wanted,
                                                   labels, confidence)


def _share_figure(m: MetricDef, org: str, period: str, rows: Sequence[Obs],
                  breakdown: str | Sequence[str], wanted: set[str], labels: Mapping[str, str],
                  confidence: float) -> Figure:
    fkey, rkey = m.focus or "", m.reference or ""
    # A share metric stores every band of the workforce (about 50 rows an organisation and
    # year); the rows read below are those of the wanted bands and the overall ones, so they
    # are picked out once, in their stored order.
    rows = [r for r in rows if r[1] in wanted or r[1] == "overall"]
    g = _picked(rows, breakdown, labels)
    # Every row of a band carries that band's total headcount; sum the bands' totals (a group
    # absent from a band must not shrink the denominator).
    band_totals = {r.breakdown: r.denominator for r in rows
                   if r.breakdown in wanted and r.denominator is not None}
    total = sum(band_totals.values()) or None
    focus = _share(g.get(fkey), total)
    ref = _share(g.get(rkey), total)
    unknown = _share(g.get("unknown"), total)
    if focus is None or focus.value is None or not total:
        return _not(m, org, period, "no headcount for this breakdown", focus=focus)
    ci = wilson_interval(focus.numerator or 0, total, confidence)
    known = total - (unknown.numerator or 0 if unknown else 0)
    overall = _picked(rows, "overall", {fkey: fkey}).get(fkey)
    extra: dict[str, float | None] = {}
    if overall is not None and overall.numerator is not None and overall.denominator:
        extra["overall_share"] = 100.0 * overall.numerator / overall.denominator
    return Figure(m.id, org, period, m.unit, focus.value, se=_proportion_se(focus.value, total),
                  ci=(100 * ci[0], 100 * ci[1]) if ci else None, focus=focus, reference=ref,
                  unknown=unknown, count=focus.numerator,
                  declaration_rate=100.0 * known / total, extra=extra)


def fig_group_value(cat: Catalogue, m: MetricDef, org: str, period: str, rows: Sequence[Obs],
                    breakdown: str | Sequence[str] = "", confidence: float = 0.95) -> Figure:
    """Group percentages or scores published per group (Staff Survey based indicators)."""
    return _group_value_maker(cat, m, breakdown, confidence)(org, period, rows)


def _group_value_maker(cat: Catalogue, m: MetricDef, breakdown: str | Sequence[str],
                       confidence: float) -> Maker:
    fkey, rkey = m.focus or "", m.reference or ""
    labels = _group_labels(cat, m, rkey, fkey)
    flabel = labels[fkey]
    percent = m.unit == "percent"

    def make(org: str, period: str, rows: Sequence[Obs]) -> Figure:
        g = _picked(rows, breakdown, labels)
        focus, ref = g.get(fkey), g.get(rkey)
        if focus is None or focus.value is None:
            why = "suppressed (fewer than 10 responses)" if focus and focus.suppressed else (
                f"no figure for {flabel} staff")
            return _not(m, org, period, why, focus=focus, reference=ref)
        se = _proportion_se(focus.value, focus.denominator) if percent else None
        z = 1.959963984540054
        ci = (focus.value - z * se, focus.value + z * se) if se is not None else None
        return Figure(m.id, org, period, m.unit, focus.value, se=se, ci=ci, focus=focus,
                      reference=ref)
    return make


def fig_representation_gap(cat: Catalogue, m: MetricDef, org: str, period: str,
                           rows: Sequence[Obs], breakdown: str | Sequence[str] = "board_voting",
                           confidence: float = 0.95) -> Figure:
    return _representation_gap_maker(cat, m, breakdown, confidence)(org, period, rows)


def _representation_gap_maker(cat: Catalogue, m: MetricDef, breakdown: str | Sequence[str],
                              confidence: float) -> Maker:
    label = cat.group_label(m.characteristic, m.focus or "")
    return lambda org, period, rows: _representation_gap(m, org, period, rows, breakdown,
                                                         label)


def _representation_gap(m: MetricDef, org: str, period: str, rows: Sequence[Obs],
                        breakdown: str | Sequence[str], label: str) -> Figure:
    only = {m.focus or "": m.focus or ""}  # the focus group's counts alone are read
    board = _picked(rows, breakdown, only)
    workforce = _picked(rows, "workforce", only)
    execs = _picked(rows, "board_executive", only)

    def pct(groups: Mapping[str, GroupValue]) -> tuple[float | None, GroupValue | None]:
        g = groups.get(m.focus or "")
        if g is None or g.numerator is None or not g.denominator:
            return None, g
        return 100.0 * g.numerator / g.denominator, g

    board_pct, board_g = pct(board)
    wf_pct, wf_g = pct(workforce)
    exec_pct, _ = pct(execs)
    if board_pct is None or wf_pct is None or board_g is None:
        return _not(m, org, period, "board and workforce counts are both needed")
    focus = GroupValue(m.focus or "", f"{label} on the board", board_pct, board_g.numerator,
                       board_g.denominator)
    ref = GroupValue("workforce", f"{label} in the workforce", wf_pct,
                     wf_g.numerator if wf_g else None, wf_g.denominator if wf_g else None)
    return Figure(m.id, org, period, m.unit, board_pct - wf_pct, focus=focus, reference=ref,
                  count=board_g.numerator,
                  extra={"board_share": board_pct, "workforce_share": wf_pct,
                         "executive_share": exec_pct,
                         "executive_gap": None if exec_pct is None else exec_pct - wf_pct})


def fig_declaration(cat: Catalogue, m: MetricDef, org: str, period: str, rows: Sequence[Obs],
                    breakdown: str | Sequence[str] = "overall", confidence: float = 0.95
                    ) -> Figure:
    g = _by_group(rows, m.breakdown or "overall")
    total = next((x.denominator for x in g.values() if x.denominator), None)
    if not total:
        return _not(m, org, period, "no workforce headcount")
    unknown = g.get("unknown")
    known = total - (unknown.numerator or 0 if unknown else 0)
    rate = 100.0 * known / total
    return Figure(m.id, org, period, m.unit, rate, se=_proportion_se(rate, total),
                  unknown=GroupValue("unknown", "not declared", 100.0 - rate,
                                     total - known, total),
                  declaration_rate=rate, count=known)


def fig_narrative(cat: Catalogue, m: MetricDef, org: str, period: str, rows: Sequence[Obs],
                  breakdown: str | Sequence[str] = "", confidence: float = 0.95) -> Figure:
    row = next(iter(rows), None)
    if row is None or row.value is None:
        return _not(m, org, period, "no answer recorded")
    return Figure(m.id, org, period, m.unit, row.value, note=row.note)


def fig_survey_response(cat: Catalogue, m: MetricDef, org: str, period: str,
                        rows: Sequence[Obs], breakdown: str | Sequence[str] = "",
                        confidence: float = 0.95) -> Figure:
    """Organisation-level Staff Survey figure from the published response percentages."""
    picked = [r for r in rows if r.breakdown in m.responses]
    if not picked:
        return _not(m, org, period, "question not in this survey year's file")
    if any(r.suppressed or r.value is None for r in picked):
        return _not(m, org, period, "suppressed in the published file (fewer than 10 "
                    "responses)")
    value = sum(r.value or 0.0 for r in picked)
    excluded = sum(r.value or 0.0 for r in rows if r.breakdown in m.exclude_responses)
    if excluded:
        if excluded >= 100:
            return _not(m, org, period, "no respondents in scope")
        value = 100.0 * value / (100.0 - excluded)
    if m.complement:
        value = 100.0 - value
    base = picked[0].denominator
    if base and excluded:  # the percentage is of those left after the exclusion
        base = round(base * (100.0 - excluded) / 100.0)
    se = _proportion_se(value, base) if m.unit == "percent" else None
    return Figure(m.id, org, period, m.unit, value, se=se,
                  focus=GroupValue("all", "all staff", value, None, base))


def fig_monthly_rate(cat: Catalogue, m: MetricDef, org: str, period: str, rows: Sequence[Obs],
                     breakdown: str | Sequence[str] = "", confidence: float = 0.95) -> Figure:
    return _monthly_rate_maker(cat, m, breakdown, confidence)(org, period, rows)


def _monthly_rate_maker(cat: Catalogue, m: MetricDef, breakdown: str | Sequence[str],
                        confidence: float) -> Maker:
    fkey = m.focus or "all"
    labels = {fkey: cat.group_label(m.characteristic, fkey)}

    def make(org: str, period: str, rows: Sequence[Obs]) -> Figure:
        focus = _picked(rows, breakdown, labels).get(fkey)
        if focus is None or focus.numerator is None or not focus.denominator:
            return _not(m, org, period, "no counts for this month")
        value = 100.0 * focus.numerator / focus.denominator
        return Figure(m.id, org, period, m.unit, value,
                      se=_proportion_se(value, focus.denominator),
                      focus=GroupValue(focus.group, focus.label, value, focus.numerator,
                                       focus.denominator), count=focus.numerator)
    return make


FigureFn = Callable[..., Figure]
KIND_FIGURES: dict[str, FigureFn] = {
    "relative_likelihood": fig_relative_likelihood,
    "share": fig_share,
    "group_percent": fig_group_value,
    "percent": fig_group_value,
    "group_score": fig_group_value,
    "representation_gap": fig_representation_gap,
    "declaration_rate": fig_declaration,
    "narrative": fig_narrative,
    "survey_response": fig_survey_response,
    "monthly_rate": fig_monthly_rate,
}
MAKERS: dict[str, Callable[[Catalogue, MetricDef, str | Sequence[str], float], Maker]] = {
    "relative_likelihood": _relative_likelihood_maker,
    "group_percent": _group_value_maker,
    "percent": _group_value_maker,
    "group_score": _group_value_maker,
    "monthly_rate": _monthly_rate_maker,
    "share": _share_maker,
    "representation_gap": _representation_gap_maker,
}
"""Kinds whose figure function is built once per metric and breakdown (what it needs of the
catalogue worked out once): the kinds evaluated hundreds of thousands of times nationally."""

DEFAULT_BREAKDOWNS = {"share": "overall", "representation_gap": "board_voting"}
"""The breakdown a figure reads when none is named (else the organisation's own, ``""``)."""


def figure_maker(cat: Catalogue, m: MetricDef, breakdown: str | Sequence[str] | None = None,
                 confidence: float = 0.95) -> Maker:
    """The function from one organisation's rows for one period to its figure, for one
    metric and breakdown: what :func:`compute` does, with the per-metric work done once."""
    bd = DEFAULT_BREAKDOWNS.get(m.kind, "") if breakdown is None else breakdown
    if m.kind in MAKERS:
        return MAKERS[m.kind](cat, m, bd, confidence)
    fn = KIND_FIGURES[m.kind]
    return lambda org, period, rows: fn(cat, m, org, period, rows, bd, confidence)


def compute(cat: Catalogue, m: MetricDef, org: str, period: str, rows: Sequence[Obs],
            breakdown: str | Sequence[str] | None = None, confidence: float = 0.95) -> Figure:
    """The figure for one metric/org/period from its stored rows."""
    return figure_maker(cat, m, breakdown, confidence)(org, period, rows)


def stored_metric_ids(cat: Catalogue, m: MetricDef) -> dict[str, frozenset[int] | None]:
    """Which stored metric ids hold this metric's data (survey questions vary by year).

    Returns stored id → the survey years it is valid for (None: every period).
    """
    if m.kind == "survey_response":
        assert isinstance(m.survey_question, str)
        years: dict[str, set[int]] = {}
        for year, codes in cat.survey_years.items():
            if m.survey_question in codes:
                years.setdefault(f"nss.{codes[m.survey_question]}", set()).add(year)
        return {k: frozenset(v) for k, v in years.items()}
    return {m.from_metric or m.id: None}


def belongs(stored: str, period_key: str,
            years: Mapping[str, frozenset[int] | None]) -> bool:
    valid = years.get(stored)
    return valid is None or period_year(period_key) in valid
