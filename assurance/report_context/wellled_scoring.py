"""The suggested assessment behind every well-led framework version: one fixed rule.

The same rule scores each section whatever the version (a 2024 quality statement, a 2026
key line of enquiry, an NHS England capability); the version decides only what the result
is called and whether a section shows it (:mod:`assurance.frameworks`). Moved here from
:mod:`assurance.report_context.wellled` (which re-exports these names) so that each module
holds one concept.

Terms the scoring uses:

* **judged**: status breach, outside (range, not significant) or met; items with no data,
  not calculable or in error are *not judged*;
* **shortfall**: breach, or outside — a relative likelihood whose point estimate is outside
  0.80–1.25 but whose interval overlaps it is not met, and counts below a breach;
* **board level**: a finding's escalation level whose position in ``settings.escalation_levels``
  is at or above that of ``board``; when the ladder has no ``board`` level, its top two
  levels (with the default ladder: board committee and regulator);
* **accountability gap**: an item in breach anywhere in the document whose open finding is
  at board level or higher and has no action owner, or whose action is past its due date.
  Such gaps are evidence about the board's own governance and leadership, whichever
  section the rule evidences, so they count against the version's ``accountable`` sections
  (2024: quality statements 2, "Capable, compassionate and inclusive leaders", and 5,
  "Governance, management and sustainability");
* **sustained**: an item met at this period that was also met at the period before (its
  series holds the previous period, inside the rule's acceptable band when it has one, and
  the findings register records no shortfall for it),
  or whose latest change is a statistically supported improvement
  (``OutcomeView.movement``; ``None`` counts as not tested);
* **single period**: no judged item of the section has a figure for an earlier period.

Suggested assessment per section (1 significant shortfalls · 2 some shortfalls · 3 good ·
4 exceptional, in the 2024 framework's words), the first rule that applies:

1. not scored when the section has no judged item and no accountability gap;
2. **1** when a breach's finding has been escalated to board level or beyond, a breach has
   lasted three or more consecutive periods, or half or more of the judged items breach;
3. **2** when a high- or critical-severity rule breaches, more than a quarter of the judged
   items are shortfalls, or (accountable sections) there is any accountability gap;
4. **3** when any item is a shortfall or not judged, an open finding has no action owner or
   is overdue, or the evidence is from a single period;
5. **4** when every judged item is met and sustained and at least five are judged;
   otherwise **3**.

Known limitations: "met at the period before" trusts the findings register, which records
breaches, not passes; a store evaluated only at ``as_of`` (never for earlier periods) shows
no earlier breach, so an item could be read as sustained on data the register never judged.
A previous period whose figure is withheld from the audience is not counted as met, and nor
is one beyond either limit of the rule's band (the band a chart shades has both limits even
when the rule judges only the adverse one), so the check errs towards "not sustained".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assurance.config import DEFAULT_LEVELS
from assurance.report_context.model import (
    AccountabilityGap,
    EvidenceItem,
    ItemCounts,
    OutcomeView,
    distinct_names,
)
from assurance.report_context.views import board_levels
from assurance.wording import counted

SCORE_WORDS = {1: "Significant shortfalls", 2: "Some shortfalls", 3: "Good", 4: "Exceptional"}
JUDGED = ("breach", "outside", "ok")
SHORTFALLS = ("breach", "outside")
SEVERE = ("high", "critical")
MIN_FOR_EXCEPTIONAL = 5
LONG_RUNNING = 3
ITEM_DEFINITION = (
    "An evidence item is one rule in force judged for the organisation: its figure or "
    "answer, status, trend, finding and source. A rule that evidences more than one quality "
    "statement is listed under each, so the statement counts add up to more than the "
    "document's total. Actions are not further items: they are the open findings of items.")


@dataclass(frozen=True)
class Assessment:
    """What :func:`score_statement` decided, and why."""

    score: int | None
    reasons: tuple[str, ...]
    sentence: str
    decisive: tuple[str, ...]
    single_period: bool
    clause: str = ""  # what decided it, without the score ("3 of 7 judged items …")



# ----------------------------------------------------------------------------- counting

def count_items(evidence: Sequence[OutcomeView]) -> ItemCounts:
    """Count evidence items (one per rule outcome) and the subsets the document names."""
    by = {st: sum(1 for o in evidence if o.status == st) for st in JUDGED}
    judged = sum(by.values())
    not_judged = len(evidence) - judged
    open_findings = sum(1 for o in evidence if o.finding is not None and o.finding.open)
    parts = [p for p in (
        counted(by["breach"], "breach", "breaches") if by["breach"] else "",
        f"{by['outside']} outside the range (not significant)" if by["outside"] else "",
        f"{by['ok']} met" if by["ok"] else "",
        f"{not_judged} not judged (no data or not calculable)" if not_judged else "") if p]
    text = counted(len(evidence), "evidence item") + (": " + ", ".join(parts) if parts else "")
    short = str(len(evidence)) + (f" ({counted(by['breach'], 'breach', 'breaches')})"
                                  if by["breach"] else "")
    return ItemCounts(len(evidence), judged, by["breach"], by["outside"], by["ok"],
                      not_judged, open_findings, text, short)


def _names(views: Sequence[OutcomeView]) -> str:
    return ", ".join(distinct_names(views))


def _gap_names(gaps: Sequence[AccountabilityGap]) -> str:
    labels = [g.metric_label for g in gaps]
    return ", ".join(f"{g.metric_label} ({g.title})" if labels.count(g.metric_label) > 1
                     else g.metric_label for g in gaps)


def accountability_gaps(outcomes: Sequence[OutcomeView], levels: Sequence[str],
                        numbers: Mapping[str, str] | None = None, word: str = "statement"
                        ) -> tuple[AccountabilityGap, ...]:
    """Breaches at board level or higher with no action owner, or past their due date.

    Args:
        outcomes: the items, their ``evidence`` already in the framework version's ids.
        levels: the escalation ladder, lowest first.
        numbers: section id -> its number as printed ("4", "W2"); default: the id's last
            dotted part.
        word: what a section is called ("statement", "key line of enquiry").
    """
    high = board_levels(levels)
    out = []
    for o in outcomes:
        f = o.finding
        if o.status != "breach" or f is None or not f.open or f.level not in high:
            continue
        if f.owner and not f.overdue:
            continue
        owner = (f"Owner {f.owner}, due {f.due_text}" if f.owner else "No action owner")
        shown = tuple(sorted(((numbers or {}).get(s) or s.rsplit(".", 1)[-1]
                              for s in o.evidence), key=lambda n: (len(n), n)))
        where = ("" if not shown else f"; listed under {word} {shown[0]}"
                 if len(shown) == 1 else
                 f"; listed under {word}s {', '.join(shown[:-1])} and {shown[-1]}")
        out.append(AccountabilityGap(
            o.rule_id, o.indicator, o.title, f.level_label, owner, shown,
            f"{o.heading} ({f.level_label}; {owner[0].lower()}{owner[1:]}"
            f"{where})."))
    return tuple(out)


# ----------------------------------------------------------------------------- scoring

def previous_period(o: OutcomeView) -> str | None:
    """The period before the item's current one in its series (None: single period)."""
    periods = [p.period for p in o.series]
    if o.period in periods:
        periods = periods[:periods.index(o.period)]
    return periods[-1] if periods else None


