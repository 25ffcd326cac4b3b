"""What follows a session's change beyond the database: telling the guest's agent,
closing the desktop, and updating the technicians' dashboards."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from guruconnect.protocol import CloseCode, encode
from guruconnect.protocol.desktop import DesktopClose
from guruconnect.protocol.support import EndReason, SessionEnded, TechnicianChanged
from guruconnect.server.auth.principal import Principal
from guruconnect.server.db.models import SupportSession
from guruconnect.server.state import AppState
from guruconnect.server.support import service
from guruconnect.server.support.events import publish_session
from guruconnect.server.support.hub import desktop_target

log = logging.getLogger("guruconnect.support")

END_MESSAGES: dict[str, str] = {
    "ended_by_technician": "The technician ended the session.",
    "ended_by_guest": "You ended the session.",
    "cancelled": "The session was cancelled.",
    "expired": "The session expired.",
    "replaced": "The session was opened again from another window.",
    "server_shutdown": "The server is restarting.",
}


async def close_desktop(state: AppState, session_id: str, why: str) -> None:
    """Stop any screen sharing for this session at once: viewers, worker and agent."""
    link = state.support.get(session_id)
    if link is not None:
        link.consent_allowed = False
    desktop = state.desktops.get(desktop_target(session_id))
    if desktop is None:
        return
    state.desktops.discard(desktop)
    state.metrics.desktop_sessions.set(len(state.desktops))
    for viewer in list(desktop.viewers.values()):
        await viewer.close(CloseCode.AGENT_GONE, why)
    if desktop.worker is not None:
        await desktop.worker.close(CloseCode.NORMAL, why)
    await state.support.send(session_id, encode(DesktopClose(session_id=desktop.session_id)))
    log.info("closed the desktop of support session %s: %s", session_id, why)


async def end(
    state: AppState,
    session: SupportSession,
    *,
    by: Principal | None,
    who: str,
    reason: EndReason,
    record_reason: str = "",
) -> bool:
    """End or cancel ``session`` and tell everyone. False if it was already over."""
    async with state.db() as db:
        fresh = await db.get(SupportSession, session.id)
        if fresh is None or not await service.finish(
            db, fresh, by=by, who=who, reason=record_reason or reason
        ):
            return False
        await publish_session(state, fresh)
    await close_desktop(state, session.id, "the support session ended")
    state.support.cancel_timer(session.id)
    link = state.support.get(session.id)
    if link is not None:
        state.support.detach(link)
        farewell = SessionEnded(reason=reason, message=END_MESSAGES[reason])
        await state.support.send_to(link, encode(farewell))
        await link.connection.close(CloseCode.NORMAL, "session ended")
    log.info("support session %s ended by %s (%s)", session.id, who, record_reason or reason)
    return True


def end_unless_back(state: AppState, session_id: str) -> None:
    """The guest's agent is gone: end the session as "agent left" unless it reconnects
    within the grace period (a reconnect cancels the timer, hub.attach)."""

    async def end_if_still_gone() -> None:
        if state.support.get(session_id) is not None:
            return
        async with state.db() as db:
            current = await db.get(SupportSession, session_id)
        if current is not None:
            await end(state, current, by=None, who="agent", reason="ended_by_guest",
                      record_reason="agent_left")  # fmt: skip

    state.support.start_timer(session_id, end_if_still_gone, state.support.grace_seconds)


async def claim(state: AppState, db: AsyncSession, session: SupportSession, p: Principal) -> None:
    """Make a first-come session ``p``'s; the guest's window then shows their name.
    Raises service.Refused if a colleague holds it."""
    if await service.claim(db, session, p):
        await publish_session(state, session)
        changed = TechnicianChanged(technician=session.technician_name)
        await state.support.send(session.id, encode(changed))
