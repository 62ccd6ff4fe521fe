"""Reply drafts as saved: their text, who wrote, approved and published them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from bot.core.model.chat import PostedMessage
from bot.core.model.crisis import Actor


class DraftStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    PUBLISHED = "published"


class NewDraft(BaseModel):
    """A draft before it is saved. ``approved_hash`` freezes the approved text: any edit after
    approval changes the text, no longer matches, and needs a new approval."""

    crisis_number: int
    scenario: str
    stage: str
    lang: str
    text: str
    values: dict[str, str] = Field(default_factory=dict)
    author: Actor
    status: DraftStatus = DraftStatus.DRAFT
    edited: bool = False
    reviewer_role: str | None = None
    created_at: datetime
    updated_at: datetime
    approved_by: Actor | None = None
    approved_at: datetime | None = None
    approved_hash: str | None = None
    published_by: Actor | None = None
    published_at: datetime | None = None
    published_url: str | None = None
    review_posted: PostedMessage | None = None  # the review request, updated once it is answered

    def reset_approval(self) -> None:
        """Back to an open draft: the text changed, or the approver no longer fits the severity."""
        self.status, self.approved_by, self.approved_at, self.approved_hash = DraftStatus.DRAFT, None, None, None


class Draft(NewDraft):
    id: int
