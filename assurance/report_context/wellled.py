"""Building the :class:`~assurance.report_context.model.WellLedContext`: well-led evidence
for one framework version.

Each enabled rule names the 2024 quality statements it evidences (``evidence:`` in the pack,
e.g. ``[well-led.4, well-led.3]``). The framework version (``reports.well_led_framework``,
or ``--framework``: ``cqc-saf-2024``, ``cqc-2026``, ``nhse-people-culture``; one file each
in ``catalogue/frameworks/``, :mod:`assurance.frameworks`) translates those ids to its own
sections — quality statements, key lines of enquiry or capabilities. For every section this
module collects the evidence items its rules give for one organisation, files each under one
of the evidence categories, lists the gaps, and suggests an assessment with the one rule of
:mod:`assurance.report_context.wellled_scoring`. The version decides what the assessment is
called, whether each section shows it (the 2026 CQC frameworks score no section) and whether
a key-question percentage exists (only the 2024 framework has one; no other prints one).

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

The scoring terms and rule are in :mod:`assurance.report_context.wellled_scoring`.

In the 2024 framework the key-question percentage follows CQC's arithmetic (sum of scores ÷ 4 × statements
scored; 88–100 % Outstanding, 63–87 % Good, 39–62 % Requires improvement, ≤ 38 %
Inadequate). Every score and rating here is **suggested by the tool, not a CQC rating**:
CQC also weighs people's experiences, observation and partners' feedback, which this tool
does not hold.

The counts and the reasoning behind each score are fields of the contract's
:class:`~assurance.report_context.model.StatementView` and
:class:`~assurance.report_context.model.WellLedContext`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from sqlalchemy.engine import Engine

from assurance.catalogue import Catalogue, load_catalogue
from assurance.config import Settings
from assurance.frameworks import BASE_FRAMEWORK, Framework, Section, load_framework
from assurance.report_context.board import board_context
from assurance.report_context.inputs import ReportInputs, load_inputs
from assurance.report_context.model import (
    AccountabilityGap,
    BoardContext,
    EvidenceItem,
    OutcomeView,
    StatementView,
    WellLedContext,
)
from assurance.report_context.views import board_levels
from assurance.report_context.wellled_scoring import (
    ITEM_DEFINITION,
    JUDGED,
    LONG_RUNNING,
    MIN_FOR_EXCEPTIONAL,
    SCORE_WORDS,
    SEVERE,
    SHORTFALLS,
    Assessment,
    accountability_gaps,
    count_items,
    met_before,
    previous_period,
    score_statement,
    significantly_improving,
    suggest_score,
    sustained,
)
from assurance.wording import counted, level_label

CATEGORIES = ("people's experiences", "feedback from staff and leaders", "observation",
              "feedback from partners", "processes", "outcomes")
ACCOUNTABLE_STATEMENTS = ("well-led.2", "well-led.5")
"""The 2024 framework's accountable statements (each version lists its own)."""

__all__ = [
    "ACCOUNTABLE_STATEMENTS", "CATEGORIES", "ITEM_DEFINITION", "JUDGED", "LONG_RUNNING",
    "MIN_FOR_EXCEPTIONAL", "SCORE_WORDS", "SEVERE", "SHORTFALLS", "Assessment",
    "accountability_gaps", "categories", "category_of", "count_items", "item_definition",
    "met_before", "previous_period", "score_statement", "scoring_method",
    "significantly_improving", "suggest_score", "sustained", "well_led_context",
]  # fmt: skip


def _fw(fw: Framework | None) -> Framework:
    return fw if fw is not None else load_framework(BASE_FRAMEWORK)


def item_definition(fw: Framework | None = None) -> str:
    """What an evidence item is, in the version's words."""
    fw = _fw(fw)
    if fw.id == BASE_FRAMEWORK:
        return ITEM_DEFINITION
    return (f"An evidence item is one rule in force judged for the organisation: its figure "
            f"or answer, status, trend, finding and source. A rule that evidences more than "
            f"one {fw.section_word} is listed under each, so the counts per {fw.section_word} "
            "add up to more than the document's total. Actions are not further items: they "
            "are the open findings of items.")


def _accountable_words(fw: Framework) -> str:
    names = [f"{s.number} ({s.name.split(',')[0].lower()})" for s in fw.sections
             if s.id in fw.accountable]
    return " and ".join(names) if names else "none"


