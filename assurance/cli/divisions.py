"""``assurance divisions import|list``: the division register (organisation → division →
department, each with an accountable owner role).

Importing replaces the register of every organisation the file names, all or nothing, in one
audited transaction; bad input prints every problem located and exits 2 with nothing stored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from assurance import api
from assurance import divisions as register
from assurance.cli.base import actor, app, now, out, refused, settings
from assurance.db import session
from assurance.ingest import file_sha256
from assurance.problems import ProblemsError
from connectors.divisions_csv import read_divisions

divisions_app = typer.Typer(no_args_is_help=True,
                            help="Divisions and departments, each with an accountable owner.")
app.add_typer(divisions_app, name="divisions")


@divisions_app.command("import")
def divisions_import(
    file: Annotated[Path, typer.Argument(help="CSV: org_code, division, department, owner")],
) -> None:
    """Replace the division register of the organisations the file names (audited)."""
    s, at = settings(), now()
    with refused():
        rows, problems, read = read_divisions(file)
        if problems:
            raise ProblemsError(problems)
        with session(api.connect(s), write=True) as sess, sess.begin():
            counts = register.replace_register(sess, rows, where=str(file),
                                               sha256=file_sha256(file), actor=actor(), at=at)
    owners = sum(1 for r in rows if r.level == "division" and not r.owner)
    out.print(f"imported {read} rows: " + ", ".join(f"{org} {n}" for org, n in counts.items())
              + (f"; {owners} divisions have no accountable owner yet" if owners else ""),
              markup=False, soft_wrap=True)


@divisions_app.command("list")
def divisions_list(
    org: Annotated[str | None, typer.Option(help="organisation code")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The register: each division with its departments and accountable owner."""
    with session(api.connect(settings())) as sess:
        rows = register.list_divisions(sess, org)
    if as_json:
        out.print_json(json.dumps([{"org": d.org_code, "code": d.code, "name": d.name,
                                    "level": d.level, "division": d.parent, "owner": d.owner}
                                   for d in rows]))
        return
    t = Table("org", "division", "department", "code", "owner", title="Division register")
    for d in rows:
        dept = d.level == "department"
        t.add_row(d.org_code, d.parent if dept else d.name, d.name if dept else "", d.code,
                  d.owner or "none assigned")
    out.print(t)
