"""Listening: mentions as last seen (one per network and post id) and their append-only versions.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 16:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mention",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network", sa.String(), nullable=False),
        sa.Column("post_id", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=True),
        sa.Column("author_handle", sa.String(), nullable=True),
        sa.Column("author_name", sa.String(), nullable=True),
        sa.Column("followers", sa.Integer(), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("lang", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reach", sa.Integer(), nullable=True),
        sa.Column("likes", sa.Integer(), nullable=True),
        sa.Column("reposts", sa.Integer(), nullable=True),
        sa.Column("replies", sa.Integer(), nullable=True),
        sa.Column("in_reply_to", sa.String(), nullable=True),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("versions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_mention"),
    )
    op.create_index("uq_mention_network_post_id", "mention", ["network", "post_id"], unique=True)
    op.create_index("ix_mention_first_seen_at", "mention", ["first_seen_at"], unique=False)
    op.create_table(
        "mention_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("url", sa.String(), nullable=True),
        sa.Column("author_handle", sa.String(), nullable=True),
        sa.Column("lang", sa.String(), nullable=True),
        sa.Column("in_reply_to", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["mention_id"], ["mention.id"], name="fk_mention_version_mention_id_mention", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_mention_version"),
    )
    op.create_index("uq_mention_version_mention_id_number", "mention_version", ["mention_id", "number"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_mention_version_mention_id_number", table_name="mention_version")
    op.drop_table("mention_version")
    op.drop_index("ix_mention_first_seen_at", table_name="mention")
    op.drop_index("uq_mention_network_post_id", table_name="mention")
    op.drop_table("mention")
