"""Bot Framework signing keys, held in memory and refreshed off the event loop.

The SDK validates each activity's token with PyJWT's key client, which fetches the key set with a
blocking ``urllib`` call inside the event loop: on the first request, every 5 minutes after, and
again for every token naming a key it does not know (so anyone can make it fetch). Meanwhile
every other request on the loop (a Slack acknowledgement due in 3 s) waits, up to the fetch's
30 s timeout. :class:`HeldKeys` never fetches when asked for a key: it answers from the set
:class:`KeyRefresher` loads in a worker thread at start-up and then well before it goes stale.
An unknown key id is refused at once (401), and a failed refresh keeps the keys already held.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import jwt
from jwt import PyJWKSet

log = logging.getLogger(__name__)
REFRESH_EVERY_S = 240.0  # the SDK's own cache lives 300 s; Microsoft rolls keys far more slowly
RETRY_AFTER_FAILURE_S = 15.0
FETCH_TIMEOUT_S = 10.0


class HeldKeys(jwt.PyJWKClient):
    """A key client whose lookups never do I/O; ``load`` (blocking) is for a worker thread."""

    def __init__(self, uri: str, *, timeout: float = FETCH_TIMEOUT_S) -> None:
        super().__init__(uri, cache_keys=False, cache_jwk_set=False, timeout=timeout)
        self.held: PyJWKSet | None = None

    def get_jwk_set(self, refresh: bool = False) -> PyJWKSet:
        if self.held is None:
            raise jwt.PyJWKClientError("the signing keys are not loaded yet")
        return self.held

    def load(self) -> None:
        """Fetch the key set (blocking) and hold it; raises when the key server fails."""
        data: Any = self.fetch_data()
        self.held = PyJWKSet.from_dict(data)

    @property
    def loaded(self) -> bool:
        return self.held is not None


class KeyRefresher:
    """Loads the keys in a thread now, then again before they go stale, for the bot's lifetime."""

    def __init__(self, keys: HeldKeys, every: float = REFRESH_EVERY_S, retry: float = RETRY_AFTER_FAILURE_S) -> None:
        self.keys = keys
        self.every = every
        self.retry = retry
        self._task: asyncio.Task[None] | None = None

    async def load_once(self) -> bool:
        """One fetch off the loop; False (and logged) when the key server did not answer."""
        try:
            await asyncio.to_thread(self.keys.load)
        except Exception as exc:
            log.error("could not load the Bot Framework signing keys from %s: %s", self.keys.uri, exc)
            return False
        return True

    async def start(self) -> None:
        """Try once now (Teams requests are refused until keys are held), then keep them fresh."""
        loaded = await self.load_once()
        self._task = asyncio.ensure_future(self._keep_fresh(loaded))

    async def _keep_fresh(self, loaded: bool) -> None:
        while True:
            await asyncio.sleep(self.every if loaded else self.retry)
            loaded = await self.load_once()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
