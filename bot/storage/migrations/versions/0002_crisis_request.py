"""What the declaring request said and who sent it; who is running its steps.

``details``, ``source_url`` and ``request_key`` come from the declaring request. ``lease_owner``
and ``lease_until`` say which process runs the start steps, so that a restarted or second
replica finishes a crashed declaration once, and only once the lease has expired.

``request_key`` is unique so that a double click or a retried request finds the crisis it already
declared instead of creating a second one. NULLs do not clash on SQLite or PostgreSQL.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 17:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ADD COLUMN and CREATE INDEX: no batch mode, because rebuilding the table on SQLite
    # would drop its AUTOINCREMENT (crisis numbers must never be reused)
    op.add_column("crisis", sa.Column("details", sa.String(), nullable=True))
    op.add_column("crisis", sa.Column("source_url", sa.String(), nullable=True))
    op.add_column("crisis", sa.Column("request_key", sa.String(), nullable=True))
    op.create_index("uq_crisis_request_key", "crisis", ["request_key"], unique=True)
    op.add_column("crisis", sa.Column("lease_owner", sa.String(), nullable=True))
    op.add_column("crisis", sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_index("uq_crisis_request_key", table_name="crisis")
    with op.batch_alter_table("crisis", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("lease_until")
        batch.drop_column("lease_owner")
        batch.drop_column("request_key")
        batch.drop_column("source_url")
        batch.drop_column("details")
