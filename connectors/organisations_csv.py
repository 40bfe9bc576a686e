"""Organisation register CSV: ``code,name,type,region,ics,benchmark_group,synthetic``.

ODS codes are validated for shape (3 characters for trusts, 5 for sites; letters and
digits). Synthetic organisations (the demo's) use codes starting ``Z9`` and set
``synthetic`` to ``yes``; the product marks them wherever they appear.
"""

from __future__ import annotations

import re
from pathlib import Path

from assurance.ingest import ParseContext, Parsed
from assurance.models import Organisation
from assurance.problems import Problem
from connectors.tabular import read_csv

ODS = re.compile(r"^[A-Z0-9]{3,5}$")
TRUE = {"yes", "true", "1", "y"}
FALSE = {"no", "false", "0", "n", ""}


class OrganisationsCsv:
    """Source ``organisations_csv``: the register of organisations the figures belong to."""

    name = "organisations_csv"
    version = "1"
    description = "an organisation register CSV (code, name, type, region, ics)"

    def parse(self, path: Path, ctx: ParseContext) -> Parsed:
        out = Parsed()
        where = str(path)
        seen: dict[str, int] = {}
        for line, cells in read_csv(path, ("code", "name"),
                                    ("type", "region", "ics", "benchmark_group", "synthetic"),
                                    out.problems):
            out.rows_read += 1
            code = cells["code"].upper()
            if not ODS.match(code):
                out.problems.append(Problem(where, f"found {cells['code']!r}; expected an ODS "
                                            "code of 3 to 5 letters or digits", line, "code"))
                continue
            if code in seen:
                out.problems.append(Problem(where, f"duplicate code {code} (first on row "
                                            f"{seen[code]})", line, "code"))
                continue
            seen[code] = line
            if not cells["name"]:
                out.problems.append(Problem(where, "empty; expected the organisation's name",
                                            line, "name"))
            flag = cells.get("synthetic", "").lower()
            if flag not in TRUE | FALSE:
                out.problems.append(Problem(where, f"found {flag!r}; expected yes or no", line,
                                            "synthetic"))
            out.organisations.append(Organisation(
                code=code, name=cells["name"], org_type=cells.get("type") or None,
                region=cells.get("region") or None, ics=cells.get("ics") or None,
                benchmark_group=cells.get("benchmark_group") or None, synthetic=flag in TRUE))
        return out
