"""Sending an installer link by email through the configured SMTP relay (smtplib, in a
thread: it blocks). Only the link goes out, never the installer itself."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from guruconnect.server.config import Settings

TIMEOUT = 20.0


class MailError(Exception):
    """Email is not configured, or the relay refused or could not be reached."""


def compose(
    settings: Settings, to: str, *, company: str, links: dict[str, str], note: str
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = to
    msg["Subject"] = f"GuruConnect agent installer for {company}"
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    lines = [
        f"Install the GuruConnect agent for {company} on a Linux computer:",
        "",
        *(f"  {label}: {url}" for label, url in links.items()),
        "",
        "For example:",
        f"  curl -fsSLo guruconnect-install.sh '{links['Linux installer (.sh)']}'",
        "  sudo sh guruconnect-install.sh",
        "",
        "The links stop working when your administrator revokes them.",
    ]
    if note:
        lines += ["", note]
    msg.set_content("\n".join(lines) + "\n")
    return msg


def _send(settings: Settings, msg: EmailMessage) -> None:
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(msg)
    except smtplib.SMTPException as exc:
        raise MailError(f"the mail server refused the message: {exc}") from exc
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise MailError(
            f"cannot reach the mail server {settings.smtp_host}:{settings.smtp_port}: {reason}"
        ) from exc


async def send(settings: Settings, msg: EmailMessage) -> None:
    if not settings.smtp_host:
        raise MailError("email is not configured on this server (set smtp_host and smtp_from)")
    await asyncio.to_thread(_send, settings, msg)
