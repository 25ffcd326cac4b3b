"""Reconnect delays: exponential backoff with full jitter.

Full jitter (a uniform draw between 0 and the exponential cap) spreads out the
reconnects of thousands of agents after a server restart instead of having them
all come back in lockstep.
"""

from __future__ import annotations

import random

QUICK_MAXIMUM = 2.0


class Backoff:
    def __init__(
        self, base: float = 0.5, maximum: float = 60.0, rng: random.Random | None = None
    ) -> None:
        if base <= 0 or maximum <= 0:
            raise ValueError(f"backoff base and maximum must be > 0, got {base} and {maximum}")
        self.base = base
        self.maximum = maximum
        self.attempts = 0
        self._rng = rng or random.Random()

    def cap(self) -> float:
        """The upper bound of the next delay."""
        # Cap the exponent so that a long outage cannot overflow the float.
        return min(self.maximum, self.base * 2.0 ** min(self.attempts, 64))

    def next_delay(self) -> float:
        delay = self._rng.uniform(0, self.cap())
        self.attempts += 1
        return delay

    def quick_delay(self) -> float:
        """For a server that announced a restart: come back soon, but not all at once."""
        return self._rng.uniform(0, min(QUICK_MAXIMUM, self.maximum))

    def reset(self) -> None:
        self.attempts = 0
