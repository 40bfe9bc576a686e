"""Building the :class:`~assurance.report_context.model.WellLedContext`: CQC well-led evidence.

Each enabled rule names the quality statements it evidences (``evidence:`` in the pack, e.g.
``[well-led.4, well-led.3]``). For every statement in ``catalogue/wellled.yaml`` this module
collects the evidence items those rules give for one organisation, files each under one of
the six CQC evidence categories, lists the gaps, and suggests a score.

Evidence categories (CQC Single Assessment Framework) are assigned by what the figure is:

* Staff Survey based metrics (survey years, or the ``NSS`` standard) → "feedback from staff
  and leaders";
* data-quality rules, returns, narrative answers (WDES 9b) and actions on findings →
  "processes";
* everything else — workforce, recruitment, case and board counts, monthly series →
  "outcomes".

Suggested score per statement (1 significant shortfalls · 2 some shortfalls · 3 good ·
4 exceptional), from the items whose rule could be judged (breach or met):

1. not scored when the statement has no evidence items, or none could be judged;
2. **1** when any breach has been escalated to the board committee or beyond, has lasted
   three or more consecutive periods, or when half or more of the judged items breach;
3. else **2** when a high- or critical-severity rule breaches, or more than a quarter of
   the judged items breach;
4. else **3** when any breach remains, any item has no data, or an open finding has no
   action owner;
5. else **4** when every judged item is met, at least five were judged and at least one
   shows sustained improvement (a finding resolved at this date or an improving trend);
   otherwise **3**.

The key-question percentage follows CQC's arithmetic (sum of scores ÷ 4 × statements
scored; 88–100 % Outstanding, 63–87 % Good, 39–62 % Requires improvement, ≤ 38 %
Inadequate). Every score and rating here is **suggested by the tool, not a CQC rating**:
CQC also weighs people's experiences, observation and partners' feedback, which this tool
does not hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.engine import Engine

from assurance.catalogue import (
    WELL_LED_FILE,
    Catalogue,
    QualityStatement,
    load_catalogue,
    load_statements,
)
from assurance.config import Settings
from assurance.engine.yamlsrc import load_yaml
from assurance.report_context.board import board_context
from assurance.report_context.inputs import ReportInputs, load_inputs
from assurance.report_context.model import (
    SUGGESTED_NOTE,
    BoardContext,
    EvidenceItem,
    OutcomeView,
    StatementView,
    WellLedContext,
)

CATEGORIES = ("people's experiences", "feedback from staff and leaders", "observation",
              "feedback from partners", "processes", "outcomes")
SCORE_WORDS = {1: "Significant shortfalls", 2: "Some shortfalls", 3: "Good", 4: "Exceptional"}
HIGH_LEVELS = ("board_committee", "regulator")
MIN_FOR_EXCEPTIONAL = 5
SCORING_METHOD = (
    "A statement with no evidence items, or none that could be judged, is not scored.",
    "1 (significant shortfalls): a breach escalated to the board committee or beyond, a "
    "breach lasting three or more consecutive periods, or half or more of the judged items "
    "in breach.",
    "2 (some shortfalls): otherwise, a high- or critical-severity rule in breach, or more "
    "than a quarter of the judged items in breach.",
    "3 (good): otherwise, any breach, any item without data, or an open finding without an "
    "action owner.",
    "4 (exceptional): every judged item met, at least five judged, and at least one "
    "sustained improvement (a resolved finding or an improving trend); otherwise 3.",
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
        return "No finding recorded" if o.status != "breach" else "Not yet in the register"
    text = f"{f.status_label}; level {f.level_label}"
    if f.open:
        text += f"; {f.consecutive_periods} consecutive period(s) in breach"
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


def suggest_score(items: Sequence[EvidenceItem], outcomes: Sequence[OutcomeView]
                  ) -> tuple[int | None, tuple[str, ...]]:
    """Apply the scoring heuristic in the module docstring; return (score, reasons)."""
    if not items:
        return None, ("No evidence items map to this statement.",)
    ids = {i.rule_id for i in items if i.kind != "action"}
    evidence = [o for o in outcomes if o.rule_id in ids]
    judged = [o for o in evidence if o.status in ("breach", "ok")]
    if not judged:
        return None, ("No evidence item could be judged (no data).",)
    breaches = [o for o in judged if o.status == "breach"]
    share = len(breaches) / len(judged)
    reasons = [f"{len(breaches)} of {len(judged)} judged item(s) in breach."]
    serious = [o for o in breaches if o.finding is not None and (
        o.finding.level in HIGH_LEVELS or o.finding.consecutive_periods >= 3)]
    if serious or share >= 0.5:
        if serious:
            reasons.append("Escalated or long-running breach: "
                           + ", ".join(f"{o.metric_label} ({o.finding.level_label}, "
                                       f"{o.finding.consecutive_periods} period(s))"
                                       for o in serious if o.finding) + ".")
        if share >= 0.5:
            reasons.append("Half or more of the judged items are in breach.")
        return 1, tuple(reasons)
    severe = [o for o in breaches if o.severity in ("high", "critical")]
    if severe or share > 0.25:
        if severe:
            reasons.append("High-severity breach: " + ", ".join(
                dict.fromkeys(o.metric_label for o in severe)) + ".")
        if share > 0.25:
            reasons.append("More than a quarter of the judged items are in breach.")
        return 2, tuple(reasons)
    missing = [o for o in evidence if o.status not in ("breach", "ok")]
    unowned = [o for o in breaches if o.finding is not None and o.finding.open
               and not o.finding.owner]
    if breaches or missing or unowned:
        if missing:
            reasons.append(f"{len(missing)} item(s) without data.")
        if unowned:
            reasons.append(f"{len(unowned)} open finding(s) without an action owner.")
        return 3, tuple(reasons)
    improving = [o for o in judged if o.direction == "improving" or (
        o.finding is not None and "resolved" in o.finding.events_at_as_of)]
    if len(judged) >= MIN_FOR_EXCEPTIONAL and improving:
        reasons.append("Every judged item met, with sustained improvement in "
                       + ", ".join(dict.fromkeys(o.metric_label for o in improving)) + ".")
        return 4, tuple(reasons)
    reasons.append("Every judged item met" + (
        f"; {len(judged)} judged, {MIN_FOR_EXCEPTIONAL} needed to suggest exceptional."
        if len(judged) < MIN_FOR_EXCEPTIONAL else "; no sustained improvement shown yet."))
    return 3, tuple(reasons)


def _rating(percent: float) -> str:
    if percent >= 88:
        return "Outstanding"
    if percent >= 63:
        return "Good"
    if percent >= 39:
        return "Requires improvement"
    return "Inadequate"


def _statement(st: QualityStatement, board: BoardContext, cat: Catalogue) -> StatementView:
    items = tuple(_items(board.outcomes, st.id, cat))
    present = {i.category for i in items}
    gaps: list[str] = []
    if not items:
        gaps.append(f"No evidence for \u201c{st.name}\u201d: no rule in force maps to this "
                    f"statement (a rule would list evidence: [{st.id}]).")
    gaps.extend(f"No data for {i.metric_label} ({i.title})." for i in items
                if i.kind != "action" and i.status in ("no_data",))
    gaps.extend(f"{i.metric_label} could not be calculated ({i.title})." for i in items
                if i.kind != "action" and i.status == "not_calculable")
    score, reasons = suggest_score(items, board.outcomes)
    label = "Not scored" if score is None else f"{score} \u2013 {SCORE_WORDS[score]} (suggested)"
    return StatementView(st.id, st.id.rsplit(".", 1)[-1], st.name, st.we, st.verbatim, items,
                         tuple(c for c in categories() if c in present), tuple(gaps), score,
                         label, reasons)


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
    statements = tuple(_statement(st, board, cat) for st in load_statements().values())
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
        scoring_method=SCORING_METHOD, board=board)
