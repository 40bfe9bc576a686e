"""NHS England's EDI Improvement Plan as data: ``assurance/catalogue/edi-improvement-plan.yaml``.

The plan's six High Impact Actions in its own order, each with its title and aim
(paraphrased), its success metrics (1a-6c) and the rules of the HIA pack (``rules/hia.yaml``)
that measure each one, or why the store cannot hold it (NETS has no public per-trust file;
the Staff Survey breakdown by where staff were recruited from is not published). The HIA
document (:mod:`assurance.report_context.hia`) reads the actions from here and their status
from the pack's outcomes and the attestation register.

Problems are collected and raised together, each located ``file:line:col``; a rule id the
pack does not have is one of them (with ``known_rules``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from assurance.engine.yamlsrc import Checker, YList, YMap, describe
from assurance.problems import ProblemsError, did_you_mean
from assurance.yamlmap import load_mapping

PLAN_FILE = Path(__file__).parent / "catalogue" / "edi-improvement-plan.yaml"
TOP_KEYS = ("version", "plan", "title", "publisher", "published", "source", "actions")
ACTION_KEYS = ("number", "title", "aim", "metrics", "commitments")
METRIC_KEYS = ("id", "text", "rules", "held", "note")


@dataclass(frozen=True)
class SuccessMetric:
    """One success metric (``2a``): what it measures and the rules that judge it."""

    id: str
    text: str
    rules: tuple[str, ...]
    held: bool  # False: the store cannot hold it (``note`` says why)
    note: str


@dataclass(frozen=True)
class HighImpactAction:
    """One of the six actions, in the plan's order."""

    number: int
    title: str
    aim: str
    metrics: tuple[SuccessMetric, ...]
    commitments: tuple[str, ...]  # attestation rules that are not success metrics

    @property
    def rules(self) -> tuple[str, ...]:
        """Every rule the action is measured by, metrics first."""
        return tuple(dict.fromkeys([r for m in self.metrics for r in m.rules]
                                   + list(self.commitments)))


@dataclass(frozen=True)
class ImprovementPlan:
    id: str
    title: str
    publisher: str
    source: str
    actions: tuple[HighImpactAction, ...]
    path: Path


def _mapping(raw: object, pos: tuple[int, int], chk: Checker, what: str,
             allowed: Collection[str], required: tuple[str, ...]) -> YMap | None:
    """``raw`` with its keys checked when it is a mapping; else None, the error at ``pos``."""
    if not isinstance(raw, YMap):
        chk.error(pos, f"found {describe(raw)}; expected {what}: a mapping with "
                  f"{', '.join(required[:-1])} and {required[-1]}")
        return None
    chk.keys(raw, allowed, required, what=what)
    return raw


def _rules(m: YMap, key: str, chk: Checker, known: Collection[str] | None) -> tuple[str, ...]:
    ids = chk.text_list(m, key)
    raw = m.get(key)
    for i, rid in enumerate(ids):
        if known is not None and rid not in known:
            pos = raw.item_pos[i] if isinstance(raw, YList) else m.value_pos[key]
            chk.error(pos, f"'{key}': no rule '{rid}' in the HIA pack"
                      f"{did_you_mean(rid, known)}")
    return ids


def _metric(raw: object, pos: tuple[int, int], chk: Checker,
            known: Collection[str] | None) -> SuccessMetric | None:
    raw = _mapping(raw, pos, chk, "a success metric", METRIC_KEYS, ("id", "text"))
    if raw is None:
        return None
    mid, text = chk.text(raw, "id"), chk.text(raw, "text")
    held = chk.boolean(raw, "held", True)
    rules = _rules(raw, "rules", chk, known)
    if held and not rules and mid is not None:
        chk.error(raw.pos, f"success metric {mid}: no rules; expected rules: [...] or "
                  "held: false with a note saying why it is not held")
    if mid is None or text is None:
        return None
    return SuccessMetric(mid, text, rules, held, chk.text(raw, "note", "") or "")


def _action(raw: object, pos: tuple[int, int], chk: Checker,
            known: Collection[str] | None) -> HighImpactAction | None:
    raw = _mapping(raw, pos, chk, "an action", ACTION_KEYS, ("number", "title", "aim", "metrics"))
    if raw is None:
        return None
    number = chk.integer(raw, "number", minimum=1, maximum=99)
    title, aim = chk.text(raw, "title"), chk.text(raw, "aim")
    metrics_raw = raw.get("metrics")
    metrics: list[SuccessMetric] = []
    if isinstance(metrics_raw, YList):
        for item, ipos in zip(metrics_raw, metrics_raw.item_pos, strict=False):
            m = _metric(item, ipos, chk, known)
            if m is not None:
                metrics.append(m)
    elif "metrics" in raw:
        chk.error(raw.value_pos["metrics"], f"'metrics': found {describe(metrics_raw)}; "
                  "expected a list of success metrics")
    commitments = _rules(raw, "commitments", chk, known)
    if number is None or title is None or aim is None:
        return None
    return HighImpactAction(number, title, aim, tuple(metrics), commitments)


def load_plan(path: Path = PLAN_FILE, known_rules: Collection[str] | None = None
              ) -> ImprovementPlan:
    """Load and check the plan; ProblemsError lists every problem, located.

    Args:
        path: the plan file.
        known_rules: the HIA pack's rule ids; a rule the plan names that is not among them is
            a problem (None: not checked).
    """
    raw, chk = load_mapping(path, "the plan: a mapping with version, plan, title and actions",
                            TOP_KEYS, ("version", "plan", "title", "actions"), "the plan")
    actions: list[HighImpactAction] = []
    acts = raw.get("actions")
    if isinstance(acts, YList):
        for item, ipos in zip(acts, acts.item_pos, strict=False):
            a = _action(item, ipos, chk, known_rules)
            if a is not None:
                actions.append(a)
        numbers = [a.number for a in actions]
        if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
            chk.error(acts.pos, f"actions numbered {numbers}; expected each once, in the "
                      "plan's order")
    elif "actions" in raw:
        chk.error(raw.value_pos["actions"], f"'actions': found {describe(acts)}; expected a "
                  "list of actions")
    plan_id = chk.text(raw, "plan", path.stem) or path.stem
    title = chk.text(raw, "title", plan_id) or plan_id
    if chk.problems:
        raise ProblemsError(chk.problems)
    return ImprovementPlan(plan_id, title, chk.text(raw, "publisher", "") or "",
                           chk.text(raw, "source", "") or "", tuple(actions), path)


__all__ = ["PLAN_FILE", "HighImpactAction", "ImprovementPlan", "SuccessMetric", "load_plan"]
