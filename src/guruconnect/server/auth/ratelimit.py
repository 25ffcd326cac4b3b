"""Failure counting for anything guessable (passwords, TOTP codes, enrollment tokens).

A sliding window per key. Keys are strings such as ``ip:203.0.113.9`` or ``user:alice``,
so one limiter serves several dimensions. In-process for one node; the interface is
small so a Redis implementation can replace it for several nodes.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from fastapi import HTTPException, status


class FailureLimiter:
    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    def _prune(self, key: str) -> deque[float] | None:
        hits = self._hits.get(key)
        if hits is None:
            return None
        horizon = self._clock() - self.window
        while hits and hits[0] <= horizon:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return None
        return hits

    def retry_after(self, key: str) -> float | None:
        """Seconds until ``key`` may try again, or None if it may try now."""
        hits = self._prune(key)
        if hits is None or len(hits) < self.limit:
            return None
        return max(1.0, hits[0] + self.window - self._clock())

    def failure(self, key: str) -> None:
        self._prune(key)
        hits = self._hits.setdefault(key, deque())
        hits.append(self._clock())
        if len(hits) > self.limit:
            hits.popleft()

    def reset(self, key: str) -> None:
        self._hits.pop(key, None)

    def __len__(self) -> int:
        return len(self._hits)


def too_many(retry_after: float, what: str = "failed attempts") -> HTTPException:
    """The 429 every limiter answers with, saying how long to wait."""
    seconds = int(retry_after)
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        f"too many {what}; try again in {seconds} seconds",
        headers={"Retry-After": str(seconds)},
    )
