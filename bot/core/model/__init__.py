"""The core's vocabulary: crises, timeline events, drafts, pages, buttons, permissions, errors."""

from bot.core.model.actions import Action, FormKind
from bot.core.model.clock import ManualClock, SystemClock
from bot.core.model.crisis import (
    BOT,
    Actor,
    Assignment,
    Crisis,
    CrisisStatus,
    Invocation,
    NewCrisis,
    Room,
    Step,
    StepKey,
    StepStatus,
    crisis_key,
)
from bot.core.model.drafts import Draft, DraftStatus, NewDraft
from bot.core.model.events import EventKind, TimelineEvent
from bot.core.model.pages import NewPage, Page, PageStatus, PageTarget
from bot.core.model.permissions import Permission, Rule

__all__ = [
    "BOT",
    "Action",
    "Actor",
    "Assignment",
    "Crisis",
    "CrisisStatus",
    "Draft",
    "DraftStatus",
    "EventKind",
    "FormKind",
    "Invocation",
    "ManualClock",
    "NewCrisis",
    "NewDraft",
    "NewPage",
    "Page",
    "PageStatus",
    "PageTarget",
    "Permission",
    "Room",
    "Rule",
    "Step",
    "StepKey",
    "StepStatus",
    "SystemClock",
    "TimelineEvent",
    "crisis_key",
]
