"""The oldest crisisbot version that can still run on this schema, for rolling upgrades.

An upgrade migrates first, then replaces the replicas one by one: meanwhile the old ones run on
the new schema. A replica used to call itself not ready on any schema but its own, so the moment
the migration ended every old replica left the rotation and nobody served until a new one was up.
Each migration now records the oldest code revision it keeps working (``schema_compat``): one that
only adds (a table, a nullable column) leaves it unchanged, one that removes or renames something
the old code reads sets it to its own revision. A replica is ready on a newer schema whose oldest
code is not newer than itself.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 19:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    compat = op.create_table(
        "schema_compat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("oldest_code", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # this revision only adds a table: the code of 0011 runs on it as before
    op.bulk_insert(compat, [{"id": 1, "oldest_code": "0011"}])


def downgrade() -> None:
    op.drop_table("schema_compat")
