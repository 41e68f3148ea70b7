"""Per-key rate limiting: a token bucket per API key, in process.

Each key may burst up to its limit (its requests per minute) and then runs at
``limit / 60`` requests per second. With several worker processes each keeps its own
buckets, so the limit applies per worker.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[int, tuple[float, float]] = {}  # key id → (tokens, as of)

    def take(self, key_id: int, per_minute: int) -> float:
        """Take one token; 0.0 when the request may go ahead, else the seconds to wait."""
        now = self._clock()
        capacity = float(per_minute)
        rate = per_minute / 60.0
        with self._lock:
            tokens, then = self._buckets.get(key_id, (capacity, now))
            tokens = min(capacity, tokens + (now - then) * rate)
            if tokens >= 1.0:
                self._buckets[key_id] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key_id] = (tokens, now)
            return (1.0 - tokens) / rate

    @staticmethod
    def retry_after_header(wait: float) -> str:
        return str(max(1, math.ceil(wait)))
