"""What a chat platform gave back for a message the bot posted: enough to update it later."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class PostedMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    channel_id: str
    message_id: str
    permalink: str | None = None


class Attachment(BaseModel):
    """A file the bot attaches to a conversation (a report as Markdown or JSON)."""

    model_config = ConfigDict(frozen=True)

    filename: str
    title: str
    content: str
