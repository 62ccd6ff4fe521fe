"""The use cases behind the door, each in its domain package, bundled for the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.crisis.declare import Declarer
from bot.core.crisis.lookup import Lookup
from bot.core.crisis.resolve import Resolver
from bot.core.crisis.timeline import Timeline
from bot.core.crisis.updates import Updates
from bot.core.drafts.service import DraftService
from bot.core.drills.service import Drills
from bot.core.escalation.paging import PagingService
from bot.core.escalation.severity import SeverityService
from bot.core.listening.alerts import Alerts
from bot.core.listening.evidence import MessageEvidence
from bot.core.listening.intake import Intake
from bot.core.plan.access import Access


@dataclass(frozen=True)
class UseCases:
    """Everything the door delegates to, built (all of it) by the composition root."""

    lookup: Lookup
    timeline: Timeline
    declarer: Declarer
    updates: Updates
    paging: PagingService
    severity: SeverityService
    drafts: DraftService
    resolver: Resolver
    drills: Drills
    access: Access
    intake: Intake
    alerts: Alerts
    evidence: MessageEvidence
