"""Counts in documents and messages are written as a reader expects them."""

from __future__ import annotations

import pytest

from assurance.wording import counted


@pytest.mark.parametrize(("n", "word", "many", "text"), [
    (1, "rule", None, "1 rule"), (0, "rule", None, "0 rules"),
    (48, "further rule", None, "48 further rules"), (2, "breach", "breaches", "2 breaches"),
    (1, "breach", "breaches", "1 breach"), (1096, "day", None, "1,096 days")])
def test_a_count_takes_the_word_for_that_many(n: int, word: str, many: str | None,
                                              text: str) -> None:
    assert counted(n, word, many) == text


def test_escalation_levels_are_written_as_people_write_them() -> None:
    from assurance.wording import level_label

    # Messages said "Escalated from edi lead to executive lead".
    assert level_label("edi_lead", in_sentence=True) == "EDI lead"
    assert level_label("executive_lead", in_sentence=True) == "executive lead"
    assert level_label("executive_lead") == "Executive lead"
    assert level_label("chief_people_officer", in_sentence=True) == "chief people officer"


def test_a_difference_between_percentages_is_in_percentage_points() -> None:
    # A trajectory rule's message said "Behind by=13.5%" for 21.0% expected, 7.5% found.
    from assurance.disclosure import EXACT
    from assurance.disclosure.figure import disclose_figure

    facts = {"value": 7.5, "unit": "percent", "period": "wres:2025", "expected": 21.0,
             "behind_by": 13.5}
    shown = dict(disclose_figure(facts, EXACT).facts)
    assert shown["Behind by"] == "+13.5 pp" and shown["Expected on trajectory"] == "21.0%"
