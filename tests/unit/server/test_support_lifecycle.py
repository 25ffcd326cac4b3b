"""The support session state machine: every legal move works, every other one raises."""

from __future__ import annotations

import itertools

import pytest

from guruconnect.server.support.lifecycle import (
    FINAL,
    LIVE,
    Consent,
    IllegalTransition,
    Status,
    answer_consent,
    finish_status,
    move,
)

LEGAL = {
    (Status.WAITING, Status.JOINED),
    (Status.WAITING, Status.CANCELLED),
    (Status.WAITING, Status.EXPIRED),
    (Status.JOINED, Status.ACTIVE),
    (Status.JOINED, Status.ENDED),
    (Status.ACTIVE, Status.JOINED),
    (Status.ACTIVE, Status.ENDED),
}


@pytest.mark.parametrize(("src", "dst"), list(itertools.product(Status, Status)))
def test_moves(src: Status, dst: Status) -> None:
    if (src, dst) in LEGAL:
        assert move(src.value, dst) is dst
    else:
        with pytest.raises(IllegalTransition):
            move(src.value, dst)


def test_final_states_go_nowhere() -> None:
    assert FINAL.isdisjoint(LIVE) and set(Status) == FINAL | LIVE
    for final in FINAL:
        with pytest.raises(IllegalTransition):
            finish_status(final.value)


def test_finish_cancels_before_a_guest_and_ends_after() -> None:
    assert finish_status("waiting") is Status.CANCELLED
    assert finish_status("joined") is Status.ENDED
    assert finish_status("active") is Status.ENDED


def test_consent_allow_then_withdraw() -> None:
    assert answer_consent("joined", "pending", True) == (Status.ACTIVE, Consent.ALLOWED)
    assert answer_consent("active", "allowed", True) == (Status.ACTIVE, Consent.ALLOWED)  # repeat
    assert answer_consent("active", "allowed", False) == (Status.JOINED, Consent.DENIED)


def test_deny_is_final() -> None:
    assert answer_consent("joined", "pending", False) == (Status.JOINED, Consent.DENIED)
    assert answer_consent("joined", "denied", False) == (Status.JOINED, Consent.DENIED)
    with pytest.raises(IllegalTransition):
        answer_consent("joined", "denied", True)


@pytest.mark.parametrize("status", ["waiting", "ended", "cancelled", "expired"])
def test_no_consent_without_a_connected_guest(status: str) -> None:
    with pytest.raises(IllegalTransition):
        answer_consent(status, "pending", True)


def test_unknown_states_are_refused() -> None:
    with pytest.raises(ValueError):
        move("hacked", Status.ACTIVE)
