"""The scheduler's own edge: a chore that keeps failing is reported, not repeated every tick."""

from __future__ import annotations

import logging

import pytest

from bot.container import Core
from bot.scheduler.loop import REPEAT_LOG_SECONDS, FailureLog


def _broken() -> None:
    raise RuntimeError("database is down")


def test_a_repeated_failure_is_logged_once_per_period_then_its_recovery(caplog: pytest.LogCaptureFixture) -> None:
    clock = [0.0]
    failures = FailureLog(now=lambda: clock[0])
    caplog.set_level(logging.INFO, logger="bot.scheduler.loop")
    for _ in range(50):  # four minutes of ticks every five seconds
        try:
            _broken()
        except RuntimeError:
            failures.failed("overdue update reminders")
        clock[0] += 5
    assert [r.levelname for r in caplog.records] == ["ERROR"]
    assert caplog.records[0].exc_info is not None, "the first report has the traceback"
    clock[0] = REPEAT_LOG_SECONDS + 1
    try:
        _broken()
    except RuntimeError:
        failures.failed("overdue update reminders")
    assert "still failing (50 times since the last report)" in caplog.records[-1].getMessage()
    failures.succeeded("overdue update reminders")
    failures.succeeded("overdue update reminders")
    assert [r.getMessage() for r in caplog.records[2:]] == ["overdue update reminders works again"]


async def test_a_failing_chore_does_not_stop_the_others(core: Core, caplog: pytest.LogCaptureFixture) -> None:
    ran: list[str] = []

    async def broken() -> None:
        raise RuntimeError("bug")

    async def fine() -> None:
        ran.append("fine")

    scheduler = core.scheduler
    scheduler.chores = {"broken": broken, "fine": fine}
    for _ in range(3):
        await scheduler.tick()
    assert ran == ["fine", "fine", "fine"]
    assert [r.getMessage() for r in caplog.records if r.name == "bot.scheduler.loop"] == ["broken failed"]
