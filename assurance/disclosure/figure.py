"""Disclosing one figure — a value, its interval, the groups' counts and rates, and the facts
a rule recorded — to one audience. Every renderer (Word reports, chat messages, CSV extracts,
evidence packs, the web layer) shows figures through :func:`disclose_figure`; none decides
what an audience may see itself.

What it does:
    Takes the figure as the engine records it (:func:`assurance.engine.conditions.base.facts_of`
    gives the JSON-able mapping that findings store, so a report and a message about the same
    finding start from the same numbers) and applies the audience's
    :class:`~assurance.disclosure.rule.DisclosurePolicy`:

    * **Counts** go through :func:`~assurance.disclosure.rule.disclose_table`, so each count
      of 1-7 becomes ``*``, others are rounded to 5, and **complementary suppression** holds:
      a total and all but one of its parts are never shown together. Groups that split one
      total (the ethnic groups of a band, the seats of a board) form one table whose total is
      that denominator; a group with its own denominator (each side of a relative likelihood)
      is a table of two cells — those with the outcome and those without — so ``95/100``
      (5 without) is hidden like ``5/100``.
    * **Rates** (a group's percentage) are hidden when any count of their table is hidden; in
      a table of groups that split one total, one hidden count hides every group's rate,
      since the others' exact rates would give the hidden one away by subtraction. A rate
      shown beside its counts rounded is never the exact rate (``13/40 (32.5%)`` would give
      13 away beside a rounded ``15``): by the policy's ``rates`` it is computed from the
      counts as shown (``15/40 (37.5%)``, NHS Digital's method, the default) or withheld.
      The same holds for a headline percentage or declaration rate that is a group's rate,
      and for a relative likelihood and its interval beside rounded counts: computed from
      the counts as shown (or withheld), since few combinations of counts in the rounding
      bands give the same ratio to two decimals.
    * **Published figures** (``facts["published"]`` names the publisher: a figure copied from
      a publication such as the gov.uk gender pay gap download) are public already: a value
      or group rate with no counts behind it is shown, not withheld for an unknown base, and
      the figure says it was published (:attr:`DisclosedFigure.published`). Counts it does
      carry are still disclosed by the rule.
    * **The headline value and its interval** (a relative likelihood, a share, a gap) are
      hidden when the rate of a group they are built on is hidden. A not-calculable value
      says so even then: that follows from zero counts, which the rule shows anyway.
    * **The declaration rate** is hidden when the "not recorded" count behind it is.
    * **Other facts** are shown by their declared role (:class:`FactSpec` of each condition
      kind): rule parameters and statistics not built on the organisation's small groups
      (p value, peer median) to everyone; numbers derived from counts the figure does not
      carry (a previous year's value, an expected trajectory) only to exact audiences.

Why it matters:
    Ethnicity and disability are special category data. When each renderer applied the rule
    its own way, a staff network's message showed ``White 300/1,000`` while the board-safe
    report withheld both counts, and a declaration rate of 97% on 100 staff told a reader
    that 3 people had not declared. One path means one answer per figure and audience.

Example:
    >>> from assurance.disclosure.rule import SUPPRESSED
    >>> facts = {"value": 1.33, "unit": "ratio", "ci": [0.6, 2.9],
    ...          "focus": {"label": "White", "value": 25.0, "numerator": 3, "denominator": 12},
    ...          "reference": {"label": "BME", "value": 18.75, "numerator": 150,
    ...                        "denominator": 800}}
    >>> d = disclose_figure(facts, SUPPRESSED)
    >>> d.value_text, [(g.numerator_text, g.denominator_text, g.value_text) for g in d.groups]
    ('*', [('*', '10', '*'), ('150', '800', '18.8%')])

Options:
    ``policy`` (the audience's), ``confidence`` (for the interval's label) and ``specs`` (how
    each non-figure fact is worded and who may see it; by default every registered condition
    kind's declarations).

Known limitations:
    * Counts are protected within one figure. Two figures about the same people cut two ways
      (by band and by grade) are not analysed together; the rounding to 5 is what protects
      complements across figures, as in NHS Digital's own publications.
    * Values are shown unrounded when their counts are safe; a relative likelihood beside
      rounded counts can narrow the exact counts a little (see the rule module).
    * A fact no condition kind declares is treated as derived: exact audiences only.

References:
    * NHS Digital, "Disclosure control" guidance for sub-national statistics.
    * ONS, "Disclosure control guidance for tables produced from administrative sources".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assurance.disclosure.rule import DisclosurePolicy, disclose_count, disclose_table
from assurance.engine.conditions import FACT_SPECS
from assurance.engine.conditions.base import FIGURE_KEYS, FactSpec
from assurance.engine.figures import fmt_value, p_text
from assurance.engine.movement import WORDS as MOVEMENT_WORDS
from assurance.periods import short_label
from assurance.stats import relative_likelihood

ROLES = ("focus", "reference", "unknown")
SHOWN_AS_FIGURE = FIGURE_KEYS | {"measured", "measure", "low", "high", "movement", "published",
                                 "focus_value", "reference_value", "adverse_gap"}
"""Facts shown as part of the figure (the figure's own, what was measured, the limits, and a
gap rule's two values and their gap, which the groups' lines and its Gap row already show);
every other fact is worded by its :class:`FactSpec`."""

MEASURES = {"gap": "Adverse gap", "ratio": "Ratio (adverse answer)"}
"""How a measured figure other than the headline value or a count is labelled, by the
``measure`` fact its condition records (``gap``: ``unit: pp``; ``ratio``: ``unit: ratio``)."""


def _measured(number: float, measure: str, unit: str, focus: str | None) -> str:
    """A gap rule's measured figure in its own unit and direction: a gap between percentages
    in percentage points and who it is against (``6.8 pp, BME worse off``, not ``6.8%`` or
    ``+6.8 pp``), between scores in points, a ratio as ``1.50 times``."""
    if measure == "ratio":
        return f"{fmt_value(number, 'ratio')} times"
    size = f"{abs(number):.1f} {'pp' if unit == 'percent' else 'points'}"
    if not focus or round(number, 1) == 0:
        return size
    return f"{size}, {focus} {'worse' if number > 0 else 'better'} off"


_REST = "\x00rest"  # the cell of a table that no group names (those without the outcome)


@dataclass(frozen=True)
class DisclosedGroup:
    """One group behind a figure as the audience may see it.

    ``numerator``/``denominator`` are the exact counts for an exact audience and ``None``
    otherwise; the ``*_text`` fields are what to print ("" when the count does not exist).
    """

    role: str  # focus | reference | unknown
    group: str
    label: str
    numerator: int | None
    denominator: int | None
    numerator_text: str
    denominator_text: str
    value: float | None  # the group's rate or score; None when hidden or absent
    value_text: str
    hidden: bool  # a count or the rate is shown as the suppression symbol


@dataclass(frozen=True)
class DisclosedFigure:
    """A figure as one audience may see it: every field ready to print."""

    unit: str
    calculable: bool
    value: float | None  # None when hidden, absent or not calculable
    value_text: str  # "1.62", "*", "not calculable", "no figure"
    ci: tuple[float, float] | None
    ci_text: str  # "95% CI 1.31 to 2.01" or ""
    groups: tuple[DisclosedGroup, ...]
    count_text: str | None  # the focus head count, if the figure has one
    measured_text: str | None  # a gap rule's gap or ratio (a count or value rule's is shown)
    measured_label: str  # what to call it: "Adverse gap" or "Ratio (adverse answer)" (MEASURES)
    declaration_rate: float | None
    declaration_text: str | None
    facts: tuple[tuple[str, str], ...]  # other facts this audience may see, (label, text)
    value_hidden: bool  # the value and interval are withheld from this audience
    hidden: bool  # anything at all is shown as the suppression symbol (a footnote is due)
    trend: str | None = None  # "up" | "down" | "flat" since the previous period, if shown
    published: str | None = None  # who published the figure, when it was copied from them

    def headline(self) -> str:
        """One line: value, interval and the groups' counts (or values)."""
        text = self.value_text + (f" ({self.ci_text})" if self.ci_text else "")
        parts = [f"{g.label} {g.numerator_text}/{g.denominator_text}"
                 if g.numerator_text and g.denominator_text else f"{g.label} {g.value_text}"
                 for g in self.groups if g.role != "unknown"
                 and (g.numerator_text and g.denominator_text or g.value_text)]
        return text + ("; " + ", ".join(parts) if parts else "")

    def counts_text(self) -> str:
        """``White 870/2,395; BME 445/2,055`` (or the groups' values with their bases)."""
        with_counts = [f"{g.label} {g.numerator_text}/{g.denominator_text}" for g in self.groups
                       if g.role != "unknown" and g.numerator_text and g.denominator_text]
        if with_counts:
            return "; ".join(with_counts)
        return "; ".join(f"{g.label} {g.value_text}" + (
            f" ({g.denominator_text} responses)" if g.denominator_text else "")
            for g in self.groups if g.role != "unknown" and g.value_text)


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if math.isnan(value) or math.isinf(value) else float(value)


