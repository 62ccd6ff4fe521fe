"""Where a page's card and direct message, and a draft's review request, were posted: once the
page is answered (or moves on) and the draft reviewed, they are updated, with no button left.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # {"card": {"channel_id": ..., "message_id": ...}, "dm": {...}} of the position delivered last
    op.add_column("page", sa.Column("posted", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    op.add_column("draft", sa.Column("review_posted", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("draft") as batch:
        batch.drop_column("review_posted")
    with op.batch_alter_table("page") as batch:
        batch.drop_column("posted")
