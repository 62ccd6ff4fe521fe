"""New crises are written in groups: one transaction for all the declarations waiting to be stored.

A declaration is stored before its acknowledgement goes out, and Slack shows an error after three
seconds. On SQLite, writers take turns, so twenty declarations at once written one by one would
make the last wait for nineteen transactions. Instead, while one group is being written the next
ones queue up, and the next transaction stores them all (a "group commit"): the wait grows with
the number of groups, not of declarations. Every declaration still gets its own answer: a
duplicate or a taken room name fails that one alone.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from bot.core.model.crisis import Crisis, NewCrisis
from bot.core.model.errors import DuplicateRequestError, RoomNameTakenError
from bot.core.model.events import TimelineEvent
from bot.core.model.urgency import urgent
from bot.storage.mapping import crisis_record, event_record, values
from bot.storage.sessions import Sessions, violates
from bot.storage.tables import REQUEST_KEY_CONSTRAINT, ROOM_NAME_CONSTRAINT

CRISIS, STEP, EVENT = (SQLModel.metadata.tables[t] for t in ("crisis", "crisis_step", "timeline_event"))
# values go as parameters, so one cached statement serves every group; RETURNING in the order
# of the parameters gives each declaration its number
INSERT_CRISES = insert(CRISIS).returning(CRISIS.c.id, sort_by_parameter_order=True)
MAX_GROUP = 100


@dataclass
class NewRow:
    """One declaration waiting to be stored, and where its caller waits for the outcome."""

    crisis: NewCrisis
    holder: str | None
    until: datetime | None
    keys: list[str]
    first_event: Callable[[Crisis], TimelineEvent] | None
    platform: str | None
    outcome: asyncio.Future[Crisis] = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    def __post_init__(self) -> None:
        # a caller cancelled at its deadline no longer reads the outcome: nothing to warn about
        self.outcome.add_done_callback(lambda done: done.cancelled() or done.exception())

    def fail(self, exc: BaseException) -> None:
        if not self.outcome.done():
            self.outcome.set_exception(exc)


class CrisisInserts:
    """Writes the waiting declarations in groups, each in one transaction (``Sessions.run``)."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions
        self._waiting: list[NewRow] = []
        self._writer: asyncio.Task[None] | None = None

    async def insert(self, row: NewRow) -> Crisis:
        self._waiting.append(row)
        if self._writer is None or self._writer.done():
            # a task of its own: a caller cancelled at its deadline must not cancel the others'
            self._writer = asyncio.ensure_future(self._write_while_waiting())
        try:
            return await asyncio.shield(row.outcome)
        except asyncio.CancelledError:
            # the caller gave up (its acknowledgement's deadline): a row not written yet never
            # will be, so that caller's "not stored" is true
            self._waiting = [waiting for waiting in self._waiting if waiting is not row]
            raise

    async def _write_while_waiting(self) -> None:
        with urgent():  # someone waits on every one of these (an acknowledgement, a form)
            while self._waiting:
                group, self._waiting = self._waiting[:MAX_GROUP], self._waiting[MAX_GROUP:]
                try:
                    await self._write(group)
                except IntegrityError:
                    # a race with another replica that the look-up could not see: one by one,
                    # so only the declaration that clashed fails
                    for one in group:
                        await self._write_alone(one)
                except BaseException as exc:
                    for one in group:
                        one.fail(exc)
                    if not isinstance(exc, Exception):
                        raise

    async def _write_alone(self, row: NewRow) -> None:
        try:
            await self._write([row])
        except IntegrityError as exc:
            if violates(exc, ROOM_NAME_CONSTRAINT, "crisis.room_name"):
                row.fail(RoomNameTakenError(row.crisis.room_name))
            elif row.crisis.request_key and violates(exc, REQUEST_KEY_CONSTRAINT, "crisis.request_key"):
                row.fail(DuplicateRequestError(row.crisis.request_key))
            else:
                row.fail(exc)
        except Exception as exc:
            row.fail(exc)

    async def _write(self, group: Sequence[NewRow]) -> None:
        """One transaction for the group; outcomes are set only once it committed."""
        outcomes = await self._sessions.run(functools.partial(write_group, group=group))
        for row, outcome in zip(group, outcomes, strict=True):
            if row.outcome.done():
                continue
            if isinstance(outcome, Crisis):
                row.outcome.set_result(outcome)
            else:
                row.outcome.set_exception(outcome)


def write_group(db: Connection, group: Sequence[NewRow]) -> list[Crisis | Exception]:
    """Store the group in the caller's transaction: for each declaration, the crisis with its
    number, or why it was refused (a duplicate, a taken room name). Plain code, no awaiting."""
    keys = [k for row in group for k in row.keys]
    rooms = [row.crisis.room_name for row in group]
    # A cheap look first, so the usual clash (same title twice a day) does not burn a
    # PostgreSQL sequence value and leave a gap in the crisis numbers. The unique
    # constraints still decide when two replicas race.
    clash = or_(CRISIS.c.request_key.in_(keys), CRISIS.c.room_name.in_(rooms))
    found = db.execute(select(CRISIS.c.request_key, CRISIS.c.room_name).where(clash)).all()
    taken_keys = {key for key, _ in found if key is not None}
    taken_rooms = {room for _, room in found}
    refused: dict[int, Exception] = {}
    for i, row in enumerate(group):  # also between declarations of the same group: the first wins
        if duplicate := next((k for k in row.keys if k in taken_keys), None):
            refused[i] = DuplicateRequestError(duplicate)
        elif row.crisis.room_name in taken_rooms:
            refused[i] = RoomNameTakenError(row.crisis.room_name)
        else:
            taken_keys.update(row.keys)
            taken_rooms.add(row.crisis.room_name)
    accepted = [row for i, row in enumerate(group) if i not in refused]
    created = iter(_insert(db, accepted) if accepted else [])
    return [refused[i] if i in refused else next(created) for i in range(len(group))]


def _insert(db: Connection, rows: Sequence[NewRow]) -> list[Crisis]:
    records = [{**crisis_record(row.crisis, row.holder, row.until), "platform": row.platform} for row in rows]
    numbers = [int(n) for n in db.execute(INSERT_CRISES, records).scalars()]
    # the declaration was validated as it was made: the stored crisis is it, with its number
    created = [
        Crisis.model_construct(**dict(row.crisis), number=number) for row, number in zip(rows, numbers, strict=True)
    ]
    steps = [
        {"crisis_id": crisis.number, "position": i, **values(step)}
        for crisis in created
        for i, step in enumerate(crisis.steps)
    ]
    if steps:
        db.execute(insert(STEP), steps)
    events = [
        event_record(crisis.number, row.first_event(crisis))
        for row, crisis in zip(rows, created, strict=True)
        if row.first_event is not None
    ]
    if events:
        db.execute(insert(EVENT), events)
    return created
