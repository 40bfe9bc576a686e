"""``assurance figures``: list or export stored figures as one audience may see them."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from assurance import api
from assurance.cli.base import EXIT_BAD_INPUT, app, err, out, refused, settings
from assurance.figures_export import FIELDS, list_figures
from assurance.wording import counted


@app.command("figures")
def figures(
    org: Annotated[list[str] | None, typer.Option(
        "--org", help="organisation code (repeatable; default: every organisation)")] = None,
    division: Annotated[str | None, typer.Option(
        help="a division's name (figures stored as division:<name>)")] = None,
    metric: Annotated[str | None, typer.Option(
        help="a metric id or dotted prefix: paygap, paygap.gender, wres.1")] = None,
    period: Annotated[str | None, typer.Option(help="a period key, e.g. wres:2025")] = None,
    audience: Annotated[str, typer.Option(
        help="whose view: network (default, the strictest), public, executive, board, "
             "regulator")] = "network",
    as_json: Annotated[bool, typer.Option("--json", help="a JSON list of objects")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV, safe to open in a spreadsheet")
                      ] = False,
) -> None:
    """Stored figures (current ones) with disclosure applied for an audience: small counts
    and what is built on them are hidden unless the audience may see them."""
    s = settings()
    if as_json and as_csv:
        err.print("--json and --csv: choose one of them", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    with refused():
        rows = list_figures(api.connect(s), s, orgs=org or (), division=division,
                            metric=metric, period=period, audience=audience)
    if as_json:
        sys.stdout.write(json.dumps([r.as_dict() for r in rows], indent=2,
                                    ensure_ascii=False) + "\n")
        return
    if as_csv:
        from reports.extracts import csv_bytes  # formula-safe cells, numbers as numbers

        sys.stdout.write(csv_bytes(FIELDS, [tuple(r.as_dict().values()) for r in rows])
                         .decode("utf-8"))
        return
    t = Table("org", "period", "metric", "breakdown", "group", "value", "numerator",
              "denominator", title=f"Figures ({audience} view)")
    for r in rows:
        t.add_row(r.org, r.period, r.metric, r.breakdown, r.group, r.value_text,
                  r.numerator_text, r.denominator_text)
    out.print(t)
    out.print(f"{counted(len(rows), 'figure')}.", markup=False)
