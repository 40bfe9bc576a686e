"""The interventions register, and whether each intervention moved its indicator.

A trust records an **intervention** when it acts on an indicator — "de-biased shortlisting
panels in Surgery from 1 April 2024" against WRES 2 — with the accountable role, the start
date and, optionally, the division it targets (its figures are those stored under the
breakdown ``division:<code>``) and the peer organisations to compare with. Actions are
otherwise tracked but never judged; here each is **evaluated** against its own indicator,
before and after the start date, so the board learns whether it worked (issue 15; the EDI
Improvement Plan asks for actions judged by their effect).

Two methods, chosen by how much data there is:

* **SPC, a sustained shift** (Making Data Count): with at least ``min_points`` figures before
  the start (13 for the MDC method, 12 for NHSRplotthedots: the setting the ``spc`` condition
  uses, :class:`assurance.spc.SpcSettings`), the XmR chart's centre line and limits are frozen
  on the pre-intervention points and the figures after the start are read against them. An
  **effect** is a run of ``run_length`` points in a row after the start (6 for MDC, 7 for
  NHSRplotthedots) all on the improving side of the pre-intervention centre line (a point on
  the line breaks the run): the MDC shift rule, computed by :func:`assurance.spc.analyse`.
  Fewer than ``run_length`` points after the start is **too early**.
* **Difference in differences** against peers, when the series is too short for SPC (annual
  WRES/WDES figures): the change in the intervention's unit (mean after minus mean before)
  less the mean change in the comparison units over the same periods, with a confidence
  interval from the spread of the comparison units' changes (Student's t, ``k − 1`` degrees of
  freedom for ``k`` comparison units; the intervention's unit is assumed to vary as a peer
  does: standard error ``s · √(1 + 1/k)``). The comparison units are the named ``peers``, else
  the organisation's benchmarking group; for a division, the same division at those peers
  where at least :data:`MIN_COMPARISONS` have it, else the organisation's other divisions.
  An **effect** is an interval wholly on the improving side of zero. No whole period after
  the start is **too early**.

The direction of improvement is the catalogue metric's own: ``increase``, ``decrease``, or
``toward_one`` (relative likelihoods), which is judged as the distance from parity
``|ln value|`` decreasing. A period that straddles the start date (the month it starts in,
the WRES year it starts in) belongs to neither side and is counted as excluded.

Every change to the register (added, withdrawn) is an audit event in the caller's
transaction; nothing is deleted. Evaluation reads only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from sqlmodel import Session, col, select

from assurance import audit, divisions
from assurance import spc as xmr
from assurance.catalogue import Catalogue, MetricDef, load_catalogue
from assurance.config import Settings, StatisticsSettings
from assurance.engine.data import (
    DIVISION_PREFIX,
    DataView,
    division_breakdown,
    load,
    load_orgs,
    period_spec,
)
from assurance.engine.evaluate import rolling_years
from assurance.engine.figures import Figure
from assurance.models import Division, Intervention
from assurance.periods import FIRST_YEAR, LAST_YEAR
from assurance.problems import Problem, ProblemsError, did_you_mean, row_by_id, withdrawal_problems
from assurance.register import registered_org
from assurance.safeinput import one_line
from assurance.stats.effects import (
    DidResult,
    ShiftResult,
    difference_in_differences,
    spc_shift,
)
from assurance.wording import counted

VerdictWord = Literal["effect", "no measurable effect yet", "too early"]
Method = Literal["spc", "did", "none"]
VERDICTS: tuple[VerdictWord, ...] = ("effect", "no measurable effect yet", "too early")

MIN_COMPARISONS = 3
"""Comparison units a difference in differences needs (fewer gives no interval worth showing)."""
CODE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
JUDGEABLE = ("increase", "decrease", "toward_one")


# ----------------------------------------------------------------------------- the register

def division_code(raw: str) -> str:
    """A division as typed (``Surgery``, ``division:surgery``, ``Women's Health``) → its code
    (:func:`assurance.divisions.division_code`)."""
    return divisions.division_code(raw.strip().lower().removeprefix(DIVISION_PREFIX))


def _metric(cat: Catalogue, metric: str, problems: list[Problem]) -> MetricDef | None:
    mid = metric.strip()
    if mid not in cat:
        problems.append(Problem("--metric", f"unknown metric {mid!r}"
                                f"{did_you_mean(mid, cat.metrics)}; expected a catalogue "
                                "metric id such as wres.2 (assurance figures --help lists them)"))
        return None
    m = cat[mid]
    if m.kind == "narrative":
        problems.append(Problem("--metric", f"{mid} is a narrative (yes or no), not a figure; "
                                "expected a metric with figures to compare before and after"))
        return None
    if m.improvement not in JUDGEABLE:
        problems.append(Problem("--metric", f"{mid} has no direction of improvement "
                                f"({m.improvement}); expected a metric that can improve, so an "
                                "effect can be judged"))
        return None
    return m


def _division(s: Session, org: str, raw: str, problems: list[Problem]) -> str:
    code = division_code(raw)
    if not code or len(code) > 55 or not CODE.match(code):
        problems.append(Problem("--division", f"found {raw!r}; expected a division code such "
                                "as surgery (letters and digits, at most 55)"))
        return code
    # Divisions only: a department's figures are not stored, so it could never be judged.
    known = list(s.exec(select(Division.code).where(Division.org_code == org,
                                                    Division.level == "division")).all())
    if known and code not in known:
        problems.append(Problem("--division", f"{org} has no division {code!r} in the register"
                                f"{did_you_mean(code, known)}; expected one of: "
                                f"{', '.join(sorted(known))}"))
    return code


def _peers(s: Session, org: str, raw: str, problems: list[Problem]) -> str | None:
    codes = [c.strip().upper() for c in raw.split(",") if c.strip()]
    if not codes:
        problems.append(Problem("--peers", f"found {raw!r}; expected ODS codes separated by "
                                "commas, e.g. RR8,RAE,RCF"))
        return None
    for c in codes:
        if c == org:
            problems.append(Problem("--peers", f"{c} is the organisation itself; expected "
                                    "other organisations to compare with"))
        else:
            registered_org(s, c, "--peers", problems)
    if len(set(codes)) < MIN_COMPARISONS:
        problems.append(Problem("--peers", f"found {counted(len(set(codes)), 'peer')}; expected at "
                                f"least {MIN_COMPARISONS} for a difference in differences"))
    return ",".join(dict.fromkeys(codes))


def _start(start: date | str, problems: list[Problem]) -> date | None:
    try:
        day = start if isinstance(start, date) else date.fromisoformat(start.strip())
    except ValueError:
        problems.append(Problem("--start", f"found {start!r}; expected a date like 2024-04-01"))
        return None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:  # the years a figure's period may name
        problems.append(Problem("--start", f"found {day}; expected a date from {FIRST_YEAR} "
                                f"to {LAST_YEAR}"))
        return None
    return day


def add(s: Session, *, org: str, title: str, metric: str, start: date | str, owner: str,
        actor: str, at: datetime, division: str | None = None, peers: str | None = None,
        catalogue: Catalogue | None = None) -> Intervention:
    """Record an intervention (caller commits); raise ProblemsError listing every problem.

    Args:
        s: the store session; the audit event is written in its transaction.
        org: a registered organisation's code.
        title: what was done, in a line.
        metric: the target indicator, a catalogue metric id with a direction of improvement.
        start: when it started, a date or ``YYYY-MM-DD`` (a future date is allowed: it is
            "too early" until then).
        owner: the accountable role ("Divisional Director, Surgery"), not a person's name.
        actor: who recorded it (audit log).
        at: when.
        division: the division it targets (a code, or a name that becomes one).
        peers: comma-separated ODS codes to compare with (default: the benchmarking group).
        catalogue: default the shipped one.
    """
    cat = catalogue or load_catalogue()
    problems: list[Problem] = []
    code = registered_org(s, org, "--org", problems)
    what = one_line(title, "title", "what was done, on one line", problems, max_chars=200)
    if not what:
        problems.append(Problem("title", f"found {len(what)} characters; expected what was "
                                "done in 1 to 200 characters"))
    m = _metric(cat, metric, problems)
    day = _start(start, problems)
    role = one_line(owner, "--owner", "the accountable role", problems, max_chars=120)
    if not role:
        problems.append(Problem("--owner", "expected the accountable role in 1 to 120 "
                                "characters, e.g. 'Divisional Director, Surgery'"))
    div = _division(s, code, division, problems) if division is not None else None
    peer_codes = _peers(s, code, peers, problems) if peers is not None else None
    if problems:
        raise ProblemsError(problems)
    assert m is not None and day is not None
    row = Intervention(org_code=code, title=what, metric_id=m.id, division=div,
                       start_date=day, owner=role, peers=peer_codes, recorded_by=actor,
                       recorded_at=at)
    s.add(row)
    s.flush()
    audit.append(s, at=at, actor=actor, action="intervention.add",
                 subject=f"intervention:{row.id}",
                 details={"org": code, "title": what, "metric": m.id, "division": div,
                          "start_date": day, "owner": role, "peers": peer_codes})
    return row


def get(s: Session, ref: int | str) -> Intervention:
    """One intervention by id; ProblemsError naming it when there is none."""
    return row_by_id(s, Intervention, ref, "intervention", "assurance interventions list")


def withdraw(s: Session, ref: int | str, *, on: date, reason: str, actor: str,
             at: datetime) -> Intervention:
    """Mark an intervention withdrawn (stopped or recorded in error), keeping the row."""
    row = get(s, ref)
    why, problems = withdrawal_problems("intervention", row, reason, "why it was withdrawn")
    one_line(reason, "--reason", "why it was withdrawn, on one line", problems)
    if on < row.start_date:
        problems.append(Problem("--on", f"found {on}, before the intervention started on "
                                f"{row.start_date}; expected {row.start_date} or later"))
    if problems:
        raise ProblemsError(problems)
    row.withdrawn_on, row.withdrawn_reason = on, why
    s.add(row)
    s.flush()
    audit.append(s, at=at, actor=actor, action="intervention.withdraw",
                 subject=f"intervention:{row.id}",
                 details={"org": row.org_code, "withdrawn_on": on, "reason": why})
    return row


def list_interventions(s: Session, *, org: str | None = None,
                       include_withdrawn: bool = True) -> list[Intervention]:
    """Interventions by organisation, start date and id."""
    q = select(Intervention)
    if org:
        q = q.where(Intervention.org_code == org.strip().upper())
    if not include_withdrawn:
        q = q.where(col(Intervention.withdrawn_on).is_(None))
    return list(s.exec(q.order_by(col(Intervention.org_code), col(Intervention.start_date),
                                  col(Intervention.id))).all())


# ----------------------------------------------------------------------------- the judgement

# ----------------------------------------------------------------------------- evaluation

@dataclass(frozen=True)
class InterventionVerdict:
    """What the board report's actions section shows for one intervention."""

    intervention_id: int
    org_code: str
    title: str
    metric: str
    metric_label: str
    division: str | None  # the division's code (figures under division:<code>)
    division_name: str | None  # its name in the register (or one made from the code)
    owner: str
    start_date: date
    as_of: date
    verdict: VerdictWord
    method: Method
    method_text: str  # how it was judged, in words (method, rule, settings)
    summary: str  # the verdict with its numbers, in a sentence or two
    pre_points: int
    post_points: int
    excluded_points: int  # periods straddling the start date
    numbers: Mapping[str, float | int | str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Series:
    """One unit's usable figures, split at the start date: (period key, value) pairs."""

    pre: tuple[tuple[str, float], ...]
    post: tuple[tuple[str, float], ...]
    excluded: int

    def values(self) -> tuple[list[float], list[float]]:
        return [v for _, v in self.pre], [v for _, v in self.post]


def judged_value(value: float, improvement: str) -> float | None:
    """The value as it is judged: a relative likelihood as its distance from parity
    ``|ln value|`` (None when not positive), anything else as it is."""
    if improvement == "toward_one":
        return abs(math.log(value)) if value > 0 else None
    return value


def judged_direction(improvement: str) -> str:
    """``toward_one`` is judged as the distance from parity decreasing."""
    return "decrease" if improvement == "toward_one" else improvement


def split(figures: Sequence[Figure], start: date, improvement: str) -> Series:
    """Usable figures before the start (period ended before it) and after (period began on
    or after it); a period straddling the start is excluded."""
    pre, post, excluded = [], [], 0
    for f in figures:
        if not f.calculable or f.value is None:
            continue
        v = judged_value(f.value, improvement)
        if v is None:
            continue
        spec = period_spec(f.period_key)
        if spec.end < start:
            pre.append((f.period_key, v))
        elif spec.start >= start:
            post.append((f.period_key, v))
        else:
            excluded += 1
    return Series(tuple(pre), tuple(post), excluded)


def _fmt(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 1 else f"{x:.2f}"


def _scale_words(m: MetricDef) -> str:
    return ("distance from parity |ln relative likelihood|" if m.improvement == "toward_one"
            else m.unit)


def _unit_words(division: str | None) -> str:
    return f"division {division}" if division else "the organisation"


def judge(m: MetricDef, target: Series, comparisons: Mapping[str, Series],
          comparison_kind: str, stats: StatisticsSettings, *, started: bool,
          division: str | None = None) -> tuple[VerdictWord, Method, str, str,
                                                dict[str, float | int | str | None]]:
    """The verdict on constructed or stored series: (verdict, method, method text, summary,
    numbers). Pure: no store, no clock."""
    direction = judged_direction(m.improvement)
    settings = xmr.SpcSettings.for_method(stats.spc_method, improvement=direction)
    pre, post = target.values()
    unit = _unit_words(division)
    scale = _scale_words(m)
    numbers: dict[str, float | int | str | None] = {
        "pre_points": len(pre), "post_points": len(post), "excluded_points": target.excluded,
        "scale": scale, "improvement": m.improvement}
    monthly_spc = m.period_kind == "month" and len(pre) >= settings.min_points
    if monthly_spc:
        how = (f"SPC ({'Making Data Count' if settings.method == 'mdc' else 'NHSRplotthedots'})"
               f": a run of {settings.run_length} points in a row after the start on the "
               f"improving side of the pre-intervention centre line ({len(pre)} points)")
        numbers["run_length"] = settings.run_length
        if not started or len(post) < settings.run_length:
            return ("too early", "spc", how, f"{counted(len(post), 'point')} after the start; at least "
                    f"{settings.run_length} are needed to see a sustained shift.", numbers)
        r = spc_shift(pre, post, direction, settings)
        numbers.update(centre=r.centre, lpl=r.lpl, upl=r.upl, post_mean=r.post_mean,
                       run_length=r.run_length, improving_run=r.improving_run,
                       worsening_run=r.worsening_run,
                       beyond_improving_limit=r.beyond_improving_limit)
        side = "above" if direction == "increase" else "below"
        text = (f"Pre-intervention centre line {_fmt(r.centre)} (limits {_fmt(r.lpl)} to "
                f"{_fmt(r.upl)}); mean since the start {_fmt(r.post_mean)}; longest run "
                f"{side} the centre line since the start: {r.improving_run} of "
                f"{r.run_length} needed.")
        if r.effect and not r.concern:
            return ("effect", "spc", how, f"Sustained shift in the improving direction. {text}",
                    numbers)
        if r.effect:  # both runs since the start: the improvement did not hold
            text += (f" A run of {r.worsening_run} on the worsening side as well: the shift "
                     "did not hold, so no effect is claimed.")
        elif r.concern:
            text += (f" A run of {r.worsening_run} on the worsening side: the indicator has "
                     "moved the wrong way.")
        return ("no measurable effect yet", "spc", how, text, numbers)
    how = (f"difference in differences against {comparison_kind} "
           f"({int(stats.confidence * 100)} % interval from the spread of their changes)")
    if m.period_kind == "month":
        how += f"; too few points before the start for SPC ({len(pre)} of {settings.min_points})"
    if not started or not post:
        return ("too early", "did", how, "No whole period of figures since the start yet.",
                numbers)
    if not pre:
        return ("no measurable effect yet", "none", how, f"No figures for {unit} before the "
                "start: there is no baseline to compare with.", numbers)
    units = [c.values() for c in comparisons.values()]
    usable = [(b, a) for b, a in units if b and a]
    numbers["comparisons"] = len(usable)
    if len(usable) < MIN_COMPARISONS:
        have = "has" if len(usable) == 1 else "have"
        return ("no measurable effect yet", "none", how,
                f"{counted(len(usable), 'comparison unit')} {have} figures before and after "
                f"the start; at least {MIN_COMPARISONS} are needed.", numbers)
    d = difference_in_differences(pre, post, usable, direction, stats.confidence)
    numbers.update(change=d.change, comparison_change=d.comparison_change,
                   estimate=d.estimate, ci_low=d.ci[0], ci_high=d.ci[1], se=d.se)
    text = (f"{unit[0].upper()}{unit[1:]} changed by {d.change:+.3g}, the {len(usable)} "
            f"comparison units by {d.comparison_change:+.3g} on average ({scale}); "
            f"difference {d.estimate:+.3g} ({int(d.confidence * 100)} % CI {d.ci[0]:+.3g} to "
            f"{d.ci[1]:+.3g}).")
    if d.se == 0:
        return ("no measurable effect yet", "did", how, text + " The comparison units all "
                "changed by the same amount, so their spread gives no interval to judge "
                "against: no effect is claimed.", numbers)
    if d.effect:
        return ("effect", "did", how, f"Improved more than the comparison units. {text}",
                numbers)
    if d.concern:
        text += " It moved the wrong way relative to the comparison units."
    else:
        text += " The interval includes no difference."
    return ("no measurable effect yet", "did", how, text, numbers)


def _comparisons(view: DataView, iv: Intervention, m: MetricDef
                 ) -> tuple[dict[str, Series], str]:
    """The comparison units' series and what they are, in words."""
    if iv.peers:
        codes = [c for c in iv.peers.split(",") if c]
        named = "the named peers"
    else:
        group = view.orgs[iv.org_code].benchmark_group if iv.org_code in view.orgs else None
        codes = sorted(c for c, o in view.orgs.items()
                       if group is not None and o.benchmark_group == group and c != iv.org_code)
        named = f"peers in the benchmarking group {group!r}" if group else "peers"
    codes = [c for c in codes if c in view.data[m.id].rows]
    bd = division_breakdown(iv.division) if iv.division else None
    units = {c: split(view.series(m.id, c, bd), iv.start_date, m.improvement) for c in codes}
    units = {c: u for c, u in units.items() if u.pre and u.post}
    if iv.division is None or len(units) >= MIN_COMPARISONS:
        return units, (f"the same division at {named}" if iv.division else named)
    others = [d for d in view.divisions(m.id, iv.org_code) if d != iv.division]
    inside = {d: split(view.series(m.id, iv.org_code, division_breakdown(d)), iv.start_date,
                       m.improvement) for d in others}
    return inside, f"the organisation's other divisions ({len(others)})"


def evaluate(view: DataView, iv: Intervention, stats: StatisticsSettings) -> InterventionVerdict:
    """Judge one intervention on the view's data as of ``view.as_of``."""
    m = view.cat[iv.metric_id]
    bd = division_breakdown(iv.division) if iv.division else None
    target = split(view.series(m.id, iv.org_code, bd), iv.start_date, m.improvement)
    comparisons, kind = _comparisons(view, iv, m)
    # Every comparison unit over the target's own periods before and after the start, so a
    # unit missing a year is not compared as if its years matched.
    before, after = {k for k, _ in target.pre}, {k for k, _ in target.post}
    comparisons = {c: Series(tuple(x for x in u.pre if x[0] in before),
                             tuple(x for x in u.post if x[0] in after), u.excluded)
                   for c, u in comparisons.items()}
    started = iv.start_date <= view.as_of
    verdict, method, how, summary, numbers = judge(m, target, comparisons, kind, stats,
                                                   started=started, division=iv.division)
    assert iv.id is not None
    info = view.orgs.get(iv.org_code)
    name = (info.division(iv.division).name if info is not None else iv.division
            ) if iv.division else None
    return InterventionVerdict(iv.id, iv.org_code, iv.title, m.id, m.label, iv.division,
                               name, iv.owner, iv.start_date, view.as_of, verdict, method, how,
                               summary, len(target.pre), len(target.post), target.excluded,
                               numbers)


def build_view(s: Session, metrics: Sequence[str], as_of: date,
               stats: StatisticsSettings) -> DataView:
    """A data view of the metrics (every organisation: peers are needed) as of ``as_of``."""
    cat = load_catalogue()
    wanted = sorted(set(metrics))
    return DataView(cat, load(s, cat, wanted), load_orgs(s), as_of, stats.confidence,
                    rolling_years(cat, wanted, stats))


def evaluate_all(s: Session, stats: StatisticsSettings, as_of: date, *,
                 org_code: str | None = None,
                 ids: Sequence[int] | None = None) -> list[InterventionVerdict]:
    """Verdicts for the organisation's (or every) current interventions as of ``as_of``:
    those started or planned, not withdrawn by then."""
    rows = [iv for iv in list_interventions(s, org=org_code)
            if (iv.withdrawn_on is None or iv.withdrawn_on > as_of)
            and (ids is None or iv.id in ids)]
    if not rows:
        return []
    view = build_view(s, [iv.metric_id for iv in rows], as_of, stats)
    return [evaluate(view, iv, stats) for iv in rows]


def verdicts(session: Session, settings: Settings, org_code: str,
             as_of: date) -> list[InterventionVerdict]:
    """The board report's actions section: each current intervention of ``org_code`` with
    its verdict as of ``as_of``, oldest start first."""
    return evaluate_all(session, settings.statistics, as_of, org_code=org_code)


__all__ = ["MIN_COMPARISONS", "VERDICTS", "DidResult", "InterventionVerdict", "Series",
           "ShiftResult", "add", "difference_in_differences", "division_code", "evaluate",
           "evaluate_all", "get", "judge", "judged_direction", "judged_value",
           "list_interventions", "spc_shift", "split", "verdicts", "withdraw"]
