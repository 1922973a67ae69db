"""Per-user rate limiting shared by the web and Slack front ends.

A sliding window per key (web session, Slack user id) in process memory: one busy user is
slowed down, everyone else is unaffected.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable


class RateLimiter:
    """At most ``per_minute`` calls per key in any 60-second window."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000):
        self.per_minute = per_minute
        self.clock = clock
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Record a call for ``key``; False when it is over the limit."""
        now = self.clock()
        with self._lock:
            if len(self._hits) > self.max_keys:  # bounded memory under many one-off keys
                self._forget_idle(now)
            hits = self._hits[key]
            while hits and now - hits[0] >= 60.0:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return False
            hits.append(now)
            return True

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, h in self._hits.items() if not h or now - h[-1] >= 60.0]:
            del self._hits[key]
