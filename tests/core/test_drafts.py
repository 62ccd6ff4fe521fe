"""Reply drafts end to end on the core: render, edit, review by severity, publish."""

from __future__ import annotations

import asyncio

import pytest

from bot.adapters.console.workspace import ConsoleWorkspace
from bot.container import Core
from bot.core.commands import DraftCommand, StartCommand, parse
from bot.core.drafts.frameworks import MissingVariablesError
from bot.core.messaging.message import Actions
from bot.core.model.actions import Action
from bot.core.model.crisis import Actor, Crisis, Invocation
from bot.core.model.drafts import DraftStatus
from bot.core.model.errors import ConflictError, PermissionDeniedError, UsageError
from bot.core.plan.model import LoadedPlan
from bot.storage.repository import SqlCrisisRepository
from tests.conftest import person

FACTS = (
    ("customer_handle", "@claire_b"),
    ("what_went_wrong", "a cracked shade"),
    ("next_update", "17:00"),
    ("fix", "a new lamp ships today"),
    ("case_id", "ML-4821"),
    ("contact", "Sofia"),
    ("agent_name", "Sofia"),
)


class Rig:
    def __init__(self, loaded: LoadedPlan, core: Core, ws: ConsoleWorkspace, repo: SqlCrisisRepository) -> None:
        self.loaded = loaded
        self.ws = ws
        self.repo = repo
        self.service = core.service
        self.drafts = core.cases.drafts

    async def crisis(self, severity: str) -> Crisis:
        """Declared by the lead, who may declare at any severity (the plan keeps sev1 for leads)."""
        crisis = await self.service.start(
            StartCommand("complaint", severity, f"Cracked shades {severity}"), self.who("amelie")
        )
        assert crisis.severity_id == severity
        return crisis

    def who(self, pid: str) -> Actor:
        return person(self.loaded, pid)

    async def draft(self, crisis: Crisis, author: str = "sofia", **extra: str) -> int:
        cmd = DraftCommand("complaint", "acknowledge", None, FACTS + tuple(extra.items()))
        await self.drafts.create(cmd, crisis, self.who(author))
        [*_, latest] = await self.drafts.drafts.drafts_of(crisis.number)
        return latest.id


@pytest.fixture
def rig(loaded_plan: LoadedPlan, core: Core, ws: ConsoleWorkspace, repo: SqlCrisisRepository) -> Rig:
    return Rig(loaded_plan, core, ws, repo)


async def test_low_severity_reply_is_the_social_teams_call(rig: Rig) -> None:
    crisis = await rig.crisis("sev3")
    cmd = DraftCommand("complaint", "acknowledge", None, FACTS)
    card = (await rig.drafts.create(cmd, crisis, rig.who("sofia"))).plain_text()
    assert "Talking points" in card
    assert "@claire_b" in card
    assert "characters for X (Twitter)" in card
    assert "Mark ready" in card
    draft_id = 1

    with pytest.raises(UsageError, match="Adapt the draft"):
        await rig.drafts.submit(draft_id, rig.who("sofia"))
    await rig.drafts.edit(
        draft_id,
        rig.who("sofia"),
        text="@claire_b You're right, a cracked shade is not okay. I'm on it now: DM us your order? – Sofia",
    )
    ready = (await rig.drafts.submit(draft_id, rig.who("sofia"))).plain_text()
    assert "no approval needed" in ready
    assert "Mark as published" in ready
    await rig.drafts.publish(draft_id, rig.who("sofia"), "https://x.example/status/1")
    draft = await rig.drafts.drafts.get_draft(draft_id)
    assert draft is not None
    assert draft.status is DraftStatus.PUBLISHED
    kinds = [e.kind for e in await rig.repo.timeline(crisis.number)]
    assert [k for k in kinds if k.startswith("draft")] == [
        "draft_created",
        "draft_edited",
        "draft_ready",
        "draft_published",
    ]


