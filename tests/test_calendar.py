"""The deadline calendar: WRES/WDES, pay gap, Staff Survey, HIA and committee dates from
``[calendar]`` with documented defaults, and reminders N days before each date queued once
to the subscriptions that opt in, then delivered by the outbox like every other message."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

import assurance.cli.deadlines  # noqa: F401  (registers the command)
from assurance import api, deadlines
from assurance.config import JobSettings, Settings, load_settings
from assurance.config.calendar import DEADLINE_IDS
from assurance.db import open_store
from assurance.jobs import JOB_TYPES
from assurance.models import AuditEvent
from assurance.outbox.models import Notification
from assurance.problems import ProblemsError
from helpers import run_cli


def settings_from(tmp_path: Path, text: str) -> Settings:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "store.db"}"\n' + text)
    return load_settings(cfg)


def by_id(found: list[deadlines.Deadline]) -> dict[str, list[date]]:
    out: dict[str, list[date]] = {}
    for d in found:
        out.setdefault(d.id, []).append(d.day)
    return out


def test_the_defaults_cover_each_deadline_with_the_date_domain_md_gives(tmp_path: Path) -> None:
    s = load_settings(None)
    found = deadlines.deadlines(s, date(2025, 1, 1), date(2025, 12, 31))
    days = by_id(found)
    assert days["wres.snapshot"] == days["wdes.snapshot"] == [date(2025, 3, 31)]
    assert days["wres.submission"] == days["wdes.submission"] == [date(2025, 5, 31)]
    assert days["paygap.gender.report"] == [date(2025, 3, 30)]
    assert days["hia.3.plans-disability"] == [date(2025, 3, 31)]
    assert "hia.6.reduction-targets" not in days  # a one-off in March 2024
    report = next(d for d in found if d.id == "paygap.gender.report")
    assert report.title == "Gender pay gap report due (public bodies; snapshot 31 March 2024)"
    assert report.source.startswith("domain.md §13")
    survey = next(d for d in found if d.id == "nss.publication")
    assert survey.title == "NHS Staff Survey 2024 results published"
    assert "a default to configure" in survey.source
    assert [d.day for d in found] == sorted(d.day for d in found)
    assert "committee" not in days  # none configured


def test_configured_dates_replace_defaults_and_committee_meetings_are_added(
        tmp_path: Path) -> None:
    s = settings_from(tmp_path, """
[reports]
committee = "People Committee"
[calendar]
committee_dates = [2025-07-10, "2025-09-11"]
omit = ["nss.publication"]
[calendar.dates]
"wres.submission" = "05-29"
"hia.6.reduction-targets" = 2025-02-28
[schedule.jobs.board]
type = "board_reports"
cron = "0 6 * * *"
orgs = ["SYT01"]
committee_dates = [2025-11-13]
""")
    found = deadlines.deadlines(s, date(2025, 1, 1), date(2025, 12, 31))
    days = by_id(found)
    assert days["wres.submission"] == [date(2025, 5, 29)]
    assert days["wdes.submission"] == [date(2025, 5, 31)]  # not overridden
    assert days["hia.6.reduction-targets"] == [date(2025, 2, 28)]
    assert "nss.publication" not in days
    assert days["committee"] == [date(2025, 7, 10), date(2025, 9, 11), date(2025, 11, 13)]
    sources = {(d.id, d.day): d.source for d in found}
    assert sources[("wres.submission", date(2025, 5, 29))] == \
        "configured (calendar.dates.wres.submission)"
    assert sources[("committee", date(2025, 11, 13))] == \
        "configured (a board_reports job's committee_dates)"
    assert next(d for d in found if d.id == "committee").title == "People Committee meeting"


def test_bad_calendar_config_lists_every_problem_with_its_key(tmp_path: Path) -> None:
    with pytest.raises(ProblemsError) as exc:
        settings_from(tmp_path, """
