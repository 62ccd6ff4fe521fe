"""When a drill ends (resolved, or ``/crisis drill end``): no inject fires any more, the drill's
clock stops, and the scorecard goes to the war room for the review."""

from __future__ import annotations

import logging

from bot.core.context import Context, UseCase
from bot.core.drills.actions import team_actions
from bot.core.drills.scorecard import Scorecard, scorecard
from bot.core.messaging.drills import scorecard_message
from bot.core.model.crisis import Crisis
from bot.core.model.errors import ChatPlatformError
from bot.core.model.events import EventKind
from bot.core.ports import DraftRepository, DrillRepository
from bot.core.reports.figures import figures

log = logging.getLogger(__name__)


class DrillWrapUp(UseCase):
    def __init__(self, ctx: Context, injects: DrillRepository, drafts: DraftRepository) -> None:
        super().__init__(ctx)
        self.injects = injects
        self.drafts = drafts

    async def card(self, crisis: Crisis) -> Scorecard:
        assert crisis.drill is not None, "only a drill has a scorecard"
        events = await self.timeline.events(crisis.number)
        drafts = await self.drafts.drafts_of(crisis.number)
        times = figures(crisis, events, drafts).times
        scheduled = await self.injects.injects_of(crisis.number)
        return scorecard(crisis, crisis.drill, times, team_actions(events), events, scheduled, self.clock.now())

    async def end(self, crisis: Crisis) -> None:
        """Once per drill, whoever ends it: the ``drill_ended`` event is recorded once."""
        if crisis.drill is None:
            return
        await self.injects.cancel_pending(crisis.number)
        if crisis.drill.ended_at is None:
            crisis.drill = crisis.drill.model_copy(update={"ended_at": self.clock.now()})
            await self.crises.update(crisis, {"drill"})
        if not await self.timeline.record(crisis.number, EventKind.DRILL_ENDED, "The drill ended", key="drill_ended"):
            return
        card = await self.card(crisis)
        if crisis.room is not None:
            try:
                await self.chat_for(crisis).post(crisis.room.id, scorecard_message(card))
            except ChatPlatformError as exc:  # it is in `crisisbot report --drills` all the same
                log.warning("the scorecard of %s was not posted: %s", crisis.key, exc.user_message)