async def test_high_severity_needs_the_named_role_and_never_the_author(rig: Rig) -> None:
    crisis = await rig.crisis("sev2")  # the plan: sev2 replies are approved by the crisis lead
    draft_id = await rig.draft(crisis, author="amelie")
    await rig.drafts.edit(
        draft_id, rig.who("amelie"), text="@claire_b So sorry about the cracked shade: that's on us. DM us?"
    )
    submitted = (await rig.drafts.submit(draft_id, rig.who("amelie"))).plain_text()
    assert "with Crisis lead for review" in submitted
    room = rig.ws.channels[crisis.room_name]
    review = room.posts[-1]
    assert review.thread_id == crisis.kickoff_message_id
    assert {m.person_id for m in review.message.mentions} == {"marcus"}, "the approvers, not the author (amelie)"

    with pytest.raises(PermissionDeniedError, match="Only Crisis lead"):
        await rig.drafts.decide(draft_id, rig.who("sofia"), approve=True)
    with pytest.raises(PermissionDeniedError, match="You wrote this draft"):
        await rig.drafts.decide(draft_id, rig.who("amelie"), approve=True)

    replies = await asyncio.gather(
        rig.drafts.decide(draft_id, rig.who("marcus"), approve=True),
        rig.drafts.decide(draft_id, rig.who("marcus"), approve=True),
    )
    texts = sorted(r.plain_text() for r in replies)
    assert any("already" in t for t in texts), "a double click records one approval"
    approvals = [e for e in await rig.repo.timeline(crisis.number) if e.kind == "draft_approved"]
    assert len(approvals) == 1
    assert "Approved by Marcus Reid" in room.posts[-1].message.plain_text()

    await rig.drafts.edit(
        draft_id, rig.who("amelie"), text="@claire_b Sorry again, that's on us. A new lamp ships today."
    )
    draft = await rig.drafts.drafts.get_draft(draft_id)
    assert draft is not None
    assert draft.status is DraftStatus.DRAFT, "an edit after approval needs a new approval"
    with pytest.raises(ConflictError, match="not approved in its current wording"):
        await rig.drafts.publish(draft_id, rig.who("amelie"))


async def test_changes_requested_go_back_to_the_author(rig: Rig) -> None:
    crisis = await rig.crisis("sev1")  # sev1: press approves
    draft_id = await rig.draft(crisis, author="sofia")
    await rig.drafts.edit(draft_id, rig.who("sofia"), text="@claire_b We're sorry, our mistake. DM us.")
    await rig.drafts.submit(draft_id, rig.who("sofia"))
    review = rig.ws.channels[crisis.room_name].posts[-1].message
    [changes] = [
        b
        for block in review.blocks
        if isinstance(block, Actions)
        for b in block.buttons
        if b.action is Action.DRAFT_CHANGES
    ]
    asked = await rig.service.press(changes.action.value, changes.value, rig.who("nadia"))
    assert asked.form is not None, "Request changes asks what should change first"
    note = {"note": "Name the lamp model"}
    reply = await rig.service.submit(asked.form.kind.value, asked.form.payload, note, rig.who("nadia"))
    assert "asked for changes" in reply.plain_text()
    draft = await rig.drafts.drafts.get_draft(draft_id)
    assert draft is not None
    assert draft.status is DraftStatus.CHANGES_REQUESTED
    assert "Name the lamp model" in rig.ws.channels[crisis.room_name].posts[-1].message.plain_text()


async def test_missing_facts_are_asked_for_not_left_blank(rig: Rig) -> None:
    crisis = await rig.crisis("sev3")
    with pytest.raises(MissingVariablesError) as info:
        await rig.drafts.create(DraftCommand("complaint", "acknowledge", None, ()), crisis, rig.who("sofia"))
    assert "customer_handle" in info.value.missing
    reply = await rig.service.handle(_inv(rig, "draft complaint", crisis))
    assert reply.form is not None, "platforms with forms ask for the facts in one"
    assert "This draft needs" in reply.plain_text()
    assert "customer_handle=" in reply.plain_text()


async def test_placeholders_block_submission(rig: Rig) -> None:
    crisis = await rig.crisis("sev3")
    facts = tuple((k, v) for k, v in FACTS if k != "agent_name")
    await rig.drafts.create(DraftCommand("complaint", "acknowledge", None, facts), crisis, rig.who("sofia"))
    draft = await rig.drafts.drafts.get_draft(1)
    assert draft is not None
    assert "[YOUR NAME]" in draft.text
    await rig.drafts.edit(1, rig.who("sofia"), text=draft.text + " Thanks.")
    with pytest.raises(UsageError, match="placeholders"):
        await rig.drafts.submit(1, rig.who("sofia"))


