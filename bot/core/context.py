"""What every use case works with, passed once instead of six times over.

The plan, the crises, the chat, the clock, the timeline and the plan's access rules are the
same for every use case of a process; each use case adds only what is its own (the page
repository, the renderer, another use case it builds on).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.crisis.timeline import Timeline
from bot.core.drills.labels import DrillChat
from bot.core.model.crisis import Crisis
from bot.core.plan.access import Access
from bot.core.plan.model import LoadedPlan
from bot.core.ports import ChatPort, Clock, CrisisRepository, NoTelemetry, Telemetry


@dataclass(frozen=True)
class Context:
    loaded: LoadedPlan
    crises: CrisisRepository
    chat: ChatPort
    clock: Clock
    timeline: Timeline
    access: Access
    telemetry: Telemetry = field(default_factory=NoTelemetry)


class UseCase:
    def __init__(self, ctx: Context) -> None:
        self.loaded = ctx.loaded
        self.plan = ctx.loaded.plan
        self.crises = ctx.crises
        self.chat = ctx.chat
        self.clock = ctx.clock
        self.timeline = ctx.timeline
        self.access = ctx.access
        self.telemetry = ctx.telemetry

    def chat_for(self, crisis: Crisis) -> ChatPort:
        """The chat to use for ``crisis``: for a drill, one that labels every message DRILL."""
        return DrillChat(self.chat) if crisis.drill is not None else self.chat
