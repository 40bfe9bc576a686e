"""When to send: pacing one channel (never more than its rate, never a burst, whatever the
network does) and the backoff between retries.

:class:`Pacer` combines two limits, both on the deliverer's injected clock:

* a **token bucket holding one token**: messages start at least ``1/rate`` seconds apart, so
  the receiver sees an even stream rather than bursts;
* a **sliding window on completions**: message *i + N* (N = messages allowed per window)
  starts only after message *i* has finished plus the window. A request reaches the server
  between its start and its finish, so arrivals *i* and *i + N* are more than a window apart
  and no window of that length ever holds more than N arrivals, even when latency varies and
  squeezes two messages together on the wire.

A ``Retry-After`` from the provider pauses the channel (:meth:`Pacer.finished`). The
deliverer keeps one message in flight per channel, which the window relies on, and a channel
is served by one deliverer at a time; at a handover the new deliverer's pacer is seeded with
the previous one's recent sends (:meth:`Pacer.seed`).

Retries back off exponentially (:func:`backoff`): 2 s, doubling, capped at 10 minutes, with
±20 % jitter so that many failed messages do not all come back at once.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Iterable

BACKOFF_BASE, BACKOFF_CAP, JITTER = 2.0, 600.0, 0.2


def backoff(attempt: int, rng: random.Random) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
    return min(BACKOFF_CAP, delay * (1 + JITTER * (2 * rng.random() - 1)))


class Pacer:
    """Pacing for one channel (see the module docstring); times are clock seconds.

    Args:
        rate: messages per second.
        window: the sliding window, in seconds.
    """

    def __init__(self, rate: float, window: float = 1.0):
        self.interval = 1.0 / rate
        self.limit = max(1, math.floor(rate * window + 1e-9))
        self.window = window + 1e-3  # strictly more than a window apart
        self.next_start = -math.inf
        self.paused_until = -math.inf
        self.finished_at: deque[float] = deque(maxlen=self.limit)

    def ready_at(self) -> float:
        """When the next message may start (``-inf`` before the first)."""
        ready = max(self.next_start, self.paused_until)
        if len(self.finished_at) == self.limit:
            ready = max(ready, self.finished_at[0] + self.window)
        return ready

    def wait(self, t: float) -> float:
        """Seconds from ``t`` until the next message may start."""
        return max(0.0, self.ready_at() - t)

    def started(self, t: float) -> None:
        """Record that a message started at ``t``."""
        self.next_start = t + self.interval

    def finished(self, t: float, retry_after: float | None = None) -> None:
        """Record that the message in flight finished at ``t``.

        Args:
            t: when its response (or failure) came back.
            retry_after: seconds the provider asked for; the channel pauses that long.
        """
        self.finished_at.append(t)
        if retry_after:
            self.paused_until = max(self.paused_until, t + retry_after)

    def seed(self, times: Iterable[float]) -> None:
        """Count messages another deliverer sent on this channel (times they were recorded)."""
        for t in sorted(times):
            if not self.finished_at or t > self.finished_at[-1]:
                self.finished_at.append(t)
                self.next_start = max(self.next_start, t + self.interval)
