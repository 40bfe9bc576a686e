"""The report context contract: every value a renderer or template may use, as frozen data.

The classes here are the *whole* interface between the core and the renderers in
``reports/``: a renderer (and each Jinja2 template) receives one :class:`BoardContext` or
:class:`WellLedContext` and nothing else, so a new output format never needs the store, the
engine or the statistics. Everything is already **disclosed for the audience**: when the
audience may not see exact counts, counts are the suppressed strings and values built on
small numbers are ``None`` with a ``*`` text, so no renderer can leak them by accident.

Conventions:
    * ``*_text`` fields are ready to print (British English, units included); the numeric
      twin (``value``, ``ci`` …) is there for charts and CSV extracts and is ``None`` whenever
      the text is a symbol or "not available".
    * ``status`` is the engine's word (``breach``, ``ok``, ``no_data``, ``not_calculable``,
      ``error``); ``status_label`` is what a reader sees ("Breach", "Met", "No data" …).
      Colour is never the only carrier of meaning, so every status has its word.
    * Tuples, not lists, and sorted in reading order, so the same store and ``as_of`` give
      the same context (the evidence pack is byte-for-byte reproducible).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from assurance.engine.conditions.base import Band  # each condition kind gives its own band
from assurance.frameworks import Framework

Classification = Literal["alert", "advise", "assure"]
Direction = Literal["improving", "worsening", "unchanged", "changed"]
Movement = Literal["improving", "worsening", "no_significant_change", "not_tested"]

STATUS_LABELS = {"breach": "Breach", "outside": "Outside range, not significant", "ok": "Met",
                 "no_data": "No data", "not_calculable": "Not calculable", "error": "Error"}
CLASS_LABELS = {"alert": "Alert", "advise": "Advise", "assure": "Assure"}
SUGGESTED_NOTE = "Suggested by the tool, not a CQC rating."


@dataclass(frozen=True)
class ImportRef:
    """Provenance of one import that supplied figures (``import_batch`` row)."""

    id: int
    source: str
    filename: str
    sha256: str
    imported_at: datetime
    imported_by: str
    rows_read: int
    observations: int
    importer_version: str
    note: str | None = None


@dataclass(frozen=True)
class SourceRef:
    """Where one figure came from: the import file, its SHA-256 and the period."""

    filename: str
    sha256: str
    import_id: int
    period: str
    period_label: str


@dataclass(frozen=True)
class OrgView:
    """The organisation the report is about. ``synthetic`` organisations are fictional and
    every renderer must say so on the cover and in the footer."""

    code: str
    name: str
    synthetic: bool
    org_type: str | None = None
    region: str | None = None
    benchmark_group: str | None = None


@dataclass(frozen=True)
class Branding:
    """Report branding from ``reports.branding`` (colours are 6-digit hex without ``#``)."""

    organisation_name: str
    primary_colour: str
    secondary_colour: str
    logo: str | None = None  # file path, checked by the renderer


@dataclass(frozen=True)
class GroupFigure:
    """One group behind a figure (focus, reference or unknown), disclosed."""

    role: str  # focus | reference | unknown
    group: str
    label: str
    value: float | None
    value_text: str
    numerator: int | None
    denominator: int | None
    numerator_text: str
    denominator_text: str


@dataclass(frozen=True)
class FigureView:
    """The figure that decided an outcome, with interval and counts, disclosed."""

    metric: str
    metric_label: str  # "WRES 2"
    period: str
    period_label: str
    unit: str
    calculable: bool
    value: float | None
    value_text: str
    ci: tuple[float, float] | None
    ci_text: str  # "95% CI 1.52 to 1.84" or ""
    headline: str  # value, interval and counts in one line
    counts_text: str  # "White 868/2,396; BME 445/2,054" or ""
    groups: tuple[GroupFigure, ...]
    declaration_rate: float | None
    reason: str | None = None  # why not calculable
    note: str | None = None  # narrative text (WDES 9b)
    suppressed: bool = False  # something was withheld from this audience


@dataclass(frozen=True)
class SeriesPoint:
    """One period of a trend: the focus value, the reference group's and the interval."""

    period: str
    label: str
    value: float | None
    reference: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class FindingEventView:
    at: datetime
    as_of: date
    period: str | None
    kind: str
    level: str | None
    status: str
    summary: str
    actor: str


@dataclass(frozen=True)
class FindingView:
    """A finding's lifecycle as a board follows it."""

    id: int
    fingerprint: str
    rule_id: str
    title: str
    severity: str
    status: str
    status_label: str  # "Open (breach)", "Resolved", "Open (no data)" …
    open: bool
    level: str | None
    level_label: str
    consecutive_periods: int
    first_breach_period: str | None
    opened_on: date | None
    resolved_on: date | None
    owner: str | None
    due: date | None
    due_text: str  # "30 September 2025 (overdue)" or "not set"
    overdue: bool
    action_note: str | None
    acknowledged: bool
    ack_text: str  # "Acknowledged by … on …" or "Not acknowledged"
    silenced_until: date | None
    silenced_reason: str | None
    events_at_as_of: tuple[str, ...]  # kinds recorded at this as_of (opened, escalated …)
    summary: str
    history: tuple[FindingEventView, ...]


@dataclass(frozen=True)
class MovementView:
    """The latest change of a figure, judged: "improving" or "worsening" only when a
    significance test, an SPC signal or a trajectory supports it, else "no significant
    change" with the two values (issue 11: no trend word without evidence)."""

    direction: Movement
    basis: str  # "significance test" | "SPC signal" | "trajectory" | "" (not tested)
    p_value: float | None  # the test's two-sided p (None: no test)
    previous_period_label: str
    previous_text: str  # disclosed for the audience ("*" when withheld)
    current_text: str
    text: str  # "No significant change: 1.69 (2024) to 1.67 (2025), p = 0.81"


@dataclass(frozen=True)
class OutcomeView:
    """One enabled rule judged for the organisation (every rule appears, even with no data)."""

    rule_id: str
    pack: str
    pack_title: str
    title: str
    metric: str
    metric_label: str
    metric_title: str
    standard: str
    severity: str
    status: str
    status_label: str
    classification: Classification
    summary: str  # one sentence, disclosed
    rule_text: str  # rule.describe(): "WRES 2: breach when …"
    why: str
    action: str
    evidence: tuple[str, ...]  # CQC quality statement ids
    period: str | None
    period_label: str
    figure: FigureView | None
    trend: str | None  # up | down | flat (the engine's)
    direction: Direction | None
    trend_text: str  # "Worsening: 1.60 (2024) to 1.67 (2025)" or "Single period"
    series: tuple[SeriesPoint, ...]
    band: Band | None
    finding: FindingView | None
    source: SourceRef | None
    breakdown: str = ""  # breakdown the rule judged, e.g. " (Band 8C, Band 8D … combined)"
    series_label: str = ""  # what ``SeriesPoint.value`` is, e.g. "BME"
    reference_label: str = ""  # what ``SeriesPoint.reference`` is, e.g. "White"
    movement: MovementView | None = None  # the latest change, judged (None: one period)
    alert_reasons: tuple[str, ...] = ()  # why it is an Alert ("new breach", "action overdue" …)
    # What the rule expected at each period of ``series`` (a trajectory to a target; None
    # before it starts), shown only when the baseline figure it starts from is shown.
    expected: tuple[float | None, ...] = ()
    expected_label: str = ""  # "Trajectory to 27.3% by 2028"
    division: str = ""  # a division-scoped rule's division (its name), else ""
    chart_label: str = ""  # what a chart's axis calls the metric: "Shortlisted (ethnicity)"
    assured: str = ""  # what a met rule assures, from a kind judging no figure ("Attested: …")
    family: str = ""  # which relative-likelihood chart it is drawn in ("" the standards')

    @property
    def indicator(self) -> str:
        """What lists and tables name the outcome by: its metric and breakdown ("WRES 1
        (Band 8C … combined)"), a metric without a standard's number by its few words where
        it has them ("Shortlisted (ethnicity)", not "Relative likelihood of White applicants
        being shortlisted compared to BME applicants"). A kind judging no figure (an
        attestation: :attr:`assured`) is named by its title, as its metric only anchors it:
        "WRES 1" would read as that figure in breach ("HIA 3: pay gap improvement plans not
        attested")."""
        if self.assured:
            return self.title
        return f"{self.chart_label or self.metric_label}{self.breakdown}"

    @property
    def heading(self) -> str:
        """The outcome as a heading: its indicator and title ("WRES 2: White applicants more
        likely …"), or the title alone for a kind judging no figure (:attr:`indicator`)."""
        return self.title if self.assured else f"{self.indicator}: {self.title}"


def distinct_names(views: Sequence[OutcomeView]) -> list[str]:
    """Each outcome's :attr:`~OutcomeView.indicator`, with its title beside it where another
    outcome in ``views`` has the same indicator (two rules on WRES 2, or a trust's outcome and
    one of its divisions'), so that a list naming them never names two alike."""
    labels = [o.indicator for o in views]
    repeated = {x for x in labels if labels.count(x) > 1}
    return [f"{o.indicator} ({o.title})" if o.indicator in repeated else o.indicator
            for o in views]


@dataclass(frozen=True)
class SummaryItem:
    """One line of the Alert / Advise / Assure summary."""

    classification: Classification
    heading: str
    text: str
    rule_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class SummaryView:
    alert: tuple[SummaryItem, ...]
    advise: tuple[SummaryItem, ...]
    assure: tuple[SummaryItem, ...]


@dataclass(frozen=True)
class DeclarationView:
    """How much of the workforce declared a characteristic (a caveat on every comparison)."""

    metric: str
    label: str  # "Ethnicity recorded on ESR"
    period: str
    period_label: str
    rate: float | None
    rate_text: str
    declared_text: str
    headcount_text: str
    previous_text: str  # "95.1% in 2024" or ""
    status_label: str  # from the data-quality rule, or "Not judged"


@dataclass(frozen=True)
class SpcPointView:
    period: str
    label: str
    value: float
    mean: float | None
    lpl: float | None
    upl: float | None
    lower_two_sigma: float | None
    upper_two_sigma: float | None
    point_type: str  # common_cause | special_cause_improvement | …_concern | …_neither


@dataclass(frozen=True)
class SpcView:
    """A Making Data Count XmR chart for one monthly metric, with its reading in words."""

    metric: str
    title: str
    unit: str
    improvement: str
    points: tuple[SpcPointView, ...]
    limits_available: bool
    variation: str
    variation_label: str
    assurance: str
    assurance_label: str
    description: str  # assurance.spc.describe: what the chart shows, in words
    target: float | None = None


@dataclass(frozen=True)
class PeerView:
    """The organisation's Staff Survey result against its benchmarking group."""

    metric: str
    title: str
    unit: str
    period: str
    period_label: str
    group: str
    peers: int
    value: float
    value_text: str
    median: float
    q1: float
    q3: float
    low: float
    high: float
    better: str  # "higher" | "lower" | "neither"
    position: str  # "best quarter", "worse than the median" …
    summary: str


@dataclass(frozen=True)
class Definition:
    metric: str
    label: str
    title: str
    definition: str
    source: str
    counts: str


@dataclass(frozen=True)
class DivisionRowView:
    """One row of a division table: a division, or small divisions combined (disclosed)."""

    name: str  # "Surgery", or "Other divisions combined"
    members: tuple[str, ...]  # the divisions in the row (one, or those combined)
    owner: str  # the accountable role, "none assigned", or "" for a combined row
    figure: FigureView | None  # None: no figure for this division this period
    people_text: str  # the number of people the figure counts, disclosed
    status_label: str  # the division-scoped rule's verdict, or "Not judged by division"
    combined: bool = False


@dataclass(frozen=True)
class DivisionTableView:
    """One indicator by division for the latest period (board report "Divisions")."""

    metric: str
    metric_label: str  # "WRES 2"
    metric_title: str
    period_label: str
    rule_title: str  # the division-scoped rule judging it, or ""
    rows: tuple[DivisionRowView, ...]
    note: str  # what was combined and why, or ""


@dataclass(frozen=True)
class InterventionView:
    """One action in the interventions register with its measured verdict (board report)."""

    title: str
    indicator: str  # "WRES 2, Surgery division"
    owner: str
    start_text: str  # "1 April 2023"
    verdict: str  # effect | no measurable effect yet | too early
    method_text: str  # how it was judged
    summary: str  # the verdict with its numbers (exact audiences), else the verdict alone


@dataclass(frozen=True)
class BoardContext:
    """Everything the board assurance report shows. See the package docstring."""

    product: str
    title: str
    organisation: OrgView
    as_of: date
    as_of_text: str  # "1 June 2025"
    period_label: str
    committee: str
    audience: str
    exact_counts: bool
    disclosure_note: str
    data_as_at: datetime | None
    data_as_at_text: str
    imports: tuple[ImportRef, ...]
    has_data: bool
    no_data_reason: str
    outcomes: tuple[OutcomeView, ...]
    status_counts: tuple[tuple[str, int], ...]  # (status_label, n) in a fixed order
    summary: SummaryView
    findings: tuple[FindingView, ...]
    declarations: tuple[DeclarationView, ...]
    caveats: tuple[str, ...]
    spc: tuple[SpcView, ...]
    peers: tuple[PeerView, ...]
    peer_note: str
    definitions: tuple[Definition, ...]
    rule_packs: tuple[tuple[str, str], ...]  # (pack name, file name) in force
    branding: Branding
    non_adverse_range: tuple[float, float] = (0.80, 1.25)  # for relative likelihood charts
    findings_current: bool = True  # False: the findings register is behind this as_of
    divisions: tuple[DivisionTableView, ...] = ()  # indicators by division, disclosed
    interventions: tuple[InterventionView, ...] = ()  # actions and their measured verdicts


@dataclass(frozen=True)
class EvidenceItem:
    """One piece of evidence mapped to a quality statement through ``rule.evidence``."""

    kind: Literal["figure", "narrative", "action"]
    rule_id: str
    name: str  # how the row names its rule: OutcomeView.heading
    title: str
    category: str  # one of the six CQC evidence categories
    status: str
    status_label: str
    figure_text: str
    trend_text: str
    finding_text: str
    action_text: str
    progress_text: str
    narrative: str
    source: SourceRef | None
    severity: str = "medium"


@dataclass(frozen=True)
class ItemCounts:
    """The statement's evidence items counted once, with the named subsets the text uses."""

    items: int  # evidence items (figure or narrative rows), the one count
    judged: int  # breach, outside or met
    breaches: int
    outside: int  # outside the range, not significant
    met: int
    not_judged: int  # no data, not calculable, error
    open_findings: int  # items with an open finding: the actions listed
    text: str  # "7 evidence items: 4 breaches, 3 met"
    short: str  # "7 (4 breaches)", for the summary table


@dataclass(frozen=True)
class AccountabilityGap:
    """A board-level breach with no action owner, or past its due date."""

    rule_id: str
    metric_label: str
    title: str
    level_label: str
    owner_text: str  # "No action owner" or "Owner A. Khan, due 30 September 2025 (overdue)"
    statements: tuple[str, ...]  # numbers of the statements the rule evidences ("4", "7")
    text: str  # one line naming the item and why it counts


@dataclass(frozen=True)
class StatementView:
    """One CQC well-led quality statement with its evidence, gaps and suggested score."""

    id: str
    number: str  # "4"
    name: str
    we: str
    verbatim: bool
    items: tuple[EvidenceItem, ...]
    categories: tuple[str, ...]  # categories with at least one item, in CQC order
    gaps: tuple[str, ...]
    score: int | None  # 1-4, suggested; None when not scored
    score_label: str  # "3 – Good (suggested)" or "Not scored"
    score_reasons: tuple[str, ...]
    counts: ItemCounts  # the statement's evidence items, counted once
    accountability: tuple[AccountabilityGap, ...]  # statements 2 and 5 only
    single_period: bool  # the evidence covers one period only (score at most "good")
    decisive: tuple[str, ...]  # rule ids of the items that decided the score
    score_sentence: str  # "Suggested 2 (some shortfalls): …"


@dataclass(frozen=True)
class WellLedContext:
    """The CQC well-led evidence document. ``board`` holds the figures it draws on."""

    product: str
    title: str
    organisation: OrgView
    as_of: date
    as_of_text: str
    period_label: str
    statements: tuple[StatementView, ...]
    categories: tuple[str, ...]  # the six CQC evidence categories
    key_question_percent: float | None
    key_question_label: str  # "Good (72%) – suggested by the tool, not a CQC rating"
    scoring_method: tuple[str, ...]  # the heuristic, one sentence per step
    suggested_note: str = SUGGESTED_NOTE
    board: BoardContext | None = field(default=None, compare=False)
    evidence_count: int = 0  # distinct evidence items in the document (the one count)
    evidence_text: str = ""  # "38 evidence items: 17 breaches, …"
    item_definition: str = ""  # what an evidence item is, in words
    board_levels: tuple[str, ...] = ()  # level labels counted as board level
    # The framework version the document follows (assurance.frameworks.Framework).
    framework: Framework | None = field(default=None, compare=False)
