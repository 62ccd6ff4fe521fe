"""Run the real crisisbot Slack app over HTTP against the local fake Slack Web API.

Requests are signed exactly as Slack signs them (slack_sdk's ``SignatureVerifier``), so Bolt's
own verification runs; the app's Web API client points at the fake through ``SLACK_API_URL``'s
setting, like GovSlack would. Nothing inside crisisbot is replaced.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bot.core.plan.model import LoadedPlan
from tests.fakes import FakeSlack

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-valid"
ANNOUNCE = "crisis-announcements"
STAKEHOLDERS = "crisis-stakeholders"
EMAIL_ONLY_ID = "U0EMAILONLY"


def seed_workspace(fake: FakeSlack, loaded: LoadedPlan) -> None:
    """Everyone in the plan exists in Slack; people the plan knows only by email get an id here."""
    for pid, person in loaded.plan.people.items():
        uid = person.slack_id or f"{EMAIL_ONLY_ID}{pid.upper()}"[:20]
        fake.add_user(uid, pid, email=person.email, real_name=person.name)
    fake.add_channel(ANNOUNCE, members=[fake.bot_user_id])
    fake.add_channel(STAKEHOLDERS)  # public, the bot not in it yet: it joins before posting
    fake.add_channel("general", members=[fake.bot_user_id])


def slack_escape(text: str) -> str:
    """What Slack does to typed text: escape & < >, but send real mentions as <@U...|name>."""
    parts = re.split(r"(<@[UW][A-Z0-9]+\|[a-z0-9._-]+>)", text)
    return "".join(
        p if i % 2 else p.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for i, p in enumerate(parts)
    )


def sign(body: str, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature or "",
        "Content-Type": "application/x-www-form-urlencoded",
    }


@dataclass
class SlackClientSim:
    """Plays Slack's side: sends slash commands and interactions to the app.

    ``settle`` (the app's drain) is awaited after each answer: a request returns once the app
    has finished all the work it started, so a test checks exact outcomes instead of polling.
    """

    app_url: str
    fake: FakeSlack
    session: aiohttp.ClientSession
    settle: Callable[[], Awaitable[None]] | None = None
    sent: list[str] = field(default_factory=list)

    async def post(self, body: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
        async with self.session.post(self.app_url, data=body, headers=headers or sign(body)) as resp:
            answer = resp.status, await resp.text()
        if self.settle is not None:
            await self.settle()
        return answer

    async def command(
        self, text: str, *, user: str = "U01AMELIE0", channel: str = "C0GENERAL", trigger: str | None = None
    ) -> tuple[int, str, str]:
        """Send ``/crisis text``; returns (status, ack body, the response_url to read replies at)."""
        response_url = self.fake.response_url()
        body = urlencode(
            {
                "token": "legacy-verification-token",
                "team_id": self.fake.team_id,
                "channel_id": channel,
                "channel_name": "general",
                "user_id": user,
                "user_name": "amelie",
                "command": "/crisis",
                # Slack escapes these three in what the person typed before sending it
                "text": slack_escape(text),
                "response_url": response_url,
                "trigger_id": trigger or f"trig.{len(self.sent)}.{time.monotonic_ns()}",
                "api_app_id": "A0CRISIS",
            }
        )
        self.sent.append(body)
        status, ack = await self.post(body)
        return status, ack, response_url

    async def click(
        self, action_id: str, value: str, *, user: str = "U01AMELIE0", channel: str = "C0GENERAL"
    ) -> tuple[int, str, str]:
        """Press a button; returns (status, ack body, the response_url the app answers at)."""
        response_url = self.fake.response_url()
        payload = {
            "type": "block_actions",
            "team": {"id": self.fake.team_id},
            "user": {"id": user, "name": user.lower()},
            "api_app_id": "A0CRISIS",
            "channel": {"id": channel},
            "response_url": response_url,
            "trigger_id": f"trig.click.{time.monotonic_ns()}",
            "actions": [{"type": "button", "action_id": action_id, "value": value, "block_id": "b1"}],
        }
        status, ack = await self.post(urlencode({"payload": json.dumps(payload)}))
        return status, ack, response_url

    async def event(self, event: dict[str, Any], event_id: str, retry: int = 0) -> int:
        """An Events API callback (JSON), optionally marked as Slack's retry number ``retry``."""
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": self.fake.team_id,
                "api_app_id": "A0CRISIS",
                "event_id": event_id,
                "event_time": int(time.time()),
                "event": event,
            }
        )
        headers = {**sign(body), "Content-Type": "application/json"}
        if retry:
            headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
        status, _ = await self.post(body, headers)
        return status

    async def shortcut(self, callback_id: str, channel: str, message: dict[str, Any], *, user: str) -> str:
        """A message shortcut on ``message``; returns the response_url the app answers at."""
        response_url = self.fake.response_url()
        payload = {
            "type": "message_action",
            "callback_id": callback_id,
            "team": {"id": self.fake.team_id},
            "user": {"id": user, "name": user.lower()},
            "channel": {"id": channel},
            "message": message,
            "response_url": response_url,
            "trigger_id": f"trig.shortcut.{time.monotonic_ns()}",
        }
        await self.post(urlencode({"payload": json.dumps(payload)}))
        return response_url

    async def submit_view(self, view: dict[str, Any], *, user: str = "U01AMELIE0") -> tuple[int, str]:
        """Submit a form as Slack's client would: it refuses to send one with an empty required
        input (an input block is required unless marked optional), so a test cannot either."""
        empty = unfilled_required(view)
        if empty:
            raise SlackWouldNotSubmit(f"Slack keeps the form open: required input(s) {empty} are empty")
        payload = {
            "type": "view_submission",
            "team": {"id": self.fake.team_id},
            "user": {"id": user, "name": "amelie"},
            "api_app_id": "A0CRISIS",
            "trigger_id": f"trig.view.{time.monotonic_ns()}",
            "view": view,
        }
        return await self.post(urlencode({"payload": json.dumps(payload)}))


def filled(view: dict[str, Any], **typed: str) -> dict[str, Any]:
    """The view's state as Slack sends it on submit: what each input showed (its initial value
    or option), with what the person typed (by block id) in place of it."""
    values: dict[str, Any] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block["element"]
        key, action = block["block_id"], element["action_id"]
        if element["type"] == "static_select":
            chosen = typed.get(key) or (element.get("initial_option") or {}).get("value")
            values[key] = {action: {"type": "static_select", "selected_option": {"value": chosen} if chosen else None}}
        else:
            values[key] = {action: {"type": element["type"], "value": typed.get(key, element.get("initial_value"))}}
    return {"values": values}


class SlackWouldNotSubmit(AssertionError):
    """The form has an empty required input: Slack's client does not let the person submit it."""


def unfilled_required(view: dict[str, Any]) -> list[str]:
    values = (view.get("state") or {}).get("values") or {}
    empty = []
    for block in view.get("blocks", []):
        if block.get("type") != "input" or block.get("optional", False):
            continue
        field = (values.get(block.get("block_id")) or {}).get(block["element"]["action_id"]) or {}
        chosen = field.get("selected_option")
        value = chosen.get("value") if isinstance(chosen, dict) else field.get("value")
        if not (isinstance(value, str) and value):
            empty.append(str(block.get("block_id")))
    return empty


def expect(check: Callable[[], Any]) -> Any:
    """The value of ``check``, which must hold now: requests return once the app's work is done."""
    value = check()
    assert value, "expected the app to have done this by the time its work drained"
    return value


def texts(responses: list[Any]) -> str:
    """Everything the app said at a response_url, blocks included, as one string."""
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in responses)