def scoring_method(levels: Sequence[str], fw: Framework | None = None) -> tuple[str, ...]:
    """The rule in words, one sentence per step, naming this ladder's board levels and the
    version's words for each assessment."""
    fw = _fw(fw)
    sc = fw.scoring
    board = " or ".join(level_label(x) for x in board_levels(levels)) or "none"
    words = sc.words if sc.sections_scored else sc.overall_words
    numbered = sc.percentages

    def w(n: int) -> str:
        return f"{n} ({words[n].lower()})" if numbered else words[n]

    unit = (f"each {fw.section_word}" if sc.sections_scored
            else "the key question as a whole (all its evidence together)")
    acc = f"{fw.sections_word} {_accountable_words(fw)}"
    steps = [
        item_definition(fw),
        "Judged items are those in breach, outside the range (not significant) or met; "
        "items with no data or not calculable are not judged. Breaches and items outside "
        "the range are shortfalls; outside the range counts below a breach.",
        f"Board level means escalated to {board}. An accountability gap is a breach at "
        "board level whose finding has no action owner or is past its due date; wherever "
        f"it is listed, it counts against {acc}.",
        f"The rule below is applied to {unit}; the first step that applies decides.",
        "Not assessed: no judged item and no accountability gap.",
        f"{w(1)}: a breach escalated to board level, a breach lasting {LONG_RUNNING} or "
        "more consecutive periods, or half or more of the judged items in breach.",
        f"{w(2)}: otherwise, a high- or critical-severity rule in breach, more than a "
        "quarter of the judged items short of the standard, or any accountability gap "
        + (f"({acc})." if sc.sections_scored else "."),
        f"{w(3)}: otherwise, any shortfall, any item not judged, an open finding without an "
        "action owner or past its due date, or evidence from a single period only.",
        f"{w(4)}: every judged item met and sustained (met at the previous period too, or a "
        f"statistically significant improvement), with at least {MIN_FOR_EXCEPTIONAL} "
        f"judged; otherwise {w(3)}. A change over one year alone never reaches {words[4]}.",
    ]
    if sc.percentages:
        bands = list(sc.ratings)
        parts = []
        for i, (low, rating) in enumerate(bands):
            top = 100 if i == 0 else bands[i - 1][0] - 1
            parts.append(f"{low:g}-{top:g}% {rating}" if low else f"{top:g}% or less {rating}")
        steps.append(f"The key-question percentage is the sum of scores divided by 4 times "
                     f"the {fw.sections_word} scored: {', '.join(parts)}.")
    elif sc.key_question == "overall":
        steps.append(f"This framework rates the key question only: no {fw.section_word} is "
                     "scored and no percentage is worked out. Under each "
                     f"{fw.section_word} the document says what its evidence shows, "
                     "without a score.")
    else:
        steps.append(f"This framework has no overall score and no percentage: each "
                     f"{fw.section_word} gets a suggested position for the board's own "
                     "self-assessment.")
    return tuple(steps)


def categories(fw: Framework | None = None) -> tuple[str, ...]:
    """The evidence categories, from the framework file (editable data)."""
    return _fw(fw).categories or CATEGORIES


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
        text += f"; {counted(f.consecutive_periods, 'period')} in breach"
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
            "narrative" if narrative else "figure", o.rule_id, o.heading, o.title,
            category_of(o, cat), o.status, o.status_label, figure_text, o.trend_text,
            _finding_text(o), o.action, _progress_text(o), narrative, o.source, o.severity))
        if o.finding is not None and o.finding.open:
            out.append(EvidenceItem(
                "action", o.rule_id, o.heading, f"Action: {o.title}", "processes",
                o.status, o.status_label, "", "", _finding_text(o), o.action,
                _progress_text(o), "", o.source, o.severity))
    return out


def _word(fw: Framework) -> str:
    """A section in running text ("statement 4" reads better than "quality statement 4")."""
    return "statement" if fw.id == BASE_FRAMEWORK else fw.section_word


def _labels(a: Assessment, fw: Framework) -> tuple[int | None, str, str]:
    """(score shown, label, sentence) of a section's assessment in the version's words."""
    sc = fw.scoring
    if not sc.sections_scored:
        clause = a.clause or a.sentence.removeprefix("Not scored: ").rstrip(".")
        return (None, f"Not scored: {fw.title} rates the key question only",
                f"What the evidence shows: {clause}." if a.score is not None else a.sentence)
    if a.score is None:
        return None, "Not scored", a.sentence
    if sc.percentages:
        return (a.score, f"{a.score} \u2013 {sc.words[a.score]} (suggested)",
                a.sentence if fw.id == BASE_FRAMEWORK
                else f"Suggested {a.score} ({sc.words[a.score].lower()}): {a.clause}.")
    word = sc.words[a.score]
    return a.score, f"{word} (suggested)", f"Suggested position {word.lower()}: {a.clause}."


