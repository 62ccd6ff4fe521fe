"""Slack listeners for reply drafts: the buttons on draft cards and review messages, and the forms
they open. Every listener acknowledges first; forms open at once (a trigger_id lasts 3 seconds).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.draft_modals import (
    CHANGES_CALLBACK,
    EDIT_CALLBACK,
    MAX_TEXT,
    NEW_CALLBACK,
    PUBLISH_CALLBACK,
    DraftContext,
    changes_modal,
    edit_modal,
    new_draft_modal,
    publish_modal,
    state_values,
    variable_values,
)
from bot.core import views
from bot.core.commands import DraftCommand
from bot.core.errors import CrisisError

if TYPE_CHECKING:
    from bot.adapters.slack.app import SlackHandlers

log = logging.getLogger(__name__)
FORMS = {"draft_edit", "draft_publish", "draft_changes"}


class DraftHandlers:
    def __init__(self, base: SlackHandlers) -> None:
        self.base = base
        self.service = base.service

    async def ack(self, ack: AsyncAck) -> None:
        await ack()

    async def on_button(self, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        action = (body.get("actions") or [{}])[0]
        action_id, value = str(action.get("action_id", "")), str(action.get("value", ""))
        actor = self.base.actor(body)
        try:
            if action_id in FORMS:
                await self._open_form(client, body, action_id, value)
                return
            reply = await self.service.act(action_id, value, actor)
        except CrisisError as exc:
            reply = views.error(exc)
        except Exception:
            log.exception("draft button %s failed", action_id)
            reply = views.error(CrisisError("Something went wrong on my side.", hint="Try again in a moment."))
        await self.base.reply(respond, reply)

    async def _open_form(self, client: AsyncWebClient, body: dict[str, Any], action_id: str, value: str) -> None:
        number, _, seen = value.partition(":")
        draft_id = int(number) if number.isdigit() else 0
        context = DraftContext(draft_id=draft_id, response_url=body.get("response_url"), seen_hash=seen or None)
        if action_id == "draft_edit":
            drafts = self.service.require_drafts()
            draft, _ = await drafts.get(draft_id, active=True)
            if len(draft.text) > MAX_TEXT:
                raise CrisisError(
                    f"Draft #{draft_id} is {len(draft.text)} characters: Slack's form holds {MAX_TEXT}.",
                    hint="Shorten it in the console (crisisbot console) or start a new draft.",
                )
            framework = drafts.renderer.frameworks()[draft.scenario]
            view = edit_modal(draft_id, draft.text, framework, draft.lang, draft.values, context)
        elif action_id == "draft_publish":
            view = publish_modal(draft_id, context)
        else:
            view = changes_modal(draft_id, context)
        await client.views_open(trigger_id=body.get("trigger_id"), view=view.to_dict())

    async def open_new(self, client: AsyncWebClient, body: dict[str, Any], command: DraftCommand) -> None:
        """``/crisis draft complaint`` without the facts it needs: ask for them in a form."""
        drafts = self.service.require_drafts()
        crisis = await self.service.find(None, body.get("channel_id"))
        scenario = drafts.framework_for(command.scenario_id or crisis.scenario_id)
        lang = command.lang or self.service.plan.language
        context = DraftContext(
            response_url=body.get("response_url"),
            channel_id=body.get("channel_id"),
            scenario=scenario,
            stage=command.stage,
            lang=lang,
        )
        framework = drafts.renderer.frameworks()[scenario]
        view = new_draft_modal(framework, lang, dict(command.values), context)
        await client.views_open(trigger_id=body.get("trigger_id"), view=view.to_dict())

    # -- form submissions ---------------------------------------------------------------------

    async def ack_form(self, ack: AsyncAck, view: dict[str, Any]) -> None:
        await ack()

    async def on_form(self, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        context = DraftContext.load(view.get("private_metadata"))
        typed = state_values(view)
        actor = self.base.actor(body)
        drafts = self.service.require_drafts()
        callback = view.get("callback_id")
        try:
            if callback == EDIT_CALLBACK and context.draft_id:
                reply = await drafts.edit(context.draft_id, actor, typed.get("text"), variable_values(typed))
            elif callback == PUBLISH_CALLBACK and context.draft_id:
                reply = await drafts.publish(context.draft_id, actor, typed.get("url"))
            elif callback == CHANGES_CALLBACK and context.draft_id:
                reply = await drafts.decide(
                    context.draft_id, actor, approve=False, note=typed.get("note", ""), seen_hash=context.seen_hash
                )
            elif callback == NEW_CALLBACK:
                command = DraftCommand(
                    context.scenario,
                    context.stage or "acknowledge",
                    context.lang,
                    tuple(variable_values(typed).items()),
                )
                crisis = await self.service.find(None, context.channel_id)
                reply = await drafts.create(command, crisis, actor)
            else:
                return
        except CrisisError as exc:
            reply = views.error(exc)
        except Exception:
            log.exception("draft form %s failed", callback)
            reply = views.error(CrisisError("Something went wrong on my side.", hint="Try again in a moment."))
        user = (body.get("user") or {}).get("id")
        await self.base.answer(client, context.response_url, user, reply, replace=callback == EDIT_CALLBACK)


FORM_CALLBACKS = (EDIT_CALLBACK, NEW_CALLBACK, PUBLISH_CALLBACK, CHANGES_CALLBACK)
