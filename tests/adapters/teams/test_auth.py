"""Authentication stays on: every activity without a valid Bot Framework token is refused (401)
and nothing is done; the signing keys are held, so validating never waits on the key server."""

from __future__ import annotations

from typing import Any

import pytest

from tests.adapters.teams.conftest import TeamsRig
from tests.fakes.microsoft import APP_ID
from tests.fakes.microsoft_keys import SigningKey

OTHER_KEY = SigningKey.new("test-key-1")  # the same kid as the real key, another key pair


def spoiled(rig: TeamsRig, activity: dict[str, Any], how: str) -> dict[str, str]:
    url = str(activity["serviceUrl"])
    key = rig.ms.key
    tokens = {
        "no token": None,
        "not bearer": f"Basic {key.sign(APP_ID, url)}",
        "wrong key": f"Bearer {OTHER_KEY.sign(APP_ID, url)}",
        "unknown kid": f"Bearer {key.sign(APP_ID, url, kid='rotated-away')}",
        "wrong audience": f"Bearer {key.sign(APP_ID, url, audience='another-app')}",
        "wrong issuer": f"Bearer {key.sign(APP_ID, url, issuer='https://evil.example')}",
        "expired": f"Bearer {key.sign(APP_ID, url, expires_in=-3600)}",
        "serviceurl mismatch": f"Bearer {key.sign(APP_ID, 'https://elsewhere.example/amer/')}",
        "garbage": "Bearer not-a-jwt",
    }
    token = tokens[how]
    return {} if token is None else {"Authorization": token}


@pytest.mark.parametrize(
    "how",
    [
        "no token",
        "not bearer",
        "wrong key",
        "unknown kid",
        "wrong audience",
        "wrong issuer",
        "expired",
        "serviceurl mismatch",
        "garbage",
    ],
)
async def test_a_bad_token_is_refused_and_nothing_is_done(rig: TeamsRig, how: str) -> None:
    fetched = rig.ms.key_fetches
    activity = rig.teams.activity("message", by="amelie", text="crisis start complaint sev3 Forged", entities=[])
    status, _ = await rig.teams.post(activity, headers=spoiled(rig, activity, how))
    assert status == 401
    assert await rig.core.service.crises() == []
    assert rig.ms.state.sent == []
    assert rig.ms.key_fetches == fetched  # an unknown kid fetches nothing while the request waits


async def test_a_valid_token_passes(rig: TeamsRig) -> None:
    assert await rig.teams.say("crisis help", by="amelie") == 200
    assert len(rig.ms.state.sent) == 1


async def test_a_body_that_is_not_an_activity_is_refused(rig: TeamsRig) -> None:
    async with rig.teams.session.post(rig.teams.url, data=b"[1, 2", headers={"Content-Type": "application/json"}) as r:
        assert r.status == 400


async def test_keys_are_loaded_at_start_not_per_request(rig: TeamsRig) -> None:
    assert rig.ms.key_fetches == 1
    rig.ms.keys_gate.clear()  # a key server that no longer answers would hold every request up
    try:
        assert await rig.teams.say("crisis help", by="amelie") == 200
    finally:
        rig.ms.keys_gate.set()
    assert rig.ms.key_fetches == 1