def _statement(st: Section, outcomes: Sequence[OutcomeView], cat: Catalogue,
               levels: Sequence[str], gaps: Sequence[AccountabilityGap], fw: Framework
               ) -> StatementView:
    items = tuple(_items(outcomes, st.id, cat))
    evidence = [o for o in outcomes if st.id in o.evidence]
    present = {i.category for i in items}
    own_gaps = tuple(gaps) if st.id in fw.accountable else ()
    notes: list[str] = []
    if not items:
        hint = (f"a rule would list evidence: [{st.id}]" if fw.id == BASE_FRAMEWORK else
                f"the maps: in {fw.file_name} send no rule's evidence here")
        notes.append(f"No evidence for \u201c{st.name}\u201d: no rule in force maps to this "
                     f"{fw.section_word} ({hint}).")
    notes.extend(f"No data for {i.name}." for i in items
                 if i.kind != "action" and i.status in ("no_data",))
    notes.extend(f"Could not be calculated: {i.name}." for i in items
                 if i.kind != "action" and i.status == "not_calculable")
    a = score_statement(evidence, levels, own_gaps, _word(fw))
    score, label, sentence = _labels(a, fw)
    return StatementView(
        st.id, st.number, st.name, st.we, st.verbatim, items,
        tuple(c for c in categories(fw) if c in present), tuple(notes), score, label,
        a.reasons, counts=count_items(evidence), accountability=own_gaps,
        single_period=a.single_period, decisive=a.decisive, score_sentence=sentence)


def _key_question(fw: Framework, statements: Sequence[StatementView],
                  mapped: Sequence[OutcomeView], levels: Sequence[str],
                  gaps: Sequence[AccountabilityGap]) -> tuple[float | None, str]:
    """(percentage or None, label) of the key question in the version's scoring model."""
    sc = fw.scoring
    note = sc.note[0].lower() + sc.note[1:] if sc.note else ""
    if sc.percentages:
        scored = [s.score for s in statements if s.score is not None]
        percent = round(100 * sum(scored) / (4 * len(scored)), 1) if scored else None
        if percent is None:
            return None, f"Not scored: no {fw.section_word} has evidence that could be judged."
        return percent, f"{sc.rating(percent)} ({percent:g}%) \u2013 {note}"
    if sc.key_question == "overall":
        a = score_statement(mapped, levels, gaps, "key question")
        if a.score is None:
            return None, "Not rated: no evidence in this document could be judged."
        return None, f"{sc.overall_words[a.score]} \u2013 {note}"
    return None, f"No overall rating: each {fw.section_word} has its own position. {sc.note}"


def well_led_context(engine: Engine, settings: Settings, *, org_code: str, as_of: date,
                     inputs: ReportInputs | None = None, board: BoardContext | None = None,
                     framework: str | None = None) -> WellLedContext:
    """The documented context of the well-led evidence document for one organisation.

    Args:
        engine: the store.
        settings: the frozen settings.
        org_code: the organisation's ODS code.
        as_of: the evaluation date.
        inputs: preloaded store data (see :func:`board_context`).
        board: the board context for the same organisation and date, when already built.
        framework: the framework version's id; default ``reports.well_led_framework``.

    Raises:
        ProblemsError: an unknown framework version, or a framework file with problems.
    """
    fw = load_framework(framework or settings.reports.well_led_framework)
    if board is None:
        inputs = inputs or load_inputs(engine, settings, as_of=as_of, org_codes=[org_code])
        board = board_context(engine, settings, org_code=org_code, as_of=as_of, inputs=inputs)
    cat = load_catalogue()
    levels = settings.escalation_levels
    outcomes = [replace(o, evidence=fw.evidence_for(o.rule_id, o.evidence))
                for o in board.outcomes]
    mapped = [o for o in outcomes if o.evidence]
    gaps = accountability_gaps(mapped, levels, {s.id: s.number for s in fw.sections},
                               _word(fw))
    statements = tuple(_statement(st, outcomes, cat, levels, gaps, fw) for st in fw.sections)
    percent, label = _key_question(fw, statements, mapped, levels, gaps)
    return WellLedContext(
        product=board.product, title=fw.document_title,
        organisation=board.organisation, as_of=as_of, as_of_text=board.as_of_text,
        period_label=board.period_label, statements=statements, categories=categories(fw),
        key_question_percent=percent, key_question_label=label,
        scoring_method=scoring_method(levels, fw), board=board,
        suggested_note=fw.scoring.note or "Suggested by the tool.",
        evidence_count=len(mapped), evidence_text=count_items(mapped).text,
        item_definition=item_definition(fw),
        board_levels=tuple(level_label(x) for x in board_levels(levels)), framework=fw)