def _thousands(text: str) -> str:
    return f"{int(text):,}" if text.isdigit() else text


def _group_unit(unit: str) -> str:
    """A group's own figure is a percentage when the headline compares percentages."""
    return "percent" if unit in ("ratio", "percentage_points", "percent") else unit


@dataclass
class _Cells:
    """The disclosed count tables of one figure."""

    numerator: dict[str, str]
    denominator: dict[str, str]
    rate_hidden: dict[str, bool]
    other: list[tuple[int, str]]  # (exact count, shown) of every disclosed cell


def _tables(groups: Mapping[str, Mapping[str, Any]], policy: DisclosurePolicy) -> _Cells:
    """Each group's table of two cells (with and without the outcome); and, when the groups
    share one denominator, also the table of the groups themselves. A count hidden in either
    table is hidden, so neither reading of the figure can undo the other's suppression."""
    cells = _Cells({}, {}, {}, [])
    nums = {r: _whole(g.get("numerator")) for r, g in groups.items()}
    dens = {r: _whole(g.get("denominator")) for r, g in groups.items()}
    for r in groups:
        n, d = nums[r], dens[r]
        if n is not None and d is not None and n <= d:
            shown = disclose_table({"n": n, _REST: d - n}, policy, total=d)
            cells.numerator[r], cells.denominator[r] = shown["n"], shown["Total"]
            cells.rate_hidden[r] = policy.symbol in shown.values()
            cells.other += [(n, shown["n"]), (d - n, shown[_REST]), (d, shown["Total"])]
            continue
        for key, count, out in (("numerator", n, cells.numerator),
                                ("denominator", d, cells.denominator)):
            if count is not None:
                out[r] = disclose_count(count, policy)
                cells.other.append((count, out[r]))
            elif groups[r].get(key) is not None:
                out[r] = policy.symbol  # not a whole count: nothing shows it is safe
        base = d if d is not None else n
        cells.rate_hidden[r] = (base is None or policy.suppresses(base)
                                or policy.symbol in (cells.numerator.get(r),
                                                     cells.denominator.get(r)))
    shared = set(dens.values())
    total = next(iter(shared)) if len(shared) == 1 else None
    known = [n for n in nums.values() if n is not None]
    if len(groups) > 1 and total is not None and len(known) == len(nums) and sum(known) <= total:
        table = {r: n for r, n in nums.items() if n is not None}
        if total - sum(known):
            table[_REST] = total - sum(known)
        shown = disclose_table(table, policy, total=total)
        any_hidden = policy.symbol in shown.values()
        for r in groups:
            if shown[r] == policy.symbol:
                cells.numerator[r] = policy.symbol
            cells.rate_hidden[r] = cells.rate_hidden[r] or any_hidden
        cells.other += [(table[k], shown[k]) for k in table]
    return cells


