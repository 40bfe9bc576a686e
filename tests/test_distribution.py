"""Board reports distributed by the scheduled job: built once, attached to Slack (the real
``slack_sdk`` upload against the loopback server) and email (real SMTP), sent once per file
and channel, and never a file that changed after it was queued."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from assurance import api
from assurance.config import JobSettings, Settings, SubscriptionSettings, parse_settings
from assurance.jobs import check_board_reports, run_board_reports
from assurance.outbox import status_report
from assurance.problems import ProblemsError
from assurance.synthetic import write_demo_set
from outbox_support import FakeClock
from servers import FakeSlackServer, Misbehaviour, SmtpServer

pytest_plugins = ["conftest_servers"]

AT = datetime(2025, 6, 3, 7, 0, tzinfo=UTC)
TOKEN_ENV = "ASSURANCE_TEST_DISTRIBUTION_TOKEN"


@pytest.fixture
def world(tmp_path: Path, slack_server: FakeSlackServer, smtp_server: SmtpServer,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, Settings]]:
    monkeypatch.setenv(TOKEN_ENV, slack_server.token)
    settings = parse_settings({
        "database": {"url": f"sqlite:///{tmp_path / 's.db'}"},
        "reports": {"output_dir": "out", "committee": "People Committee"},
        "channels": {
            "board-slack": {"type": "slack", "channel": "CBOARD", "token_env": TOKEN_ENV,
                            "base_url": slack_server.base_url, "retry_backoff": 0.01},
            "board-mail": {"type": "email", "host": smtp_server.host, "port": smtp_server.port,
                           "security": "none", "from": "assurance@example.nhs.uk",
                           "to": ["committee@example.nhs.uk"]}}},
        base_dir=tmp_path, where="<t>", env={TOKEN_ENV: slack_server.token})
    engine = api.connect(settings)
    for f in write_demo_set(tmp_path / "data"):
        api.import_file(engine, settings, f, actor="t", at=AT)
    yield engine, settings
    engine.dispose()


def job(**options: Any) -> JobSettings:
    return JobSettings("papers", "board_reports", "0 7 * * *",
                       {"orgs": ["SYN02"], "committee_dates": ["2025-06-10"], "days_before": 7,
                        "send_to": ["board-slack", "board-mail"]} | options)


def report(settings: Settings) -> Path:
    return settings.reports.output_dir / "committee-2025-06-10" / "SYN02-board.docx"


def test_the_board_report_is_attached_to_slack_and_email_once(
        world: tuple[Engine, Settings], slack_server: FakeSlackServer,
        smtp_server: SmtpServer) -> None:
    engine, settings = world
    first = run_board_reports(engine, settings, job(), AT)
    again = run_board_reports(engine, settings, job(), AT)

    built = report(settings).read_bytes()
    assert first.details == {"written": [str(report(settings))], "queued": 2}
    assert again.details == {"written": [], "queued": 0}
    (upload,) = slack_server.files.values()
    assert upload["data"] == built and upload["name"] == "SYN02-board.docx"
    assert upload["channel"] == "CBOARD" and upload["shared"]
    assert "Board assurance report" in upload["comment"]
    assert "People Committee on 10 June 2025" in upload["comment"]
    assert slack_server.calls("chat.postMessage") == []  # the comment travels with the file
    (mail,) = smtp_server.messages
    assert mail.message["Subject"].startswith("[assurance] Report ready: Board assurance report")
    (attached,) = list(mail.message.iter_attachments())
    assert attached.get_filename() == "SYN02-board.docx"
    assert attached.get_content_type() == ("application/vnd.openxmlformats-officedocument."
                                           "wordprocessingml.document")
    assert attached.get_payload(decode=True) == built


def test_a_report_built_by_a_run_that_stopped_before_queueing_it_is_still_sent(
        world: tuple[Engine, Settings], slack_server: FakeSlackServer,
        smtp_server: SmtpServer) -> None:
    engine, settings = world
    api.render(engine, settings, "board", org_code="SYN02", as_of=AT.date(), actor="t", at=AT,
               out_path=report(settings))

    result = run_board_reports(engine, settings, job(), AT)

    assert result.details == {"written": [], "queued": 2}
    assert len(slack_server.files) == 1 and len(smtp_server.messages) == 1


def test_a_failed_upload_is_retried_by_the_next_run_and_the_file_arrives_once(
        world: tuple[Engine, Settings], slack_server: FakeSlackServer) -> None:
    engine, settings = world
    clock = FakeClock(AT)  # the deliverer's clock: the retry is due without waiting for it
    slack_server.misbehave("/upload/v1/F000001", Misbehaviour.http(500))
    run_board_reports(engine, settings, job(send_to=["board-slack"]), AT, now=clock.now,
                      sleep=clock.sleep)
    assert status_report(engine).counts["pending"] == 1  # kept for a retry, with its reason
    assert not any(f["data"] for f in slack_server.files.values())

    # The next run (no separate notify job configured) delivers it: a day later, long after
    # its backoff has passed.
    (failed,) = status_report(engine).failed
    assert failed.next_attempt_at is not None and "file upload answered HTTP 500" in failed.reason
    clock.at = AT + timedelta(days=1)
    result = run_board_reports(engine, settings, job(send_to=["board-slack"]),
                               AT + timedelta(days=1), now=clock.now, sleep=clock.sleep)

    assert result.details == {"written": [], "queued": 0}
    shared = [f for f in slack_server.files.values() if f.get("shared")]
    assert len(shared) == 1 and shared[0]["data"] == report(settings).read_bytes()
    assert status_report(engine).counts["sent"] == 1


def test_a_file_changed_after_it_was_queued_is_never_sent(
        world: tuple[Engine, Settings], slack_server: FakeSlackServer,
        smtp_server: SmtpServer) -> None:
    engine, settings = world
    target = report(settings)
    api.render(engine, settings, "board", org_code="SYN02", as_of=AT.date(), actor="t", at=AT,
               out_path=target)
    api.distribute(engine, settings, target, channels=["board-mail"], org_code="SYN02",
                   committee=date(2025, 6, 10), actor="t", at=AT)
    target.write_bytes(target.read_bytes() + b"tampered")

    api.notify(engine, settings, {TOKEN_ENV: slack_server.token})
    # Nor by the job's next run: the committee's report was queued for that channel already.
    run_board_reports(engine, settings, job(send_to=["board-mail"]), AT + timedelta(days=1))

    status = status_report(engine)
    assert smtp_server.messages == []
    (dead,) = [f for f in status.failed if f.status == "dead"]
    assert dead.channel == "board-mail" and "has changed since it was queued" in dead.reason


def test_a_report_edited_after_it_was_sent_is_not_sent_again(
        world: tuple[Engine, Settings], slack_server: FakeSlackServer,
        smtp_server: SmtpServer) -> None:
    engine, settings = world
    run_board_reports(engine, settings, job(), AT)
    report(settings).write_bytes(report(settings).read_bytes() + b"edited by hand")

    again = run_board_reports(engine, settings, job(), AT + timedelta(days=1))

    assert again.details == {"written": [], "queued": 0}
    assert len(slack_server.files) == 1 and len(smtp_server.messages) == 1


def test_two_committees_in_the_window_each_get_their_report(
        world: tuple[Engine, Settings], smtp_server: SmtpServer) -> None:
    engine, settings = world
    result = run_board_reports(engine, settings, job(
        committee_dates=["2025-06-05", "2025-06-10"], send_to=["board-mail"]), AT)

    assert len(result.details["written"]) == 2 and result.details["queued"] == 2
    subjects = sorted(str(m.message["Subject"]) for m in smtp_server.messages)
    assert len(subjects) == 2
    bodies = [str(m.message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
              for m in smtp_server.messages]
    assert any("5 June 2025" in b for b in bodies) and any("10 June 2025" in b for b in bodies)


def test_board_reports_never_go_to_a_channel_a_staff_network_reads(
        tmp_path: Path, world: tuple[Engine, Settings]) -> None:
    engine, settings = world
    shared = dataclasses.replace(settings, subscriptions=(SubscriptionSettings(
        name="race-network", channel="board-slack", audience="network",
        match={"characteristic": ("race",)}),))

    (problem,) = check_board_reports(shared, job(send_to=["board-slack"]))
    assert problem.startswith("schedule.jobs.papers.send_to: channel 'board-slack' also "
                              "receives the 'network' audience's messages")
    api.render(engine, settings, "board", org_code="SYN02", as_of=AT.date(), actor="t", at=AT,
               out_path=report(settings))
    with pytest.raises(ProblemsError):
        api.distribute(engine, shared, report(settings), channels=["board-slack"],
                       org_code="SYN02", committee=date(2025, 6, 10), actor="t", at=AT)
    assert status_report(engine).counts["pending"] == 0


def test_send_to_must_name_configured_channels(world: tuple[Engine, Settings]) -> None:
    _, settings = world
    problems = check_board_reports(settings, job(send_to=["board-slak", 3]))
    assert problems == ["schedule.jobs.papers.send_to: expected a list of channel names, "
                        "found ['board-slak', 3]"]
    (problem,) = check_board_reports(settings, job(send_to=["board-slak"]))
    assert problem == ("schedule.jobs.papers.send_to: no channel named 'board-slak' (did you "
                       "mean 'board-slack'?); expected a name from [channels]")
