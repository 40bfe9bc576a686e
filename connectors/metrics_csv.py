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

from pathlib import Path

from assurance.ingest import ObservationRow, ParseContext, Parsed
from assurance.periods import PERIOD_FORMS, parse_period_key
from assurance.problems import Problem, did_you_mean
from assurance.safeinput import InputError, check_identifier, check_ods_code
from connectors.tabular import CellError, parse_count, parse_number, read_csv

REQUIRED = ("org_code", "period", "metric")
OPTIONAL = ("group", "breakdown", "numerator", "denominator", "value", "note")


class MetricsCsv:
    """Source ``metrics_csv``: one figure per row, checked against the metric catalogue.

    Each row is checked whole (metric, period kind, group, counts) so that every problem in
    it is reported at once; a row with any problem stores nothing.
    """

    name = "metrics_csv"
    version = "1"
    description = "a tidy metrics CSV (org_code, period, metric, group, breakdown, counts)"

    def parse(self, path: Path, ctx: ParseContext) -> Parsed:
        out = Parsed()
        where = str(path)
        groups = ctx.catalogue.known_groups()
        for line, cells in read_csv(path, REQUIRED, OPTIONAL, out.problems):
            out.rows_read += 1
            row_problems: list[Problem] = []

            def bad(col: str, msg: str, line: int = line, rp: list[Problem] = row_problems) -> None:
                rp.append(Problem(where, msg, line, col))

            # Identifiers are checked for shape first (blank, formula-looking, control
            # characters, non-ASCII such as full-width digits) so a lookup never sees them.
            ident: dict[str, str | None] = {}
            for col, expected in (("metric", "a catalogue metric id such as wres.2"),
                                  ("period", PERIOD_FORMS), ("group", "a group such as bme"),
                                  ("breakdown", "a breakdown such as band:8c")):
                text = cells.get(col, "")
                if not text and col in ("metric", "period"):
                    bad(col, f"blank; expected {expected}")
                    ident[col] = None
                    continue
                try:
                    ident[col] = check_identifier(text, expected=expected) if text else ""
                except InputError as exc:
                    bad(col, str(exc))
                    ident[col] = None
            metric_id = ident["metric"] or ""
            metric = ctx.catalogue.metrics.get(metric_id)
            if metric is None and ident["metric"]:
                bad("metric", f"unknown metric {metric_id!r}"
                    f"{did_you_mean(metric_id, ctx.catalogue.metrics)}")
            period = parse_period_key(ident["period"]) if ident["period"] else None
            if period is None and ident["period"]:
                bad("period", f"found {cells['period']!r}; expected {PERIOD_FORMS}")
            elif period is not None and metric is not None and period.kind != metric.period_kind:
                bad("period", f"{metric_id} is reported per {metric.period_kind}, found "
                    f"{period.key!r}")
            group = ident["group"] or "all"
            if ident["group"] is None:
                pass
            elif group not in groups:
                bad("group", f"unknown group {group!r}{did_you_mean(group, groups)}")
            elif metric is not None and metric.characteristic and group != "all":
                allowed = ctx.catalogue.characteristics[metric.characteristic]["groups"]
                if group not in allowed:
                    bad("group", f"{metric_id} is about {metric.characteristic}; expected one of "
                        + ", ".join(allowed))
            breakdown = ident["breakdown"] or ""
            if ident["breakdown"] is None:
                pass
            elif metric is not None and metric.breakdowns and breakdown not in metric.breakdowns:
                bad("breakdown", f"unknown breakdown {breakdown!r} for {metric_id}"
                    f"{did_you_mean(breakdown, metric.breakdowns)}")
            values: dict[str, float | int | None] = {}
            for col in ("numerator", "denominator", "value"):
                try:
                    # Negative counts are reported by the shared figure checks, which name
                    # the count ("negative count -3").
                    values[col] = (parse_number(cells.get(col)) if col == "value"
                                   else parse_count(cells.get(col), negative_ok=True))
                except CellError as exc:
                    bad(col, str(exc))
            org_code = ""
            if not cells["org_code"]:
                bad("org_code", "empty; expected an organisation code")
            else:
                try:
                    org_code = check_ods_code(cells["org_code"])
                except InputError as exc:
                    bad("org_code", str(exc))
            num, den, val = values.get("numerator"), values.get("denominator"), values.get("value")
            if num is not None and den is not None and num > den >= 0:
                bad("numerator", f"numerator {num} is larger than denominator {den}; expected "
                    "at most the denominator (a group cannot have more events than people)")
            if row_problems or period is None:
                out.problems.extend(row_problems)
                continue
            out.observations.append(ObservationRow(
                org_code=org_code, period_key=period.key, metric=metric_id,
                group=group, breakdown=breakdown,
                numerator=int(num) if num is not None else None,
                denominator=int(den) if den is not None else None,
                value=float(val) if val is not None else None,
                note=cells.get("note") or None, line=line,
            ))
        return out
