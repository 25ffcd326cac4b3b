"""Support codes: six random digits, never sequential; join tokens are long and random."""

from __future__ import annotations

import itertools
from collections import Counter

from guruconnect.server.support import codes
from guruconnect.server.support.portal import network_key


def test_codes_are_six_digits_including_leading_zeros() -> None:
    drawn = [codes.new_code() for _ in range(5000)]
    assert all(codes.is_code(c) and len(c) == 6 for c in drawn)
    assert any(c.startswith("0") for c in drawn)  # P(no leading zero in 5000) ~ 1e-229


def test_codes_are_not_sequential_or_repetitive() -> None:
    drawn = [int(codes.new_code()) for _ in range(2000)]
    steps = Counter(b - a for a, b in itertools.pairwise(drawn))
    # A counter (or clock) would repeat one step; random draws almost never repeat one.
    assert steps.most_common(1)[0][1] < 10
    # Spread over the whole space: every leading digit appears.
    assert {str(n).zfill(6)[0] for n in drawn} == set("0123456789")
    assert len(set(drawn)) > 1990


def test_is_code_rejects_everything_else() -> None:
    fullwidth = "".join(chr(0xFF11 + i) for i in range(6))
    for bad in ("", "12345", "1234567", "12a456", " 123456", fullwidth, "-12345"):
        assert not codes.is_code(bad), bad


def test_join_tokens_and_session_ids() -> None:
    tokens = {codes.new_join_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(codes.JOIN_TOKEN_PATTERN.fullmatch(t) and len(t) >= 43 for t in tokens)
    assert codes.new_session_id().startswith("s_")


def test_rate_limit_keys_group_an_ipv6_64() -> None:
    assert network_key("2001:db8:1:2::5") == network_key("2001:db8:1:2:ffff::1")
    assert network_key("2001:db8:1:2::5") != network_key("2001:db8:1:3::5")
    assert network_key("203.0.113.7") != network_key("203.0.113.8")
    assert network_key("garbage") == "ip:garbage"