[channels.board]
type = "console"
[[subscriptions]]
name = "board-committee"
channel = "board"
audience = "board"
[calendar]
committe_dates = []
committee_dates = ["15/01/2026"]
remind_days_before = [7, 7, -1]
remind = ["board-comittee"]
omit = ["wres.publish"]
[calendar.dates]
"wres.submission" = "02-29"
"hia.6.reduction-targets" = "March 2024"
"wres.sumbission" = "05-31"
""")
    where = str(tmp_path / "config.toml")
    assert [str(p).removeprefix(where + ": error: ") for p in exc.value.problems] == [
        "calendar.committe_dates: unknown key (did you mean 'committee_dates'?)",
        "calendar.committee_dates: found '15/01/2026'; expected dates like 2026-01-15",
        "calendar.remind_days_before: found [7, 7, -1]; expected a list of distinct whole "
        "numbers of days from 0 to 366, e.g. [28, 7]",
        "calendar.remind: no subscription named 'board-comittee' (did you mean "
        "'board-committee'?); expected names from [[subscriptions]]: board-committee",
        "calendar.omit: unknown deadline 'wres.publish' (did you mean 'wres.publication'?); "
        "expected one of: " + ", ".join(DEADLINE_IDS),
        "calendar.dates.wres.sumbission: unknown key (did you mean 'wres.submission'?)",
        "calendar.dates.wres.submission: found '02-29'; expected a yearly date as \"MM-DD\" "
        "(a day every year has), e.g. \"05-31\"",
        "calendar.dates.hia.6.reduction-targets: found 'March 2024'; expected a date like "
        "2024-03-31"]


# ----------------------------------------------------------------------------- reminders

REMINDER_CONFIG = """
[reports.branding]
organisation_name = "Synthetic Test Trust"
[channels.board]
type = "console"
path = "{board}"
rate_per_second = 1000
[channels.network]
type = "console"
path = "{network}"
rate_per_second = 1000
[[subscriptions]]
name = "board-committee"
channel = "board"
audience = "board"
[[subscriptions]]
name = "race-network"
channel = "network"
audience = "network"
[calendar]
remind_days_before = [28, 7]
remind = ["board-committee"]
committee_dates = [2025-07-10]
omit = ["wres.snapshot", "wdes.snapshot", "wres.submission", "wdes.submission",
        "wres.publication", "wdes.publication", "paygap.gender.snapshot",
        "paygap.gender.report", "nss.publication", "hia.6.reduction-targets",
        "hia.3.plans-sex-race", "hia.3.plans-disability", "hia.3.plans-other"]
