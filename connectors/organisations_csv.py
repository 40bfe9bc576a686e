"""Organisation register CSV: ``code,name,type,region,ics,benchmark_group,synthetic``.

ODS codes are validated for shape (:data:`assurance.safeinput.ODS_FORM`: 3 to 10 letters
and digits — 3 for trusts, 5 for sites, 6 for practices); a value a spreadsheet would run as
a formula is refused. Names and the other text columns are at most 255 characters on one line
with no control characters: they are printed in Word documents and evidence packs, and
python-docx cannot write control characters. Synthetic organisations (the demo's) use codes
starting ``Z9`` and set ``synthetic`` to ``yes``; the product marks them wherever they appear.
"""

from __future__ import annotations

from pathlib import Path

from assurance.ingest import ParseContext, Parsed
from assurance.models import Organisation
from assurance.problems import Problem
from assurance.safeinput import LIMITS, InputError, check_ods_code, check_text, describe
from connectors.tabular import read_csv

TRUE = {"yes", "true", "1", "y"}
FALSE = {"no", "false", "0", "n", ""}
TEXT_COLUMNS = ("name", "type", "region", "ics", "benchmark_group")


class OrganisationsCsv:
    """Source ``organisations_csv``: the register of organisations the figures belong to."""

    name = "organisations_csv"
    version = "2"  # 2: the register's names and types replace the registered ones
    description = "an organisation register CSV (code, name, type, region, ics)"

    def parse(self, path: Path, ctx: ParseContext) -> Parsed:
        out = Parsed()
        where = str(path)
        seen: dict[str, int] = {}
        for line, cells in read_csv(path, ("code", "name"),
                                    ("type", "region", "ics", "benchmark_group", "synthetic"),
                                    out.problems):
            out.rows_read += 1
            try:
                code = check_ods_code(cells["code"])
            except InputError as exc:
                out.problems.append(Problem(where, str(exc), line, "code"))
                continue
            if code in seen:
                out.problems.append(Problem(where, f"duplicate code {code} (first on row "
                                            f"{seen[code]})", line, "code"))
                continue
            seen[code] = line
            bad = False
            if not cells["name"]:
                out.problems.append(Problem(where, "empty; expected the organisation's name",
                                            line, "name"))
                bad = True
            for column in TEXT_COLUMNS:
                try:
                    check_text(cells.get(column, ""), expected="a name on one line",
                               max_chars=LIMITS.max_name_chars, formula=True)
                except InputError as exc:
                    out.problems.append(Problem(where, str(exc), line, column))
                    bad = True
            flag = cells.get("synthetic", "").lower()
            if flag not in TRUE | FALSE:
                out.problems.append(Problem(where, f"found {describe(flag)}; expected yes or no", line,
                                            "synthetic"))
            if bad:
                continue
            out.organisations.append(Organisation(
                code=code, name=cells["name"], org_type=cells.get("type") or None,
                region=cells.get("region") or None, ics=cells.get("ics") or None,
                benchmark_group=cells.get("benchmark_group") or None, synthetic=flag in TRUE))
        out.register = True  # this file is the register: what it says replaces what was
        return out
