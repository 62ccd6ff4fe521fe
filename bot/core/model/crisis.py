"""A crisis as the core sees it: who declared what, who is in it, and how its start went.

``NewCrisis`` is what a declaration asks the repository to save; ``Crisis`` is what was saved and
has its number. Keeping the two apart means no code can write to a crisis that has no number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from bot.core.model.drill import DrillInfo


class CrisisStatus(StrEnum):
    ACTIVE = "active"
    RESOLVED = "resolved"


class StepStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class StepKey(StrEnum):
    """The steps of a declaration, in the order they are listed to people."""

    CREATE_ROOM = "create_room"
    INVITE = "invite"
    KICKOFF = "kickoff"
    PIN = "pin"
    PAGE = "page"
    ANNOUNCE = "announce"
    ANSWER = "answer"


@dataclass(frozen=True)
class RetryPolicy:
    """How often, and how far apart, a failed step is tried again."""

    attempts: int
    after: timedelta


class Actor(BaseModel):
    """Who did something: their platform id and name, and their plan person id when known."""

    model_config = ConfigDict(frozen=True)

    platform_id: str
    name: str
    person_id: str | None = None


BOT = Actor(platform_id="crisisbot", name="crisisbot")


class Invocation(BaseModel):
    """A command as an adapter received it: who typed what, where."""

    model_config = ConfigDict(frozen=True)

    actor: Actor
    text: str
    channel_id: str | None = None


class Room(BaseModel):
    """A war room as the chat platform knows it."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    url: str | None = None


class Assignment(BaseModel):
    """A role of the chain of command and the people holding it, primary first."""

    model_config = ConfigDict(frozen=True)

    role_id: str
    role_name: str
    person_ids: list[str]
    paged: bool = False


class Step(BaseModel):
    """One step of a use case, recorded before it runs so a crash leaves an honest trace."""

    key: StepKey
    label: str
    status: StepStatus = StepStatus.PENDING
    detail: str = ""
    updated_at: datetime | None = None
    attempts: int = 0  # a failed step is tried again, a few times (see bot.core.crisis.declare)


class NewCrisis(BaseModel):
    """A crisis being declared, before the database gives it its number."""

    title: str
    details: str | None = None
    source_url: str | None = None
    request_key: str | None = None
    scenario_id: str
    severity_id: str
    status: CrisisStatus = CrisisStatus.ACTIVE
    declared_by: Actor
    declared_at: datetime
    room_name: str
    room: Room | None = None
    lead_person_id: str | None = None
    assignments: list[Assignment] = Field(default_factory=list)
    unreachable: dict[str, str] = Field(default_factory=dict)
    kickoff_message_id: str | None = None
    next_update_due: datetime | None = None
    review: dict[str, str] = Field(default_factory=dict)
    # where the declarer hears the outcome (a platform address, opaque to the core): any replica
    # that finishes the declaration can answer them
    reply_to: str | None = None
    # the severity asked for, when the plan did not let the declarer declare it (it was lowered)
    asked_severity: str | None = None
    resolved_at: datetime | None = None
    resolved_by: Actor | None = None
    resolution_summary: str | None = None
    steps: list[Step] = Field(default_factory=list)
    # a made-up crisis run for practice (``/crisis drill``): its script and clock
    drill: DrillInfo | None = None

    @property
    def speed(self) -> float:
        """How much faster than the wall clock this crisis's timers run (a drill's speed)."""
        return self.drill.speed if self.drill else 1.0


class Crisis(NewCrisis):
    """A declared crisis. ``number`` is the human id (CRISIS-0007) and never reused."""

    number: int

    @property
    def key(self) -> str:
        return crisis_key(self.number)

    @property
    def people(self) -> list[str]:
        """Everyone holding a role in the crisis, once, in chain-of-command order."""
        return list(dict.fromkeys(pid for a in self.assignments for pid in a.person_ids))

    @property
    def unfinished_steps(self) -> list[Step]:
        return [s for s in self.steps if s.status is not StepStatus.DONE]

    def step(self, key: StepKey) -> Step | None:
        return next((s for s in self.steps if s.key is key), None)


def crisis_key(number: int) -> str:
    return f"CRISIS-{number:04d}"
