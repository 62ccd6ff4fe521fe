"""Slack and Teams in one process: a core per platform on one database, each running only its own
crises. A Teams crisis must never get a Slack channel, a Slack page card or a Slack reminder."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.console.workspace import ConsoleChat
from bot.container import Storage, build_core
from bot.core.commands import StartCommand
from bot.core.model.clock import ManualClock
from bot.core.model.crisis import Invocation
from bot.core.plan.model import LoadedPlan
from bot.core.ports import DraftRenderer
from tests.conftest import person, workspace
from tests.core.listening.test_alerts import baseline, burst, cards


class TwoPlatforms:
    """Two cores on one database, as ``serve`` wires them; each console workspace stands for one
    platform, so what a platform's chat did is what its workspace shows."""

    def __init__(self, loaded: LoadedPlan, engine: AsyncEngine, renderer: DraftRenderer, clock: ManualClock) -> None:
        self.loaded = loaded
        self.store = Storage.on(engine)
        self.ws = {"slack": workspace(loaded), "teams": workspace(loaded)}
        self.core = {
            name: build_core(
                loaded, self.store.scoped(name), ConsoleChat(self.ws[name]), renderer, clock, f"host-{name}",
                listening=name == "slack",
            )
            for name in ("slack", "teams")
        }  # fmt: skip

    def rooms(self, platform: str) -> set[str]:
        return {name for name in self.ws[platform].channels if name.startswith("crisis-") and "announce" not in name}

    async def tick_all(self) -> None:
        for core in self.core.values():
            await core.scheduler.tick()


async def test_each_platform_declares_in_its_own_chat_and_lists_only_its_own(
    loaded_plan: LoadedPlan, engine: AsyncEngine, renderer: DraftRenderer, clock: ManualClock
) -> None:
    two = TwoPlatforms(loaded_plan, engine, renderer, clock)
    amelie = person(loaded_plan, "amelie")
    in_slack = await two.core["slack"].service.start(StartCommand("complaint", "sev3", "Late parcels"), amelie)
    in_teams = await two.core["teams"].service.start(StartCommand("troll", "sev4", "Bot swarm"), amelie)
    assert two.rooms("slack") == {in_slack.room_name}
    assert two.rooms("teams") == {in_teams.room_name}
    assert in_teams.number == in_slack.number + 1, "one numbering: CRISIS-0002 names one crisis everywhere"

    listed = await two.core["teams"].service.handle(Invocation(actor=amelie, text="list"))
    assert in_teams.key in listed.plain_text()
    assert in_slack.key not in listed.plain_text()
    named = await two.core["teams"].service.handle(Invocation(actor=amelie, text=f"status {in_slack.key}"))
    assert f"There is no crisis {in_slack.key}" in named.plain_text()
    # the only active crisis *here* is the one a bare command means
    status = await two.core["slack"].service.handle(Invocation(actor=amelie, text="status"))
    assert in_slack.title in status.plain_text()
    # the command line's reports see both
    assert {c.number for c in await Storage.on(engine).crises.list_crises()} == {in_slack.number, in_teams.number}


async def test_an_unfinished_declaration_is_resumed_only_by_its_own_platform(
    loaded_plan: LoadedPlan, engine: AsyncEngine, renderer: DraftRenderer, clock: ManualClock
) -> None:
    two = TwoPlatforms(loaded_plan, engine, renderer, clock)
    amelie = person(loaded_plan, "amelie")
    # accepted in Teams, then the process died before the steps ran: a restart resumes it
    reserved = await two.core["teams"].cases.declarer.reserve(StartCommand("complaint", "sev3", "Late parcels"), amelie)
    restarted = {
        name: build_core(
            loaded_plan, two.store.scoped(name), ConsoleChat(two.ws[name]), renderer, clock, f"host-{name}"
        )
        for name in ("slack", "teams")
    }  # fmt: skip
    assert await restarted["slack"].service.resume_unfinished() == []
    assert two.rooms("slack") == set()
    await restarted["teams"].service.resume_unfinished()
    assert two.rooms("teams") == {reserved.room_name}
    assert two.rooms("slack") == set()


async def test_pages_and_reminders_fire_through_the_platform_of_their_crisis(
    loaded_plan: LoadedPlan, engine: AsyncEngine, renderer: DraftRenderer, clock: ManualClock
) -> None:
    two = TwoPlatforms(loaded_plan, engine, renderer, clock)
    amelie = person(loaded_plan, "amelie")
    crisis = await two.core["teams"].service.start(StartCommand("complaint", "sev3", "Late parcels"), amelie)
    direct_before = {p: len(v) for p, v in two.ws["teams"].direct.items()}
    assert direct_before, "the declaration paged people in Teams"
    clock.advance(minutes=31)  # sev3 pages wait 30 minutes, then climb
    assert await two.core["slack"].scheduler.tick() == 0, "Slack's scheduler leaves Teams pages alone"
    assert await two.core["teams"].scheduler.tick() > 0
    assert two.ws["slack"].direct == {}
    assert {p: len(v) for p, v in two.ws["teams"].direct.items()} != direct_before, "the page climbed in Teams"
    clock.advance(hours=3)  # the status update is overdue: reminded in the war room, in Teams
    await two.tick_all()
    said = "\n".join(p.message.plain_text() for p in two.ws["teams"].channels[crisis.room_name].posts)
    assert f"Status update for {crisis.key} was due" in said
    assert two.rooms("slack") == set()
    assert all(not ch.posts for ch in two.ws["slack"].channels.values())


async def test_only_the_listening_platform_posts_the_possible_crisis_card(
    loaded_plan: LoadedPlan, engine: AsyncEngine, renderer: DraftRenderer, clock: ManualClock
) -> None:
    two = TwoPlatforms(loaded_plan, engine, renderer, clock)  # listening on Slack
    teams = two.core["teams"]
    await baseline(teams, clock)  # mentions come in through any door: the store is shared
    await burst(teams, clock, 30)
    for _ in range(2):
        await two.core["teams"].scheduler.tick()  # Teams ticks first, and more: still no card there
    await two.core["slack"].scheduler.tick()
    assert cards(two.ws["teams"]) == []
    [card] = cards(two.ws["slack"])
    assert "Possible crisis: Late and lost deliveries" in card.plain_text()
