"""Status-update cadence, the post-incident review, and processed Slack event ids.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 17:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("crisis", sa.Column("next_update_due", sa.DateTime(timezone=True), nullable=True))
    op.add_column("crisis", sa.Column("update_reminded_for", sa.DateTime(timezone=True), nullable=True))
    # existing crises have no review yet: an empty JSON object, so the column can be NOT NULL
    op.add_column("crisis", sa.Column("review", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    op.create_table(
        "processed_event",
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_processed_event"),
    )


def downgrade() -> None:
    op.drop_table("processed_event")
    with op.batch_alter_table("crisis", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("review")
        batch.drop_column("update_reminded_for")
        batch.drop_column("next_update_due")
