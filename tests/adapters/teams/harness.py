"""Play Teams' side against the real crisisbot Teams app, over HTTP, authentication on.

Activities are JSON as Teams sends them, each with a bearer token signed by the fake key server's
key (``tests.fakes.microsoft_keys``); the app's replies land on the fake Bot Connector and its war
rooms on the fake Graph. ``send`` returns once the app's background work has drained, so tests
check exact outcomes instead of polling or sleeping.
"""

from __future__ import annotations

import html
import itertools
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bot.core.plan.model import LoadedPlan, Plan, TeamsSettings, TeamsWarRoom
from tests.fakes.microsoft import APP_ID, TEAM_ID, TENANT_ID, FakeMicrosoft

GENERAL = "19:general@thread.tacv2"
TEAM_CONVERSATION = "19:team-root@thread.tacv2"
ANNOUNCE = "crisis-announcements"
CATALOG_ID = "5e0c1a7e-0000-4000-8000-0000000ca7a1"  # the app's id in the tenant's catalog (not the manifest's)
MANIFEST = Path(__file__).resolve().parents[3] / "deploy" / "teams" / "manifest.json"
_ids = itertools.count(1)


def entra_id(person_id: str) -> str:
    """A stable Entra object id for a plan person."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://crisisbot.test/{person_id}"))


def teams_plan(loaded: LoadedPlan, kind: TeamsWarRoom = TeamsWarRoom.STANDARD_CHANNEL) -> LoadedPlan:
    """The shipped plan with a Teams section: people with a Slack id get an Entra id; the others
    (e-mail only) are found through Graph, as a real tenant would."""
    people = {
        pid: p.model_copy(update={"teams_id": entra_id(pid)}) if p.slack_id else p
        for pid, p in loaded.plan.people.items()
    }
    plan: Plan = loaded.plan.model_copy(
        update={"people": people, "teams": TeamsSettings(team_id=TEAM_ID, war_room=kind)}
    )
    return loaded.model_copy(update={"plan": plan})


def seed_tenant(ms: FakeMicrosoft, loaded: LoadedPlan) -> None:
    """Everyone in the plan is a user of the tenant with the app installed; the announcements
    channel exists in the crisis team."""
    for pid, person in loaded.plan.people.items():
        user = person.teams_id or entra_id(pid)
        if person.email:
            ms.state.users_by_email[person.email.lower()] = user
        ms.state.installed_for.add(user)
        record = {"id": f"29:{pid}", "name": person.name, "aadObjectId": user}
        ms.state.members[f"29:{pid}"] = record | ({"email": person.email} if person.email else {})
    ms.state.create_channel(ANNOUNCE, private=False, owners=[])
    ms.state.catalog[CATALOG_ID] = catalog_app()


def catalog_app() -> dict[str, Any]:
    """crisisbot as the tenant's catalog holds it once its package is uploaded: the manifest's id
    is its externalId, and its definition asks the manifest's resource-specific permissions."""
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    asked = manifest["authorization"]["permissions"]["resourceSpecific"]
    rsc = [{"permissionValue": p["name"], "permissionType": p["type"]} for p in asked]
    definition = {"id": "def-1", "authorization": {"requiredPermissionSet": {"resourceSpecificPermissions": rsc}}}
    return {"id": CATALOG_ID, "externalId": APP_ID, "displayName": "crisisbot", "appDefinitions": [definition]}


@dataclass
class TeamsSim:
    """Sends activities to the app as Teams would, signed; ``settle`` is the app's drain."""

    ms: FakeMicrosoft
    url: str
    session: aiohttp.ClientSession
    plan: Plan
    settle: Callable[[], Awaitable[None]]
    answers: list[tuple[int, Any]] = field(default_factory=list)

    def sender(self, person_id: str) -> dict[str, Any]:
        user = self.plan.people[person_id].teams_id or entra_id(person_id)
        return {"id": f"29:{person_id}", "name": self.plan.people[person_id].name, "aadObjectId": user}

    def activity(self, kind: str, *, by: str, conversation: str = GENERAL, **extra: Any) -> dict[str, Any]:
        group_chat = conversation.endswith("@thread.v2")  # a group chat: no threads, no team
        channel = conversation.startswith("19:") and not group_chat
        activity_id = str(next(_ids))
        if channel and ";messageid=" not in conversation and kind == "message":
            conversation = f"{conversation};messageid={activity_id}"
        body: dict[str, Any] = {
            "type": kind,
            "id": activity_id,
            "timestamp": "2026-12-03T16:00:00.000Z",
            "serviceUrl": self.ms.service_url,
            "channelId": "msteams",
            "from": self.sender(by),
            "conversation": {
                "id": conversation,
                "conversationType": "channel" if channel else "groupChat" if group_chat else "personal",
                "tenantId": TENANT_ID,
            },
            "recipient": {"id": f"28:{APP_ID}", "name": "crisisbot"},
            "channelData": {"tenant": {"id": TENANT_ID}},
        }
        if channel:
            body["channelData"] |= {
                "team": {"id": TEAM_CONVERSATION, "aadGroupId": TEAM_ID},
                "channel": {"id": GENERAL},
            }
        return body | extra

    def mention_of(self, person_id: str | None) -> tuple[str, dict[str, Any]]:
        """``None``: the bot itself."""
        if person_id is None:
            tag = "<at>crisisbot</at>"
            return tag, {"type": "mention", "text": tag, "mentioned": {"id": f"28:{APP_ID}", "name": "crisisbot"}}
        name = self.plan.people[person_id].name
        tag = f"<at>{name}</at>"
        # as Teams sends it: the 29: id and the name, no Entra id
        return tag, {"type": "mention", "text": tag, "mentioned": {"id": f"29:{person_id}", "name": name}}

    async def say(self, text: str, *, by: str, conversation: str = GENERAL, mention_bot: bool = True) -> int:
        """A message: ``{person_id}`` in the text becomes a real mention of that person. Teams sends
        what people type HTML-escaped, with real mentions as ``<at>`` tags."""
        text = html.escape(text, quote=False)
        entities = []
        if mention_bot:
            tag, entity = self.mention_of(None)
            text, entities = f"{tag} {text}", [entity]
        for pid in self.plan.people:
            if "{" + pid + "}" in text:
                tag, entity = self.mention_of(pid)
                text = text.replace("{" + pid + "}", tag)
                entities.append(entity)
        status, _ = await self.post(
            self.activity("message", by=by, conversation=conversation, text=text, entities=entities)
        )
        return status

    async def press(self, data: dict[str, Any], *, by: str, reply_to: str, conversation: str) -> tuple[int, Any]:
        """An ``Action.Execute`` on the card posted as ``reply_to``."""
        value = {"action": {"type": "Action.Execute", "verb": data.get("action"), "data": data}, "trigger": "manual"}
        activity = self.activity("invoke", by=by, conversation=conversation, name="adaptiveCard/action", value=value)
        activity["replyToId"] = reply_to
        return await self.post(activity)

    async def post(
        self, activity: dict[str, Any], token: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        signed = token if token is not None else self.ms.key.sign(APP_ID, str(activity.get("serviceUrl")))
        sent_headers = headers if headers is not None else {"Authorization": f"Bearer {signed}"}
        async with self.session.post(self.url, json=activity, headers=sent_headers) as response:
            text = await response.text()
            answer = response.status, (await response.json() if text.strip() else None)
        await self.settle()
        self.answers.append(answer)
        return answer
