"""The metric catalogue: typed access to ``assurance/catalogue/metrics.yaml``.

Every figure the product judges is defined once there (id, title, kind, groups, direction,
range, period kind, survey question). Rules name metrics by id; reports read titles and
definitions from here; importers use the survey question map to read a Staff Survey file
of a given year.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from assurance.engine.yamlsrc import Checker, load_yaml
from assurance.frameworks import parse_sections
from assurance.problems import Problem, ProblemsError

CATALOGUE_FILE = Path(__file__).parent / "catalogue" / "metrics.yaml"

KINDS = (
    "share", "relative_likelihood", "group_percent", "percent", "group_score", "narrative",
    "representation_gap", "declaration_rate", "survey_response", "count", "monthly_rate",
)  # fmt: skip
IMPROVEMENTS = ("increase", "decrease", "toward_one", "neutral")


@dataclass(frozen=True)
class MetricDef:
    """One metric, as declared in the catalogue. See README "Metric catalogue"."""

    id: str
    title: str
    standard: str
    kind: str
    improvement: str
    unit: str
    period_kind: str
    definition: str
    indicator: str | None = None
    characteristic: str | None = None
    focus: str | None = None
    reference: str | None = None
    adverse: str | None = None
    non_adverse_range: tuple[float, float] | None = None
    breakdowns: tuple[str, ...] = ()
    survey_question: str | Mapping[str, str] | None = None
    responses: tuple[str, ...] = ()
    exclude_responses: tuple[str, ...] = ()
    complement: bool = False
    from_metric: str | None = None
    breakdown: str | None = None
    source: str | None = None
    counts: Mapping[str, str] | None = None
    scale: tuple[float, float] | None = None
    rolling_setting: str | None = None
    short: str | None = None  # a few words for a chart's axis: "Shortlisting (ethnicity)"
    family: str | None = None  # the chart a relative likelihood is drawn in: "Recruitment"

    @property
    def number(self) -> str | None:
        """The standard's indicator number, ``WRES 2`` or ``WDES 9a``; None for other metrics."""
        if self.indicator and self.standard in ("WRES", "WDES"):
            return f"{self.standard} {self.indicator}"
        return None

    @property
    def label(self) -> str:
        """Short label for tables: the standard's :attr:`number`, or the title."""
        return self.number or self.title

    @property
    def chart_label(self) -> str:
        """What a chart's axis calls the metric: the standard's :attr:`number`, else
        :attr:`short` (a title is too long for an axis), else the title."""
        return self.number or self.short or self.title


@dataclass(frozen=True)
class Catalogue:
    metrics: Mapping[str, MetricDef]
    characteristics: Mapping[str, Mapping[str, Any]]
    breakdown_sets: Mapping[str, tuple[str, ...]]
    survey_concepts: Mapping[str, str]
    survey_years: Mapping[int, Mapping[str, str]]

    def __contains__(self, metric_id: object) -> bool:
        return metric_id in self.metrics

    def __getitem__(self, metric_id: str) -> MetricDef:
        return self.metrics[metric_id]

    def group_label(self, characteristic: str | None, group: str) -> str:
        if characteristic and characteristic in self.characteristics:
            return str(self.characteristics[characteristic]["groups"].get(group, group))
        return group

    def question_code(self, concept: str, survey_year: int) -> str | None:
        """The Staff Survey question code for a concept in a given year (None: unmapped)."""
        return self.survey_years.get(survey_year, {}).get(concept)

    def known_groups(self) -> set[str]:
        groups = {"all"}
        for c in self.characteristics.values():
            groups.update(c["groups"])
        return groups


