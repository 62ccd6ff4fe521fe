"""An acknowledgement never waits on a database that hangs: it answers within the bound the
platform gives (``within``), honestly (it may have been stored), and a declaration stored after
all is not lost."""

from __future__ import annotations

import asyncio
import time

import psycopg
import pytest
from sqlalchemy.engine import make_url

from bot.container import Core
from bot.core.model.crisis import Actor, Invocation
from bot.core.plan.model import LoadedPlan
from tests.conftest import person


def invocation(loaded: LoadedPlan, title: str) -> Invocation:
    actor: Actor = person(loaded, "amelie")
    return Invocation(actor=actor, text=f"start complaint sev3 {title}", channel_id=None)


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_an_acknowledgement_does_not_wait_for_a_hung_database(
    core: Core, loaded_plan: LoadedPlan, db_url: str
) -> None:
    dsn = make_url(db_url).render_as_string(hide_password=False)
    with psycopg.connect(dsn) as locker:  # its transaction holds the lock until the block ends
        locker.execute("LOCK TABLE crisis IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        async with asyncio.timeout(30):  # without its own bound, accept would wait for the lock forever
            instant = await core.service.accept(
                invocation(loaded_plan, "Hung database"), reply_to="reply-here", within=0.5
            )
        waited = time.monotonic() - started
    assert instant is not None
    assert instant.final
    assert "I could not confirm that the crisis was stored" in instant.message.summary
    assert waited < 2.5, "well inside Slack's 3 s"  # a bound, not a speed test: 0.5 s asked
    # the write the acknowledgement gave up on went on once the lock went: the next declaration
    # queues behind it, so once that one is stored, so is the first
    after = await core.service.accept(invocation(loaded_plan, "After the lock"), reply_to="reply-here")
    assert after is not None
    assert after.crisis is not None
    stored = {c.title for c in await core.service.crises()}
    assert stored == {"Hung database", "After the lock"}, "stored after all: the scheduler finishes it"
