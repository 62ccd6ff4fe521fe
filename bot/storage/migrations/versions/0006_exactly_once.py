"""Exactly-once declaration steps: idempotency keys on timeline events and pages, where to give
the declarer the final answer, which position of a page was delivered; and the severity a
declarer asked for when the plan did not let them declare it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("crisis", sa.Column("reply_to", sa.String(), nullable=True))
    # a severity worse than the declarer may declare, lowered to what they may (the lead escalates)
    op.add_column("crisis", sa.Column("asked_severity", sa.String(), nullable=True))
    op.add_column("timeline_event", sa.Column("key", sa.String(), nullable=True))
    # NULL keys never clash (SQL's rule on both backends): only keyed events are kept unique
    op.create_index("uq_timeline_event_crisis_id_key", "timeline_event", ["crisis_id", "key"], unique=True)
    op.add_column("page", sa.Column("key", sa.String(), nullable=True))
    op.create_index("uq_page_crisis_id_key", "page", ["crisis_id", "key"], unique=True)
    # the position whose card and direct message went out; -1: none yet
    op.add_column("page", sa.Column("delivered", sa.Integer(), nullable=False, server_default=sa.text("-1")))
    # how often a step ran: a failed step (Slack down for a minute) is tried again a few times
    op.add_column("crisis_step", sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")))


def downgrade() -> None:
    with op.batch_alter_table("crisis_step") as batch:
        batch.drop_column("attempts")
    with op.batch_alter_table("page") as batch:
        batch.drop_index("uq_page_crisis_id_key")
        batch.drop_column("delivered")
        batch.drop_column("key")
    with op.batch_alter_table("timeline_event") as batch:
        batch.drop_index("uq_timeline_event_crisis_id_key")
        batch.drop_column("key")
    with op.batch_alter_table("crisis", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("asked_severity")
        batch.drop_column("reply_to")