async def test_values_are_inserted_literally(rig: Rig) -> None:
    crisis = await rig.crisis("sev3")
    await rig.drafts.create(
        DraftCommand("complaint", "acknowledge", None, (*FACTS[1:], ("customer_handle", "{{ 7*7 }} <!here>"))),
        crisis,
        rig.who("sofia"),
    )
    draft = await rig.drafts.drafts.get_draft(1)
    assert draft is not None
    assert draft.text.startswith("{{ 7*7 }} <!here>")
    assert "49" not in draft.text


async def test_draft_command_in_the_war_room_uses_the_crisis_scenario_and_french(rig: Rig) -> None:
    crisis = await rig.crisis("sev3")
    values = " ".join(f'{k}="{v}"' for k, v in FACTS)
    reply = await rig.service.handle(_inv(rig, f"draft apologize --lang fr {values}", crisis))
    text = reply.plain_text()
    assert "apologize (FR)" in text
    draft = await rig.drafts.drafts.get_draft(1)
    assert draft is not None
    assert draft.scenario == "complaint"
    assert draft.lang == "fr"


async def test_bad_draft_commands_explain(rig: Rig) -> None:
    plan = rig.loaded.plan
    with pytest.raises(UsageError, match="acknowledge, apologize, resolve"):
        parse("draft complaint grovel", plan)
    with pytest.raises(UsageError, match="written in en, fr"):
        parse("draft --lang de", plan)
    with pytest.raises(UsageError, match="quote is not closed"):
        parse('draft what_went_wrong="lost', plan)


def _inv(rig: Rig, text: str, crisis: Crisis) -> Invocation:
    return Invocation(actor=rig.who("sofia"), text=text, channel_id=crisis.room.id if crisis.room else None)


async def test_an_old_review_message_cannot_approve_newer_text(rig: Rig) -> None:
    crisis = await rig.crisis("sev2")
    draft_id = await rig.draft(crisis, author="sofia")
    await rig.drafts.edit(draft_id, rig.who("sofia"), text="@claire_b Sorry, that's on us. DM us?")
    await rig.drafts.submit(draft_id, rig.who("sofia"))
    old_button = next(
        b
        for block in rig.ws.channels[crisis.room_name].posts[-1].message.blocks
        if isinstance(block, Actions)
        for b in block.buttons
        if b.action is Action.DRAFT_APPROVE
    )
    await rig.drafts.decide(draft_id, rig.who("marcus"), approve=False, note="warmer please")
    await rig.drafts.edit(draft_id, rig.who("sofia"), text="@claire_b WE DID NOTHING WRONG")
    await rig.drafts.submit(draft_id, rig.who("sofia"))
    stale = await rig.service.press(old_button.action.value, old_button.value, rig.who("marcus"))
    assert "changed since this review request" in stale.plain_text()


async def test_escalating_after_approval_needs_the_new_approver(rig: Rig) -> None:
    crisis = await rig.crisis("sev3")  # sev3: the social team's call
    draft_id = await rig.draft(crisis, author="sofia")
    await rig.drafts.edit(draft_id, rig.who("sofia"), text="@claire_b So sorry, that's on us. DM us? – Sofia")
    await rig.drafts.submit(draft_id, rig.who("sofia"))
    await rig.service.handle(Invocation(actor=rig.who("amelie"), text="escalate sev1", channel_id=crisis.room_name))
    with pytest.raises(ConflictError, match="need Press & PR's approval"):
        await rig.drafts.publish(draft_id, rig.who("sofia"))
    again = await rig.drafts.drafts.get_draft(draft_id)
    assert again is not None
    assert again.status is DraftStatus.DRAFT


async def test_new_facts_never_overwrite_a_persons_text(rig: Rig) -> None:
    crisis = await rig.crisis("sev3")
    draft_id = await rig.draft(crisis, author="sofia")
    await rig.drafts.edit(draft_id, rig.who("sofia"), text="My own words for @claire_b")
    await rig.drafts.edit(draft_id, rig.who("sofia"), values={**dict(FACTS), "case_id": "ML-9"})
    draft = await rig.drafts.drafts.get_draft(draft_id)
    assert draft is not None
    assert draft.text == "My own words for @claire_b"
