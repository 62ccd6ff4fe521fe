"""The benchmarks' own child processes (the bot, the sender), ended the same way everywhere."""

from __future__ import annotations

import asyncio


async def stop(proc: asyncio.subprocess.Process, grace: float = 30.0) -> None:
    """Close its stdin (the child serves until then), wait for it, kill it if it hangs."""
    if proc.stdin is not None:
        proc.stdin.close()
    try:
        await asyncio.wait_for(proc.wait(), grace)
    except TimeoutError:
        proc.kill()
        await proc.wait()
