"""HTTP calls to Microsoft (Bot Connector, Graph, the token endpoint), with bounded retries.

Both services answer 429 with ``Retry-After`` under load, and Graph's own SDK would wait up to
180 s: a declaration must not sit minutes behind one call, so the wait is honoured but capped, and
a few attempts at most are made. ``sleep`` is how calls wait (tests record the waits instead).
Whatever still fails is a :class:`ChatPlatformError` naming what could not be done.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import aiohttp

from bot.core.model.errors import ChatPlatformError

log = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]
Token = Callable[[], Awaitable[str]]
MAX_RETRY_WAIT = 10.0
ATTEMPTS = 4
CALL_TIMEOUT = 10.0
RETRIED = frozenset({429, 502, 503, 504})


class CallRefused(ChatPlatformError):
    """Microsoft answered with an error; ``status`` and ``code`` let callers react (a name taken)."""

    def __init__(self, what: str, status: int, code: str, detail: str) -> None:
        super().__init__(f"Teams could not {what} ({code or status}).")
        self.status = status
        self.code = code
        self.detail = detail

    @property
    def maybe_done(self) -> bool:
        """A 5xx may come after the work was done (a gateway timing out on a busy service)."""
        return self.status >= 500


class NoAnswer(ChatPlatformError):
    """The call was sent and no usable answer came back (a timeout, a dropped connection): it may
    have been done, so a call that makes something looks before it is made again."""


def make_session(timeout: float = CALL_TIMEOUT) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout))


def retry_wait(headers: Mapping[str, str], attempt: int) -> float:
    """Retry-After (seconds) when given, else a short backoff; never more than MAX_RETRY_WAIT."""
    raw = headers.get("Retry-After", "")
    wait = float(raw) if raw.strip().isdigit() else 0.5 * 2**attempt
    return min(wait, MAX_RETRY_WAIT)


# what each call does (the ``what`` of :meth:`Caller.call`, fixed by the code) -> the name the
# metrics know it by
METHODS = {
    "post a message": "connector.send",
    "update a message": "connector.update",
    "look up a mentioned person": "connector.member",
    "open a direct chat": "connector.create_conversation",
    "create the war room channel": "graph.create_channel",
    "list the team's channels": "graph.channels",
    "list the team's members": "graph.team_members",
    "add a person to the crisis team": "graph.add_team_member",
    "add a person to the war room": "graph.add_channel_member",
    "look a person up by e-mail": "graph.user_by_email",
    "create the war room chat": "graph.create_chat",
    "list a person's chats": "graph.chats",
    "list the war room chat's members": "graph.chat_members",
    "add a person to the war room chat": "graph.add_chat_member",
    "find crisisbot's app": "graph.app_catalog",
    "add crisisbot to the war room chat": "graph.install_app",
}


class CallCounter(Protocol):
    """Hears failed and repeated calls (the process's metrics)."""

    def chat_error(self, method: str, kind: str) -> None: ...

    def chat_retry(self, method: str) -> None: ...


class Caller:
    """Authorized JSON calls: ``token`` gives a bearer token for the service called."""

    def __init__(self, session: aiohttp.ClientSession, token: Token, sleep: Sleep = asyncio.sleep) -> None:
        self.session = session
        self.token = token
        self.sleep = sleep
        self.counter: CallCounter | None = None

    async def call(self, method: str, url: str, what: str, body: Any = None, *, once: bool = False) -> Any:
        """The answer's JSON (None when empty); retried on 429 and 5xx with bounded waits.

        ``once``: a call that makes something which may not be made twice (a channel, a group
        chat). Only a 429 says nothing was done; a 5xx (:attr:`CallRefused.maybe_done`) or a lost
        answer (:class:`NoAnswer`) may come after the work, so it is not repeated blindly: the
        caller looks for what was made first, or its step fails and the retry does.
        """
        retried = frozenset({429}) if once else RETRIED
        name = METHODS.get(what, "other")
        for attempt in range(ATTEMPTS):
            if attempt and self.counter is not None:
                self.counter.chat_retry(name)
            try:
                headers = {"Authorization": f"Bearer {await self.token()}"}
                async with self.session.request(method, url, json=body, headers=headers) as response:
                    text = await response.text()
                    if response.status in retried and attempt < ATTEMPTS - 1:
                        await self.sleep(retry_wait(response.headers, attempt))
                        continue
                    if response.status >= 400:
                        if self.counter is not None:
                            self.counter.chat_error(name, kind_of(response.status))
                        code, detail = _error_of(text)
                        log.warning("Teams could not %s: HTTP %s %s", what, response.status, code)
                        raise CallRefused(what, response.status, code, detail)
                    return json.loads(text) if text.strip() else None
            except (aiohttp.ClientError, TimeoutError, json.JSONDecodeError) as exc:
                if attempt < ATTEMPTS - 1 and not once and not isinstance(exc, json.JSONDecodeError):
                    await self.sleep(retry_wait({}, attempt))
                    continue
                if self.counter is not None:
                    self.counter.chat_error(name, "network")
                raise NoAnswer(f"Teams could not {what} (no answer: {type(exc).__name__}).") from None
        raise AssertionError("unreachable: the last attempt returns or raises")


def kind_of(status: int) -> str:
    """An HTTP failure as the metrics count it."""
    return "rate_limited" if status == 429 else "server" if status >= 500 else "client"


def _error_of(text: str) -> tuple[str, str]:
    """Graph and the Bot Connector both answer ``{"error": {"code", "message"}}``."""
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        return "", text[:200]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("code") or ""), str(error.get("message") or "")
    return "", text[:200]