def _shown_count(text: str) -> int | None:
    digits = text.replace(",", "")
    return int(digits) if digits.isascii() and digits.isdigit() else None


def _rate_beside_rounded(value: float, g: Mapping[str, Any], num_text: str, den_text: str,
                         policy: DisclosurePolicy) -> tuple[bool, float | None]:
    """(replaced, shown): a group's rate of its own counts as this (suppressing) audience
    sees it beside the counts as shown — recomputed from them, or None when the policy
    withholds such rates. ``replaced`` is False for a value that is not the rate of its
    counts (a mean, a score) or whose counts are not shown: it is shown as it is."""
    n, d = _whole(g.get("numerator")), _whole(g.get("denominator"))
    if n is None or d is None or not d or not math.isclose(
            value, 100 * n / d, rel_tol=1e-9, abs_tol=1e-9):
        return False, None
    shown_n, shown_d = _shown_count(num_text), _shown_count(den_text)
    if shown_n is None or shown_d is None or (shown_n, shown_d) == (n, d) and (
            policy.rates == "recompute" or policy.rounding == 1):
        return False, None  # counts not shown, or shown exactly under "recompute"
    if policy.rates == "withhold":
        return True, None  # beside rounded counts (even one that rounding left alone)
    return True, (100 * shown_n / shown_d if shown_d else None)


