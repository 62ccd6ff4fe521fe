"""Listening: mentions as last seen (one per network and post id), their append-only versions, the
topics each is about, and "Possible crisis" alerts (one per spike, across replicas).

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
    op.create_index("ix_mention_first_seen_at", "mention", ["first_seen_at", "reach"], unique=False)
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

    op.create_table(
        "mention_topic",
        sa.Column("mention_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["mention_id"], ["mention.id"], name="fk_mention_topic_mention_id_mention", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("mention_id", "topic", name="pk_mention_topic"),
    )
    op.create_index("ix_mention_topic_topic_seen_at", "mention_topic", ["topic", "seen_at"], unique=False)
    op.create_table(
        "listening_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("topic", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("active_key", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_count", sa.Integer(), nullable=False),
        sa.Column("baseline_count", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("network", sa.String(), nullable=True),
        sa.Column("post_id", sa.String(), nullable=True),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.JSON(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dismiss_reason", sa.String(), nullable=True),
        sa.Column("crisis_number", sa.Integer(), nullable=True),
        sa.Column("card", sa.JSON(), nullable=True),
        sa.Column("lease_owner", sa.String(), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_listening_alert"),
    )
    op.create_index("uq_listening_alert_active_key", "listening_alert", ["active_key"], unique=True)
    op.create_index("ix_listening_alert_status", "listening_alert", ["status"], unique=False)
    op.create_table(
        "listening_digest",
        sa.Column("crisis_id", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["crisis_id"], ["crisis.id"], name="fk_listening_digest_crisis_id_crisis", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("crisis_id", name="pk_listening_digest"),
    )


def downgrade() -> None:
    op.drop_table("listening_digest")
    op.drop_index("ix_listening_alert_status", table_name="listening_alert")
    op.drop_index("uq_listening_alert_active_key", table_name="listening_alert")
    op.drop_table("listening_alert")
    op.drop_index("ix_mention_topic_topic_seen_at", table_name="mention_topic")
    op.drop_table("mention_topic")
    op.drop_index("uq_mention_version_mention_id_number", table_name="mention_version")
    op.drop_table("mention_version")
    op.drop_index("ix_mention_first_seen_at", table_name="mention")
    op.drop_index("uq_mention_network_post_id", table_name="mention")
    op.drop_table("mention")
