"""The edge of ``/slack/events``: what reaches Bolt, and what is answered before it.

Signed requests are built as Slack builds them; the garbage is what anyone who can reach the port
can send. No test here sleeps: each request returns once the app's work has drained.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.server import EVENTS_PATH, bound_port, start_http
from bot.storage.engine import create_async_db_engine
from bot.storage.health import database_readiness
from tests.adapters.slack.conftest import SlackRig
from tests.adapters.slack.harness import BOT_TOKEN, SIGNING_SECRET, expect, sign, slack_escape, texts
from tests.fakes import FakeSlack

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
BIG_ID = 1234567890123456789012345678901234567890  # 40 digits, where Slack sends "U0..." text


def command_body(rig: SlackRig, text: str, **fields: str) -> tuple[str, str]:
    """A ``/crisis`` form as Slack sends it, with ``fields`` overridden; and its response_url."""
    response_url = rig.fake.response_url()
    ids = {"team_id": rig.fake.team_id, "channel_id": "C0GENERAL", "user_id": "U01AMELIE0", "api_app_id": "A0CRISIS"}
    names = {"channel_name": "general", "user_name": "amelie", "command": "/crisis", "token": "legacy-token"}
    form = ids | names | {"text": slack_escape(text), "response_url": response_url, "trigger_id": "trig.edge"}
    return urlencode(form | fields), response_url


def signed_bytes(
    body: bytes, content_type: str = FORM, *, secret: str = SIGNING_SECRET, age: int = 0
) -> dict[str, str]:
    """Slack's v0 signature computed on bytes (the SDK's helper only signs UTF-8 text)."""
    ts = str(int(time.time()) - age)
    mac = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={mac}", "Content-Type": content_type}


async def post_raw(rig: SlackRig, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    async with rig.slack.session.post(rig.slack.app_url, data=body, headers=headers) as resp:
        answer = resp.status, await resp.text()
    await rig.drain()
    return answer


def loud(caplog: pytest.LogCaptureFixture, level: int = logging.ERROR) -> list[str]:
    """Records at ``level`` or above, and any with a traceback, whatever its level."""
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= level or r.exc_info]


async def nothing_was_done(rig: SlackRig) -> None:
    assert rig.fake.calls() == [], "not even auth.test: Bolt never saw the request"
    assert await rig.repo.list_crises() == []


# -- 1. the word "payload" -------------------------------------------------------------------


async def declared_title(rig: SlackRig, response_url: str) -> str | None:
    expect(lambda: "declared." in texts(rig.fake.responses(response_url)))
    crisis = await rig.repo.get(1)
    return crisis.title if crisis else None


async def test_payload_in_the_command_text_still_declares(rig: SlackRig) -> None:
    status, ack, url = await rig.slack.command("start troll Checkout payload errors")
    assert status == 200
    assert "Declaring" in ack
    assert await declared_title(rig, url) == "Checkout payload errors"


@pytest.mark.parametrize(
    "fields",
    [{"channel_name": "payload-team"}, {"user_name": "payload.bot"}, {"payload": '{"type": "block_actions"}'}],
    ids=["channel-name", "user-name", "an-extra-payload-field-is-not-an-interaction"],
)
async def test_payload_anywhere_in_a_command_still_declares(rig: SlackRig, fields: dict[str, str]) -> None:
    body, url = command_body(rig, "start troll Spam wave", **fields)
    status, ack = await rig.slack.post(body)
    assert status == 200
    assert "Declaring" in ack
    assert await declared_title(rig, url) == "Spam wave"


# -- 2. verify first; refuse what Slack would not send, politely -----------------------------

GARBAGE = {
    "payload-not-json": b"payload=%7Bnot-json",
    "json-list": b"[1, 2]",
    "brace-in-a-form": b"{command=/crisis",
    "non-utf8": b"command=%2Fcrisis&text=\xff\xfe",
    "empty": b"",
}


FORGED: dict[str, Callable[[bytes], dict[str, str]]] = {
    "unsigned": lambda _: {"Content-Type": FORM},
    "wrong-secret": lambda body: signed_bytes(body, secret="not-the-signing-secret"),
    "stale": lambda body: signed_bytes(body, age=6 * 60),
    "timestamp-not-a-number": lambda body: signed_bytes(body) | {"X-Slack-Request-Timestamp": "yesterday"},
    "signature-not-ascii": lambda body: signed_bytes(body) | {"X-Slack-Signature": "v0=é"},
}


@pytest.mark.parametrize("body", GARBAGE.values(), ids=GARBAGE.keys())
@pytest.mark.parametrize("headers", FORGED.values(), ids=FORGED.keys())
async def test_unsigned_garbage_is_refused_quietly(
    rig: SlackRig, caplog: pytest.LogCaptureFixture, body: bytes, headers: Callable[[bytes], dict[str, str]]
) -> None:
    status, answer = await post_raw(rig, body, headers(body))
    assert (status, json.loads(answer)) == (401, {"error": "invalid request"})
    assert loud(caplog, logging.WARNING) == [], "whoever reaches the port must not be able to fill the log"
    await nothing_was_done(rig)


def payload(value: Any) -> bytes:
    return urlencode({"payload": json.dumps(value)}).encode()


def click(**changes: Any) -> bytes:
    """A button press with ``changes`` made to it."""
    press = {
        "type": "block_actions",
        "team": {"id": "T0CRISIS"},
        "user": {"id": "U01AMELIE0", "name": "amelie"},
        "response_url": "https://hooks.example/x",
        "trigger_id": "trig.1",
        "actions": [{"type": "button", "action_id": "page_ack", "value": "1", "block_id": "b1"}],
    }
    return payload(press | changes)


def event_callback(**changes: Any) -> bytes:
    """An Events API callback with ``changes`` made to it."""
    callback = {
        "type": "event_callback",
        "team_id": "T0CRISIS",
        "event_id": "Ev1",
        "event": {"type": "app_home_opened"},
    }
    return json.dumps(callback | changes).encode()


MALFORMED: dict[str, tuple[bytes, str, str]] = {
    "payload-not-json": (b"payload=%7Bnot-json", FORM, "the payload field is not valid JSON"),
    "json-body-a-list": (b"[1, 2]", JSON, "the body is JSON but not an object"),
    "json-body-not-json": (b"{oops", JSON, "the body is not valid JSON"),
    "non-utf8": (b"command=%2Fcrisis&text=\xff\xfe", FORM, "the body is not UTF-8"),
    "payload-a-json-string": (payload("block_actions"), FORM, "the payload field is JSON but not an object"),
    "40-digit-user-id": (click(user={"id": BIG_ID}), FORM, "user is not what the platform sends"),
    "40-digit-team-id": (event_callback(team_id=BIG_ID), JSON, "team_id should be text"),
    "40-digit-button-value": (click(actions=[{"action_id": "page_ack", "value": BIG_ID}]), FORM, "actions[0].value"),
    "actions-a-string": (click(actions="page_ack"), FORM, "actions should be a list"),
    "actions-empty": (click(actions=[]), FORM, "actions is empty"),
    "authorizations-a-string": (event_callback(authorizations="x"), JSON, "authorizations should be a list"),
    "event-a-list": (event_callback(event=["app_home_opened"]), JSON, "event should be an object"),
    "view-without-type": (
        payload({"type": "view_submission", "view": {"callback_id": "declare"}}),
        FORM,
        "view.type is missing",
    ),
    "shortcut-message-a-list": (
        payload({"type": "message_action", "callback_id": "add_to_timeline", "message": ["hi"]}),
        FORM,
        "message should be an object",
    ),
}


@pytest.mark.parametrize(("body", "content_type", "why"), MALFORMED.values(), ids=MALFORMED.keys())
async def test_signed_but_malformed_requests_get_a_polite_400(
    rig: SlackRig, caplog: pytest.LogCaptureFixture, body: bytes, content_type: str, why: str
) -> None:
    status, answer = await post_raw(rig, body, signed_bytes(body, content_type))
    assert status == 400
    reply = json.loads(answer)
    assert reply["error"] == "malformed request"
    assert why in reply["why"]
    assert loud(caplog) == [], "no ERROR and no traceback"
    await nothing_was_done(rig)


# -- internal failures, a stuck dispatch, and readiness, on a bare Bolt app -------------------


@dataclass
class Bare:
    """A Bolt app with crisisbot's settings and one ``/crisis`` listener, served as ``serve`` does."""

    bolt: AsyncApp
    url: str
    session: aiohttp.ClientSession

    async def command(self) -> tuple[int, str]:
        body = urlencode({"command": "/crisis", "text": "help", "team_id": "T0CRISIS", "user_id": "U01AMELIE0"})
        async with self.session.post(self.url + EVENTS_PATH, data=body, headers=sign(body)) as resp:
            return resp.status, await resp.text()

    async def get(self, path: str) -> tuple[int, dict[str, Any]]:
        async with self.session.get(self.url + path) as resp:
            return resp.status, await resp.json()


