"""Rule packs: YAML files of accountability rules, loaded into typed objects.

A pack (``version: 1``) has a name, defaults, and rules with stable dotted ids. Loading
collects **every** problem — unknown keys, unknown metrics, unknown condition kinds, bad
values, duplicate ids across packs — as ``path:line:col: error: …`` with "did you mean"
hints; a set of packs with any error is never returned half-loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assurance.catalogue import Catalogue, load_catalogue
from assurance.config import AUDIENCES, StatisticsSettings
from assurance.engine.conditions import REGISTRY
from assurance.engine.conditions.base import Condition, ParseContext
from assurance.engine.yamlsrc import Checker, Pos, YList, YMap, describe, load_located
from assurance.problems import Problem, ProblemsError, did_you_mean

SEVERITIES = ("low", "medium", "high", "critical")
RULE_KEYS = ("id", "title", "metric", "when", "severity", "labels", "evidence", "escalate",
             "why", "action", "enabled", "scope")
SCOPES = ("organisation", "division")
PACK_KEYS = ("version", "pack", "title", "description", "defaults", "rules")
DEFAULT_KEYS = ("severity", "labels", "evidence", "escalate")
LABEL_KEYS = ("standard", "characteristic", "audience", "topic")
ESCALATE_KEYS = ("start", "after_periods", "max", "unacknowledged_working_days")
RULE_ID = re.compile(r"^[a-z0-9]+(\.[a-z0-9_-]+)+$")
SHIPPED = Path(__file__).resolve().parents[2] / "rules"


@dataclass(frozen=True)
class Escalation:
    """How a finding climbs the ladder: one level per ``after_periods`` further periods in
    breach (and, when set, after that many working days unacknowledged)."""

    start: str = "edi_lead"
    after_periods: int = 1
    max: str | None = None
    unacknowledged_working_days: int | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    pack: str
    title: str
    metric: str
    condition: Condition
    severity: str
    labels: Mapping[str, tuple[str, ...]]
    evidence: tuple[str, ...]
    escalate: Escalation
    why: str
    action: str
    source: str  # file:line of the rule
    enabled: bool = True
    # "organisation": one outcome per organisation; "division": one per division of each
    # organisation with figures under a ``division:<code>`` breakdown (its own finding).
    scope: str = "organisation"

    def describe(self, catalogue: Catalogue | None = None) -> str:
        """The rule in one sentence: "WRES 2: breach when the figure is above 1.25 …". A kind
        judging no figure (an attestation) is not prefixed with the metric it is anchored to,
        which would read as that figure's rule."""
        if self.condition.assured_heading() is not None:
            return f"Breach when {self.condition.describe()}."
        cat = catalogue or load_catalogue()
        return f"{cat[self.metric].label}: breach when {self.condition.describe()}."

    def metrics(self) -> set[str]:
        return {self.metric} | self.condition.metrics()


@dataclass(frozen=True)
class RulePack:
    name: str
    title: str
    path: Path
    rules: tuple[Rule, ...]
    description: str = ""


@dataclass
class _Defaults:
    severity: str = "medium"
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    evidence: tuple[str, ...] = ()
    escalate: Escalation = field(default_factory=Escalation)


def parse_condition(spec: Any, pos: Pos, pc: ParseContext) -> Condition | None:
    """``{kind: params}`` → a condition via the registry (a child may name its metric)."""
    if not isinstance(spec, YMap) or len(spec) != 1:
        pc.chk.error(pos, f"found {describe(spec)}; expected a condition: a mapping with "
                     "exactly one kind, e.g. "
                     "{outside_range: {low: 0.8, high: 1.25}}; kinds: " + ", ".join(REGISTRY))
        return None
    kind = next(iter(spec))
    kpos = spec.key_pos[kind]
    if kind not in REGISTRY:
        pc.chk.error(kpos, f"unknown condition kind '{kind}'{did_you_mean(kind, REGISTRY)}; "
                     f"expected one of: {', '.join(REGISTRY)}")
        return None
    params = spec[kind]
    child_pc = pc
    metric_id = None
    if isinstance(params, YMap) and "metric" in params:
        metric_id = _metric_id(params, pc.chk, pc.catalogue)
        if metric_id is None:
            return None
        child_pc = ParseContext(pc.catalogue, pc.catalogue[metric_id], pc.chk, pc.stats,
                                pc.parse_condition)
    cond = REGISTRY[kind](params, spec.value_pos[kind], child_pc)
    if cond is not None and metric_id is not None:
        cond.metric_id = metric_id
    return cond


