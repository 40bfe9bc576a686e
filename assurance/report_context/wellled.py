"""Building the :class:`~assurance.report_context.model.WellLedContext`: CQC well-led evidence.

Each enabled rule names the quality statements it evidences (``evidence:`` in the pack, e.g.
``[well-led.4, well-led.3]``). For every statement in ``catalogue/wellled.yaml`` this module
collects the evidence items those rules give for one organisation, files each under one of
the six CQC evidence categories, lists the gaps, and suggests a score.

**Evidence item** (the one unit every count in the document uses): one rule in force,
judged for the organisation at ``as_of`` — its figure or narrative answer, status, trend,
finding and source. It is listed under every statement its rule evidences, so the
statement counts add up to more than the document's count of distinct items. The actions
listed under a statement are not further items: they are the open findings *of* its items
(a named subset, "4 of them with an open finding"). Every number of items the document says
comes from :class:`ItemCounts` (per statement) or :attr:`WellLedContext.evidence_count`.

Evidence categories (CQC Single Assessment Framework) are assigned by what the figure is:

* Staff Survey based metrics (survey years, or the ``NSS`` standard) → "feedback from staff
  and leaders";
* data-quality rules, returns, narrative answers (WDES 9b) and actions on findings →
  "processes";
* everything else — workforce, recruitment, case and board counts, monthly series →
  "outcomes".

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
  statement the rule evidences, so they count against quality statements 2 ("Capable,
  compassionate and inclusive leaders") and 5 ("Governance, management and sustainability")
  — :data:`ACCOUNTABLE_STATEMENTS`;
* **sustained**: an item met at this period that was also met at the period before (its
  series holds the previous period, inside the rule's acceptable band when it has one, and
  the findings register records no shortfall for it),
  or whose latest change is a statistically supported improvement
  (``OutcomeView.movement``; ``None`` counts as not tested);
* **single period**: no judged item of the statement has a figure for an earlier period.

Suggested score per statement (1 significant shortfalls · 2 some shortfalls · 3 good ·
4 exceptional), the first rule that applies:

1. not scored when the statement has no judged item and no accountability gap;
2. **1** when a breach's finding has been escalated to board level or beyond, a breach has
   lasted three or more consecutive periods, or half or more of the judged items breach;
3. **2** when a high- or critical-severity rule breaches, more than a quarter of the judged
   items are shortfalls, or (statements 2 and 5) there is any accountability gap;
4. **3** when any item is a shortfall or not judged, an open finding has no action owner or
   is overdue, or the evidence is from a single period;
5. **4** when every judged item is met and sustained and at least five are judged;
   otherwise **3**.

The key-question percentage follows CQC's arithmetic (sum of scores ÷ 4 × statements
scored; 88–100 % Outstanding, 63–87 % Good, 39–62 % Requires improvement, ≤ 38 %
Inadequate). Every score and rating here is **suggested by the tool, not a CQC rating**:
CQC also weighs people's experiences, observation and partners' feedback, which this tool
does not hold.

Known limitations: "met at the period before" trusts the findings register, which records
breaches, not passes; a store evaluated only at ``as_of`` (never for earlier periods) shows
no earlier breach, so an item could be read as sustained on data the register never judged.
A previous period whose figure is withheld from the audience is not counted as met, and nor
is one beyond either limit of the rule's band (the band a chart shades has both limits even
when the rule judges only the adverse one), so the check errs towards "not sustained".

The counts and the reasoning behind each score are fields of the contract's
:class:`~assurance.report_context.model.StatementView` and
:class:`~assurance.report_context.model.WellLedContext`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import Engine

from assurance.catalogue import (
    WELL_LED_FILE,
    Catalogue,
    QualityStatement,
    load_catalogue,
    load_statements,
)
from assurance.config import DEFAULT_LEVELS, Settings
from assurance.engine.yamlsrc import load_yaml
from assurance.report_context.board import board_context
from assurance.report_context.inputs import ReportInputs, load_inputs
from assurance.report_context.model import (
    SUGGESTED_NOTE,
    AccountabilityGap,
    BoardContext,
    EvidenceItem,
    ItemCounts,
    OutcomeView,
    StatementView,
    WellLedContext,
)
from assurance.report_context.views import board_levels, level_label

CATEGORIES = ("people's experiences", "feedback from staff and leaders", "observation",
              "feedback from partners", "processes", "outcomes")
SCORE_WORDS = {1: "Significant shortfalls", 2: "Some shortfalls", 3: "Good", 4: "Exceptional"}
ACCOUNTABLE_STATEMENTS = ("well-led.2", "well-led.5")
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


def scoring_method(levels: Sequence[str]) -> tuple[str, ...]:
    """The rule in words, one sentence per step, naming this ladder's board levels."""
    board = " or ".join(level_label(x) for x in board_levels(levels)) or "none"
    return (
        ITEM_DEFINITION,
        "Judged items are those in breach, outside the range (not significant) or met; "
        "items with no data or not calculable are not judged. Breaches and items outside "
        "the range are shortfalls; outside the range counts below a breach.",
        f"Board level means escalated to {board}. An accountability gap is a breach at "
        "board level whose finding has no action owner or is past its due date; wherever "
        "it is listed, it counts against statements 2 (leaders) and 5 (governance).",
        "Not scored: no judged item and no accountability gap.",
        "1 (significant shortfalls): a breach escalated to board level, a breach lasting "
        f"{LONG_RUNNING} or more consecutive periods, or half or more of the judged items "
        "in breach.",
        "2 (some shortfalls): otherwise, a high- or critical-severity rule in breach, more "
        "than a quarter of the judged items short of the standard, or (statements 2 and 5) "
        "any accountability gap.",
        "3 (good): otherwise, any shortfall, any item not judged, an open finding without an "
        "action owner or past its due date, or evidence from a single period only.",
        "4 (exceptional): every judged item met and sustained (met at the previous period "
        "too, or a statistically significant improvement), with at least "
        f"{MIN_FOR_EXCEPTIONAL} judged; otherwise 3. A change over one year alone is never "
        "exceptional.",
        "The key-question percentage is the sum of scores divided by 4 times the statements "
        "scored: 88-100% Outstanding, 63-87% Good, 39-62% Requires improvement, 38% or less "
        "Inadequate.",
    )