@asynccontextmanager
async def bare_app(fake: FakeSlack, secret: str = SIGNING_SECRET, **options: Any) -> AsyncIterator[Bare]:
    bolt = AsyncApp(
        client=AsyncWebClient(token=BOT_TOKEN, base_url=fake.base_url),
        signing_secret=secret,
        process_before_response=True,
    )

    async def ack_only(ack: AsyncAck) -> None:
        await ack()

    bolt.command("/crisis")(ack_only)
    runner = await start_http(bolt, "127.0.0.1", 0, **options)
    try:
        async with aiohttp.ClientSession() as session:
            yield Bare(bolt, f"http://127.0.0.1:{bound_port(runner)}", session)
    finally:
        await runner.cleanup()


def failing_middleware(failure: Callable[[], Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    async def middleware(next: Callable[[], Awaitable[None]]) -> None:
        await failure()
        await next()

    return middleware


async def test_a_failure_inside_bolt_answers_500_with_one_traceback(
    fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    async def database_gone() -> None:
        raise ConnectionResetError("the database went away")

    async with bare_app(fake) as app:
        app.bolt.use(failing_middleware(database_gone))
        assert (await app.command())[0] == 500
    assert len([r for r in caplog.records if r.exc_info]) == 1, loud(caplog)


async def test_a_failure_in_our_server_answers_500_with_one_traceback(
    fake: FakeSlack, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with bare_app(fake) as app:

        async def broken(*_: Any) -> None:
            raise RuntimeError("a bug between the route and Bolt")

        monkeypatch.setattr(app.bolt, "async_dispatch", broken)
        assert await app.command() == (500, json.dumps({"error": "internal error"}))
    (record,) = [r for r in caplog.records if r.exc_info]
    assert record.getMessage() == f"POST {EVENTS_PATH} failed; answered 500"


async def test_a_stuck_request_answers_503_at_the_deadline(fake: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    release = asyncio.Event()

    async def database_hangs() -> None:
        await release.wait()

    async with bare_app(fake, deadline=0.1) as app:
        app.bolt.use(failing_middleware(database_hangs))
        started = time.monotonic()
        status, body = await app.command()
        waited = time.monotonic() - started
    assert (status, json.loads(body)) == (503, {"error": "timed out", "deadline_s": 0.1})
    assert waited < 2, "answered at the deadline, well before Slack gives up (3 s)"
    (record,) = [r for r in caplog.records if r.exc_info]
    assert "database_hangs" in caplog.text, "the traceback shows where it was stuck"
    assert record.levelno == logging.ERROR


@pytest.mark.parametrize(("secret", "expected"), [("", 401), ("the-app-own-secret", 200)])
async def test_the_secret_is_the_bolt_apps_own(fake: FakeSlack, secret: str, expected: int) -> None:
    """No secret (as Socket Mode runs) lets nothing in; otherwise the app's is the one that counts."""
    body = "command=%2Fcrisis&text=help"
    async with (
        bare_app(fake, secret=secret) as app,
        app.session.post(app.url + EVENTS_PATH, data=body, headers=sign(body, secret=secret or "x")) as resp,
    ):
        assert resp.status == expected


@pytest.mark.parametrize("migrated", [True, False])
async def test_readyz_reflects_the_database(fake: FakeSlack, sqlite_url: str, tmp_path: Path, migrated: bool) -> None:
    engine = create_async_db_engine(sqlite_url if migrated else f"sqlite:///{tmp_path / 'never-migrated.db'}")
    try:
        async with bare_app(fake, ready=database_readiness(engine)) as app:
            status, body = await app.get("/readyz")
            assert await app.get("/healthz") == (200, {"status": "ok"})
    finally:
        await engine.dispose()
    assert (status, body["status"]) == ((200, "ready") if migrated else (503, "not ready"))
