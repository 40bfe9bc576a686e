"""The per-channel pacer: even spacing, a hard cap per one-second window, Retry-After pauses."""

from __future__ import annotations

import pytest

from assurance.outbox.pacing import Pacer
from outbox_support import max_in_window


def run(pacer: Pacer, messages: int, latency: list[float]) -> list[float]:
    """Start times of ``messages`` sent one at a time, each taking ``latency[i]`` seconds."""
    t, starts = 0.0, []
    for i in range(messages):
        t += pacer.wait(t)
        pacer.started(t)
        starts.append(t)
        t += latency[i % len(latency)]
        pacer.finished(t)
    return starts


def test_messages_start_one_interval_apart_when_the_network_is_fast() -> None:
    starts = run(Pacer(20), 41, [0.001])
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert min(gaps) == pytest.approx(0.05) and max(gaps) <= 0.052
    assert max_in_window(starts) <= 20


@pytest.mark.parametrize("latency", [[0.0], [0.04, 0.0], [0.3, 0.0, 0.0, 0.0], [0.9, 0.001]])
def test_no_one_second_window_holds_more_than_the_rate_whatever_the_latency(
        latency: list[float]) -> None:
    pacer = Pacer(5)
    starts = run(pacer, 60, latency)
    # A request arrives between its start and its finish: check both extremes.
    finishes = [s + latency[i % len(latency)] for i, s in enumerate(starts)]
    assert max_in_window(starts) <= 5 and max_in_window(finishes) <= 5


def test_a_rate_below_one_per_second_spaces_messages_further() -> None:
    starts = run(Pacer(0.5), 4, [0.01])
    assert [round(s, 3) for s in starts] == [0.0, 2.0, 4.0, 6.0]


def test_retry_after_pauses_the_channel() -> None:
    pacer = Pacer(10)
    pacer.started(0.0)
    pacer.finished(0.01, retry_after=30)
    assert pacer.wait(0.01) == pytest.approx(30.0)
