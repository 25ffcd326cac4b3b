"""support sessions and their chat

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "support_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("active_code", sa.String(length=6), nullable=True),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("note", sa.String(length=1024), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("consent", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sa.String(length=64), nullable=False),
        sa.Column("assigned_to", sa.Integer(), nullable=True),
        sa.Column("technician_name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=64), nullable=False),
        sa.Column("end_reason", sa.String(length=32), nullable=False),
        sa.Column("join_token_hash", sa.String(length=64), nullable=True),
        sa.Column("guest_hostname", sa.String(length=256), nullable=False),
        sa.Column("guest_os", sa.String(length=256), nullable=False),
        sa.Column("guest_username", sa.String(length=256), nullable=False),
        sa.Column("guest_ip", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["assigned_to"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("active_code"),
        sa.UniqueConstraint("join_token_hash"),
    )
    op.create_index(
        op.f("ix_support_sessions_assigned_to"), "support_sessions", ["assigned_to"], unique=False
    )
    op.create_index(
        op.f("ix_support_sessions_created_at"), "support_sessions", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_support_sessions_status"), "support_sessions", ["status"], unique=False
    )
    op.create_table(
        "support_chat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("sender", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=256), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["support_sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_support_chat_session_id"), "support_chat", ["session_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_support_chat_session_id"), table_name="support_chat")
    op.drop_table("support_chat")
    op.drop_index(op.f("ix_support_sessions_status"), table_name="support_sessions")
    op.drop_index(op.f("ix_support_sessions_created_at"), table_name="support_sessions")
    op.drop_index(op.f("ix_support_sessions_assigned_to"), table_name="support_sessions")
    op.drop_table("support_sessions")
