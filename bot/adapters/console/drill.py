"""A drill played through, with nobody answering: what a facilitator reads the day before.

It runs the real drill (the declaration, its labels, its injects on the drill's clock, the
scorecard) in a console workspace on a throwaway database, so a facilitator sees every inject
as the team will, and the scorecard a silent team would get. ``wait``: on the wall clock at the
drill's speed; otherwise the clock jumps from one inject to the next.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from rich.console import Console
from rich.text import Text

from bot.adapters.console.workspace import ConsoleChat, ConsoleWorkspace
from bot.container import build_core, scratch_storage
from bot.core.model.clock import ManualClock, SystemClock
from bot.core.model.crisis import Actor, Invocation
from bot.core.plan.model import LoadedPlan
from bot.core.ports import DraftRenderer

# a fixed start, so a dry run prints the same every time (and can be compared with a golden file)
DRY_RUN_START = datetime.fromisoformat("2026-01-05T09:00:00+00:00")


async def run_drill(
    loaded: LoadedPlan, renderer: DraftRenderer, script_id: str, speed: float, wait: bool, console: Console
) -> None:
    script = loaded.drills[script_id]
    lead = loaded.plan.roles[loaded.plan.lead_role].people[0]
    facilitator = Actor(platform_id=lead, name=loaded.plan.person_name(lead), person_id=lead)
    clock = SystemClock() if wait else ManualClock(DRY_RUN_START)
    async with scratch_storage() as store:
        workspace = ConsoleWorkspace(loaded.plan, console)
        core = build_core(loaded, store, ConsoleChat(workspace), renderer, clock)
        console.print(
            Text(f"Drill {script_id}: {script.title}, {script.duration:g} drill minutes at {speed:g}x", style="bold")
        )
        text = f"drill --script {script_id} --speed {speed:g}"
        workspace.show(await core.service.handle(Invocation(actor=facilitator, text=text)), title="crisisbot")
        crisis = await core.store.crises.get(1)  # the only crisis of a throwaway database
        if crisis is None or crisis.drill is None:
            raise RuntimeError("the drill was not stored")
        ends = crisis.drill.started_at + crisis.drill.real(script.duration)
        for inject in await core.store.drills.injects_of(crisis.number):
            await _until(clock, inject.due_at)
            await core.scheduler.tick()
        await _until(clock, ends)
        crisis = await core.store.crises.get(1)
        if crisis is None:
            raise RuntimeError("the drill was not stored")
        end = Invocation(actor=facilitator, text="drill end", channel_id=crisis.room_name)
        workspace.show(await core.service.handle(end), title="crisisbot")


async def _until(clock: ManualClock | SystemClock, at: datetime) -> None:
    if isinstance(clock, ManualClock):
        if at > clock.now():
            clock.set(at)
        return
    delay = (at - clock.now()) / timedelta(seconds=1)
    if delay > 0:
        await asyncio.sleep(delay)  # the drill's own clock: the wall clock at its speed
