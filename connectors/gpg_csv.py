"""The gov.uk gender pay gap service's public download → ``paygap.gender.*`` peer figures.

The service (gender-pay-gap.service.gov.uk) publishes one CSV per reporting year, one row per
employer, exactly as the employers submitted them. This source reads such a file **as
published** and stores every row's figures unchanged (they are percentages with one decimal
place; ``-12.3`` stays ``-12.3``), so trusts can be benchmarked against any employer.

Layouts (header names in any case, order free; a column whose name is a near miss of one
below is refused as a typo, any other column is not read):

* **every year's file as downloaded since 2021** (27 columns): ``EmployerName, EmployerId,
  Address, PostCode, CompanyNumber, SicCodes, DiffMeanHourlyPercent,
  DiffMedianHourlyPercent, DiffMeanBonusPercent, DiffMedianBonusPercent, MaleBonusPercent,
  FemaleBonusPercent, MaleLowerQuartile, FemaleLowerQuartile, MaleLowerMiddleQuartile,
  FemaleLowerMiddleQuartile, MaleUpperMiddleQuartile, FemaleUpperMiddleQuartile,
  MaleTopQuartile, FemaleTopQuartile, CompanyLinkToGPGInfo, ResponsiblePerson, EmployerSize,
  CurrentName, SubmittedAfterTheDeadline, DueDate, DateSubmitted``;
* **older copies** saved before the service added columns: ``EmployerName`` and the fourteen
  figure columns are required, every other column above is optional. Without ``DueDate`` the
  reporting year is read from the file name as the service names it (``UK Gender Pay Gap
  Data - 2017 to 2018.csv``); without ``EmployerId`` an external employer's code is derived
  from its name, company number and postcode.

The year: a row's ``DueDate`` falls in the year after its snapshot (public bodies: snapshot
31 March, due 30 March; others 5 April, due 4 April), so the period is ``wres:<due year − 1>``
(the 31 March snapshot of that year; a private employer's 5 April snapshot is the same
reporting year).

Quirks handled: a UTF-8 byte-order mark; every cell quoted; dates written
``YYYY/MM/DD HH:MM:SS`` (or ``DD/MM/YYYY``); figures with two decimals (``18.00``); header
names in mixed case (``EmployerID``); addresses and SIC codes quoted across several lines;
negative gaps (women paid more); blank bonus fields (no bonus paid: no bonus figure
stored); mixed-case employer names kept as published. ``ResponsiblePerson`` names an
individual and is **never read**; addresses, postcodes, links and SIC codes are not stored
either.

Employers are matched to the organisation register by an optional mapping table (the
``mapping`` option: a CSV ``org_code`` with ``employer_id`` and/or ``company_number``; NHS
trusts have no company number, so their EmployerId is the usual key; company numbers are
compared zero-padded to 8 characters, as the download drops leading zeros). An employer that is not
matched is kept as an **external peer**: registered as an organisation of type ``external``
with the code ``GPG<EmployerId>`` (``GPGX`` and the id in base 36 above 99999; ``GPH`` and a
hash of its name, company number and postcode when the file has no EmployerId), never in
``organisations.accountable``; the import's note lists them.

Figures per employer and year (``assurance/catalogue/metrics.yaml``): ``mean_hourly`` and
``median_hourly`` (group ``women``: the published gaps), ``mean_bonus`` and ``median_bonus``
when published, ``bonus_received`` (``men`` and ``women``), the four ``quartile_*`` figures
(``men`` and ``women``), and ``submitted_late`` (1 when submitted after the deadline). Every
figure is stored under breakdown ``published:gov.uk``, the mark of a *published* figure: it is
of its own lineage (:mod:`assurance.lineage`), so a download supersedes only figures of an
earlier download, never the trust's own ``pay_csv`` computation of the same year, and the
figures command shows it to every audience as published.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from difflib import get_close_matches
from pathlib import Path

from assurance.ingest import ObservationRow, ParseContext, Parsed
from assurance.lineage import GOV_UK_GPG
from assurance.models import Organisation
from assurance.problems import Problem, did_you_mean
from assurance.safeinput import (
    LIMITS,
    InputError,
    check_ods_code,
    describe,
    parse_decimal,
    read_text,
)
from connectors.tabular import CSV_ADVICE, read_csv

FIGURES = {
    "diffmeanhourlypercent": ("mean_hourly", "women"),
    "diffmedianhourlypercent": ("median_hourly", "women"),
    "diffmeanbonuspercent": ("mean_bonus", "women"),
    "diffmedianbonuspercent": ("median_bonus", "women"),
    "malebonuspercent": ("bonus_received", "men"),
    "femalebonuspercent": ("bonus_received", "women"),
    "malelowerquartile": ("quartile_lower", "men"),
    "femalelowerquartile": ("quartile_lower", "women"),
    "malelowermiddlequartile": ("quartile_lower_middle", "men"),
    "femalelowermiddlequartile": ("quartile_lower_middle", "women"),
    "maleuppermiddlequartile": ("quartile_upper_middle", "men"),
    "femaleuppermiddlequartile": ("quartile_upper_middle", "women"),
    "maletopquartile": ("quartile_top", "men"),
    "femaletopquartile": ("quartile_top", "women"),
}
"""Published column (lower case) → (metric under ``paygap.gender.``, group)."""
GAPS = {"diffmeanhourlypercent", "diffmedianhourlypercent", "diffmeanbonuspercent",
        "diffmedianbonuspercent"}
REQUIRED = ("employername", *FIGURES)
OPTIONAL = ("employerid", "address", "postcode", "companynumber", "siccodes",
            "companylinktogpginfo", "responsibleperson", "employersize", "currentname",
            "submittedafterthedeadline", "duedate", "datesubmitted")
DUE_DATE_FORMS = (
    re.compile(r"(?P<d>[0-9]{2})/(?P<m>[0-9]{2})/(?P<y>[0-9]{4})(?: [0-9:]{5,8})?", re.ASCII),
    re.compile(r"(?P<y>[0-9]{4})[/-](?P<m>[0-9]{2})[/-](?P<d>[0-9]{2})"
               r"(?:[ T][0-9:.]{5,15}Z?)?", re.ASCII),
)
FILE_YEARS = re.compile(r"(20[0-9]{2})\s*(?:to|-|_)\s*(?:20)?([0-9]{2})(?![0-9])")
TRUE = {"true", "yes", "1"}
FALSE = {"false", "no", "0", ""}
EXTERNAL_TYPE = "external"
PUBLISHED = GOV_UK_GPG.breakdown or ""
"""The breakdown every figure of the download is stored under (``published:gov.uk``): the
figures are the service's, kept beside (never superseding) a trust's own ``pay_csv`` figures
for the same year (:mod:`assurance.lineage`)."""


@dataclass(frozen=True)
class Employer:
    """One employer as the import matched it (for the import's note and for tests)."""

    code: str
    name: str
    matched: bool


class GenderPayGapCsv:
    """Source ``gpg_csv``: the gov.uk gender pay gap download (see the module docstring).

    Args:
        mapping: optional CSV ``org_code,employer_id,company_number`` (either key column may
            be left out) matching employers to registered organisations (config
            ``[paygap] gpg_mapping``).
    """

    name = "gpg_csv"
    version = "1"
    description = ("the gov.uk gender pay gap service download CSV (EmployerName, EmployerId, "
                   "…, DiffMeanHourlyPercent, …, DueDate), one row per employer")

    def __init__(self, mapping: Path | None = None) -> None:
        self.mapping = mapping

    def parse(self, path: Path, ctx: ParseContext) -> Parsed:
        out = Parsed()
        where = str(path)
        by_id, by_company = self._mapping(ctx, out.problems)
        file_year = _file_year(path.name)
        employers: dict[str, tuple[Employer, int]] = {}
        rows = list(_published_rows(path, out.problems))
        if out.problems:
            return out
        for line, cells in rows:
            out.rows_read += 1
            year = self._year(cells, file_year, where, line, out.problems)
            employer = self._employer(cells, by_id, by_company, ctx)
            seen = employers.get(employer.code)
            if (seen is not None and employer.code.startswith("GPH")
                    and seen[0].name != employer.name):
                out.problems.append(Problem(where, f"employer code {employer.code} derived for "
                                            f"two employers (rows {seen[1]} and {line}); expected "
                                            "an EmployerId column to tell them apart", line))
                continue
            employers.setdefault(employer.code, (employer, line))
            figures = self._figures(cells, employer.code, year, where, line, out.problems)
            if year is not None:
                out.observations.extend(figures)
        if out.problems:
            out.observations = []
            return out
        known = set(ctx.known_orgs)
        for employer, _ in employers.values():
            if not employer.matched and employer.code not in known:
                out.organisations.append(Organisation(
                    code=employer.code, name=employer.name, org_type=EXTERNAL_TYPE,
                    benchmark_group="gov.uk gender pay gap peers", synthetic=False))
        out.note = _note([e for e, _ in employers.values()])
        return out

    # ------------------------------------------------------------------------ the parts
    def _mapping(self, ctx: ParseContext, problems: list[Problem]
                 ) -> tuple[dict[str, str], dict[str, str]]:
        by_id: dict[str, str] = {}
        by_company: dict[str, str] = {}
        if self.mapping is None:
            return by_id, by_company
        where = str(self.mapping)
        for line, cells in read_csv(self.mapping, ("org_code",),
                                    ("employer_id", "company_number"), problems):
            try:
                org = check_ods_code(cells["org_code"])
            except InputError as exc:
                problems.append(Problem(where, str(exc), line, "org_code"))
                continue
            if org not in ctx.known_orgs:
                problems.append(Problem(where, f"organisation {org} is not registered; expected "
                                        "a registered organisation (assurance orgs import)",
                                        line, "org_code"))
                continue
            eid = cells.get("employer_id", "").strip()
            company = _company(cells.get("company_number", ""))
            if not eid and not company:
                problems.append(Problem(where, "neither employer_id nor company_number given; "
                                        "expected one of them", line))
            if eid:
                by_id[eid] = org
            if company:
                by_company[company] = org
        return by_id, by_company

    def _year(self, cells: dict[str, str], file_year: int | None, where: str, line: int,
              problems: list[Problem]) -> int | None:
        due = cells.get("duedate", "")
        if due:
            for form in DUE_DATE_FORMS:
                m = form.fullmatch(due)
                if m:
                    try:
                        return date(int(m["y"]), int(m["m"]), int(m["d"])).year - 1
                    except ValueError:
                        break
            problems.append(Problem(where, f"found {describe(due)}; expected the due date as "
                                    "published (DD/MM/YYYY HH:MM:SS or YYYY/MM/DD)", line,
                                    "duedate"))
            return None
        if file_year is not None:
            return file_year
        problems.append(Problem(where, "cannot tell the reporting year: no DueDate in this row "
                                "and no years in the file name; expected a DueDate column or a "
                                "file named as the service names it ('UK Gender Pay Gap Data - "
                                "2017 to 2018.csv')", line, "duedate"))
        return None

    def _employer(self, cells: dict[str, str], by_id: dict[str, str],
                  by_company: dict[str, str], ctx: ParseContext) -> Employer:
        name = _clean_name(cells.get("employername", "")) or _clean_name(
            cells.get("currentname", ""))
        eid = cells.get("employerid", "").strip()
        company = _company(cells.get("companynumber", ""))
        if eid and eid in by_id:
            return Employer(by_id[eid], name, True)
        if company and company in by_company:
            return Employer(by_company[company], name, True)
        return Employer(_external_code(eid, name, company, cells.get("postcode", "")),
                        name or f"employer {eid or company}", False)

    def _figures(self, cells: dict[str, str], org: str, year: int | None, where: str,
                 line: int, problems: list[Problem]) -> list[ObservationRow]:
        out = []
        period = f"wres:{year}"
        for column, (metric, group) in FIGURES.items():
            raw = cells.get(column, "")
            if not raw:
                continue  # a blank bonus field: no bonus paid, nothing to store
            low, high = ((-LIMITS.max_abs_value, LIMITS.max_abs_value) if column in GAPS
                         else (0.0, 100.0))
            try:
                value = parse_decimal(raw, low=low, high=high, expected=(
                    "a published percentage" if column in GAPS else "a percentage"))
            except InputError as exc:
                problems.append(Problem(where, str(exc), line, column))
                continue
            out.append(ObservationRow(org, period, f"paygap.gender.{metric}", group,
                                      PUBLISHED, value=value, line=line))
        late = cells.get("submittedafterthedeadline", "").strip().lower()
        if late not in TRUE | FALSE:
            problems.append(Problem(where, f"found {describe(late)}; expected True or False",
                                    line, "submittedafterthedeadline"))
        elif "submittedafterthedeadline" in cells and late:
            out.append(ObservationRow(org, period, "paygap.gender.submitted_late", "all",
                                      PUBLISHED, value=1.0 if late in TRUE else 0.0,
                                      line=line))
        return out


def _published_rows(path: Path, problems: list[Problem]) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, cells by lower-case header) of the download, as published.

    The file must be UTF-8 text with the published header (:func:`connectors.tabular.read_csv`
    rules: names in any case, each once, required ones present, none unknown), every field at
    most the shared field limit. Unlike the tidy formats, a control character in a free-text
    field the importer does not store (an address, SIC codes) does not refuse the row: the
    service published it, and every published row must import. The text that is stored, the
    employer's name, is cleaned (:func:`_clean_name`); the figures are parsed strictly.
    """
    where = str(path)
    text, refused = read_text(path, what="CSV text file", advice=CSV_ADVICE)
    if text is None:
        problems.extend(refused)
        return
    # strict: a quote that is never closed, or text after a closing quote, refuses the file
    # (read leniently, it would fold the rest of a field, or of the file, into one cell).
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        problems.append(Problem(where, "file is empty; expected the header row"))
        return
    except csv.Error as exc:
        problems.append(Problem(where, f"not a readable CSV header ({exc}); expected the "
                                "published header row", 1))
        return
    while header and not header[-1]:
        header.pop()
    allowed = (*REQUIRED, *OPTIONAL)
    if not any(h in allowed for h in header):
        problems.append(Problem(where, f"no recognised header row: none of the {len(header)} "
                                "cells in row 1 is a column of the gov.uk gender pay gap "
                                "download; expected EmployerName, EmployerId, …", 1))
        return
    for i, h in enumerate(header, start=1):
        if header.index(h) != i - 1:
            problems.append(Problem(where, f"duplicate column {describe(h)} (columns "
                                    f"{header.index(h) + 1} and {i}); expected each column "
                                    "once", 1, i))
        elif h not in allowed and len(h) <= 40 and get_close_matches(h, allowed, 1, 0.88):
            # A near miss of a known column is a typo that would lose a figure; a column the
            # service adds in a later year is not read (every published row must import).
            problems.append(Problem(where, f"unknown column {describe(h)}"
                                    f"{did_you_mean(h, allowed)}; expected the columns of the "
                                    "download", 1, i))
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        problems.append(Problem(where, f"missing column(s) {', '.join(missing)}; expected the "
                                "published header row", 1))
    if problems:
        return
    line = 1
    try:
        for line, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header) and not any(c.strip() for c in cells[len(header):]):
                cells = cells[:len(header)]
            if len(cells) != len(header):
                problems.append(Problem(where, f"found {len(cells)} cells; expected "
                                        f"{len(header)} (one per header column)", line))
                continue
            long = [h for h, c in zip(header, cells, strict=True)
                    if len(c) > LIMITS.max_field_chars]
            for h in long:
                problems.append(Problem(where, f"found a field of more than "
                                        f"{LIMITS.max_field_chars:,} characters; expected at "
                                        "most that", line, h))
            if not long:
                yield line, {h: c.strip() for h, c in zip(header, cells, strict=True)}
    except csv.Error as exc:
        problems.append(Problem(where, f"not readable as CSV ({exc}): a "
                                "quoted field with text after its closing quote, or a quote "
                                "that is never closed; expected comma-separated text with "
                                "each quoted field closed", reader.line_num))


def _company(text: str) -> str:
    """A company number as Companies House writes it: 8 characters, digits zero-padded (the
    download drops leading zeros: ``3861209`` is ``03861209``)."""
    number = "".join(text.split()).upper()
    return number.zfill(8) if number.isascii() and number.isdigit() else number


def _clean_name(text: str) -> str:
    """An employer's name on one line, at most 255 characters, never starting like a
    formula (it is printed in documents and spreadsheets); published case kept."""
    one = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return one.lstrip("=+-@ ")[:LIMITS.max_name_chars]


def _external_code(eid: str, name: str, company: str, postcode: str) -> str:
    """The synthetic organisation code of an employer not in the register (at most 8
    characters: the register's limit)."""
    if eid.isascii() and eid.isdigit():
        n = int(eid)
        if n <= 99999:
            return f"GPG{n}"
        digits = ""
        while n:
            n, r = divmod(n, 36)
            digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[r] + digits
        if len(digits) <= 4:
            return f"GPGX{digits}"
    key = "|".join((name.upper(), company, "".join(postcode.split()).upper(), eid))
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    number = int.from_bytes(digest[:5], "big")
    return "GPH" + "".join(alphabet[(number >> (5 * i)) & 31] for i in range(5))


def _file_year(name: str) -> int | None:
    """The snapshot year from the service's file name (``… 2017 to 2018.csv`` → 2017)."""
    m = FILE_YEARS.search(name)
    if m is None:
        return None
    first, second = int(m.group(1)), int(m.group(2))
    return first if (first + 1) % 100 == second else None


def _note(employers: list[Employer]) -> str:
    matched = sorted({e.code for e in employers if e.matched})
    external = sorted((e for e in employers if not e.matched), key=lambda e: e.code)
    text = (f"gov.uk gender pay gap download: {len(employers):,} employers, "
            f"{len(matched):,} matched to the register"
            + (f" ({', '.join(matched)})" if matched else "")
            + f", {len(external):,} kept as external peers (organisation type "
            f"'{EXTERNAL_TYPE}')")
    if external:
        shown = "; ".join(f"{e.code} {e.name}" for e in external[:50])
        more = f"; … and {len(external) - 50:,} more" if len(external) > 50 else ""
        text += f": {shown}{more}"
    return text

