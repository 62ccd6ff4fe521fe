"""The gate in front of the database: urgent work (an acknowledgement) goes before the rest, and a
waiter cancelled at the moment it was let in passes its turn on instead of losing it."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.model.urgency import is_urgent, urgent
from bot.storage.gate import Gate


async def test_urgent_waiters_go_first_then_the_others_in_order() -> None:
    gate = Gate(1)
    order: list[str] = []

    async def use(name: str, *, hurry: bool = False) -> None:
        if hurry:
            with urgent():
                async with gate.slot():
                    order.append(name)
        else:
            async with gate.slot():
                order.append(name)

    async with gate.slot():  # held while everyone queues, in this order
        waiters = [
            asyncio.ensure_future(use("step 1")),
            asyncio.ensure_future(use("step 2")),
            asyncio.ensure_future(use("ack", hurry=True)),
        ]
        await asyncio.sleep(0)  # each waiter runs up to its wait: all three are queued now
    await asyncio.gather(*waiters)
    assert order == ["ack", "step 1", "step 2"]


async def test_a_waiter_cancelled_when_let_in_passes_the_slot_on() -> None:
    gate = Gate(1)
    async with gate.slot():
        first = asyncio.ensure_future(gate._acquire())
        second = asyncio.ensure_future(gate._acquire())
        await asyncio.sleep(0)
    first.cancel()  # released above, so ``first`` was granted the slot but has not run yet
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, timeout=5)  # the slot went on to the next waiter
    gate._release()


def test_urgency_is_marked_only_inside_the_block() -> None:
    assert not is_urgent()
    with urgent():
        assert is_urgent()
    assert not is_urgent()


def test_a_gate_needs_a_slot() -> None:
    with pytest.raises(ValueError, match="at least one slot"):
        Gate(0)
