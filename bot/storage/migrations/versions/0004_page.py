"""Pages with acknowledgement, and their due times (durable escalation timers).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 17:35:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "page",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("crisis_id", sa.Integer(), nullable=False),
        sa.Column("role_id", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("chain", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("timeout_minutes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_by", sa.JSON(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["crisis_id"], ["crisis.id"], name="fk_page_crisis_id_crisis", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_page"),
    )
    op.create_index("ix_page_crisis_id", "page", ["crisis_id"], unique=False)
    op.create_index("ix_page_due", "page", ["status", "due_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_page_due", table_name="page")
    op.drop_index("ix_page_crisis_id", table_name="page")
    op.drop_table("page")
