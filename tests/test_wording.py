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
