"""The life of a support session, as a state machine: an illegal transition raises.

    waiting --guest's agent connects--> joined --consent allowed--> active
       |                                  |  ^                         |
       |                                  |  +----consent withdrawn----+
       +--cancel--> cancelled             +---end / agent left------> ended <--+
       +--expiry--> expired                                                     |
                                          active --end / agent left-------------+

Consent is a second, smaller machine: pending -> allowed | denied, allowed -> denied
(withdrawn). Denied is final: the server never opens a desktop for that session again.
"""

from __future__ import annotations

import enum


class Status(enum.StrEnum):
    WAITING = "waiting"  # code handed out, no guest yet
    JOINED = "joined"  # the guest's one-time agent is connected
    ACTIVE = "active"  # ... and the guest allowed screen access
    ENDED = "ended"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Consent(enum.StrEnum):
    PENDING = "pending"
    ALLOWED = "allowed"
    DENIED = "denied"


class IllegalTransition(RuntimeError):
    pass


LIVE = frozenset({Status.WAITING, Status.JOINED, Status.ACTIVE})
FINAL = frozenset({Status.ENDED, Status.CANCELLED, Status.EXPIRED})

_STATUS_MOVES: dict[Status, frozenset[Status]] = {
    Status.WAITING: frozenset({Status.JOINED, Status.CANCELLED, Status.EXPIRED}),
    Status.JOINED: frozenset({Status.ACTIVE, Status.ENDED}),
    Status.ACTIVE: frozenset({Status.JOINED, Status.ENDED}),
    Status.ENDED: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.EXPIRED: frozenset(),
}
_CONSENT_MOVES: dict[Consent, frozenset[Consent]] = {
    Consent.PENDING: frozenset({Consent.ALLOWED, Consent.DENIED}),
    Consent.ALLOWED: frozenset({Consent.DENIED}),
    Consent.DENIED: frozenset(),
}


def move(current: str, to: Status) -> Status:
    """``to`` if the move is legal from ``current``; raises IllegalTransition otherwise."""
    now = Status(current)
    if to not in _STATUS_MOVES[now]:
        raise IllegalTransition(f"support session {now.value} -> {to.value}")
    return to


def finish_status(current: str) -> Status:
    """Where "stop this session" leads: a session nobody joined is cancelled, one with a
    guest is ended. Raises IllegalTransition if it is already over."""
    now = Status(current)
    return move(now, Status.CANCELLED if now is Status.WAITING else Status.ENDED)


def answer_consent(status: str, consent: str, allowed: bool) -> tuple[Status, Consent]:
    """The (status, consent) after the guest answers. Repeating an answer is a no-op."""
    now, given = Status(status), Consent(consent)
    if now not in (Status.JOINED, Status.ACTIVE):
        raise IllegalTransition(f"consent while {now.value}")
    wanted = Consent.ALLOWED if allowed else Consent.DENIED
    if wanted is given:
        return now, given
    if wanted not in _CONSENT_MOVES[given]:
        raise IllegalTransition(f"consent {given.value} -> {wanted.value}")
    return (move(now, Status.ACTIVE) if allowed else _leave_active(now)), wanted


def _leave_active(now: Status) -> Status:
    return move(now, Status.JOINED) if now is Status.ACTIVE else now
