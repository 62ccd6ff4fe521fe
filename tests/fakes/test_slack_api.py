"""The fake is only worth trusting if the real slack_sdk clients see Slack's shapes through it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import aiohttp
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.retries import BackoffServerErrorRetry, BoundedRateLimitRetry
from tests.fakes import FakeSlack, ThreadedFakeSlack, record

TOKEN = "xoxb-valid"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        server.add_user("U1", "alice", email="alice@example.com")
        server.add_user("U2", "bob", email="bob@example.com")
        server.add_user("U3", "gone", email="gone@example.com", deleted=True)
        yield server


@pytest.fixture
def client(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=fake.base_url)


async def error_of(call: Awaitable[Any]) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        await call
    return info.value


async def test_auth_test_identifies_the_bot(fake: FakeSlack, client: AsyncWebClient) -> None:
    resp = await client.auth_test()
    assert resp["user_id"] == "UBOT"
    assert resp["team_id"] == "T0001"
    assert resp["bot_id"]
    assert fake.count("auth.test") == 1


async def test_bad_or_missing_token_is_rejected(fake: FakeSlack) -> None:
    err = await error_of(AsyncWebClient(token="xoxb-nope", base_url=fake.base_url).auth_test())
    assert err.response["error"] == "invalid_auth"
    err = await error_of(AsyncWebClient(base_url=fake.base_url).auth_test())
    assert err.response["error"] == "not_authed"


async def test_unknown_method_is_404(client: AsyncWebClient) -> None:
    err = await error_of(client.api_call("bogus.method"))
    assert err.response.status_code == 404
    assert err.response["error"] == "unknown_method"


async def test_create_then_name_taken(fake: FakeSlack, client: AsyncWebClient) -> None:
    resp = await client.conversations_create(name="inc-42-twitter", is_private=True)
    channel = resp["channel"]
    assert channel["name"] == "inc-42-twitter"
    assert channel["is_private"] is True
    assert fake.channels[channel["id"]]["members"] == ["UBOT"]
    err = await error_of(client.conversations_create(name="inc-42-twitter"))
    assert err.response["error"] == "name_taken"
    err = await error_of(client.conversations_create(name="Bad Name!"))
    assert err.response["error"] == "invalid_name_specials"
    err = await error_of(client.conversations_create(name="x" * 81))
    assert err.response["error"] == "invalid_name_maxlength"


async def test_invite_one_bad_user_without_force_invites_nobody(fake: FakeSlack, client: AsyncWebClient) -> None:
    cid = (await client.conversations_create(name="room"))["channel"]["id"]
    err = await error_of(client.conversations_invite(channel=cid, users=["U1", "UNOPE"]))
    assert err.response["error"] == "user_not_found"
    assert err.response["errors"] == [{"user": "UNOPE", "ok": False, "error": "user_not_found"}]
    assert fake.channels[cid]["members"] == ["UBOT"]


async def test_invite_with_force_invites_the_valid_ones(fake: FakeSlack, client: AsyncWebClient) -> None:
    cid = (await client.conversations_create(name="room"))["channel"]["id"]
    resp = await client.conversations_invite(channel=cid, users="U1,UNOPE,U3,U2", force=True)
    assert resp["ok"] is True
    assert {e["user"]: e["error"] for e in resp["errors"]} == {"UNOPE": "user_not_found", "U3": "cant_invite"}
    assert fake.channels[cid]["members"] == ["UBOT", "U1", "U2"]
    err = await error_of(client.conversations_invite(channel=cid, users="U1"))
    assert err.response["error"] == "already_in_channel"


async def test_invite_needs_the_bot_in_the_channel(fake: FakeSlack, client: AsyncWebClient) -> None:
    cid = fake.add_channel("general", members=["U1"])
    err = await error_of(client.conversations_invite(channel=cid, users="U2"))
    assert err.response["error"] == "not_in_channel"
    err = await error_of(client.conversations_invite(channel="CNOPE", users="U2"))
    assert err.response["error"] == "channel_not_found"


async def test_post_to_channel_by_name(fake: FakeSlack, client: AsyncWebClient) -> None:
    cid = fake.add_channel("comms", members=["UBOT"])
    first = await client.chat_postMessage(channel="#comms", text="hello")
    second = await client.chat_postMessage(channel="comms", text="again")
    assert first["channel"] == second["channel"] == cid
    assert first["ts"] < second["ts"]
    assert [m["text"] for m in fake.messages[cid]] == ["hello", "again"]
    assert fake.calls("chat.postMessage")[0].args["channel"] == "#comms"


async def test_post_needs_membership_unless_chat_write_public(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.add_channel("outside")
    err = await error_of(client.chat_postMessage(channel="#outside", text="hi"))
    assert err.response["error"] == "not_in_channel"
    fake.chat_write_public = True
    assert (await client.chat_postMessage(channel="#outside", text="hi"))["ok"]
    err = await error_of(client.chat_postMessage(channel="#nowhere", text="hi"))
    assert err.response["error"] == "channel_not_found"


async def test_post_validates_blocks(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.add_channel("comms", members=["UBOT"])
    block = {"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}
    err = await error_of(client.chat_postMessage(channel="#comms", blocks=[block] * 51, text="x"))
    assert err.response["error"] == "invalid_blocks"
    long = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    err = await error_of(client.chat_postMessage(channel="#comms", blocks=[long], text="x"))
    assert err.response["error"] == "invalid_blocks"
    with pytest.warns(UserWarning, match="text"):
        err = await error_of(client.chat_postMessage(channel="#comms"))
    assert err.response["error"] == "no_text"
    resp = await client.chat_postMessage(channel="#comms", blocks=[block] * 50, text="fallback")
    assert len(resp["message"]["blocks"]) == 50


async def test_update_permalink_and_pins(fake: FakeSlack, client: AsyncWebClient) -> None:
    cid = fake.add_channel("comms", members=["UBOT"])
    ts = (await client.chat_postMessage(channel=cid, text="v1"))["ts"]
    assert (await client.chat_update(channel=cid, ts=ts, text="v2"))["text"] == "v2"
    link = (await client.chat_getPermalink(channel=cid, message_ts=ts))["permalink"]
    assert link == f"https://fake.slack.test/archives/{cid}/p{ts.replace('.', '')}"
    await client.pins_add(channel=cid, timestamp=ts)
    assert fake.pins[cid] == [ts]
    assert (await error_of(client.pins_add(channel=cid, timestamp=ts))).response["error"] == "already_pinned"
    err = await error_of(client.pins_add(channel=cid, timestamp="1.000001"))
    assert err.response["error"] == "message_not_found"


async def test_rate_limit_surfaces_then_retries(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.fail_next("conversations.create", status=429, retry_after=1)
    err = await error_of(client.conversations_create(name="limited"))
    assert err.response.status_code == 429
    assert err.response.headers["Retry-After"] == "1"
    assert err.response["error"] == "ratelimited"

    fake.fail_next("conversations.create", status=429, retry_after=1)
    waits: list[float] = []
    client.retry_handlers.append(BoundedRateLimitRetry(max_retry_count=1, sleep=record(waits)))
    resp = await client.conversations_create(name="limited")
    assert resp["channel"]["name"] == "limited"
    assert len(waits) == 1
    assert 1.0 <= waits[0] <= 1.25, "Slack's Retry-After, plus a little jitter"
    assert fake.count("conversations.create") == 3


async def test_server_error_once_then_success(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.fail_next("auth.test", status=500)
    err = await error_of(client.auth_test())
    assert err.response.status_code == 500
    fake.fail_next("auth.test", status=500)
    waits: list[float] = []
    client.retry_handlers.append(BackoffServerErrorRetry(max_retry_count=1, sleep=record(waits)))
    assert (await client.auth_test())["ok"]
    assert fake.count("auth.test") == 3
    assert len(waits) == 1
    assert 0.0 < waits[0] <= 10.0


async def test_fail_next_with_slack_error(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.fail_next("conversations.create", error="name_taken", times=2)
    for _ in range(2):
        assert (await error_of(client.conversations_create(name="fresh"))).response["error"] == "name_taken"
    assert (await client.conversations_create(name="fresh"))["ok"]


async def test_lookup_by_email_and_user_info(fake: FakeSlack, client: AsyncWebClient) -> None:
    user = (await client.users_lookupByEmail(email="Bob@example.com"))["user"]
    assert user["id"] == "U2"
    assert user["profile"]["email"] == "bob@example.com"
    err = await error_of(client.users_lookupByEmail(email="nobody@example.com"))
    assert err.response["error"] == "users_not_found"
    assert (await error_of(client.users_info(user="UNOPE"))).response["error"] == "user_not_found"
    fake.add_usergroup("S1", ["U1", "U2"])
    assert (await client.usergroups_users_list(usergroup="S1"))["users"] == ["U1", "U2"]
    err = await error_of(client.usergroups_users_list(usergroup="SNOPE"))
    assert err.response["error"] == "no_such_subteam"


async def test_list_paginates(fake: FakeSlack, client: AsyncWebClient) -> None:
    for i in range(5):
        fake.add_channel(f"pub-{i}")
    fake.add_channel("secret", is_private=True)
    names: list[str] = []
    cursor = None
    while True:
        resp = await client.conversations_list(limit=2, cursor=cursor, types="public_channel,private_channel")
        names += [c["name"] for c in resp["channels"]]
        cursor = resp["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert names == [f"pub-{i}" for i in range(5)]


async def test_views_open_trigger_is_single_use(fake: FakeSlack, client: AsyncWebClient) -> None:
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Declare incident"}, "blocks": []}
    resp = await client.views_open(trigger_id="123.456", view=view)
    assert resp["view"]["id"] in fake.views
    err = await error_of(client.views_open(trigger_id="123.456", view=view))
    assert err.response["error"] == "expired_trigger_id"
    err = await error_of(client.views_open(trigger_id="", view=view))
    assert err.response["error"] == "invalid_trigger_id"
    long_title = {**view, "title": {"type": "plain_text", "text": "x" * 25}}
    err = await error_of(client.views_open(trigger_id="789", view=long_title))
    assert err.response["error"] == "invalid_arguments"
    updated = await client.views_update(view_id=resp["view"]["id"], view={**view, "private_metadata": "m"})
    assert updated["view"]["private_metadata"] == "m"


async def test_response_url_records_posts(fake: FakeSlack) -> None:
    url = fake.response_url()
    async with aiohttp.ClientSession() as session, session.post(url, json={"text": "done"}) as resp:
        assert resp.status == 200
        assert await resp.text() == "ok"
    assert fake.responses(url) == [{"text": "done"}]
    assert fake.responses() == [{"text": "done"}]


async def test_latency_overlaps_concurrent_calls(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.latency = 0.3
    started = time.monotonic()
    await asyncio.gather(*(client.auth_test() for _ in range(5)))
    elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 0.9


def test_threaded_fake_serves_the_sync_form_client() -> None:
    with ThreadedFakeSlack() as threaded:
        fake = threaded.fake
        fake.add_user("U1", "alice")
        sync = WebClient(token=TOKEN, base_url=fake.base_url)
        cid = sync.conversations_create(name="sync-room")["channel"]["id"]
        sync.conversations_invite(channel=cid, users="U1")
        sync.conversations_setTopic(channel=cid, topic="Twitter storm")
        assert fake.channels[cid]["members"] == ["UBOT", "U1"]
        assert fake.channels[cid]["topic"] == "Twitter storm"
        ts = sync.chat_postMessage(channel="sync-room", text="hi")["ts"]
        assert sync.chat_postEphemeral(channel=cid, user="U1", text="psst")["message_ts"] > ts
        with pytest.raises(SlackApiError) as info:
            sync.conversations_invite(channel=cid, users="UNOPE")
        assert info.value.response["error"] == "user_not_found"
        dm = sync.conversations_open(users="U1")["channel"]["id"]
        assert sync.chat_postMessage(channel=dm, text="dm")["channel"] == dm