def _metric_id(m: YMap, chk: Checker, cat: Catalogue) -> str | None:
    """The catalogue id under ``metric``, or None with a problem (``metric: ~`` or a list
    is reported, never silently dropping the rule)."""
    value = m["metric"]
    if not isinstance(value, str):
        chk.error(m.value_pos["metric"], f"'metric': found {describe(value)}; expected a "
                  "metric id from the catalogue, e.g. wres.2")
        return None
    if value not in cat:
        chk.error(m.value_pos["metric"], f"unknown metric '{value}'"
                  f"{did_you_mean(value, cat.metrics)}")
        return None
    return value


def _labels(raw: Any, pos: Pos, chk: Checker) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, YMap):
        chk.error(pos, f"'labels': found {describe(raw)}; expected a mapping, e.g. "
                  "{standard: WRES, characteristic: race}")
        return {}
    chk.keys(raw, LABEL_KEYS, what="'labels'")
    out = {k: chk.text_list(raw, k) for k in raw if k in LABEL_KEYS}
    for a in out.get("audience", ()):
        if a not in AUDIENCES:
            chk.error(raw.value_pos["audience"], f"unknown audience '{a}'"
                      f"{did_you_mean(a, AUDIENCES)}; expected one of: {', '.join(AUDIENCES)}")
    return out


def _escalation(raw: Any, pos: Pos, chk: Checker, base: Escalation,
                levels: tuple[str, ...]) -> Escalation:
    if not isinstance(raw, YMap):
        chk.error(pos, f"'escalate': found {describe(raw)}; expected a mapping, e.g. "
                  "{start: edi_lead, after_periods: 2}")
        return base
    chk.keys(raw, ESCALATE_KEYS, what="'escalate'")
    start = chk.choice(raw, "start", levels, base.start) or base.start
    top = chk.choice(raw, "max", levels, base.max)
    after = chk.integer(raw, "after_periods", base.after_periods, minimum=1) or 1
    days = chk.integer(raw, "unacknowledged_working_days", base.unacknowledged_working_days,
                       minimum=1)
    if top is not None and levels.index(top) < levels.index(start):
        chk.error(raw.value_pos.get("max", pos), f"max level '{top}' is below start '{start}'")
    return Escalation(start, after, top, days)


def _evidence(raw: Any, pos: Pos, chk: Checker, statements: Iterable[str]) -> tuple[str, ...]:
    values = (raw,) if isinstance(raw, str) else tuple(raw) if isinstance(raw, list) else None
    if values is None or not all(isinstance(v, str) for v in values):
        chk.error(pos, f"'evidence': found {describe(raw)}; expected a statement id or a list "
                  "of them")
        return ()
    known = list(statements)
    for v in values:
        if known and v not in known:
            chk.error(pos, f"unknown well-led quality statement '{v}'{did_you_mean(str(v), known)}")
    return tuple(str(v) for v in values)