def _shown_instead(value: float, rates: Mapping[str, tuple[float, float | None]],
                   same: tuple[str, ...], complement: tuple[str, ...]
                   ) -> tuple[bool, float | None]:
    """(replaced, shown) for a headline equal to the exact rate of a group in ``same`` (or
    to 100 minus that of a group in ``complement``), tried in that order: the rate shown
    instead, so the headline never repeats what the group's rate withholds."""
    for role in same:
        if role in rates and math.isclose(value, rates[role][0], rel_tol=1e-9, abs_tol=1e-9):
            return True, rates[role][1]
    for role in complement:
        if role in rates and math.isclose(value, 100 - rates[role][0], rel_tol=1e-9,
                                          abs_tol=1e-9):
            shown = rates[role][1]
            return True, None if shown is None else 100 - shown
    return False, None


def _ratio_beside_rounded(groups: Mapping[str, Mapping[str, Any]], cells: _Cells,
                          policy: DisclosurePolicy, confidence: float
                          ) -> tuple[float | None, tuple[float, float] | None] | None:
    """For a relative likelihood of focus to reference shown beside counts the policy
    rounded: the ratio and interval from the counts as shown (``rates = "recompute"``), or
    ``(None, None)`` to withhold them; None when every count is shown as it is."""
    if "focus" not in groups or "reference" not in groups:
        return None
    raw, shown = [], []
    for role in ("focus", "reference"):
        for key, texts in (("numerator", cells.numerator), ("denominator", cells.denominator)):
            raw.append(_whole(groups[role].get(key)))
            text = _thousands(texts.get(role, "")).replace(",", "")
            shown.append(int(text) if text.isdigit() else None)
    if None in raw or None in shown:
        return None  # not built from counts here, or a count is hidden (and the value too)
    if raw == shown:
        return None
    if policy.rates == "withhold":
        return None, None
    fn, fd, rn, rd = (int(n) for n in shown if n is not None)
    rl = relative_likelihood(fn, fd, rn, rd, confidence)
    if not rl.calculable or rl.value is None:
        return None, None
    ci = (rl.ci_low, rl.ci_high) if rl.ci_low is not None and rl.ci_high is not None else None
    return rl.value, ci


def _count_text(count: int | None, cells: _Cells, policy: DisclosurePolicy) -> str | None:
    """A head count shown as the cell of the same count in the figure's tables, else alone."""
    if count is None:
        return None
    same = [s for n, s in cells.other if n == count]
    if not same:
        return _thousands(disclose_count(count, policy))
    return policy.symbol if policy.symbol in same else _thousands(same[0])


def _fact_text(value: Any, spec: FactSpec, policy: DisclosurePolicy,
               any_hidden: bool, unit: str) -> str | None:
    """A non-figure fact as this audience may see it (None: not shown), formatted for people
    in its declared unit (``unit``: the figure's, for facts in the metric's own unit).

    Parameters are shown as the rule states them; statistics are shown unless a count of the
    figure is hidden (then ``*``); derived numbers only to exact audiences.
    """
    fact_unit = unit if spec.unit is None else spec.unit
    if fact_unit == "difference":  # between two figures: percentages differ by points
        fact_unit = "percentage_points" if unit == "percent" else unit
    if spec.role == "parameter":
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, str):
            return short_label(value) if fact_unit == "period" else value
        number = _number(value)
        return None if number is None else fmt_value(number, fact_unit)
    if spec.role == "derived" and not policy.exact:
        return None
    number = _number(value)
    if number is None and not isinstance(value, bool):
        return None
    if any_hidden and not policy.exact:
        return policy.symbol
    if isinstance(value, bool):
        return "yes" if value else "no"
    assert number is not None
    return fmt_value(number, fact_unit)


