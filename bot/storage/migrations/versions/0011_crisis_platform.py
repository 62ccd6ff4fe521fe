"""Which chat platform runs each crisis, so that one process can serve Slack and Teams together.

Each platform's scheduler then resumes, reminds and pages only its own crises: a Teams crisis
must never get a Slack channel, nor a Slack page card. Crises stored before this revision are
given the platform their addresses show (a Teams war room's id starts with ``19:``, a Teams
reply address names a service URL); every other one was served by Slack, since ``serve`` ran
one platform at a time (a console session's crisis in the same file counts as Slack's).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 18:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("crisis", sa.Column("platform", sa.String(), nullable=True))
    crisis = sa.table("crisis", sa.column("platform"), sa.column("room_id"), sa.column("reply_to"))
    teams = sa.or_(crisis.c.room_id.like("19:%"), crisis.c.reply_to.like('%"service_url"%'))
    op.execute(crisis.update().values(platform=sa.case((teams, "teams"), else_="slack")))


def downgrade() -> None:
    with op.batch_alter_table("crisis", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("platform")
