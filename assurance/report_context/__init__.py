"""Report contexts: the documented, typed data every report is rendered from.

The core builds a context; the edges (``reports/``) render it. Renderers and their Jinja2
templates take every fact from the context — never from the store, the engine or the
statistics settings (they read only ``settings.reports``: templates and reference
document) — so what a report can say is fixed here and tested here.

Contract
--------

:func:`board_context` → :class:`BoardContext`, one organisation at one ``as_of``:

* ``organisation`` (:class:`OrgView`: code, name, ``synthetic``, type, benchmarking group),
  ``title``, ``committee``, ``as_of``/``as_of_text``, ``period_label`` (the reporting
  periods judged, e.g. "WRES/WDES 2025 (snapshot 31 March 2025); NHS Staff Survey 2024"),
  ``product`` (name and version, for the document properties);
* provenance: ``data_as_at``/``data_as_at_text`` (the latest import behind the
  organisation's figures) and ``imports`` (:class:`ImportRef`: file, SHA-256, source,
  time, who, rows);
* ``has_data``/``no_data_reason``: when nothing could be judged the report must say so;
* ``outcomes``: every enabled rule in reading order (WRES, WDES, board, survey, data
  quality) as :class:`OutcomeView` — status and its word, ``classification``
  (alert/advise/assure), the disclosed :class:`FigureView` (value, interval, counts,
  headline), trend words and direction, ``series`` for charts, ``band`` (the acceptable
  range for shading), the rule in plain English (``rule_text``), ``why``, ``action``,
  ``evidence`` statement ids, the linked :class:`FindingView` and the :class:`SourceRef`;
* ``summary`` (:class:`SummaryView`: alert, advise, assure items) and ``status_counts``;
* ``findings``: open findings and those that changed at this date, with level, consecutive
  periods, owner, due date (overdue flagged), acknowledgement, silence and history;
* ``declarations`` (:class:`DeclarationView`) and ``caveats`` (data-quality and
  disclosure notes, synthetic data);
* ``spc``: Making Data Count charts (:class:`SpcView`) for every monthly metric the
  organisation has, with the variation and assurance readings in words;
* ``peers`` (:class:`PeerView`): Staff Survey results against the benchmarking group
  (median, quartiles, range, position), or ``peer_note`` saying why there are none;
* ``definitions``: title, definition, source and counts of every metric used;
* ``audience``, ``exact_counts``, ``disclosure_note``: every figure is already disclosed
  for the audience by :func:`assurance.disclosure.figure.disclose_figure` (the one path
  reports, messages and extracts share); templates never suppress anything themselves;
* ``rule_packs`` (name, file) in force, ``branding`` (:class:`Branding`),
  ``findings_current`` (False when the findings register is behind ``as_of``).

:func:`well_led_context` → :class:`WellLedContext`: per CQC well-led quality statement
(:class:`StatementView`) the evidence items (:class:`EvidenceItem`: figure, trend, finding
status, action and progress, narrative such as WDES 9b, evidence category and source
reference), the categories covered, the gaps, and a suggested score 1–4 with reasons; the
key-question percentage; the scoring method in words (see
:mod:`assurance.report_context.wellled`). Scores are **suggested by the tool, not a CQC rating**.

For many reports at one date, call :func:`load_inputs` once with ``org_codes=None`` and
pass ``inputs=`` to each context builder.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import Engine

from assurance.config import Settings
from assurance.report_context.board import board_context, product_name
from assurance.report_context.inputs import ReportInputs, load_inputs
from assurance.report_context.model import (
    SUGGESTED_NOTE,
    Band,
    BoardContext,
    Branding,
    DeclarationView,
    Definition,
    EvidenceItem,
    FigureView,
    FindingEventView,
    FindingView,
    GroupFigure,
    ImportRef,
    OrgView,
    OutcomeView,
    PeerView,
    SeriesPoint,
    SourceRef,
    SpcPointView,
    SpcView,
    StatementView,
    SummaryItem,
    SummaryView,
    WellLedContext,
)
from assurance.report_context.wellled import well_led_context
from assurance.rulepacks import load_rules as load_rule_packs


class Renderer(Protocol):
    """What ``reports/`` registers by name: one output for one organisation and date."""

    name: str
    description: str
    suffix: str  # ".docx", ".zip"

    def render(self, engine: Engine, settings: Settings, *, org_code: str, as_of: date,
               out_path: Path, actor: str = "assurance", at: datetime | None = None) -> Path:
        """Build the output at ``out_path``, record an audit event, return the path."""
        ...


__all__ = [
    "SUGGESTED_NOTE", "Band", "BoardContext", "Branding", "DeclarationView", "Definition",
    "EvidenceItem", "FigureView", "FindingEventView", "FindingView", "GroupFigure",
    "ImportRef", "OrgView", "OutcomeView", "PeerView", "Renderer", "ReportInputs",
    "SeriesPoint", "SourceRef", "SpcPointView", "SpcView", "StatementView", "SummaryItem",
    "SummaryView", "WellLedContext", "board_context", "load_inputs", "load_rule_packs",
    "product_name", "well_led_context",
]
