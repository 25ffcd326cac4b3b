from __future__ import annotations

import random

import pytest

from guruconnect.agent.backoff import Backoff


def test_delays_stay_under_the_exponential_cap_and_the_maximum() -> None:
    backoff = Backoff(base=0.5, maximum=10.0, rng=random.Random(1))
    for attempt in range(40):
        cap = min(10.0, 0.5 * 2**attempt)
        assert 0 <= backoff.next_delay() <= cap


def test_delays_are_jittered() -> None:
    delays = {Backoff(base=1.0, maximum=60.0).next_delay() for _ in range(50)}
    assert len(delays) > 40


def test_long_outages_do_not_overflow() -> None:
    backoff = Backoff(maximum=60.0)
    for _ in range(5000):
        assert backoff.next_delay() <= 60.0


def test_reset_starts_over() -> None:
    backoff = Backoff(base=0.5, maximum=60.0)
    for _ in range(10):
        backoff.next_delay()
    backoff.reset()
    assert backoff.cap() == 0.5
    assert backoff.next_delay() <= 0.5


def test_quick_delay_is_short_whatever_the_history() -> None:
    backoff = Backoff(maximum=60.0)
    for _ in range(20):
        backoff.next_delay()
    assert all(0 <= backoff.quick_delay() <= 2.0 for _ in range(100))


def test_nonsense_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="must be > 0"):
        Backoff(maximum=0)