def met_before(o: OutcomeView) -> bool:
    """The item was met at the period before its current one, as far as the store shows:
    a figure for that period (shown to this audience), inside the rule's acceptable band
    when it has one, and no shortfall recorded for it in the findings register (which
    records breaches only: the band catches an earlier "outside", which opens no finding)."""
    prev = previous_period(o)
    point = next((p for p in o.series if p.period == prev), None)
    if prev is None or point is None or point.value is None:
        return False
    band = o.band
    if band is not None and ((band.low is not None and point.value < band.low)
                             or (band.high is not None and point.value > band.high)):
        return False
    f = o.finding
    return f is None or not any(e.period == prev and e.status in SHORTFALLS for e in f.history)


def significantly_improving(o: OutcomeView) -> bool:
    return o.movement is not None and o.movement.direction == "improving"


def sustained(o: OutcomeView) -> bool:
    """Met now, and met at the previous period too or significantly improved."""
    return o.status == "ok" and (met_before(o) or significantly_improving(o))


def score_statement(evidence: Sequence[OutcomeView], levels: Sequence[str],
                    gaps: Sequence[AccountabilityGap] = (), word: str = "statement"
                    ) -> Assessment:
    """Apply the scoring rule in the module docstring to a statement's evidence items.

    Args:
        evidence: the statement's evidence items (one outcome per rule).
        levels: the escalation ladder, lowest first (``settings.escalation_levels``).
        gaps: accountability gaps that count against this statement (the version's
            accountable sections: in 2024, statements 2 and 5).
        word: what the version calls a section, for the sentences.
    """
    counts = count_items(evidence)
    judged = [o for o in evidence if o.status in JUDGED]
    if not evidence and not gaps:
        return Assessment(None, (f"No evidence items map to this {word}.",),
                          f"Not scored: no evidence items map to this {word}.", (), False)
    if not judged and not gaps:
        why = (f"its {counted(counts.items, 'evidence item')} could not be judged (no data or not "
               "calculable)")
        return Assessment(None, (why[0].upper() + why[1:] + ".",), f"Not scored: {why}.", (),
                          False)
    high = board_levels(levels)
    breaches = [o for o in judged if o.status == "breach"]
    shortfalls = [o for o in judged if o.status in SHORTFALLS]
    single = bool(judged) and all(previous_period(o) is None for o in judged)

    def of_judged(k: int, one: str, many: str) -> str:
        return f"{k} of {len(judged)} judged {'item' if len(judged) == 1 else 'items'} " + (
            one if k == 1 else many)

    every = ("the judged item is met" if len(judged) == 1
             else f"all {len(judged)} judged items are met")
    reasons = [counts.text[0].upper() + counts.text[1:] + "."]

    def done(score: int, clause: str, decisive: Sequence[OutcomeView | AccountabilityGap]
             ) -> Assessment:
        sentence = f"Suggested {score} ({SCORE_WORDS[score].lower()}): {clause}."
        if single and score >= 3:
            reasons.append("Single period: every judged item has a figure for one period "
                           "only, so no position is shown to be sustained.")
        return Assessment(score, tuple(reasons), sentence,
                          tuple(dict.fromkeys(d.rule_id for d in decisive)), single, clause)

    gap_reason = (
        f"{counted(len(gaps), 'board-level breach', 'board-level breaches')} in this document "
        f"without an action owner or past due: {_gap_names(gaps)}. "
        "Accountability for them is evidence about leadership and governance, so this "
        f"{word} cannot be suggested good.") if gaps else ""
    escalated = [o for o in breaches if o.finding is not None and o.finding.level in high]
    long_running = [o for o in breaches if o.finding is not None
                    and o.finding.consecutive_periods >= LONG_RUNNING and o not in escalated]
    half = bool(judged) and len(breaches) / len(judged) >= 0.5
    if escalated or long_running or half:
        clauses = []
        if escalated:
            n_unowned = sum(1 for o in escalated if o.finding and not o.finding.owner)
            reasons.append(f"Escalated to board level: {_names(escalated)}.")
            owners = ("" if not n_unowned else " (none with an action owner)"
                      if n_unowned == len(escalated) else f" ({n_unowned} with no action owner)")
            clauses.append(of_judged(len(breaches), "is a breach", "are breaches")
                           + (", escalated to board level" if len(escalated) == 1 == len(breaches)
                              else f", {len(escalated)} of them escalated to board level")
                           + owners)
        if long_running:
            reasons.append(f"In breach for {LONG_RUNNING} or more consecutive periods: "
                           f"{_names(long_running)}.")
            if not escalated:
                clauses.append(f"{counted(len(long_running), 'breach', 'breaches')} lasting "
                               f"{LONG_RUNNING} or more periods")
        if half:
            reasons.append("Half or more of the judged items are in breach.")
            if not clauses:
                clauses.append(of_judged(len(breaches), "is a breach", "are breaches"))
        if gaps:
            reasons.append(gap_reason)
        return done(1, "; ".join(clauses), escalated + long_running or breaches)
    severe = [o for o in breaches if o.severity in SEVERE]
    quarter = bool(judged) and len(shortfalls) / len(judged) > 0.25
    if severe or quarter or gaps:
        clauses = []
        if gaps:
            reasons.append(gap_reason)
            clauses.append(f"{counted(len(gaps), 'board-level breach', 'board-level breaches')} "
                           "in this document have no action owner or are past due"
                           if len(gaps) > 1 else "a board-level breach in this document "
                           "has no action owner or is past due")
        if severe:
            reasons.append(f"High-severity breach: {_names(severe)}.")
            clauses.append(of_judged(len(breaches), "is a breach", "are breaches")
                           + f", {len(severe)} of high severity")
        if quarter:
            reasons.append("More than a quarter of the judged items fall short: "
                           f"{_names(shortfalls)}.")
            if not severe:
                clauses.append(of_judged(len(shortfalls), "falls short", "fall short"))
        if not judged:
            clauses.append("no evidence item of its own could be judged")
        return done(2, "; ".join(clauses), [*gaps, *severe, *shortfalls])
    missing = [o for o in evidence if o.status not in JUDGED]
    unowned = [o for o in evidence if o.finding is not None and o.finding.open
               and (not o.finding.owner or o.finding.overdue)]
    if shortfalls or missing or unowned or single:
        clauses = []
        if shortfalls:
            reasons.append(f"Short of the standard: {_names(shortfalls)}.")
            clauses.append(of_judged(len(shortfalls), "falls short", "fall short"))
        if missing:
            reasons.append(f"Not judged (no data or not calculable): {_names(missing)}.")
            clauses.append(f"{len(missing)} of {counted(counts.items, 'item')} not judged")
        if unowned:
            reasons.append("Open finding without an action owner or past due: "
                           f"{_names(unowned)}.")
            clauses.append(f"{counted(len(unowned), 'open finding')} without an owner or past due")
        if single and not clauses:
            clauses.append(f"{every}, single period")
        elif single:
            clauses.append("single period")
        return done(3, "; ".join(clauses), [*shortfalls, *missing, *unowned] or judged)
    unsustained = [o for o in judged if not sustained(o)]
    if len(judged) >= MIN_FOR_EXCEPTIONAL and not unsustained:
        improving = [o for o in judged if significantly_improving(o)]
        reasons.append(f"Every judged item met and sustained: {_names(judged)}"
                       + (f"; significant improvement in {_names(improving)}"
                          if improving else " (each met at the previous period too)") + ".")
        return done(4, f"{every} and sustained over two or more periods", judged)
    if unsustained:
        reasons.append("Met at this period but not shown to be sustained (not met at the "
                       "previous period, or no figure for it, and no significant "
                       f"improvement): {_names(unsustained)}.")
        clause = f"{every}, {len(unsustained)} not yet shown to be sustained"
    else:
        reasons.append(f"Every judged item met and sustained ({_names(judged)}); "
                       f"{len(judged)} judged, {MIN_FOR_EXCEPTIONAL} needed to suggest "
                       "exceptional.")
        clause = (f"{every} and sustained, but fewer than {MIN_FOR_EXCEPTIONAL} items are "
                  "judged")
    return done(3, clause, unsustained or judged)


def suggest_score(items: Sequence[EvidenceItem], outcomes: Sequence[OutcomeView],
                  levels: Sequence[str] = DEFAULT_LEVELS) -> tuple[int | None, tuple[str, ...]]:
    """(score, reasons) for the outcomes behind ``items`` (see :func:`score_statement`)."""
    ids = {i.rule_id for i in items if i.kind != "action"}
    a = score_statement([o for o in outcomes if o.rule_id in ids], levels)
    return a.score, a.reasons
