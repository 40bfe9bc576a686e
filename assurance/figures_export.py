"""Stored figures, listed for one audience: what ``assurance figures`` prints and exports.

What it does:
    Selects the current stored figures (one per organisation, period, metric, group and
    breakdown) by organisation, division, metric prefix and period, and shows each as the
    chosen audience may see it. Nothing here decides disclosure: every figure goes through
    :func:`assurance.disclosure.figure.disclose_figure` with the audience's policy
    (:func:`assurance.disclosure.policy_for`), so the groups that split one total (the ethnic
    groups of a band, the make-up of a pay quartile) are disclosed together as one table, a
    rate is hidden when its counts are, and a figure with no counts behind it is withheld from
    a suppressed audience (its base cannot be shown to be safe).

    A pay gap is stored without counts; the catalogue names the figure that holds the
    people it is built on (``counts: {basis: paygap.gender.headcount}``), and the gap is
    disclosed with the two groups' counts from that figure.

Why it matters:
    Analysts and networks ask for "the numbers behind the report" as a spreadsheet. Without
    one path they would read the store directly and see the small counts the reports hide.

Example:
    ``assurance figures --org RR8 --metric paygap --json`` lists every pay gap figure of RR8
    as a staff network may see it; ``--audience board`` shows exact counts where the board
    audience is configured to see them.

Options:
    ``org`` (codes), ``division`` (a division's name or ``division:<name>``), ``metric`` (a
    metric id or a dotted prefix: ``paygap`` or ``paygap.gender``), ``period`` (a period key
    such as ``wres:2025``) and ``audience`` (default ``network``, the strictest).

Known limitations:
    * Complementary suppression is applied within one stored table (up to three groups, the
      most any catalogue characteristic has); a table of more groups is disclosed group by
      group.
    * Figures copied from a public publication (the gov.uk gender pay gap download, breakdown
      ``published:gov.uk``: :mod:`assurance.lineage`) carry no counts; they are public
      already, so every audience sees them as published (the disclosure path is told who
      published them) rather than withheld like a figure without a base.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import or_
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from assurance.catalogue import Catalogue, load_catalogue
from assurance.config import AUDIENCES, Settings
from assurance.db import session
from assurance.disclosure import DisclosurePolicy, policy_for
from assurance.disclosure.figure import DisclosedGroup, disclose_figure
from assurance.lineage import publisher
from assurance.models import Observation
from assurance.periods import PERIOD_FORMS, parse_period_key
from assurance.problems import Problem, ProblemsError, did_you_mean
from assurance.register import registered_org

ROLES = ("focus", "reference", "unknown")


def division_breakdown(name: str) -> str:
    """The breakdown a division's figures are stored under: ``division:<name>``, the name in
    lower case with runs of anything but a-z and 0-9 as ``_`` ("" for a blank name)."""
    text = name.strip()
    if text.lower().startswith("division:"):
        text = text[len("division:"):]
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return f"division:{slug}" if slug else ""


@dataclass(frozen=True)
class FigureRow:
    """One stored figure as an audience may see it.

    ``value``, ``numerator`` and ``denominator`` are ``None`` when hidden (or absent); the
    ``*_text`` fields are what to print ("*" when hidden, "" when absent).
    """

    org: str
    period: str
    metric: str
    group: str
    breakdown: str
    unit: str
    value: float | None
    value_text: str
    numerator: int | None
    denominator: int | None
    numerator_text: str
    denominator_text: str
    hidden: bool
    suppressed: bool  # suppressed in the source it came from
    note: str | None
    import_id: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


FIELDS = tuple(FigureRow.__dataclass_fields__)
"""The columns of ``--csv`` and the keys of ``--json``, in order."""


def list_figures(engine: Engine, settings: Settings, *, orgs: Sequence[str] = (),
                 division: str | None = None, metric: str | None = None,
                 period: str | None = None, audience: str = "network") -> list[FigureRow]:
    """The current stored figures that match, disclosed to ``audience``.

    Raises:
        ProblemsError: an unknown audience, or a division name with no letters or digits.
    """
    problems = []
    if audience not in AUDIENCES:
        problems.append(Problem("--audience", f"unknown audience {audience!r}; expected one of "
                                + ", ".join(AUDIENCES)))
    breakdown = division_breakdown(division) if division is not None else None
    if division is not None and not breakdown:
        problems.append(Problem("--division", "found a name without letters or digits; "
                                "expected a division's name"))
    with session(engine) as s:  # a code or period no figure can have: say so, not "0 figures"
        for code in orgs:
            registered_org(s, code, "--org", problems)
    if period and parse_period_key(period.strip()) is None:
        problems.append(Problem("--period", f"found {period!r}; expected {PERIOD_FORMS}"))
    cat = load_catalogue()
    prefix = (metric or "").strip().rstrip(".")
    if prefix and not any(m == prefix or m.startswith(prefix + ".") for m in cat.metrics):
        problems.append(Problem("--metric", f"no catalogue metric is {prefix!r} or starts "
                                f"with '{prefix}.'{did_you_mean(prefix, cat.metrics)}; "
                                "expected a metric id or the start of one, e.g. wres or "
                                "paygap.gender"))
    if problems:
        raise ProblemsError(problems)
    policy = policy_for(settings, audience)
    rows = _select(engine, orgs, breakdown, metric, period)
    basis = _basis_rows(engine, cat, rows)
    tables: dict[tuple[str, str, str, str], list[Observation]] = {}
    for r in rows:
        tables.setdefault((r.org_code, r.period_key, r.metric, r.breakdown), []).append(r)
    out: list[FigureRow] = []
    for (org, per, mid, bd), table in tables.items():
        m = cat.metrics.get(mid)
        unit = m.unit if m is not None else ""
        basis_id = (m.counts or {}).get("basis") if m is not None else None
        if basis_id:
            counts = {o.group: o.numerator for o in basis.get((org, per, basis_id, bd), [])}
            out.extend(_gap_row(o, unit, counts, policy) for o in table)
        else:
            out.extend(_table_rows(table, unit, cat, policy))
    return sorted(out, key=lambda f: (f.org, f.period, f.metric, f.breakdown, f.group))


def _select(engine: Engine, orgs: Sequence[str], breakdown: str | None, metric: str | None,
            period: str | None) -> list[Observation]:
    q = select(Observation).where(col(Observation.current).is_(True))
    if orgs:
        q = q.where(col(Observation.org_code).in_([o.strip().upper() for o in orgs]))
    if breakdown is not None:
        q = q.where(Observation.breakdown == breakdown)
    if metric:
        prefix = metric.strip().rstrip(".")
        q = q.where(or_(col(Observation.metric) == prefix,
                        col(Observation.metric).startswith(prefix + ".", autoescape=True)))
    if period:
        q = q.where(Observation.period_key == period.strip())
    with session(engine) as s:
        return list(s.exec(q.order_by(col(Observation.id))).all())


def _basis_rows(engine: Engine, cat: Catalogue, rows: Sequence[Observation]
                ) -> dict[tuple[str, str, str, str], list[Observation]]:
    """The stored figures that hold the people the selected gaps are built on."""
    wanted = {(m.counts or {}).get("basis") for r in rows
              if (m := cat.metrics.get(r.metric)) is not None}
    wanted.discard(None)
    if not wanted:
        return {}
    orgs = sorted({r.org_code for r in rows})
    q = select(Observation).where(col(Observation.current).is_(True),
                                  col(Observation.metric).in_(sorted(str(w) for w in wanted)),
                                  col(Observation.org_code).in_(orgs))
    out: dict[tuple[str, str, str, str], list[Observation]] = {}
    with session(engine) as s:
        for o in s.exec(q).all():
            out.setdefault((o.org_code, o.period_key, o.metric, o.breakdown), []).append(o)
    return out


def _gap_row(o: Observation, unit: str, counts: Mapping[str, int | None],
             policy: DisclosurePolicy) -> FigureRow:
    """A pay gap, disclosed with the two groups it compares (from its basis figure)."""
    others = [g for g in counts if g not in (o.group, "unknown")]
    facts: dict[str, Any] = {"unit": unit, "value": o.value, "published": publisher(o.breakdown),
                             "focus": {"group": o.group, "denominator": counts.get(o.group)}}
    if others:
        facts["reference"] = {"group": others[0], "denominator": counts.get(others[0])}
    shown = disclose_figure(facts, policy)
    hidden = shown.value_hidden and o.value is not None
    return FigureRow(o.org_code, o.period_key, o.metric, o.group, o.breakdown, unit,
                     shown.value, shown.value_text if o.value is not None else "",
                     None, None, "", "", hidden, o.suppressed, o.note, o.import_id)


def _table_rows(table: Sequence[Observation], unit: str, cat: Catalogue,
                policy: DisclosurePolicy
                ) -> list[FigureRow]:
    """The groups of one stored table, disclosed together (so no total is shown with all but
    one of its parts)."""
    m = cat.metrics.get(table[0].metric)
    order = {g: i for i, g in enumerate(
        (m.focus, m.reference, "unknown") if m is not None else ()) if g}
    ranked = sorted(table, key=lambda o: (order.get(o.group, 9), o.group))
    chunks = [ranked] if len(ranked) <= len(ROLES) else [[o] for o in ranked]
    out: list[FigureRow] = []
    for chunk in chunks:
        facts: dict[str, Any] = {"unit": unit, "published": publisher(chunk[0].breakdown)}
        for role, o in zip(ROLES, chunk, strict=False):
            facts[role] = {"group": o.group, "label": o.group, "value": o.value,
                           "numerator": o.numerator, "denominator": o.denominator}
        shown = {g.group: g for g in disclose_figure(facts, policy).groups}
        out.extend(_row(o, unit, shown[o.group]) for o in chunk)
    return out


def _row(o: Observation, unit: str, g: DisclosedGroup) -> FigureRow:
    return FigureRow(o.org_code, o.period_key, o.metric, o.group, o.breakdown, unit, g.value,
                     g.value_text, g.numerator, g.denominator, g.numerator_text,
                     g.denominator_text, g.hidden or (o.value is not None and g.value is None),
                     o.suppressed, o.note, o.import_id)
