"""The chain of command in motion: escalation, pages, acknowledgements and durable timers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.console.workspace import ConsoleChat
from bot.container import Core, Storage, build_core
from bot.core.commands import ResolveCommand, SeverityChangeCommand, StartCommand
from bot.core.messaging.message import Message
from bot.core.model.chat import PostedMessage
from bot.core.model.clock import ManualClock
from bot.core.model.crisis import Actor, Crisis, Invocation, StepKey, StepStatus
from bot.core.model.errors import ConflictError, PermissionDeniedError
from bot.core.model.events import EventKind, SeverityChanged
from bot.core.model.pages import PageStatus
from bot.core.plan.model import LoadedPlan
from bot.core.ports import DraftRenderer, Member
from bot.scheduler.loop import Scheduler
from tests.conftest import CoreFactory, person, workspace


class Rig:
    def __init__(
        self, loaded: LoadedPlan, engine: AsyncEngine, clock: ManualClock, renderer: DraftRenderer, **unreachable: str
    ) -> None:
        self.loaded = loaded
        self.clock = clock
        self.renderer = renderer
        self.store = Storage.on(engine)
        self.repo = self.store.crises
        self.pages = self.store.pages
        self.ws = workspace(loaded, **unreachable)
        self.core = self.replica("replica-1")
        self.service = self.core.service

    def replica(self, name: str) -> Core:
        return build_core(self.loaded, self.store, ConsoleChat(self.ws), self.renderer, self.clock, name)

    def scheduler(self, core: Core | None = None) -> Scheduler:
        return (core or self.core).scheduler

    def who(self, pid: str) -> Actor:
        return person(self.loaded, pid)

    def inv(self, text: str, pid: str, crisis: Crisis) -> Invocation:
        return Invocation(actor=self.who(pid), text=text, channel_id=crisis.room.id if crisis.room else None)

    async def said(self, crisis: Crisis) -> str:
        return "\n".join(p.message.plain_text() for p in self.ws.channels[crisis.room_name].posts)

    async def events(self, crisis: Crisis, kind: str) -> list[str]:
        return [e.text for e in await self.repo.timeline(crisis.number) if e.kind == kind]


@pytest.fixture
def rig(loaded_plan: LoadedPlan, engine: AsyncEngine, clock: ManualClock, renderer: DraftRenderer) -> Rig:
    return Rig(loaded_plan, engine, clock, renderer)


async def test_declaring_pages_the_primaries_with_acknowledge(rig: Rig) -> None:
    crisis = await rig.service.start(StartCommand("complaint", "sev3", "Late parcels"), rig.who("sofia"))
    pages = await rig.pages.pages_of(crisis.number)
    assert {(p.role_id, p.chain[0].person_id) for p in pages} == {
        ("crisis_lead", "amelie"),
        ("community_manager", "sofia"),
    }
    assert all(p.timeout_minutes == 30 for p in pages), "sev3 waits 30 minutes"
    assert "Paging @Amélie Laurent (Crisis lead)" in await rig.said(crisis)


async def test_an_unanswered_page_climbs_to_the_backup_then_up_the_ladder(rig: Rig) -> None:
    crisis = await rig.service.start(StartCommand("complaint", "sev3", "Late parcels"), rig.who("amelie"))
    await rig.service.handle(rig.inv("ack", "amelie", crisis))  # the lead answers; community manager does not
    scheduler = rig.scheduler()
    assert await scheduler.tick() == 0, "nothing is due before the timeout"
    rig.clock.advance(minutes=31)
    assert await scheduler.tick() == 1
    said = await rig.said(crisis)
    assert "No answer from Sofia Chen in 30 min: moving up." in said
    assert "Paging @Théo Marchand (Community manager)" in said
    rig.clock.advance(minutes=31)
    await scheduler.tick()
    assert "Paging @Amélie Laurent (Crisis lead)" in (await rig.said(crisis)).split("Théo Marchand")[-1]
    rig.clock.advance(minutes=31)
    await scheduler.tick()  # Marcus, the lead's backup
    rig.clock.advance(minutes=31)
    await scheduler.tick()
    assert "Nobody acknowledged the page for Community manager" in await rig.said(crisis)
    [page] = [p for p in await rig.pages.pages_of(crisis.number) if p.role_id == "community_manager"]
    assert page.status is PageStatus.EXHAUSTED
    assert [t.person_id for t in page.chain] == ["sofia", "theo", "amelie", "marcus"]


async def test_acknowledging_stops_the_chain_and_nobody_is_paged_again(rig: Rig) -> None:
    crisis = await rig.service.start(StartCommand("troll", "sev4", "Bot swarm"), rig.who("amelie"))
    [page] = await rig.pages.pages_of(crisis.number)
    reply = await rig.service.press("page_ack", str(page.id), rig.who("sofia"))
    assert "acknowledged (Community manager)" in reply.plain_text()
    again = await rig.service.press("page_ack", str(page.id), rig.who("sofia"))
    assert "already acknowledged by Sofia Chen" in again.plain_text()
    rig.clock.advance(hours=3)
    assert await rig.scheduler().tick() == 0
    assert len(await rig.events(crisis, "paged")) == 1


async def test_only_the_person_paged_or_a_lead_can_acknowledge(rig: Rig) -> None:
    crisis = await rig.service.start(StartCommand("troll", "sev4", "Bot swarm"), rig.who("amelie"))
    [page] = await rig.pages.pages_of(crisis.number)
    reply = await rig.service.press("page_ack", str(page.id), rig.who("jordan"))
    assert "This page is for Sofia Chen" in reply.plain_text()
    lead = await rig.service.press("page_ack", str(page.id), rig.who("marcus"))
    assert "acknowledged" in lead.plain_text()


async def test_escalating_invites_and_pages_what_the_new_severity_adds(rig: Rig) -> None:
    crisis = await rig.service.start(StartCommand("complaint", "sev3", "Shade cracks spreading"), rig.who("sofia"))
    reply = (await rig.service.handle(rig.inv("escalate Journalist asking", "jordan", crisis))).plain_text()
    assert "escalated CRISIS-0001 SEV3 → SEV2: Journalist asking" in reply
    assert "Invited: @Nadia Haddad, @Claire Dubois" in reply
    room = rig.ws.channels[crisis.room_name]
    assert {"nadia", "claire"} <= set(room.members)
    assert "executive_sponsor" not in {a.role_id for a in (await rig.repo.get(1) or crisis).assignments}
    pages = await rig.pages.pages_of(crisis.number)
    assert [p.role_id for p in pages][-1] == "press"
    assert pages[-1].timeout_minutes == 10, "the new severity's timeout"
    top = (await rig.service.handle(rig.inv("escalate sev1 National press", "jordan", crisis))).plain_text()
    assert "SEV2 → SEV1" in top
    assert "Julien" in top, "executives come in at sev1 only"
    refused = (await rig.service.handle(rig.inv("escalate", "jordan", crisis))).plain_text()
    assert "already at SEV1, the most severe level" in refused
    changes = [e.data for e in await rig.repo.timeline(1) if e.kind == "escalated"]
    assert all(isinstance(c, SeverityChanged) for c in changes)
    pairs = [(c.from_severity, c.to_severity) for c in changes if isinstance(c, SeverityChanged)]
    assert pairs == [("sev3", "sev2"), ("sev2", "sev1")]


async def test_permissions_from_the_plan(rig: Rig) -> None:
    crisis = await rig.service.start(StartCommand("complaint", "sev2", "Press call"), rig.who("amelie"))
    refused = (await rig.service.handle(rig.inv("deescalate", "sofia", crisis))).plain_text()
    assert "Only the crisis lead can deescalate CRISIS-0001" in refused
    down = (await rig.service.handle(rig.inv("deescalate Calmer now", "amelie", crisis))).plain_text()
    assert "SEV2 → SEV3" in down
    assert "Pages no longer needed at SEV3: Press & PR" in down
    with pytest.raises(PermissionDeniedError, match="Only the crisis lead can resolve"):
        await rig.service.resolve(ResolveCommand(1, ""), rig.inv("resolve", "jordan", crisis))
    wrong_way = (await rig.service.handle(rig.inv("escalate sev4", "amelie", crisis))).plain_text()
    assert "not a step up" in wrong_way
    assert "/crisis deescalate sev4" in wrong_way


async def test_lead_hand_over_and_take_over(rig: Rig) -> None:
    crisis = await rig.service.start(StartCommand("complaint", "sev3", "Hand over"), rig.who("amelie"))
    refused = (await rig.service.handle(rig.inv("lead me", "sofia", crisis))).plain_text()
    assert "Only the crisis lead" in refused
    handed = (await rig.service.handle(rig.inv("lead @marcus", "amelie", crisis))).plain_text()
    assert "Marcus Reid now leads CRISIS-0001" in handed
    saved = await rig.repo.get(1)
    assert saved is not None
    assert saved.lead_person_id == "marcus"
    taken = (await rig.service.handle(rig.inv("lead me", "amelie", crisis))).plain_text()
    assert "Amélie Laurent now leads" in taken
    open_lead_pages = [
        p for p in await rig.pages.pages_of(1, PageStatus.OPEN) if p.role_id == rig.loaded.plan.lead_role
    ]
    assert open_lead_pages == [], "taking over answers the lead's page"


async def test_resolved_crisis_cannot_be_escalated_and_its_pages_stop(rig: Rig) -> None:
    crisis = await rig.service.start(StartCommand("troll", "sev4", "Gone quiet"), rig.who("amelie"))
    await rig.service.resolve(ResolveCommand(1, "quiet"), rig.inv("resolve", "amelie", crisis))
    assert await rig.pages.pages_of(1, PageStatus.OPEN) == []
    reply = (await rig.service.handle(rig.inv("escalate CRISIS-0001", "amelie", crisis))).plain_text()
    assert "CRISIS-0001 is resolved" in reply
    reopened = await rig.repo.get(1)
    assert reopened is not None
    with pytest.raises(ConflictError):
        await rig.core.cases.severity.change_severity(SeverityChangeCommand(True), reopened, rig.who("amelie"))


async def test_a_person_who_cannot_be_reached_is_noted_and_the_chain_goes_on(
    loaded_plan: LoadedPlan, engine: AsyncEngine, clock: ManualClock, renderer: DraftRenderer
) -> None:
    rig = Rig(loaded_plan, engine, clock, renderer, sofia="no Slack account")
    crisis = await rig.service.start(StartCommand("troll", "sev4", "Unreachable"), rig.who("amelie"))
    assert "Could not send Sofia Chen a direct message (no Slack account); the page goes on." in await rig.said(crisis)
    clock.advance(minutes=61)
    assert await rig.scheduler().tick() == 1
    assert "Paging @Théo Marchand" in await rig.said(crisis)


async def test_a_restart_in_the_middle_of_a_timer_loses_nothing(rig: Rig) -> None:
    crisis = await rig.service.start(StartCommand("troll", "sev4", "Restart"), rig.who("amelie"))
    first = rig.scheduler()
    rig.clock.advance(minutes=61)
    claimed = await rig.pages.claim_due(first.holder, rig.clock.now(), rig.clock.now() + timedelta(minutes=2))
    assert len(claimed) == 1  # the first process claims the page, then dies before firing it
    restarted = rig.scheduler(rig.replica("replica-2"))
    assert await restarted.tick() == 0, "the dead process's lease has not expired yet"
    rig.clock.advance(minutes=3)
    assert await restarted.tick() == 1
    assert "Paging @Théo Marchand" in await rig.said(crisis)


@pytest.mark.postgres
async def test_two_replicas_fire_each_timer_exactly_once(
    loaded_plan: LoadedPlan, pg_url: str, clock: ManualClock, renderer: DraftRenderer
) -> None:
    from bot.storage.engine import create_async_db_engine

    engines = [create_async_db_engine(pg_url) for _ in range(2)]
    try:
        rigs = [Rig(loaded_plan, engine, clock, renderer) for engine in engines]
        crises = 60
        await asyncio.gather(
            *(
                rigs[0].service.start(StartCommand("troll", "sev4", f"Storm {i}"), rigs[0].who("amelie"))
                for i in range(crises)
            )
        )
        schedulers = [rigs[0].scheduler(rigs[0].replica("a")), rigs[1].scheduler(rigs[1].replica("b"))]
        clock.advance(minutes=61)
        # at most 6 pages a tick and 6 ticks each: neither replica can do all 60 alone
        rounds = await asyncio.gather(*(s.tick(limit=6) for _ in range(6) for s in schedulers))
        assert sum(rounds) == crises, "every due page moved once, whichever replica took it"
        assert all(s.fired >= crises - 36 for s in schedulers), "both replicas did part of the work"
        print(f"two replicas: {[s.fired for s in schedulers]} pages fired, {sum(rounds)} in all, {crises} due")
        for number in range(1, crises + 1):
            [page] = await rigs[0].pages.pages_of(number)
            assert page.position == 1
            paged = [e for e in await rigs[0].repo.timeline(number) if e.kind == "paged"]
            assert len(paged) == 2, f"crisis {number}: one page at declaration, one climb"
    finally:
        for engine in engines:
            await engine.dispose()


async def test_overdue_status_updates_are_reminded_once(rig: Rig) -> None:
    crisis = await rig.service.start(StartCommand("complaint", "sev3", "Quiet update"), rig.who("amelie"))
    assert crisis.next_update_due == rig.clock.now() + timedelta(minutes=120), "sev3: an update every two hours"
    scheduler, other = rig.scheduler(rig.replica("replica-a")), rig.scheduler(rig.replica("replica-b"))
    rig.clock.advance(minutes=100)
    await rig.service.handle(rig.inv("update Carrier found the pallet", "amelie", crisis))
    rig.clock.advance(minutes=100)
    await asyncio.gather(scheduler.tick(), other.tick())
    assert await rig.events(crisis, "update_overdue") == [], "the update reset the clock"
    rig.clock.advance(minutes=30)
    await asyncio.gather(scheduler.tick(), other.tick())
    await asyncio.gather(scheduler.tick(), other.tick())
    assert len(await rig.events(crisis, "update_overdue")) == 1, "one reminder, whichever replica sent it"
    assert "post one with /crisis update" in await rig.said(crisis)
    rig.clock.advance(minutes=1)
    await rig.service.handle(rig.inv("update Replacements shipped", "amelie", crisis))
    rig.clock.advance(minutes=121)
    await scheduler.tick()
    assert len(await rig.events(crisis, "update_overdue")) == 2, "the next missed update is reminded again"


async def test_ack_covers_only_your_pages_unless_a_lead_says_all(rig: Rig) -> None:
    crisis = await rig.service.start(StartCommand("complaint", "sev1", "All hands"), rig.who("amelie"))
    mine = (await rig.service.handle(rig.inv("ack", "amelie", crisis))).plain_text()
    assert "acknowledged (Crisis lead)" in mine
    again = (await rig.service.handle(rig.inv("ack", "amelie", crisis))).plain_text()
    assert "Nothing in CRISIS-0001 is waiting for your acknowledgement" in again
    assert "/crisis ack all" in again
    still_open = {p.role_id for p in await rig.pages.pages_of(1, PageStatus.OPEN)}
    assert {"press", "legal", "executive_sponsor"} <= still_open, "one ack never silences the other roles"
    refused = (await rig.service.handle(rig.inv("ack all", "sofia", crisis))).plain_text()
    assert "Only the crisis lead can acknowledge every page" in refused
    everything = (await rig.service.handle(rig.inv("ack all", "amelie", crisis))).plain_text()
    assert "Legal" in everything
    assert await rig.pages.pages_of(1, PageStatus.OPEN) == []


async def test_moving_a_crisis_needs_its_war_room_or_its_name_and_a_plan_person(rig: Rig) -> None:
    crisis = await rig.service.start(StartCommand("troll", "sev4", "Elsewhere"), rig.who("amelie"))
    outside = Invocation(actor=rig.who("jordan"), text="escalate", channel_id="general")
    assert "Run this in the crisis's war room, or name the crisis" in (await rig.service.handle(outside)).plain_text()
    named = Invocation(actor=rig.who("jordan"), text="escalate CRISIS-0001 Spreading", channel_id="general")
    assert "SEV4 → SEV3" in (await rig.service.handle(named)).plain_text()
    guest = Invocation(actor=Actor(platform_id="U0GUEST", name="Guest"), text="escalate", channel_id=crisis.room_name)
    assert "not in Maison Lumen's crisis plan" in (await rig.service.handle(guest)).plain_text()


async def test_two_escalations_at_once_move_one_level_once(rig: Rig) -> None:
    await rig.service.start(StartCommand("complaint", "sev3", "Race"), rig.who("amelie"))
    # Both people read the crisis at SEV3 before either writes: the race this guards against. Each
    # works on its own copy of that reading, so the interleaving holds whatever the scheduling.
    seen = await rig.repo.get(1)
    assert seen is not None
    severity = rig.core.cases.severity
    results = await asyncio.gather(
        severity.change_severity(SeverityChangeCommand(True), seen.model_copy(deep=True), rig.who("jordan")),
        severity.change_severity(SeverityChangeCommand(True), seen.model_copy(deep=True), rig.who("sofia")),
        return_exceptions=True,
    )
    moved = [r for r in results if isinstance(r, Message)]
    refused = [r for r in results if isinstance(r, ConflictError)]
    assert len(moved) == 1
    assert "SEV3 → SEV2" in moved[0].plain_text()
    assert len(refused) == 1
    assert "changed meanwhile" in str(refused[0])
    assert len([p for p in await rig.pages.pages_of(1) if p.role_id == "press"]) == 1


async def test_going_back_up_pages_a_role_again(rig: Rig) -> None:
    crisis = await rig.service.start(StartCommand("complaint", "sev2", "Up down up"), rig.who("amelie"))
    await rig.service.handle(rig.inv("deescalate", "amelie", crisis))
    await rig.service.handle(rig.inv("escalate", "amelie", crisis))
    press = [p for p in await rig.pages.pages_of(1) if p.role_id == "press"]
    assert [p.status for p in press] == [PageStatus.CANCELLED, PageStatus.OPEN]


async def test_an_exhausted_page_can_be_covered_by_the_lead(rig: Rig) -> None:
    crisis = await rig.service.start(StartCommand("troll", "sev4", "Nobody home"), rig.who("marcus"))
    for _ in range(4):
        rig.clock.advance(minutes=61)
        await rig.scheduler().tick()
    [page] = await rig.pages.pages_of(1)
    assert page.status is PageStatus.EXHAUSTED
    covered = (await rig.service.handle(rig.inv("ack all", "amelie", crisis))).plain_text()
    assert "acknowledged (Community manager)" in covered


async def test_only_people_of_the_plan_answer_the_review(rig: Rig) -> None:
    crisis = await rig.service.start(StartCommand("troll", "sev4", "Review"), rig.who("amelie"))
    guest = Actor(platform_id="U0GUEST", name="Guest")
    with pytest.raises(PermissionDeniedError, match="for the people of the plan"):
        await rig.core.cases.updates.save_review(crisis, guest, {"went_well": "all of it"})
    saved = await rig.core.cases.updates.save_review(crisis, rig.who("amelie"), {"went_well": "Fast", "bogus": "x"})
    assert "review of CRISIS-0001 is saved" in saved.plain_text()
    stored = await rig.repo.get(1)
    assert stored is not None
    assert stored.review == {"went_well": "Fast"}


class BuggyChat(ConsoleChat):
    """A chat adapter with a bug: it breaks the port's contract with a KeyError."""

    async def notify(self, member: Member, message: Message, *, key: str | None = None) -> PostedMessage:
        raise KeyError(member.person_id)


async def test_a_bug_in_the_chat_adapter_is_not_dressed_up_as_a_platform_refusal(
    loaded_plan: LoadedPlan, make_core: CoreFactory, caplog: pytest.LogCaptureFixture
) -> None:
    ws = workspace(loaded_plan)
    core = make_core(BuggyChat(ws))
    crisis = await core.service.start(StartCommand("troll", "sev4", "Buggy"), person(loaded_plan, "amelie"))
    events = await core.store.crises.timeline(crisis.number)
    assert not [e for e in events if e.kind == EventKind.PAGE_FAILED], "a bug is not 'could not reach Sofia'"
    page = crisis.step(StepKey.PAGE)
    assert page is not None
    assert page.status is StepStatus.FAILED
    assert page.detail == "unexpected error (KeyError)"
    [logged] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert logged.exc_info is not None, "logged once, with its traceback"