def disclose_figure(facts: Mapping[str, Any], policy: DisclosurePolicy, *,
                    confidence: float = 0.95,
                    specs: Mapping[str, FactSpec] | None = None) -> DisclosedFigure:
    """The figure recorded in ``facts`` as an audience with ``policy`` may see it.

    Args:
        facts: the figure and the rule's facts, as :func:`facts_of` and a verdict record
            them (a finding's stored ``facts``).
        policy: the audience's policy (:func:`assurance.disclosure.policy_for`).
        confidence: the interval's confidence level, for its label.
        specs: how each non-figure fact is worded; default every condition kind's.

    Returns:
        The :class:`DisclosedFigure`.
    """
    specs = FACT_SPECS if specs is None else specs
    unit = str(facts.get("unit") or "")
    groups = {r: g for r in ROLES if isinstance(g := facts.get(r), Mapping)}
    cells = _tables(groups, policy)
    published = facts.get("published")
    published = published if isinstance(published, str) and published else None
    if published is not None:
        for r, g in groups.items():  # public already: only counts it carries are protected
            if g.get("numerator") is None and g.get("denominator") is None:
                cells.rate_hidden[r] = False
    shown_groups = []
    # Each group's value as given and as shown (recomputed, the same, or None when hidden).
    rates_shown: dict[str, tuple[float, float | None]] = {}
    for role, g in groups.items():
        value = _number(g.get("value"))
        hidden_rate = cells.rate_hidden[role] and unit != "yes_no"
        num_text = _thousands(cells.numerator.get(role, ""))
        den_text = _thousands(cells.denominator.get(role, ""))
        if value is not None and not policy.exact and not hidden_rate:
            replaced, shown_rate = _rate_beside_rounded(value, g, num_text, den_text, policy)
            rates_shown[role] = (value, shown_rate if replaced else value)
            if replaced:
                value, hidden_rate = shown_rate, shown_rate is None
        gunit = _group_unit(unit)
        value_text = (policy.symbol if hidden_rate and not policy.exact and (
            value is not None or _number(g.get("value")) is not None)
            else "" if value is None else fmt_value(value, gunit))
        shown_groups.append(DisclosedGroup(
            role, str(g.get("group") or role), str(g.get("label") or role.title()),
            _whole(g.get("numerator")) if policy.exact else None,
            _whole(g.get("denominator")) if policy.exact else None,
            num_text, den_text, value if policy.exact or not hidden_rate else None, value_text,
            policy.symbol in (num_text, den_text, value_text)))

    basis: list[str] = [r for r in ("focus", "reference") if r in groups] or list(groups)
    value_hidden = not policy.exact and any(cells.rate_hidden[r] for r in basis)
    value = _number(facts.get("value"))
    calculable = value is not None
    if value is not None and not value_hidden and unit == "percent":
        # A headline that is a group's rate (a share is its focus group's) or its complement
        # (a declaration rate) is shown as that rate is: exact, it would undo the rounding.
        replaced, instead = _shown_instead(value, rates_shown, ("focus", "reference"),
                                           ("unknown",))
        if replaced and instead is None:
            value_hidden = True
        elif replaced:
            value = instead
    pct = f"{round(confidence * 100):g}% CI"
    raw_ci = facts.get("ci")
    ci = None
    if isinstance(raw_ci, list | tuple) and len(raw_ci) == 2:
        low, high = _number(raw_ci[0]), _number(raw_ci[1])
        ci = (low, high) if low is not None and high is not None else None
    if value is not None and not value_hidden and unit == "ratio" and not policy.exact:
        # A relative likelihood (and its interval) beside rounded counts would give the exact
        # counts back (few combinations of counts in the rounding bands give the same ratio
        # to 2 decimals): computed from the counts as shown, or withheld, like a rate.
        recomputed = _ratio_beside_rounded(groups, cells, policy, confidence)
        if recomputed is not None:
            value, ci = recomputed
            value_hidden = value is None
    if not calculable:
        value_text = "not calculable" if "value" in facts else "no figure"
        shown_value, shown_ci, ci_text = None, None, ""
    elif value_hidden:
        value_text, shown_value, shown_ci, ci_text = policy.symbol, None, None, ""
    else:
        assert value is not None
        value_text, shown_value, shown_ci = fmt_value(value, unit), value, ci
        ci_text = (f"{pct} {fmt_value(ci[0], unit)} to {fmt_value(ci[1], unit)}"
                   if ci is not None else "")

    count_text = _count_text(_whole(facts.get("count")), cells, policy)
    # What a count or value rule measured is the count or the figure, shown already; only a
    # gap rule's gap or ratio is a figure of its own.
    measured_text = None
    measure = str(facts.get("measure"))
    number = _number(facts.get("measured")) if measure in MEASURES else None
    if number is not None:
        focus = facts.get("focus")
        label = focus.get("label") if isinstance(focus, Mapping) else None
        measured_text = (policy.symbol if value_hidden
                         else _measured(number, measure, unit, str(label) if label else None))
    declaration = _number(facts.get("declaration_rate"))
    decl_basis = ["unknown"] if "unknown" in groups else basis
    decl_hidden = not policy.exact and any(cells.rate_hidden.get(r, False) for r in decl_basis)
    if declaration is not None and not decl_hidden:
        # The share of those who declared: 100 minus the "not recorded" group's rate.
        replaced, instead = _shown_instead(declaration, rates_shown, (), ("unknown",))
        if replaced and instead is None:
            decl_hidden = True
        elif replaced:
            declaration = instead
    declaration_text = (None if declaration is None else policy.symbol if decl_hidden
                        else fmt_value(declaration, "percent"))

    texts = [value_text, count_text, measured_text, declaration_text,
             *(g.value_text for g in shown_groups), *(g.numerator_text for g in shown_groups),
             *(g.denominator_text for g in shown_groups)]
    any_hidden = any(c == policy.symbol for _, c in cells.other) or policy.symbol in texts
    extra = []
    for key, raw in sorted(facts.items()):
        if key in SHOWN_AS_FIGURE:
            continue
        spec = specs.get(key) or FactSpec(key.replace("_", " ").capitalize(), "derived")
        # A rule that counts people states its threshold as a count, not in the metric's unit.
        text = _fact_text(raw, spec, policy, any_hidden,
                          "count" if facts.get("measure") == "count" else unit)
        if text is not None:
            extra.append((spec.label, text))

    movement = facts.get("movement")
    previous = movement.get("previous_figure") if isinstance(movement, Mapping) else None
    previous_hidden = isinstance(previous, Mapping) and not policy.exact and disclose_figure(
        previous, policy, confidence=confidence, specs=specs).hidden
    change = _movement_row(movement, (any_hidden or previous_hidden) and not policy.exact)
    trend = None
    if change is not None:
        extra.append(change)
        before = _number(previous.get("value")) if isinstance(previous, Mapping) else None
        now = _number(facts.get("value"))
        if before is not None and now is not None and not value_hidden:
            trend = "flat" if abs(now - before) < 1e-9 else "up" if now > before else "down"

    return DisclosedFigure(
        unit=unit, calculable=calculable, value=shown_value, value_text=value_text,
        ci=shown_ci, ci_text=ci_text, groups=tuple(shown_groups), count_text=count_text,
        measured_text=measured_text,
        measured_label=MEASURES.get(measure, "Measured"),
        declaration_rate=None if decl_hidden else declaration,
        declaration_text=declaration_text, facts=tuple(extra), value_hidden=value_hidden,
        hidden=not policy.exact and (policy.symbol in texts
                                    or any(t == policy.symbol for _, t in extra)),
        trend=trend, published=published)




