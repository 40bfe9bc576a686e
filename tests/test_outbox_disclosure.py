"""Messages to suppressed audiences cannot be used to work out a small group by subtraction,
and carry no figure built on counts the message does not show."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from assurance.disclosure import EXACT, SUPPRESSED
from assurance.models import Finding, FindingEvent
from assurance.outbox.messages import message_for

AT = datetime(2025, 6, 1, tzinfo=UTC)
FACTS = {"value": 4.04, "unit": "percent", "period": "wres:2025", "count": 4,
         "focus": {"group": "disabled", "label": "Disabled", "value": 4.04, "numerator": 4,
                   "denominator": 99},
         "reference": {"group": "non_disabled", "label": "non-disabled", "value": 75.76,
                       "numerator": 75, "denominator": 99},
         "unknown": {"group": "unknown", "label": "disability unknown", "value": 20.2,
                     "numerator": 20, "denominator": 99},
         "executive_share": 14.2857, "previous": 2.1, "median": 6.5}


def _message(policy):  # type: ignore[no-untyped-def]
    f = Finding(id=1, fingerprint="f" * 40, rule_id="wdes.1.senior-few", pack="wdes",
                org_code="SYN02", title="Few Disabled senior staff", severity="medium",
                labels="{}", evidence="[]", status="breach", open=True, level="edi_lead",
                summary="The count is 4", value=4.04, facts=json.dumps(FACTS), updated_at=AT)
    ev = FindingEvent(id=1, finding_id=1, at=AT, as_of=date(2025, 6, 1), period="wres:2025",
                      kind="opened", level="edi_lead", status="breach", summary="x", actor="t")
    return message_for(f, ev, policy, None)


def _text(msg) -> str:  # type: ignore[no-untyped-def]
    return msg.headline + " " + " ".join(f"{k}={v}" for k, v in msg.facts)


def test_one_small_group_hides_every_groups_rate_for_a_network_audience() -> None:
    text = _text(_message(SUPPRESSED))
    assert "75.8%" not in text and "20.2%" not in text and "4.0%" not in text
    assert "14.2857" not in text and "14.3" not in text  # executive share of 7 people
    assert "2.1" not in text  # a previous year's figure built on unseen counts


def test_a_board_audience_sees_the_exact_figures() -> None:
    text = _text(_message(EXACT))
    assert "4/99" in text and "75.8%" in text


GAP = {"value": 30.9, "unit": "percent", "period": "survey:2020",
       "focus": {"group": "bme", "label": "BME", "value": 30.9, "denominator": 525},
       "reference": {"group": "white", "label": "White", "value": 24.1, "denominator": 1395},
       "focus_value": 30.9, "reference_value": 24.1, "adverse_gap": 6.8, "p_value": 0.002}


def _gap_message(**facts: object):  # type: ignore[no-untyped-def]
    f = Finding(id=2, fingerprint="g" * 40, rule_id="wres.5.gap", pack="wres", org_code="SYN02",
                title="BME staff more likely to face harassment", severity="medium",
                labels="{}", evidence="[]", status="breach", open=True, level="edi_lead",
                summary="gap", value=30.9, facts=json.dumps({**GAP, **facts}), updated_at=AT)
    ev = FindingEvent(id=2, finding_id=2, at=AT, as_of=date(2025, 6, 1), period="survey:2020",
                      kind="opened", level="edi_lead", status="breach", summary="x", actor="t")
    return dict(message_for(f, ev, EXACT, None).facts)


def test_a_gap_between_percentages_is_in_percentage_points_and_a_ratio_in_times() -> None:
    # "Measured 6.8%" read as a share of staff, not the 6.8-point difference between groups.
    assert _gap_message(measured=6.8, measure="gap")["Adverse gap"] == "6.8 pp, BME worse off"
    assert _gap_message(measured=-2.0, measure="gap")["Adverse gap"] == "2.0 pp, BME better off"
    ratio = _gap_message(measured=1.53, measure="ratio")
    assert ratio["Ratio (adverse answer)"] == "1.53 times" and "Adverse gap" not in ratio


def test_a_count_or_value_rule_shows_what_it_measured_once() -> None:
    # "Count 0, Measured 0, Threshold 0": what such a rule measured is its count or figure.
    facts = _gap_message(measured=30.9, measure="value", value=30.9)
    assert "Measured" not in facts and "Adverse gap" not in facts and facts["Figure"] == "30.9%"


def test_a_rule_that_judges_no_figure_says_what_it_found_not_no_figure() -> None:
    # An attestation rule's messages were headed "no figure" (45 of one demo's).
    f = Finding(id=3, fingerprint="h" * 40, rule_id="hia.1.board-objectives", pack="hia",
                org_code="SYN02", title="Board members' EDI objectives not attested",
                severity="high", labels="{}", evidence="[]", status="breach", open=True,
                level="edi_lead", summary="No attestation of board members' EDI objectives is "
                "current.", value=None, facts="{}", updated_at=AT)
    ev = FindingEvent(id=3, finding_id=3, at=AT, as_of=date(2025, 6, 1), period="wres:2025",
                      kind="opened", level="edi_lead", status="breach", summary="x", actor="t")
    assert message_for(f, ev, EXACT, None).headline.endswith(
        "No attestation of board members' EDI objectives is current.")
    assert "no figure" not in message_for(f, ev, SUPPRESSED, None).headline