def categories() -> tuple[str, ...]:
    """The six CQC evidence categories, from ``wellled.yaml`` (editable data)."""
    raw = load_yaml(WELL_LED_FILE) or {}
    cats = raw.get("categories")
    return tuple(str(c) for c in cats) if isinstance(cats, list) and cats else CATEGORIES


def category_of(o: OutcomeView, cat: Catalogue) -> str:
    m = cat[o.metric]
    if o.pack == "data-quality" or m.kind == "narrative":
        return "processes"
    if m.period_kind == "survey_year" or m.standard == "NSS":
        return "feedback from staff and leaders"
    return "outcomes"


def _finding_text(o: OutcomeView) -> str:
    f = o.finding
    if f is None:
        if o.status == "outside":  # not significant, so the register opens no finding
            return "No finding: outside the range but not significant"
        return "Not yet in the register" if o.status == "breach" else "No finding recorded"
    text = f"{f.status_label}; level {f.level_label}"
    if f.open:
        text += f"; {f.consecutive_periods} period(s) in breach"
    return text


def _progress_text(o: OutcomeView) -> str:
    f = o.finding
    if f is None:
        return ""
    if not f.open:
        return f.status_label + "."
    owner = (f"Owner {f.owner}, due {f.due_text}" if f.owner else "No action owner assigned")
    note = f" ({f.action_note})" if f.action_note else ""
    return f"{owner}{note}. {f.ack_text}."


def _items(outcomes: Sequence[OutcomeView], sid: str, cat: Catalogue) -> list[EvidenceItem]:
    out: list[EvidenceItem] = []
    for o in outcomes:
        if sid not in o.evidence:
            continue
        narrative = ""
        if cat[o.metric].kind == "narrative" and o.figure is not None:
            answer = o.figure.value_text
            narrative = f"Answered {answer}" + (f": \u201c{o.figure.note}\u201d"
                                                if o.figure.note else " (no description)")
        figure_text = o.figure.headline if o.figure is not None else o.summary
        out.append(EvidenceItem(
            "narrative" if narrative else "figure", o.rule_id, o.metric_label, o.title,
            category_of(o, cat), o.status, o.status_label, figure_text, o.trend_text,
            _finding_text(o), o.action, _progress_text(o), narrative, o.source, o.severity))
        if o.finding is not None and o.finding.open:
            out.append(EvidenceItem(
                "action", o.rule_id, o.metric_label, f"Action: {o.title}", "processes",
                o.status, o.status_label, "", "", _finding_text(o), o.action,
                _progress_text(o), "", o.source, o.severity))
    return out


