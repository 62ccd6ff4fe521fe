"""Drills: a crisis may be a drill (its script, clock and targets), and its injects are durable
timers, fired once across replicas like pages.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("crisis", sa.Column("drill", sa.JSON(), nullable=True))
    op.create_table(
        "drill_inject",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("crisis_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["crisis_id"], ["crisis.id"], name="fk_drill_inject_crisis_id_crisis", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_drill_inject"),
    )
    op.create_index("ix_drill_inject_due", "drill_inject", ["status", "due_at"], unique=False)
    op.create_index("uq_drill_inject_crisis_position", "drill_inject", ["crisis_id", "position"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_drill_inject_crisis_position", table_name="drill_inject")
    op.drop_index("ix_drill_inject_due", table_name="drill_inject")
    op.drop_table("drill_inject")
    with op.batch_alter_table("crisis") as batch:
        batch.drop_column("drill")
