"""machine search, saved searches, audit log

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=128), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hash"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_target"), ["target"], unique=False)

    op.create_table(
        "saved_searches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("query", sa.JSON(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("saved_searches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_searches_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_saved_searches_shared"), ["shared"], unique=False)

    with op.batch_alter_table("machines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("online", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("os_build", sa.String(length=256), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("serial_number", sa.String(length=256), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("service_tag", sa.String(length=256), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("private_ips", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("macs", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("boot_time", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("idle_seconds", sa.Integer(), nullable=False, server_default="-1")
        )
        batch_op.add_column(
            sa.Column("agent_version_key", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("guest_present", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("guest_last_connected", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("last_host_session_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("attention", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("attention_note", sa.String(length=1024), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("custom_attributes", sa.JSON(), nullable=False, server_default="{}")
        )
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
        batch_op.create_index(
            batch_op.f("ix_machines_agent_version_key"), ["agent_version_key"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_machines_attention"), ["attention"], unique=False)
        batch_op.create_index(batch_op.f("ix_machines_boot_time"), ["boot_time"], unique=False)
        batch_op.create_index("ix_machines_company_site", ["company", "site"], unique=False)
        batch_op.create_index("ix_machines_department", ["department"], unique=False)
        batch_op.create_index("ix_machines_device_type", ["device_type"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_machines_last_host_session_at"), ["last_host_session_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_machines_last_seen"), ["last_seen"], unique=False)
        batch_op.create_index(batch_op.f("ix_machines_online"), ["online"], unique=False)
        batch_op.create_index("ix_machines_online_name", ["online", "name", "id"], unique=False)
        batch_op.create_index(
            "ix_machines_company_online_name", ["company", "online", "name", "id"], unique=False
        )
        batch_op.create_index("ix_machines_online_last_seen", ["online", "last_seen"], unique=False)
        batch_op.create_index("ix_machines_online_guest", ["online", "guest_present"], unique=False)
        batch_op.create_index("ix_machines_os_name", ["os_name"], unique=False)
        batch_op.create_index("ix_machines_tag", ["tag"], unique=False)

    # Machines enrolled before this migration become searchable now, not only after
    # their agent next reports (same fields as machines.facts.refresh_search_text has
    # from columns that existed before; the agent's next report fills in the rest).
    fields = [
        "name", "hostname", "company", "site", "department", "device_type", "tag", "os_type",
        "os_name", "os_version", "public_ip", "agent_version",
    ]  # fmt: skip
    joined = " || char(10) || ".join(f"coalesce({c}, '')" for c in fields)
    if op.get_bind().dialect.name == "postgresql":
        joined = joined.replace("char(10)", "chr(10)")
    op.execute(f"UPDATE machines SET search_text = lower({joined})")  # noqa: S608 - fixed names

    if op.get_bind().dialect.name == "postgresql":
        # Substring search ("part of a hostname or IP") needs a trigram index to stay
        # fast at 100,000 machines. pg_trgm ships with PostgreSQL; creating it needs a
        # privileged role, so without it search still works, only slower.
        op.execute(
            "DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS pg_trgm; "
            "EXCEPTION WHEN insufficient_privilege THEN "
            "RAISE NOTICE 'pg_trgm unavailable: search will scan'; END $$"
        )
        op.execute(
            "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') "
            "THEN CREATE INDEX IF NOT EXISTS trgm_machines_search_text ON machines "
            "USING gin (search_text gin_trgm_ops); END IF; END $$"
        )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS trgm_machines_search_text")

    with op.batch_alter_table("machines", schema=None) as batch_op:
        batch_op.drop_index("ix_machines_tag")
        batch_op.drop_index("ix_machines_os_name")
        batch_op.drop_index("ix_machines_online_name")
        batch_op.drop_index("ix_machines_company_online_name")
        batch_op.drop_index("ix_machines_online_last_seen")
        batch_op.drop_index("ix_machines_online_guest")
        batch_op.drop_index(batch_op.f("ix_machines_online"))
        batch_op.drop_index(batch_op.f("ix_machines_last_seen"))
        batch_op.drop_index(batch_op.f("ix_machines_last_host_session_at"))
        batch_op.drop_index("ix_machines_device_type")
        batch_op.drop_index("ix_machines_department")
        batch_op.drop_index("ix_machines_company_site")
        batch_op.drop_index(batch_op.f("ix_machines_boot_time"))
        batch_op.drop_index(batch_op.f("ix_machines_attention"))
        batch_op.drop_index(batch_op.f("ix_machines_agent_version_key"))
        batch_op.drop_column("search_text")
        batch_op.drop_column("custom_attributes")
        batch_op.drop_column("attention_note")
        batch_op.drop_column("attention")
        batch_op.drop_column("last_host_session_at")
        batch_op.drop_column("guest_last_connected")
        batch_op.drop_column("guest_present")
        batch_op.drop_column("agent_version_key")
        batch_op.drop_column("idle_seconds")
        batch_op.drop_column("boot_time")
        batch_op.drop_column("macs")
        batch_op.drop_column("private_ips")
        batch_op.drop_column("service_tag")
        batch_op.drop_column("serial_number")
        batch_op.drop_column("os_build")
        batch_op.drop_column("online")

    with op.batch_alter_table("saved_searches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_searches_shared"))
        batch_op.drop_index(batch_op.f("ix_saved_searches_owner_id"))

    op.drop_table("saved_searches")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_target"))

    op.drop_table("audit_log")
