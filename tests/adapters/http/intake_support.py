"""A running intake for tests and the benchmark: the real route on the shared server, signed requests."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.adapters.http import server
from bot.adapters.http.intake import SIGNATURE_HEADER, TIMESTAMP_HEADER, intake_endpoint, sign
from bot.core.service import CrisisService

SECRET = "s3cret-for-tests"


def mention(post_id: str = "1790", **fields: Any) -> dict[str, Any]:
    """A generic mention as the contract's example has it."""
    item: dict[str, Any] = {
        "network": "x",
        "id": post_id,
        "url": f"https://x.com/jane/status/{post_id}",
        "author": {"handle": "@jane", "name": "Jane", "followers": 1200, "verified": False},
        "text": "My parcel is three weeks late and nobody answers",
        "lang": "en",
        "created_at": "2026-12-03T10:00:00Z",
        "metrics": {"reach": 5400, "likes": 12, "reposts": 3, "replies": 1},
        "in_reply_to": None,
        "deleted": False,
    }
    item.update(fields)
    return item


@dataclass
class IntakeClient:
    base: str
    session: aiohttp.ClientSession

    async def send(
        self,
        body: Any,
        source: str = "generic",
        *,
        secret: str | None = SECRET,
        at: float | None = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """POST ``body`` (or ``raw`` bytes) signed with ``secret`` at ``at`` (None: unsigned)."""
        data = raw if raw is not None else json.dumps(body).encode()
        sent: dict[str, str] = {"Content-Type": "application/json"}
        if secret is not None:
            stamp = str(int(time.time() if at is None else at))
            sent |= {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(secret, stamp, data)}
        sent |= headers or {}
        async with self.session.post(f"{self.base}/intake/{source}", data=data, headers=sent) as resp:
            return resp.status, await resp.json(content_type=None)


@asynccontextmanager
async def running_intake(service: CrisisService, secrets: dict[str, str] | None = None) -> AsyncIterator[IntakeClient]:
    keys = secrets if secrets is not None else dict.fromkeys(service.intake_sources, SECRET)
    runner = await server.start(server.build([intake_endpoint(service, keys)]), "127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as session:
            yield IntakeClient(f"http://127.0.0.1:{server.bound_port(runner)}", session)
    finally:
        await runner.cleanup()