def load_pack(path: Path, problems: list[Problem], *, catalogue: Catalogue | None = None,
              stats: StatisticsSettings | None = None,
              levels: tuple[str, ...] = ("edi_lead", "executive_lead", "board_committee",
                                         "regulator"),
              statements: Iterable[str] = ()) -> RulePack | None:
    """Parse one pack file; problems are appended, never raised."""
    cat = catalogue or load_catalogue()
    stats = stats or StatisticsSettings()
    where = str(path)
    chk = Checker(where, problems)
    doc = load_located(path, problems)
    if doc is None:
        if not any(p.where == where for p in problems):
            chk.error((1, 1), "empty rule pack; expected version, pack and rules")
        return None
    if not isinstance(doc, YMap):
        chk.error((1, 1), f"found {describe(doc)}; expected a rule pack: a mapping with "
                  "version, pack and rules")
        return None
    chk.keys(doc, PACK_KEYS, required=("version", "pack", "rules"), what="the pack")
    if doc.get("version") not in (1, None):
        chk.error(doc.value_pos["version"], f"'version': found {describe(doc['version'])}; "
                  "expected 1 (the version this release reads)")
    name = chk.text(doc, "pack", path.stem) or path.stem
    d = _Defaults(escalate=Escalation(start=levels[0]))
    raw_defaults = doc.get("defaults")
    if isinstance(raw_defaults, YMap):
        chk.keys(raw_defaults, DEFAULT_KEYS, what="'defaults'")
        d.severity = chk.choice(raw_defaults, "severity", SEVERITIES, d.severity) or d.severity
        if "labels" in raw_defaults:
            d.labels = _labels(raw_defaults["labels"], raw_defaults.value_pos["labels"], chk)
        if "evidence" in raw_defaults:
            d.evidence = _evidence(raw_defaults["evidence"], raw_defaults.value_pos["evidence"],
                                   chk, statements)
        if "escalate" in raw_defaults:
            d.escalate = _escalation(raw_defaults["escalate"],
                                     raw_defaults.value_pos["escalate"], chk, d.escalate,
                                     levels)
    elif raw_defaults is not None:
        chk.error(doc.value_pos["defaults"], f"'defaults': found {describe(raw_defaults)}; "
                  "expected a mapping")
    rules: list[Rule] = []
    raw_rules = doc.get("rules")
    if not isinstance(raw_rules, YList):
        if raw_rules is not None:
            chk.error(doc.value_pos["rules"], f"'rules': found {describe(raw_rules)}; "
                  "expected a list of rules")
        raw_rules = YList()
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_rules):
        rpos = raw_rules.item_pos[i]
        # The id is checked for repeats as written, so a repeated rule with problems of its
        # own is reported as both at once.
        rid = raw.get("id") if isinstance(raw, YMap) else None
        repeated = isinstance(rid, str) and rid in seen
        if repeated:
            chk.error(rpos, f"duplicate rule id '{rid}' (first at line {seen[str(rid)]})")
        elif isinstance(rid, str):
            seen[rid] = rpos[0]
        rule = _rule(raw, rpos, name, where, chk, cat, stats, d, levels, statements)
        if rule is not None and not repeated:
            rules.append(rule)
    return RulePack(name, chk.text(doc, "title", name) or name, path, tuple(rules),
                    chk.text(doc, "description", "") or "")


