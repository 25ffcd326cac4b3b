"""Lets the remote-desktop viewer (server/desktop/) reach a support session's screen.

The viewer addresses it as ``support-<session id>``. Opening it needs the
support:sessions scope, the session being this technician's (a first-come one is
claimed by opening it), and the guest's consent: the relay gets the guest's link
from ``SupportHub.desktop_link``, which has none to give without consent, so no
DesktopOpen can ever reach an agent whose user did not press Allow.
"""

from __future__ import annotations

from typing import Any

from guruconnect.protocol import CloseCode
from guruconnect.server.audit import chain
from guruconnect.server.auth.principal import Principal
from guruconnect.server.auth.roles import Scope
from guruconnect.server.db.models import SupportSession
from guruconnect.server.state import AppState
from guruconnect.server.support import control, service
from guruconnect.server.support.hub import SUPPORT_TARGET_PREFIX
from guruconnect.server.support.lifecycle import Consent, Status


def is_support_target(target: str) -> bool:
    return target.startswith(SUPPORT_TARGET_PREFIX)


async def authorize_viewer(
    state: AppState, principal: Principal, target: str
) -> tuple[CloseCode, str] | None:
    """None if ``principal`` may view ``target`` now, else the close code and reason:
    4404 for a session that is not theirs (as if it did not exist), 4403 without consent."""
    if not principal.can(Scope.SUPPORT_SESSIONS):
        return CloseCode.NOT_FOUND, "no such machine"
    async with state.db() as db:
        try:
            session = await service.get_visible(
                db, principal, target.removeprefix(SUPPORT_TARGET_PREFIX)
            )
            await control.claim(state, db, session, principal)
        except service.Refused:
            return CloseCode.NOT_FOUND, "no such machine"
    if session.status != Status.ACTIVE or session.consent != Consent.ALLOWED:
        return CloseCode.FORBIDDEN, "the user has not allowed access to the screen"
    return None


async def record_view(
    state: AppState, target: str, principal: Principal, action: str, details: dict[str, Any]
) -> None:
    """Audit who watched which support session's screen, as for machines."""
    async with state.db() as db:
        session = await db.get(SupportSession, target.removeprefix(SUPPORT_TARGET_PREFIX))
        if session is None:
            return
        await chain.record(db, principal, action, service.target(session), details)
        await db.commit()