# ----------------------------------------------------------------------------- counting

def _n(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def count_items(evidence: Sequence[OutcomeView]) -> ItemCounts:
    """Count evidence items (one per rule outcome) and the subsets the document names."""
    by = {st: sum(1 for o in evidence if o.status == st) for st in JUDGED}
    judged = sum(by.values())
    not_judged = len(evidence) - judged
    open_findings = sum(1 for o in evidence if o.finding is not None and o.finding.open)
    parts = [p for p in (
        _n(by["breach"], "breach", "breaches") if by["breach"] else "",
        f"{by['outside']} outside the range (not significant)" if by["outside"] else "",
        f"{by['ok']} met" if by["ok"] else "",
        f"{not_judged} not judged (no data or not calculable)" if not_judged else "") if p]
    text = _n(len(evidence), "evidence item") + (": " + ", ".join(parts) if parts else "")
    short = str(len(evidence)) + (f" ({_n(by['breach'], 'breach', 'breaches')})"
                                  if by["breach"] else "")
    return ItemCounts(len(evidence), judged, by["breach"], by["outside"], by["ok"],
                      not_judged, open_findings, text, short)


def _label(o: OutcomeView, repeated: set[str]) -> str:
    return f"{o.metric_label} ({o.title})" if o.metric_label in repeated else o.metric_label


def _names(views: Sequence[OutcomeView]) -> str:
    labels = [o.metric_label for o in views]
    repeated = {x for x in labels if labels.count(x) > 1}
    return ", ".join(_label(o, repeated) for o in views)


def _gap_names(gaps: Sequence[AccountabilityGap]) -> str:
    labels = [g.metric_label for g in gaps]
    return ", ".join(f"{g.metric_label} ({g.title})" if labels.count(g.metric_label) > 1
                     else g.metric_label for g in gaps)


def accountability_gaps(outcomes: Sequence[OutcomeView], levels: Sequence[str]
                        ) -> tuple[AccountabilityGap, ...]:
    """Breaches at board level or higher with no action owner, or past their due date."""
    high = board_levels(levels)
    out = []
    for o in outcomes:
        f = o.finding
        if o.status != "breach" or f is None or not f.open or f.level not in high:
            continue
        if f.owner and not f.overdue:
            continue
        owner = (f"Owner {f.owner}, due {f.due_text}" if f.owner else "No action owner")
        numbers = tuple(sorted((s.rsplit(".", 1)[-1] for s in o.evidence),
                               key=lambda n: (len(n), n)))
        where = ("" if not numbers else f"; listed under statement {numbers[0]}"
                 if len(numbers) == 1 else
                 f"; listed under statements {', '.join(numbers[:-1])} and {numbers[-1]}")
        out.append(AccountabilityGap(
            o.rule_id, o.metric_label, o.title, f.level_label, owner, numbers,
            f"{o.metric_label}: {o.title} ({f.level_label}; {owner[0].lower()}{owner[1:]}"
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
                    gaps: Sequence[AccountabilityGap] = ()) -> Assessment:
    """Apply the scoring rule in the module docstring to a statement's evidence items.

    Args:
        evidence: the statement's evidence items (one outcome per rule).
        levels: the escalation ladder, lowest first (``settings.escalation_levels``).
        gaps: accountability gaps that count against this statement (statements 2 and 5).
    """
    counts = count_items(evidence)
    judged = [o for o in evidence if o.status in JUDGED]
    if not evidence and not gaps:
        return Assessment(None, ("No evidence items map to this statement.",),
                          "Not scored: no evidence items map to this statement.", (), False)
    if not judged and not gaps:
        why = (f"its {_n(counts.items, 'evidence item')} could not be judged (no data or not "
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
                          tuple(dict.fromkeys(d.rule_id for d in decisive)), single)

    gap_reason = (
        f"{_n(len(gaps), 'board-level breach', 'board-level breaches')} in this document "
        f"without an action owner or past due: {_gap_names(gaps)}. "
        "Accountability for them is evidence about leadership and governance, so this "
        "statement cannot be suggested good.") if gaps else ""
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
                clauses.append(f"{_n(len(long_running), 'breach', 'breaches')} lasting "
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
            clauses.append(f"{_n(len(gaps), 'board-level breach', 'board-level breaches')} "
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
            clauses.append(f"{len(missing)} of {_n(counts.items, 'item')} not judged")
        if unowned:
            reasons.append("Open finding without an action owner or past due: "
                           f"{_names(unowned)}.")
            clauses.append(f"{_n(len(unowned), 'open finding')} without an owner or past due")
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


def _rating(percent: float) -> str:
    if percent >= 88:
        return "Outstanding"
    if percent >= 63:
        return "Good"
    if percent >= 39:
        return "Requires improvement"
    return "Inadequate"


def _statement(st: QualityStatement, board: BoardContext, cat: Catalogue,
               levels: Sequence[str], gaps: Sequence[AccountabilityGap]
               ) -> StatementView:
    items = tuple(_items(board.outcomes, st.id, cat))
    evidence = [o for o in board.outcomes if st.id in o.evidence]
    present = {i.category for i in items}
    own_gaps = tuple(gaps) if st.id in ACCOUNTABLE_STATEMENTS else ()
    notes: list[str] = []
    if not items:
        notes.append(f"No evidence for \u201c{st.name}\u201d: no rule in force maps to this "
                     f"statement (a rule would list evidence: [{st.id}]).")
    notes.extend(f"No data for {i.metric_label} ({i.title})." for i in items
                 if i.kind != "action" and i.status in ("no_data",))
    notes.extend(f"{i.metric_label} could not be calculated ({i.title})." for i in items
                 if i.kind != "action" and i.status == "not_calculable")
    a = score_statement(evidence, levels, own_gaps)
    label = ("Not scored" if a.score is None
             else f"{a.score} \u2013 {SCORE_WORDS[a.score]} (suggested)")
    return StatementView(
        st.id, st.id.rsplit(".", 1)[-1], st.name, st.we, st.verbatim, items,
        tuple(c for c in categories() if c in present), tuple(notes), a.score, label,
        a.reasons, counts=count_items(evidence), accountability=own_gaps,
        single_period=a.single_period, decisive=a.decisive, score_sentence=a.sentence)


def well_led_context(engine: Engine, settings: Settings, *, org_code: str, as_of: date,
                     inputs: ReportInputs | None = None,
                     board: BoardContext | None = None) -> WellLedContext:
    """The documented context of the CQC well-led evidence document for one organisation.

    Args:
        engine: the store.
        settings: the frozen settings.
        org_code: the organisation's ODS code.
        as_of: the evaluation date.
        inputs: preloaded store data (see :func:`board_context`).
        board: the board context for the same organisation and date, when already built.
    """
    if board is None:
        inputs = inputs or load_inputs(engine, settings, as_of=as_of, org_codes=[org_code])
        board = board_context(engine, settings, org_code=org_code, as_of=as_of, inputs=inputs)
    cat = load_catalogue()
    levels = settings.escalation_levels
    known = load_statements()
    mapped = [o for o in board.outcomes if any(s in known for s in o.evidence)]
    gaps = accountability_gaps(mapped, levels)
    statements = tuple(_statement(st, board, cat, levels, gaps) for st in known.values())
    scored = [s.score for s in statements if s.score is not None]
    percent = round(100 * sum(scored) / (4 * len(scored)), 1) if scored else None
    label = (f"{_rating(percent)} ({percent:g}%) \u2013 {SUGGESTED_NOTE[0].lower()}"
             f"{SUGGESTED_NOTE[1:]}" if percent is not None else
             "Not scored: no statement has evidence that could be judged.")
    return WellLedContext(
        product=board.product, title="CQC well-led evidence: workforce equality",
        organisation=board.organisation, as_of=as_of, as_of_text=board.as_of_text,
        period_label=board.period_label, statements=statements, categories=categories(),
        key_question_percent=percent, key_question_label=label,
        scoring_method=scoring_method(levels), board=board,
        evidence_count=len(mapped), evidence_text=count_items(mapped).text,
        item_definition=ITEM_DEFINITION,
        board_levels=tuple(level_label(x) for x in board_levels(levels)))
