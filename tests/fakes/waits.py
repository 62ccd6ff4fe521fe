"""Waiting without waiting: retry handlers sleep through this, so a test sees how long they would
have waited (Slack's Retry-After, a backoff) without spending that time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable


def record(waits: list[float]) -> Callable[[float], Awaitable[None]]:
    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    return sleep