def _metric(mid: str, raw: Mapping[str, Any], sets: Mapping[str, tuple[str, ...]]) -> MetricDef:
    problems = [k for k in ("title", "kind", "improvement", "unit", "period_kind") if k not in raw]
    if problems:
        raise ValueError(f"catalogue metric {mid}: missing {', '.join(problems)}")
    if raw["kind"] not in KINDS:
        raise ValueError(f"catalogue metric {mid}: unknown kind {raw['kind']!r}")
    if raw["improvement"] not in IMPROVEMENTS:
        raise ValueError(f"catalogue metric {mid}: unknown improvement {raw['improvement']!r}")
    bd = raw.get("breakdowns")
    breakdowns = sets[bd] if isinstance(bd, str) else tuple(raw.get("breakdowns_list", ()))
    rng = raw.get("non_adverse_range")
    scale = raw.get("scale")
    return MetricDef(
        id=mid, title=raw["title"], standard=raw.get("standard", ""), kind=raw["kind"],
        improvement=raw["improvement"], unit=raw["unit"], period_kind=raw["period_kind"],
        definition=" ".join(str(raw.get("definition", "")).split()),
        indicator=str(raw["indicator"]) if "indicator" in raw else None,
        characteristic=raw.get("characteristic"), focus=raw.get("focus"),
        reference=raw.get("reference"), adverse=raw.get("adverse"),
        non_adverse_range=(float(rng[0]), float(rng[1])) if rng else None,
        breakdowns=tuple(breakdowns), survey_question=raw.get("survey_question"),
        responses=tuple(str(r) for r in raw.get("responses", ())),
        exclude_responses=tuple(raw.get("exclude_responses", ())),
        complement=bool(raw.get("complement", False)), from_metric=raw.get("from_metric"),
        breakdown=raw.get("breakdown"), source=raw.get("source"), counts=raw.get("counts"),
        scale=(float(scale[0]), float(scale[1])) if scale else None,
        rolling_setting=raw.get("rolling_setting"),
        short=raw.get("short"), family=raw.get("family"),
    )


@cache
def load_catalogue(path: Path = CATALOGUE_FILE) -> Catalogue:
    """Load and check the catalogue (a shipped data file: problems are bugs, so raise).

    Read through the bounded safe loader: a malformed copy raises ProblemsError with
    located problems.
    """
    raw = load_yaml(path)
    try:
        return _catalogue(raw)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        # A hand-edited copy with the wrong shape: a refusal naming the file, not a traceback.
        raise ProblemsError([Problem(str(path), f"found a catalogue that cannot be read "
                                     f"({type(exc).__name__}: {exc}); expected the layout of "
                                     "the shipped metrics.yaml")]) from exc


def _catalogue(raw: Any) -> Catalogue:
    sets = {k: tuple(v) for k, v in raw.get("breakdowns", {}).items()}
    metrics = {mid: _metric(mid, m, sets) for mid, m in raw["metrics"].items()}
    sq = raw.get("survey_questions", {})
    concepts = dict(sq.get("concepts", {}))
    years = {int(y): dict(m) for y, m in sq.get("years", {}).items()}
    for m in metrics.values():
        if m.from_metric and m.from_metric not in metrics:
            raise ValueError(f"catalogue metric {m.id}: from_metric {m.from_metric} unknown")
        qs = m.survey_question
        for concept in ([qs] if isinstance(qs, str) else list((qs or {}).values())):
            if concept not in concepts:
                raise ValueError(f"catalogue metric {m.id}: unknown survey concept {concept}")
    return Catalogue(metrics, raw.get("characteristics", {}), sets, concepts, years)


WELL_LED_FILE = Path(__file__).parent / "catalogue" / "frameworks" / "cqc-saf-2024.yaml"
"""The 2024 quality statements the rules' ``evidence:`` names (the base framework version;
the others are beside it, :mod:`assurance.frameworks`)."""


@dataclass(frozen=True)
class QualityStatement:
    id: str
    name: str
    we: str
    verbatim: bool


@cache
def load_statements(path: Path = WELL_LED_FILE) -> dict[str, QualityStatement]:
    """CQC well-led quality statements the rules may name in ``evidence:`` (editable data; see
    the file's header), read through the bounded safe loader (ProblemsError with located
    problems)."""
    raw = load_yaml(path)
    problems: list[Problem] = []
    sections = parse_sections(raw, Checker(str(path), problems))
    if problems:
        raise ProblemsError(problems)
    return {s.id: QualityStatement(s.id, s.name, s.we, s.verbatim) for s in sections}
