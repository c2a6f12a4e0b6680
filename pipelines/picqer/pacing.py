"""Request pacing from Picqer's `X-RateLimit-Limit` and `X-RateLimit-Remaining` headers.

Picqer allows about 500 requests a minute per key and lowers that under load. While the headers show room to
spare, requests start as soon as a worker is free. Once `remaining` falls to a small reserve, starts are spaced
60/limit seconds apart, because that is the rate at which the window frees up again. A 429 pauses every worker.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Mapping, Optional

MIN_RESERVE = 5
"""Requests kept in hand below which pacing starts, so concurrent requests in flight do not overshoot."""

LATENCY_SMOOTHING = 0.2
"""Weight of the newest latency sample in the moving average."""


class RateLimitPacer:
    """Spaces request starts across threads; all methods are thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.limit: Optional[int] = None
        self.remaining: Optional[int] = None
        self._last_start = 0.0
        self._paused_until = 0.0
        self.latency_seconds: Optional[float] = None

    def wait_turn(self) -> None:
        """Block until this thread may start a request."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._paused_until)
            if self.limit and self.remaining is not None and self.remaining <= self._reserve():
                start = max(start, self._last_start + 60.0 / self.limit)
            self._last_start = start
            if self.remaining is not None:
                # Count this request against the budget before its reply arrives, so parallel threads see it.
                self.remaining -= 1
        if start > now:
            time.sleep(start - now)

    def observe(self, headers: Mapping[str, str], latency_seconds: float) -> None:
        """Update the budget from a reply's headers (requests' header lookup ignores case)."""
        limit = _to_int(headers.get("X-RateLimit-Limit"))
        remaining = _to_int(headers.get("X-RateLimit-Remaining"))
        with self._lock:
            if limit:
                self.limit = limit
            if remaining is not None:
                self.remaining = remaining
            if self.latency_seconds is None:
                self.latency_seconds = latency_seconds
            else:
                self.latency_seconds += LATENCY_SMOOTHING * (latency_seconds - self.latency_seconds)

    def pause(self, seconds: float) -> None:
        """Hold back every thread for `seconds`, after a 429."""
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)
            self.remaining = 0

    def useful_concurrency(self, ceiling: int) -> int:
        """Return how many requests in flight keep up with the rate limit at the observed latency.

        More would only wait in `wait_turn`, and each extra one may be wasted past the last page of a list.
        """
        with self._lock:
            if not self.limit or self.latency_seconds is None:
                return ceiling
            needed = math.ceil(self.latency_seconds * self.limit / 60.0) + 1
        return max(1, min(ceiling, needed))

    def _reserve(self) -> int:
        return max(MIN_RESERVE, (self.limit or 0) // 50)


def _to_int(value: Optional[str]) -> Optional[int]:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
