"""Reply drafts, their review and publication.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 17:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("crisis_id", sa.Integer(), nullable=False),
        sa.Column("scenario", sa.String(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("lang", sa.String(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("author", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("edited", sa.Boolean(), nullable=False),
        sa.Column("reviewer_role", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.JSON(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_hash", sa.String(), nullable=True),
        sa.Column("published_by", sa.JSON(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_url", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["crisis_id"], ["crisis.id"], name="fk_draft_crisis_id_crisis", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_draft"),
    )
    op.create_index("ix_draft_crisis_id", "draft", ["crisis_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_draft_crisis_id", table_name="draft")
    op.drop_table("draft")
