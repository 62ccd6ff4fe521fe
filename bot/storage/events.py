"""Processed Slack event ids, so a retried event (X-Slack-Retry-Num) is handled once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.sessions import sessions
from bot.storage.tables import ProcessedEventRow


class SqlProcessedEvents:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = sessions(engine)

    async def first_time(self, event_id: str, at: datetime) -> bool:
        """True the first time an id is seen, on any replica; the primary key decides."""
        async with self._sessions() as session:
            session.add(ProcessedEventRow(event_id=event_id, at=at))
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()
                return False
        return True
