"""Tidy metrics CSV: one figure per row, with its counts.

Columns (header row required; order free)::

    org_code,period,metric,group,breakdown,numerator,denominator,value,note

* ``org_code`` — a registered organisation (``assurance orgs import``);
* ``period`` — ``wres:2024`` (31 March snapshot), ``survey:2024`` or ``month:2024-03``,
  matching the metric's period kind in the catalogue;
* ``metric`` — a catalogue id such as ``wres.2``;
* ``group`` — ``white``, ``bme``, ``unknown``, ``disabled``, ``non_disabled`` or ``all``;
* ``breakdown`` — optional: band (``band:8c``), ``overall``, ``board_voting`` …;
* ``numerator`` / ``denominator`` — counts of people (for ratios, shares, representation);
* ``value`` — a percentage or score where the source publishes one (survey figures);
* ``note`` — free text (e.g. the WDES 9b narrative).

Numbers follow :mod:`assurance.safeinput`: ASCII digits, an optional ``-`` and one ``.``; no
commas (``2,5`` is ambiguous), exponents, ``inf``/``nan`` or other scripts' digits. Counts are
whole (``3.0`` is 3, ``3.5`` is refused). ``org_code`` has the ODS shape; the identifier columns
are ASCII and may not start like a spreadsheet formula.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from assurance.catalogue import Catalogue
from assurance.figure_checks import counts_over
from assurance.figure_columns import FigureColumns
from assurance.ingest import ParseContext, Parsed
from assurance.lineage import PUBLISHED_PREFIX
from assurance.periods import PERIOD_FORMS, parse_period_key
from assurance.problems import Problem, did_you_mean
from assurance.safeinput import InputError, check_identifier, check_ods_code
from connectors.tabular import CellError, parse_count, parse_number, read_csv_columns

REQUIRED = ("org_code", "period", "metric")
OPTIONAL = ("group", "breakdown", "numerator", "denominator", "value", "note")
COLUMNS = (*REQUIRED, *OPTIONAL)

#: A column's problem, before the file and row are added.
Found = tuple[str, str]
#: What a row's metric, period, group and breakdown cells say: their problems, then the
#: metric id, period key (None when unreadable), group and breakdown.
Identifiers = tuple[list[Found], str, str | None, str, str]


class MetricsCsv:
    """Source ``metrics_csv``: one figure per row, checked against the metric catalogue.

    Each row is checked whole (metric, period kind, group, counts) so that every problem in
    it is reported at once; a row with any problem stores nothing.

    Every check depends on a cell's text alone, or on the four identifier cells together, or
    (numerator over denominator) on the two counts, so the file is read as columns and each
    distinct text (or combination) is checked once: a national file repeats 215 organisation
    codes, a few dozen metrics and a few thousand counts across hundreds of thousands of rows.
    The figures share the checked strings and numbers rather than holding copies. Only a file
    with a problem is walked row by row, to name each bad cell's row and column.
    """

    name = "metrics_csv"
    version = "1"
    description = "a tidy metrics CSV (org_code, period, metric, group, breakdown, counts)"

    def parse(self, path: Path, ctx: ParseContext) -> Parsed:
        out = Parsed()
        data = read_csv_columns(path, REQUIRED, OPTIONAL, out.problems)
        if data is None:
            return out
        n = out.rows_read = len(data.lines)
        at = {h: i for i, h in enumerate(data.header)}
        blank = [""] * n  # an absent optional column reads as blank cells
        texts = [data.columns[at[c]] if c in at else blank for c in COLUMNS]
        org_t, period_t, metric_t, group_t, breakdown_t, num_t, den_t, value_t, note_t = texts
        identifiers = {key: _identifiers(ctx.catalogue, *key)
                       for key in set(zip(metric_t, period_t, group_t, breakdown_t, strict=True))}
        orgs = {t: _org(t) for t in set(org_t)}
        counts = {t: _count(t) for t in set(num_t) | set(den_t)}
        values = {t: _number(t) for t in set(value_t)}
        num_of = {t: v for t, (v, _) in counts.items()}
        nums = list(map(num_of.__getitem__, num_t))
        dens = list(map(num_of.__getitem__, den_t))
        clean = (not any(found for found, *_ in identifiers.values())
                 and all(bad is None for _, bad in (*orgs.values(), *counts.values(),
                                                     *values.values()))
                 and not counts_over(nums, dens))
        # Each identifier's checked form depends on its own cell alone.
        metric_of: dict[str, str] = {}
        period_of: dict[str, str | None] = {}
        group_of: dict[str, str] = {}
        breakdown_of: dict[str, str] = {}
        for (metric, period, group, breakdown), (_, m, p, g, b) in identifiers.items():
            metric_of[metric], period_of[period], group_of[group], breakdown_of[breakdown] = (
                m, p, g, b)
        org_of = {t: code for t, (code, _) in orgs.items()}
        value_of = {t: v for t, (v, _) in values.items()}
        note_of = {t: t or None for t in set(note_t)}
        figures = FigureColumns(
            list(map(org_of.__getitem__, org_t)),
            list(map(period_of.__getitem__, period_t)),  # type: ignore[arg-type]
            list(map(metric_of.__getitem__, metric_t)),
            list(map(group_of.__getitem__, group_t)),
            list(map(breakdown_of.__getitem__, breakdown_t)),
            list(map(value_of.__getitem__, value_t)), nums, dens, [False] * n,
            list(map(note_of.__getitem__, note_t)), data.lines)
        if not clean:
            figures = figures.take(self._locate(
                str(path), texts, data.lines, identifiers, orgs, counts, values, out.problems))
        out.figures = figures
        return out

    @staticmethod
    def _locate(where: str, texts: list[list[str]], lines: Sequence[int],
                identifiers: dict[tuple[str, str, str, str], Identifiers],
                orgs: dict[str, tuple[str, str | None]],
                counts: dict[str, tuple[int | None, str | None]],
                values: dict[str, tuple[float | None, str | None]],
                problems: list[Problem]) -> list[int]:
        """Report every problem row by row, each bad cell by its row and column; the
        indices of the rows without one."""
        kept: list[int] = []
        for i, (line, org_text, period_text, metric_text, group_text, breakdown_text,
                num_text, den_text, value_text, _) in enumerate(zip(lines, *texts,
                                                                    strict=True)):
            found = identifiers[(metric_text, period_text, group_text, breakdown_text)][0]
            (num, num_bad), (den, den_bad) = counts[num_text], counts[den_text]
            val_bad, org_bad = values[value_text][1], orgs[org_text][1]
            over = num is not None and den is not None and num > den >= 0
            if not (found or num_bad or den_bad or val_bad or org_bad or over):
                kept.append(i)
                continue
            problems.extend(Problem(where, msg, line, col) for col, msg in found)
            for col, msg in (("numerator", num_bad), ("denominator", den_bad),
                             ("value", val_bad), ("org_code", org_bad)):
                if msg is not None:
                    problems.append(Problem(where, msg, line, col))
            if over:
                problems.append(Problem(
                    where, f"numerator {num} is larger than denominator {den}; expected "
                    "at most the denominator (a group cannot have more events than people)",
                    line, "numerator"))
        return kept


def _identifiers(cat: Catalogue, metric_text: str, period_text: str, group_text: str,
                 breakdown_text: str) -> Identifiers:
    """Check a row's identifier cells against each other and the catalogue."""
    found: list[Found] = []
    # Identifiers are checked for shape first (blank, formula-looking, control characters,
    # non-ASCII such as full-width digits) so a lookup never sees them.
    ident: dict[str, str | None] = {}
    for col, text, expected in (
            ("metric", metric_text, "a catalogue metric id such as wres.2"),
            ("period", period_text, PERIOD_FORMS), ("group", group_text, "a group such as bme"),
            ("breakdown", breakdown_text, "a breakdown such as band:8c")):
        if not text and col in ("metric", "period"):
            found.append((col, f"blank; expected {expected}"))
            ident[col] = None
            continue
        try:
            ident[col] = check_identifier(text, expected=expected) if text else ""
        except InputError as exc:
            found.append((col, str(exc)))
            ident[col] = None
    # Identifiers are the catalogue's, in lower case; a spreadsheet's "BME" or "Band:8C"
    # means the same (a header's names are matched in any case too).
    for col in ("metric", "group", "breakdown"):
        if ident[col]:
            ident[col] = str(ident[col]).lower()
    metric_id = ident["metric"] or ""
    metric = cat.metrics.get(metric_id)
    if metric is None and ident["metric"]:
        found.append(("metric", f"unknown metric {metric_id!r}"
                      f"{did_you_mean(metric_id, cat.metrics)}"))
    period = parse_period_key(ident["period"]) if ident["period"] else None
    if period is None and ident["period"]:
        found.append(("period", f"found {period_text!r}; expected {PERIOD_FORMS}"))
    elif period is not None and metric is not None and period.kind != metric.period_kind:
        found.append(("period", f"{metric_id} is reported per {metric.period_kind}, found "
                      f"{period.key!r}"))
    groups = cat.known_groups()
    group = ident["group"] or "all"
    if ident["group"] is None:
        pass
    elif group not in groups:
        found.append(("group", f"unknown group {group!r}{did_you_mean(group, groups)}"))
    elif metric is not None and metric.characteristic and group != "all":
        allowed = cat.characteristics[metric.characteristic]["groups"]
        if group not in allowed:
            found.append(("group", f"{metric_id} is about {metric.characteristic}; expected "
                          "one of " + ", ".join(allowed)))
    breakdown = ident["breakdown"] or ""
    if ident["breakdown"] is None:
        pass
    elif metric is not None and metric.breakdowns and breakdown not in metric.breakdowns:
        found.append(("breakdown", f"unknown breakdown {breakdown!r} for {metric_id}"
                      f"{did_you_mean(breakdown, metric.breakdowns)}"))
    elif metric is not None and not metric.breakdowns and breakdown and not (
            breakdown.startswith(("division:", PUBLISHED_PREFIX))
            or (breakdown in cat.breakdown_sets.get("bands", ()) and breakdown != "overall")):
        # Stored, such a figure was never read: rules read the organisation's own figure
        # (blank), a band's or a division's, so a breach behind it went unseen.
        whole = " (the organisation's own figure has a blank breakdown)" if breakdown in (
            "overall", "all", "total", "trust", "organisation") else ""
        found.append(("breakdown", f"found {breakdown!r}{whole}; expected blank for "
                      f"{metric_id}'s figure for the organisation, a band such as band:8c, or "
                      "division:<name>"))
    return found, metric_id, period.key if period is not None else None, group, breakdown


def _count(text: str) -> tuple[int | None, str | None]:
    """A count cell's number or problem. Negative counts are reported by the shared figure
    checks, which name the count ("negative count -3")."""
    try:
        return parse_count(text, negative_ok=True), None
    except CellError as exc:
        return None, str(exc)


def _number(text: str) -> tuple[float | None, str | None]:
    try:
        return parse_number(text), None
    except CellError as exc:
        return None, str(exc)


def _org(text: str) -> tuple[str, str | None]:
    if not text:
        return "", "empty; expected an organisation code"
    try:
        return check_ods_code(text), None
    except InputError as exc:
        return "", str(exc)
