"""Live updates for technicians: session changes and chat lines on bus channel "support".

Each event carries who may see it (``assigned_to``, ``created_by``); the live socket
filters per technician, and tells others only that a session left their list.
"""

from __future__ import annotations

from guruconnect.server.db.models import SupportChat, SupportSession
from guruconnect.server.db.types import utcnow
from guruconnect.server.state import AppState
from guruconnect.server.support.hub import desktop_target
from guruconnect.server.support.schemas import ChatLineOut, GuestOut, SessionOut

SUPPORT = "support"


def session_out(state: AppState, s: SupportSession) -> SessionOut:
    duration = None
    if s.joined_at is not None:
        duration = round(((s.ended_at or utcnow()) - s.joined_at).total_seconds())
    return SessionOut(
        id=s.id,
        code=s.code,
        link=f"{state.settings.effective_public_url}/?code={s.code}",
        name=s.name,
        note=s.note,
        status=s.status,  # type: ignore[arg-type]
        consent=s.consent,  # type: ignore[arg-type]
        assigned_to=s.assigned_to,
        technician=s.technician_name,
        created_by=s.created_by_name,
        created_at=s.created_at,
        expires_at=s.expires_at,
        joined_at=s.joined_at,
        consent_at=s.consent_at,
        ended_at=s.ended_at,
        ended_by=s.ended_by,
        end_reason=s.end_reason,
        duration_seconds=duration,
        guest=GuestOut(
            hostname=s.guest_hostname, os=s.guest_os, username=s.guest_username, ip=s.guest_ip
        ),
        agent_connected=state.support.get(s.id) is not None,
        desktop_target=desktop_target(s.id),
    )


def line_out(line: SupportChat) -> ChatLineOut:
    return ChatLineOut(
        id=line.id,
        sender=line.sender,  # type: ignore[arg-type]
        author=line.author,
        text=line.text,
        at=line.at,
    )


async def publish_session(state: AppState, s: SupportSession) -> SessionOut:
    out = session_out(state, s)
    await state.bus.publish(
        SUPPORT,
        {
            "type": "support_session",
            "assigned_to": s.assigned_to,
            "created_by": s.created_by,
            "session": out.model_dump(mode="json"),
        },
    )
    return out


async def publish_chat(state: AppState, s: SupportSession, line: SupportChat) -> None:
    await state.bus.publish(
        SUPPORT,
        {
            "type": "support_chat",
            "assigned_to": s.assigned_to,
            "created_by": s.created_by,
            "session_id": s.id,
            "line": line_out(line).model_dump(mode="json"),
        },
    )
