"""server-built installers

Revision ID: 0004_installers
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_installers"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "installers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company", sa.String(length=256), nullable=False),
        sa.Column("site", sa.String(length=256), nullable=False),
        sa.Column("department", sa.String(length=256), nullable=False),
        sa.Column("device_type", sa.String(length=256), nullable=False),
        sa.Column("tag", sa.String(length=256), nullable=False),
        sa.Column("name_mode", sa.String(length=16), nullable=False),
        sa.Column("custom_name", sa.String(length=256), nullable=False),
        sa.Column("note", sa.String(length=512), nullable=False),
        sa.Column("enrollment_token_id", sa.Integer(), nullable=True),
        sa.Column("sealed_secrets", sa.LargeBinary(), nullable=False),
        sa.Column("url_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("downloads", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrollment_token_id"], ["enrollment_tokens.id"], ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url_hash"),
    )
    op.create_index(op.f("ix_installers_company"), "installers", ["company"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_installers_company"), table_name="installers")
    op.drop_table("installers")