def _rule(raw: Any, rpos: Pos, pack: str, where: str, chk: Checker, cat: Catalogue,
          stats: StatisticsSettings, d: _Defaults, levels: tuple[str, ...],
          statements: Iterable[str]) -> Rule | None:
    if not isinstance(raw, YMap):
        chk.error(rpos, f"found {describe(raw)}; expected a rule: a mapping with id, title, "
                  "metric and when")
        return None
    ok = chk.keys(raw, RULE_KEYS, required=("id", "title", "metric", "when"), what="a rule")
    rid = chk.text(raw, "id")
    if rid is not None and not RULE_ID.match(rid):
        chk.error(raw.value_pos["id"], f"rule id '{rid}' must be dotted lower-case words, "
                  "e.g. wres.2.adverse")
        ok = False
    metric = None
    if "metric" in raw:
        metric_id = _metric_id(raw, chk, cat)
        if metric_id is None:
            ok = False
        else:
            metric = cat[metric_id]
    pc = ParseContext(cat, metric, chk, stats, parse_condition)
    cond = parse_condition(raw["when"], raw.value_pos["when"], pc) if (
        "when" in raw and metric is not None) else None
    severity = chk.choice(raw, "severity", SEVERITIES, d.severity) or d.severity
    labels = dict(d.labels)
    if "labels" in raw:
        labels.update(_labels(raw["labels"], raw.value_pos["labels"], chk))
    evidence = (_evidence(raw["evidence"], raw.value_pos["evidence"], chk, statements)
                if "evidence" in raw else d.evidence)
    escalate = (_escalation(raw["escalate"], raw.value_pos["escalate"], chk, d.escalate,
                            levels) if "escalate" in raw else d.escalate)
    scope = chk.choice(raw, "scope", SCOPES, "organisation") or "organisation"
    if scope == "division" and cond is not None:
        why = _not_per_division(cond)
        if why:
            chk.error(raw.value_pos["scope"], f"'scope: division': {why}")
            ok = False
    # Every field is checked before the rule is given up on, so one wrong field (an id of
    # the wrong type) does not hide the others.
    title = chk.text(raw, "title", rid)
    why, action = chk.text(raw, "why", "") or "", chk.text(raw, "action", "") or ""
    enabled = chk.boolean(raw, "enabled", True)
    if not ok or cond is None or rid is None or metric is None:
        return None
    return Rule(id=rid, pack=pack, title=title or rid, metric=metric.id,
                condition=cond, severity=severity, labels=labels, evidence=evidence,
                escalate=escalate, why=why, action=action, source=f"{where}:{rpos[0]}",
                enabled=enabled, scope=scope)


def _not_per_division(cond: Condition) -> str | None:
    """Why a condition cannot judge a division's figures, or None when it can."""
    parts, seen = [cond], 0
    while seen < len(parts):  # the condition and every child of a compound, however deep
        parts.extend(getattr(parts[seen], "children", ()))
        seen += 1
    for c in parts:
        if getattr(c, "children", ()):
            continue  # a compound: its children say
        if not c.per_division:
            return (f"a '{c.kind}' condition judges the organisation as a whole; expected a "
                    "condition on the division's own figures (outside_range, gap, change, "
                    "flatline, spc, trajectory …)")
        if getattr(c, "breakdown", None):
            return ("a division-scoped rule reads each division's figures, so its condition "
                    "cannot also name a breakdown; remove 'breakdown' or the scope")
    return None


def pack_files(paths: Iterable[Path]) -> list[Path]:
    """Pack files under the given files/folders (``*.cases.yaml`` are test cases, skipped)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.glob("*.yaml") if not f.name.endswith(".cases.yaml")))
        elif p.suffix in (".yaml", ".yml"):
            out.append(p)
    return out


def load_packs(paths: Iterable[Path], *, stats: StatisticsSettings | None = None,
               levels: tuple[str, ...] | None = None,
               statements: Iterable[str] = ()) -> list[RulePack]:
    """Load every pack, all or nothing: raise ProblemsError listing every problem."""
    problems: list[Problem] = []
    packs: list[RulePack] = []
    files = pack_files(paths)
    if not files:
        raise ProblemsError([Problem(", ".join(str(p) for p in paths) or "<no paths>",
                                     "no rule pack files (*.yaml) found")])
    for f in files:
        pack = (load_pack(f, problems, stats=stats, statements=statements, levels=levels)
                if levels else load_pack(f, problems, stats=stats, statements=statements))
        if pack is not None:
            packs.append(pack)
    seen: dict[str, str] = {}
    for pack in packs:
        for r in pack.rules:
            if r.id in seen:
                problems.append(Problem(r.source.rsplit(":", 1)[0], f"duplicate rule id "
                                        f"'{r.id}' (also at {seen[r.id]})",
                                        int(r.source.rsplit(":", 1)[1]), 1))
            seen[r.id] = r.source
    if problems:
        raise ProblemsError(problems)
    return packs
