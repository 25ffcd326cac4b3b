"""The schema. Migrations in ``migrations/versions`` must match it (a test compares them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from guruconnect.server.db.types import UTCDateTime, utcnow


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: UTCDateTime}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    # Companies this user may see; ["*"] is all. Empty sees nothing (deny by default).
    company_scope: Mapped[list[str]] = mapped_column(JSON, default=list)
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Last accepted TOTP time step: a code from this step or earlier is a replay.
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WebSession(Base):
    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16))  # mfa_required | mfa_enroll | active
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    client_ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(256), default="")


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class EnrollmentToken(Base):
    __tablename__ = "enrollment_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    company: Mapped[str] = mapped_column(String(256))
    site: Mapped[str] = mapped_column(String(256), default="")
    note: Mapped[str] = mapped_column(String(512), default="")
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    max_uses: Mapped[int | None] = mapped_column(Integer, default=None)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class Machine(Base):
    __tablename__ = "machines"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the agent id
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    name: Mapped[str] = mapped_column(String(256))
    hostname: Mapped[str] = mapped_column(String(256), default="", index=True)
    company: Mapped[str] = mapped_column(String(256), index=True)
    site: Mapped[str] = mapped_column(String(256), default="")
    department: Mapped[str] = mapped_column(String(256), default="")
    device_type: Mapped[str] = mapped_column(String(256), default="")
    tag: Mapped[str] = mapped_column(String(256), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    os_type: Mapped[str] = mapped_column(String(32), default="")
    os_name: Mapped[str] = mapped_column(String(256), default="")
    os_version: Mapped[str] = mapped_column(String(256), default="")
    agent_version: Mapped[str] = mapped_column(String(64), default="")
    public_ip: Mapped[str] = mapped_column(String(64), default="")
    logged_on_users: Mapped[list[str]] = mapped_column(JSON, default=list)
    inventory: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    enrolled_with: Mapped[int | None] = mapped_column(
        ForeignKey("enrollment_tokens.id", ondelete="SET NULL"), default=None
    )
    first_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[dt.datetime | None] = mapped_column(default=None, index=True)
    inventory_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    # Denormalized from the inventory and from live state, so that grouping, status
    # groups and search are plain indexed columns (see machines/status.py, search.py).
    online: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    os_build: Mapped[str] = mapped_column(String(256), default="")
    serial_number: Mapped[str] = mapped_column(String(256), default="")
    service_tag: Mapped[str] = mapped_column(String(256), default="")
    private_ips: Mapped[list[str]] = mapped_column(JSON, default=list)
    macs: Mapped[list[str]] = mapped_column(JSON, default=list)
    boot_time: Mapped[dt.datetime | None] = mapped_column(default=None, index=True)
    idle_seconds: Mapped[int] = mapped_column(Integer, default=-1)
    agent_version_key: Mapped[int] = mapped_column(Integer, default=0, index=True)
    guest_present: Mapped[bool] = mapped_column(Boolean, default=False)
    guest_last_connected: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_host_session_at: Mapped[dt.datetime | None] = mapped_column(default=None, index=True)
    attention: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    attention_note: Mapped[str] = mapped_column(String(1024), default="")
    custom_attributes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Lower-cased text of every searchable field; substring search scans this one column
    # (on PostgreSQL through a trigram index created by migration 0002).
    search_text: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_machines_online_name", "online", "name", "id"),
        Index("ix_machines_company_online_name", "company", "online", "name", "id"),
        Index("ix_machines_online_last_seen", "online", "last_seen"),
        Index("ix_machines_online_guest", "online", "guest_present"),
        Index("ix_machines_company_site", "company", "site"),
        Index("ix_machines_department", "department"),
        Index("ix_machines_os_name", "os_name"),
        Index("ix_machines_device_type", "device_type"),
        Index("ix_machines_tag", "tag"),
    )


class SavedSearch(Base):
    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    query: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    shared: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Append-only and hash-chained: each row's hash covers its content and the previous
    row's hash, so editing or deleting a row breaks every later link (audit/chain.py)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(Integer, default=None)
    username: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(128), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class KeyValue(Base):
    """Small server-wide facts, e.g. the hash of the one-time bootstrap token."""

    __tablename__ = "server_kv"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class SupportSession(Base):
    """An attended support session (server/support/). ``active_code`` holds the code while
    the session is live and NULL once it is over: its UNIQUE constraint is what makes a
    code impossible to hand out twice at once (both databases allow many NULLs)."""

    __tablename__ = "support_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(6))
    active_code: Mapped[str | None] = mapped_column(String(6), unique=True, default=None)
    name: Mapped[str] = mapped_column(String(128), default="")
    note: Mapped[str] = mapped_column(String(1024), default="")
    status: Mapped[str] = mapped_column(String(16), index=True)  # support/lifecycle.py
    consent: Mapped[str] = mapped_column(String(16), default="pending")
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_by_name: Mapped[str] = mapped_column(String(64), default="")
    # NULL: first-come; the first technician to chat or connect claims it.
    assigned_to: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, index=True
    )
    technician_name: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    joined_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    consent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    ended_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    ended_by: Mapped[str] = mapped_column(String(64), default="")
    end_reason: Mapped[str] = mapped_column(String(32), default="")
    join_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    guest_hostname: Mapped[str] = mapped_column(String(256), default="")
    guest_os: Mapped[str] = mapped_column(String(256), default="")
    guest_username: Mapped[str] = mapped_column(String(256), default="")
    guest_ip: Mapped[str] = mapped_column(String(64), default="")


class SupportChat(Base):
    __tablename__ = "support_chat"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("support_sessions.id", ondelete="CASCADE"), index=True
    )
    sender: Mapped[str] = mapped_column(String(16))  # technician | guest
    author: Mapped[str] = mapped_column(String(256))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Installer(Base):
    """A server-built installer configuration (server/installers/). Its secrets (the raw
    enrollment token baked into every build and the public URL token) are stored sealed
    with the server's installer secret key, so a database dump alone cannot enroll
    machines; ``url_hash`` (SHA-256 of the URL token) finds the row for a public download."""

    __tablename__ = "installers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company: Mapped[str] = mapped_column(String(256), index=True)
    site: Mapped[str] = mapped_column(String(256), default="")
    department: Mapped[str] = mapped_column(String(256), default="")
    device_type: Mapped[str] = mapped_column(String(256), default="")
    tag: Mapped[str] = mapped_column(String(256), default="")
    name_mode: Mapped[str] = mapped_column(String(16), default="machine")  # machine | custom
    custom_name: Mapped[str] = mapped_column(String(256), default="")
    note: Mapped[str] = mapped_column(String(512), default="")
    enrollment_token_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollment_tokens.id", ondelete="SET NULL"), default=None
    )
    sealed_secrets: Mapped[bytes] = mapped_column(LargeBinary)
    url_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_by_name: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    downloads: Mapped[int] = mapped_column(Integer, default=0)