"""
MEETING = date(2025, 7, 10)


@pytest.fixture
def reminder_settings(tmp_path: Path) -> Settings:
    s = settings_from(tmp_path, REMINDER_CONFIG.format(board=tmp_path / "board.jsonl",
                                                       network=tmp_path / "network.jsonl"))
    open_store(s.database_url).dispose()
    return s


def remind(s: Settings, today: date) -> int:
    engine = api.connect(s)
    at = datetime.combine(today, datetime.min.time(), UTC).replace(hour=7)
    try:
        with Session(engine) as sess, sess.begin():
            return deadlines.enqueue_reminders(sess, s, today=today, at=at)
    finally:
        engine.dispose()


def queued(s: Settings) -> list[Notification]:
    engine = api.connect(s)
    try:
        with Session(engine) as sess:
            return list(sess.exec(select(Notification).order_by(col(Notification.id))))
    finally:
        engine.dispose()


def test_a_reminder_is_queued_once_n_days_before_to_the_subscriptions_that_opt_in(
        reminder_settings: Settings) -> None:
    s = reminder_settings
    assert remind(s, MEETING - timedelta(days=29)) == 0  # not yet within 28 days
    assert remind(s, MEETING - timedelta(days=20)) == 1  # the 28-day reminder (a day late)
    assert remind(s, MEETING - timedelta(days=19)) == 0  # already queued
    assert remind(s, MEETING - timedelta(days=7)) == 1  # the 7-day reminder
    assert remind(s, MEETING - timedelta(days=2)) == 0
    assert remind(s, MEETING + timedelta(days=1)) == 0  # past
    rows = queued(s)
    assert [(r.kind, r.event, r.subscription, r.channel, r.status) for r in rows] == [
        ("reminder", "reminder", "board-committee", "board", "pending")] * 2
    titles = [json.loads(r.message)["title"] for r in rows]
    assert titles == ["Due in 20 days: People Committee meeting",
                      "Due in 7 days: People Committee meeting"]
    engine = api.connect(s)
    with Session(engine) as sess:
        events = sess.exec(select(AuditEvent).where(AuditEvent.action == "calendar.remind")
                           .order_by(col(AuditEvent.seq))).all()
    engine.dispose()
    assert [json.loads(e.details)["queued"][0]["days_before"] for e in events] == [28, 7]


def test_reminders_are_delivered_by_the_outbox_to_the_channel(reminder_settings: Settings,
                                                                tmp_path: Path) -> None:
    s = reminder_settings
    run, check = JOB_TYPES["calendar_reminders"]  # the scheduled path; it takes no options
    bare = JobSettings("reminders", "calendar_reminders", "0 7 * * *", {})
    assert check(s, bare) == []
    engine = api.connect(s)
    at = datetime(2025, 7, 3, 7, 0, tzinfo=UTC)  # 7 days before the meeting
    assert run(engine, s, bare, at).details == {"queued": 1}
    assert run(engine, s, bare, at).details == {"queued": 0}  # a re-run sends nothing twice
    report = api.notify(engine, s, {}, now=lambda: at, sleep=lambda _: None)
    engine.dispose()
    assert report.sent == 1
    (line,) = (tmp_path / "board.jsonl").read_text().splitlines()
    sent = json.loads(line)
    assert sent["event"] == "reminder"
    assert sent["title"] == "Due in 7 days: People Committee meeting"
    assert sent["headline"] == "People Committee meeting: Thursday 10 July 2025 (in 7 days)"
    assert not (tmp_path / "network.jsonl").exists()  # the network did not opt in


# ----------------------------------------------------------------------------- command line

def cli(config: Path, *args: str) -> tuple[int, str, str]:
    return run_cli(config, "calendar", *args)


def test_the_command_lists_the_window_as_json_and_queues_reminders(
        reminder_settings: Settings) -> None:
    config = reminder_settings.source
    assert config is not None
    code, stdout, _ = cli(config, "--help")
    assert code == 0 and "--from" in stdout and "--remind" in stdout
    code, stdout, _ = cli(config, "--from", "2025-07-01", "--to", "2025-07-31", "--json")
    assert code == 0
    assert json.loads(stdout) == [{"date": "2025-07-10", "id": "committee",
                                   "title": "People Committee meeting", "topic": "committee",
                                   "source": "configured (calendar.committee_dates)"}]
    code, stdout, _ = cli(config, "--from", "2025-07-01", "--to", "2025-07-31")
    assert code == 0 and "People Committee meeting" in stdout
    code, stdout, stderr = cli(config, "--remind", "--as-of", "2025-07-03")
    assert code == 0, stderr
    assert "queued 1 reminder due on 2025-07-03 (subscriptions: board-committee)" in stdout


def test_bad_dates_on_the_command_line_exit_2_with_every_problem(
        reminder_settings: Settings) -> None:
    config = reminder_settings.source
    assert config is not None
    code, _, stderr = cli(config, "--from", "2025-08-01", "--to", "2025-07-01")
    assert code == 2
    assert "--to: error: found 2025-07-01, before --from 2025-08-01" in stderr
    code, _, stderr = cli(config, "--from", "July", "--as-of", "tomorrow", "--remind")
    assert code == 2
    assert "--from: error: found 'July'; expected a date like 2026-01-15" in stderr
    assert "--as-of: error: found 'tomorrow'" in stderr
    assert "2 problems; nothing was changed." in stderr
    assert queued(reminder_settings) == []
