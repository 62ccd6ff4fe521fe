"""Slack's part of the HTTP server (``POST /slack/events``), or Socket Mode.

The server itself (``/healthz``, ``/readyz``, how any route fails) is shared with the platforms to
come and lives in :mod:`bot.adapters.http.server`. This module turns a Slack request into a Bolt
request, without Bolt's aiohttp adapter, because that adapter hands Bolt the raw body to parse
before anything is verified:

- Bolt parses, then verifies: an unsigned request with a broken body raised while being parsed,
  so anyone who could reach the port got a 500 and left a traceback in the log.
- Bolt reads a form as an interactive payload whenever the text ``payload`` occurs anywhere in it,
  so ``/crisis start troll Checkout payload errors``, or any command sent from #payload-team, was
  parsed as an empty payload and answered 404.

So the signature is checked first, on the raw bytes. Then the body is parsed the way Slack builds
it (JSON, or a form whose one field ``payload`` holds an interaction's JSON) and its shape checked
against what Slack sends, so a signed body no listener could read is answered 400 instead of
failing inside Bolt. Bolt gets the parsed body with the raw one beside it: it still verifies the
signature itself, but never parses.
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.adapters.http import server as http
from bot.adapters.http.bodies import Filled, MalformedBody, Shape, check_shape, json_object, utf8
from bot.adapters.http.server import Endpoint, ReadinessCheck, bound_port

__all__ = [
    "EVENTS_PATH",
    "bound_port",
    "events_endpoint",
    "freeze_startup_objects",
    "start_http",
    "web_app",
]

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
FORM = "application/x-www-form-urlencoded"
# Slack gives up after 3 s. A request still stuck a little before that is cancelled and answered
# 503, with the place it was stuck in the log, instead of finishing an answer nobody reads.
ACK_DEADLINE = 2.5
MAX_AGE_S = 5 * 60  # Slack's rule: an older signed request may be a replay


def freeze_startup_objects() -> None:
    """Start-up objects (plan, app, SDK modules) live as long as the process: move them out of the
    garbage collector's way, so full collections stay short in a burst of commands (without this,
    bench/slack_start.py saw 130 ms pauses in acknowledgements)."""
    gc.collect()
    gc.freeze()


def events_endpoint(bolt: AsyncApp, *, deadline: float | None = ACK_DEADLINE) -> Endpoint:
    """Slack's route, for a server that serves other platforms beside it."""
    return Endpoint("POST", EVENTS_PATH, _SlackEvents(bolt), deadline)


def web_app(
    bolt: AsyncApp,
    *,
    events_route: bool = True,
    ready: ReadinessCheck | None = None,
    deadline: float | None = ACK_DEADLINE,
    others: Sequence[Endpoint] = (),
) -> web.Application:
    """``events_route=False`` for Socket Mode: no signing secret is set then, so no HTTP entry.
    ``/readyz`` is served when there is a ``ready`` check; ``others`` are the routes served beside
    Slack's (the listening intake)."""
    endpoints = [events_endpoint(bolt, deadline=deadline)] if events_route else []
    return http.build([*endpoints, *others], ready=ready)


async def start_http(
    bolt: AsyncApp,
    host: str,
    port: int,
    *,
    events_route: bool = True,
    ready: ReadinessCheck | None = None,
    deadline: float | None = ACK_DEADLINE,
    others: Sequence[Endpoint] = (),
) -> web.AppRunner:
    """Start listening and return the runner; ``await runner.cleanup()`` stops it."""
    application = web_app(bolt, events_route=events_route, ready=ready, deadline=deadline, others=others)
    return await http.start(application, host, port)


class _SlackEvents:
    """``POST /slack/events``: verify, parse, check the shape, then let Bolt dispatch."""

    def __init__(self, bolt: AsyncApp) -> None:
        self.bolt = bolt
        self.secret = _signing_secret(bolt)

    async def __call__(self, request: web.Request) -> web.Response:
        raw = await request.read()
        if not self.signed(raw, request.headers):
            # debug only: whoever can reach the port could otherwise write to the log at will
            log.debug("unsigned, wrongly signed or stale request to %s refused", request.path)
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            text, body = parse(raw, request.content_type)
        except MalformedBody as exc:
            # signed, so it came from Slack (a change of format) or from someone who has the secret
            log.warning("signed Slack request refused: %s", exc)
            return web.json_response({"error": "malformed request", "why": str(exc)}, status=400)
        headers: dict[str, str | Sequence[str]] = dict(request.headers)
        parsed = ParsedBoltRequest(raw_body=text, body=body, query=request.query_string, headers=headers)
        return await to_aiohttp_response(await self.bolt.async_dispatch(parsed))

    def signed(self, raw: bytes, headers: Mapping[str, str]) -> bool:
        """Slack's v0 signature, over the bytes as they came: the SDK's verifier decodes them as
        UTF-8 first, and raises on a timestamp that is not a number or a signature that is not
        ASCII, which anyone can send."""
        timestamp = headers.get("X-Slack-Request-Timestamp", "")
        signature = headers.get("X-Slack-Signature", "")
        if self.secret is None or not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            return False
        if abs(time.time() - int(timestamp)) > MAX_AGE_S or not signature.isascii():
            return False
        mac = hmac.new(self.secret, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256)
        return hmac.compare_digest(f"v0={mac.hexdigest()}", signature)