def _movement_row(movement: Any, withheld: bool) -> tuple[str, str] | None:
    """("Change since 2024", "No significant change (p = 0.88)") from a finding's judged
    movement (engine.movement); None when there is none, or when a count of this period's
    figure or of the previous period's is withheld from the audience: a p-value or direction
    built on small numbers could reveal them."""
    if not isinstance(movement, Mapping) or withheld:
        return None
    direction = movement.get("direction")
    if direction not in MOVEMENT_WORDS:
        return None
    since = movement.get("previous_period")
    what = "Change in the gap" if movement.get("measure") == "gap" else "Change"
    label = f"{what} since {short_label(since)}" if isinstance(since, str) else what
    p = _number(movement.get("p_value"))
    if movement.get("basis") == "SPC signal":
        why = "common cause only" if direction == "no_significant_change" else "special cause"
        return label, f"{MOVEMENT_WORDS[direction]} ({why} on the SPC chart)"
    if p is None:
        return label, "Not tested (no counts or bases)"
    if direction == "not_tested":
        return label, f"Changed ({p_text(p)}; no direction of improvement is set)"
    sig = "significant, " if direction in ("improving", "worsening") else ""
    return label, f"{MOVEMENT_WORDS[direction]} ({sig}{p_text(p)})"


def limits_text(facts: Mapping[str, Any]) -> tuple[str, str] | None:
    """The rule's limits as ("Limits", "0.80 to 1.25") — parameters, shown to everyone."""
    unit = str(facts.get("unit") or "")
    low, high = _number(facts.get("low")), _number(facts.get("high"))
    if low is not None and high is not None:
        return "Limits", f"{fmt_value(low, unit)} to {fmt_value(high, unit)}"
    if high is not None:
        return "Limit", f"at most {fmt_value(high, unit)}"
    if low is not None:
        return "Limit", f"at least {fmt_value(low, unit)}"
    return None
