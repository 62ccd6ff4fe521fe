"""Retries for the Slack Web API: what slack_sdk's handlers do, with the waits bounded.

slack_sdk only retries connection errors by default; a crisis must survive a 429 burst and a
flaky proxy. Slack's Retry-After is honoured, capped, so a declaration never sits minutes
behind one call; ``sleep`` is how the handlers wait (tests record the wait instead of spending it).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

Sleep = Callable[[float], Awaitable[None]]
MAX_RETRY_WAIT = 10.0  # seconds: a declaration must not sit minutes behind one rate-limited call


RetryCounter = Callable[[str], None]  # hears the Web API method of each call tried again


def method_of(request: HttpRequest) -> str:
    return request.url.rstrip("/").rsplit("/", 1)[-1]


class _WaitBounded(AsyncRetryHandler):
    """Waits through ``sleep``, at most ``MAX_RETRY_WAIT``; subclasses say how long to wait."""

    sleep: Sleep
    on_retry: RetryCounter | None = None

    def _wait(self, state: RetryState, response: HttpResponse | None) -> float:
        raise NotImplementedError

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        if self.on_retry is not None:
            self.on_retry(method_of(request))
        await self.sleep(min(self._wait(state, response), MAX_RETRY_WAIT))
        state.increment_current_attempt()


class BoundedRateLimitRetry(_WaitBounded, AsyncRateLimitErrorRetryHandler):
    """Slack's Retry-After, honoured but capped, with a little jitter so replicas do not retry
    in step."""

    def __init__(self, max_retry_count: int, sleep: Sleep = asyncio.sleep) -> None:
        AsyncRateLimitErrorRetryHandler.__init__(self, max_retry_count=max_retry_count)
        self.sleep = sleep

    def _wait(self, state: RetryState, response: HttpResponse | None) -> float:
        headers = response.headers if response is not None else {}
        header = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
        raw = header[0] if isinstance(header, list) and header else header
        asked = float(raw) if isinstance(raw, str) and raw.strip().isdigit() else 1.0
        return asked + random.uniform(0, 0.25)


class BackoffServerErrorRetry(_WaitBounded, AsyncServerErrorRetryHandler):
    """Server errors, retried after a short exponential backoff: Slack's 500 and 503, and the
    502 and 504 a proxy in front of it answers when Slack is slow (slack_sdk retries only 500
    and 503)."""

    def __init__(self, max_retry_count: int, sleep: Sleep = asyncio.sleep) -> None:
        AsyncServerErrorRetryHandler.__init__(self, max_retry_count=max_retry_count)
        self.sleep = sleep

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code in (500, 502, 503, 504)

    def _wait(self, state: RetryState, response: HttpResponse | None) -> float:
        return self.interval_calculator.calculate_sleep_duration(state.current_attempt)


class CountedConnectionErrorRetry(AsyncConnectionErrorRetryHandler):
    """slack_sdk's own retry of a dropped connection, counted like the others."""

    on_retry: RetryCounter | None = None

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if self.on_retry is not None:
            self.on_retry(method_of(request))
        await super().prepare_for_next_attempt_async(state=state, request=request, response=response, error=error)


def count_retries(handlers: list[AsyncRetryHandler], on_retry: RetryCounter) -> None:
    """Have crisisbot's retry handlers report each call they try again."""
    for handler in handlers:
        if isinstance(handler, _WaitBounded | CountedConnectionErrorRetry):
            handler.on_retry = on_retry


def retry_handlers(
    rate_limit_retries: int = 3, server_error_retries: int = 2, sleep: Sleep = asyncio.sleep
) -> list[AsyncRetryHandler]:
    """slack_sdk only retries connection errors by default; a crisis must survive a 429 burst."""
    return [
        CountedConnectionErrorRetry(),
        BoundedRateLimitRetry(rate_limit_retries, sleep=sleep),
        BackoffServerErrorRetry(server_error_retries, sleep=sleep),
    ]
