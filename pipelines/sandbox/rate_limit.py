"""A sliding-window request counter per API key, as Picqer's rate limit behaves."""

from __future__ import annotations

import threading
import time
from collections import deque

WINDOW_SECONDS = 60.0


class SlidingWindowLimiter:
    """Counts accepted requests per key over the last 60 seconds."""

    def __init__(self) -> None:
        self._accepted: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def try_acquire(self, key: str, limit: int) -> bool:
        """Count one request for `key` and return True, or return False (counting nothing) when the window is full.

        Rejected requests are not counted, because Picqer does not process them either. A client that keeps
        retrying therefore gets through as soon as the oldest accepted request leaves the window.
        """
        with self._lock:
            window = self._window(key)
            if len(window) >= limit:
                return False
            window.append(time.monotonic())
            return True

    def remaining(self, key: str, limit: int) -> int:
        with self._lock:
            return max(0, limit - len(self._window(key)))

    def _window(self, key: str) -> deque[float]:
        window = self._accepted.setdefault(key, deque())
        cutoff = time.monotonic() - WINDOW_SECONDS
        while window and window[0] <= cutoff:
            window.popleft()
        return window