def _signing_secret(bolt: AsyncApp) -> bytes | None:
    """The app's own secret, so there is one source of truth (Bolt offers no public accessor, and a
    test pins this). No secret, as in Socket Mode, and every HTTP request is refused."""
    secret = getattr(bolt, "_signing_secret", None)
    return secret.encode() if isinstance(secret, str) and secret.strip() else None


def parse(raw: bytes, content_type: str) -> tuple[str, dict[str, Any]]:
    """The body as text (what Bolt verifies) and as Slack meant it (what Bolt dispatches)."""
    text = utf8(raw)
    if content_type == "application/json" or (content_type != FORM and text.startswith("{")):
        body = json_object(text)
    else:
        fields = parse_qsl(text, keep_blank_values=True)
        interactive = len(fields) == 1 and fields[0][0] == "payload"
        body = json_object(fields[0][1], "the payload field") if interactive else dict(fields)
    check_shape(body, SLACK_BODY)
    return text, body


class ParsedBoltRequest(AsyncBoltRequest):
    """An HTTP request whose body is already parsed. ``raw_body`` stays, so Bolt's signature check
    runs as ever; ``body`` is ours. Bolt's constructor would parse the raw text again (the
    ``payload`` bug above), and so would the copy it makes for each lazy listener, hence both are
    overridden; the socket-mode path, the only other one that takes a dict, skips verification."""

    def __init__(
        self,
        *,
        raw_body: str,
        body: dict[str, Any],
        query: str | dict[str, Sequence[str]],
        headers: dict[str, str | Sequence[str]],
        context: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(body="", query=query, headers=headers, context=context)
        self.raw_body = raw_body
        self.body = body
        self.context = build_async_context(self.context, body)

    def to_copyable(self) -> AsyncBoltRequest:
        context: AsyncBoltContext = self.context.to_copyable()
        headers: dict[str, str | Sequence[str]] = dict(self.headers)
        return ParsedBoltRequest(
            raw_body=self.raw_body, body=self.body, query=self.query, headers=headers, context=context
        )


# -- what Slack sends, as far as Bolt and the listeners read it (see bot.adapters.http.bodies) ------

_REF: Shape = (str, {"id": str, "name": str, "username": str, "team_id": str, "enterprise_id": str})
_MESSAGE: dict[str, Shape] = {k: str for k in ("type", "subtype", "text", "ts", "thread_ts", "bot_id")}
_MESSAGE |= {"user": _REF, "channel": _REF}
_EVENT = _MESSAGE | {k: str for k in ("user_team", "tab", "channel_type", "function_execution_id", "bot_access_token")}
_EVENT |= {"team": _REF, "item": {"channel": str}, "message": _MESSAGE, "previous_message": _MESSAGE, "inputs": dict}
_VIEW: dict[str, Shape] = {
    k: str for k in ("id", "callback_id", "private_metadata", "team_id", "app_installed_team_id")
}
_VIEW |= {"type": Filled(str, required=True), "state": {"values": dict}}
_TEXTS: tuple[str, ...] = ("type", "token", "command", "text", "user_name", "channel_name", "response_url")
_TEXTS += ("trigger_id", "callback_id", "team_id", "enterprise_id", "user_id", "channel_id", "api_app_id", "event_id")
_TEXTS += ("challenge", "thread_ts", "context_team_id", "context_enterprise_id", "function_execution_id")
_TEXTS += ("bot_access_token",)
SLACK_BODY: dict[str, Shape] = {k: str for k in _TEXTS}
SLACK_BODY |= {
    "event_time": int,
    "is_enterprise_install": (bool, str),  # "false" in a slash command
    "is_ext_shared_channel": bool,
    "team": _REF,
    "enterprise": _REF,
    "user": _REF,
    "channel": _REF,
    "authorizations": [{"enterprise_id": str, "team_id": str, "user_id": str, "is_enterprise_install": bool}],
    # Bolt indexes these as soon as they are there
    "event": Filled(_EVENT),
    "message": _MESSAGE,
    "previous_message": _MESSAGE,
    "view": Filled(_VIEW),
    "actions": Filled([{k: str for k in ("type", "action_id", "block_id", "value")}]),
    "response_urls": [{"response_url": str}],
    "container": dict,
    "item": {"channel": str},
    "function_data": {"execution_id": str, "inputs": dict},
    "assistant_thread": {"channel_id": str, "thread_ts": str},
}
