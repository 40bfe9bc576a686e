"""``[calendar]``: the deadlines ``assurance calendar`` lists, and who is reminded of them.

Every deadline has a documented default (:data:`DEADLINES`): the date where domain.md gives it
(WRES/WDES snapshot 31 March and return in May, §1–2; gender pay gap snapshot 31 March and
report within 12 months, 30 March for public bodies, §13; the EDI Improvement Plan's HIA 3 and
HIA 6 milestones, §12), otherwise a **default to configure** (publication dates that no
national source in domain.md fixes). ``[calendar.dates]`` replaces a default, ``omit`` drops
a deadline, and ``committee_dates`` adds the committee's meetings (the ``board_reports`` job's
``committee_dates`` are added too).

Example::

    [calendar]
    committee_dates = [2026-01-15, 2026-03-12]   # the committee's meetings
    remind_days_before = [28, 7]                 # a reminder this many days before each date
    remind = ["board-assurance-committee"]       # [[subscriptions]] that opt in, by name
    omit = ["nss.publication"]
    [calendar.dates]
    "wres.submission" = "05-29"                  # a yearly deadline: MM-DD
    "hia.6.reduction-targets" = 2024-03-28       # a one-off deadline: a date
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

from assurance.config.reader import Reader, shown
from assurance.problems import did_you_mean


@dataclass(frozen=True)
class DeadlineDef:
    """One kind of deadline and its default date.

    ``yearly`` is ``MM-DD`` (the deadline falls every year on that day), or ``on`` is a
    one-off date. ``title`` may use ``{y}`` (the year of the date) and ``{y_1}`` (the year
    before). ``source`` says where the default comes from: a domain.md section, or that it is a
    default to configure.
    """

    id: str
    title: str
    topic: str  # wres | wdes | paygap | survey | hia | committee
    source: str
    yearly: str | None = None
    on: date | None = None


_CONFIGURE = "a default to configure (calendar.dates): domain.md gives no date"

DEADLINES: tuple[DeadlineDef, ...] = (
    DeadlineDef("wres.snapshot", "WRES {y} workforce snapshot (31 March)", "wres",
                "domain.md §1: workforce snapshot at 31 March", yearly="03-31"),
    DeadlineDef("wres.submission", "WRES {y} return due to NHS England", "wres",
                "domain.md §1: the return is submitted in May; the day (31 May) is a default "
                "to configure", yearly="05-31"),
    DeadlineDef("wres.publication", "WRES {y} report and action plan published", "wres",
                _CONFIGURE, yearly="10-31"),
    DeadlineDef("wdes.snapshot", "WDES {y} workforce snapshot (31 March)", "wdes",
                "domain.md §2: the same 31 March / May cycle as WRES", yearly="03-31"),
    DeadlineDef("wdes.submission", "WDES {y} return due to NHS England", "wdes",
                "domain.md §2: submitted in May; the day (31 May) is a default to configure",
                yearly="05-31"),
    DeadlineDef("wdes.publication", "WDES {y} report and action plan published", "wdes",
                _CONFIGURE, yearly="10-31"),
    DeadlineDef("paygap.gender.snapshot", "Gender pay gap snapshot date {y} (31 March)",
                "paygap", "domain.md §13: public bodies' snapshot is 31 March",
                yearly="03-31"),
    DeadlineDef("paygap.gender.report", "Gender pay gap report due (public bodies; snapshot "
                "31 March {y_1})", "paygap", "domain.md §13: published within 12 months of "
                "the snapshot, 30 March for public bodies", yearly="03-30"),
    DeadlineDef("nss.publication", "NHS Staff Survey {y_1} results published", "survey",
                _CONFIGURE + " (the survey's fieldwork is in the autumn before, §10)",
                yearly="03-13"),
    DeadlineDef("hia.6.reduction-targets", "HIA 6: reduction targets for bullying and "
                "harassment by protected characteristic set", "hia",
                "domain.md §12: set by March 2024; the day (31 March) is a default to "
                "configure", on=date(2024, 3, 31)),
    DeadlineDef("hia.3.plans-sex-race", "HIA 3: pay gap improvement plans for sex and race",
                "hia", "domain.md §12: plans for sex and race in 2024; the day (31 March) is "
                "a default to configure", on=date(2024, 3, 31)),
    DeadlineDef("hia.3.plans-disability", "HIA 3: disability pay gap improvement plan", "hia",
                "domain.md §12: disability in 2025; the day (31 March) is a default to "
                "configure", on=date(2025, 3, 31)),
    DeadlineDef("hia.3.plans-other", "HIA 3: pay gap plans for other protected "
                "characteristics", "hia", "domain.md §12: other characteristics in 2026; the "
                "day (31 March) is a default to configure", on=date(2026, 3, 31)),
)
"""Every deadline the calendar knows, with its default date and where the default comes from."""
DEADLINE_IDS = tuple(d.id for d in DEADLINES)


@dataclass(frozen=True)
class CalendarSettings:
    """``[calendar]`` (see the module docstring)."""

    deadlines: tuple[DeadlineDef, ...] = DEADLINES  # the defaults with [calendar.dates] applied
    committee_dates: tuple[date, ...] = ()
    remind_days_before: tuple[int, ...] = (14,)
    remind: tuple[str, ...] = ()  # subscription names that opt in to reminders
    overridden: Mapping[str, str] = field(default_factory=dict)  # id → the configured value


def _month_day(value: str) -> str | None:
    """``MM-DD`` of a day that exists every year (no 29 February), or None."""
    mm, _, dd = value.partition("-")
    if len(mm) != 2 or len(dd) != 2 or not (mm.isdigit() and dd.isdigit()):
        return None
    try:
        date(2001, int(mm), int(dd))  # not a leap year
    except ValueError:
        return None
    return value


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def read_calendar(r: Reader, doc: Mapping[str, Any],
                  subscriptions: Sequence[str]) -> CalendarSettings:
    """``[calendar]``; ``subscriptions`` are the config subscriptions' names (``remind`` must
    name some of them)."""
    t = r.table(doc, "calendar", {"committee_dates", "remind_days_before", "remind", "omit",
                                  "dates"})
    committee = []
    for raw in r.get(t, "committee_dates", "calendar", list, []):
        meeting = _day(raw)
        if meeting is None:
            r.error("calendar.committee_dates", f"found {shown(raw)}; expected dates like "
                    "2026-01-15")
        else:
            committee.append(meeting)
    days_raw = r.get(t, "remind_days_before", "calendar", list, [14])
    good = [n for n in days_raw if isinstance(n, int) and not isinstance(n, bool)
            and 0 <= n <= 366]
    days = tuple(sorted(set(good), reverse=True))
    if not days_raw or len(good) != len(days_raw) or len(days) != len(good):
        r.error("calendar.remind_days_before", f"found {shown(days_raw)}; expected a list of "
                "distinct whole numbers of days from 0 to 366, e.g. [28, 7]")
    remind = tuple(str(n) for n in r.get(t, "remind", "calendar", list, []))
    for name in remind:
        if name not in subscriptions:
            r.error("calendar.remind", f"no subscription named {name!r}"
                    f"{did_you_mean(name, subscriptions)}; expected names from "
                    "[[subscriptions]]: " + (", ".join(subscriptions) or "(none configured)"))
    omit = tuple(str(n) for n in r.get(t, "omit", "calendar", list, []))
    for name in omit:
        if name not in DEADLINE_IDS:
            r.error("calendar.omit", f"unknown deadline {name!r}"
                    f"{did_you_mean(name, DEADLINE_IDS)}; expected one of: "
                    + ", ".join(DEADLINE_IDS))
    dates = r.table(t, "calendar.dates", set(DEADLINE_IDS))
    overridden: dict[str, str] = {}
    out = []
    for d in DEADLINES:
        if d.id in omit:
            continue
        if d.id in dates:
            raw = dates[d.id]
            key = f"calendar.dates.{d.id}"
            if d.yearly is not None:
                md = _month_day(raw) if isinstance(raw, str) else None
                if md is None:
                    r.error(key, f"found {shown(raw)}; expected a yearly date as \"MM-DD\" "
                            "(a day every year has), e.g. \"05-31\"")
                else:
                    d = DeadlineDef(d.id, d.title, d.topic, f"configured ({key})", yearly=md)
                    overridden[d.id] = md
            else:
                day = _day(raw)
                if day is None:
                    r.error(key, f"found {shown(raw)}; expected a date like 2024-03-31")
                else:
                    d = DeadlineDef(d.id, d.title, d.topic, f"configured ({key})", on=day)
                    overridden[d.id] = day.isoformat()
        out.append(d)
    return CalendarSettings(tuple(out), tuple(sorted(set(committee))), days, remind,
                            MappingProxyType(overridden))


__all__ = ["DEADLINES", "DEADLINE_IDS", "CalendarSettings", "DeadlineDef", "read_calendar"]
