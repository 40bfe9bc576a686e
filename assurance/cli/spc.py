"""``assurance spc``: an analyst's XmR chart of one series from a CSV, by either method.

The CSV has a header row naming ``period`` and ``value``; rows are in time order. Each period
appears once; values follow :mod:`assurance.safeinput` (ASCII digits, one ``.``, an optional
``-`` and an optional trailing ``%``). A bad file prints every problem as
``file:line:column: error: …`` and exits 2; nothing is drawn.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from assurance import spc as xmr
from assurance.cli.base import EXIT_BAD_INPUT, app, settings
from assurance.periods import short_label
from assurance.problems import Problem, did_you_mean
from assurance.report_context.model import SpcPointView, SpcView
from assurance.report_context.views import ASSURANCE_LABELS, VARIATION_LABELS
from assurance.safeinput import InputError, check_identifier
from assurance.wording import counted
from connectors.tabular import CellError, parse_number, read_csv

IMPROVEMENT = {"up": "increase", "down": "decrease", "neither": "neutral"}
SHORT = {"common_cause": "common_cause", "special_cause_improvement": "improvement",
         "special_cause_concern": "concern", "special_cause_neither": "neither", "none": "none"}
PERIOD = "a period such as 2024-03 or month:2024-03"


def _refuse(problems: list[Problem]) -> typer.Exit:
    for p in problems:  # plain print: one problem per line, never wrapped
        print(str(p), file=sys.stderr)
    print(f"{counted(len(problems), 'problem')}; no chart was drawn.", file=sys.stderr)
    return typer.Exit(EXIT_BAD_INPUT)


def read_series(path: Path) -> tuple[list[str], list[float], list[Problem]]:
    """(periods, values, problems) of a ``period,value`` CSV; every bad cell is a problem."""
    where = str(path)
    problems: list[Problem] = []
    periods: list[str] = []
    values: list[float] = []
    first: dict[str, int] = {}
    for line, cells in read_csv(path, ("period", "value"), (), problems):
        period: str | None = None
        value: float | None = None
        if not cells["period"]:
            problems.append(Problem(where, f"blank; expected {PERIOD}", line, "period"))
        else:
            try:
                period = check_identifier(cells["period"], expected=PERIOD)
            except InputError as exc:
                problems.append(Problem(where, str(exc), line, "period"))
        if period is not None and period in first:
            problems.append(Problem(where, f"duplicate period {period!r} (first on line "
                                    f"{first[period]}); expected each period once", line,
                                    "period"))
            period = None
        try:
            value = parse_number(cells["value"])
            if value is None:
                problems.append(Problem(where, "blank; expected a number", line, "value"))
        except CellError as exc:
            problems.append(Problem(where, str(exc), line, "value"))
        if period is not None:
            first[period] = line
            if value is not None:
                periods.append(period)
                values.append(value)
    if not problems and not periods:
        problems.append(Problem(where, "no data rows; expected a row of period,value for each "
                                "period after the header", 2))
    return periods, values, problems


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.4f}".rstrip("0").rstrip(".")


def _view(name: str, periods: list[str], result: xmr.SpcResult) -> SpcView:
    s = result.settings
    points = tuple(SpcPointView(k, short_label(k), p.value, p.mean, p.lpl, p.upl,
                                p.lower_two_sigma, p.upper_two_sigma, p.point_type)
                   for k, p in zip(periods, result.points, strict=True))
    return SpcView(name, name, "", s.improvement, points, result.limits_available,
                   result.variation, VARIATION_LABELS[result.variation], result.assurance,
                   ASSURANCE_LABELS[result.assurance], xmr.describe(result), s.target)


def _as_json(periods: list[str], result: xmr.SpcResult) -> dict[str, Any]:
    return {"points": [{"period": k, "value": p.value, "mean": p.mean, "lpl": p.lpl,
                        "upl": p.upl, "rules": list(p.rules), "variation": SHORT[p.point_type]}
                       for k, p in zip(periods, result.points, strict=True)],
            "variation": SHORT[result.variation], "assurance": result.assurance}


def _table(periods: list[str], result: xmr.SpcResult) -> str:
    rows = [("period", "value", "mean", "lpl", "upl", "rules", "variation")]
    rows += [(k, _num(p.value), _num(p.mean), _num(p.lpl), _num(p.upl),
              ",".join(p.rules) or "-", SHORT[p.point_type])
             for k, p in zip(periods, result.points, strict=True)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in rows)


def _settings_line(s: xmr.SpcSettings) -> str:
    name = {"mdc": "Making Data Count (mdc)", "nhsr": "NHSRplotthedots (nhsr)"}[s.method]
    return (f"Method: {name}; run length {s.run_length}; moving ranges "
            f"{'screened' if s.screen_outliers else 'not screened'}; limits from "
            f"{s.min_points} points" + (f"; baseline of {s.freeze_after} points"
                                         if s.freeze_after else ""))


@app.command("spc")
def spc_cmd(
    series: Annotated[Path, typer.Argument(help="CSV with a header row period,value; rows in "
                                           "time order")],
    method: Annotated[str | None, typer.Option(
        help="mdc (Making Data Count tools) or nhsr (NHSRplotthedots); default: "
             "statistics.spc_method in the config, else mdc")] = None,
    improvement: Annotated[str, typer.Option(help="which way is better: up, down or "
                                             "neither")] = "up",
    target: Annotated[float | None, typer.Option(help="target, for the assurance "
                                                 "reading")] = None,
    rebase: Annotated[list[str] | None, typer.Option(
        help="recalculate the limits from this period on (repeatable)")] = None,
    baseline: Annotated[int | None, typer.Option(
        help="fix the mean and limits on the first N points (of each part, with --rebase) "
             "and extend them")] = None,
    run_length: Annotated[int | None, typer.Option(
        help="points in a shift or trend (default: the method's, mdc 6, nhsr 7)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a "
                                          "table")] = False,
    svg: Annotated[Path | None, typer.Option(help="write the chart as SVG here")] = None,
    png: Annotated[Path | None, typer.Option(help="write the chart as PNG here")] = None,
) -> None:
    """Analyse one series as an XmR chart; print each point's rules and the icons.

    Exit codes: 0 done; 2 a bad file or option (every problem printed, located); 3 a bad
    configuration (only read when --method is not given).
    """
    problems: list[Problem] = []
    if method is not None and method not in ("mdc", "nhsr"):
        problems.append(Problem("--method", f"found {method!r}{did_you_mean(method, ('mdc', 'nhsr'))}"
                                "; expected mdc or nhsr"))
    if improvement not in IMPROVEMENT:
        problems.append(Problem("--improvement", f"found {improvement!r}"
                                f"{did_you_mean(improvement, IMPROVEMENT)}; expected up, down "
                                "or neither"))
    if baseline is not None and baseline < 2:
        problems.append(Problem("--baseline", f"found {baseline}; expected at least 2 points"))
    if run_length is not None and run_length < 2:
        problems.append(Problem("--run-length", f"found {run_length}; expected at least 2"))
    periods, values, bad = read_series(series)
    problems += bad
    index = {k: i for i, k in enumerate(periods)}
    for k in rebase or []:
        if not bad and k not in index:
            problems.append(Problem("--rebase", f"found {k!r}{did_you_mean(k, index)}; expected "
                                    f"a period in {series}"))
    if not bad and baseline is not None and baseline > len(values):
        problems.append(Problem("--baseline", f"found {baseline}; expected at most the "
                                f"{len(values)} points in {series}"))
    if problems:
        raise _refuse(problems)
    chosen = method or settings().statistics.spc_method
    result = xmr.analyse(values, xmr.SpcSettings.for_method(
        chosen, improvement=IMPROVEMENT[improvement], target=target, run_length=run_length,
        freeze_after=baseline, rebase_at=tuple(sorted({index[k] for k in rebase or []}))))
    if svg is not None or png is not None:
        # Imported here so that other commands do not pay for loading matplotlib.
        from reports.charts import spc_chart_png, spc_chart_svg

        view = _view(series.stem, periods, result)
        if svg is not None:
            svg.write_bytes(spc_chart_svg(view))
        if png is not None:
            png.write_bytes(spc_chart_png(view))
    if as_json:
        print(json.dumps(_as_json(periods, result), indent=2))
        return
    print(_table(periods, result))
    print()
    print(f"Variation: {VARIATION_LABELS[result.variation]}.")
    print(f"Assurance: {ASSURANCE_LABELS[result.assurance]}.")
    print(xmr.describe(result))
    print(_settings_line(result.settings))
